//! Stores: own every runtime object (functions, tables, memories, globals,
//! tags, exceptions, instances) and the embedder's data `T`. Handles such as [`Func`] are
//! indices into a store and are checked to belong to it.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::exception::{Exception, ExnRef, Tag};
use crate::func::Func;
use crate::instance::{Extern, Global, Instance, Memory, Table};
use crate::limits::ResourceLimiter;
use crate::module::Module;
use crate::module_info::{ConstExpr, EntityIndex};
use crate::runtime::code::CodeMemory;
use crate::runtime::exceptions::{Exceptions, TagData};
use crate::runtime::instance::{
    FuncData, GlobalData, HostCall, HostFunc, InstanceData, TableData, empty_vmctx,
};
use crate::runtime::libcalls::{RAISED, libcall_table, table_init_impl};
use crate::runtime::memory::image::MemoryImage;
use crate::runtime::memory::{LinearMemory, PAGE_SIZE};
use crate::runtime::stack::guest_stack_limit;
use crate::runtime::traps::{catch_traps, stack_pointer, take_backtrace};
use crate::trap::{Trap, TrapCode};
use crate::types::{ExactType, FuncType, GlobalType, Heap, Limits, TableType, ValType};
use crate::values::Val;
use crate::vm::{VMFuncRef, VMLimits};
use std::sync::Arc;

static NEXT_STORE_ID: AtomicU64 = AtomicU64::new(1);

/// The objects of a store, independent of the embedder's data type.
///
/// Objects are boxed on purpose: generated code and instances hold raw
/// pointers to them, which must stay valid as the vectors grow.
#[allow(clippy::vec_box)]
pub(crate) struct StoreInner {
    pub id: u64,
    pub engine: Engine,
    pub funcs: Vec<Box<FuncData>>,
    /// Entry trampoline of each Wasm function (null for host functions).
    pub entries: Vec<*const u8>,
    /// `VMFuncRef` address → function index, to turn `funcref`s back into [`Func`]s.
    pub func_by_address: HashMap<usize, u32>,
    pub tables: Vec<Box<TableData>>,
    pub memories: Vec<Box<LinearMemory>>,
    pub globals: Vec<Box<GlobalData>>,
    pub instances: Vec<Box<InstanceData>>,
    pub exports: Vec<Vec<(String, Extern)>>,
    /// Modules and host trampolines whose code this store's functions use.
    pub modules: Vec<Module>,
    pub host_code: Vec<Arc<CodeMemory>>,
    pub limits: Box<VMLimits>,
    pub tags: Vec<TagData>,
    pub exceptions: Exceptions,
    /// The `Store<T>` a call is running in (for host functions' `Caller`).
    pub current: *mut u8,
    /// Finds the limiter of the `Store<T>` at `current`, if one is installed.
    pub limiter: Option<LimiterHook>,
    /// Instances and tables taken from the engine's pooling allocator,
    /// given back when the store drops (its memories give their slots
    /// back themselves).
    pooled_instances: u32,
    pooled_tables: u32,
}

impl Drop for StoreInner {
    fn drop(&mut self) {
        if let Some(pool) = &self.engine.inner.pool {
            pool.instances.give_back(self.pooled_instances);
            pool.tables.give_back(self.pooled_tables);
        }
    }
}

/// The type-erased way from a running `Store<T>` to its limiter.
pub(crate) type LimiterHook = unsafe fn(*mut u8) -> Option<*mut (dyn ResourceLimiter + 'static)>;

/// The limiter of the `Store<T>` at `store`.
///
/// # Safety
/// `store` must point to a live `Store<T>` that is running a call or an
/// instantiation (its `current`), whose data nothing else borrows.
unsafe fn limiter_of<T>(store: *mut u8) -> Option<*mut (dyn ResourceLimiter + 'static)> {
    let store = store.cast::<Store<T>>();
    // SAFETY: per the contract; only the `limiter` and `data` fields are
    // borrowed, not the objects the caller may be using.
    let (limiter, data) = unsafe {
        (&mut *std::ptr::addr_of_mut!((*store).limiter), &mut **std::ptr::addr_of_mut!((*store).data))
    };
    let found: *mut (dyn ResourceLimiter + '_) = limiter.as_mut()?(data);
    // SAFETY: only the trait object's lifetime changes; `StoreInner::limiter`
    // hands it out for no longer than its borrow of the store.
    Some(unsafe {
        std::mem::transmute::<*mut (dyn ResourceLimiter + '_), *mut (dyn ResourceLimiter + 'static)>(found)
    })
}

/// The closure `Store::limiter` installs.
type LimiterFn<T> = Box<dyn (FnMut(&mut T) -> &mut dyn ResourceLimiter) + Send>;

/// A store of runtime objects plus the embedder's data `T`.
pub struct Store<T> {
    pub(crate) inner: Box<StoreInner>,
    data: Box<T>,
    limiter: Option<LimiterFn<T>>,
}

// SAFETY: a store's raw pointers point only into objects the store owns,
// and a store is used by one thread at a time (`&mut self` for every call).
unsafe impl<T: Send> Send for Store<T> {}

impl<T> Store<T> {
    /// A new store of `engine` holding `data`.
    pub fn new(engine: &Engine, data: T) -> Store<T> {
        Store {
            inner: Box::new(StoreInner {
                id: NEXT_STORE_ID.fetch_add(1, Ordering::Relaxed),
                engine: engine.clone(),
                funcs: Vec::new(),
                entries: Vec::new(),
                func_by_address: HashMap::new(),
                tables: Vec::new(),
                memories: Vec::new(),
                globals: Vec::new(),
                instances: Vec::new(),
                exports: Vec::new(),
                modules: Vec::new(),
                host_code: Vec::new(),
                limits: Box::new(VMLimits {
                    stack_limit: 0,
                    fuel: 0,
                    epoch_deadline: 0,
                    epoch: &engine.inner.epoch,
                    exception: 0,
                    libcalls: libcall_table(),
                }),
                tags: Vec::new(),
                exceptions: Exceptions::default(),
                current: std::ptr::null_mut(),
                limiter: None,
                pooled_instances: 0,
                pooled_tables: 0,
            }),
            data: Box::new(data),
            limiter: None,
        }
    }

    /// The embedder's data.
    pub fn data(&self) -> &T {
        &self.data
    }

    /// The embedder's data, mutably.
    pub fn data_mut(&mut self) -> &mut T {
        &mut self.data
    }

    /// The store's engine.
    pub fn engine(&self) -> &Engine {
        &self.inner.engine
    }

    /// Installs a limiter: `limiter` finds it in the store's data, and it
    /// is asked before every memory or table of the store is created or
    /// grows (see [`ResourceLimiter`]).
    pub fn limiter(&mut self, limiter: impl (FnMut(&mut T) -> &mut dyn ResourceLimiter) + Send + 'static) {
        self.limiter = Some(Box::new(limiter));
        self.inner.limiter = Some(limiter_of::<T>);
    }

    /// Runs `f` on the store's objects with this `Store<T>` recorded as the
    /// one running, so that host functions and the limiter can reach it.
    pub(crate) fn enter<R>(&mut self, f: impl FnOnce(&mut StoreInner) -> R) -> R {
        let previous = self.inner.current;
        self.inner.current = (self as *mut Store<T>).cast();
        let result = f(&mut self.inner);
        self.inner.current = previous;
        result
    }

    /// Sets the fuel left to `fuel` (see [`Config::consume_fuel`] for what
    /// each operator costs). Fails unless the engine consumes fuel.
    ///
    /// [`Config::consume_fuel`]: crate::Config::consume_fuel
    pub fn set_fuel(&mut self, fuel: u64) -> Result<()> {
        self.fuel_enabled()?;
        self.inner.limits.fuel = fuel;
        Ok(())
    }

    /// The fuel left. Fails unless the engine consumes fuel.
    pub fn get_fuel(&self) -> Result<u64> {
        self.fuel_enabled()?;
        Ok(self.inner.limits.fuel)
    }

    fn fuel_enabled(&self) -> Result<()> {
        if self.inner.engine.inner.config.instrumentation.fuel {
            Ok(())
        } else {
            Err(Error::Usage("fuel is off: enable it with Config::consume_fuel(true)".into()))
        }
    }

    /// Sets the deadline `delta` epochs after the engine's current one:
    /// guest code traps with an interrupt at its first epoch check once
    /// [`Engine::increment_epoch`] has been called `delta` more times (see
    /// [`Config::epoch_interruption`]). Has no effect unless the engine
    /// checks epochs.
    ///
    /// [`Config::epoch_interruption`]: crate::Config::epoch_interruption
    pub fn set_epoch_deadline(&mut self, delta: u64) {
        let now = self.inner.engine.inner.epoch.load(Ordering::Relaxed);
        self.inner.limits.epoch_deadline = now.saturating_add(delta);
    }

    /// The objects and the embedder's data, borrowed apart.
    pub(crate) fn parts_mut(&mut self) -> (&mut StoreInner, &mut T) {
        (&mut self.inner, &mut self.data)
    }

    /// Calls function `func` with argument slots in `values` (results
    /// replace them), letting host functions reach this store.
    pub(crate) fn call_raw(&mut self, func: u32, values: &mut [u128]) -> Result<(), Trap> {
        self.enter(|inner| inner.call_raw(func, values))
    }
}

impl StoreInner {
    /// The installed limiter, while a call or instantiation runs.
    fn limiter(&mut self) -> Option<&mut (dyn ResourceLimiter + 'static)> {
        let hook = self.limiter?;
        if self.current.is_null() {
            return None;
        }
        // SAFETY: `current` is the running `Store<T>` the hook was made for.
        unsafe { hook(self.current).map(|limiter| &mut *limiter) }
    }

    /// Grows `memory` (of this store) by `delta` pages if its maximum and
    /// the limiter allow: the old size in pages, `Ok(None)` when denied,
    /// or the limiter's error.
    pub fn grow_memory(&mut self, memory: *mut LinearMemory, delta: u64) -> Result<Option<u64>> {
        // SAFETY: memories live as long as their store.
        let (current, pages, max, declared) = unsafe {
            ((*memory).data().len(), (*memory).pages(), (*memory).max_pages(), (*memory).declared_max())
        };
        let Some(desired) = pages.checked_add(delta).filter(|&n| n <= max) else { return Ok(None) };
        let bytes = |pages: u64| usize::try_from(pages * PAGE_SIZE).unwrap_or(usize::MAX);
        let declared = declared.map(bytes);
        if let Some(limiter) = self.limiter()
            && !limiter.memory_growing(current, bytes(desired), declared)?
        {
            return Ok(None);
        }
        // SAFETY: as above.
        Ok(unsafe { (*memory).grow(delta) })
    }

    /// Grows `table` (of this store) by `delta` elements set to `init`, as
    /// [`StoreInner::grow_memory`] does for memories.
    pub fn grow_table(&mut self, table: *mut TableData, delta: u64, init: u64) -> Result<Option<u64>> {
        // SAFETY: tables live as long as their store.
        let (current, max) = unsafe { ((*table).elems.len(), (*table).ty.limits.max) };
        let desired = (current as u64).saturating_add(delta);
        if let Some(limiter) = self.limiter()
            && desired <= max.unwrap_or(u64::from(u32::MAX))
            && !limiter.table_growing(
                current,
                usize::try_from(desired).unwrap_or(usize::MAX),
                max.map(|m| m as usize),
            )?
        {
            return Ok(None);
        }
        // SAFETY: as above.
        Ok(unsafe { (*table).grow(delta, init) })
    }

    /// Fails when the store already holds `count` objects of a kind and the
    /// limiter allows no more than `limit`.
    fn check_count(count: usize, limit: usize, what: &str) -> Result<()> {
        if count >= limit {
            Err(Error::Resource(format!("the store's limit of {limit} {what} is reached")))
        } else {
            Ok(())
        }
    }

    /// Fails unless `id` is this store's.
    pub fn check(&self, id: u64) -> Result<()> {
        if id == self.id {
            Ok(())
        } else {
            Err(Error::Usage("object used with a store it does not belong to".into()))
        }
    }

    /// Adds a host function of type `ty`.
    pub fn add_host_func(&mut self, ty: FuncType, call: HostCall) -> Result<Func> {
        let code = self.engine.host_trampoline(&ty)?;
        let type_id = self.engine.type_id(&ty);
        let mut host = Box::new(HostFunc { ty: ty.clone(), call });
        let vm = VMFuncRef { code: code.at(0), vmctx: (&mut *host as *mut HostFunc).cast(), type_id };
        self.host_code.push(code);
        Ok(self.push_func(FuncData { vm, ty, host: Some(host) }, std::ptr::null()))
    }

    fn push_func(&mut self, data: FuncData, entry: *const u8) -> Func {
        let data = Box::new(data);
        let index = self.funcs.len() as u32;
        self.func_by_address.insert(&data.vm as *const VMFuncRef as usize, index);
        self.funcs.push(data);
        self.entries.push(entry);
        Func { store: self.id, index }
    }

    /// Adds a table of `ty` (with `i64` indices if `index64`), every
    /// element `init`.
    pub fn add_table(&mut self, ty: TableType, init: Val, index64: bool) -> Result<Table> {
        let init = self.ref_from_val(init)?;
        let table = self.push_table(ty, init, false)?;
        self.tables[table.index as usize].index64 = index64;
        Ok(table)
    }

    /// Adds a table, from the pooling allocator's if `pooled` and the engine
    /// has one, once the limiter allows it.
    fn push_table(&mut self, ty: TableType, init: u64, pooled: bool) -> Result<Table> {
        let mut max_elements = crate::runtime::instance::MAX_TABLE_ELEMENTS;
        if ty.limits.min > max_elements {
            return Err(Error::Resource(format!("table of {} elements is too large", ty.limits.min)));
        }
        let tables = self.tables.len();
        if let Some(limiter) = self.limiter() {
            Self::check_count(tables, limiter.tables(), "tables")?;
            let (min, max) = (ty.limits.min as usize, ty.limits.max.map(|m| m as usize));
            if !limiter.table_growing(0, min, max)? {
                return Err(Error::Resource(format!(
                    "a table of {min} elements is beyond the store's limit"
                )));
            }
        }
        if let Some(pool) = self.engine.inner.pool.as_ref().filter(|_| pooled) {
            max_elements = max_elements.min(pool.table_elements);
            if ty.limits.min > max_elements {
                return Err(Error::Resource(format!(
                    "a table of {} elements is larger than the pooling allocator's table_elements of {}",
                    ty.limits.min, pool.table_elements
                )));
            }
            pool.tables.take().map_err(Error::Resource)?;
            self.pooled_tables += 1;
        }
        self.tables.push(Box::new(TableData::new(ty, init, max_elements)));
        Ok(Table { store: self.id, index: self.tables.len() as u32 - 1 })
    }

    /// Adds a memory with these limits (pages), with `i64` addresses if
    /// `index64`.
    pub fn add_memory(&mut self, limits: Limits, index64: bool) -> Result<Memory> {
        let memory = self.push_memory(limits, false, None)?;
        self.memories[memory.index as usize].index64 = index64;
        Ok(memory)
    }

    /// Adds a memory, once the limiter allows it: for an instance
    /// (`pooled`), from the pooling allocator if the engine has one,
    /// starting from `image` if it has one.
    fn push_memory(
        &mut self,
        limits: Limits,
        pooled: bool,
        image: Option<&Arc<MemoryImage>>,
    ) -> Result<Memory> {
        let memories = self.memories.len();
        if let Some(limiter) = self.limiter() {
            Self::check_count(memories, limiter.memories(), "memories")?;
            let bytes = |pages: u64| usize::try_from(pages.saturating_mul(PAGE_SIZE)).unwrap_or(usize::MAX);
            if !limiter.memory_growing(0, bytes(limits.min), limits.max.map(bytes))? {
                return Err(Error::Resource(format!(
                    "a memory of {} bytes ({} pages) is beyond the store's limit",
                    bytes(limits.min),
                    limits.min
                )));
            }
        }
        let memory = match &self.engine.inner.pool {
            Some(pool) if pooled => pool.memories.take(limits.min, limits.max, image),
            _ => LinearMemory::new(limits.min, limits.max),
        };
        self.memories.push(Box::new(memory.map_err(Error::Resource)?));
        Ok(Memory { store: self.id, index: self.memories.len() as u32 - 1 })
    }

    /// Adds a global.
    pub fn add_global(&mut self, ty: GlobalType, value: Val) -> Result<Global> {
        let cell = self.raw_from_val(value, ty.content)?;
        self.globals.push(Box::new(GlobalData { cell, ty, exact: ExactType::Plain(ty.content) }));
        Ok(Global { store: self.id, index: self.globals.len() as u32 - 1 })
    }

    /// Adds a tag of type `ty` (no results).
    pub fn add_tag(&mut self, ty: FuncType) -> Result<Tag> {
        if !ty.results().is_empty() {
            return Err(Error::Usage(format!("a tag's type has no results, got {ty}")));
        }
        let type_id = self.engine.type_id(&ty);
        self.tags.push(TagData { ty, type_id });
        Ok(Tag { store: self.id, index: self.tags.len() as u32 - 1 })
    }

    /// The exception `exn` (an `exnref`) refers to, if one of this store's.
    pub fn exception(&self, exn: u64) -> Option<Exception> {
        let object = self.exceptions.get(exn)?;
        let ty = &self.tags.get(object.tag as usize)?.ty;
        let payload =
            object.payload.iter().zip(ty.params()).map(|(&raw, &t)| self.val_from_raw(raw, t)).collect();
        Some(Exception { tag: Tag { store: self.id, index: object.tag }, payload })
    }

    /// A value as a 16-byte slot (the value in its low bytes).
    pub fn raw_from_val(&self, value: Val, ty: ValType) -> Result<u128> {
        if value.ty() != ty {
            return Err(Error::Usage(format!("expected a value of type {ty}, got {}", value.ty())));
        }
        Ok(match value {
            Val::I32(v) => u128::from(v as u32),
            Val::I64(v) => u128::from(v as u64),
            Val::F32(v) => u128::from(v),
            Val::F64(v) => u128::from(v),
            Val::V128(v) => v,
            Val::FuncRef(_) | Val::ExternRef(_) | Val::ExnRef(_) => u128::from(self.ref_from_val(value)?),
        })
    }

    /// Checks that `value`, a value of the right [`ValType`], is a value of
    /// the exact type `want` (typed function references): not null where
    /// `want` is non-null, and a function of `want`'s type where it names
    /// one. Without it the host could put a null into a `(ref $t)` slot, or
    /// a function of another type into a `(ref null $t)` one.
    pub(crate) fn check_exact(&self, value: Val, want: ExactType) -> Result<()> {
        let ExactType::Ref { nullable, heap } = want else { return Ok(()) };
        let func = match value {
            Val::FuncRef(None) | Val::ExternRef(None) | Val::ExnRef(None) if !nullable => {
                return Err(Error::Usage("a null reference where the type is non-null".into()));
            }
            Val::FuncRef(Some(f)) => f,
            _ => return Ok(()),
        };
        if let Heap::Id(id) = heap {
            self.check(func.store)?;
            let data = self.funcs.get(func.index as usize).ok_or(Error::Usage("unknown function".into()))?;
            if data.vm.type_id != id {
                return Err(Error::Usage(format!(
                    "a reference to a function of type {} where another function type is expected",
                    data.ty
                )));
            }
        }
        Ok(())
    }

    /// A reference as the 8 bytes a table element or a reference slot
    /// holds: the `VMFuncRef` address or the host id + 1, 0 for null.
    pub fn ref_from_val(&self, value: Val) -> Result<u64> {
        Ok(match value {
            Val::FuncRef(None) | Val::ExternRef(None) | Val::ExnRef(None) => 0,
            Val::FuncRef(Some(f)) => {
                self.check(f.store)?;
                let data = self.funcs.get(f.index as usize).ok_or(Error::Usage("unknown function".into()))?;
                &data.vm as *const VMFuncRef as u64
            }
            Val::ExternRef(Some(id)) => u64::from(id) + 1,
            Val::ExnRef(Some(exn)) => {
                self.check(exn.store)?;
                let raw = u64::from(exn.id) + 1;
                if self.exceptions.get(raw).is_none() {
                    return Err(Error::Usage("exception reference to no exception".into()));
                }
                raw
            }
            other => {
                return Err(Error::Usage(format!(
                    "expected a reference, got a value of type {}",
                    other.ty()
                )));
            }
        })
    }

    /// A 16-byte slot as a value of type `ty`.
    pub fn val_from_raw(&self, raw: u128, ty: ValType) -> Val {
        match ty {
            ValType::I32 => Val::I32(raw as u32 as i32),
            ValType::I64 => Val::I64(raw as u64 as i64),
            ValType::F32 => Val::F32(raw as u32),
            ValType::F64 => Val::F64(raw as u64),
            ValType::V128 => Val::V128(raw),
            ValType::FuncRef => Val::FuncRef(
                self.func_by_address.get(&(raw as usize)).map(|&index| Func { store: self.id, index }),
            ),
            ValType::ExternRef => Val::ExternRef((raw as u64).checked_sub(1).map(|id| id as u32)),
            ValType::ExnRef => {
                Val::ExnRef((raw as u64).checked_sub(1).map(|id| ExnRef { store: self.id, id: id as u32 }))
            }
        }
    }

    /// Calls function `index` with `values` holding the arguments; the
    /// results replace them. `values` has room for max(params, results).
    pub fn call_raw(&mut self, index: u32, values: &mut [u128]) -> Result<(), Trap> {
        let func = self.funcs.get(index as usize).ok_or(Trap::host("unknown function"))?;
        if let Some(host) = &func.host {
            // Called by the host, not by an instance: no caller context.
            return (host.call)(std::ptr::null_mut(), values);
        }
        let entry = self.entries[index as usize];
        let (code, vmctx) = (func.vm.code, func.vm.vmctx);
        // The outermost entry sets the stack limit, nested ones keep it.
        let outermost = self.limits.stack_limit == 0;
        if outermost {
            let here = stack_pointer();
            let max = self.engine.inner.config.max_wasm_stack_bytes();
            self.limits.stack_limit = guest_stack_limit(here, max);
        }
        let result = catch_traps(|| {
            // SAFETY: `entry` is the entry trampoline compiled for this
            // function's type, `code`/`vmctx` its entry point and context,
            // and `values` has a slot for every parameter and result.
            unsafe {
                let entry: extern "C" fn(*const u8, *mut u8, *mut u128) = std::mem::transmute(entry);
                entry(code, vmctx, values.as_mut_ptr());
            }
        });
        if outermost {
            self.limits.stack_limit = 0;
        }
        // An exception still being thrown is one no handler caught. (After
        // a trap none is: nothing between a `throw` and its handler or the
        // return that passes it on traps.)
        let thrown = std::mem::take(&mut self.limits.exception);
        if thrown != 0 && result.is_ok() {
            let exception = self.exception(thrown).ok_or_else(|| Trap::host("lost exception"))?;
            self.exceptions.release(thrown);
            return Err(Trap::uncaught(exception).with_trace(Vec::new()));
        }
        result.map_err(|code| match code {
            TrapCode::HostError => {
                let trap = RAISED.with(|e| e.borrow_mut().take()).unwrap_or_else(|| Trap::host("host error"));
                // A trap of Wasm the host function called keeps its frames,
                // then come those that called the host function.
                let mut trace = trap.trace().to_vec();
                trace.extend(take_backtrace());
                trap.with_trace(trace)
            }
            code => Trap::new(code).with_trace(take_backtrace()),
        })
    }

    /// Evaluates a constant expression of an instance being created.
    fn eval_const(&self, instance: &InstanceData, expr: &ConstExpr) -> Result<u128> {
        expr.eval(
            // SAFETY: global cells live in this store.
            |i| instance.globals.get(i as usize).map(|&cell| unsafe { *cell }),
            |i| instance.funcs.get(i as usize).map(|&f| u128::from(f as u64)),
        )
        .ok_or_else(|| Error::Link("a constant expression names a missing global or function".into()))
    }

    /// Checks that `provided` satisfies import `index` of `module`.
    fn check_import(&self, module: &Module, index: EntityIndex, provided: &Extern, name: &str) -> Result<()> {
        let info = &module.inner.info;
        let incompatible =
            |what: String| Err(Error::Link(format!("incompatible import type for {name}: {what}")));
        match (index, provided) {
            (EntityIndex::Func(i), Extern::Func(f)) => {
                self.check(f.store)?;
                let want = info.func_type(i).ok_or(Error::Link("bad import".into()))?;
                let func = &self.funcs[f.index as usize];
                let have = &func.ty;
                // Type ids tell typed references apart, as `FuncType` does not.
                let want_id = info.funcs.get(i as usize).and_then(|&t| module.inner.type_ids.get(t as usize));
                if want_id == Some(&func.vm.type_id) {
                    Ok(())
                } else if want == have {
                    incompatible(format!("function {have} with other reference types, expected {want}"))
                } else {
                    incompatible(format!("function {have}, expected {want}"))
                }
            }
            (EntityIndex::Table(i), Extern::Table(t)) => {
                self.check(t.store)?;
                let want = info.tables.get(i as usize).ok_or(Error::Link("bad import".into()))?;
                let table = &self.tables[t.index as usize];
                let have = Limits { min: table.elems.len() as u64, max: table.ty.limits.max };
                let index64 = info.table64.get(i as usize).copied().unwrap_or(false);
                if let Some(why) = address_type_mismatch("table with", "indices", table.index64, index64) {
                    incompatible(why)
                } else if info.table_exact.get(i as usize).map(|e| e.canonical(&module.inner.type_ids))
                    != Some(table.exact)
                {
                    incompatible(format!("table of other element type than {}", want.element))
                } else if table.ty.element == want.element && have.matches(&want.limits) {
                    Ok(())
                } else {
                    incompatible(format!(
                        "table {} {have:?}, expected {} {:?}",
                        table.ty.element, want.element, want.limits
                    ))
                }
            }
            (EntityIndex::Memory(i), Extern::Memory(m)) => {
                self.check(m.store)?;
                let want = info.memories.get(i as usize).ok_or(Error::Link("bad import".into()))?;
                let memory = &self.memories[m.index as usize];
                let have = Limits { min: memory.pages(), max: memory.declared_max() };
                let index64 = info.memory64.get(i as usize).copied().unwrap_or(false);
                if let Some(why) = address_type_mismatch("memory with", "addresses", memory.index64, index64)
                {
                    incompatible(why)
                } else if have.matches(want) {
                    Ok(())
                } else {
                    incompatible(format!("memory {have:?}, expected {want:?}"))
                }
            }
            (EntityIndex::Global(i), Extern::Global(g)) => {
                self.check(g.store)?;
                let want = info.globals.get(i as usize).ok_or(Error::Link("bad import".into()))?;
                let global = &self.globals[g.index as usize];
                let have = global.ty;
                let want_exact = info
                    .global_exact
                    .get(i as usize)
                    .ok_or(Error::Link("bad import".into()))?
                    .canonical(&module.inner.type_ids);
                // A mutable global's type must be the same; an immutable
                // one's may be a subtype (a non-null or typed reference).
                let fits =
                    if want.mutable { global.exact == want_exact } else { global.exact.matches(want_exact) };
                if have.mutable == want.mutable && have.content == want.content && fits {
                    Ok(())
                } else {
                    incompatible(format!("global {have:?}, expected {want:?}"))
                }
            }
            (EntityIndex::Tag(i), Extern::Tag(t)) => {
                self.check(t.store)?;
                let want = info.tag_type(i).ok_or(Error::Link("bad import".into()))?;
                let tag = &self.tags[t.index as usize];
                let want_id = info.tags.get(i as usize).and_then(|&t| module.inner.type_ids.get(t as usize));
                if want_id == Some(&tag.type_id) {
                    Ok(())
                } else {
                    incompatible(format!("tag {}, expected {want}", tag.ty))
                }
            }
            (_, provided) => incompatible(format!("a {} was provided", provided.kind_name())),
        }
    }

    /// Instantiates `module` with `imports` in import order (spec §4.5.4).
    pub fn instantiate(&mut self, module: &Module, imports: &[Extern]) -> Result<Instance> {
        if !module.inner.engine.same(&self.engine) {
            return Err(Error::Usage("module compiled by another engine".into()));
        }
        let info = &module.inner.info;
        if imports.len() != info.imports.len() {
            return Err(Error::Link(format!(
                "{} imports required, {} provided",
                info.imports.len(),
                imports.len()
            )));
        }
        for (import, provided) in info.imports.iter().zip(imports) {
            self.check_import(module, import.index, provided, &format!("{}.{}", import.module, import.name))?;
        }
        let instances = self.instances.len();
        if let Some(limiter) = self.limiter() {
            Self::check_count(instances, limiter.instances(), "instances")?;
        }
        if let Some(pool) = &self.engine.inner.pool {
            pool.instances.take().map_err(Error::Resource)?;
            self.pooled_instances += 1;
        }
        self.modules.push(module.clone());
        let mut instance = Box::new(InstanceData {
            index: self.instances.len() as u32,
            store: self,
            vmctx: empty_vmctx(),
            globals: Vec::new(),
            funcs: Vec::new(),
            tables: Vec::new(),
            table_data: Vec::new(),
            type_ids: module.inner.type_ids.clone(),
            memories: Vec::new(),
            vm_memories: Vec::new(),
            elems: Default::default(),
            module: module.clone(),
            dropped_datas: Default::default(),
            tags: Vec::new(),
        });
        let vmctx_ptr: *mut u8 = (&mut instance.vmctx as *mut crate::vm::VMContext).cast();
        for provided in imports {
            match *provided {
                Extern::Func(f) => instance.funcs.push(&self.funcs[f.index as usize].vm),
                Extern::Table(t) => {
                    let table = &mut *self.tables[t.index as usize];
                    instance.tables.push(&mut table.vm);
                    instance.table_data.push(table);
                }
                Extern::Memory(m) => instance.memories.push(&mut *self.memories[m.index as usize]),
                Extern::Global(g) => instance.globals.push(&mut self.globals[g.index as usize].cell),
                Extern::Tag(t) => instance.tags.push(t.index),
            }
        }
        for &type_index in info.tags.iter().skip(info.imported_tags) {
            let ty = info.types.get(type_index as usize).ok_or(Error::Link("tag of unknown type".into()))?;
            let type_id = module.inner.type_ids[type_index as usize];
            self.tags.push(TagData { ty: ty.clone(), type_id });
            instance.tags.push(self.tags.len() as u32 - 1);
        }
        let code = &module.inner.code;
        for (i, &offset) in code.funcs.iter().enumerate() {
            let index = info.imported_funcs + i;
            let type_index = info.funcs[index] as usize;
            let ty = info.types[type_index].clone();
            let vm = VMFuncRef {
                code: code.memory.at(offset),
                vmctx: vmctx_ptr,
                type_id: module.inner.type_ids[type_index],
            };
            let entry = code.memory.at(code.entries[type_index]);
            let func = self.push_func(FuncData { vm, ty, host: None }, entry);
            instance.funcs.push(&self.funcs[func.index as usize].vm);
        }
        for (ty, &index64) in info.tables.iter().zip(&info.table64).skip(info.imported_tables) {
            let table = self.push_table(*ty, 0, true)?;
            let table = &mut *self.tables[table.index as usize];
            table.index64 = index64;
            let exact = info.table_exact.get(instance.tables.len()).copied();
            table.exact = exact.map_or(table.exact, |e| e.canonical(&module.inner.type_ids));
            instance.tables.push(&mut table.vm);
            instance.table_data.push(table);
        }
        for (limits, &index64) in info.memories.iter().zip(&info.memory64).skip(info.imported_memories) {
            // Only memory 0 can start from the module's image.
            let image = module.memory_image().filter(|_| instance.memories.is_empty());
            let memory = self.push_memory(*limits, true, image)?;
            let memory = &mut *self.memories[memory.index as usize];
            memory.index64 = index64;
            instance.memories.push(memory);
        }
        let defined = info.globals.iter().zip(&info.global_exact).skip(info.imported_globals);
        for ((ty, exact), init) in defined.zip(&info.global_inits) {
            let cell = self.eval_const(&instance, init)?;
            let exact = exact.canonical(&module.inner.type_ids);
            self.globals.push(Box::new(GlobalData { cell, ty: *ty, exact }));
            let global = self.globals.last_mut().ok_or(Error::Link("global".into()))?;
            instance.globals.push(&mut global.cell);
        }
        // Tables with an initialiser (typed function references): every
        // element starts with its value, which may read the globals.
        for (i, init) in info.table_inits.iter().enumerate() {
            if let Some(init) = init {
                let value = self.eval_const(&instance, init)? as u64;
                let table =
                    *instance.table_data.get(info.imported_tables + i).ok_or(Error::Link("table".into()))?;
                // SAFETY: the table was just made by this store for this instance.
                unsafe { (*table).elems.fill(value) };
            }
        }
        instance.publish(&*self.limits);
        let elems = info
            .elems
            .iter()
            .map(|e| {
                e.items
                    .iter()
                    .map(|item| Ok(self.eval_const(&instance, item)? as u64))
                    .collect::<Result<Vec<_>>>()
            })
            .collect::<Result<Vec<_>>>()?;
        *instance.elems.borrow_mut() = elems;
        *instance.dropped_datas.borrow_mut() = vec![false; info.datas.len()];

        let index = self.instances.len() as u32;
        let handle = Instance { store: self.id, index };
        let exports = info
            .exports
            .iter()
            .map(|(name, entity)| Ok((name.clone(), self.export(&instance, *entity)?)))
            .collect::<Result<Vec<_>>>()?;
        self.instances.push(instance);
        self.exports.push(exports);

        // Segment initialisation in order; a trap leaves earlier writes.
        let offsets = |exprs: Vec<Option<ConstExpr>>| -> Result<Vec<Option<u64>>> {
            let instance = &self.instances[index as usize];
            exprs
                .into_iter()
                .map(|e| e.map(|e| Ok(self.eval_const(instance, &e)? as u64)).transpose())
                .collect()
        };
        let elem_offsets =
            offsets(info.elems.iter().map(|e| e.active.as_ref().map(|a| a.1.clone())).collect())?;
        let data_offsets = offsets(info.datas.iter().map(|d| d.active.clone().map(|(_, e)| e)).collect())?;
        let instance = &mut *self.instances[index as usize];
        for (i, segment) in info.elems.iter().enumerate() {
            if let (Some((table, _)), Some(offset)) = (&segment.active, elem_offsets[i]) {
                let n = segment.items.len() as u32;
                // The offset is an `i64` for a 64-bit table, else an `i32`.
                let index64 = info.table64.get(*table as usize).copied().unwrap_or(false);
                let offset = if index64 { offset } else { u64::from(offset as u32) };
                if let Err(code) = table_init_impl(instance, *table, i as u32, offset, 0, n) {
                    // The data segments are not applied: a memory from the
                    // pool that came with this module's image loses it.
                    if info.imported_memories == 0
                        && let Ok(memory) = instance.memory(0)
                    {
                        memory.clear_image().map_err(Error::Resource)?;
                    }
                    return Err(Trap::new(code).into());
                }
            }
            if segment.active.is_some() || segment.declared {
                instance.elems.borrow_mut()[i].clear();
            }
        }
        // An image (only for a memory this instance defines) holds what the
        // segments would write, none of which can trap.
        let image = module.memory_image().filter(|_| info.imported_memories == 0);
        for (i, segment) in info.datas.iter().enumerate() {
            if let (Some((memory, _)), Some(offset)) = (&segment.active, data_offsets[i]) {
                let memory = instance.memory(*memory).map_err(Trap::new)?;
                // The offset is an `i64` for a 64-bit memory, else an `i32`.
                let offset = if memory.index64 { offset } else { u64::from(offset as u32) };
                let end = offset.saturating_add(segment.bytes.len() as u64);
                if plumb_rules::mutant::active("data-segment-bounds-off-by-one")
                    && end >= memory.data().len() as u64
                {
                    return Err(Trap::new(TrapCode::MemoryOutOfBounds).into());
                }
                if image.is_none() {
                    memory.write(offset, &segment.bytes).map_err(Trap::new)?;
                }
                instance.drop_data(i as u32);
            }
        }
        if let Some(image) = image {
            instance.memory(0).map_err(Trap::new)?.install_image(image).map_err(Error::Resource)?;
        }
        if let Some(start) = info.start {
            let func = self.func_of(index, start)?;
            let mut values = [0u128; 1];
            self.call_raw(func.index, &mut values)?;
        }
        Ok(handle)
    }

    /// The [`Func`] handle of function `index` of instance `instance`.
    fn func_of(&self, instance: u32, index: u32) -> Result<Func> {
        let ptr = *self.instances[instance as usize]
            .funcs
            .get(index as usize)
            .ok_or(Error::Link("bad func".into()))?;
        let index = *self.func_by_address.get(&(ptr as usize)).ok_or(Error::Link("unknown func".into()))?;
        Ok(Func { store: self.id, index })
    }

    fn export(&self, instance: &InstanceData, entity: EntityIndex) -> Result<Extern> {
        let missing = || Error::Link("export of an unknown entity".into());
        Ok(match entity {
            EntityIndex::Func(i) => {
                let ptr = *instance.funcs.get(i as usize).ok_or_else(missing)?;
                let index = *self.func_by_address.get(&(ptr as usize)).ok_or_else(missing)?;
                Extern::Func(Func { store: self.id, index })
            }
            EntityIndex::Table(i) => {
                let ptr = *instance.table_data.get(i as usize).ok_or_else(missing)?;
                let index = self.tables.iter().position(|t| std::ptr::eq(&**t, ptr)).ok_or_else(missing)?;
                Extern::Table(Table { store: self.id, index: index as u32 })
            }
            EntityIndex::Memory(i) => {
                let ptr = *instance.memories.get(i as usize).ok_or_else(missing)?;
                let index = self.memories.iter().position(|m| std::ptr::eq(&**m, ptr)).ok_or_else(missing)?;
                Extern::Memory(Memory { store: self.id, index: index as u32 })
            }
            EntityIndex::Global(i) => {
                let ptr = *instance.globals.get(i as usize).ok_or_else(missing)?;
                let index =
                    self.globals.iter().position(|g| std::ptr::eq(&g.cell, ptr)).ok_or_else(missing)?;
                Extern::Global(Global { store: self.id, index: index as u32 })
            }
            EntityIndex::Tag(i) => {
                let index = *instance.tags.get(i as usize).ok_or_else(missing)?;
                Extern::Tag(Tag { store: self.id, index })
            }
        })
    }
}

/// Why a memory or table whose addresses are 64-bit (`have`) does not
/// link to an import that wants them 64-bit or not (`want`), if it does not.
fn address_type_mismatch(what: &str, unit: &str, have: bool, want: bool) -> Option<String> {
    let bits = |b: bool| if b { "i64" } else { "i32" };
    (have != want).then(|| format!("{what} {} {unit}, expected {}", bits(have), bits(want)))
}
