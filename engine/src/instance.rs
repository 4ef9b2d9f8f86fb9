//! Instances and the objects they export: memories, globals, tables.

use crate::context::{AsContext, AsContextMut, StoreContext, StoreContextMut};
use crate::error::{Error, Result};
use crate::exception::Tag;
use crate::func::{Func, TypedFunc, WasmParams, WasmResults};
use crate::module::Module;
use crate::types::{GlobalType, Limits, TableType, ValType};
use crate::values::Val;

/// An instantiated module.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Instance {
    pub(crate) store: u64,
    pub(crate) index: u32,
}

/// Something a module can import or export.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Extern {
    /// A function.
    Func(Func),
    /// A table.
    Table(Table),
    /// A memory.
    Memory(Memory),
    /// A global.
    Global(Global),
    /// A tag (exception handling).
    Tag(Tag),
}

impl Extern {
    pub(crate) fn kind_name(&self) -> &'static str {
        match self {
            Extern::Func(_) => "function",
            Extern::Table(_) => "table",
            Extern::Memory(_) => "memory",
            Extern::Global(_) => "global",
            Extern::Tag(_) => "tag",
        }
    }
}

impl From<Func> for Extern {
    fn from(f: Func) -> Extern {
        Extern::Func(f)
    }
}

impl Instance {
    /// Instantiates `module` with `imports`, given in the module's import
    /// order. Runs the start function, if any.
    pub fn new(mut store: impl AsContextMut, module: &Module, imports: &[Extern]) -> Result<Instance> {
        store.as_context_mut().0.enter(|inner| inner.instantiate(module, imports))
    }

    /// The export `name`, if any.
    pub fn get_export(&self, store: impl AsContext, name: &str) -> Option<Extern> {
        let store = store.as_context().0;
        store.inner.check(self.store).ok()?;
        store.inner.exports.get(self.index as usize)?.iter().find(|(n, _)| n == name).map(|&(_, e)| e)
    }

    /// All exports, in order.
    pub fn exports<'s, T: 's>(
        &self,
        store: impl Into<StoreContext<'s, T>>,
    ) -> impl Iterator<Item = (&'s str, Extern)> + 's {
        let store = store.into().0;
        let list = if store.inner.check(self.store).is_ok() {
            store.inner.exports.get(self.index as usize)
        } else {
            None
        };
        list.into_iter().flatten().map(|(n, e)| (n.as_str(), *e))
    }

    /// The exported function `name`.
    pub fn get_func(&self, store: impl AsContext, name: &str) -> Option<Func> {
        match self.get_export(store, name)? {
            Extern::Func(f) => Some(f),
            _ => None,
        }
    }

    /// The exported function `name`, statically typed.
    pub fn get_typed_func<Params: WasmParams, Results: WasmResults>(
        &self,
        store: impl AsContext,
        name: &str,
    ) -> Result<TypedFunc<Params, Results>> {
        let store = store.as_context();
        let func = self
            .get_func(store, name)
            .ok_or_else(|| Error::Usage(format!("no exported function \"{name}\"")))?;
        func.typed(store)
    }

    /// The exported memory `name`.
    pub fn get_memory(&self, store: impl AsContext, name: &str) -> Option<Memory> {
        match self.get_export(store, name)? {
            Extern::Memory(m) => Some(m),
            _ => None,
        }
    }

    /// The exported global `name`.
    pub fn get_global(&self, store: impl AsContext, name: &str) -> Option<Global> {
        match self.get_export(store, name)? {
            Extern::Global(g) => Some(g),
            _ => None,
        }
    }

    /// The exported table `name`.
    pub fn get_table(&self, store: impl AsContext, name: &str) -> Option<Table> {
        match self.get_export(store, name)? {
            Extern::Table(t) => Some(t),
            _ => None,
        }
    }

    /// The exported tag `name`.
    pub fn get_tag(&self, store: impl AsContext, name: &str) -> Option<Tag> {
        match self.get_export(store, name)? {
            Extern::Tag(t) => Some(t),
            _ => None,
        }
    }
}

/// A linear memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Memory {
    pub(crate) store: u64,
    pub(crate) index: u32,
}

impl Memory {
    /// A new memory with these limits, in 64 KiB pages.
    pub fn new(mut store: impl AsContextMut, limits: Limits) -> Result<Memory> {
        store.as_context_mut().0.enter(|inner| inner.add_memory(limits, false))
    }

    /// A new memory with 64-bit addresses (memory64), for imports declared
    /// `(memory i64 ...)`; it grows to at most 4 GiB, as every memory.
    pub fn new64(mut store: impl AsContextMut, limits: Limits) -> Result<Memory> {
        store.as_context_mut().0.enter(|inner| inner.add_memory(limits, true))
    }

    /// The memory's bytes.
    pub fn data<'s, T: 's>(&self, store: impl Into<StoreContext<'s, T>>) -> &'s [u8] {
        let store = store.into().0;
        match store.inner.check(self.store) {
            Ok(()) => store.inner.memories[self.index as usize].data(),
            Err(_) => &[],
        }
    }

    /// The memory's bytes, mutably.
    pub fn data_mut<'s, T: 's>(&self, store: impl Into<StoreContextMut<'s, T>>) -> &'s mut [u8] {
        self.data_and_store_mut(store).0
    }

    /// The memory's bytes and the embedder's data, both mutably: what a host
    /// function needs to work on the guest's memory with its own state.
    pub fn data_and_store_mut<'s, T: 's>(
        &self,
        store: impl Into<StoreContextMut<'s, T>>,
    ) -> (&'s mut [u8], &'s mut T) {
        let (inner, data) = store.into().0.parts_mut();
        let bytes = match inner.check(self.store) {
            Ok(()) => inner.memories[self.index as usize].data_mut(),
            Err(_) => &mut [],
        };
        (bytes, data)
    }

    /// Copies `buf.len()` bytes at `offset` into `buf`.
    pub fn read(&self, store: impl AsContext, offset: usize, buf: &mut [u8]) -> Result<()> {
        let data = self.data(&store);
        let src = offset.checked_add(buf.len()).and_then(|end| data.get(offset..end));
        buf.copy_from_slice(
            src.ok_or_else(|| {
                Error::Usage(format!("read of {} bytes at {offset} out of bounds", buf.len()))
            })?,
        );
        Ok(())
    }

    /// Copies `buf` into the memory at `offset`.
    pub fn write(&self, mut store: impl AsContextMut, offset: usize, buf: &[u8]) -> Result<()> {
        let data = self.data_mut(&mut store);
        let dst = offset.checked_add(buf.len()).and_then(|end| data.get_mut(offset..end));
        dst.ok_or_else(|| Error::Usage(format!("write of {} bytes at {offset} out of bounds", buf.len())))?
            .copy_from_slice(buf);
        Ok(())
    }

    /// The size in pages.
    pub fn size(&self, store: impl AsContext) -> u64 {
        self.data(&store).len() as u64 / crate::runtime::memory::PAGE_SIZE
    }

    /// Grows by `delta` pages, returning the old size; fails past the
    /// maximum or when the store's limiter denies it.
    pub fn grow(&self, mut store: impl AsContextMut, delta: u64) -> Result<u64> {
        store.as_context_mut().0.enter(|inner| {
            inner.check(self.store)?;
            let memory: *mut _ = &mut *inner.memories[self.index as usize];
            inner
                .grow_memory(memory, delta)?
                .ok_or_else(|| Error::Usage(format!("cannot grow memory by {delta} pages")))
        })
    }
}

/// A global.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Global {
    pub(crate) store: u64,
    pub(crate) index: u32,
}

impl Global {
    /// A new global of type `ty` holding `value`.
    pub fn new(mut store: impl AsContextMut, ty: GlobalType, value: Val) -> Result<Global> {
        store.as_context_mut().0.inner.add_global(ty, value)
    }

    /// The global's type.
    pub fn ty(&self, store: impl AsContext) -> Result<GlobalType> {
        let store = store.as_context().0;
        store.inner.check(self.store)?;
        Ok(store.inner.globals[self.index as usize].ty)
    }

    /// The current value.
    pub fn get(&self, store: impl AsContext) -> Result<Val> {
        let store = store.as_context().0;
        let ty = self.ty(store)?;
        Ok(store.inner.val_from_raw(store.inner.globals[self.index as usize].cell, ty.content))
    }

    /// Sets a mutable global.
    pub fn set(&self, mut store: impl AsContextMut, value: Val) -> Result<()> {
        let store = store.as_context_mut().0;
        let ty = self.ty(&*store)?;
        if !ty.mutable {
            return Err(Error::Usage("cannot set an immutable global".into()));
        }
        let raw = store.inner.raw_from_val(value, ty.content)?;
        store.inner.check_exact(value, store.inner.globals[self.index as usize].exact)?;
        store.inner.globals[self.index as usize].cell = raw;
        Ok(())
    }
}

/// A table of references.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Table {
    pub(crate) store: u64,
    pub(crate) index: u32,
}

impl Table {
    /// A new table of type `ty`, every element `init`.
    pub fn new(mut store: impl AsContextMut, ty: TableType, init: Val) -> Result<Table> {
        store.as_context_mut().0.enter(|inner| inner.add_table(ty, init, false))
    }

    /// A new table with 64-bit indices (table64), for imports declared
    /// `(table i64 ...)`.
    pub fn new64(mut store: impl AsContextMut, ty: TableType, init: Val) -> Result<Table> {
        store.as_context_mut().0.enter(|inner| inner.add_table(ty, init, true))
    }

    fn element<T>(&self, store: &crate::Store<T>) -> Result<ValType> {
        store.inner.check(self.store)?;
        Ok(store.inner.tables[self.index as usize].ty.element)
    }

    /// The number of elements.
    pub fn size(&self, store: impl AsContext) -> Result<u64> {
        let store = store.as_context().0;
        store.inner.check(self.store)?;
        Ok(store.inner.tables[self.index as usize].elems.len() as u64)
    }

    /// Element `index`, if in bounds.
    pub fn get(&self, store: impl AsContext, index: u64) -> Result<Option<Val>> {
        let store = store.as_context().0;
        let ty = self.element(store)?;
        let raw = store.inner.tables[self.index as usize].elems.get(index as usize).copied();
        Ok(raw.map(|r| store.inner.val_from_raw(u128::from(r), ty)))
    }

    /// Sets element `index`.
    pub fn set(&self, mut store: impl AsContextMut, index: u64, value: Val) -> Result<()> {
        let store = store.as_context_mut().0;
        let ty = self.element(store)?;
        store.inner.raw_from_val(value, ty)?;
        store.inner.check_exact(value, store.inner.tables[self.index as usize].exact)?;
        let raw = store.inner.ref_from_val(value)?;
        let slot = store.inner.tables[self.index as usize].elems.get_mut(index as usize);
        *slot.ok_or_else(|| Error::Usage(format!("table index {index} out of bounds")))? = raw;
        Ok(())
    }

    /// Grows by `delta` elements set to `init`, returning the old size.
    pub fn grow(&self, mut store: impl AsContextMut, delta: u64, init: Val) -> Result<u64> {
        let store = store.as_context_mut().0;
        let ty = self.element(store)?;
        store.enter(|inner| {
            inner.raw_from_val(init, ty)?;
            inner.check_exact(init, inner.tables[self.index as usize].exact)?;
            let raw = inner.ref_from_val(init)?;
            let table: *mut _ = &mut *inner.tables[self.index as usize];
            inner
                .grow_table(table, delta, raw)?
                .ok_or_else(|| Error::Usage(format!("cannot grow table by {delta}")))
        })
    }
}
