//! The type checker: turns parsed declarations and rules into monomorphic,
//! typed instances.
//!
//! An operator declaration with type variables becomes one [`OpInstance`]
//! per assignment of its variables (filtered by its constraints), each with
//! its semantics as a typed [`Sem`] term. A rule is type-inferred once
//! (unification over the operators' type variables) and then instantiated
//! at every assignment of its own type variables into [`RuleInstance`]s.
//! The verifier, the evaluator and the e-graph only ever see instances.

use std::collections::HashMap;

use crate::ast::{
    ConstCtor, OpDecl, OpKind, Pattern, Prim, Rule, SemExpr, TrapCode, TypeConstraint, TypeParam, TypeRef,
    Width,
};
use crate::error::{Pos, RuleError};
use crate::types::{FloatFormat, SemType, Type, TypeClass, wide_mask};

/// Index of an operator instance in [`crate::RuleSet::ops`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct OpInstId(pub u32);

impl OpInstId {
    /// The index as a `usize`.
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// A typed, monomorphic semantic term: what a [`SemExpr`] becomes once every
/// type variable has a type. Widths are plain numbers; literals carry their
/// bits; every node knows its type.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Sem {
    /// Variable `index`: an operand of the operator, or a variable of the
    /// rule (see [`RuleInstance::vars`]).
    Var {
        /// Which variable.
        index: usize,
        /// Its type.
        ty: SemType,
    },
    /// A constant: bits of a bit vector or float (masked to the width), or
    /// 0/1 for a boolean.
    Const {
        /// The bits (a `u128`: vectors are 128 bits wide).
        bits: u128,
        /// Its type.
        ty: SemType,
    },
    /// A primitive application. `imms` are widths in bits; for primitives
    /// whose immediate is a float format (`to_fp`, `sbv_to_fp`, `ubv_to_fp`,
    /// `bits_to_fp`) it is 32 or 64.
    App {
        /// The primitive; never [`Prim::Bitcast`].
        prim: Prim,
        /// Immediates, resolved to numbers.
        imms: Vec<u32>,
        /// Operands.
        args: Vec<Sem>,
        /// The result type.
        ty: SemType,
    },
}

impl Sem {
    /// The term's type.
    pub fn ty(&self) -> SemType {
        match self {
            Sem::Var { ty, .. } | Sem::Const { ty, .. } | Sem::App { ty, .. } => *ty,
        }
    }
}

/// One monomorphic instance of an operator declaration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpInstance {
    /// The concrete name: the Wasm name for Wasm operators (`i32.add`), the
    /// name followed by `.type` for each type variable otherwise
    /// (`iadd.i32`, `uextend.i32.i64`, `div_by_zero.i64`).
    pub name: String,
    /// Index of the declaration in [`crate::RuleSet::decls`].
    pub decl: usize,
    /// The declaration's name (`iadd`, `{T}.add`).
    pub decl_name: String,
    /// Wasm, CLIF or trap condition.
    pub kind: OpKind,
    /// The type bound to each of the declaration's type variables, in order.
    pub type_args: Vec<Type>,
    /// Operand types.
    pub operands: Vec<Type>,
    /// Operand names, as the semantics' [`Sem::Var`] indices refer to them.
    pub operand_names: Vec<String>,
    /// Result type.
    pub result: Type,
    /// The result's value over the operands.
    pub semantics: Sem,
    /// Trap conditions checked (in order) before the value is meaningful:
    /// the trap operator's instance and which of this operator's operands
    /// it takes.
    pub traps: Vec<(OpInstId, Vec<usize>)>,
    /// For a trap-condition operator, the trap it raises.
    pub trap_code: Option<TrapCode>,
}

/// A variable of a rule instance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleVar {
    /// Its name in the rule.
    pub name: String,
    /// Its type in this instance.
    pub ty: Type,
    /// Whether it names a constant (`c` in `(iconst c)`) rather than any value.
    pub is_const: bool,
}

/// A side of a rule instance.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Term {
    /// Variable `index` of [`RuleInstance::vars`].
    Var(usize),
    /// An operator instance applied to operands.
    Op {
        /// The operator instance.
        op: OpInstId,
        /// Its operands.
        args: Vec<Term>,
    },
    /// A constant of type `ty`. On a left side `value` is a literal or a
    /// constant variable; on a right side any term over the left side's
    /// constant variables, of type `ty.sem()`.
    Const {
        /// The constant's type.
        ty: Type,
        /// Its value.
        value: Sem,
    },
}

/// One rule at one assignment of its type variables.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleInstance {
    /// Index of the rule in [`crate::RuleSet::rules`].
    pub rule: usize,
    /// The rule's name.
    pub name: String,
    /// The type bound to each of the rule's type variables, in order.
    pub type_args: Vec<Type>,
    /// Every variable of the rule, value and constant, in order of first
    /// appearance on the left side.
    pub vars: Vec<RuleVar>,
    /// The left side.
    pub lhs: Term,
    /// The right side.
    pub rhs: Term,
    /// Side conditions (booleans over constant variables); all must hold.
    pub conds: Vec<Sem>,
    /// The type of both sides.
    pub ty: Type,
}

impl RuleInstance {
    /// The instance's unique name: the rule's name followed by `.type` for
    /// each type argument (`imul_pow2.i32`); the name of its `egg` rewrite.
    pub fn qualified_name(&self) -> String {
        std::iter::once(self.name.as_str())
            .chain(self.type_args.iter().map(|t| t.name()))
            .collect::<Vec<_>>()
            .join(".")
    }

    /// Whether this is a lowering rule: its left side is a Wasm or trap
    /// operator (and then its right side uses CLIF operators only).
    pub fn is_lowering(&self, ops: &[OpInstance]) -> bool {
        match &self.lhs {
            Term::Op { op, .. } => ops.get(op.index()).is_some_and(|o| o.kind != OpKind::Clif),
            _ => false,
        }
    }
}

/// The checked contents of a set of rule files.
#[derive(Debug, Clone, Default)]
pub(crate) struct Checked {
    pub(crate) ops: Vec<OpInstance>,
    pub(crate) op_names: HashMap<String, OpInstId>,
    pub(crate) rule_instances: Vec<RuleInstance>,
}

/// The substitution of type variables in force.
type Subst<'a> = HashMap<&'a str, Type>;

/// Every assignment of `params` satisfying `constraints`, in order.
fn assignments(params: &[TypeParam], constraints: &[TypeConstraint]) -> Vec<Vec<Type>> {
    let mut out: Vec<Vec<Type>> = vec![vec![]];
    for p in params {
        out = out
            .into_iter()
            .flat_map(|prefix| {
                p.class.members().into_iter().map(move |t| {
                    let mut v = prefix.clone();
                    v.push(t);
                    v
                })
            })
            .collect();
    }
    out.retain(|a| {
        let ty =
            |n: &str| params.iter().position(|p| p.name == n).map(|i| a[i]).or_else(|| Type::from_name(n));
        constraints.iter().all(|c| match c {
            TypeConstraint::SameWidth(x, y) => ty(x).zip(ty(y)).is_some_and(|(x, y)| x.bits() == y.bits()),
            TypeConstraint::Narrower(x, y) => ty(x).zip(ty(y)).is_some_and(|(x, y)| x.bits() < y.bits()),
            TypeConstraint::SameLanes(x, y) => ty(x).zip(ty(y)).is_some_and(|(x, y)| {
                x.lane_type().bits() == y.lane_type().bits() && x.lane_count() == y.lane_count()
            }),
            TypeConstraint::DoubleLanes(x, y) => {
                ty(x).zip(ty(y)).is_some_and(|(x, y)| x.lane_type().bits() == 2 * y.lane_type().bits())
            }
        })
    });
    out
}

/// A piece of a name template: `{T}.trunc_{F}_s` is
/// `[Var T, Lit ".trunc_", Var F, Lit "_s"]`.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Seg {
    Lit(String),
    Var(String),
}

fn segments(name: &str) -> Option<Vec<Seg>> {
    let mut out = Vec::new();
    let mut rest = name;
    while let Some(open) = rest.find('{') {
        if open > 0 {
            out.push(Seg::Lit(rest[..open].to_owned()));
        }
        let close = rest[open..].find('}')? + open;
        out.push(Seg::Var(rest[open + 1..close].to_owned()));
        rest = &rest[close + 1..];
    }
    if rest.contains('}') {
        return None;
    }
    if !rest.is_empty() {
        out.push(Seg::Lit(rest.to_owned()));
    }
    Some(out)
}

fn instance_name(decl: &OpDecl, args: &[Type]) -> String {
    let mut name = decl.name.clone();
    let mut suffix = String::new();
    for (p, t) in decl.params.iter().zip(args) {
        let pat = format!("{{{}}}", p.name);
        if name.contains(&pat) {
            name = name.replace(&pat, t.name());
        } else {
            suffix.push('.');
            suffix.push_str(t.name());
        }
    }
    name + &suffix
}

fn resolve_type(file: &str, pos: Pos, t: &TypeRef, subst: &Subst) -> Result<Type, RuleError> {
    match t {
        TypeRef::Concrete(t) => Ok(*t),
        TypeRef::Var(v) => subst
            .get(v.as_str())
            .copied()
            .ok_or_else(|| RuleError::new(file, pos, format!("unknown type or type variable `{v}`"))),
    }
}

/// A width expression's value: type variables by `subst`, lane indices of
/// enclosing `(lanes i ...)` by `indices`.
fn resolve_width(
    file: &str,
    pos: Pos,
    w: &Width,
    subst: &Subst,
    indices: &[(String, u32)],
) -> Result<u32, RuleError> {
    let go = |w: &Width| resolve_width(file, pos, w, subst, indices);
    let overflow = || RuleError::new(file, pos, "width expression overflows");
    Ok(match w {
        Width::Lit(n) => *n,
        Width::Of(TypeRef::Var(v)) if indices.iter().any(|(i, _)| i == v) => {
            indices.iter().rev().find(|(i, _)| i == v).map_or(0, |(_, n)| *n)
        }
        Width::Of(t) => resolve_type(file, pos, t, subst)?.bits(),
        Width::LaneCount(t) => resolve_type(file, pos, t, subst)?.lane_count(),
        Width::LaneBits(t) => resolve_type(file, pos, t, subst)?.lane_type().bits(),
        Width::Sub(a, b) => go(a)?
            .checked_sub(go(b)?)
            .ok_or_else(|| RuleError::new(file, pos, "width expression is negative"))?,
        Width::Add(a, b) => go(a)?.checked_add(go(b)?).ok_or_else(overflow)?,
        Width::Mul(a, b) => go(a)?.checked_mul(go(b)?).ok_or_else(overflow)?,
        Width::Div(a, b) => {
            let (a, b) = (go(a)?, go(b)?);
            match a.checked_rem(b) {
                Some(0) => a / b,
                _ => return Err(RuleError::new(file, pos, format!("width {a} is not a multiple of {b}"))),
            }
        }
    })
}

/// The widest bit vector semantic expressions have: a `v128`.
const MAX_BV: u32 = 128;

/// Type-checks generic semantic expressions at one substitution.
pub(crate) struct SemChecker<'a> {
    pub(crate) file: &'a str,
    pub(crate) subst: &'a Subst<'a>,
    /// Variables in scope: name → (index, type).
    pub(crate) vars: &'a HashMap<String, (usize, SemType)>,
    /// What the instantiation is of, for messages (`i32.add`).
    pub(crate) context: &'a str,
    /// The lane indices of the enclosing `(lanes i ...)`, innermost last.
    pub(crate) indices: &'a [(String, u32)],
}

impl SemChecker<'_> {
    fn err(&self, pos: Pos, msg: impl std::fmt::Display) -> RuleError {
        RuleError::new(self.file, pos, format!("{msg} (in {})", self.context))
    }

    /// Whether `e`'s type can be found without an expected type.
    fn self_typed(e: &SemExpr) -> bool {
        use Prim::*;
        match e {
            SemExpr::Var { .. } | SemExpr::Lit { width: Some(_), .. } | SemExpr::Lane { .. } => true,
            SemExpr::Lanes { body, .. } => Self::self_typed(body),
            SemExpr::Lit { width: None, .. } | SemExpr::Float { .. } | SemExpr::WidthOf { .. } => false,
            // Operators whose result has their operands' type are typed
            // exactly when one of those operands is.
            SemExpr::App { prim: Ite, args, .. } => args[1..].iter().any(Self::self_typed),
            SemExpr::App {
                prim:
                    BvAdd | BvSub | BvMul | BvUdiv | BvSdiv | BvUrem | BvSrem | BvAnd | BvOr | BvXor | BvShl
                    | BvLshr | BvAshr | Rotl | Rotr | BvNot | BvNeg | Clz | Ctz | Popcnt | FAdd | FSub | FMul
                    | FDiv | FMinWasm | FMaxWasm | FCopysign | FSqrt | FRoundCeil | FRoundFloor | FRoundTrunc
                    | FRoundNearest | FAbs | FNeg,
                args,
                ..
            } => args.iter().any(Self::self_typed),
            SemExpr::App { .. } => true,
        }
    }

    fn float_format(&self, pos: Pos, bits: u32) -> Result<FloatFormat, RuleError> {
        match bits {
            32 => Ok(FloatFormat::F32),
            64 => Ok(FloatFormat::F64),
            _ => Err(self.err(pos, format!("expected a float type (f32 or f64), found a width of {bits}"))),
        }
    }

    /// Checks `e`, with `expected` its type if the context knows it.
    pub(crate) fn check(&self, e: &SemExpr, expected: Option<SemType>) -> Result<Sem, RuleError> {
        let sem = self.check_inner(e, expected)?;
        if let Some(want) = expected
            && sem.ty() != want
        {
            return Err(self.err(e.pos(), format!("expected {want}, found {}", sem.ty())));
        }
        Ok(sem)
    }

    fn literal(&self, pos: Pos, value: i128, ty: Option<SemType>) -> Result<Sem, RuleError> {
        let Some(ty) = ty else {
            return Err(self.err(pos, "cannot tell the width of this literal from its context"));
        };
        let bits = match ty {
            SemType::Bv(w) => w,
            SemType::Float(f) => f.bits(),
            SemType::Bool => return Err(self.err(pos, "a literal cannot be a boolean")),
        };
        let fits = bits >= 127
            || (value >= 0 && value < (1i128 << bits))
            || (value < 0 && value >= -(1i128 << (bits - 1)));
        if !fits {
            return Err(self.err(pos, format!("literal {value} does not fit in {bits} bits")));
        }
        // Two's complement of a negative literal, masked to the width.
        Ok(Sem::Const { bits: (value as u128) & wide_mask(bits), ty })
    }

    fn check_inner(&self, e: &SemExpr, expected: Option<SemType>) -> Result<Sem, RuleError> {
        match e {
            SemExpr::Var { name, pos } => match self.vars.get(name) {
                Some((index, ty)) => Ok(Sem::Var { index: *index, ty: *ty }),
                None => Err(self.err(*pos, format!("unknown variable `{name}`"))),
            },
            SemExpr::Lit { value, hex, width: None, pos } => {
                let sem = self.literal(*pos, *value, expected)?;
                match sem {
                    // A float's bits are written in hex: a decimal integer
                    // reads as a number (`-1`), which its bits are not.
                    Sem::Const { bits, ty: SemType::Float(f) } if !hex && *value != 0 => Err(self.err(
                        *pos,
                        format!(
                            "`{value}` as an {} would be the float with bits {bits:#0width$x}, not the \
                             number {value}: write the number as a decimal float (`{value}.0`) or the \
                             bits in hex",
                            f.ty(),
                            width = 2 + f.bits() as usize / 4
                        ),
                    )),
                    sem => Ok(sem),
                }
            }
            SemExpr::Float { value, pos } => match expected {
                Some(SemType::Float(f)) => {
                    let bits = value.bits(f).map_err(|e| self.err(*pos, e))?;
                    Ok(Sem::Const { bits: u128::from(bits), ty: SemType::Float(f) })
                }
                Some(other) => Err(self.err(
                    *pos,
                    format!("the float literal `{value}` where {other} is expected: integers have no `.`"),
                )),
                None => Err(self.err(
                    *pos,
                    format!("cannot tell whether the float literal `{value}` is an f32 or an f64 here"),
                )),
            },
            SemExpr::Lit { value, width: Some(w), pos, .. } => {
                let w = self.width(*pos, w)?;
                if w == 0 || w > MAX_BV {
                    return Err(self.err(*pos, format!("literal width {w} is not in 1..={MAX_BV}")));
                }
                self.literal(*pos, *value, Some(SemType::Bv(w)))
            }
            SemExpr::WidthOf { width, pos } => {
                let w = self.width(*pos, width)?;
                match expected {
                    Some(SemType::Bv(_)) => self.literal(*pos, i128::from(w), expected),
                    _ => Err(self.err(*pos, "`(width T)` is a bit-vector literal; its width must be known")),
                }
            }
            SemExpr::App { prim, imms, args, pos } => self.app(*prim, imms, args, *pos, expected),
            SemExpr::Lanes { index, count, body, pos } => self.lanes(index, count, body, *pos),
            SemExpr::Lane { ty, vector, index, pos } => self.lane(ty, vector, index, *pos),
        }
    }

    fn width(&self, pos: Pos, w: &Width) -> Result<u32, RuleError> {
        resolve_width(self.file, pos, w, self.subst, self.indices)
    }

    /// `(lanes i N BODY)`: `BODY` at `i = 0 .. N`, concatenated with lane 0
    /// lowest; float lanes as their bits.
    fn lanes(&self, index: &str, count: &Width, body: &SemExpr, pos: Pos) -> Result<Sem, RuleError> {
        let n = self.width(pos, count)?;
        let mut indices = self.indices.to_vec();
        indices.push((index.to_owned(), 0));
        let mut acc: Option<Sem> = None;
        let mut lane_ty = None;
        for i in 0..n {
            if let Some(last) = indices.last_mut() {
                last.1 = i;
            }
            let inner = SemChecker { indices: &indices, ..*self };
            let mut lane = inner.check(body, lane_ty)?;
            lane_ty = Some(lane.ty());
            if let SemType::Float(f) = lane.ty() {
                lane =
                    Sem::App { prim: Prim::FBits, imms: vec![], args: vec![lane], ty: SemType::Bv(f.bits()) };
            }
            let w = self.bv_width(&lane, pos)?;
            acc = Some(match acc {
                None => lane,
                Some(low) => {
                    let total = self.bv_width(&low, pos)? + w;
                    if total > MAX_BV {
                        return Err(
                            self.err(pos, format!("`lanes` makes a vector of more than {MAX_BV} bits"))
                        );
                    }
                    Sem::App {
                        prim: Prim::Concat,
                        imms: vec![],
                        args: vec![lane, low],
                        ty: SemType::Bv(total),
                    }
                }
            });
        }
        acc.ok_or_else(|| self.err(pos, "`lanes` needs at least one lane"))
    }

    /// `(lane T v I)`: bits `w·I .. w·I+w` of `v`, `w` the width of `T`'s
    /// lane type; as a float if that is a float type.
    fn lane(&self, ty: &Width, vector: &SemExpr, index: &Width, pos: Pos) -> Result<Sem, RuleError> {
        let lane_ty = match ty {
            Width::Of(t) if !matches!(t, TypeRef::Var(v) if self.indices.iter().any(|(i, _)| i == v)) => {
                Some(resolve_type(self.file, pos, t, self.subst)?.lane_type())
            }
            _ => None,
        };
        let w = match lane_ty {
            Some(t) => t.bits(),
            None => self.width(pos, ty)?,
        };
        let i = self.width(pos, index)?;
        let v = self.check(vector, None)?;
        let vw = self.bv_width(&v, pos)?;
        let lo = i.checked_mul(w).filter(|lo| w > 0 && lo.checked_add(w).is_some_and(|hi| hi <= vw));
        let Some(lo) = lo else {
            return Err(self.err(pos, format!("lane {i} of {w} bits is outside a {vw}-bit value")));
        };
        let bits = if lo == 0 && w == vw {
            v
        } else {
            Sem::App { prim: Prim::Extract, imms: vec![lo + w - 1, lo], args: vec![v], ty: SemType::Bv(w) }
        };
        Ok(match lane_ty.map(Type::sem) {
            Some(SemType::Float(f)) => Sem::App {
                prim: Prim::BitsToFp,
                imms: vec![f.bits()],
                args: vec![bits],
                ty: SemType::Float(f),
            },
            _ => bits,
        })
    }

    /// Checks operands that must all have one type; literals take it from
    /// their siblings, or from `fallback`.
    fn same_typed(&self, args: &[SemExpr], fallback: Option<SemType>) -> Result<Vec<Sem>, RuleError> {
        // Each operand is checked once: checking it again at its own type
        // would double the work at every level of nesting.
        let mut ty = None;
        let mut typed: Vec<Option<Sem>> = Vec::with_capacity(args.len());
        for a in args {
            if Self::self_typed(a) {
                let s = self.check(a, ty)?;
                ty = Some(s.ty());
                typed.push(Some(s));
            } else {
                typed.push(None);
            }
        }
        let ty = ty.or(fallback);
        args.iter().zip(typed).map(|(a, done)| done.map_or_else(|| self.check(a, ty), Ok)).collect()
    }

    fn bv_width(&self, s: &Sem, pos: Pos) -> Result<u32, RuleError> {
        match s.ty() {
            SemType::Bv(w) => Ok(w),
            other => Err(self.err(pos, format!("expected a bit vector, found {other}"))),
        }
    }

    fn float_of(&self, s: &Sem, pos: Pos) -> Result<FloatFormat, RuleError> {
        match s.ty() {
            SemType::Float(f) => Ok(f),
            other => Err(self.err(pos, format!("expected a float, found {other}"))),
        }
    }

    fn app(
        &self,
        prim: Prim,
        imms: &[Width],
        args: &[SemExpr],
        pos: Pos,
        expected: Option<SemType>,
    ) -> Result<Sem, RuleError> {
        use Prim::*;
        let imms: Vec<u32> = imms.iter().map(|w| self.width(pos, w)).collect::<Result<_, _>>()?;
        let (args, ty) = match prim {
            BvAdd | BvSub | BvMul | BvUdiv | BvSdiv | BvUrem | BvSrem | BvAnd | BvOr | BvXor | BvShl
            | BvLshr | BvAshr | Rotl | Rotr | BvNot | BvNeg | Clz | Ctz | Popcnt => {
                let args = self.same_typed(args, expected)?;
                let w = self.bv_width(&args[0], pos)?;
                (args, SemType::Bv(w))
            }
            BvEq | BvNe | BvUlt | BvUle | BvUgt | BvUge | BvSlt | BvSle | BvSgt | BvSge => {
                let args = self.same_typed(args, None)?;
                self.bv_width(&args[0], pos)?;
                (args, SemType::Bool)
            }
            Zext | Sext => {
                let a = self.check(&args[0], None)?;
                let w = self.bv_width(&a, pos)?;
                if imms[0] < w || imms[0] > MAX_BV {
                    return Err(self.err(
                        pos,
                        format!(
                            "`{}` to {} bits of a {w}-bit value: the target must be in {w}..={MAX_BV}",
                            prim.name(),
                            imms[0]
                        ),
                    ));
                }
                (vec![a], SemType::Bv(imms[0]))
            }
            Extract => {
                let a = self.check(&args[0], None)?;
                let w = self.bv_width(&a, pos)?;
                let (hi, lo) = (imms[0], imms[1]);
                if hi < lo || hi >= w {
                    return Err(
                        self.err(pos, format!("`extract {hi} {lo}` of a {w}-bit value is out of range"))
                    );
                }
                (vec![a], SemType::Bv(hi - lo + 1))
            }
            Concat => {
                let high = self.check(&args[0], None)?;
                let low = self.check(&args[1], None)?;
                let w = self.bv_width(&high, pos)? + self.bv_width(&low, pos)?;
                if w > MAX_BV {
                    return Err(self.err(pos, format!("`concat` of {w} bits: at most {MAX_BV}")));
                }
                (vec![high, low], SemType::Bv(w))
            }
            Ssat | Usat => {
                let a = self.check(&args[0], None)?;
                let w = self.bv_width(&a, pos)?;
                if imms[0] == 0 || imms[0] > w {
                    return Err(self.err(
                        pos,
                        format!(
                            "`{}` to {} bits of a {w}-bit value: the target must be in 1..={w}",
                            prim.name(),
                            imms[0]
                        ),
                    ));
                }
                (vec![a], SemType::Bv(imms[0]))
            }
            Ite => {
                let c = self.check(&args[0], Some(SemType::Bool))?;
                let mut rest = self.same_typed(&args[1..], expected)?;
                rest.insert(0, c);
                let ty = rest[1].ty();
                (rest, ty)
            }
            Bool2Bv => {
                if imms[0] == 0 || imms[0] > MAX_BV {
                    return Err(self.err(pos, format!("`bool2bv` width must be in 1..={MAX_BV}")));
                }
                (vec![self.check(&args[0], Some(SemType::Bool))?], SemType::Bv(imms[0]))
            }
            And | Or | Not => {
                let args =
                    args.iter().map(|a| self.check(a, Some(SemType::Bool))).collect::<Result<_, _>>()?;
                (args, SemType::Bool)
            }
            FAdd | FSub | FMul | FDiv | FMinWasm | FMaxWasm | FCopysign | FSqrt | FRoundCeil
            | FRoundFloor | FRoundTrunc | FRoundNearest | FAbs | FNeg => {
                let args = self.same_typed(args, expected)?;
                let f = self.float_of(&args[0], pos)?;
                (args, SemType::Float(f))
            }
            FEq | FLt | FLe | FGt | FGe | FIsNan => {
                let args = self.same_typed(args, None)?;
                self.float_of(&args[0], pos)?;
                (args, SemType::Bool)
            }
            ToFp => {
                let a = self.check(&args[0], None)?;
                self.float_of(&a, pos)?;
                (vec![a], SemType::Float(self.float_format(pos, imms[0])?))
            }
            SbvToFp | UbvToFp => {
                let a = self.check(&args[0], None)?;
                self.bv_width(&a, pos)?;
                (vec![a], SemType::Float(self.float_format(pos, imms[0])?))
            }
            FpToSbv | FpToUbv | FpToSbvSat | FpToUbvSat => {
                let a = self.check(&args[0], None)?;
                self.float_of(&a, pos)?;
                if imms[0] == 0 || imms[0] > 64 {
                    return Err(self.err(pos, format!("`{}` width must be in 1..=64", prim.name())));
                }
                (vec![a], SemType::Bv(imms[0]))
            }
            FBits => {
                let a = self.check(&args[0], None)?;
                let f = self.float_of(&a, pos)?;
                (vec![a], SemType::Bv(f.bits()))
            }
            BitsToFp => {
                let f = self.float_format(pos, imms[0])?;
                let a = self.check(&args[0], Some(SemType::Bv(f.bits())))?;
                (vec![a], SemType::Float(f))
            }
            Bitcast => {
                let a = self.check(&args[0], None)?;
                let target = match (&imms[..], expected) {
                    (_, Some(SemType::Float(f))) if f.bits() == imms[0] => SemType::Float(f),
                    _ => SemType::Bv(imms[0]),
                };
                return self.bitcast(a, target, pos);
            }
        };
        Ok(Sem::App { prim, imms, args, ty })
    }

    fn bitcast(&self, a: Sem, target: SemType, pos: Pos) -> Result<Sem, RuleError> {
        let from = a.ty();
        Ok(match (from, target) {
            (x, y) if x == y => a,
            (SemType::Float(f), SemType::Bv(w)) if f.bits() == w => {
                Sem::App { prim: Prim::FBits, imms: vec![], args: vec![a], ty: target }
            }
            (SemType::Bv(w), SemType::Float(f)) if f.bits() == w => {
                Sem::App { prim: Prim::BitsToFp, imms: vec![f.bits()], args: vec![a], ty: target }
            }
            _ => return Err(self.err(pos, format!("cannot bitcast {from} to {target}"))),
        })
    }
}

/// A type during rule inference.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ty {
    Known(Type),
    /// The rule's type variable with this index.
    Rigid(usize),
    /// A unification variable.
    Var(usize),
}

/// A set of types as bits, by position in [`Type::ALL`].
type Mask = u16;

/// Every type.
const ANY_TYPE: Mask = (1 << Type::ALL.len()) - 1;

fn mask_of(class: TypeClass) -> Mask {
    Type::ALL.iter().enumerate().filter(|(_, t)| class.contains(**t)).fold(0, |m, (i, _)| m | (1 << i))
}

fn mask_has(mask: Mask, t: Type) -> bool {
    Type::ALL.iter().position(|x| *x == t).is_some_and(|i| mask & (1 << i) != 0)
}

/// A typed pattern, mirroring [`Pattern`] after inference.
#[derive(Debug, Clone)]
enum TPat {
    Var(usize),
    Op { decl: usize, params: Vec<Ty>, args: Vec<TPat>, pos: Pos },
    Const { ty: Ty, value: SemExpr },
}

struct Infer<'a> {
    file: &'a str,
    rule: &'a Rule,
    binding: Vec<Option<Ty>>,
    mask: Vec<Mask>,
    rigid_mask: Vec<Mask>,
    /// Rule variables: name, type, is constant.
    vars: Vec<(String, Ty, bool)>,
}

impl Infer<'_> {
    fn err(&self, pos: Pos, msg: impl Into<String>) -> RuleError {
        RuleError::new(self.file, pos, msg)
    }

    fn fresh(&mut self, mask: Mask) -> Ty {
        self.binding.push(None);
        self.mask.push(mask);
        Ty::Var(self.binding.len() - 1)
    }

    fn resolve(&self, mut t: Ty) -> Ty {
        while let Ty::Var(i) = t {
            match self.binding[i] {
                Some(b) => t = b,
                None => break,
            }
        }
        t
    }

    fn show(&self, t: Ty) -> String {
        match self.resolve(t) {
            Ty::Known(t) => t.to_string(),
            Ty::Rigid(i) => self.rule.params.get(i).map_or("?".into(), |p| p.name.clone()),
            Ty::Var(i) => {
                let members: Vec<_> =
                    Type::ALL.iter().filter(|t| mask_has(self.mask[i], **t)).map(|t| t.name()).collect();
                format!("one of {{{}}}", members.join(", "))
            }
        }
    }

    fn unify(&mut self, a: Ty, b: Ty, pos: Pos, what: &str) -> Result<(), RuleError> {
        let (ra, rb) = (self.resolve(a), self.resolve(b));
        let mismatch =
            |s: &Self| s.err(pos, format!("type mismatch in {what}: {} versus {}", s.show(ra), s.show(rb)));
        match (ra, rb) {
            _ if ra == rb => Ok(()),
            (Ty::Var(i), Ty::Var(j)) => {
                let m = self.mask[i] & self.mask[j];
                if m == 0 {
                    return Err(mismatch(self));
                }
                self.mask[j] = m;
                self.binding[i] = Some(Ty::Var(j));
                Ok(())
            }
            (Ty::Var(i), other) | (other, Ty::Var(i)) => {
                let ok = match other {
                    Ty::Known(t) => mask_has(self.mask[i], t),
                    Ty::Rigid(r) => self.rigid_mask[r] & !self.mask[i] == 0,
                    Ty::Var(_) => false,
                };
                if !ok {
                    return Err(mismatch(self));
                }
                self.binding[i] = Some(other);
                Ok(())
            }
            _ => Err(mismatch(self)),
        }
    }

    fn type_ref(&self, t: &TypeRef, pos: Pos) -> Result<Ty, RuleError> {
        match t {
            TypeRef::Concrete(t) => Ok(Ty::Known(*t)),
            TypeRef::Var(v) => match self.rule.params.iter().position(|p| &p.name == v) {
                Some(i) => Ok(Ty::Rigid(i)),
                None => Err(self.err(pos, format!("unknown type or type variable `{v}`"))),
            },
        }
    }

    fn var(
        &mut self,
        name: &str,
        is_const: bool,
        mask: Mask,
        pos: Pos,
        lhs: bool,
    ) -> Result<(usize, Ty), RuleError> {
        if let Some(i) = self.vars.iter().position(|v| v.0 == name) {
            if self.vars[i].2 != is_const {
                let (was, now) = if is_const { ("a value", "a constant") } else { ("a constant", "a value") };
                return Err(self.err(pos, format!("`{name}` was bound as {was} and is used here as {now}")));
            }
            return Ok((i, self.vars[i].1));
        }
        if !lhs {
            return Err(self.err(pos, format!("`{name}` is not bound on the left-hand side")));
        }
        let t = self.fresh(mask);
        self.vars.push((name.to_owned(), t, is_const));
        Ok((self.vars.len() - 1, t))
    }

    fn pattern(&mut self, p: &Pattern, lhs: bool, decls: &Decls) -> Result<(TPat, Ty), RuleError> {
        match p {
            Pattern::Var { name, pos } => {
                let (i, t) = self.var(name, false, ANY_TYPE, *pos, lhs)?;
                Ok((TPat::Var(i), t))
            }
            Pattern::Typed { inner, ty, pos } => {
                let (tp, t) = self.pattern(inner, lhs, decls)?;
                let want = self.type_ref(ty, *pos)?;
                self.unify(t, want, *pos, "a type annotation")?;
                Ok((tp, t))
            }
            Pattern::Const { ctor, value, pos } => {
                let ty = match ctor {
                    ConstCtor::Iconst => self.fresh(mask_of(TypeClass::AnyInt)),
                    ConstCtor::F32const => Ty::Known(Type::F32),
                    ConstCtor::F64const => Ty::Known(Type::F64),
                    ConstCtor::Vconst => self
                        .fresh(Type::ALL.iter().filter(|t| t.is_vector()).fold(0, |m, t| m | 1 << t.index())),
                };
                match value {
                    SemExpr::Var { name, pos } => {
                        let (_, t) = self.var(name, true, ANY_TYPE, *pos, lhs)?;
                        self.unify(t, ty, *pos, "a constant")?;
                    }
                    SemExpr::Lit { .. } | SemExpr::Float { .. } => {}
                    _ if lhs => {
                        return Err(self
                            .err(*pos, "on the left-hand side a constant must be a literal or a variable"));
                    }
                    _ => {}
                }
                Ok((TPat::Const { ty, value: value.clone() }, ty))
            }
            Pattern::Op { op, args, pos } => {
                let candidates = decls.resolve(op);
                if candidates.is_empty() {
                    return Err(self.err(*pos, format!("unknown operator `{op}`")));
                }
                // The first declaration under which the whole pattern types
                // wins; the error reported is that of the first whose name
                // fits, else the first.
                let mut first_err: Option<(bool, RuleError)> = None;
                for (decl, pre) in candidates {
                    let saved = (self.binding.clone(), self.mask.clone(), self.vars.clone());
                    match self.op_pattern(op, decl, pre, args, *pos, lhs, decls) {
                        Ok(typed) => return Ok(typed),
                        Err((name_fits, e)) => {
                            (self.binding, self.mask, self.vars) = saved;
                            if first_err.as_ref().is_none_or(|(fits, _)| !fits && name_fits) {
                                first_err = Some((name_fits, e));
                            }
                        }
                    }
                }
                Err(first_err.map_or_else(|| self.err(*pos, format!("unknown operator `{op}`")), |(_, e)| e))
            }
        }
    }

    /// Types `(op args...)` as an application of declaration `decl`, whose
    /// type variables `pre` fixes by the name; an error says whether the
    /// name fitted.
    #[allow(clippy::too_many_arguments)]
    fn op_pattern(
        &mut self,
        op: &str,
        decl: usize,
        pre: Vec<(usize, TypeRef)>,
        args: &[Pattern],
        pos: Pos,
        lhs: bool,
        decls: &Decls,
    ) -> Result<(TPat, Ty), (bool, RuleError)> {
        let d = &decls.decls[decl];
        let params: Vec<Ty> = d.params.iter().map(|p| self.fresh(mask_of(p.class))).collect();
        pre.into_iter()
            .try_for_each(|(pi, tref)| {
                let t = self.type_ref(&tref, pos)?;
                self.unify(params[pi], t, pos, &format!("the type in the name `{op}`"))
            })
            .map_err(|e| (false, e))?;
        if args.len() != d.operands.len() {
            return Err((
                true,
                self.err(pos, format!("`{op}` takes {} operand(s), found {}", d.operands.len(), args.len())),
            ));
        }
        let to_ty = |t: &TypeRef| match t {
            TypeRef::Concrete(t) => Ty::Known(*t),
            TypeRef::Var(v) => {
                d.params.iter().position(|p| &p.name == v).map_or(Ty::Known(Type::I8), |i| params[i])
            }
        };
        let mut targs = Vec::new();
        for (i, a) in args.iter().enumerate() {
            let (ta, t) = self.pattern(a, lhs, decls).map_err(|e| (true, e))?;
            let want = to_ty(&d.operands[i].ty);
            self.unify(t, want, a.pos(), &format!("operand {} of `{op}`", i + 1)).map_err(|e| (true, e))?;
            targs.push(ta);
        }
        let result = to_ty(&d.result);
        Ok((TPat::Op { decl, params, args: targs, pos }, result))
    }

    /// The type of `t` under the rule's type arguments `args`.
    fn concrete(&self, t: Ty, args: &[Type], pos: Pos) -> Result<Type, RuleError> {
        match self.resolve(t) {
            Ty::Known(t) => Ok(t),
            Ty::Rigid(i) => Ok(args[i]),
            Ty::Var(i) => {
                let members: Vec<Type> =
                    Type::ALL.into_iter().filter(|t| mask_has(self.mask[i], *t)).collect();
                match members[..] {
                    [only] => Ok(only),
                    _ => Err(self.err(
                        pos,
                        format!(
                            "cannot infer a type here ({}); annotate it with `(: PATTERN TYPE)`",
                            self.show(t)
                        ),
                    )),
                }
            }
        }
    }
}

/// The declarations, with name lookup.
pub(crate) struct Decls<'a> {
    pub(crate) decls: &'a [OpDecl],
    /// Every declaration of each name, in order.
    by_name: HashMap<&'a str, Vec<usize>>,
    templates: Vec<(usize, Vec<Seg>)>,
    instance_names: HashMap<String, (usize, Vec<Type>)>,
}

impl<'a> Decls<'a> {
    /// The declarations an operator name in a rule may refer to, each with
    /// the type variables the name itself fixes. A template name such as
    /// `{F}.add` may match several (`{T}.add` over Int and `{F}.add` over
    /// Float); inference keeps the first whose types fit.
    fn resolve(&self, name: &str) -> Vec<(usize, Vec<(usize, TypeRef)>)> {
        if !name.contains('{') {
            if let Some(ds) = self.by_name.get(name) {
                return ds.iter().map(|&d| (d, vec![])).collect();
            }
            if let Some((d, types)) = self.instance_names.get(name) {
                return vec![(
                    *d,
                    types.iter().enumerate().map(|(i, t)| (i, TypeRef::Concrete(*t))).collect(),
                )];
            }
            return vec![];
        }
        let Some(segs) = segments(name) else { return vec![] };
        let mut out = Vec::new();
        for (d, tsegs) in &self.templates {
            if tsegs.len() != segs.len() {
                continue;
            }
            let mut pre = Vec::new();
            let ok = tsegs.iter().zip(&segs).all(|(t, s)| match (t, s) {
                (Seg::Lit(a), Seg::Lit(b)) => a == b,
                (Seg::Var(p), Seg::Var(v)) => {
                    let pi = self.decls[*d].params.iter().position(|q| &q.name == p);
                    let tr = match Type::from_name(v) {
                        Some(t) => TypeRef::Concrete(t),
                        None => TypeRef::Var(v.clone()),
                    };
                    pi.map(|pi| pre.push((pi, tr))).is_some()
                }
                _ => false,
            });
            if ok {
                out.push((*d, pre));
            }
        }
        // `iadd.{T}`, `uextend.i8.{T}`: a CLIF or trap operator with its
        // type variables given in order.
        let mut parts = name.split('.');
        let base = parts.next().and_then(|base| self.by_name.get(base)).filter(|_| out.is_empty());
        let types: Vec<&str> = parts.collect();
        for &d in base.into_iter().flatten() {
            if types.len() == self.decls[d].params.len() {
                let pre = types
                    .iter()
                    .enumerate()
                    .map(|(i, t)| {
                        let t = t.trim_start_matches('{').trim_end_matches('}');
                        (i, Type::from_name(t).map_or_else(|| TypeRef::Var(t.to_owned()), TypeRef::Concrete))
                    })
                    .collect();
                out.push((d, pre));
            }
        }
        out
    }
}

/// Checks that `again` may declare the operator `first` declares, over
/// other types: a CLIF operator of the same arity and number of type
/// variables (its instances must differ, which instance names check).
fn overload(first: &OpDecl, again: &OpDecl) -> Result<(), RuleError> {
    let same = first.kind == OpKind::Clif
        && again.kind == OpKind::Clif
        && first.params.len() == again.params.len()
        && first.operands.len() == again.operands.len();
    if same {
        Ok(())
    } else {
        Err(RuleError::new(
            &again.file,
            again.pos,
            format!(
                "operator `{}` is declared twice; only a CLIF operator may be declared again (over \
                 other types), with as many type variables and operands (first at {}:{})",
                again.name, first.file, first.pos
            ),
        ))
    }
}

/// Claims operator name `name` (its declared name or one of its instance
/// names) for declaration `di`, whose owner `owners` records. A name has
/// one owner: a rule naming it resolves to one operator, so a later file
/// cannot give an existing operator another meaning (a user's
/// `uextend.i32.i64` that sign-extends). Only a CLIF operator declared again
/// over other types ([`overload`]) shares its declared name.
fn claim(
    owners: &mut HashMap<String, usize>,
    decls: &[OpDecl],
    di: usize,
    name: &str,
) -> Result<(), RuleError> {
    let Some(&owner) = owners.get(name) else {
        owners.insert(name.to_owned(), di);
        return Ok(());
    };
    let d = &decls[di];
    let (mine, theirs) = (d.name == name, decls[owner].name == name);
    if mine && (owner == di || theirs) {
        // A declaration without type variables is its own instance; an
        // overload shares the name its first declaration owns.
        return Ok(());
    }
    let what = |decl: &OpDecl, own: bool| {
        if own {
            format!("operator `{name}`")
        } else {
            format!("instance `{name}` of operator `{}`", decl.name)
        }
    };
    let message = if owner == di {
        format!("{} is declared twice", what(d, mine))
    } else {
        let first = &decls[owner];
        format!(
            "{} collides with {} declared at {}:{}: an existing operator cannot be redefined; \
             give the new one another name",
            what(d, mine),
            what(first, theirs),
            first.file,
            first.pos
        )
    };
    Err(RuleError::new(&d.file, d.pos, message))
}

/// Checks every declaration and rule, producing all instances.
pub(crate) fn check(decls: &[OpDecl], rules: &[Rule]) -> Result<Checked, RuleError> {
    let mut out = Checked::default();
    let mut by_name = HashMap::new();
    let mut templates = Vec::new();
    let mut instance_names = HashMap::new();
    let mut by_decl_types: HashMap<(usize, Vec<Type>), OpInstId> = HashMap::new();
    let mut owners = HashMap::new();

    // Pass 1: every instance of every declaration, with its semantics.
    // An operator may be declared again over other types (Cranelift's
    // `iadd` on vectors beside `iadd` on scalars, `icmp_eq` giving a vector
    // rather than an `i8`): a rule naming it tries each declaration in order.
    for (di, d) in decls.iter().enumerate() {
        let same: &mut Vec<usize> = by_name.entry(d.name.as_str()).or_default();
        if let Some(&first) = same.first() {
            overload(&decls[first], d)?;
        }
        same.push(di);
        let segs = segments(&d.name).ok_or_else(|| {
            RuleError::new(&d.file, d.pos, format!("unbalanced `{{`/`}}` in operator name `{}`", d.name))
        })?;
        for s in &segs {
            if let Seg::Var(v) = s
                && !d.params.iter().any(|p| &p.name == v)
            {
                return Err(RuleError::new(
                    &d.file,
                    d.pos,
                    format!("`{{{v}}}` in `{}` is not a type variable", d.name),
                ));
            }
        }
        if segs.iter().any(|s| matches!(s, Seg::Var(_))) {
            templates.push((di, segs));
        }
        match (d.kind, d.trap_code) {
            (OpKind::Trap, None) => {
                return Err(RuleError::new(&d.file, d.pos, "a trap-condition operator needs `(code ...)`"));
            }
            (OpKind::Wasm | OpKind::Clif, Some(_)) => {
                return Err(RuleError::new(
                    &d.file,
                    d.pos,
                    "only trap-condition operators take `(code ...)`",
                ));
            }
            _ => {}
        }
        let all = assignments(&d.params, &d.constraints);
        if all.is_empty() {
            return Err(RuleError::new(
                &d.file,
                d.pos,
                "no assignment of the type variables meets the constraints",
            ));
        }
        claim(&mut owners, decls, di, &d.name)?;
        for args in all {
            let name = instance_name(d, &args);
            claim(&mut owners, decls, di, &name)?;
            let subst: Subst = d.params.iter().map(|p| p.name.as_str()).zip(args.iter().copied()).collect();
            let operands = d
                .operands
                .iter()
                .map(|o| resolve_type(&d.file, d.pos, &o.ty, &subst))
                .collect::<Result<Vec<_>, _>>()?;
            let result = resolve_type(&d.file, d.pos, &d.result, &subst)?;
            let vars: HashMap<String, (usize, SemType)> = d
                .operands
                .iter()
                .zip(&operands)
                .enumerate()
                .map(|(i, (o, t))| (o.name.clone(), (i, t.sem())))
                .collect();
            let checker =
                SemChecker { file: &d.file, subst: &subst, vars: &vars, context: &name, indices: &[] };
            let semantics = checker.check(&d.semantics, Some(result.sem()))?;
            if d.kind == OpKind::Trap && result != Type::I8 {
                return Err(RuleError::new(&d.file, d.pos, "a trap-condition operator returns i8"));
            }
            let id = OpInstId(out.ops.len() as u32);
            out.op_names.insert(name.clone(), id);
            instance_names.insert(name.clone(), (di, args.clone()));
            by_decl_types.insert((di, args.clone()), id);
            out.ops.push(OpInstance {
                name,
                decl: di,
                decl_name: d.name.clone(),
                kind: d.kind,
                type_args: args,
                operands,
                operand_names: d.operands.iter().map(|o| o.name.clone()).collect(),
                result,
                semantics,
                traps: vec![],
                trap_code: d.trap_code,
            });
        }
    }

    // Pass 2: resolve trap conditions now that every operator is known.
    for i in 0..out.ops.len() {
        let d = &decls[out.ops[i].decl];
        let mut traps = Vec::new();
        for tu in &d.traps {
            let want: Vec<Type> = tu.operands.iter().map(|&k| out.ops[i].operands[k]).collect();
            // A name with `{P}` in it names one instance, rendered with this
            // instance's type arguments (`trunc_overflow_s.{F}.{I}`).
            if tu.op.contains('{') {
                let mut rendered = tu.op.clone();
                for (p, t) in d.params.iter().zip(&out.ops[i].type_args) {
                    rendered = rendered.replace(&format!("{{{}}}", p.name), t.name());
                }
                let found = out.op_names.get(&rendered).copied();
                match found.and_then(|f| out.ops.get(f.index()).map(|o| (f, o))) {
                    Some((f, o)) if o.kind == OpKind::Trap && o.operands == want => {
                        traps.push((f, tu.operands.clone()));
                        continue;
                    }
                    _ => {
                        return Err(RuleError::new(
                            &d.file,
                            tu.pos,
                            format!(
                                "`{rendered}` is not a trap-condition operator instance taking {:?} (in {})",
                                want.iter().map(|t| t.name()).collect::<Vec<_>>(),
                                out.ops[i].name
                            ),
                        ));
                    }
                }
            }
            let Some(&tdi) = by_name.get(tu.op.as_str()).and_then(|ds| ds.first()) else {
                return Err(RuleError::new(
                    &d.file,
                    tu.pos,
                    format!("unknown trap-condition operator `{}`", tu.op),
                ));
            };
            if decls[tdi].kind != OpKind::Trap {
                return Err(RuleError::new(
                    &d.file,
                    tu.pos,
                    format!("`{}` is not a trap-condition operator", tu.op),
                ));
            }
            let found: Vec<OpInstId> = out
                .ops
                .iter()
                .enumerate()
                .filter(|(_, o)| o.decl == tdi && o.operands == want)
                .map(|(j, _)| OpInstId(j as u32))
                .collect();
            match found[..] {
                [one] => traps.push((one, tu.operands.clone())),
                _ => {
                    return Err(RuleError::new(
                        &d.file,
                        tu.pos,
                        format!(
                            "`{}` has {} instance(s) for operands {:?} (in {}); it needs exactly one",
                            tu.op,
                            found.len(),
                            want.iter().map(|t| t.name()).collect::<Vec<_>>(),
                            out.ops[i].name
                        ),
                    ));
                }
            }
        }
        out.ops[i].traps = traps;
    }

    let decl_index = Decls { decls, by_name, templates, instance_names };

    // Pass 3: rules.
    let mut rule_names: std::collections::HashSet<&str> = std::collections::HashSet::new();
    for (ri, r) in rules.iter().enumerate() {
        if !rule_names.insert(r.name.as_str()) {
            return Err(RuleError::new(&r.file, r.pos, format!("rule `{}` is defined twice", r.name)));
        }
        out.rule_instances.extend(check_rule(ri, r, &decl_index, &by_decl_types, &out.ops)?);
    }
    Ok(out)
}

fn check_rule(
    ri: usize,
    r: &Rule,
    decls: &Decls,
    by_decl_types: &HashMap<(usize, Vec<Type>), OpInstId>,
    ops: &[OpInstance],
) -> Result<Vec<RuleInstance>, RuleError> {
    let file = r.file.as_str();
    let mut inf = Infer {
        file,
        rule: r,
        binding: vec![],
        mask: vec![],
        rigid_mask: r.params.iter().map(|p| mask_of(p.class)).collect(),
        vars: vec![],
    };
    if !matches!(r.lhs, Pattern::Op { .. }) {
        return Err(inf.err(r.lhs.pos(), "the left-hand side must be an operator application"));
    }
    let (tl, lt) = inf.pattern(&r.lhs, true, decls)?;
    let (tr, rt) = inf.pattern(&r.rhs, false, decls)?;
    inf.unify(lt, rt, r.rhs.pos(), "the two sides of the rule")?;

    let all = assignments(&r.params, &r.constraints);
    if all.is_empty() {
        return Err(inf.err(
            r.pos,
            format!(
                "rule `{}` has no instance: no assignment of its type variables meets its constraints",
                r.name
            ),
        ));
    }
    let mut instances = Vec::new();
    for args in all {
        let subst: Subst = r.params.iter().map(|p| p.name.as_str()).zip(args.iter().copied()).collect();
        let mut vars = Vec::new();
        for (name, t, is_const) in &inf.vars {
            vars.push(RuleVar {
                name: name.clone(),
                ty: inf.concrete(*t, &args, r.pos)?,
                is_const: *is_const,
            });
        }
        let context = format!("rule `{}` at {}", r.name, fmt_types(&r.params, &args));
        let sem_vars: HashMap<String, (usize, SemType)> = vars
            .iter()
            .enumerate()
            .filter(|(_, v)| v.is_const)
            .map(|(i, v)| (v.name.clone(), (i, v.ty.sem())))
            .collect();
        let checker = SemChecker { file, subst: &subst, vars: &sem_vars, context: &context, indices: &[] };
        let build =
            Build { inf: &inf, args: &args, by_decl_types, decls, checker: &checker, context: &context };
        let lhs = build.term(&tl)?;
        let rhs = build.term(&tr)?;
        let conds =
            r.conds.iter().map(|c| checker.check(c, Some(SemType::Bool))).collect::<Result<_, _>>()?;
        let ty = inf.concrete(lt, &args, r.pos)?;
        let inst =
            RuleInstance { rule: ri, name: r.name.clone(), type_args: args, vars, lhs, rhs, conds, ty };
        if inst.is_lowering(ops) && uses_non_clif(&inst.rhs, ops) {
            return Err(RuleError::new(
                file,
                r.rhs.pos(),
                format!("a lowering rule's right-hand side must use CLIF operators only ({context})"),
            ));
        }
        instances.push(inst);
    }
    Ok(instances)
}

fn uses_non_clif(t: &Term, ops: &[OpInstance]) -> bool {
    match t {
        Term::Op { op, args } => {
            ops.get(op.index()).is_none_or(|o| o.kind != OpKind::Clif)
                || args.iter().any(|a| uses_non_clif(a, ops))
        }
        _ => false,
    }
}

fn fmt_types(params: &[TypeParam], args: &[Type]) -> String {
    if params.is_empty() {
        return "its only instance".into();
    }
    params.iter().zip(args).map(|(p, t)| format!("{}={t}", p.name)).collect::<Vec<_>>().join(", ")
}

struct Build<'a> {
    inf: &'a Infer<'a>,
    args: &'a [Type],
    by_decl_types: &'a HashMap<(usize, Vec<Type>), OpInstId>,
    decls: &'a Decls<'a>,
    checker: &'a SemChecker<'a>,
    context: &'a str,
}

impl Build<'_> {
    fn term(&self, t: &TPat) -> Result<Term, RuleError> {
        match t {
            TPat::Var(i) => Ok(Term::Var(*i)),
            TPat::Op { decl, params, args, pos } => {
                let types = params
                    .iter()
                    .map(|p| self.inf.concrete(*p, self.args, *pos))
                    .collect::<Result<Vec<_>, _>>()?;
                let Some(&op) = self.by_decl_types.get(&(*decl, types.clone())) else {
                    let d = &self.decls.decls[*decl];
                    return Err(self.inf.err(
                        *pos,
                        format!(
                            "`{}` has no instance at {} ({})",
                            d.name,
                            fmt_types(&d.params, &types),
                            self.context
                        ),
                    ));
                };
                let args = args.iter().map(|a| self.term(a)).collect::<Result<_, _>>()?;
                Ok(Term::Op { op, args })
            }
            TPat::Const { ty, value } => {
                let ty = self.inf.concrete(*ty, self.args, value.pos())?;
                let value = self.checker.check(value, Some(ty.sem()))?;
                Ok(Term::Const { ty, value })
            }
        }
    }
}
