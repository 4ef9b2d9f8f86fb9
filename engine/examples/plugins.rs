//! A host that runs untrusted plugins under all three limits: fuel bounds
//! how much each runs, an epoch deadline bounds how long, and a resource
//! limiter bounds how much memory it may take. Each plugin gets its own
//! store; one that hits a limit is reported and the host carries on.
//!
//! Run with `cargo run -p plumb --example plugins`.

use std::time::Duration;

use plumb::{
    Caller, Config, Engine, Extern, Linker, Module, Store, StoreLimits, StoreLimitsBuilder, Trap, TrapCode,
};

/// What the host keeps per plugin.
struct PluginState {
    limits: StoreLimits,
    /// What the plugin logged through `host.log`.
    log: Vec<String>,
}

/// The plugins: each exports `run`; one behaves, three misbehave (one per
/// limit).
const PLUGINS: &[(&str, &str)] = &[
    (
        "polite",
        r#"(module
             (import "host" "log" (func $log (param i32 i32)))
             (memory (export "memory") 1)
             (data (i32.const 0) "hello from a plugin")
             (func (export "run") (call $log (i32.const 0) (i32.const 19))))"#,
    ),
    ("spinner", r#"(module (func (export "run") (loop $l (br $l))))"#),
    (
        "glutton",
        // Grows its memory until refused (at 4 MiB), then gives up.
        r#"(module (memory (export "memory") 1)
             (func (export "run")
               (loop $l (br_if $l (i32.ne (memory.grow (i32.const 16)) (i32.const -1))))
               unreachable))"#,
    ),
    (
        "sleeper",
        // Little fuel per iteration but slow (each host call sleeps 50 ms):
        // the deadline stops it long before its fuel runs out.
        r#"(module (import "host" "nap" (func $nap))
             (func (export "run") (loop $l (call $nap) (br $l))))"#,
    ),
];

fn main() -> plumb::Result<()> {
    let mut config = Config::new();
    config.consume_fuel(true).epoch_interruption(true);
    let engine = Engine::new(&config)?;
    // One ticker for every plugin: the epoch advances every 10 ms.
    let ticker = engine.clone();
    std::thread::spawn(move || {
        loop {
            std::thread::sleep(Duration::from_millis(10));
            ticker.increment_epoch();
        }
    });
    let mut linker = Linker::new(&engine);
    linker.func_wrap("host", "log", |mut caller: Caller<'_, PluginState>, ptr: i32, len: i32| {
        let Some(Extern::Memory(memory)) = caller.get_export("memory") else {
            return Err(Trap::host("a plugin that logs must export its memory"));
        };
        let mut bytes = vec![0; len as u32 as usize];
        memory.read(&caller, ptr as u32 as usize, &mut bytes).map_err(|e| Trap::host(e.to_string()))?;
        caller.data_mut().log.push(String::from_utf8_lossy(&bytes).into_owned());
        Ok(())
    })?;
    linker.func_wrap("host", "nap", |_: Caller<'_, PluginState>| {
        std::thread::sleep(Duration::from_millis(50))
    })?;
    for (name, text) in PLUGINS {
        let module = Module::new(&engine, text)?;
        let limits = StoreLimitsBuilder::new().memory_size(4 << 20).instances(1).build();
        let mut store = Store::new(&engine, PluginState { limits, log: Vec::new() });
        store.limiter(|state| &mut state.limits);
        store.set_fuel(50_000_000)?;
        store.set_epoch_deadline(20); // 20 ticks: about 200 ms
        let instance = linker.instantiate(&mut store, &module)?;
        let outcome =
            instance.get_typed_func::<(), ()>(&store, "run").and_then(|run| run.call(&mut store, ()));
        let verdict = match outcome {
            Ok(()) => "finished".to_string(),
            Err(plumb::Error::Trap(trap)) => match trap.code() {
                TrapCode::OutOfFuel => "stopped: out of fuel".to_string(),
                TrapCode::Interrupt => "stopped: out of time".to_string(),
                _ => format!("trapped: {trap}"),
            },
            Err(e) => format!("refused: {e}"),
        };
        let fuel = store.get_fuel()?;
        let memory = instance.get_memory(&store, "memory").map_or(0, |m| m.data(&store).len());
        println!(
            "{name:>8}: {verdict} (fuel left {fuel}, memory {memory} bytes, log {:?})",
            store.data().log
        );
    }
    Ok(())
}
