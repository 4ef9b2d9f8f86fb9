//! The mid-end: lowering pure terms to CLIF through the verified rules.
//!
//! The translator hands each pure term it needs to a [`Lowering`], which
//! runs the rules of `plumb-rules` over it in an e-graph and emits the
//! extracted CLIF-only term at the current position of the function.

use cranelift_codegen::ir::{self, InstBuilder, TrapCode, Value, types};
use cranelift_frontend::FunctionBuilder;
use plumb_rules::{OpKind, RuleError, RuleSet, Type};

use crate::pure::PureExpr;

/// Lowers pure terms; shared by all the threads compiling a module.
pub(crate) trait Lowering: Sync {
    /// The rule-set operator for pure Wasm operator `name` applied to
    /// operands of these types (`select` is resolved by its operand type),
    /// with its operand count and result type.
    fn resolve(&self, name: &str, operand: Option<ir::Type>) -> Option<(String, usize, ir::Type)>;

    /// The trap conditions operator `name` checks before its value is
    /// meaningful: the condition operator, which operands it takes, and the
    /// trap it raises.
    fn traps(&self, name: &str) -> Vec<(String, Vec<usize>, TrapCode)>;

    /// Emits CLIF computing `expr` at the builder's current position.
    fn lower(&self, builder: &mut FunctionBuilder<'_>, expr: &PureExpr) -> Result<Value, String>;
}

/// The Cranelift type of a rule-language type.
pub(crate) fn clif_type(ty: Type) -> ir::Type {
    match ty {
        Type::I8 => types::I8,
        Type::I16 => types::I16,
        Type::I32 => types::I32,
        Type::I64 => types::I64,
        Type::F32 => types::F32,
        Type::F64 => types::F64,
    }
}

fn wasm_type_name(ty: ir::Type) -> &'static str {
    match ty {
        types::I32 => "i32",
        types::F32 => "f32",
        types::F64 => "f64",
        _ => "i64",
    }
}

/// Lowering by the project's built-in rule set.
pub(crate) struct RuleLowering {
    rules: RuleSet,
}

impl RuleLowering {
    pub(crate) fn new() -> Result<RuleLowering, RuleError> {
        Ok(RuleLowering { rules: RuleSet::builtin()? })
    }
}

impl Lowering for RuleLowering {
    fn resolve(&self, name: &str, operand: Option<ir::Type>) -> Option<(String, usize, ir::Type)> {
        let name = match (name, operand) {
            ("select", Some(ty)) => format!("{}.select", wasm_type_name(ty)),
            _ => name.to_string(),
        };
        let op = self.rules.op(self.rules.op_by_name(&name)?)?;
        (op.kind == OpKind::Wasm).then(|| (name, op.operands.len(), clif_type(op.result)))
    }

    fn traps(&self, name: &str) -> Vec<(String, Vec<usize>, TrapCode)> {
        let Some(op) = self.rules.op_by_name(name).and_then(|id| self.rules.op(id)) else {
            return Vec::new();
        };
        op.traps
            .iter()
            .filter_map(|(trap, operands)| {
                let trap = self.rules.op(*trap)?;
                let code = match trap.trap_code? {
                    plumb_rules::TrapCode::IntegerDivideByZero => TrapCode::INTEGER_DIVISION_BY_ZERO,
                    plumb_rules::TrapCode::IntegerOverflow => TrapCode::INTEGER_OVERFLOW,
                    plumb_rules::TrapCode::InvalidConversionToInteger => TrapCode::BAD_CONVERSION_TO_INTEGER,
                };
                Some((trap.name.clone(), operands.clone(), code))
            })
            .collect()
    }

    fn lower(&self, builder: &mut FunctionBuilder<'_>, expr: &PureExpr) -> Result<Value, String> {
        match expr {
            PureExpr::Value(v, _) => Ok(*v),
            PureExpr::Const(ty, bits) => Ok(constant(builder, *ty, *bits)),
            PureExpr::Op(name, _, _) => {
                Err(format!("no lowering of {name} yet: the e-graph mid-end is not wired in"))
            }
        }
    }
}

/// A constant leaf.
fn constant(builder: &mut FunctionBuilder<'_>, ty: ir::Type, bits: u64) -> Value {
    match ty {
        types::F32 => builder.ins().f32const(ir::immediates::Ieee32::with_bits(bits as u32)),
        types::F64 => builder.ins().f64const(ir::immediates::Ieee64::with_bits(bits)),
        ty => builder.ins().iconst(ty, bits as i64),
    }
}
