//! Modules (spec §2.5): validated with `wasmparser` under the features the
//! interpreter implements ([`features`]) or a chosen subset of them, then
//! decoded into plain data the store instantiates.
//!
//! Every error names what is wrong and the byte offset where it was found.
//! Nothing here panics on any input.

use std::rc::Rc;

use wasmparser::{
    BinaryReaderError, DataKind, ElementItems, ElementKind, ExternalKind, Operator, Parser, Payload, TypeRef,
    Validator, WasmFeatures,
};

use super::code::{FuncBody, Instr};
use super::numerics::BinOp;
use super::translate::translate_body;
use crate::values::{
    AddrType, DefType, ExactType, FuncType, GlobalType, HeapType, Limits, RefType, TableType, ValType, Value,
};

/// A module that failed to decode or validate.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid module at byte offset {offset:#x}: {message}")]
pub struct ModuleError {
    /// What is wrong.
    pub message: String,
    /// Where, in bytes from the start of the module.
    pub offset: u64,
}

impl ModuleError {
    pub(crate) fn new(message: impl Into<String>, offset: u64) -> ModuleError {
        ModuleError { message: message.into(), offset }
    }
}

impl From<BinaryReaderError> for ModuleError {
    fn from(e: BinaryReaderError) -> ModuleError {
        ModuleError::new(e.message(), e.offset())
    }
}

/// The features this interpreter implements: all of WebAssembly 2.0,
/// fixed-width SIMD included, and of 3.0 tail calls, extended constant
/// expressions, relaxed SIMD, multiple memories, 64-bit memories and
/// tables (`MEMORY64` covers both in `wasmparser`), and typed function
/// references (not GC), and exception handling in its standard `exnref`
/// form (`try_table`, `throw`, `throw_ref`; `EXCEPTIONS` in `wasmparser`,
/// whose legacy `try`/`catch`/`delegate` form is a feature of its own).
/// The validator runs with `GC` too, as 3.0 validates: it lets constant
/// expressions read the module's own immutable globals (which the GC
/// proposal brought); decoding refuses every GC type and instruction
/// ("unsupported").
pub fn features() -> WasmFeatures {
    WasmFeatures::WASM2
        | WasmFeatures::TAIL_CALL
        | WasmFeatures::EXTENDED_CONST
        | WasmFeatures::RELAXED_SIMD
        | WasmFeatures::MULTI_MEMORY
        | WasmFeatures::MEMORY64
        | WasmFeatures::FUNCTION_REFERENCES
        | WasmFeatures::EXCEPTIONS
        | WasmFeatures::GC
}

/// What an import or export refers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExternKind {
    /// A function.
    Func,
    /// A table.
    Table,
    /// A memory.
    Memory,
    /// A global.
    Global,
    /// A tag (exception handling, Wasm 3.0).
    Tag,
}

/// The type an import expects (spec §2.5.11).
#[derive(Debug, Clone, PartialEq)]
pub enum ImportType {
    /// A function of the type at this index.
    Func(u32),
    /// A table of this type.
    Table(TableType),
    /// A memory with these limits (in pages) and address type.
    Memory(Limits),
    /// A global of this type.
    Global(GlobalType),
}

/// A tag import (exception handling, Wasm 3.0): `module.name`, a tag whose
/// function type is at `type_index`. Tag imports are kept apart from
/// [`Import`]s so that embedders written before tags existed, which match
/// every [`ImportType`], keep working on modules without them.
#[derive(Debug, Clone, PartialEq)]
pub struct TagImport {
    /// The module name.
    pub module: String,
    /// The field name.
    pub name: String,
    /// The index of its function type in [`Module::types`].
    pub type_index: u32,
}

/// An import: `module.name` of some type.
#[derive(Debug, Clone, PartialEq)]
pub struct Import {
    /// The module name.
    pub module: String,
    /// The field name.
    pub name: String,
    /// What is expected.
    pub ty: ImportType,
}

/// An export: a name and the index it refers to in its index space.
#[derive(Debug, Clone, PartialEq)]
pub struct Export {
    /// The exported name.
    pub name: String,
    /// The index space.
    pub kind: ExternKind,
    /// The index within it.
    pub index: u32,
}

/// A constant expression (spec §3.3.10): a few instructions evaluated at
/// instantiation.
pub type ConstExpr = Vec<Instr>;

/// A function defined by the module.
#[derive(Debug, Clone, PartialEq)]
pub struct Function {
    /// Index of its type in [`Module::types`].
    pub type_index: u32,
    /// Its body.
    pub body: Rc<FuncBody>,
}

/// A global defined by the module.
#[derive(Debug, Clone, PartialEq)]
pub struct Global {
    /// Its type.
    pub ty: GlobalType,
    /// Its initial value.
    pub init: ConstExpr,
}

/// How an element segment is used (spec §2.5.7).
#[derive(Debug, Clone, PartialEq)]
pub enum ElemMode {
    /// Used by `table.init` only.
    Passive,
    /// Copied into a table at instantiation, then dropped.
    Active {
        /// The table.
        table: u32,
        /// Where in it.
        offset: ConstExpr,
    },
    /// Only declares functions `ref.func` may name; dropped at instantiation.
    Declared,
}

/// An element segment.
#[derive(Debug, Clone, PartialEq)]
pub struct ElemSegment {
    /// The reference type of the items.
    pub ty: ValType,
    /// The items, each a constant expression.
    pub items: Vec<ConstExpr>,
    /// How the segment is used.
    pub mode: ElemMode,
}

/// How a data segment is used (spec §2.5.8).
#[derive(Debug, Clone, PartialEq)]
pub enum DataMode {
    /// Used by `memory.init` only.
    Passive,
    /// Copied into a memory at instantiation at this offset, then dropped.
    Active {
        /// The memory.
        memory: u32,
        /// Where in memory.
        offset: ConstExpr,
    },
}

/// A data segment.
#[derive(Debug, Clone, PartialEq)]
pub struct DataSegment {
    /// The bytes.
    pub bytes: Vec<u8>,
    /// How the segment is used.
    pub mode: DataMode,
}

/// A validated, decoded module (spec §2.5).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Module {
    /// The type section, references by their [`ValType`].
    pub types: Vec<FuncType>,
    /// The type section with exact types, independent of the module (the
    /// same types as `types`, index for index).
    pub def_types: Vec<Rc<DefType>>,
    /// Imports but the tags', in order; imported functions, tables,
    /// memories and globals come first in their index spaces.
    pub imports: Vec<Import>,
    /// Tag imports, in order; they come first in the tag index space.
    pub tag_imports: Vec<TagImport>,
    /// Functions defined by the module.
    pub funcs: Vec<Function>,
    /// Tables defined by the module, with the value each slot starts with
    /// (`ref.null` unless a table initialiser says otherwise).
    pub tables: Vec<(TableType, ConstExpr)>,
    /// Memories defined by the module: their address types and limits in
    /// 64 KiB pages.
    pub memories: Vec<Limits>,
    /// Globals defined by the module.
    pub globals: Vec<Global>,
    /// Tags defined by the module (spec 3.0 §2.5.7 "Tags"): the index of
    /// each one's function type, whose parameters are its payload.
    pub tags: Vec<u32>,
    /// Exports, in order.
    pub exports: Vec<Export>,
    /// The start function, if any.
    pub start: Option<u32>,
    /// Element segments.
    pub elems: Vec<ElemSegment>,
    /// Data segments.
    pub datas: Vec<DataSegment>,
}

impl Module {
    /// Validates `bytes` with every feature this interpreter implements
    /// ([`features`]) and decodes it.
    pub fn new(bytes: &[u8]) -> Result<Module, ModuleError> {
        Module::with_features(bytes, features())
    }

    /// Validates `bytes` with the features `enabled` (those of
    /// [`features`] at most: a module using any other fails to decode) and
    /// decodes it. The WebAssembly 2.0 suite runs with
    /// `WasmFeatures::WASM2`, where a second memory is invalid.
    pub fn with_features(bytes: &[u8], enabled: WasmFeatures) -> Result<Module, ModuleError> {
        Validator::new_with_features(enabled).validate_all(bytes)?;
        decode(bytes)
    }

    /// The type of the function at `index` in the function index space
    /// (imports first).
    pub fn func_type_index(&self, index: u32) -> Option<u32> {
        let imported = self
            .imports
            .iter()
            .filter_map(|i| match i.ty {
                ImportType::Func(t) => Some(t),
                _ => None,
            })
            .collect::<Vec<_>>();
        match imported.get(index as usize) {
            Some(&t) => Some(t),
            None => self.funcs.get(index as usize - imported.len()).map(|f| f.type_index),
        }
    }
}

/// What values of a value type are; typed references by their heap type's
/// hierarchy (a concrete function type's values are `FuncRef`s).
pub(crate) fn val_type(ty: wasmparser::ValType, offset: u64) -> Result<ValType, ModuleError> {
    Ok(match ty {
        wasmparser::ValType::I32 => ValType::I32,
        wasmparser::ValType::I64 => ValType::I64,
        wasmparser::ValType::F32 => ValType::F32,
        wasmparser::ValType::F64 => ValType::F64,
        wasmparser::ValType::V128 => ValType::V128,
        wasmparser::ValType::Ref(r) => ref_kind(r, offset)?,
    })
}

/// What references of `ty` are: `FuncRef`, or `ExternRef` (also for
/// `exnref`, see [`ValType`]). Other heap types belong to GC, which the
/// validator refuses without its feature.
pub(crate) fn ref_kind(ty: wasmparser::RefType, offset: u64) -> Result<ValType, ModuleError> {
    use wasmparser::{AbstractHeapType, HeapType as H};
    match ty.heap_type() {
        H::Abstract { shared: false, ty: AbstractHeapType::Func } | H::Concrete(_) => Ok(ValType::FuncRef),
        H::Abstract { shared: false, ty: AbstractHeapType::Extern | AbstractHeapType::Exn } => {
            Ok(ValType::ExternRef)
        }
        _ => Err(ModuleError::new(format!("unsupported reference type {ty}"), offset)),
    }
}

/// The exact reference type `ty` of a module whose types decoded so far
/// are `defs`. Without GC a type refers to earlier types only (the
/// validator refuses any other reference as an unknown type).
fn ref_type(ty: wasmparser::RefType, defs: &[Rc<DefType>], offset: u64) -> Result<RefType, ModuleError> {
    use wasmparser::{AbstractHeapType, HeapType as H, UnpackedIndex};
    let heap = match ty.heap_type() {
        H::Abstract { shared: false, ty: AbstractHeapType::Func } => HeapType::Func,
        H::Abstract { shared: false, ty: AbstractHeapType::Extern } => HeapType::Extern,
        H::Abstract { shared: false, ty: AbstractHeapType::Exn } => HeapType::Exn,
        H::Concrete(UnpackedIndex::Module(i)) => match defs.get(i as usize) {
            Some(def) => HeapType::Def(Rc::clone(def)),
            None => return Err(ModuleError::new(format!("unknown type {i}"), offset)),
        },
        _ => return Err(ModuleError::new(format!("unsupported reference type {ty}"), offset)),
    };
    Ok(RefType { nullable: ty.is_nullable(), heap })
}

/// The exact value type `ty` (see [`ref_type`]).
fn exact_type(ty: wasmparser::ValType, defs: &[Rc<DefType>], offset: u64) -> Result<ExactType, ModuleError> {
    Ok(match ty {
        wasmparser::ValType::Ref(r) => ExactType::Ref(ref_type(r, defs, offset)?),
        plain => ExactType::Plain(val_type(plain, offset)?),
    })
}

/// The address type 64-bit memories and tables have, and 2.0's others.
fn addr_type(is_64: bool) -> AddrType {
    if is_64 { AddrType::I64 } else { AddrType::I32 }
}

/// A memory type: its address type and limits in pages. Custom page sizes
/// are a feature the validator refuses; should one get through, it is
/// reported rather than run with 64 KiB pages.
fn memory_limits(ty: &wasmparser::MemoryType, offset: u64) -> Result<Limits, ModuleError> {
    match ty.page_size_log2 {
        None | Some(16) => Ok(Limits { addr: addr_type(ty.memory64), min: ty.initial, max: ty.maximum }),
        Some(log2) => Err(ModuleError::new(format!("unsupported page size 2^{log2}"), offset)),
    }
}

/// A table type (spec 3.0 §2.3 "Table Types").
fn table_type(
    ty: &wasmparser::TableType,
    defs: &[Rc<DefType>],
    offset: u64,
) -> Result<TableType, ModuleError> {
    let limits = Limits { addr: addr_type(ty.table64), min: ty.initial, max: ty.maximum };
    Ok(TableType::new(ref_type(ty.element_type, defs, offset)?, limits))
}

fn global_type(
    ty: wasmparser::GlobalType,
    defs: &[Rc<DefType>],
    offset: u64,
) -> Result<GlobalType, ModuleError> {
    Ok(GlobalType::new(exact_type(ty.content_type, defs, offset)?, ty.mutable))
}

/// The next function type of the type section, after `defs`, its
/// parameters and results as exact types.
fn def_type(ty: &wasmparser::FuncType, defs: &[Rc<DefType>], offset: u64) -> Result<DefType, ModuleError> {
    let list = |types: &[wasmparser::ValType]| {
        types.iter().map(|&t| exact_type(t, defs, offset)).collect::<Result<Vec<_>, _>>()
    };
    Ok(DefType { params: list(ty.params())?, results: list(ty.results())? })
}

/// Decodes a constant expression: the instructions before its final `end`.
fn const_expr(expr: &wasmparser::ConstExpr<'_>) -> Result<ConstExpr, ModuleError> {
    let mut reader = expr.get_operators_reader();
    let mut out = Vec::new();
    while !reader.eof() {
        let offset = reader.original_position();
        let instr = match reader.read()? {
            Operator::End => continue,
            Operator::I32Const { value } => Instr::Const(Value::I32(value)),
            Operator::I64Const { value } => Instr::Const(Value::I64(value)),
            Operator::F32Const { value } => Instr::Const(Value::F32(value.bits())),
            Operator::F64Const { value } => Instr::Const(Value::F64(value.bits())),
            Operator::V128Const { value } => Instr::Const(Value::V128(u128::from_le_bytes(*value.bytes()))),
            Operator::RefNull { hty } => Instr::RefNull(ref_kind(
                wasmparser::RefType::new(true, hty)
                    .ok_or_else(|| ModuleError::new("unsupported reference type", offset))?,
                offset,
            )?),
            Operator::RefFunc { function_index } => Instr::RefFunc(function_index),
            Operator::GlobalGet { global_index } => Instr::GlobalGet(global_index),
            // Extended constant expressions (WebAssembly 3.0).
            Operator::I32Add => Instr::Binary(BinOp::I32Add),
            Operator::I32Sub => Instr::Binary(BinOp::I32Sub),
            Operator::I32Mul => Instr::Binary(BinOp::I32Mul),
            Operator::I64Add => Instr::Binary(BinOp::I64Add),
            Operator::I64Sub => Instr::Binary(BinOp::I64Sub),
            Operator::I64Mul => Instr::Binary(BinOp::I64Mul),
            other => {
                return Err(ModuleError::new(format!("unsupported constant instruction {other:?}"), offset));
            }
        };
        out.push(instr);
    }
    Ok(out)
}

/// Decodes a module already validated. Errors here mean a construct valid in
/// WebAssembly but outside what this interpreter implements.
fn decode(bytes: &[u8]) -> Result<Module, ModuleError> {
    let mut module = Module::default();
    let mut func_types: Vec<u32> = Vec::new();
    for payload in Parser::new(0).parse_all(bytes) {
        match payload? {
            Payload::TypeSection(reader) => {
                let offset = reader.range().start;
                for ty in reader.into_iter_err_on_gc_types() {
                    let def = def_type(&ty?, &module.def_types, offset)?;
                    module.types.push(def.func_type());
                    module.def_types.push(Rc::new(def));
                }
            }
            Payload::ImportSection(reader) => {
                for import in reader.into_imports_with_offsets() {
                    let (offset, import) = import?;

                    let ty = match import.ty {
                        TypeRef::Func(t) => ImportType::Func(t),
                        TypeRef::Table(t) => ImportType::Table(table_type(&t, &module.def_types, offset)?),
                        TypeRef::Memory(m) => ImportType::Memory(memory_limits(&m, offset)?),
                        TypeRef::Global(g) => ImportType::Global(global_type(g, &module.def_types, offset)?),
                        TypeRef::Tag(t) => {
                            module.tag_imports.push(TagImport {
                                module: import.module.to_string(),
                                name: import.name.to_string(),
                                type_index: t.func_type_idx,
                            });
                            continue;
                        }
                        other => {
                            return Err(ModuleError::new(format!("unsupported import {other:?}"), offset));
                        }
                    };
                    module.imports.push(Import {
                        module: import.module.to_string(),
                        name: import.name.to_string(),
                        ty,
                    });
                }
            }
            Payload::FunctionSection(reader) => {
                for ty in reader {
                    func_types.push(ty?);
                }
            }
            Payload::TableSection(reader) => {
                for table in reader.into_iter_with_offsets() {
                    let (offset, table) = table?;
                    let ty = table_type(&table.ty, &module.def_types, offset)?;
                    let init = match table.init {
                        wasmparser::TableInit::RefNull => vec![Instr::RefNull(ty.elem)],
                        wasmparser::TableInit::Expr(e) => const_expr(&e)?,
                    };
                    module.tables.push((ty, init));
                }
            }
            Payload::MemorySection(reader) => {
                for memory in reader.into_iter_with_offsets() {
                    let (offset, memory) = memory?;
                    module.memories.push(memory_limits(&memory, offset)?);
                }
            }
            Payload::GlobalSection(reader) => {
                for global in reader.into_iter_with_offsets() {
                    let (offset, global) = global?;
                    module.globals.push(Global {
                        ty: global_type(global.ty, &module.def_types, offset)?,
                        init: const_expr(&global.init_expr)?,
                    });
                }
            }
            Payload::ExportSection(reader) => {
                for export in reader.into_iter_with_offsets() {
                    let (offset, export) = export?;
                    let kind = match export.kind {
                        ExternalKind::Func => ExternKind::Func,
                        ExternalKind::Table => ExternKind::Table,
                        ExternalKind::Memory => ExternKind::Memory,
                        ExternalKind::Global => ExternKind::Global,
                        ExternalKind::Tag => ExternKind::Tag,
                        other => {
                            return Err(ModuleError::new(
                                format!("unsupported export kind {other:?}"),
                                offset,
                            ));
                        }
                    };
                    module.exports.push(Export { name: export.name.to_string(), kind, index: export.index });
                }
            }
            Payload::TagSection(reader) => {
                for tag in reader {
                    module.tags.push(tag?.func_type_idx);
                }
            }
            Payload::StartSection { func, .. } => module.start = Some(func),
            Payload::ElementSection(reader) => {
                for elem in reader.into_iter_with_offsets() {
                    let (offset, elem) = elem?;
                    let (ty, items) = match elem.items {
                        ElementItems::Functions(indices) => (
                            ValType::FuncRef,
                            indices.into_iter().map(|i| Ok(vec![Instr::RefFunc(i?)])).collect::<Result<
                                Vec<_>,
                                ModuleError,
                            >>(
                            )?,
                        ),
                        ElementItems::Expressions(ty, exprs) => (
                            ref_kind(ty, offset)?,
                            exprs.into_iter().map(|e| const_expr(&e?)).collect::<Result<Vec<_>, _>>()?,
                        ),
                    };
                    let mode = match elem.kind {
                        ElementKind::Passive => ElemMode::Passive,
                        ElementKind::Declared => ElemMode::Declared,
                        ElementKind::Active { table_index, offset_expr } => ElemMode::Active {
                            table: table_index.unwrap_or(0),
                            offset: const_expr(&offset_expr)?,
                        },
                    };
                    module.elems.push(ElemSegment { ty, items, mode });
                }
            }
            Payload::DataSection(reader) => {
                for data in reader {
                    let data = data?;
                    let mode = match data.kind {
                        DataKind::Passive => DataMode::Passive,
                        DataKind::Active { memory_index, offset_expr } => {
                            DataMode::Active { memory: memory_index, offset: const_expr(&offset_expr)? }
                        }
                    };
                    module.datas.push(DataSegment { bytes: data.data.to_vec(), mode });
                }
            }
            Payload::CodeSectionEntry(body) => {
                let offset = body.range().start;
                let index = module.funcs.len();
                let type_index = *func_types
                    .get(index)
                    .ok_or_else(|| ModuleError::new("function body without a declaration", offset))?;
                let body = translate_body(&module, &body)?;
                module.funcs.push(Function { type_index, body: Rc::new(body) });
            }
            _ => {}
        }
    }
    // Functions declared but without a body can only reach here if
    // validation was skipped; report rather than mis-execute.
    if module.funcs.len() != func_types.len() {
        return Err(ModuleError::new("function and code section counts differ", bytes.len() as u64));
    }
    Ok(module)
}
