//! Wasm types as the engine and its embedders see them.

use std::fmt;

use cranelift_codegen::ir::types;

/// A value type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ValType {
    /// 32-bit integer.
    I32,
    /// 64-bit integer.
    I64,
    /// 32-bit float.
    F32,
    /// 64-bit float.
    F64,
    /// 128-bit vector (SIMD).
    V128,
    /// Nullable function reference.
    FuncRef,
    /// Nullable host reference.
    ExternRef,
}

impl ValType {
    /// The Cranelift type a value of this type is carried in; references
    /// are pointers (funcref) or ids (externref), both 64 bits.
    pub(crate) fn clif(self) -> types::Type {
        match self {
            ValType::I32 => types::I32,
            ValType::I64 | ValType::FuncRef | ValType::ExternRef => types::I64,
            ValType::F32 => types::F32,
            ValType::F64 => types::F64,
            // As in Wasmtime: lane-typed vectors are bitcasts of it.
            ValType::V128 => types::I8X16,
        }
    }

    /// The engine's type for a Wasm value type. Typed function references
    /// (`(ref $t)`, `(ref null $t)`, `(ref func)`) are carried as `FuncRef`
    /// and `(ref extern)` as `ExternRef`: the same 64-bit value, null or
    /// not. Their nullability and heap type are validation's business; at
    /// run time `call_ref` checks null and the callee's type id as
    /// `call_indirect` does, so no function is ever called at a type it
    /// does not have. GC heap types are not supported (`None`).
    pub(crate) fn from_wasmparser(ty: wasmparser::ValType) -> Option<ValType> {
        use wasmparser::{AbstractHeapType, HeapType};
        Some(match ty {
            wasmparser::ValType::I32 => ValType::I32,
            wasmparser::ValType::I64 => ValType::I64,
            wasmparser::ValType::F32 => ValType::F32,
            wasmparser::ValType::F64 => ValType::F64,
            wasmparser::ValType::V128 => ValType::V128,
            wasmparser::ValType::Ref(r) => match r.heap_type() {
                HeapType::Abstract { shared: false, ty: AbstractHeapType::Func } | HeapType::Concrete(_) => {
                    ValType::FuncRef
                }
                HeapType::Abstract { shared: false, ty: AbstractHeapType::Extern } => ValType::ExternRef,
                _ => return None,
            },
        })
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

/// A function type.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct FuncType {
    params: Vec<ValType>,
    results: Vec<ValType>,
}

impl FuncType {
    /// A function type with these parameters and results.
    pub fn new(
        params: impl IntoIterator<Item = ValType>,
        results: impl IntoIterator<Item = ValType>,
    ) -> Self {
        FuncType { params: params.into_iter().collect(), results: results.into_iter().collect() }
    }

    /// The parameter types.
    pub fn params(&self) -> &[ValType] {
        &self.params
    }

    /// The result types.
    pub fn results(&self) -> &[ValType] {
        &self.results
    }
}

impl fmt::Display for FuncType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let list = |v: &[ValType]| v.iter().map(ToString::to_string).collect::<Vec<_>>().join(" ");
        write!(f, "[{}] -> [{}]", list(&self.params), list(&self.results))
    }
}

/// Size limits (pages for memories, elements for tables).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Minimum size.
    pub min: u64,
    /// Maximum size, if any.
    pub max: Option<u64>,
}

impl Limits {
    /// Whether `self` (what is provided) satisfies `wanted` when imported.
    pub fn matches(&self, wanted: &Limits) -> bool {
        self.min >= wanted.min
            && match (self.max, wanted.max) {
                (_, None) => true,
                (Some(have), Some(want)) => have <= want,
                (None, Some(_)) => false,
            }
    }
}

/// A table type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TableType {
    /// Element type: `FuncRef` or `ExternRef`.
    pub element: ValType,
    /// Size limits in elements.
    pub limits: Limits,
}

/// A global type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GlobalType {
    /// The type of the value.
    pub content: ValType,
    /// Whether it may be set.
    pub mutable: bool,
}
