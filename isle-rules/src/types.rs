//! The value types operators are declared over, the classes a type variable
//! ranges over, and the types of semantic expressions.
//!
//! Operator types are Cranelift's scalars (`i8 i16 i32 i64 f32 f64`), Wasm's
//! `v128`, and Cranelift's 128-bit vectors (`i8x16 i16x8 i32x4 i64x2 f32x4
//! f64x2`). Every vector is a 128-bit bit vector whose lane `i` of `n` bits
//! is bits `n·i .. n·i+n` (Wasm's little-endian lane order); a float lane is
//! reached by extracting its bits. Semantic expressions additionally have
//! bit vectors of any width up to 128 and the SMT boolean sort.

use std::fmt;

/// A value type of an operator operand or result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Type {
    /// 8-bit integer (what `icmp`/`fcmp` produce).
    I8,
    /// 16-bit integer.
    I16,
    /// 32-bit integer.
    I32,
    /// 64-bit integer.
    I64,
    /// IEEE-754 binary32.
    F32,
    /// IEEE-754 binary64.
    F64,
    /// Wasm's `v128`: 128 bits with no lane shape of their own.
    V128,
    /// Cranelift's sixteen 8-bit integer lanes.
    I8X16,
    /// Eight 16-bit integer lanes.
    I16X8,
    /// Four 32-bit integer lanes.
    I32X4,
    /// Two 64-bit integer lanes.
    I64X2,
    /// Four binary32 lanes.
    F32X4,
    /// Two binary64 lanes.
    F64X2,
}

impl Type {
    /// Every type, in declaration order: the scalars first.
    pub const ALL: [Type; 13] = [
        Type::I8,
        Type::I16,
        Type::I32,
        Type::I64,
        Type::F32,
        Type::F64,
        Type::V128,
        Type::I8X16,
        Type::I16X8,
        Type::I32X4,
        Type::I64X2,
        Type::F32X4,
        Type::F64X2,
    ];

    /// The type's name as written in rule files (`i32`, `f64`, ...).
    pub fn name(self) -> &'static str {
        match self {
            Type::I8 => "i8",
            Type::I16 => "i16",
            Type::I32 => "i32",
            Type::I64 => "i64",
            Type::F32 => "f32",
            Type::F64 => "f64",
            Type::V128 => "v128",
            Type::I8X16 => "i8x16",
            Type::I16X8 => "i16x8",
            Type::I32X4 => "i32x4",
            Type::I64X2 => "i64x2",
            Type::F32X4 => "f32x4",
            Type::F64X2 => "f64x2",
        }
    }

    /// The type's position in [`Type::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }

    /// Parses a type name as written in rule files.
    pub fn from_name(name: &str) -> Option<Type> {
        Type::ALL.into_iter().find(|t| t.name() == name)
    }

    /// Width of the type in bits.
    pub fn bits(self) -> u32 {
        match self {
            Type::I8 => 8,
            Type::I16 => 16,
            Type::I32 | Type::F32 => 32,
            Type::I64 | Type::F64 => 64,
            Type::V128
            | Type::I8X16
            | Type::I16X8
            | Type::I32X4
            | Type::I64X2
            | Type::F32X4
            | Type::F64X2 => 128,
        }
    }

    /// Whether this is a scalar IEEE-754 float type (`f32`, `f64`).
    pub fn is_float(self) -> bool {
        matches!(self, Type::F32 | Type::F64)
    }

    /// Whether this is a 128-bit vector type (`v128` or a lane-typed one).
    pub fn is_vector(self) -> bool {
        self.bits() == 128
    }

    /// The type of one lane: the scalar lane type of a lane-typed vector,
    /// `i8` for `v128` (seen as bytes, as Cranelift holds it), the type
    /// itself for a scalar.
    pub fn lane_type(self) -> Type {
        match self {
            Type::V128 | Type::I8X16 => Type::I8,
            Type::I16X8 => Type::I16,
            Type::I32X4 => Type::I32,
            Type::I64X2 => Type::I64,
            Type::F32X4 => Type::F32,
            Type::F64X2 => Type::F64,
            scalar => scalar,
        }
    }

    /// How many lanes the type has (1 for a scalar).
    pub fn lane_count(self) -> u32 {
        self.bits() / self.lane_type().bits()
    }

    /// The type of semantic expressions denoting values of this type: a
    /// bit vector for integers and vectors (float lanes included), a float
    /// for `f32`/`f64`.
    pub fn sem(self) -> SemType {
        match self {
            Type::F32 => SemType::Float(FloatFormat::F32),
            Type::F64 => SemType::Float(FloatFormat::F64),
            other => SemType::Bv(other.bits()),
        }
    }

    /// A mask of the type's low `bits()` bits, for scalar values carried in
    /// a `u64` (all ones for a vector, whose value does not fit: use
    /// [`Type::wide_mask`]).
    pub fn mask(self) -> u64 {
        width_mask(self.bits())
    }

    /// A mask of the type's low `bits()` bits, for values carried in a `u128`.
    pub fn wide_mask(self) -> u128 {
        wide_mask(self.bits())
    }
}

impl fmt::Display for Type {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The mask of the low `width` bits of a `u64` (`width` in 1..=64).
pub fn width_mask(width: u32) -> u64 {
    if width >= 64 { u64::MAX } else { (1u64 << width) - 1 }
}

/// The mask of the low `width` bits of a `u128` (`width` in 1..=128).
pub fn wide_mask(width: u32) -> u128 {
    if width >= 128 { u128::MAX } else { (1u128 << width) - 1 }
}

/// A set of types a type variable may range over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TypeClass {
    /// `Int` = {i32, i64}: Wasm's integer types.
    Int,
    /// `Float` = {f32, f64}.
    Float,
    /// `Value` = {i32, i64, f32, f64}: Wasm's number types.
    Value,
    /// `AnyInt` = {i8, i16, i32, i64}: every CLIF integer type used here.
    AnyInt,
    /// `IntVec` = {i8x16, i16x8, i32x4, i64x2}: Cranelift's integer vectors.
    IntVec,
    /// `FloatVec` = {f32x4, f64x2}: Cranelift's float vectors.
    FloatVec,
    /// `AnyVec` = every lane-typed vector, integer and float.
    AnyVec,
    /// A single type, written by its name.
    Exactly(Type),
    /// `(one_of TYPE...)`: the listed types, as a set of positions in
    /// [`Type::ALL`].
    OneOf(u16),
}

impl TypeClass {
    /// Parses a class name (`Int`, `Float`, `Value`, `AnyInt`) or a type name.
    pub fn from_name(name: &str) -> Option<TypeClass> {
        Some(match name {
            "Int" => TypeClass::Int,
            "Float" => TypeClass::Float,
            "Value" => TypeClass::Value,
            "AnyInt" => TypeClass::AnyInt,
            "IntVec" => TypeClass::IntVec,
            "FloatVec" => TypeClass::FloatVec,
            "AnyVec" => TypeClass::AnyVec,
            other => TypeClass::Exactly(Type::from_name(other)?),
        })
    }

    /// The class of exactly `types`.
    pub fn one_of(types: &[Type]) -> TypeClass {
        TypeClass::OneOf(types.iter().fold(0, |m, t| m | 1 << t.index()))
    }

    /// The members of the class, in [`Type::ALL`] order.
    pub fn members(self) -> Vec<Type> {
        Type::ALL.into_iter().filter(|t| self.contains(*t)).collect()
    }

    /// Whether `ty` belongs to the class.
    pub fn contains(self, ty: Type) -> bool {
        match self {
            TypeClass::Int => matches!(ty, Type::I32 | Type::I64),
            TypeClass::Float => ty.is_float(),
            TypeClass::Value => matches!(ty, Type::I32 | Type::I64 | Type::F32 | Type::F64),
            TypeClass::AnyInt => matches!(ty, Type::I8 | Type::I16 | Type::I32 | Type::I64),
            TypeClass::IntVec => matches!(ty, Type::I8X16 | Type::I16X8 | Type::I32X4 | Type::I64X2),
            TypeClass::FloatVec => matches!(ty, Type::F32X4 | Type::F64X2),
            TypeClass::AnyVec => ty.is_vector() && ty != Type::V128,
            TypeClass::Exactly(t) => t == ty,
            TypeClass::OneOf(set) => set & (1 << ty.index()) != 0,
        }
    }
}

impl fmt::Display for TypeClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TypeClass::Int => f.write_str("Int"),
            TypeClass::Float => f.write_str("Float"),
            TypeClass::Value => f.write_str("Value"),
            TypeClass::AnyInt => f.write_str("AnyInt"),
            TypeClass::IntVec => f.write_str("IntVec"),
            TypeClass::FloatVec => f.write_str("FloatVec"),
            TypeClass::AnyVec => f.write_str("AnyVec"),
            TypeClass::Exactly(t) => write!(f, "{t}"),
            TypeClass::OneOf(_) => {
                let names: Vec<&str> = self.members().iter().map(|t| t.name()).collect();
                write!(f, "(one_of {})", names.join(" "))
            }
        }
    }
}

/// An IEEE-754 binary format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FloatFormat {
    /// binary32: 8 exponent bits, 24 significand bits (with the hidden one).
    F32,
    /// binary64: 11 exponent bits, 53 significand bits.
    F64,
}

impl FloatFormat {
    /// Total width in bits.
    pub fn bits(self) -> u32 {
        match self {
            FloatFormat::F32 => 32,
            FloatFormat::F64 => 64,
        }
    }

    /// Exponent bits (the `eb` of SMT-LIB's `(_ FloatingPoint eb sb)`).
    pub fn exponent_bits(self) -> u32 {
        match self {
            FloatFormat::F32 => 8,
            FloatFormat::F64 => 11,
        }
    }

    /// Significand bits including the hidden bit (SMT-LIB's `sb`).
    pub fn significand_bits(self) -> u32 {
        match self {
            FloatFormat::F32 => 24,
            FloatFormat::F64 => 53,
        }
    }

    /// The operator type carrying this format.
    pub fn ty(self) -> Type {
        match self {
            FloatFormat::F32 => Type::F32,
            FloatFormat::F64 => Type::F64,
        }
    }
}

/// The type of a semantic expression.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SemType {
    /// A bit vector of the given width (1..=128).
    Bv(u32),
    /// An IEEE-754 float.
    Float(FloatFormat),
    /// The SMT boolean sort: what comparisons and side conditions produce.
    Bool,
}

impl fmt::Display for SemType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SemType::Bv(w) => write!(f, "bv{w}"),
            SemType::Float(FloatFormat::F32) => f.write_str("f32"),
            SemType::Float(FloatFormat::F64) => f.write_str("f64"),
            SemType::Bool => f.write_str("bool"),
        }
    }
}
