//! Plumb's rule language: operator declarations with their semantics, the
//! lowering and optimisation rules written over them, a concrete evaluator
//! of the semantics, and their conversion to `egg` rewrites.
//!
//! The rule files live in this crate (`ops.isle`, `lower/*.isle`,
//! `opt/*.isle`) and are embedded at compile time, so [`RuleSet::builtin`]
//! needs no file at run time:
//!
//! ```
//! use plumb_rules::RuleSet;
//!
//! let rules = RuleSet::builtin()?;
//! // Every Wasm operator has semantics, e.g. `i32.rotl`:
//! let rotl = rules.op_by_name("i32.rotl").expect("declared");
//! assert_eq!(rules.eval(rotl, &[0x8000_0001, 1])?, 0x0000_0003);
//! // ... and every rule is available as monomorphic instances.
//! assert!(rules.rule_instances().iter().any(|r| r.name == "imul_pow2"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! A rule file is a sequence of s-expressions:
//!
//! ```text
//! ;; Operators: (decl NAME KIND (TYPE-PARAMS) ((OPERAND TYPE)...) RESULT SEMANTICS CLAUSES...)
//! (decl {T}.add wasm ((T Int)) ((a T) (b T)) T (bvadd a b))
//! ;; Rules: (rule NAME (TYPE-PARAMS) LHS => RHS (if COND)...)
//! ;; x * 2^k == x << k
//! (rule imul_pow2 ((T Int)) (imul x (iconst c)) => (ishl x (iconst (ctz c)))
//!   (if (bvne c 0)) (if (bveq (bvand c (bvsub c 1)) 0)))
//! ```
//!
//! Float constants are written by value (`(f32const 1.0)`, `-0.0`, `inf`,
//! `nan`, `nan:0x200000`) or by their bits in hex (`(f32const 0x3f800000)`);
//! a decimal integer such as `-1` is refused there ([`float_lit`]). A
//! declaration may not take an existing operator's name or instance name,
//! and a rule must have at least one instance; both are errors at their
//! position.
//!
//! See `docs/rules-contract.md` for the language and the primitives.
//!
//! Modules: [`sexpr`] reads text, [`parse`] builds the [`ast`] (float
//! literals through [`float_lit`]), [`check`]
//! type-checks and instantiates it, [`eval`] evaluates instances on
//! numbers, [`egraph`] turns them into an `egg` language, analysis and
//! rewrites.

pub mod ast;
pub mod check;
pub mod egraph;
pub mod error;
pub mod eval;
pub mod float_lit;
pub mod mutant;
pub mod nan;
pub mod parse;
pub mod sexpr;
pub mod types;

use std::collections::HashMap;

pub use ast::{OpDecl, OpKind, Rule, TrapCode};
pub use check::{OpInstId, OpInstance, RuleInstance, RuleVar, Sem, Term};
pub use error::{Pos, RuleError};
pub use eval::EvalError;
pub use types::{FloatFormat, SemType, Type, TypeClass};

/// The project's rule files, embedded: (name, contents). The operator
/// declarations first: scalar (`ops.isle`), then vector (`simd_ops.isle`).
pub const BUILTIN_FILES: &[(&str, &str)] = &[
    ("ops.isle", include_str!("../ops.isle")),
    ("simd_ops.isle", include_str!("../simd_ops.isle")),
    ("lower/int.isle", include_str!("../lower/int.isle")),
    ("lower/float.isle", include_str!("../lower/float.isle")),
    ("lower/conv.isle", include_str!("../lower/conv.isle")),
    ("lower/traps.isle", include_str!("../lower/traps.isle")),
    ("lower/simd_int.isle", include_str!("../lower/simd_int.isle")),
    ("lower/simd_float.isle", include_str!("../lower/simd_float.isle")),
    ("lower/simd_relaxed.isle", include_str!("../lower/simd_relaxed.isle")),
    ("opt/algebra.isle", include_str!("../opt/algebra.isle")),
    ("opt/strength.isle", include_str!("../opt/strength.isle")),
    ("opt/bitops.isle", include_str!("../opt/bitops.isle")),
    ("opt/shifts.isle", include_str!("../opt/shifts.isle")),
    ("opt/icmp.isle", include_str!("../opt/icmp.isle")),
    ("opt/select.isle", include_str!("../opt/select.isle")),
    ("opt/extends.isle", include_str!("../opt/extends.isle")),
    ("opt/float.isle", include_str!("../opt/float.isle")),
    ("opt/simd.isle", include_str!("../opt/simd.isle")),
];

/// A checked set of operator declarations and rules.
#[derive(Debug, Clone)]
pub struct RuleSet {
    decls: Vec<OpDecl>,
    rules: Vec<Rule>,
    ops: Vec<OpInstance>,
    op_names: HashMap<String, OpInstId>,
    rule_instances: Vec<RuleInstance>,
}

impl RuleSet {
    /// The project's operators and rules ([`BUILTIN_FILES`]).
    pub fn builtin() -> Result<RuleSet, RuleError> {
        RuleSet::from_files(BUILTIN_FILES)
    }

    /// The project's operators and rules plus `extra` files (name, contents),
    /// e.g. a user's new rule to be verified before it is added.
    pub fn load(extra: &[(&str, &str)]) -> Result<RuleSet, RuleError> {
        let files: Vec<(&str, &str)> = BUILTIN_FILES.iter().copied().chain(extra.iter().copied()).collect();
        RuleSet::from_files(&files)
    }

    /// Exactly the given files (name, contents), nothing built in.
    pub fn from_files(files: &[(&str, &str)]) -> Result<RuleSet, RuleError> {
        let mut decls = Vec::new();
        let mut rules = Vec::new();
        for (name, text) in files {
            let parsed = parse::parse_file(name, text)?;
            decls.extend(parsed.decls);
            rules.extend(parsed.rules);
        }
        let checked = check::check(&decls, &rules)?;
        Ok(RuleSet {
            decls,
            rules,
            ops: checked.ops,
            op_names: checked.op_names,
            rule_instances: checked.rule_instances,
        })
    }

    /// Operator declarations as written (generic).
    pub fn decls(&self) -> &[OpDecl] {
        &self.decls
    }

    /// Rules as written (generic).
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// Every operator instance; [`OpInstId`] indexes this.
    pub fn ops(&self) -> &[OpInstance] {
        &self.ops
    }

    /// One operator instance.
    pub fn op(&self, id: OpInstId) -> Option<&OpInstance> {
        self.ops.get(id.index())
    }

    /// Looks an operator instance up by its concrete name: a Wasm name
    /// (`i32.add`, `f64.select`) or a CLIF/trap instance name (`iadd.i32`,
    /// `uextend.i32.i64`, `div_by_zero.i32`).
    pub fn op_by_name(&self, name: &str) -> Option<OpInstId> {
        self.op_names.get(name).copied()
    }

    /// Every rule at every type it applies to.
    pub fn rule_instances(&self) -> &[RuleInstance] {
        &self.rule_instances
    }

    /// Evaluates scalar operator instance `op` on `args` (bit patterns, low
    /// bits significant), checking its trap conditions first. An operator
    /// with a vector operand or result is [`EvalError::Vector`]: use
    /// [`RuleSet::eval_wide`].
    pub fn eval(&self, op: OpInstId, args: &[u64]) -> Result<u64, EvalError> {
        let inst = self.op(op).ok_or_else(|| EvalError::UnknownOperator(format!("#{}", op.0)))?;
        if inst.result.is_vector() || inst.operands.iter().any(|t| t.is_vector()) {
            return Err(EvalError::Vector(inst.name.clone()));
        }
        let wide: Vec<u128> = args.iter().map(|&a| u128::from(a)).collect();
        // A scalar result is at most 64 bits wide.
        eval::eval_op(&self.ops, op, &wide).map(|v| v as u64)
    }

    /// Evaluates operator instance `op` on `args` (bit patterns, low bits
    /// significant; a `v128` as its 128 bits, lane 0 lowest), checking its
    /// trap conditions first.
    pub fn eval_wide(&self, op: OpInstId, args: &[u128]) -> Result<u128, EvalError> {
        eval::eval_op(&self.ops, op, args)
    }

    /// Evaluates a side of a rule instance with its variables bound to
    /// `env` (indexed like [`RuleInstance::vars`]): operators through
    /// [`RuleSet::eval_wide`] (so a trap condition that holds is an error),
    /// constants through their semantic expression.
    pub fn eval_term(&self, term: &Term, env: &[u128]) -> Result<u128, EvalError> {
        match term {
            Term::Var(i) => env.get(*i).copied().ok_or(EvalError::UnboundVariable(*i)),
            Term::Const { ty, value } => Ok(eval::eval_sem(value, env)? & ty.wide_mask()),
            Term::Op { op, args } => {
                let vals = args.iter().map(|a| self.eval_term(a, env)).collect::<Result<Vec<_>, _>>()?;
                self.eval_wide(*op, &vals)
            }
        }
    }

    /// [`RuleSet::eval_wide`] with the set of bit patterns Wasm allows the
    /// result ([`nan`]), the operands given as such sets.
    pub fn eval_allowed(&self, op: OpInstId, args: &[nan::Allowed]) -> Result<nan::Allowed, EvalError> {
        eval::eval_op_allowed(&self.ops, op, args)
    }

    /// [`RuleSet::eval_term`] with the set of bit patterns Wasm allows the
    /// result ([`nan`]); a float variable stands for exactly its bits.
    pub fn eval_term_allowed(&self, term: &Term, env: &[u128]) -> Result<nan::Allowed, EvalError> {
        match term {
            Term::Var(i) => {
                env.get(*i).map(|&b| nan::Allowed::exact(b)).ok_or(EvalError::UnboundVariable(*i))
            }
            Term::Const { ty, value } => {
                let env: Vec<nan::Allowed> = env.iter().map(|&b| nan::Allowed::exact(b)).collect();
                let set = eval::eval_allowed(value, &env)?;
                Ok(nan::Allowed { bits: set.bits & ty.wide_mask(), ..set })
            }
            Term::Op { op, args } => {
                let sets =
                    args.iter().map(|a| self.eval_term_allowed(a, env)).collect::<Result<Vec<_>, _>>()?;
                self.eval_allowed(*op, &sets)
            }
        }
    }

    /// Whether `rhs`, a result of type `ty`, is one Wasm allows where the
    /// left side's result is `lhs`: equal bits, or for floats in `lhs`'s set.
    pub fn refines(ty: Type, lhs: &nan::Allowed, rhs: u128) -> bool {
        match ty.sem() {
            SemType::Float(fmt) => lhs.contains(fmt, rhs),
            _ => lhs.bits == rhs,
        }
    }

    /// Evaluates the declaration named `decl` (`iadd`, `{T}.add`, or a
    /// concrete name) at type arguments `types`.
    pub fn eval_named(&self, decl: &str, types: &[Type], args: &[u128]) -> Result<u128, EvalError> {
        let id = self
            .ops
            .iter()
            .position(|o| {
                (o.decl_name == decl && o.type_args == types) || (o.name == decl && types.is_empty())
            })
            .ok_or_else(|| EvalError::UnknownOperator(decl.to_owned()))?;
        self.eval_wide(OpInstId(id as u32), args)
    }
}
