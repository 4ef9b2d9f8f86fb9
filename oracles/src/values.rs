//! Runtime values of WebAssembly 2.0 (spec §4.2.1 "Values") and their types.
//!
//! Floats are kept as raw bit patterns so that NaN payloads survive every move
//! through locals, globals, tables and the value stack untouched.
//!
//! Typed function references (WebAssembly 3.0) give reference types a
//! nullability and a heap type. What a value *is* at run time does not
//! change — a function reference is a [`Value::FuncRef`] whatever its static
//! type — so [`ValType`] stays the type of the representation, and the
//! exact reference type is a [`RefType`] kept beside it where execution
//! looks at it: import matching of functions, tables and globals, and the
//! signature checks of indirect calls ([`DefType`]).

use std::fmt;
use std::rc::Rc;

/// A value type (spec §2.3 "Value Types"), reference types by what their
/// values are: `FuncRef` stands for every function reference type
/// (`funcref`, `(ref func)`, `(ref $t)`, `(ref null $t)`), `ExternRef` for
/// `externref` and `(ref extern)`. The exact type is a [`RefType`].
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
    /// A reference to a function, nullable or not.
    FuncRef,
    /// A reference to a host object, nullable or not.
    ExternRef,
}

impl ValType {
    /// The default value of a local or table slot of this type (spec §4.2.1).
    /// For a non-nullable reference type, which has none, it is the null
    /// placeholder a local starts with: validation guarantees no
    /// instruction reads the local before it is set (spec 3.0 §3.4.5
    /// "Local Initialization").
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

/// A function type (spec §2.3.5): parameters and results, references by
/// their [`ValType`]; the exact types are its [`DefType`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct FuncType {
    /// Parameter types, in order.
    pub params: Vec<ValType>,
    /// Result types, in order.
    pub results: Vec<ValType>,
}

/// A heap type (spec 3.0 §2.3.4 "Heap Types") of the function-references
/// proposal, without GC's: the abstract `func` and `extern`, or a concrete
/// function type. A concrete one is held as its defined type rather than as
/// a module's type index, so that heap types of different modules compare
/// by structure, as type equivalence requires (spec 3.0 §3.3.1 "Defined
/// Types": without GC every type is a recursion group of its own, which
/// may refer to earlier types only, so the structure is finite).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum HeapType {
    /// `func`: any function.
    Func,
    /// `extern`: any host reference.
    Extern,
    /// `exn`: any exception (exception handling, Wasm 3.0).
    Exn,
    /// A concrete function type.
    Def(Rc<DefType>),
}

/// A reference type (spec 3.0 §2.3.3 "Reference Types"): `(ref null? ht)`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RefType {
    /// Whether `ref.null` is a value of the type.
    pub nullable: bool,
    /// The heap type.
    pub heap: HeapType,
}

impl RefType {
    /// `funcref`, that is `(ref null func)`.
    pub const FUNCREF: RefType = RefType { nullable: true, heap: HeapType::Func };
    /// `externref`, that is `(ref null extern)`.
    pub const EXTERNREF: RefType = RefType { nullable: true, heap: HeapType::Extern };

    /// The nullable abstract reference type of values of `ty`, if it is a
    /// reference type: what 2.0's `funcref` and `externref` mean.
    pub fn of_kind(ty: ValType) -> Option<RefType> {
        match ty {
            ValType::FuncRef => Some(RefType::FUNCREF),
            ValType::ExternRef => Some(RefType::EXTERNREF),
            _ => None,
        }
    }

    /// The type of the values: `FuncRef` or `ExternRef`.
    pub fn kind(&self) -> ValType {
        match self.heap {
            HeapType::Extern | HeapType::Exn => ValType::ExternRef,
            HeapType::Func | HeapType::Def(_) => ValType::FuncRef,
        }
    }

    /// Reference subtyping (spec 3.0 §3.3.3 "Reference Types", §3.3.2
    /// "Heap Types"), without GC's types: `(ref $t)` <: `(ref null $t)` <:
    /// `funcref`, a concrete type matches only an equivalent one.
    pub fn matches(&self, expected: &RefType) -> bool {
        let heap = match (&self.heap, &expected.heap) {
            (HeapType::Func | HeapType::Def(_), HeapType::Func)
            | (HeapType::Extern, HeapType::Extern)
            | (HeapType::Exn, HeapType::Exn) => true,
            (HeapType::Def(a), HeapType::Def(b)) => a == b,
            _ => false,
        };
        heap && (expected.nullable || !self.nullable)
    }
}

impl fmt::Display for RefType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let null = if self.nullable { "null " } else { "" };
        match &self.heap {
            HeapType::Func => write!(f, "(ref {null}func)"),
            HeapType::Extern => write!(f, "(ref {null}extern)"),
            HeapType::Exn => write!(f, "(ref {null}exn)"),
            HeapType::Def(d) => write!(f, "(ref {null}{d})"),
        }
    }
}

/// A value type in full (spec 3.0 §2.3 "Value Types"): a number or vector
/// type, or a reference type with its nullability and heap type.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ExactType {
    /// `i32`, `i64`, `f32`, `f64` or `v128`.
    Plain(ValType),
    /// A reference type.
    Ref(RefType),
}

impl ExactType {
    /// The full type of a 2.0 value type (references nullable and abstract).
    pub fn of_kind(ty: ValType) -> ExactType {
        RefType::of_kind(ty).map_or(ExactType::Plain(ty), ExactType::Ref)
    }

    /// The type of the values.
    pub fn kind(&self) -> ValType {
        match self {
            ExactType::Plain(t) => *t,
            ExactType::Ref(r) => r.kind(),
        }
    }

    /// Value subtyping (spec 3.0 §3.3.4 "Value Types"): numbers and vectors
    /// match themselves, references by [`RefType::matches`].
    pub fn matches(&self, expected: &ExactType) -> bool {
        match (self, expected) {
            (ExactType::Plain(a), ExactType::Plain(b)) => a == b,
            (ExactType::Ref(a), ExactType::Ref(b)) => a.matches(b),
            _ => false,
        }
    }
}

impl fmt::Display for ExactType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExactType::Plain(t) => t.fmt(f),
            ExactType::Ref(r) => r.fmt(f),
        }
    }
}

/// A defined function type with the exact types of its parameters and
/// results, independent of any module (spec 3.0 §2.3.9 "Defined Types"):
/// two are equal exactly when the spec calls them equivalent, which is what
/// `call_indirect` and function imports compare.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct DefType {
    /// Parameter types, in order.
    pub params: Vec<ExactType>,
    /// Result types, in order.
    pub results: Vec<ExactType>,
}

impl DefType {
    /// The defined type of a 2.0 function type (references nullable and
    /// abstract): how host functions are typed.
    pub fn of_func_type(ty: &FuncType) -> DefType {
        let exact = |types: &[ValType]| types.iter().map(|&t| ExactType::of_kind(t)).collect();
        DefType { params: exact(&ty.params), results: exact(&ty.results) }
    }

    /// The function type: references by their [`ValType`].
    pub fn func_type(&self) -> FuncType {
        let kinds = |types: &[ExactType]| types.iter().map(ExactType::kind).collect();
        FuncType { params: kinds(&self.params), results: kinds(&self.results) }
    }
}

impl fmt::Display for DefType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let list = |v: &[ExactType]| v.iter().map(|t| t.to_string()).collect::<Vec<_>>().join(" ");
        write!(f, "(func [{}] -> [{}])", list(&self.params), list(&self.results))
    }
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
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableType {
    /// What the elements are: `FuncRef` or `ExternRef`.
    pub elem: ValType,
    /// Size limits in elements.
    pub limits: Limits,
    /// The exact reference type of the elements (spec 3.0: `(ref $t)`
    /// tables and the like); its [`RefType::kind`] is `elem`.
    pub elem_type: RefType,
}

impl TableType {
    /// A table of `elem_type` references with these limits.
    pub fn new(elem_type: RefType, limits: Limits) -> TableType {
        TableType { elem: elem_type.kind(), limits, elem_type }
    }
}

/// A global type (spec §2.3.10).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GlobalType {
    /// What the value is.
    pub content: ValType,
    /// Whether `global.set` may change it.
    pub mutable: bool,
    /// The exact type of the value (spec 3.0: globals of typed references);
    /// its [`ExactType::kind`] is `content`.
    pub content_type: ExactType,
}

impl GlobalType {
    /// A global holding values of `content_type`.
    pub fn new(content_type: ExactType, mutable: bool) -> GlobalType {
        GlobalType { content: content_type.kind(), mutable, content_type }
    }

    /// Import matching of globals (spec 3.0 §4.5.2 "Global Types"): the
    /// same mutability; a mutable global's type equal both ways, an
    /// immutable one's a subtype of what is expected.
    pub fn matches(&self, expected: &GlobalType) -> bool {
        self.mutable == expected.mutable
            && self.content_type.matches(&expected.content_type)
            && (!self.mutable || expected.content_type.matches(&self.content_type))
    }
}

impl fmt::Display for GlobalType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.mutable { write!(f, "(mut {})", self.content_type) } else { self.content_type.fmt(f) }
    }
}
