//! The abstract syntax of rule files, as parsed and before type checking:
//! operator declarations ([`OpDecl`]) with their semantics ([`SemExpr`]),
//! and rules ([`Rule`]) whose sides are [`Pattern`]s.
//!
//! These trees may mention type variables. [`crate::check`] turns them into
//! monomorphic, typed instances ([`crate::OpInstance`], [`crate::RuleInstance`])
//! which is what the verifier, the evaluator and the e-graph consume.

use crate::error::Pos;
use crate::float_lit::FloatLit;
use crate::types::{Type, TypeClass};

/// Whether an operator is a Wasm instruction, a CLIF instruction, or a trap
/// condition.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OpKind {
    /// A Wasm instruction (`i32.add`). Must be lowered: extraction gives it
    /// infinite cost.
    Wasm,
    /// A Cranelift instruction (`iadd`), typed by its controlling type.
    Clif,
    /// A trap condition (`div_by_zero`): an `i8` that is 1 when the Wasm
    /// operator using it traps. Lowered to CLIF like a Wasm operator.
    Trap,
}

impl OpKind {
    /// The kind's keyword in rule files.
    pub fn name(self) -> &'static str {
        match self {
            OpKind::Wasm => "wasm",
            OpKind::Clif => "clif",
            OpKind::Trap => "trap",
        }
    }
}

/// The Wasm trap a trap-condition operator raises (names as in the
/// reference interpreter's `TrapCode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TrapCode {
    /// Integer division or remainder by zero.
    IntegerDivideByZero,
    /// Signed division overflow, or a float-to-int truncation out of range.
    IntegerOverflow,
    /// A float-to-int truncation of NaN.
    InvalidConversionToInteger,
    /// A memory access past the memory's length (the explicit bounds
    /// check of 64-bit memories).
    MemoryOutOfBounds,
}

impl TrapCode {
    /// Parses the snake-case name used in rule files
    /// (`integer_divide_by_zero`, `integer_overflow`,
    /// `invalid_conversion_to_integer`, `memory_out_of_bounds`).
    pub fn from_name(name: &str) -> Option<TrapCode> {
        Some(match name {
            "integer_divide_by_zero" => TrapCode::IntegerDivideByZero,
            "integer_overflow" => TrapCode::IntegerOverflow,
            "invalid_conversion_to_integer" => TrapCode::InvalidConversionToInteger,
            "memory_out_of_bounds" => TrapCode::MemoryOutOfBounds,
            _ => return None,
        })
    }
}

/// A type as written in a declaration or rule: concrete or a type variable.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum TypeRef {
    /// `i32`, `f64`, ...
    Concrete(Type),
    /// A type variable declared by the enclosing `decl` or `rule`.
    Var(String),
}

/// A type variable and the class it ranges over: `(T Int)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TypeParam {
    /// The variable's name.
    pub name: String,
    /// The types it may stand for.
    pub class: TypeClass,
}

/// A constraint between type variables, written among the type parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TypeConstraint {
    /// `(same_width A B)`: both have the same number of bits.
    SameWidth(String, String),
    /// `(narrower A B)`: `A` has fewer bits than `B`.
    Narrower(String, String),
    /// `(double_lanes A B)`: `A`'s lanes are twice as wide as `B`'s.
    DoubleLanes(String, String),
    /// `(same_lanes A B)`: `A` and `B` have as many lanes of the same width.
    SameLanes(String, String),
}

/// An operand of an operator: `(a i32)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Operand {
    /// The name the semantics refers to it by.
    pub name: String,
    /// Its type.
    pub ty: TypeRef,
}

/// A width or type immediate of a primitive (`zext W x`, `to_fp T x`,
/// `extract HI LO x`): a number, a type (meaning its width, or for float
/// conversions its format), or a difference/sum of those.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Width {
    /// A literal number of bits.
    Lit(u32),
    /// A type: its width, or its format where a float type is expected.
    Of(TypeRef),
    /// `(- W N)`.
    Sub(Box<Width>, Box<Width>),
    /// `(+ W N)`.
    Add(Box<Width>, Box<Width>),
    /// `(* W N)`: a product, for lane positions (`(* 2 i)`).
    Mul(Box<Width>, Box<Width>),
    /// `(/ W N)`: an exact quotient (`(/ (count T) 2)`).
    Div(Box<Width>, Box<Width>),
    /// `(count T)`: the number of lanes of type `T` (1 for a scalar).
    LaneCount(TypeRef),
    /// `(lane_bits T)`: the width of one lane of `T` (its width for a scalar).
    LaneBits(TypeRef),
}

/// A semantic primitive. Each has the SMT-LIB meaning of the same name
/// (see `docs/rules-contract.md`); the evaluator implements exactly that.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[allow(missing_docs)]
pub enum Prim {
    // Bit vectors.
    BvAdd,
    BvSub,
    BvMul,
    BvUdiv,
    BvSdiv,
    BvUrem,
    BvSrem,
    BvAnd,
    BvOr,
    BvXor,
    BvNot,
    BvNeg,
    BvShl,
    BvLshr,
    BvAshr,
    Rotl,
    Rotr,
    Clz,
    Ctz,
    Popcnt,
    /// `zext W x`: zero-extend `x` to `W` bits in total.
    Zext,
    /// `sext W x`: sign-extend `x` to `W` bits in total.
    Sext,
    /// `extract HI LO x`: bits `HI..=LO` of `x`.
    Extract,
    /// `concat x y`: SMT-LIB's `concat`, `x` in the high bits.
    Concat,
    /// `ssat W x`: `x` read signed, clamped to the signed range of `W`
    /// bits (spec `sat_s`), as a `W`-bit vector.
    Ssat,
    /// `usat W x`: `x` read signed, clamped to `0 ..= 2^W - 1` (spec
    /// `sat_u` of a signed value), as a `W`-bit vector.
    Usat,
    BvEq,
    BvNe,
    BvUlt,
    BvUle,
    BvUgt,
    BvUge,
    BvSlt,
    BvSle,
    BvSgt,
    BvSge,
    // Booleans.
    /// `ite c x y`.
    Ite,
    /// `bool2bv W c`: 1 or 0 as a `W`-bit vector.
    Bool2Bv,
    And,
    Or,
    Not,
    // Floats.
    FAdd,
    FSub,
    FMul,
    FDiv,
    FSqrt,
    FRoundCeil,
    FRoundFloor,
    FRoundTrunc,
    FRoundNearest,
    FAbs,
    FNeg,
    FMinWasm,
    FMaxWasm,
    FCopysign,
    FEq,
    FLt,
    FLe,
    FGt,
    FGe,
    FIsNan,
    /// `to_fp T x`: float-to-float conversion to format `T`, RNE.
    ToFp,
    /// `sbv_to_fp T x`: signed integer to format `T`, RNE.
    SbvToFp,
    /// `ubv_to_fp T x`: unsigned integer to format `T`, RNE.
    UbvToFp,
    /// `fp_to_sbv W x`: RTZ, defined only where the result fits.
    FpToSbv,
    /// `fp_to_ubv W x`: RTZ, defined only where the result fits.
    FpToUbv,
    /// `fp_to_sbv_sat W x`: Wasm's saturating truncation, NaN → 0.
    FpToSbvSat,
    /// `fp_to_ubv_sat W x`: Wasm's saturating truncation, NaN → 0.
    FpToUbvSat,
    /// `fbits x`: the IEEE bit pattern of `x`.
    FBits,
    /// `bits_to_fp T x`: the float of format `T` whose bits are `x`.
    BitsToFp,
    /// `bitcast T x`: reinterpret `x` as type `T` of the same width. Only in
    /// generic expressions: instantiation turns it into `fbits`,
    /// `bits_to_fp` or nothing, so no [`crate::Sem`] contains it.
    Bitcast,
}

impl Prim {
    /// Every primitive with its name in rule files, its number of width/type
    /// immediates and its number of operands.
    pub const TABLE: &'static [(Prim, &'static str, usize, usize)] = &[
        (Prim::BvAdd, "bvadd", 0, 2),
        (Prim::BvSub, "bvsub", 0, 2),
        (Prim::BvMul, "bvmul", 0, 2),
        (Prim::BvUdiv, "bvudiv", 0, 2),
        (Prim::BvSdiv, "bvsdiv", 0, 2),
        (Prim::BvUrem, "bvurem", 0, 2),
        (Prim::BvSrem, "bvsrem", 0, 2),
        (Prim::BvAnd, "bvand", 0, 2),
        (Prim::BvOr, "bvor", 0, 2),
        (Prim::BvXor, "bvxor", 0, 2),
        (Prim::BvNot, "bvnot", 0, 1),
        (Prim::BvNeg, "bvneg", 0, 1),
        (Prim::BvShl, "bvshl", 0, 2),
        (Prim::BvLshr, "bvlshr", 0, 2),
        (Prim::BvAshr, "bvashr", 0, 2),
        (Prim::Rotl, "rotl", 0, 2),
        (Prim::Rotr, "rotr", 0, 2),
        (Prim::Clz, "clz", 0, 1),
        (Prim::Ctz, "ctz", 0, 1),
        (Prim::Popcnt, "popcnt", 0, 1),
        (Prim::Zext, "zext", 1, 1),
        (Prim::Sext, "sext", 1, 1),
        (Prim::Extract, "extract", 2, 1),
        (Prim::Concat, "concat", 0, 2),
        (Prim::Ssat, "ssat", 1, 1),
        (Prim::Usat, "usat", 1, 1),
        (Prim::BvEq, "bveq", 0, 2),
        (Prim::BvNe, "bvne", 0, 2),
        (Prim::BvUlt, "bvult", 0, 2),
        (Prim::BvUle, "bvule", 0, 2),
        (Prim::BvUgt, "bvugt", 0, 2),
        (Prim::BvUge, "bvuge", 0, 2),
        (Prim::BvSlt, "bvslt", 0, 2),
        (Prim::BvSle, "bvsle", 0, 2),
        (Prim::BvSgt, "bvsgt", 0, 2),
        (Prim::BvSge, "bvsge", 0, 2),
        (Prim::Ite, "ite", 0, 3),
        (Prim::Bool2Bv, "bool2bv", 1, 1),
        (Prim::And, "and", 0, 2),
        (Prim::Or, "or", 0, 2),
        (Prim::Not, "not", 0, 1),
        (Prim::FAdd, "fadd", 0, 2),
        (Prim::FSub, "fsub", 0, 2),
        (Prim::FMul, "fmul", 0, 2),
        (Prim::FDiv, "fdiv", 0, 2),
        (Prim::FSqrt, "fsqrt", 0, 1),
        (Prim::FRoundCeil, "fround_ceil", 0, 1),
        (Prim::FRoundFloor, "fround_floor", 0, 1),
        (Prim::FRoundTrunc, "fround_trunc", 0, 1),
        (Prim::FRoundNearest, "fround_nearest", 0, 1),
        (Prim::FAbs, "fabs", 0, 1),
        (Prim::FNeg, "fneg", 0, 1),
        (Prim::FMinWasm, "fmin_wasm", 0, 2),
        (Prim::FMaxWasm, "fmax_wasm", 0, 2),
        (Prim::FCopysign, "fcopysign", 0, 2),
        (Prim::FEq, "feq", 0, 2),
        (Prim::FLt, "flt", 0, 2),
        (Prim::FLe, "fle", 0, 2),
        (Prim::FGt, "fgt", 0, 2),
        (Prim::FGe, "fge", 0, 2),
        (Prim::FIsNan, "fisnan", 0, 1),
        (Prim::ToFp, "to_fp", 1, 1),
        (Prim::SbvToFp, "sbv_to_fp", 1, 1),
        (Prim::UbvToFp, "ubv_to_fp", 1, 1),
        (Prim::FpToSbv, "fp_to_sbv", 1, 1),
        (Prim::FpToUbv, "fp_to_ubv", 1, 1),
        (Prim::FpToSbvSat, "fp_to_sbv_sat", 1, 1),
        (Prim::FpToUbvSat, "fp_to_ubv_sat", 1, 1),
        (Prim::FBits, "fbits", 0, 1),
        (Prim::BitsToFp, "bits_to_fp", 1, 1),
        (Prim::Bitcast, "bitcast", 1, 1),
    ];

    /// Looks a primitive up by its name in rule files.
    pub fn from_name(name: &str) -> Option<Prim> {
        Prim::TABLE.iter().find(|(_, n, _, _)| *n == name).map(|(p, ..)| *p)
    }

    /// The primitive's name in rule files (and in SMT-LIB, where it has one).
    pub fn name(self) -> &'static str {
        Prim::TABLE.iter().find(|(p, ..)| *p == self).map_or("?", |(_, n, _, _)| n)
    }

    /// How many width/type immediates precede the operands.
    pub fn immediates(self) -> usize {
        Prim::TABLE.iter().find(|(p, ..)| *p == self).map_or(0, |(_, _, i, _)| *i)
    }

    /// How many operands it takes.
    pub fn arity(self) -> usize {
        Prim::TABLE.iter().find(|(p, ..)| *p == self).map_or(0, |(_, _, _, a)| *a)
    }
}

/// A semantic expression as written (generic over type variables).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SemExpr {
    /// An operand of the declared operator, or a constant variable of a rule.
    Var {
        /// The variable's name.
        name: String,
        /// Where it is written.
        pos: Pos,
    },
    /// An integer literal (decimal, `-` allowed, or `0x` hex). At a
    /// bit-vector type it is taken modulo 2^width; at a float type it is the
    /// float's bit pattern, written in hex (a decimal integer there other
    /// than `0` is refused: `-1` would be a NaN's bits, not minus one).
    Lit {
        /// The value as written.
        value: i128,
        /// Whether it is written in hex (`0x...`).
        hex: bool,
        /// `(bv W N)` gives the literal its width; a bare `N` takes it from
        /// the context.
        width: Option<Width>,
        /// Where it is written.
        pos: Pos,
    },
    /// A float literal by its value: `1.0`, `-0.0`, `inf`, `nan`,
    /// `nan:0x200000`; it needs a float type from its context.
    Float {
        /// The literal.
        value: FloatLit,
        /// Where it is written.
        pos: Pos,
    },
    /// `(width W)`: the bit-vector literal equal to the width expression
    /// `W` (`(width T)`: the width of `T`; `(width (lane_bits T))`).
    WidthOf {
        /// The width meant.
        width: Width,
        /// Where it is written.
        pos: Pos,
    },
    /// `(lanes i N BODY)`: the vector whose lane `i`, for `i` in `0..N`, is
    /// `BODY` (lane 0 in the low bits). `i` may appear in the widths of
    /// `BODY` (`(lane T v i)`, `(+ i 8)`); a float lane is stored as its bits.
    /// Type checking expands it into `concat`s of the instantiated bodies.
    Lanes {
        /// The lane index variable.
        index: String,
        /// How many lanes (a width expression: `4`, `(count T)`).
        count: Width,
        /// One lane.
        body: Box<SemExpr>,
        /// Where the `(` is.
        pos: Pos,
    },
    /// `(lane T v I)`: lane `I` of `v` seen as lanes of `T`'s lane type (or
    /// of `T` bits if it is a number): an `extract`, then `bits_to_fp` for a
    /// float lane type.
    Lane {
        /// The lane type (a vector or scalar type, or a width).
        ty: Width,
        /// The vector.
        vector: Box<SemExpr>,
        /// Which lane.
        index: Width,
        /// Where the `(` is.
        pos: Pos,
    },
    /// A primitive applied to immediates and operands.
    App {
        /// Which primitive.
        prim: Prim,
        /// Its width/type immediates.
        imms: Vec<Width>,
        /// Its operands.
        args: Vec<SemExpr>,
        /// Where the `(` is.
        pos: Pos,
    },
}

impl SemExpr {
    /// Where the expression is written.
    pub fn pos(&self) -> Pos {
        match self {
            SemExpr::Var { pos, .. }
            | SemExpr::Lit { pos, .. }
            | SemExpr::Float { pos, .. }
            | SemExpr::WidthOf { pos, .. }
            | SemExpr::Lanes { pos, .. }
            | SemExpr::Lane { pos, .. }
            | SemExpr::App { pos, .. } => *pos,
        }
    }
}

/// A trap condition used by an operator: `(div_by_zero b)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrapUse {
    /// The trap-condition operator's name.
    pub op: String,
    /// Indices of the using operator's operands passed to it.
    pub operands: Vec<usize>,
    /// Where it is written.
    pub pos: Pos,
}

/// An operator declaration:
/// `(decl NAME KIND (TYPE-PARAMS...) ((OPERAND TYPE)...) RESULT SEMANTICS CLAUSES...)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpDecl {
    /// The name; `{T}` inside it is replaced by the type bound to `T`
    /// (`{T}.add` declares `i32.add` and `i64.add`).
    pub name: String,
    /// Wasm, CLIF or trap condition.
    pub kind: OpKind,
    /// Type variables.
    pub params: Vec<TypeParam>,
    /// Constraints between the type variables.
    pub constraints: Vec<TypeConstraint>,
    /// Operands in order.
    pub operands: Vec<Operand>,
    /// Result type.
    pub result: TypeRef,
    /// The result's value, over the operands.
    pub semantics: SemExpr,
    /// `(traps (OP OPERAND...)...)`: conditions under which the operator
    /// traps, in the order they are checked. The semantics is only meant
    /// where none holds.
    pub traps: Vec<TrapUse>,
    /// `(code NAME)`: for a trap-condition operator, the trap it raises.
    pub trap_code: Option<TrapCode>,
    /// The file it is declared in.
    pub file: String,
    /// Where the `(decl` is.
    pub pos: Pos,
}

/// One side of a rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pattern {
    /// A value variable: matches anything on the left, stands for it on the right.
    Var {
        /// The variable's name.
        name: String,
        /// Where it is written.
        pos: Pos,
    },
    /// An operator applied to operands.
    Op {
        /// The operator's name, possibly with `{T}` naming a rule type variable.
        op: String,
        /// Operands.
        args: Vec<Pattern>,
        /// Where the `(` is.
        pos: Pos,
    },
    /// `(iconst E)`, `(f32const E)`, `(f64const E)`. On the left `E` is a
    /// literal or a constant variable; on the right, a semantic expression
    /// over the left's constant variables.
    Const {
        /// Which constructor.
        ctor: ConstCtor,
        /// The constant.
        value: SemExpr,
        /// Where the `(` is.
        pos: Pos,
    },
    /// `(: P T)`: `P` has type `T`.
    Typed {
        /// The annotated pattern.
        inner: Box<Pattern>,
        /// Its type.
        ty: TypeRef,
        /// Where the `(` is.
        pos: Pos,
    },
}

impl Pattern {
    /// Where the pattern is written.
    pub fn pos(&self) -> Pos {
        match self {
            Pattern::Var { pos, .. }
            | Pattern::Op { pos, .. }
            | Pattern::Const { pos, .. }
            | Pattern::Typed { pos, .. } => *pos,
        }
    }
}

/// The constructors of constants in rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ConstCtor {
    /// `iconst`: an integer of any integer type.
    Iconst,
    /// `f32const`: an `f32`, by its value (`1.0`) or its bits (`0x3f800000`).
    F32const,
    /// `f64const`: an `f64`, by its value or its bits.
    F64const,
    /// `vconst`: a 128-bit vector of any vector type, given by its bits
    /// (lane 0 lowest), so `(vconst 0)` and `(vconst -1)` are all zeros
    /// and all ones.
    Vconst,
}

impl ConstCtor {
    /// The constructor's name in rule files.
    pub fn name(self) -> &'static str {
        match self {
            ConstCtor::Iconst => "iconst",
            ConstCtor::F32const => "f32const",
            ConstCtor::F64const => "f64const",
            ConstCtor::Vconst => "vconst",
        }
    }
}

/// A named rewrite rule:
/// `(rule NAME (TYPE-PARAMS...) LHS => RHS (if COND)...)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    /// Unique name.
    pub name: String,
    /// Type variables; the rule is instantiated at every member of their classes.
    pub params: Vec<TypeParam>,
    /// Constraints between type variables.
    pub constraints: Vec<TypeConstraint>,
    /// What the rule matches.
    pub lhs: Pattern,
    /// What the match is equal to.
    pub rhs: Pattern,
    /// Side conditions over the left side's constant variables; all must hold.
    pub conds: Vec<SemExpr>,
    /// The file it is written in.
    pub file: String,
    /// Where the `(rule` is.
    pub pos: Pos,
}
