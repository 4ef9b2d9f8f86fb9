//! A session of embedding-API calls: instantiate fixed modules (also
//! through `serialize`/`deserialize`), call their exports, grow, read and
//! write memories, set globals, move table elements, set fuel, epoch
//! deadlines and resource limits, drop whole stores while keeping their
//! handles. A host function reads its caller's memory through `Caller`.
//! Nothing may crash; handles of a dropped store must fail cleanly; what
//! the host writes it reads back; fuel only goes down while guests run;
//! and no memory or table outgrows the limits set.

use std::sync::OnceLock;

use plumb::{
    Error, Extern, Func, Global, Instance, Limits, Linker, Memory, Module, Store, StoreLimits,
    StoreLimitsBuilder, Table, Val,
};

use super::{controlled_engine as engine, from_engine, oracle_type, to_engine};
use crate::generators::{ApiOp, value_from_bits};

/// The modules a session instantiates: memory, table and global exports,
/// traps of every kind, recursion until the stack runs out, imports
/// resolved through a [`Linker`], several memories (one 64-bit),
/// exceptions, and typed function references.
const MODULES: &[&str] = &[
    r#"(module
        (import "env" "caller_byte" (func $caller_byte (param i32) (result i32)))
        (memory (export "mem") 1 4)
        (global (export "counter") (mut i64) (i64.const 7))
        (table (export "tab") 4 10 funcref)
        (func $answer (result i32) i32.const 42)
        (elem (i32.const 0) $answer)
        (func (export "load") (param i32) (result i32) local.get 0 i32.load)
        (func (export "store") (param i32 i32) local.get 0 local.get 1 i32.store)
        (func (export "grow") (param i32) (result i32) local.get 0 memory.grow)
        (func (export "size") (result i32) memory.size)
        (func (export "fill") (param i32 i32 i32) local.get 0 local.get 1 local.get 2 memory.fill)
        (func (export "bump") (result i64)
          global.get 0 i64.const 1 i64.add global.set 0 global.get 0)
        (func (export "call_at") (param i32) (result i32) local.get 0 call_indirect (result i32))
        (func (export "table_grow") (param funcref i32) (result i32) local.get 0 local.get 1 table.grow 0)
        (func (export "div") (param i32 i32) (result i32) local.get 0 local.get 1 i32.div_s)
        (func (export "trunc") (param f64) (result i32) local.get 0 i32.trunc_f64_s)
        (func (export "unreachable") unreachable)
        (func (export "caller_byte") (param i32 i32) (result i32)
          local.get 0 local.get 1 i32.store8
          local.get 0 call $caller_byte)
        (func $down (export "down") (param i32) (result i32)
          local.get 0 i32.eqz
          if (result i32) i32.const 0
          else local.get 0 i32.const 1 i32.sub call $down i32.const 1 i32.add end))"#,
    r#"(module
        (import "env" "log" (func $log (param i64) (result i64)))
        (import "env" "mem" (memory 1 2))
        (import "env" "fail" (func $fail))
        (global (export "f") (mut f64) (f64.const -0))
        (table (export "refs") 2 externref)
        (func (export "relay") (param i64) (result i64) local.get 0 call $log)
        (func (export "peek") (param i32) (result i64) local.get 0 i64.load)
        (func (export "fail") call $fail)
        (func (export "set_ref") (param i32 externref) local.get 0 local.get 1 table.set 0)
        (func (export "get_ref") (param i32) (result externref) local.get 0 table.get 0))"#,
    // Several memories, one with 64-bit addresses (WebAssembly 3.0): the
    // session grows, reads and writes each through its export.
    r#"(module
        (memory (export "mem_a") 1 3)
        (memory (export "mem_b") 2 4)
        (memory (export "mem64") i64 1 2)
        (data (memory 1) (i32.const 8) "b")
        (data (memory 2) (i64.const 16) "64")
        (func (export "copy_a_to_b") (param i32 i32 i32)
          (memory.copy 1 0 (local.get 0) (local.get 1) (local.get 2)))
        (func (export "load_b") (param i32) (result i32) (i32.load8_u 1 (local.get 0)))
        (func (export "store64") (param i64 i32) (i32.store8 2 (local.get 0) (local.get 1)))
        (func (export "load64") (param i64) (result i32) (i32.load8_u 2 (local.get 0)))
        (func (export "grow64") (param i64) (result i64) (memory.grow 2 (local.get 0))))"#,
    // Exception handling (WebAssembly 3.0): exceptions thrown, caught,
    // kept as `exnref`s the session passes back in, thrown again, and
    // escaping to the host; a host function's trap is never caught.
    r#"(module
        (import "env" "fail" (func $fail))
        (tag $e (export "e") (param i32))
        (global $kept (export "kept") (mut exnref) (ref.null exn))
        (func $throw (export "throw") (param i32) (throw $e (local.get 0)))
        (func (export "catch") (param i32) (result i32)
          (block $h (result i32)
            (try_table (catch $e $h) (call $throw (local.get 0)))
            (i32.const -1)))
        (func (export "keep") (param i32) (result exnref)
          (block $h (result i32 exnref)
            (try_table (catch_ref $e $h) (call $throw (local.get 0)))
            (return (ref.null exn)))
          (global.set $kept)
          (drop)
          (global.get $kept))
        (func (export "rethrow") (param exnref) (throw_ref (local.get 0)))
        (func (export "rethrow_kept") (throw_ref (global.get $kept)))
        (func (export "fail_not_caught") (result i32)
          (block $h
            (try_table (catch_all $h) (call $fail))
            (return (i32.const 0)))
          (i32.const 1)))"#,
    // Typed function references (WebAssembly 3.0): a table and globals of
    // `(ref null $ii)` and `(ref $ii)`, references passed in (of any type:
    // the session's references come from every module) and out, the null
    // tests, and calls through the typed table (the machine-code checker,
    // on in this target, refuses `call_ref`).
    r#"(module
        (type $ii (func (param i32) (result i32)))
        (func $inc (type $ii) (i32.add (local.get 0) (i32.const 1)))
        (func $dbl (type $ii) (i32.mul (local.get 0) (i32.const 2)))
        (table $typed (export "typed") 2 4 (ref null $ii))
        (elem (table $typed) (i32.const 0) (ref null $ii) (ref.func $inc) (ref.func $dbl))
        (global $kept (export "typed_ref") (mut (ref null $ii)) (ref.null $ii))
        (global $inc (export "inc_ref") (ref $ii) (ref.func $inc))
        (func (export "get_inc") (result (ref $ii)) (global.get $inc))
        (func (export "keep") (param (ref null $ii)) (global.set $kept (local.get 0)))
        (func (export "kept_is_null") (result i32)
          (block $null (br_on_null $null (global.get $kept)) (drop) (return (i32.const 0)))
          (i32.const 1))
        (func (export "non_null_or") (param (ref null $ii) i32) (result i32)
          (block $some (result (ref $ii)) (br_on_non_null $some (local.get 0)) (return (local.get 1)))
          (drop)
          (i32.const -1))
        (func (export "as_non_null") (param (ref null $ii)) (result (ref $ii)) (ref.as_non_null (local.get 0)))
        (func (export "store_typed") (param i32 (ref null $ii)) (table.set $typed (local.get 0) (local.get 1)))
        (func (export "call_typed") (param i32 i32) (result i32)
          (call_indirect $typed (type $ii) (local.get 1) (local.get 0))))"#,
];

fn modules() -> &'static [Module] {
    static COMPILED: OnceLock<Vec<Module>> = OnceLock::new();
    COMPILED.get_or_init(|| {
        MODULES
            .iter()
            .map(|text| match Module::new(engine(), text) {
                Ok(m) => m,
                Err(e) => panic!("a fixed module of the api_calls target does not compile: {e}"),
            })
            .collect()
    })
}

/// What a session's store holds: a count of host calls and the limits.
struct Host {
    calls: u64,
    limits: StoreLimits,
    /// The memory limit in bytes, if one is set.
    memory_limit: Option<usize>,
    /// The table limit in elements, if one is set.
    table_limit: Option<u64>,
}

/// Fuel and deadline a fresh store starts with: enough for any session.
const START_FUEL: u64 = 1 << 40;

/// A store with its linker; handles of earlier stores are kept in
/// [`Session`] to be used stale.
struct Session {
    store: Store<Host>,
    linker: Linker<Host>,
    instances: Vec<Instance>,
    memories: Vec<Memory>,
    globals: Vec<Global>,
    tables: Vec<Table>,
    refs: Vec<Val>,
    /// Exception references calls returned.
    exns: Vec<Val>,
}

fn new_store() -> Result<(Store<Host>, Linker<Host>), Error> {
    let host = Host { calls: 0, limits: StoreLimits::default(), memory_limit: None, table_limit: None };
    let mut store = Store::new(engine(), host);
    store.limiter(|host| &mut host.limits);
    store.set_fuel(START_FUEL)?;
    store.set_epoch_deadline(u64::MAX / 2);
    let mut linker = Linker::new(engine());
    linker.func_wrap("env", "log", |mut caller: plumb::Caller<'_, Host>, x: i64| -> i64 {
        caller.data_mut().calls += 1;
        x.wrapping_mul(3)
    })?;
    linker.func_wrap("env", "fail", |_caller: plumb::Caller<'_, Host>| -> Result<(), plumb::Trap> {
        Err(plumb::Trap::host("the host refuses"))
    })?;
    // The byte at `addr` of the calling instance's `mem`, read through its
    // `Caller`; -1 out of bounds. Only the first module imports it, and it
    // exports `mem`.
    linker.func_wrap("env", "caller_byte", |caller: plumb::Caller<'_, Host>, addr: i32| -> i32 {
        let mut caller = caller;
        let Some(Extern::Memory(memory)) = caller.get_export("mem") else {
            panic!("the calling instance's `mem` export is not visible through its Caller")
        };
        let mut byte = [0u8];
        match memory.read(&caller, addr as u32 as usize, &mut byte) {
            Ok(()) => i32::from(byte[0]),
            Err(_) => -1,
        }
    })?;
    let memory = Memory::new(&mut store, Limits { min: 1, max: Some(2) })?;
    linker.define(&store, "env", "mem", plumb::Extern::Memory(memory))?;
    Ok((store, linker))
}

fn pick<T: Copy>(items: &[T], index: impl Into<usize>) -> Option<T> {
    (!items.is_empty()).then(|| items[index.into() % items.len()])
}

/// Runs `ops` in order.
pub fn check(ops: &[ApiOp]) {
    let (store, linker) = match new_store() {
        Ok(s) => s,
        Err(e) => panic!("a fresh store cannot be set up: {e}"),
    };
    let mut s = Session {
        store,
        linker,
        instances: Vec::new(),
        memories: Vec::new(),
        globals: Vec::new(),
        tables: Vec::new(),
        refs: Vec::new(),
        exns: Vec::new(),
    };
    for op in ops {
        step(&mut s, op);
        check_limits(&s);
    }
}

/// Errors the API may return on any step: traps, refusals of stale or
/// mistyped handles, and the limits set. Anything else (or a panic) is a bug.
fn clean<T>(what: &str, result: Result<T, Error>) -> Option<T> {
    match result {
        Ok(v) => Some(v),
        Err(Error::Trap(_) | Error::Usage(_) | Error::Link(_)) => None,
        Err(Error::Resource(m)) if m.contains("store's limit") => None,
        Err(e) => panic!("{what}: unexpected error {e}"),
    }
}

/// Panics if a memory or table of the session outgrew the limits set.
fn check_limits(s: &Session) {
    let host = s.store.data();
    if let Some(limit) = host.memory_limit {
        for memory in &s.memories {
            let len = memory.data(&s.store).len();
            assert!(len <= limit.max(65536 * 4), "a memory of {len} bytes outgrew the limit of {limit}");
        }
    }
    if let Some(limit) = host.table_limit {
        for table in &s.tables {
            if let Ok(size) = table.size(&s.store) {
                assert!(size <= limit.max(10), "a table of {size} elements outgrew the limit of {limit}");
            }
        }
    }
}

fn step(s: &mut Session, op: &ApiOp) {
    match op {
        ApiOp::NewStore => {
            if let Some((store, linker)) = clean("new store", new_store()) {
                s.store = store;
                s.linker = linker;
            }
        }
        ApiOp::Instantiate { module } => {
            let Some(module) = pick(&modules().iter().collect::<Vec<_>>(), *module) else { return };
            let Some(instance) = clean("instantiate", s.linker.instantiate(&mut s.store, module)) else {
                return;
            };
            s.instances.push(instance);
            for (_, export) in instance.exports(&s.store).collect::<Vec<_>>() {
                match export {
                    plumb::Extern::Memory(m) => s.memories.push(m),
                    plumb::Extern::Global(g) => s.globals.push(g),
                    plumb::Extern::Table(t) => s.tables.push(t),
                    plumb::Extern::Func(f) => s.refs.push(Val::FuncRef(Some(f))),
                    plumb::Extern::Tag(_) => {}
                }
            }
        }
        ApiOp::Call { instance, func, args } => {
            let Some(instance) = pick(&s.instances, *instance) else { return };
            let funcs: Vec<Func> = instance
                .exports(&s.store)
                .filter_map(|(_, e)| if let plumb::Extern::Func(f) = e { Some(f) } else { None })
                .collect();
            let Some(func) = pick(&funcs, *func) else { return };
            call(s, func, args);
        }
        ApiOp::MemoryGrow { memory, delta } => {
            let Some(memory) = pick(&s.memories, *memory) else { return };
            let before = memory.size(&s.store);
            if let Some(old) = clean("memory grow", memory.grow(&mut s.store, u64::from(*delta))) {
                assert_eq!(old, before, "memory.grow returned {old}, the size was {before}");
                assert_eq!(memory.size(&s.store), before + u64::from(*delta), "memory size after growing");
            }
        }
        ApiOp::MemoryWrite { memory, offset, bytes } => {
            let Some(memory) = pick(&s.memories, *memory) else { return };
            let len = memory.data(&s.store).len();
            let offset = *offset as usize % (len + 16);
            if clean("memory write", memory.write(&mut s.store, offset, bytes)).is_some() {
                let mut back = vec![0; bytes.len()];
                let read = clean("memory read back", memory.read(&s.store, offset, &mut back));
                assert!(read.is_some() && &back == bytes, "memory reads back other bytes than written");
            }
        }
        ApiOp::MemoryRead { memory, offset, len } => {
            let Some(memory) = pick(&s.memories, *memory) else { return };
            let size = memory.data(&s.store).len();
            let offset = *offset as usize % (size + 16);
            let mut buf = vec![0; usize::from(*len)];
            let in_bounds = offset + buf.len() <= size;
            let read = clean("memory read", memory.read(&s.store, offset, &mut buf));
            assert_eq!(read.is_some(), in_bounds, "memory read of {len} bytes at {offset} in {size}");
        }
        ApiOp::GlobalSet { global, value } => {
            let Some(global) = pick(&s.globals, *global) else { return };
            let Some(ty) = clean("global type", global.ty(&s.store)) else { return };
            let Ok(value) = to_engine(&value_from_bits(oracle_type(ty.content), *value)) else { return };
            if clean("global set", global.set(&mut s.store, value)).is_some() {
                let back = clean("global get", global.get(&s.store)).map(|v| from_engine(&v));
                assert_eq!(back, Some(from_engine(&value)), "a global reads back another value than set");
            }
        }
        ApiOp::TableGrow { table, delta } => {
            let Some(table) = pick(&s.tables, *table) else { return };
            let Some(before) = clean("table size", table.size(&s.store)) else { return };
            let Some(first) = clean("table get", table.get(&s.store, 0)) else { return };
            let init = first.map_or(Val::FuncRef(None), |v| Val::default_for(v.ty()));
            if let Some(old) = clean("table grow", table.grow(&mut s.store, u64::from(*delta), init)) {
                assert_eq!(old, before, "table.grow returned {old}, the size was {before}");
            }
        }
        ApiOp::SetFuel { fuel } => {
            clean("set fuel", s.store.set_fuel(u64::from(*fuel)));
            assert_eq!(
                s.store.get_fuel().ok(),
                Some(u64::from(*fuel)),
                "fuel reads back another amount than set"
            );
        }
        ApiOp::SetEpochDeadline { delta } => s.store.set_epoch_deadline(u64::from(*delta)),
        ApiOp::IncrementEpoch => engine().increment_epoch(),
        ApiOp::SetLimits { memory_pages, table_elements, instances } => {
            let memory = usize::from(*memory_pages) * 65536;
            let host = s.store.data_mut();
            host.limits = StoreLimitsBuilder::new()
                .memory_size(memory)
                .table_elements(usize::from(*table_elements))
                .instances(usize::from(*instances))
                .build();
            // Memories and tables made before stay as they are (at most 4
            // pages and 10 elements in the fixed modules); only growth is
            // limited from here on.
            host.memory_limit = Some(memory);
            host.table_limit = Some(u64::from(*table_elements));
        }
        ApiOp::Roundtrip { module } => {
            let Some(module) = pick(&modules().iter().collect::<Vec<_>>(), *module) else { return };
            let bytes = match module.serialize() {
                Ok(b) => b,
                Err(e) => panic!("a compiled module does not serialize: {e}"),
            };
            // SAFETY: the bytes were just written by `Module::serialize`.
            let loaded = match unsafe { Module::deserialize(engine(), &bytes) } {
                Ok(m) => m,
                Err(e) => panic!("a serialized module does not load back: {e}"),
            };
            if let Some(instance) = clean("instantiate loaded", s.linker.instantiate(&mut s.store, &loaded)) {
                s.instances.push(instance);
            }
        }
        ApiOp::TableCopyElement { table, from, to } => {
            let Some(table) = pick(&s.tables, *table) else { return };
            let value = match clean("table get", table.get(&s.store, u64::from(*from))) {
                Some(Some(v)) => v,
                // Out of bounds: try a reference seen earlier, maybe of a
                // dropped store or of the wrong type.
                _ => match pick(&s.refs, *from) {
                    Some(v) => v,
                    None => return,
                },
            };
            s.refs.push(value);
            clean("table set", table.set(&mut s.store, u64::from(*to), value));
        }
    }
}

fn call(s: &mut Session, func: Func, raw: &[u64]) {
    let Some(ty) = clean("func type", func.ty(&s.store)) else { return };
    let params = ty
        .params()
        .iter()
        .enumerate()
        .map(|(i, &t)| {
            let bits = raw.get(i).copied().unwrap_or_default();
            match t {
                plumb::ValType::FuncRef => Ok(pick(&s.refs, bits as usize).unwrap_or(Val::FuncRef(None))),
                // An exception reference a call returned, maybe of an
                // earlier store; or null.
                plumb::ValType::ExnRef => Ok(pick(&s.exns, bits as usize).unwrap_or(Val::ExnRef(None))),
                _ => to_engine(&value_from_bits(oracle_type(t), bits)),
            }
        })
        .collect::<plumb::Result<Vec<Val>>>();
    let Ok(params) = params else { return };
    let mut results: Vec<Val> = ty.results().iter().map(|&t| Val::default_for(t)).collect();
    let fuel = s.store.get_fuel().ok();
    let outcome = clean("call", func.call(&mut s.store, &params, &mut results));
    let left = s.store.get_fuel().ok();
    assert!(left <= fuel, "a call added fuel: {fuel:?} before, {left:?} after");
    if outcome.is_some() {
        for r in results {
            if matches!(r, Val::FuncRef(Some(_))) {
                s.refs.push(r);
            }
            if matches!(r, Val::ExnRef(Some(_))) {
                s.exns.push(r);
            }
        }
    }
}
