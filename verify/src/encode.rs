//! Rule instances to Z3 terms: each side of a rule, with the condition under
//! which its value is meaningful.
//!
//! An operator's value is only meant where none of its trap conditions holds
//! (`(traps ...)` in `ops.isle`), and the partial primitives (`fp_to_sbv`,
//! `fp_to_ubv`) only inside their domain. A side's *definedness* is the
//! conjunction of those conditions over every operator it applies, guarded
//! by `ite` so that an untaken branch does not count. The verifier assumes
//! the left side defined and requires the right side defined too: a rewrite
//! may not introduce a trap (or an unspecified value) where the operator it
//! replaces has none, while trapping itself stays with the engine, which
//! emits the left side's trap conditions (lowered by their own rules).
//!
//! This module never trusts the instance it is given: every type it relies
//! on is checked, and a mismatch is an [`EncodeError`], not a panic.

use plumb_rules::ast::Prim;
use plumb_rules::{OpInstId, OpInstance, RuleInstance, Sem, SemType, Term as RuleTerm};
use z3::ast::Bool;

use crate::smt::{EncodeError, Encoder, Term, bv_lit};

/// A side of a rule (or any term) as Z3 terms.
#[derive(Debug, Clone)]
pub struct Encoded {
    /// Its value.
    pub value: Term,
    /// When the value is meaningful (no trap, inside every domain).
    pub defined: Bool,
}

/// Encodes the terms of one rule instance. One per query: it owns the NaN
/// payload functions both sides must share.
#[derive(Debug)]
pub struct RuleEncoder<'r> {
    ops: &'r [OpInstance],
    smt: Encoder,
    vars: Vec<Term>,
}

fn mismatch(what: impl Into<String>) -> EncodeError {
    EncodeError { prim: "rule".to_owned(), what: what.into() }
}

impl<'r> RuleEncoder<'r> {
    /// An encoder for `instance`, whose variables become Z3 constants named
    /// after them (floats as their bits).
    pub fn new(ops: &'r [OpInstance], instance: &RuleInstance) -> RuleEncoder<'r> {
        let vars = instance.vars.iter().map(|v| Term::var(&v.name, v.ty.sem())).collect();
        RuleEncoder { ops, smt: Encoder::new(), vars }
    }

    /// The Z3 constants standing for the rule's variables, in
    /// [`RuleInstance::vars`] order.
    pub fn vars(&self) -> &[Term] {
        &self.vars
    }

    /// A side condition: a boolean over the rule's variables.
    pub fn condition(&mut self, cond: &Sem) -> Result<Encoded, EncodeError> {
        let vars = self.vars.clone();
        let encoded = self.sem(cond, &vars)?;
        match encoded.value {
            Term::Bool(_) => Ok(encoded),
            other => Err(mismatch(format!("a side condition is a {}, not a boolean", other.ty()))),
        }
    }

    /// A side of the rule.
    pub fn term(&mut self, term: &RuleTerm) -> Result<Encoded, EncodeError> {
        match term {
            RuleTerm::Var(i) => {
                let value =
                    self.vars.get(*i).cloned().ok_or_else(|| mismatch(format!("no variable #{i}")))?;
                Ok(Encoded { value, defined: Bool::from_bool(true) })
            }
            RuleTerm::Const { ty, value } => {
                let vars = self.vars.clone();
                let encoded = self.sem(value, &vars)?;
                if encoded.value.ty() != ty.sem() {
                    return Err(mismatch(format!(
                        "a constant of type {ty} has a value of type {}",
                        encoded.value.ty()
                    )));
                }
                Ok(encoded)
            }
            RuleTerm::Op { op, args } => {
                let mut values = Vec::with_capacity(args.len());
                let mut defined = Vec::with_capacity(args.len() + 1);
                for arg in args {
                    let e = self.term(arg)?;
                    values.push(e.value);
                    defined.push(e.defined);
                }
                let applied = self.op(*op, &values)?;
                defined.push(applied.defined);
                Ok(Encoded { value: applied.value, defined: Bool::and(&defined) })
            }
        }
    }

    fn op_instance(&self, id: OpInstId) -> Result<&'r OpInstance, EncodeError> {
        self.ops.get(id.index()).ok_or_else(|| mismatch(format!("no operator instance #{}", id.0)))
    }

    /// Operator instance `id` applied to `args`: its semantics, defined where
    /// none of its trap conditions holds.
    pub fn op(&mut self, id: OpInstId, args: &[Term]) -> Result<Encoded, EncodeError> {
        let op = self.op_instance(id)?;
        if args.len() != op.operands.len() {
            return Err(mismatch(format!(
                "`{}` takes {} operands, given {}",
                op.name,
                op.operands.len(),
                args.len()
            )));
        }
        for (i, (arg, ty)) in args.iter().zip(&op.operands).enumerate() {
            if arg.ty() != ty.sem() {
                return Err(mismatch(format!(
                    "operand {} of `{}` is a {}, not a {ty}",
                    i + 1,
                    op.name,
                    arg.ty()
                )));
            }
        }
        let value = self.sem(&op.semantics, args)?;
        if value.value.ty() != op.result.sem() {
            return Err(mismatch(format!(
                "the semantics of `{}` is a {}, not its declared {}",
                op.name,
                value.value.ty(),
                op.result
            )));
        }
        let mut defined = vec![value.defined];
        for (trap, which) in &op.traps {
            let trap_args =
                which.iter().map(|&i| args.get(i).cloned()).collect::<Option<Vec<Term>>>().ok_or_else(
                    || mismatch(format!("a trap condition of `{}` names a missing operand", op.name)),
                )?;
            let fires = self.op(*trap, &trap_args)?;
            let Term::Bv(bits) = &fires.value else {
                return Err(mismatch(format!("a trap condition of `{}` is not an integer", op.name)));
            };
            defined.push(fires.defined);
            defined.push(bits.eq(bv_lit(0, bits.get_size())));
        }
        Ok(Encoded { value: value.value, defined: Bool::and(&defined) })
    }

    /// A semantic term with variable `i` bound to `env[i]`.
    fn sem(&mut self, sem: &Sem, env: &[Term]) -> Result<Encoded, EncodeError> {
        let yes = || Bool::from_bool(true);
        match sem {
            Sem::Var { index, ty } => {
                let value =
                    env.get(*index).cloned().ok_or_else(|| mismatch(format!("unbound variable #{index}")))?;
                if value.ty() != *ty {
                    return Err(mismatch(format!("variable #{index} is a {}, used as a {ty}", value.ty())));
                }
                Ok(Encoded { value, defined: yes() })
            }
            Sem::Const { bits, ty } => {
                let value = match ty {
                    SemType::Bool => Term::Bool(Bool::from_bool(*bits != 0)),
                    other => Term::literal(*bits, *other)
                        .ok_or_else(|| mismatch(format!("no literal of type {other}")))?,
                };
                Ok(Encoded { value, defined: yes() })
            }
            Sem::App { prim: Prim::Ite, args, ty, .. } => {
                let [c, x, y] = args.as_slice() else {
                    return Err(mismatch("`ite` takes 3 operands"));
                };
                let (c, x, y) = (self.sem(c, env)?, self.sem(x, env)?, self.sem(y, env)?);
                let Term::Bool(cond) = &c.value else {
                    return Err(mismatch(format!("the condition of `ite` is a {}", c.value.ty())));
                };
                let value = self.smt.apply(Prim::Ite, &[], &[c.value.clone(), x.value, y.value])?;
                check_type(Prim::Ite, &value, *ty)?;
                let defined = Bool::and(&[c.defined.clone(), cond.ite(&x.defined, &y.defined)]);
                Ok(Encoded { value, defined })
            }
            Sem::App { prim, imms, args, ty } => {
                let mut values = Vec::with_capacity(args.len());
                let mut defined = Vec::with_capacity(args.len() + 1);
                for arg in args {
                    let e = self.sem(arg, env)?;
                    values.push(e.value);
                    defined.push(e.defined);
                }
                if let Some(domain) = self.smt.domain(*prim, imms, &values)? {
                    defined.push(domain);
                }
                let value = self.smt.apply(*prim, imms, &values)?;
                check_type(*prim, &value, *ty)?;
                Ok(Encoded { value, defined: Bool::and(&defined) })
            }
        }
    }
}

/// The type the checker recorded for an application must be the type the
/// encoding produced.
fn check_type(prim: Prim, value: &Term, ty: SemType) -> Result<(), EncodeError> {
    if value.ty() == ty {
        Ok(())
    } else {
        Err(EncodeError {
            prim: prim.name().to_owned(),
            what: format!("produces a {}, recorded as a {ty}", value.ty()),
        })
    }
}

/// Whether the right side's value `rhs` is one Wasm allows the left side's
/// `lhs`: the same bits for bit vectors and booleans, and for floats a
/// pattern in the left side's set ([`crate::smt::Nans`]).
pub fn refines(lhs: &Term, rhs: &Term) -> Result<Bool, EncodeError> {
    match (lhs, rhs) {
        (Term::Bv(a), Term::Bv(b)) if a.get_size() == b.get_size() => Ok(a.eq(b)),
        (Term::Bool(a), Term::Bool(b)) => Ok(a.eq(b)),
        (Term::Float(fa, a, nans), Term::Float(fb, b, _)) if fa == fb => Ok(nans.contains(*fa, a, b)),
        _ => Err(mismatch(format!("the sides have types {} and {}", lhs.ty(), rhs.ty()))),
    }
}
