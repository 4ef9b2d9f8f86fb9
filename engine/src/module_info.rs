//! Decoding a validated module into what compilation and instantiation
//! need: types, imports, index spaces, exports, segments, and the function
//! bodies still to translate.

use wasmparser::{
    BlockType, DataKind, ElementItems, ElementKind, ExternalKind, FunctionBody, Operator, Parser, Payload,
    TypeRef,
};

use crate::error::{Error, Result};
use crate::types::{ExactFuncType, ExactType, FuncType, GlobalType, Limits, TableType, ValType};

/// One instruction of a constant expression.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum ConstOp {
    I32(i32),
    I64(i64),
    F32(u32),
    F64(u64),
    V128(u128),
    RefNull,
    RefFunc(u32),
    GlobalGet(u32),
    /// Extended constant expressions (WebAssembly 3.0): wrapping
    /// arithmetic on the two values on top of the stack.
    I32Add,
    I32Sub,
    I32Mul,
    I64Add,
    I64Sub,
    I64Mul,
}

/// A constant expression: its instructions (before the `end`), run as a
/// stack program. WebAssembly 2.0 allows one instruction; 3.0's extended
/// constants add `i32`/`i64` `add`, `sub` and `mul`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ConstExpr(pub Box<[ConstOp]>);

impl ConstExpr {
    /// The expression of the single instruction `op`.
    pub(crate) fn single(op: ConstOp) -> ConstExpr {
        ConstExpr(Box::new([op]))
    }

    /// Runs the expression, `global(i)` giving the bits of global `i` and
    /// `func(i)` the funcref value of function `i`; `None` if either gives
    /// `None` or the program is malformed (the validator rules that out).
    pub(crate) fn eval(
        &self,
        mut global: impl FnMut(u32) -> Option<u128>,
        mut func: impl FnMut(u32) -> Option<u128>,
    ) -> Option<u128> {
        let mut stack: Vec<u128> = Vec::with_capacity(2);
        for op in &self.0 {
            let value = match *op {
                ConstOp::I32(v) => u128::from(v as u32),
                ConstOp::I64(v) => u128::from(v as u64),
                ConstOp::F32(v) => u128::from(v),
                ConstOp::F64(v) => u128::from(v),
                ConstOp::V128(v) => v,
                ConstOp::RefNull => 0,
                ConstOp::RefFunc(i) => func(i)?,
                ConstOp::GlobalGet(i) => global(i)?,
                arith => {
                    let b = stack.pop()?;
                    let a = stack.pop()?;
                    let (a32, b32, a64, b64) = (a as u32, b as u32, a as u64, b as u64);
                    match arith {
                        ConstOp::I32Add => u128::from(a32.wrapping_add(b32)),
                        ConstOp::I32Sub if plumb_rules::mutant::active("extended-const-sub-swapped") => {
                            u128::from(b32.wrapping_sub(a32))
                        }
                        ConstOp::I64Sub if plumb_rules::mutant::active("extended-const-sub-swapped") => {
                            u128::from(b64.wrapping_sub(a64))
                        }
                        ConstOp::I32Sub => u128::from(a32.wrapping_sub(b32)),
                        ConstOp::I32Mul => u128::from(a32.wrapping_mul(b32)),
                        ConstOp::I64Add => u128::from(a64.wrapping_add(b64)),
                        ConstOp::I64Sub => u128::from(a64.wrapping_sub(b64)),
                        _ => u128::from(a64.wrapping_mul(b64)),
                    }
                }
            };
            stack.push(value);
        }
        (stack.len() == 1).then(|| stack[0])
    }

    /// The value, if it depends on nothing of an instance (no `global.get`,
    /// no `ref.func`): what a memory image can be laid out with.
    pub(crate) fn constant(&self) -> Option<u128> {
        self.eval(|_| None, |_| None)
    }
}

/// What an import or export refers to, by kind and index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum EntityIndex {
    Func(u32),
    Table(u32),
    Memory(u32),
    Global(u32),
    Tag(u32),
}

/// An import and the type it requires.
#[derive(Debug, Clone)]
pub(crate) struct ImportInfo {
    pub module: String,
    pub name: String,
    pub index: EntityIndex,
}

/// An element segment.
#[derive(Debug, Clone)]
pub(crate) struct ElemSegment {
    pub items: Vec<ConstExpr>,
    /// `Some((table, offset))` for active segments.
    pub active: Option<(u32, ConstExpr)>,
    /// Declared segments are dropped at instantiation like active ones.
    pub declared: bool,
}

/// A data segment.
#[derive(Debug, Clone)]
pub(crate) struct DataSegment {
    pub bytes: Vec<u8>,
    /// `Some((memory, offset))` for active segments.
    pub active: Option<(u32, ConstExpr)>,
}

/// Everything about a module but its code.
#[derive(Debug, Clone, Default)]
pub(crate) struct ModuleInfo {
    pub types: Vec<FuncType>,
    pub imports: Vec<ImportInfo>,
    /// Type index of every function, imports first.
    pub funcs: Vec<u32>,
    pub imported_funcs: usize,
    pub tables: Vec<TableType>,
    pub imported_tables: usize,
    pub memories: Vec<Limits>,
    /// Per memory: whether its addresses are `i64` (memory64).
    pub memory64: Vec<bool>,
    /// Per table: whether its indices are `i64` (table64).
    pub table64: Vec<bool>,
    /// Exact types (typed references kept apart) of each type, each
    /// table's elements and each global, with module type indices.
    pub exact_types: Vec<ExactFuncType>,
    pub table_exact: Vec<ExactType>,
    pub global_exact: Vec<ExactType>,
    /// Per defined table: the value every element starts with, when the
    /// table has an initialiser expression (typed function references);
    /// `None` is null.
    pub table_inits: Vec<Option<ConstExpr>>,
    pub imported_memories: usize,
    pub globals: Vec<GlobalType>,
    pub imported_globals: usize,
    /// Initialisers of the defined globals.
    pub global_inits: Vec<ConstExpr>,
    pub exports: Vec<(String, EntityIndex)>,
    pub start: Option<u32>,
    pub elems: Vec<ElemSegment>,
    pub datas: Vec<DataSegment>,
    /// Per function: whether an exception may come out of a call to it
    /// (see `may_throw`); a call to one that cannot needs no test after it.
    pub may_throw: Vec<bool>,
    /// Type index of every tag, imports first.
    pub tags: Vec<u32>,
    pub imported_tags: usize,
    /// Function names from the name section, by function index.
    pub func_names: std::collections::HashMap<u32, String>,
}

impl ModuleInfo {
    /// The type of function `index`.
    pub fn func_type(&self, index: u32) -> Option<&FuncType> {
        self.types.get(*self.funcs.get(index as usize)? as usize)
    }

    /// The type of tag `index` (its payload as parameters).
    pub fn tag_type(&self, index: u32) -> Option<&FuncType> {
        self.types.get(*self.tags.get(index as usize)? as usize)
    }
}

fn unsupported(what: impl std::fmt::Display, offset: u64) -> Error {
    Error::Unsupported { message: what.to_string(), offset }
}

fn val_type(ty: wasmparser::ValType, offset: u64) -> Result<ValType> {
    ValType::from_wasmparser(ty).ok_or_else(|| unsupported(format!("value type {ty}"), offset))
}

fn exact_type(ty: wasmparser::ValType, offset: u64) -> Result<ExactType> {
    ExactType::from_wasmparser(ty).ok_or_else(|| unsupported(format!("value type {ty}"), offset))
}

fn ref_type(ty: wasmparser::RefType, offset: u64) -> Result<ValType> {
    val_type(wasmparser::ValType::Ref(ty), offset)
}

fn global_type(ty: wasmparser::GlobalType, offset: u64) -> Result<GlobalType> {
    Ok(GlobalType { content: val_type(ty.content_type, offset)?, mutable: ty.mutable })
}

fn const_expr(expr: &wasmparser::ConstExpr<'_>) -> Result<ConstExpr> {
    let mut reader = expr.get_operators_reader();
    let mut ops = Vec::new();
    loop {
        let offset = reader.original_position();
        ops.push(match reader.read()? {
            Operator::End => break,
            Operator::I32Const { value } => ConstOp::I32(value),
            Operator::I64Const { value } => ConstOp::I64(value),
            Operator::F32Const { value } => ConstOp::F32(value.bits()),
            Operator::F64Const { value } => ConstOp::F64(value.bits()),
            Operator::V128Const { value } => ConstOp::V128(value.i128() as u128),
            Operator::RefNull { .. } => ConstOp::RefNull,
            Operator::RefFunc { function_index } => ConstOp::RefFunc(function_index),
            Operator::GlobalGet { global_index } => ConstOp::GlobalGet(global_index),
            Operator::I32Add => ConstOp::I32Add,
            Operator::I32Sub => ConstOp::I32Sub,
            Operator::I32Mul => ConstOp::I32Mul,
            Operator::I64Add => ConstOp::I64Add,
            Operator::I64Sub => ConstOp::I64Sub,
            Operator::I64Mul => ConstOp::I64Mul,
            other => return Err(unsupported(format!("constant expression {other:?}"), offset)),
        });
    }
    Ok(ConstExpr(ops.into_boxed_slice()))
}

/// What a function body calls, for [`may_throw`]: whether it can start an
/// exception or call what may throw without knowing what (`throw`,
/// `throw_ref`, an indirect or reference call), and the functions it calls
/// directly (tail calls included: an exception of the callee of a tail
/// call goes to the caller's caller).
#[derive(Debug, Default)]
struct BodyCalls {
    unknown: bool,
    direct: Vec<u32>,
}

/// Per function of the index space: whether an exception may come out of
/// a call to it. Imports may throw (another module's function may); a
/// defined function may if its body can start one or calls a function
/// that may. The least fixpoint, so mutual recursion without a throw
/// throws nothing.
fn may_throw(imported: usize, calls: &[BodyCalls]) -> Vec<bool> {
    let mut throws: Vec<bool> = (0..imported).map(|_| true).chain(calls.iter().map(|c| c.unknown)).collect();
    let mut changed = true;
    while changed {
        changed = false;
        for (i, body) in calls.iter().enumerate() {
            let index = imported + i;
            if !throws[index] && body.direct.iter().any(|&f| throws.get(f as usize).copied().unwrap_or(true))
            {
                throws[index] = true;
                changed = true;
            }
        }
    }
    throws
}

/// Refuses a function body that uses garbage collection (WebAssembly 3.0's
/// GC, which Plumb does not implement): a local, block, `select` or
/// `ref.null` of a GC type, or a GC instruction (all of them, and nothing
/// else Plumb validates, are `0xfb`-prefixed). The validator accepts GC so
/// that 3.0's constant expressions may read the module's own globals (a
/// part of the GC proposal); this keeps everything else of GC out, dead
/// code included, with an error that names it. Returns what the body
/// calls.
fn scan_body(bytes: &[u8], body: &FunctionBody<'_>) -> Result<BodyCalls> {
    let mut calls = BodyCalls::default();
    let mut locals = body.get_locals_reader()?;
    for _ in 0..locals.get_count() {
        let offset = locals.original_position();
        let (_, ty) = locals.read()?;
        val_type(ty, offset)?;
    }
    let mut ops = body.get_operators_reader()?;
    while !ops.eof() {
        let (op, offset) = ops.read_with_offset()?;
        let at = offset;
        let block = |ty: &BlockType| match *ty {
            BlockType::Type(t) => val_type(t, at).map(drop),
            _ => Ok(()),
        };
        match &op {
            _ if usize::try_from(offset).ok().and_then(|o| bytes.get(o)) == Some(&0xfb) => {
                return Err(unsupported(
                    format!("GC instruction {op:?} (garbage collection is not supported)"),
                    at,
                ));
            }
            Operator::Block { blockty } | Operator::Loop { blockty } | Operator::If { blockty } => {
                block(blockty)?
            }
            Operator::TryTable { try_table } => block(&try_table.ty)?,
            Operator::TypedSelect { ty } => val_type(*ty, at).map(drop)?,
            Operator::TypedSelectMulti { tys } => {
                for &t in tys {
                    val_type(t, at)?;
                }
            }
            Operator::RefNull { hty } => {
                let ty = wasmparser::RefType::new(true, *hty).ok_or_else(|| unsupported("heap type", at))?;
                ref_type(ty, at)?;
            }
            Operator::Call { function_index } | Operator::ReturnCall { function_index } => {
                calls.direct.push(*function_index)
            }
            Operator::Throw { .. }
            | Operator::ThrowRef
            | Operator::CallIndirect { .. }
            | Operator::ReturnCallIndirect { .. }
            | Operator::CallRef { .. }
            | Operator::ReturnCallRef { .. } => calls.unknown = true,
            _ => {}
        }
    }
    Ok(calls)
}

/// Decodes `bytes` (already validated) into its info and its function
/// bodies, in order.
pub(crate) fn decode(bytes: &[u8]) -> Result<(ModuleInfo, Vec<FunctionBody<'_>>)> {
    let mut info = ModuleInfo::default();
    let mut bodies = Vec::new();
    let mut calls = Vec::new();
    for payload in Parser::new(0).parse_all(bytes) {
        match payload? {
            Payload::TypeSection(reader) => {
                let offset = reader.range().start;
                for ty in reader.into_iter_err_on_gc_types() {
                    // The module is valid: what fails here is a GC type.
                    let ty = ty.map_err(|e| unsupported(e.message(), e.offset()))?;
                    let params =
                        ty.params().iter().map(|&t| val_type(t, offset)).collect::<Result<Vec<_>>>()?;
                    let results =
                        ty.results().iter().map(|&t| val_type(t, offset)).collect::<Result<Vec<_>>>()?;
                    info.types.push(FuncType::new(params, results));
                    let exact = |v: &[wasmparser::ValType]| {
                        v.iter().map(|&t| exact_type(t, offset)).collect::<Result<Vec<_>>>()
                    };
                    let exact = ExactFuncType { params: exact(ty.params())?, results: exact(ty.results())? };
                    // Without GC, a type names only earlier ones; with it
                    // (the validator's), a type may name itself.
                    let index = info.exact_types.len() as u32;
                    let names_itself = exact.params.iter().chain(&exact.results).any(|t| {
                        matches!(t, ExactType::Ref { heap: crate::types::Heap::Index(i), .. } if *i >= index)
                    });
                    if names_itself {
                        return Err(unsupported(
                            format!(
                                "type {index} refers to itself (recursive types need garbage collection)"
                            ),
                            offset,
                        ));
                    }
                    info.exact_types.push(exact);
                }
            }
            Payload::ImportSection(reader) => {
                for import in reader.into_imports_with_offsets() {
                    let (offset, import) = import?;
                    let index = match import.ty {
                        TypeRef::Func(t) => {
                            info.funcs.push(t);
                            info.imported_funcs += 1;
                            EntityIndex::Func(info.funcs.len() as u32 - 1)
                        }
                        TypeRef::Table(t) => {
                            let element = ref_type(t.element_type, offset)?;
                            info.tables.push(TableType {
                                element,
                                limits: Limits { min: t.initial, max: t.maximum },
                            });
                            info.table64.push(t.table64);
                            info.table_exact
                                .push(exact_type(wasmparser::ValType::Ref(t.element_type), offset)?);
                            info.imported_tables += 1;
                            EntityIndex::Table(info.tables.len() as u32 - 1)
                        }
                        TypeRef::Memory(m) => {
                            info.memories.push(Limits { min: m.initial, max: m.maximum });
                            info.memory64.push(m.memory64);
                            info.imported_memories += 1;
                            EntityIndex::Memory(info.memories.len() as u32 - 1)
                        }
                        TypeRef::Global(g) => {
                            info.globals.push(global_type(g, offset)?);
                            info.global_exact.push(exact_type(g.content_type, offset)?);
                            info.imported_globals += 1;
                            EntityIndex::Global(info.globals.len() as u32 - 1)
                        }
                        TypeRef::Tag(t) => {
                            info.tags.push(t.func_type_idx);
                            info.imported_tags += 1;
                            EntityIndex::Tag(info.tags.len() as u32 - 1)
                        }
                        other => return Err(unsupported(format!("import of {other:?}"), offset)),
                    };
                    info.imports.push(ImportInfo {
                        module: import.module.to_string(),
                        name: import.name.to_string(),
                        index,
                    });
                }
            }
            Payload::FunctionSection(reader) => {
                for ty in reader {
                    info.funcs.push(ty?);
                }
            }
            Payload::TableSection(reader) => {
                for table in reader.into_iter_with_offsets() {
                    let (offset, table) = table?;
                    info.table_inits.push(match table.init {
                        wasmparser::TableInit::RefNull => None,
                        wasmparser::TableInit::Expr(expr) => Some(const_expr(&expr)?),
                    });
                    let element = ref_type(table.ty.element_type, offset)?;
                    let limits = Limits { min: table.ty.initial, max: table.ty.maximum };
                    info.tables.push(TableType { element, limits });
                    info.table64.push(table.ty.table64);
                    info.table_exact
                        .push(exact_type(wasmparser::ValType::Ref(table.ty.element_type), offset)?);
                }
            }
            Payload::MemorySection(reader) => {
                for memory in reader {
                    let memory = memory?;
                    info.memories.push(Limits { min: memory.initial, max: memory.maximum });
                    info.memory64.push(memory.memory64);
                }
            }
            Payload::GlobalSection(reader) => {
                for global in reader.into_iter_with_offsets() {
                    let (offset, global) = global?;
                    info.globals.push(global_type(global.ty, offset)?);
                    info.global_exact.push(exact_type(global.ty.content_type, offset)?);
                    info.global_inits.push(const_expr(&global.init_expr)?);
                }
            }
            Payload::ExportSection(reader) => {
                for export in reader.into_iter_with_offsets() {
                    let (offset, export) = export?;
                    let index = match export.kind {
                        ExternalKind::Func => EntityIndex::Func(export.index),
                        ExternalKind::Table => EntityIndex::Table(export.index),
                        ExternalKind::Memory => EntityIndex::Memory(export.index),
                        ExternalKind::Global => EntityIndex::Global(export.index),
                        ExternalKind::Tag => EntityIndex::Tag(export.index),
                        other => return Err(unsupported(format!("export of {other:?}"), offset)),
                    };
                    info.exports.push((export.name.to_string(), index));
                }
            }
            Payload::TagSection(reader) => {
                for tag in reader {
                    info.tags.push(tag?.func_type_idx);
                }
            }
            Payload::StartSection { func, .. } => info.start = Some(func),
            Payload::ElementSection(reader) => {
                for elem in reader {
                    let elem = elem?;
                    let items = match elem.items {
                        ElementItems::Functions(indices) => indices
                            .into_iter()
                            .map(|i| Ok(ConstExpr::single(ConstOp::RefFunc(i?))))
                            .collect::<Result<Vec<_>>>()?,
                        ElementItems::Expressions(ty, exprs) => {
                            ref_type(ty, elem.range.start)?;
                            exprs.into_iter().map(|e| const_expr(&e?)).collect::<Result<Vec<_>>>()?
                        }
                    };
                    let (active, declared) = match elem.kind {
                        ElementKind::Passive => (None, false),
                        ElementKind::Declared => (None, true),
                        ElementKind::Active { table_index, offset_expr } => {
                            (Some((table_index.unwrap_or(0), const_expr(&offset_expr)?)), false)
                        }
                    };
                    info.elems.push(ElemSegment { items, active, declared });
                }
            }
            Payload::DataSection(reader) => {
                for data in reader {
                    let data = data?;
                    let active = match data.kind {
                        DataKind::Passive => None,
                        DataKind::Active { memory_index, offset_expr } => {
                            Some((memory_index, const_expr(&offset_expr)?))
                        }
                    };
                    info.datas.push(DataSegment { bytes: data.data.to_vec(), active });
                }
            }
            Payload::CodeSectionEntry(body) => {
                calls.push(scan_body(bytes, &body)?);
                bodies.push(body)
            }
            // Names are for backtraces only: a damaged name section is
            // ignored (the spec makes custom sections optional to read).
            Payload::CustomSection(section) => {
                if let wasmparser::KnownCustom::Name(names) = section.as_known() {
                    for name in names.into_iter().flatten() {
                        if let wasmparser::Name::Function(map) = name {
                            for naming in map.into_iter().flatten() {
                                info.func_names.insert(naming.index, naming.name.to_string());
                            }
                        }
                    }
                }
            }
            _ => {}
        }
    }
    info.may_throw = may_throw(info.imported_funcs, &calls);
    Ok((info, bodies))
}

#[cfg(test)]
mod tests {
    use super::{BodyCalls, may_throw};

    fn body(unknown: bool, direct: &[u32]) -> BodyCalls {
        BodyCalls { unknown, direct: direct.to_vec() }
    }

    #[test]
    fn only_what_reaches_a_throw_an_import_or_an_unknown_callee_may_throw() {
        // Function 0 is an import; 1 calls it; 2 throws; 3 calls 2; 4 and 5
        // call each other and nothing else; 6 calls 4; 7 calls an unknown
        // function index (past the end: counted as throwing).
        let calls = [
            body(false, &[0]),
            body(true, &[]),
            body(false, &[2]),
            body(false, &[5]),
            body(false, &[4]),
            body(false, &[4]),
            body(false, &[99]),
        ];
        assert_eq!(may_throw(1, &calls), [true, true, true, true, false, false, false, true]);
    }
}
