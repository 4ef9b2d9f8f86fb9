//! Library side of the `plumb` command line: the JIT engine as a backend of
//! the `.wast` runner, shared by the CLI and the conformance tests.

pub mod check_cmd;
pub mod compile_cmd;
pub mod engine_backend;
pub mod explain_cmd;
pub mod out;
pub mod run_cmd;
pub mod run_limits;
