//! Errors of the embedding API.

use crate::trap::Trap;

/// What can go wrong compiling, linking, instantiating or calling.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The bytes are not a valid module.
    #[error("invalid module at byte offset {offset:#x}: {message}")]
    Invalid {
        /// What is wrong.
        message: String,
        /// Where, in bytes from the start of the module.
        offset: u64,
    },
    /// The module uses something Plumb does not implement.
    #[error("unsupported at byte offset {offset:#x}: {message}")]
    Unsupported {
        /// What is not supported.
        message: String,
        /// Where.
        offset: u64,
    },
    /// The WebAssembly text could not be parsed.
    #[error("invalid WebAssembly text: {0}")]
    Text(String),
    /// Code generation failed (a bug or a limit of the compiler).
    #[error("compiling function {func}: {message}")]
    Compile {
        /// Function index.
        func: u32,
        /// What failed.
        message: String,
    },
    /// A compiled function's machine code breaks a sandbox property
    /// ([`crate::Config::check_machine_code`]).
    #[error("machine-code check: {0}")]
    MachineCode(#[from] crate::check::Violation),
    /// Imports are missing or of the wrong type.
    #[error("unlinkable: {0}")]
    Link(String),
    /// Execution trapped (also during instantiation).
    #[error(transparent)]
    Trap(#[from] Trap),
    /// A resource could not be obtained (memory, code space).
    #[error("resource: {0}")]
    Resource(String),
    /// A precompiled module (`Module::deserialize`) is damaged, truncated,
    /// or was made by another Plumb, target or `Config`.
    #[error("precompiled module: {0}")]
    Precompiled(String),
    /// The embedder used the API wrongly (wrong types, foreign store, ...).
    #[error("{0}")]
    Usage(String),
}

impl From<wasmparser::BinaryReaderError> for Error {
    fn from(e: wasmparser::BinaryReaderError) -> Error {
        Error::Invalid { message: e.message().to_string(), offset: e.offset() }
    }
}

/// Shorthand for results of the embedding API.
pub type Result<T, E = Error> = std::result::Result<T, E>;
