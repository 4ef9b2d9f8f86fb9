//! Runtime values of WebAssembly 2.0 (spec §4.2.1 "Values") and their types.
//!
//! Floats are kept as raw bit patterns so that NaN payloads survive every move
//! through locals, globals, tables and the value stack untouched.

use std::fmt;

/// A value type (spec §2.3 "Value Types").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ValType {
    /// 32-bit integer.
    I32,
    /// 64-bit integer.
    I64,
    /// 32-bit IEEE-754 float.
    F32,
    /// 64-bit IEEE-754 float.
    F64,
    /// 128-bit vector (spec §2.3.2 "Vector Types").
    V128,
    /// A nullable reference to a function.
    FuncRef,
    /// A nullable reference to a host object.
    ExternRef,
}

impl ValType {
    /// The default value of a local or table slot of this type (spec §4.2.1).
    pub fn default_value(self) -> Value {
        match self {
            ValType::I32 => Value::I32(0),
            ValType::I64 => Value::I64(0),
            ValType::F32 => Value::F32(0),
            ValType::F64 => Value::F64(0),
            ValType::V128 => Value::V128(0),
            ValType::FuncRef => Value::FuncRef(None),
            ValType::ExternRef => Value::ExternRef(None),
        }
    }
}

impl fmt::Display for ValType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ValType::I32 => "i32",
            ValType::I64 => "i64",
            ValType::F32 => "f32",
            ValType::F64 => "f64",
            ValType::V128 => "v128",
            ValType::FuncRef => "funcref",
            ValType::ExternRef => "externref",
        })
    }
}

/// The address of a function instance in the [`Store`](crate::interp::Store).
pub type FuncAddr = usize;

/// A WebAssembly value (spec §4.2.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Value {
    /// An `i32`, stored as its two's-complement bits.
    I32(i32),
    /// An `i64`, stored as its two's-complement bits.
    I64(i64),
    /// An `f32`, stored as its IEEE-754 bits.
    F32(u32),
    /// An `f64`, stored as its IEEE-754 bits.
    F64(u64),
    /// A `v128`, its 16 bytes read little-endian: lane `i` of a shape with
    /// `n`-bit lanes is bits `n*i .. n*i+n` (spec §4.3.1 "Representations":
    /// lanes are in memory order).
    V128(u128),
    /// A function reference: `None` is `ref.null func`.
    FuncRef(Option<FuncAddr>),
    /// A host reference: `None` is `ref.null extern`.
    ExternRef(Option<u32>),
}

impl Value {
    /// The type of this value.
    pub fn ty(&self) -> ValType {
        match self {
            Value::I32(_) => ValType::I32,
            Value::I64(_) => ValType::I64,
            Value::F32(_) => ValType::F32,
            Value::F64(_) => ValType::F64,
            Value::V128(_) => ValType::V128,
            Value::FuncRef(_) => ValType::FuncRef,
            Value::ExternRef(_) => ValType::ExternRef,
        }
    }

    /// Whether this value is a null reference.
    pub fn is_null_ref(&self) -> bool {
        matches!(self, Value::FuncRef(None) | Value::ExternRef(None))
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::I32(v) => write!(f, "i32:{v}"),
            Value::I64(v) => write!(f, "i64:{v}"),
            Value::F32(b) => write!(f, "f32:{} (0x{b:08x})", f32::from_bits(*b)),
            Value::F64(b) => write!(f, "f64:{} (0x{b:016x})", f64::from_bits(*b)),
            Value::V128(v) => {
                // As four 32-bit lanes, lane 0 first, like `v128.const i32x4`.
                let lanes: Vec<String> =
                    (0..4).map(|i| format!("0x{:08x}", (v >> (32 * i)) as u32)).collect();
                write!(f, "v128:i32x4 {}", lanes.join(" "))
            }
            Value::FuncRef(None) => write!(f, "ref.null func"),
            Value::FuncRef(Some(a)) => write!(f, "ref.func @{a}"),
            Value::ExternRef(None) => write!(f, "ref.null extern"),
            Value::ExternRef(Some(h)) => write!(f, "ref.extern {h}"),
        }
    }
}

/// A function type (spec §2.3.5): parameters and results.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct FuncType {
    /// Parameter types, in order.
    pub params: Vec<ValType>,
    /// Result types, in order.
    pub results: Vec<ValType>,
}

impl fmt::Display for FuncType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let list = |v: &[ValType]| v.iter().map(|t| t.to_string()).collect::<Vec<_>>().join(" ");
        write!(f, "[{}] -> [{}]", list(&self.params), list(&self.results))
    }
}

/// The address type of a memory or table (spec 3.0 §2.3 "Address Types"):
/// the type of its addresses or indices, of its size as `memory.size` and
/// `table.size` return it, and of the operands that count bytes or
/// elements in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AddrType {
    /// 32-bit addresses: every memory and table of WebAssembly 2.0.
    I32,
    /// 64-bit addresses (memory64 and table64, WebAssembly 3.0).
    I64,
}

impl AddrType {
    /// The value type of addresses and sizes.
    pub fn val_type(self) -> ValType {
        match self {
            AddrType::I32 => ValType::I32,
            AddrType::I64 => ValType::I64,
        }
    }

    /// `n` as a value of this type, wrapped to 32 bits for `I32` (where
    /// callers only pass results that fit, or `u64::MAX` for -1).
    pub fn value(self, n: u64) -> Value {
        match self {
            AddrType::I32 => Value::I32(n as i32),
            AddrType::I64 => Value::I64(n as i64),
        }
    }

    /// The address or count `value` holds, zero-extended; `None` when it is
    /// not a value of this type.
    pub fn address(self, value: Value) -> Option<u64> {
        match (self, value) {
            (AddrType::I32, Value::I32(v)) => Some(u64::from(v as u32)),
            (AddrType::I64, Value::I64(v)) => Some(v as u64),
            _ => None,
        }
    }

    /// The largest size in pages a memory of this type may declare
    /// (spec 3.0 §3.2 "Memory Types": 2^16 pages of 32-bit memories, 2^48
    /// of 64-bit ones).
    pub fn max_pages(self) -> u64 {
        match self {
            AddrType::I32 => 1 << 16,
            AddrType::I64 => 1 << 48,
        }
    }

    /// The largest number of elements a table of this type may hold
    /// (spec 3.0 §3.2 "Table Types": 2^32 - 1 or 2^64 - 1).
    pub fn max_elements(self) -> u64 {
        match self {
            AddrType::I32 => u64::from(u32::MAX),
            AddrType::I64 => u64::MAX,
        }
    }
}

impl fmt::Display for AddrType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.val_type().fmt(f)
    }
}

/// Size limits of a memory (in 64 KiB pages) or a table (in elements), with
/// the address type they count in. The spec 3.0 keeps the address type
/// beside the limits in a memory or table type; it lives here because the
/// binary format encodes both in one limits flag, and because what matches
/// an import is the address type and the limits together.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The address type of the memory or table.
    pub addr: AddrType,
    /// Minimum (initial) size.
    pub min: u64,
    /// Maximum size, if any.
    pub max: Option<u64>,
}

impl Limits {
    /// Import matching of memory and table types without their element
    /// types (spec 3.0 §4.5.2 "Limits", "Memory Types", "Table Types"):
    /// `self` (the actual type of the provided extern) matches `expected`
    /// when the address types are equal and it is at least as large and at
    /// most as permissive.
    pub fn matches(&self, expected: &Limits) -> bool {
        self.addr == expected.addr
            && self.min >= expected.min
            && match (self.max, expected.max) {
                (_, None) => true,
                (Some(actual), Some(wanted)) => actual <= wanted,
                (None, Some(_)) => false,
            }
    }
}

impl fmt::Display for Limits {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.max {
            Some(max) => write!(f, "{} {{min {}, max {max}}}", self.addr, self.min),
            None => write!(f, "{} {{min {}}}", self.addr, self.min),
        }
    }
}

/// A table type (spec §2.3.9).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TableType {
    /// The reference type of the elements.
    pub elem: ValType,
    /// Size limits in elements.
    pub limits: Limits,
}

/// A global type (spec §2.3.10).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GlobalType {
    /// The type of the value held.
    pub content: ValType,
    /// Whether `global.set` may change it.
    pub mutable: bool,
}
