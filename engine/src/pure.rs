//! Pure operators as terms: what the translator builds instead of CLIF for
//! every operator without side effects, to be lowered by the rules.

use std::rc::Rc;

use cranelift_codegen::ir::{Type, Value};
use wasmparser::Operator;

mod simd;

/// Most nodes a pure term may hold. An operator that would make a term
/// larger gets its operands lowered first, where it stands (their leaves
/// are defined there already), and becomes a term over their values. Every
/// term is therefore small, whatever the shape of the function: the walks
/// over a term and its drop are recursive but at most this deep, and the
/// e-graph of one term stays bounded, so compile time grows linearly with
/// the function. Real code rarely builds a term this large (`local.set`,
/// stores, calls and branches all lower their operands).
pub(crate) const MAX_TERM_NODES: u32 = 128;

/// A pure term over values already in Cranelift form.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum PureExpr {
    /// A value computed by the skeleton (a leaf of the term).
    Value(Value, Type),
    /// A constant: its type and bit pattern (all 128 bits for a vector).
    Const(Type, u128),
    /// A Wasm operator (or trap condition) of the rule set, by instance
    /// name, applied to operands, with its result type and the number of
    /// nodes of the whole term (at most [`MAX_TERM_NODES`] when built by
    /// the translator).
    Op { name: String, args: Vec<Rc<PureExpr>>, ty: Type, nodes: u32 },
}

impl PureExpr {
    /// Operator `name` of result type `ty` applied to `args`.
    pub(crate) fn op(name: String, args: Vec<Rc<PureExpr>>, ty: Type) -> PureExpr {
        let nodes = args.iter().fold(1u32, |n, a| n.saturating_add(a.nodes()));
        PureExpr::Op { name, args, ty, nodes }
    }

    /// The term's Cranelift type.
    pub(crate) fn ty(&self) -> Type {
        match self {
            PureExpr::Value(_, ty) | PureExpr::Const(ty, _) | PureExpr::Op { ty, .. } => *ty,
        }
    }

    /// How many nodes the term has (a shared operand counts each time).
    pub(crate) fn nodes(&self) -> u32 {
        match self {
            PureExpr::Value(..) | PureExpr::Const(..) => 1,
            PureExpr::Op { nodes, .. } => *nodes,
        }
    }
}

/// The rule-set name of a pure Wasm operator, or `None` for operators with
/// side effects (which the skeleton handles).
pub(crate) fn pure_operator(op: &Operator<'_>) -> Option<&'static str> {
    use Operator as O;
    Some(match op {
        // Resolved to `{type}.select` by the type of its operands.
        O::Select | O::TypedSelect { .. } => "select",
        O::I32Eqz => "i32.eqz",
        O::I32Clz => "i32.clz",
        O::I32Ctz => "i32.ctz",
        O::I32Popcnt => "i32.popcnt",
        O::I32Extend8S => "i32.extend8_s",
        O::I32Extend16S => "i32.extend16_s",
        O::I64Eqz => "i64.eqz",
        O::I64Clz => "i64.clz",
        O::I64Ctz => "i64.ctz",
        O::I64Popcnt => "i64.popcnt",
        O::I64Extend8S => "i64.extend8_s",
        O::I64Extend16S => "i64.extend16_s",
        O::I64Extend32S => "i64.extend32_s",
        O::F32Abs => "f32.abs",
        O::F32Neg => "f32.neg",
        O::F32Ceil => "f32.ceil",
        O::F32Floor => "f32.floor",
        O::F32Trunc => "f32.trunc",
        O::F32Nearest => "f32.nearest",
        O::F32Sqrt => "f32.sqrt",
        O::F64Abs => "f64.abs",
        O::F64Neg => "f64.neg",
        O::F64Ceil => "f64.ceil",
        O::F64Floor => "f64.floor",
        O::F64Trunc => "f64.trunc",
        O::F64Nearest => "f64.nearest",
        O::F64Sqrt => "f64.sqrt",
        O::I32WrapI64 => "i32.wrap_i64",
        O::I32TruncF32S => "i32.trunc_f32_s",
        O::I32TruncF32U => "i32.trunc_f32_u",
        O::I32TruncF64S => "i32.trunc_f64_s",
        O::I32TruncF64U => "i32.trunc_f64_u",
        O::I64ExtendI32S => "i64.extend_i32_s",
        O::I64ExtendI32U => "i64.extend_i32_u",
        O::I64TruncF32S => "i64.trunc_f32_s",
        O::I64TruncF32U => "i64.trunc_f32_u",
        O::I64TruncF64S => "i64.trunc_f64_s",
        O::I64TruncF64U => "i64.trunc_f64_u",
        O::F32ConvertI32S => "f32.convert_i32_s",
        O::F32ConvertI32U => "f32.convert_i32_u",
        O::F32ConvertI64S => "f32.convert_i64_s",
        O::F32ConvertI64U => "f32.convert_i64_u",
        O::F32DemoteF64 => "f32.demote_f64",
        O::F64ConvertI32S => "f64.convert_i32_s",
        O::F64ConvertI32U => "f64.convert_i32_u",
        O::F64ConvertI64S => "f64.convert_i64_s",
        O::F64ConvertI64U => "f64.convert_i64_u",
        O::F64PromoteF32 => "f64.promote_f32",
        O::I32ReinterpretF32 => "i32.reinterpret_f32",
        O::I64ReinterpretF64 => "i64.reinterpret_f64",
        O::F32ReinterpretI32 => "f32.reinterpret_i32",
        O::F64ReinterpretI64 => "f64.reinterpret_i64",
        O::I32TruncSatF32S => "i32.trunc_sat_f32_s",
        O::I32TruncSatF32U => "i32.trunc_sat_f32_u",
        O::I32TruncSatF64S => "i32.trunc_sat_f64_s",
        O::I32TruncSatF64U => "i32.trunc_sat_f64_u",
        O::I64TruncSatF32S => "i64.trunc_sat_f32_s",
        O::I64TruncSatF32U => "i64.trunc_sat_f32_u",
        O::I64TruncSatF64S => "i64.trunc_sat_f64_s",
        O::I64TruncSatF64U => "i64.trunc_sat_f64_u",
        O::I32Eq => "i32.eq",
        O::I32Ne => "i32.ne",
        O::I32LtS => "i32.lt_s",
        O::I32LtU => "i32.lt_u",
        O::I32GtS => "i32.gt_s",
        O::I32GtU => "i32.gt_u",
        O::I32LeS => "i32.le_s",
        O::I32LeU => "i32.le_u",
        O::I32GeS => "i32.ge_s",
        O::I32GeU => "i32.ge_u",
        O::I32Add => "i32.add",
        O::I32Sub => "i32.sub",
        O::I32Mul => "i32.mul",
        O::I32DivS => "i32.div_s",
        O::I32DivU => "i32.div_u",
        O::I32RemS => "i32.rem_s",
        O::I32RemU => "i32.rem_u",
        O::I32And => "i32.and",
        O::I32Or => "i32.or",
        O::I32Xor => "i32.xor",
        O::I32Shl => "i32.shl",
        O::I32ShrS => "i32.shr_s",
        O::I32ShrU => "i32.shr_u",
        O::I32Rotl => "i32.rotl",
        O::I32Rotr => "i32.rotr",
        O::I64Eq => "i64.eq",
        O::I64Ne => "i64.ne",
        O::I64LtS => "i64.lt_s",
        O::I64LtU => "i64.lt_u",
        O::I64GtS => "i64.gt_s",
        O::I64GtU => "i64.gt_u",
        O::I64LeS => "i64.le_s",
        O::I64LeU => "i64.le_u",
        O::I64GeS => "i64.ge_s",
        O::I64GeU => "i64.ge_u",
        O::I64Add => "i64.add",
        O::I64Sub => "i64.sub",
        O::I64Mul => "i64.mul",
        O::I64DivS => "i64.div_s",
        O::I64DivU => "i64.div_u",
        O::I64RemS => "i64.rem_s",
        O::I64RemU => "i64.rem_u",
        O::I64And => "i64.and",
        O::I64Or => "i64.or",
        O::I64Xor => "i64.xor",
        O::I64Shl => "i64.shl",
        O::I64ShrS => "i64.shr_s",
        O::I64ShrU => "i64.shr_u",
        O::I64Rotl => "i64.rotl",
        O::I64Rotr => "i64.rotr",
        O::F32Eq => "f32.eq",
        O::F32Ne => "f32.ne",
        O::F32Lt => "f32.lt",
        O::F32Gt => "f32.gt",
        O::F32Le => "f32.le",
        O::F32Ge => "f32.ge",
        O::F32Add => "f32.add",
        O::F32Sub => "f32.sub",
        O::F32Mul => "f32.mul",
        O::F32Div => "f32.div",
        O::F32Min => "f32.min",
        O::F32Max => "f32.max",
        O::F32Copysign => "f32.copysign",
        O::F64Eq => "f64.eq",
        O::F64Ne => "f64.ne",
        O::F64Lt => "f64.lt",
        O::F64Gt => "f64.gt",
        O::F64Le => "f64.le",
        O::F64Ge => "f64.ge",
        O::F64Add => "f64.add",
        O::F64Sub => "f64.sub",
        O::F64Mul => "f64.mul",
        O::F64Div => "f64.div",
        O::F64Min => "f64.min",
        O::F64Max => "f64.max",
        O::F64Copysign => "f64.copysign",
        other => return simd::pure_operator(other),
    })
}
