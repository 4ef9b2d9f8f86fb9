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
    /// Nullable exception reference (exception handling, Wasm 3.0).
    ExnRef,
}

impl ValType {
    /// The Cranelift type a value of this type is carried in; references
    /// are pointers (funcref) or ids (externref, exnref), all 64 bits.
    pub(crate) fn clif(self) -> types::Type {
        match self {
            ValType::I32 => types::I32,
            ValType::I64 | ValType::FuncRef | ValType::ExternRef | ValType::ExnRef => types::I64,
            ValType::F32 => types::F32,
            ValType::F64 => types::F64,
            // As in Wasmtime: lane-typed vectors are bitcasts of it.
            ValType::V128 => types::I8X16,
        }
    }

    /// The engine's type for a Wasm value type. Typed function references
    /// (`(ref $t)`, `(ref null $t)`, `(ref func)`) are carried as `FuncRef`
    /// and `(ref extern)` as `ExternRef` (`(ref exn)` as `ExnRef`): the same 64-bit value, null or
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
                HeapType::Abstract { shared: false, ty: AbstractHeapType::Exn } => ValType::ExnRef,
                _ => return None,
            },
        })
    }
}

/// A value type with its reference type exact (nullability and heap type),
/// as type identity (`call_indirect`, `call_ref`) and import matching need
/// it; [`ValType`] carries every function reference as `FuncRef`. The
/// nullable abstract references are `Plain(FuncRef)` and
/// `Plain(ExternRef)`, so a host function's type has the same identity as
/// a module's that spells the same types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum ExactType {
    /// A numeric or vector type, or a nullable abstract reference.
    Plain(ValType),
    /// Any other reference type.
    Ref { nullable: bool, heap: Heap },
}

/// The heap type of an [`ExactType::Ref`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Heap {
    Func,
    Extern,
    Exn,
    /// A function type by its index in the module (as decoded).
    Index(u32),
    /// A function type by its engine-wide id (once canonical).
    Id(u64),
}

impl ExactType {
    /// The exact type of a Wasm value type (`None` for GC types).
    pub(crate) fn from_wasmparser(ty: wasmparser::ValType) -> Option<ExactType> {
        use wasmparser::{AbstractHeapType, HeapType, UnpackedIndex};
        let wasmparser::ValType::Ref(r) = ty else {
            return ValType::from_wasmparser(ty).map(ExactType::Plain);
        };
        let heap = match r.heap_type() {
            HeapType::Abstract { shared: false, ty: AbstractHeapType::Func } => Heap::Func,
            HeapType::Abstract { shared: false, ty: AbstractHeapType::Extern } => Heap::Extern,
            HeapType::Abstract { shared: false, ty: AbstractHeapType::Exn } => Heap::Exn,
            HeapType::Concrete(UnpackedIndex::Module(i)) => Heap::Index(i),
            _ => return None,
        };
        Some(match (r.is_nullable(), heap) {
            (true, Heap::Func) => ExactType::Plain(ValType::FuncRef),
            (true, Heap::Extern) => ExactType::Plain(ValType::ExternRef),
            (true, Heap::Exn) => ExactType::Plain(ValType::ExnRef),
            (nullable, heap) => ExactType::Ref { nullable, heap },
        })
    }

    /// With module type indices replaced by the engine-wide ids in `ids`
    /// (a later index, which validation does not allow without GC, is
    /// left as it is).
    pub(crate) fn canonical(self, ids: &[u64]) -> ExactType {
        match self {
            ExactType::Ref { nullable, heap: Heap::Index(i) } => match ids.get(i as usize) {
                Some(&id) => ExactType::Ref { nullable, heap: Heap::Id(id) },
                None => self,
            },
            other => other,
        }
    }

    /// As a reference: nullability and heap type.
    fn as_ref(self) -> Option<(bool, Heap)> {
        match self {
            ExactType::Plain(ValType::FuncRef) => Some((true, Heap::Func)),
            ExactType::Plain(ValType::ExternRef) => Some((true, Heap::Extern)),
            ExactType::Plain(ValType::ExnRef) => Some((true, Heap::Exn)),
            ExactType::Ref { nullable, heap } => Some((nullable, heap)),
            ExactType::Plain(_) => None,
        }
    }

    /// Whether a value of `self` is a value of `other` (3.0 without GC: a
    /// non-null reference is a nullable one, a typed function reference
    /// is a `func` one).
    pub(crate) fn matches(self, other: ExactType) -> bool {
        match (self.as_ref(), other.as_ref()) {
            (Some((n1, h1)), Some((n2, h2))) => {
                (!n1 || n2) && (h1 == h2 || (matches!(h1, Heap::Id(_) | Heap::Index(_)) && h2 == Heap::Func))
            }
            _ => self == other,
        }
    }
}

/// A function type with exact reference types: what a type id stands for.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub(crate) struct ExactFuncType {
    pub params: Vec<ExactType>,
    pub results: Vec<ExactType>,
}

impl ExactFuncType {
    /// The exact type of a host function's (abstract references only).
    pub(crate) fn of(ty: &FuncType) -> ExactFuncType {
        let plain = |v: &[ValType]| v.iter().map(|&t| ExactType::Plain(t)).collect();
        ExactFuncType { params: plain(ty.params()), results: plain(ty.results()) }
    }

    /// With module type indices replaced by engine-wide ids.
    pub(crate) fn canonical(&self, ids: &[u64]) -> ExactFuncType {
        let canon = |v: &[ExactType]| v.iter().map(|t| t.canonical(ids)).collect();
        ExactFuncType { params: canon(&self.params), results: canon(&self.results) }
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
            ValType::ExnRef => "exnref",
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
    /// Element type: `FuncRef`, `ExternRef` or `ExnRef`.
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
