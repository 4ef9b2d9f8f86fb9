//! Compiled modules.

use std::sync::{Arc, OnceLock};

use wasmparser::{Validator, WasmFeatures};

use crate::compile::{CompiledCode, compile_module};
use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::module_info::{EntityIndex, ModuleInfo, decode};
use crate::runtime::memory::PAGE_SIZE;
use crate::runtime::memory::image::MemoryImage;
use crate::types::{FuncType, GlobalType, Limits, TableType};

/// The WebAssembly features Plumb implements: 2.0 (SIMD included), and of
/// 3.0 tail calls, extended constants, relaxed SIMD, multiple memories,
/// memory64, typed function references and exception handling (the
/// standard `exnref` form, not the legacy `try`). A `Config` may turn some off
/// ([`crate::Config::wasm_multi_memory`] and the like).
pub(crate) fn features() -> WasmFeatures {
    WasmFeatures::WASM2
        | WasmFeatures::TAIL_CALL
        | WasmFeatures::EXTENDED_CONST
        | WasmFeatures::RELAXED_SIMD
        | WasmFeatures::MULTI_MEMORY
        | WasmFeatures::MEMORY64
        | WasmFeatures::FUNCTION_REFERENCES
        | WasmFeatures::EXCEPTIONS
}

pub(crate) struct ModuleInner {
    pub engine: Engine,
    pub info: ModuleInfo,
    pub code: CompiledCode,
    /// Engine-wide ids of the module's types, by type index.
    pub type_ids: Vec<u64>,
    /// The module's binary form (kept for `Module::serialize`).
    pub wasm: Vec<u8>,
    /// The copy-on-write image of its memory 0, made when the module is
    /// compiled or loaded ([`Module::memory_image`]).
    pub memory_image: OnceLock<Option<Arc<MemoryImage>>>,
}

/// A validated, compiled module, ready to instantiate in any store of its
/// engine. Cheap to clone.
#[derive(Clone)]
pub struct Module {
    pub(crate) inner: Arc<ModuleInner>,
}

/// The kind of an import or export.
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
    /// A tag (exception handling).
    Tag,
}

/// The type an import requires ([`Module::import_types`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExternType {
    /// A function of this type.
    Func(FuncType),
    /// A table of this type, with `i64` indices if `index64` (table64).
    Table {
        /// Element type and limits.
        ty: TableType,
        /// Whether its indices are `i64`.
        index64: bool,
    },
    /// A memory with these limits in pages, with `i64` addresses if
    /// `index64` (memory64).
    Memory {
        /// Size limits in pages.
        limits: Limits,
        /// Whether its addresses are `i64`.
        index64: bool,
    },
    /// A global of this type.
    Global(GlobalType),
    /// A tag whose payload is this type's parameters.
    Tag(FuncType),
}

fn kind(index: EntityIndex) -> ExternKind {
    match index {
        EntityIndex::Func(_) => ExternKind::Func,
        EntityIndex::Table(_) => ExternKind::Table,
        EntityIndex::Memory(_) => ExternKind::Memory,
        EntityIndex::Global(_) => ExternKind::Global,
        EntityIndex::Tag(_) => ExternKind::Tag,
    }
}

fn binary(bytes: &[u8]) -> Result<std::borrow::Cow<'_, [u8]>> {
    wat::parse_bytes(bytes).map_err(|e| Error::Text(e.to_string()))
}

impl Module {
    /// Compiles a module from its binary or text (`.wat`) form.
    pub fn new(engine: &Engine, bytes: impl AsRef<[u8]>) -> Result<Module> {
        let bytes = binary(bytes.as_ref())?;
        Module::from_binary(engine, &bytes)
    }

    /// Compiles a module from its binary form.
    pub fn from_binary(engine: &Engine, bytes: &[u8]) -> Result<Module> {
        Validator::new_with_features(engine.inner.config.wasm_features()).validate_all(bytes)?;
        let (info, bodies) = decode(bytes)?;
        let code = compile_module(
            [&engine.inner.isa, &engine.inner.single_pass_isa],
            &info,
            &bodies,
            engine.lowering(),
            engine.inner.config.instrumentation,
        )?;
        let type_ids = engine.module_type_ids(&info);
        let wasm = bytes.to_vec();
        Module::from_inner(ModuleInner {
            engine: engine.clone(),
            info,
            code,
            type_ids,
            wasm,
            memory_image: OnceLock::new(),
        })
    }

    /// The module, once the engine has the trampoline for host functions
    /// of each of its imported function types (a host function linked to
    /// one is then made at instantiation without compiling anything) and
    /// its memory image is laid out.
    pub(crate) fn from_inner(inner: ModuleInner) -> Result<Module> {
        for import in &inner.info.imports {
            if let EntityIndex::Func(index) = import.index
                && let Some(ty) = inner.info.func_type(index)
            {
                inner.engine.host_trampoline(ty)?;
            }
        }
        let module = Module { inner: Arc::new(inner) };
        if module.inner.engine.inner.config.perfmap_enabled() {
            crate::runtime::perfmap::record(&module.inner.info, &module.inner.code);
        }
        // Made now, as wasmtime does at compile time, so that no
        // instantiation (not even the first) lays out the data segments.
        module.memory_image();
        Ok(module)
    }

    /// The copy-on-write image of the initial contents of the memory this
    /// module defines as memory 0 (made by `from_inner`): `None` when
    /// instantiation must write the data segments instead, because a memory
    /// is imported, a segment is for another memory,
    /// an active segment's offset is not a constant or a segment does not
    /// fit in the initial size (it may trap), images are off
    /// ([`Config::memory_init_cow`](crate::Config::memory_init_cow)), or the
    /// image cannot be made (no memfd).
    pub(crate) fn memory_image(&self) -> Option<&Arc<MemoryImage>> {
        let inner = &self.inner;
        let image = inner.memory_image.get_or_init(|| {
            let info = &inner.info;
            if !inner.engine.inner.config.memory_init_cow_enabled() || info.imported_memories > 0 {
                return None;
            }
            let initial = info.memories.first()?.min.checked_mul(PAGE_SIZE)?;
            let mut segments = Vec::new();
            for data in &info.datas {
                match &data.active {
                    None => {}
                    // A data offset is an i32; one that reads a global is
                    // known only at instantiation.
                    Some((0, offset)) => {
                        let offset = offset.constant()?;
                        // An `i64` offset for a 64-bit memory, else an `i32`.
                        let offset =
                            if *info.memory64.first()? { offset as u64 } else { u64::from(offset as u32) };
                        segments.push((offset, &data.bytes[..]))
                    }
                    // A segment of another memory may trap, after which
                    // memory 0 must not hold what later segments write.
                    Some(_) => return None,
                }
            }
            MemoryImage::new(initial, segments.into_iter()).ok().flatten().map(Arc::new)
        });
        image.as_ref()
    }

    /// Checks that `bytes` (binary or text) is a valid module Plumb can run,
    /// without compiling it.
    pub fn validate(engine: &Engine, bytes: &[u8]) -> Result<()> {
        let bytes = binary(bytes)?;
        Validator::new_with_features(engine.inner.config.wasm_features()).validate_all(&bytes)?;
        decode(&bytes).map(|_| ())
    }

    /// The imports: module name, field name, kind.
    pub fn imports(&self) -> impl Iterator<Item = (&str, &str, ExternKind)> {
        self.inner.info.imports.iter().map(|i| (i.module.as_str(), i.name.as_str(), kind(i.index)))
    }

    /// The imports with the type each requires: module name, field name,
    /// type. (Reference types are the engine's: `(ref $t)` is a
    /// `FuncRef`; import matching compares them exactly.)
    pub fn import_types(&self) -> impl Iterator<Item = (&str, &str, ExternType)> {
        let info = &self.inner.info;
        info.imports.iter().filter_map(move |i| {
            let ty = match i.index {
                EntityIndex::Func(f) => ExternType::Func(info.func_type(f)?.clone()),
                EntityIndex::Table(t) => ExternType::Table {
                    ty: *info.tables.get(t as usize)?,
                    index64: *info.table64.get(t as usize)?,
                },
                EntityIndex::Memory(m) => ExternType::Memory {
                    limits: *info.memories.get(m as usize)?,
                    index64: *info.memory64.get(m as usize)?,
                },
                EntityIndex::Global(g) => ExternType::Global(*info.globals.get(g as usize)?),
                EntityIndex::Tag(t) => ExternType::Tag(info.tag_type(t)?.clone()),
            };
            Some((i.module.as_str(), i.name.as_str(), ty))
        })
    }

    /// The exports: name and kind.
    pub fn exports(&self) -> impl Iterator<Item = (&str, ExternKind)> {
        self.inner.info.exports.iter().map(|(n, i)| (n.as_str(), kind(*i)))
    }

    /// The engine that compiled this module.
    pub fn engine(&self) -> &Engine {
        &self.inner.engine
    }
}

/// Compiles `bytes` and checks each defined function's machine code
/// ([`crate::check::check_module`]).
pub(crate) fn check_functions(engine: &Engine, bytes: &[u8]) -> Result<Vec<crate::check::FunctionVerdict>> {
    let bytes = binary(bytes)?;
    Validator::new_with_features(engine.inner.config.wasm_features()).validate_all(&bytes)?;
    let (info, bodies) = decode(&bytes)?;
    let verdicts = crate::compile::check_functions(
        [&engine.inner.isa, &engine.inner.single_pass_isa],
        &info,
        &bodies,
        engine.lowering(),
        engine.inner.config.instrumentation,
    )?;
    Ok(verdicts
        .into_iter()
        .map(|(func, code_len, verdict, [compile_time, check_time])| crate::check::FunctionVerdict {
            func,
            name: info.func_names.get(&func).cloned(),
            code_len,
            verdict,
            compile_time,
            check_time,
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cached(engine: &Engine) -> usize {
        engine.inner.host_trampolines.lock().map(|c| c.len()).unwrap_or_default()
    }

    #[test]
    fn compiling_a_module_prepares_the_host_trampolines_of_its_imports() {
        let engine = Engine::default();
        let text = r#"(module
            (import "a" "f" (func (param i32)))
            (import "a" "g" (func (param i32)))
            (import "a" "h" (func (result i64)))
            (func (param f32)))"#;
        let module = Module::new(&engine, text).expect("compiles");
        // One per distinct imported function type; none for defined ones.
        assert_eq!(cached(&engine), 2);
        let bytes = module.serialize().expect("serializes");
        let fresh = Engine::default();
        // SAFETY: written by `serialize` just above.
        unsafe { Module::deserialize(&fresh, bytes) }.expect("loads");
        assert_eq!(cached(&fresh), 2);
    }
}
