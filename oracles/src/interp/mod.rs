//! The reference interpreter: WebAssembly 2.0, SIMD included, written for
//! obviousness, following the structure of the spec — a [`Store`] of
//! function, table, memory and global instances, module instances mapping
//! index spaces to addresses, and execution with explicit frames, labels and
//! a value stack.
//!
//! ```
//! use plumb_oracles::interp::{Module, Store};
//! use plumb_oracles::Value;
//!
//! // (module (func (export "add") (param i32 i32) (result i32)
//! //   local.get 0 local.get 1 i32.add))
//! let bytes = [
//!     0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x07, 0x01, 0x60, 0x02, 0x7f,
//!     0x7f, 0x01, 0x7f, 0x03, 0x02, 0x01, 0x00, 0x07, 0x07, 0x01, 0x03, 0x61, 0x64, 0x64,
//!     0x00, 0x00, 0x0a, 0x09, 0x01, 0x07, 0x00, 0x20, 0x00, 0x20, 0x01, 0x6a, 0x0b,
//! ];
//! let module = Module::new(&bytes)?;
//! let mut store = Store::new();
//! let instance = store.instantiate(&module, &[])?;
//! let Some(plumb_oracles::interp::ExternVal::Func(add)) = store.export(instance, "add") else {
//!     panic!("no export")
//! };
//! assert_eq!(store.invoke(add, &[Value::I32(2), Value::I32(40)])?, vec![Value::I32(42)]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod code;
mod exec;
mod fuel;
mod module;
pub mod numerics;
pub mod simd;
mod store;
mod translate;

pub use code::{Catch, FuncBody, Instr, LoadOp, StoreOp};
pub use module::{
    ConstExpr, DataMode, DataSegment, ElemMode, ElemSegment, Export, ExternKind, Function, Global, Import,
    ImportType, Module, ModuleError, TagImport, features,
};
pub use store::{
    ExnInst, ExternVal, FuncInst, GlobalInst, HostFunc, InstanceAddr, InstantiationError, MemInst,
    ModuleInst, PAGE_SIZE, Store, StoreLimits, TableInst, TagInst,
};
