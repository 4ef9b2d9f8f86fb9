//! Compiles the setjmp/longjmp shim that lets a trap in generated code
//! return control to the host (see `src/runtime/traps.rs`).

fn main() {
    println!("cargo:rerun-if-changed=src/runtime/trap_shim.c");
    cc::Build::new().file("src/runtime/trap_shim.c").warnings(true).compile("plumb_trap_shim");
}
