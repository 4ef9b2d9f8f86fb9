//! One rule instance, one verdict: the Z3 queries and how their answers are
//! read.
//!
//! For a rule instance with side conditions `C`, left side `L` and right
//! side `R` (each with its definedness, see [`crate::encode`]):
//!
//! 1. `C ∧ defined(L)` must be satisfiable, else the rule never fires and
//!    proves nothing ([`Verdict::NeverFires`]).
//! 2. `C ∧ defined(L) ∧ ¬(defined(R) ∧ L ≈ R)` must be unsatisfiable
//!    ([`Verdict::Proved`]); a model is a [`Counterexample`]. `R ≈ L` is
//!    equality for integers, and for floats Wasm's NaN refinement
//!    ([`plumb_rules::nan`]): the right side's bits are in the set of
//!    patterns Wasm allows the left side, built operator by operator
//!    ([`crate::smt::Nans`]) — bits passed through by `select` and
//!    reinterpretations exactly, a sign fixed by `fneg`/`fabs`/`fcopysign`
//!    exactly, a NaN from arithmetic canonical when every NaN operand is,
//!    else any quiet NaN. The right side's own NaNs are free variables:
//!    whatever NaN it picks must be allowed. (Where the left side's NaN
//!    bits flow on into integer operations, through `fbits`, the set is
//!    not tracked further: those bits are a free variable shared with a
//!    structurally identical term of the right side, which can only make
//!    the query stricter.)
//!
//! `unknown` (including the per-query timeout) is never read as a proof.

use std::fmt;
use std::time::{Duration, Instant};

use plumb_rules::nan::{Allowed, NanClass};
use plumb_rules::{OpInstance, RuleInstance, Type};
use z3::ast::{Ast, BV, Bool};
use z3::{Model, Params, SatResult, Solver};

use crate::encode::{Encoded, RuleEncoder, refines};
use crate::smt::{EncodeError, Term};

/// How the verifier runs.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// The limit of each Z3 query; past it the verdict is
    /// [`Verdict::Unknown`].
    pub timeout: Duration,
}

impl Default for Options {
    fn default() -> Options {
        Options { timeout: Duration::from_secs(20) }
    }
}

/// A concrete value in a counterexample: the bits of a value of `ty`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Value {
    /// Its type.
    pub ty: Type,
    /// Its bits (low `ty.bits()` significant; a vector's 128, lane 0 lowest).
    pub bits: u128,
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let digits = (self.ty.bits() as usize).div_ceil(4);
        write!(f, "{:#0width$x}", self.bits, width = digits + 2)?;
        match self.ty {
            Type::F32 if f32::from_bits(self.bits as u32).is_nan() && self.bits & (1 << 22) == 0 => {
                f.write_str(" (signalling NaN)")
            }
            Type::F64 if f64::from_bits(self.bits as u64).is_nan() && self.bits & (1 << 51) == 0 => {
                f.write_str(" (signalling NaN)")
            }
            Type::F32 => write!(f, " ({:?})", f32::from_bits(self.bits as u32)),
            Type::F64 => write!(f, " ({:?})", f64::from_bits(self.bits as u64)),
            vector if vector.is_vector() => Ok(()),
            int => {
                let w = int.bits();
                let signed = ((self.bits << (128 - w)) as i128) >> (128 - w);
                if signed < 0 { write!(f, " ({} = {signed})", self.bits) } else { write!(f, " ({signed})") }
            }
        }
    }
}

/// Inputs on which the two sides of a rule differ.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Counterexample {
    /// Every variable of the rule (in [`RuleInstance::vars`] order) with its
    /// value.
    pub inputs: Vec<(String, Value)>,
    /// The left side's value.
    pub lhs: Value,
    /// The right side's value, or `None` where it traps (or leaves its
    /// domain) although the left side does not.
    pub rhs: Option<Value>,
    /// Whether Wasm lets the left side's sign be either at these inputs
    /// (see [`Counterexample::allowed`]).
    pub lhs_sign_free: bool,
    /// What Wasm lets the left side's other bits be at these inputs.
    pub lhs_nans: NanClass,
}

impl Counterexample {
    /// The patterns Wasm allows the left side at these inputs (for a float;
    /// exactly [`Counterexample::lhs`] otherwise); the right side's value is
    /// not among them.
    pub fn allowed(&self) -> Allowed {
        Allowed { bits: self.lhs.bits, sign_free: self.lhs_sign_free, class: self.lhs_nans }
    }
}

impl fmt::Display for Counterexample {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inputs: Vec<String> = self.inputs.iter().map(|(n, v)| format!("{n} = {v}")).collect();
        write!(f, "{}; lhs = {}, rhs = ", inputs.join(", "), self.lhs)?;
        match &self.rhs {
            Some(v) => {
                write!(f, "{v}")?;
                if v.ty.is_float() {
                    write!(f, ", where the left side allows {}", describe(&self.allowed()))?;
                }
                Ok(())
            }
            None => f.write_str("traps (undefined where the left side is defined)"),
        }
    }
}

/// The set of patterns `allowed` in words.
fn describe(allowed: &Allowed) -> String {
    let sign = if allowed.sign_free { "either sign" } else { "its sign" };
    match allowed.class {
        NanClass::Exact if !allowed.sign_free => "its bits only".to_owned(),
        NanClass::Exact => "its bits with either sign".to_owned(),
        NanClass::Canonical => format!("a canonical NaN of {sign}"),
        NanClass::Arithmetic => format!("a quiet NaN of {sign}"),
    }
}

/// What the verifier concluded about one rule instance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// The two sides agree on every input the side conditions allow.
    Proved,
    /// They differ on these inputs.
    Counterexample(Counterexample),
    /// The side conditions (with the left side's definedness) can never
    /// hold, so the rule never fires.
    NeverFires,
    /// The instance does not type-check (the sides differ in type, or a
    /// term is ill-sorted).
    IllTyped(String),
    /// Z3 gave no answer (e.g. the timeout); never a pass.
    Unknown(String),
}

impl Verdict {
    /// Whether the instance is proved.
    pub fn is_proved(&self) -> bool {
        matches!(self, Verdict::Proved)
    }

    /// Whether the verdict is [`Verdict::Unknown`].
    pub fn is_unknown(&self) -> bool {
        matches!(self, Verdict::Unknown(_))
    }

    /// A one-word name: `proved`, `counterexample`, `never_fires`,
    /// `ill_typed`, `unknown`.
    pub fn name(&self) -> &'static str {
        match self {
            Verdict::Proved => "proved",
            Verdict::Counterexample(_) => "counterexample",
            Verdict::NeverFires => "never_fires",
            Verdict::IllTyped(_) => "ill_typed",
            Verdict::Unknown(_) => "unknown",
        }
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Verdict::Proved => f.write_str("proved"),
            Verdict::Counterexample(cex) => write!(f, "counterexample: {cex}"),
            Verdict::NeverFires => f.write_str("the side conditions never hold: the rule never fires"),
            Verdict::IllTyped(what) => write!(f, "does not type-check: {what}"),
            Verdict::Unknown(why) => write!(f, "unknown ({why})"),
        }
    }
}

impl From<EncodeError> for Verdict {
    fn from(e: EncodeError) -> Verdict {
        Verdict::IllTyped(e.to_string())
    }
}

/// Verifies one rule instance against the operator instances `ops` it
/// refers to. Runs on the calling thread's Z3 context.
pub fn verify_instance(ops: &[OpInstance], instance: &RuleInstance, options: &Options) -> Verdict {
    match query(ops, instance, options) {
        Ok(verdict) | Err(verdict) => verdict,
    }
}

/// How many assignments of a rule's constants its side conditions may allow
/// for the verifier to find them one model at a time and prove the rule one
/// assignment at a time (see [`query`]).
const ENUMERATION_LIMIT: usize = 64;

/// The largest bound, below which the side conditions must keep each of a
/// rule's constants, for the verifier to try every value in turn (shift
/// counts below the width: at most 64).
const BOUND_LIMIT: u64 = 64;

/// How many points a box of bounded constants may have (two counts below 64
/// each: 4096) for the verifier to prove the rule one point at a time.
const BOX_LIMIT: u64 = 4096;

/// The time left to one instance: every Z3 call it makes shares one budget.
struct Deadline {
    started: Instant,
    budget: Duration,
}

impl Deadline {
    fn new(budget: Duration) -> Deadline {
        Deadline { started: Instant::now(), budget }
    }

    /// A solver whose timeout is the time left (at least a millisecond).
    fn solver(&self) -> Solver {
        let solver = Solver::new();
        let left = self.budget.saturating_sub(self.started.elapsed()).max(Duration::from_millis(1));
        let mut params = Params::new();
        params.set_u32("timeout", u32::try_from(left.as_millis()).unwrap_or(u32::MAX));
        solver.set_params(&params);
        solver
    }

    /// Whether the budget is spent.
    fn expired(&self) -> bool {
        self.started.elapsed() >= self.budget
    }

    /// The verdict for an instance whose budget ran out between queries.
    fn timeout(&self) -> Verdict {
        Verdict::Unknown(format!("timeout after {:.1}s", self.budget.as_secs_f64()))
    }

    /// The verdict for a solver that answered `unknown`.
    fn unknown(&self, solver: &Solver) -> Verdict {
        let reason = solver.get_reason_unknown().unwrap_or_else(|| "no reason given".to_owned());
        if self.started.elapsed() >= self.budget {
            Verdict::Unknown(format!("timeout after {:.1}s: {reason}", self.budget.as_secs_f64()))
        } else {
            Verdict::Unknown(reason)
        }
    }
}

/// Every point of the box `0 <= c < bound(c)` for each of `consts`, if the
/// side conditions `conds` bound every one of them below [`BOUND_LIMIT`]
/// and the box has at most [`BOX_LIMIT`] points; `None` otherwise. A bound
/// is proved (`conds ∧ c >= bound` unsatisfiable), so every assignment the
/// conditions allow is in the box. Of its points, those at which Z3's
/// simplifier rewrites the conditions to `false` are left out (the
/// conditions exclude them: a + b < w leaves 2080 of the 4096 pairs of
/// counts below 64); others the conditions exclude may remain, and are
/// proved like the rest.
fn bounded_box(conds: &Bool, consts: &[BV], deadline: &Deadline) -> Option<Vec<Vec<BV>>> {
    let mut bounds = Vec::with_capacity(consts.len());
    for c in consts {
        bounds.push(bound(conds, c, deadline)?);
    }
    let points = bounds.iter().try_fold(1u64, |n, &b| n.checked_mul(b).filter(|&n| n <= BOX_LIMIT))?;
    let mut found = Vec::with_capacity(usize::try_from(points).ok()?);
    for mut point in 0..points {
        let mut values = Vec::with_capacity(consts.len());
        for (c, &b) in consts.iter().zip(&bounds) {
            values.push(BV::from_u64(point % b, c.get_size()));
            point /= b;
        }
        let fixed: Vec<(&BV, &BV)> = consts.iter().zip(&values).collect();
        if conds.substitute(&fixed).simplify().as_bool() != Some(false) {
            found.push(values);
        }
    }
    Some(found)
}

/// The least power of two, at most [`BOUND_LIMIT`], that `conds` keep `c`
/// (unsigned) below; `None` if there is none or Z3 cannot tell in the time
/// left.
fn bound(conds: &Bool, c: &BV, deadline: &Deadline) -> Option<u64> {
    let w = c.get_size();
    let below = |bound: u64| -> Option<bool> {
        if w < u64::BITS && bound >= 1 << w {
            return Some(true);
        }
        let s = deadline.solver();
        s.assert(conds);
        s.assert(c.bvuge(BV::from_u64(bound, w)));
        match s.check() {
            SatResult::Unsat => Some(true),
            SatResult::Sat => Some(false),
            SatResult::Unknown => None,
        }
    };
    if !below(BOUND_LIMIT)? {
        return None;
    }
    let mut bound = BOUND_LIMIT;
    while bound > 1 && below(bound / 2)? {
        bound /= 2;
    }
    Some(bound)
}

/// Every assignment of `consts` allowed by `conds`, if there are at most
/// [`ENUMERATION_LIMIT`] (found by blocking each model in turn until the
/// conditions become unsatisfiable); `None` if there are more, or Z3 cannot
/// tell in the time left.
fn enumerate(conds: &Bool, consts: &[BV], deadline: &Deadline) -> Option<Vec<Vec<BV>>> {
    let s = deadline.solver();
    s.assert(conds);
    let mut found = Vec::new();
    loop {
        match s.check() {
            SatResult::Unsat => return Some(found),
            SatResult::Unknown => return None,
            SatResult::Sat => {}
        }
        if found.len() == ENUMERATION_LIMIT {
            return None;
        }
        let model = s.get_model()?;
        let values = consts.iter().map(|c| model.eval(c, true)).collect::<Option<Vec<BV>>>()?;
        let differs: Vec<Bool> = consts.iter().zip(&values).map(|(c, v)| c.eq(v).not()).collect();
        s.assert(Bool::or(&differs));
        found.push(values);
    }
}

/// Builds and runs the queries of one instance. `Err` carries a verdict
/// reached before any query (an encoding error).
///
/// When the side conditions pin the rule's constants down to a few
/// assignments, each assignment is a case proved separately: with the
/// constants fixed Z3 folds the terms (a division by a known power of two
/// is a shift, a shift by a known count is rewiring), where one query over
/// all of them makes it reason about divider circuits and chains of
/// barrel shifters. The cases are
///
/// - every point of a box, when the conditions bound each constant below a
///   small power of two and the box is small ([`bounded_box`]: two shift
///   counts below 64, 4096 points, 2080 of them with a sum below 64), or else
/// - the assignments the conditions allow, when there are at most
///   [`ENUMERATION_LIMIT`] ([`enumerate`]: `c` a power of two, 64 at i64).
///
/// Either way they are exhaustive (the bounds are proved, and only points
/// whose conditions simplify to `false` are left out of a box; the
/// enumeration stops when the conditions with every found assignment
/// excluded are unsatisfiable), so proving every case proves the rule. A
/// case is proved when Z3's simplifier rewrites the query with the
/// constants substituted to `false` (an equivalence, so the case has no
/// counterexample), and otherwise by the
/// solver on the query with the constants asserted equal to their values,
/// whose model is a counterexample. All the cases share one budget.
fn query(ops: &[OpInstance], instance: &RuleInstance, options: &Options) -> Result<Verdict, Verdict> {
    let deadline = Deadline::new(options.timeout);
    let mut enc = RuleEncoder::new(ops, instance);
    let mut conds: Vec<Bool> = Vec::new();
    for cond in &instance.conds {
        let Encoded { value, defined } = enc.condition(cond)?;
        if let Term::Bool(b) = value {
            conds.push(b);
        }
        conds.push(defined);
    }
    let conds = Bool::and(&conds);
    let lhs = enc.term(&instance.lhs)?;
    let rhs = enc.term(&instance.rhs)?;
    let want = instance.ty.sem();
    if lhs.value.ty() != want || rhs.value.ty() != want {
        return Err(Verdict::IllTyped(format!(
            "the left side is a {}, the right side a {}, the rule a {}",
            lhs.value.ty(),
            rhs.value.ty(),
            instance.ty
        )));
    }

    // 1. Can the rule fire at all?
    let premise = Bool::and(&[conds.clone(), lhs.defined.clone()]).simplify();
    if premise.as_bool() != Some(true) {
        let s = deadline.solver();
        s.assert(&premise);
        match s.check() {
            SatResult::Sat => {}
            SatResult::Unsat => return Ok(Verdict::NeverFires),
            SatResult::Unknown => return Ok(deadline.unknown(&s)),
        }
    }

    // 2. Do the sides agree wherever it fires?
    let refutation = Bool::and(&[rhs.defined.clone(), refines(&lhs.value, &rhs.value)?]).not();
    let consts: Vec<BV> = instance
        .vars
        .iter()
        .zip(enc.vars())
        .filter(|(v, _)| v.is_const)
        .filter_map(|(_, t)| t.bits().cloned())
        .collect();
    let cases = if instance.conds.is_empty() || consts.is_empty() {
        None
    } else {
        bounded_box(&conds, &consts, &deadline).or_else(|| enumerate(&conds, &consts, &deadline))
    };
    let whole = Bool::and(&[premise.clone(), refutation.clone()]);
    for values in cases.unwrap_or_else(|| vec![vec![]]) {
        if deadline.expired() {
            return Ok(deadline.timeout());
        }
        let fixed: Vec<(&BV, &BV)> = consts.iter().zip(&values).collect();
        if !fixed.is_empty() && whole.substitute(&fixed).simplify().as_bool() == Some(false) {
            continue;
        }
        let s = deadline.solver();
        s.assert(&whole);
        for (c, v) in &fixed {
            s.assert((*c).eq(*v));
        }
        match s.check() {
            SatResult::Unsat => {}
            SatResult::Unknown => return Ok(deadline.unknown(&s)),
            SatResult::Sat => {
                let model = s.get_model().ok_or_else(|| Verdict::Unknown("Z3 found no model".to_owned()))?;
                let cex = counterexample(&model, instance, &enc, &lhs, &rhs)?;
                return Ok(Verdict::Counterexample(cex));
            }
        }
    }
    Ok(Verdict::Proved)
}

/// Reads the inputs and both sides' values out of a model.
fn counterexample(
    model: &Model,
    instance: &RuleInstance,
    enc: &RuleEncoder<'_>,
    lhs: &Encoded,
    rhs: &Encoded,
) -> Result<Counterexample, Verdict> {
    let value_of = |term: &Term, ty: Type| -> Result<Value, Verdict> {
        let bits = term
            .bits()
            .and_then(|b| model.eval(b, true))
            .and_then(|b| crate::smt::numeral_value(&b))
            .ok_or_else(|| Verdict::Unknown("Z3's model has no value for a term".to_owned()))?;
        Ok(Value { ty, bits })
    };
    let mut inputs = Vec::with_capacity(instance.vars.len());
    for (var, term) in instance.vars.iter().zip(enc.vars()) {
        inputs.push((var.name.clone(), value_of(term, var.ty)?));
    }
    let rhs_defined = model.eval(&rhs.defined, true).and_then(|b| b.as_bool()).unwrap_or(false);
    let lhs_value = value_of(&lhs.value, instance.ty)?;
    let holds = |b: &Bool| model.eval(b, true).and_then(|b| b.as_bool()).unwrap_or(false);
    let (lhs_sign_free, lhs_nans) = match &lhs.value {
        Term::Float(_, _, nans) => (
            holds(&nans.sign_free),
            if holds(&nans.canonical) {
                NanClass::Canonical
            } else if holds(&nans.arithmetic) {
                NanClass::Arithmetic
            } else {
                NanClass::Exact
            },
        ),
        _ => (false, NanClass::Exact),
    };
    Ok(Counterexample {
        inputs,
        lhs: lhs_value,
        rhs: if rhs_defined { Some(value_of(&rhs.value, instance.ty)?) } else { None },
        lhs_sign_free,
        lhs_nans,
    })
}
