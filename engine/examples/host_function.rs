//! A host function called from Wasm that reads the guest's memory and keeps
//! what it read in the store's data.
//!
//! Run with `cargo run -p plumb --example host_function`.

use plumb::{Caller, Engine, Extern, Linker, Module, Store};

/// What the host keeps per store.
#[derive(Default)]
struct Host {
    /// Every line the guest printed.
    printed: Vec<String>,
}

fn main() -> plumb::Result<()> {
    let engine = Engine::default();
    let module = Module::new(
        &engine,
        r#"(module
             (import "host" "print" (func $print (param i32 i32)))
             (memory (export "memory") 1)
             (data (i32.const 16) "Hello from Wasm!")
             (func (export "greet") (param $times i32)
               (loop $again
                 (call $print (i32.const 16) (i32.const 16))
                 (local.set $times (i32.sub (local.get $times) (i32.const 1)))
                 (br_if $again (i32.gt_s (local.get $times) (i32.const 0))))))"#,
    )?;
    let mut store = Store::new(&engine, Host::default());
    let mut linker = Linker::new(&engine);
    linker.func_wrap(
        "host",
        "print",
        |mut caller: Caller<'_, Host>, ptr: i32, len: i32| -> Result<(), plumb::Trap> {
            // The calling instance's memory, looked up by its export name.
            let Some(Extern::Memory(memory)) = caller.get_export("memory") else {
                return Err(plumb::Trap::host("the caller exports no memory"));
            };
            let mut bytes = vec![0; len as u32 as usize];
            memory
                .read(&caller, ptr as u32 as usize, &mut bytes)
                .map_err(|e| plumb::Trap::host(e.to_string()))?;
            let line = String::from_utf8_lossy(&bytes).into_owned();
            println!("guest says: {line}");
            caller.data_mut().printed.push(line);
            Ok(())
        },
    )?;
    let instance = linker.instantiate(&mut store, &module)?;
    let greet = instance.get_typed_func::<i32, ()>(&store, "greet")?;
    greet.call(&mut store, 3)?;
    println!("the host received {} lines", store.data().printed.len());
    Ok(())
}
