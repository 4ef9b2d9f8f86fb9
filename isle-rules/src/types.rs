//! The value types operators are declared over, the classes a type variable
//! ranges over, and the types of semantic expressions.
//!
//! Operator types are Cranelift's (`i8 i16 i32 i64 f32 f64`); semantic
//! expressions additionally have bit vectors of any width up to 64 and the
//! SMT boolean sort.

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
}

impl Type {
    /// Every type, in declaration order.
    pub const ALL: [Type; 6] = [Type::I8, Type::I16, Type::I32, Type::I64, Type::F32, Type::F64];

    /// The type's name as written in rule files (`i32`, `f64`, ...).
    pub fn name(self) -> &'static str {
        match self {
            Type::I8 => "i8",
            Type::I16 => "i16",
            Type::I32 => "i32",
            Type::I64 => "i64",
            Type::F32 => "f32",
            Type::F64 => "f64",
        }
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
        }
    }

    /// Whether this is an IEEE-754 float type.
    pub fn is_float(self) -> bool {
        matches!(self, Type::F32 | Type::F64)
    }

    /// The type of semantic expressions denoting values of this type.
    pub fn sem(self) -> SemType {
        match self {
            Type::F32 => SemType::Float(FloatFormat::F32),
            Type::F64 => SemType::Float(FloatFormat::F64),
            int => SemType::Bv(int.bits()),
        }
    }

    /// A mask of the type's low `bits()` bits, for values carried in a `u64`.
    pub fn mask(self) -> u64 {
        width_mask(self.bits())
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
    /// A single type, written by its name.
    Exactly(Type),
}

impl TypeClass {
    /// Parses a class name (`Int`, `Float`, `Value`, `AnyInt`) or a type name.
    pub fn from_name(name: &str) -> Option<TypeClass> {
        Some(match name {
            "Int" => TypeClass::Int,
            "Float" => TypeClass::Float,
            "Value" => TypeClass::Value,
            "AnyInt" => TypeClass::AnyInt,
            other => TypeClass::Exactly(Type::from_name(other)?),
        })
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
            TypeClass::Value => !matches!(ty, Type::I8 | Type::I16),
            TypeClass::AnyInt => !ty.is_float(),
            TypeClass::Exactly(t) => t == ty,
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
            TypeClass::Exactly(t) => write!(f, "{t}"),
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
    /// A bit vector of the given width (1..=64).
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
