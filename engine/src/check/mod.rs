//! The machine-code sandbox checker ([`crate::Config::check_machine_code`],
//! `plumb check`): after Cranelift, each Wasm function's x86-64 code is
//! decoded and abstract-interpreted over its control-flow graph, in the
//! spirit of VeriWasm (NDSS 2021), to prove that it stays in its sandbox
//! whatever Cranelift's passes did. It owns the properties and their
//! proof; it never changes code, and it trusts nothing Cranelift says
//! about the code except where the direct-call relocations are.
//!
//! What is proved, per function (see [`Property`]): every memory access is
//! in the function's own stack frame, in a `VMContext` field or a record
//! it points to at an offset inside its layout, in a linear memory at
//! `base + zext32(index) + offset` inside the reservation (any memory's
//! base: memory 0's from the `VMContext`, another's from its `VMMemory`), or in a table
//! element whose index was compared against the table's length; every
//! indirect call goes through a `VMFuncRef` of the module (an import) or
//! one read from a table and whose type id was compared with the
//! expected one, or through the libcall table; direct calls are the
//! module's relocations; jumps stay in the function; the stack pointer is
//! the entry's at each return, the return address untouched, and the
//! frame was checked against the store's stack limit before it grows or
//! calls. It checks isolation, not functional correctness: a wrong value
//! computed inside the sandbox passes.

#[cfg(target_arch = "x86_64")]
mod x64;

use crate::module_info::ModuleInfo;
use crate::types::ValType;

/// A violated sandbox property.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Property {
    /// A load or store whose address is not provably in the stack frame,
    /// the `VMContext` and its records, a linear memory or a checked
    /// table element.
    MemoryAccess,
    /// An indirect call whose target is not a type-checked `VMFuncRef`, an
    /// import's `VMFuncRef` or a libcall; or a direct call that is not a
    /// relocation to a known function.
    CallTarget,
    /// A jump out of the function, or one whose target is not known.
    JumpTarget,
    /// The stack pointer or the return address differs from the entry's
    /// where the function returns or tail-calls, or differs between two
    /// paths that meet.
    StackBalance,
    /// The frame grows, or the function calls, before the stack pointer
    /// was compared with the store's stack limit.
    StackLimit,
    /// An instruction the checker does not model (it refuses rather than
    /// guesses), or bytes that do not decode.
    Unsupported,
}

impl std::fmt::Display for Property {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Property::MemoryAccess => "memory access outside the sandbox",
            Property::CallTarget => "call of an unchecked target",
            Property::JumpTarget => "jump out of the function",
            Property::StackBalance => "stack pointer or return address not balanced",
            Property::StackLimit => "stack used before the stack-limit check",
            Property::Unsupported => "instruction not modelled by the checker",
        })
    }
}

/// Where and how a function's machine code breaks the sandbox.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("function {func}: {property} at code offset {offset:#x}: `{instruction}`{}", detail_suffix(.detail))]
pub struct Violation {
    /// The function's index in the function index space.
    pub func: u32,
    /// Offset of the instruction from the start of the function's code.
    pub offset: u32,
    /// The instruction, disassembled (Intel syntax).
    pub instruction: String,
    /// The property it breaks.
    pub property: Property,
    /// What the checker knew (the abstract values involved).
    pub detail: String,
}

fn detail_suffix(detail: &str) -> String {
    if detail.is_empty() { String::new() } else { format!(" ({detail})") }
}

/// What the checker needs to know of a function besides its code.
#[derive(Debug, Clone)]
pub(crate) struct FuncFacts<'a> {
    /// Index in the function index space.
    pub func: u32,
    /// Wasm parameter and result types.
    pub params: &'a [ValType],
    pub results: &'a [ValType],
    /// Its direct-call relocations: offset (from the function's start) of
    /// each 4-byte field, and the callee's index.
    pub direct_calls: &'a [(u32, u32)],
    /// Per callee, by function index and by type index: the bytes of
    /// stack arguments it pops (Cranelift's `tail` convention: the callee
    /// pops them) and the bytes of return area it may write (8 per result).
    pub func_abi: &'a [(u32, u32)],
    pub type_abi: &'a [(u32, u32)],
    /// Sizes of the index spaces the `VMContext` arrays hold.
    pub globals: u32,
    pub funcs: u32,
    pub tables: u32,
    pub types: u32,
    pub memories: u32,
}

/// Checks one compiled function: `Ok` when every property holds.
#[cfg(target_arch = "x86_64")]
pub(crate) fn check_function(code: &[u8], facts: &FuncFacts<'_>) -> Result<(), Violation> {
    x64::check(code, facts)
}

/// Not on this architecture: `Config::check_machine_code` is refused by
/// `Engine::new` there, so this is never reached.
#[cfg(not(target_arch = "x86_64"))]
pub(crate) fn check_function(_code: &[u8], facts: &FuncFacts<'_>) -> Result<(), Violation> {
    Err(Violation {
        func: facts.func,
        offset: 0,
        instruction: String::new(),
        property: Property::Unsupported,
        detail: "the checker decodes x86-64 only".into(),
    })
}

/// Bytes of stack arguments of a Wasm function of type `ty`.
pub(crate) fn stack_arg_bytes(ty: &crate::types::FuncType) -> u32 {
    #[cfg(target_arch = "x86_64")]
    {
        x64::stack_arg_bytes(ty.params(), ty.results())
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        let _ = ty;
        0
    }
}

/// What the checker needs of a module, computed once for all of its
/// functions.
pub(crate) struct ModuleFacts<'a> {
    info: &'a ModuleInfo,
    func_abi: Vec<(u32, u32)>,
    type_abi: Vec<(u32, u32)>,
}

impl<'a> ModuleFacts<'a> {
    pub(crate) fn new(info: &'a ModuleInfo) -> ModuleFacts<'a> {
        let type_abi: Vec<(u32, u32)> =
            info.types.iter().map(|t| (stack_arg_bytes(t), return_area_bytes(t))).collect();
        let func_abi =
            info.funcs.iter().map(|&t| type_abi.get(t as usize).copied().unwrap_or((0, 0))).collect();
        ModuleFacts { info, func_abi, type_abi }
    }

    /// Checks defined function `func`'s code, given its direct calls as
    /// (relocation offset, callee).
    pub(crate) fn check(&self, func: u32, code: &[u8], direct_calls: &[(u32, u32)]) -> Result<(), Violation> {
        let info = self.info;
        let (params, results) = match info.func_type(func) {
            Some(ty) => (ty.params(), ty.results()),
            None => (&[][..], &[][..]),
        };
        let facts = FuncFacts {
            func,
            params,
            results,
            direct_calls,
            func_abi: &self.func_abi,
            type_abi: &self.type_abi,
            globals: info.globals.len() as u32,
            funcs: info.funcs.len() as u32,
            tables: info.tables.len() as u32,
            types: info.types.len() as u32,
            memories: info.memories.len() as u32,
        };
        check_function(code, &facts)
    }
}

/// Bytes of the return area a Wasm function of type `ty` writes.
pub(crate) fn return_area_bytes(ty: &crate::types::FuncType) -> u32 {
    #[cfg(target_arch = "x86_64")]
    {
        x64::return_area_bytes(ty.results())
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        let _ = ty;
        0
    }
}

/// Whether the checker applies to the host.
pub(crate) const SUPPORTED: bool = cfg!(target_arch = "x86_64");

/// The checker's verdict on one function ([`check_module`]).
#[derive(Debug, Clone)]
pub struct FunctionVerdict {
    /// Index in the function index space.
    pub func: u32,
    /// Its name from the name section, if any.
    pub name: Option<String>,
    /// Bytes of machine code checked.
    pub code_len: usize,
    /// `Ok` or the first violation found.
    pub verdict: Result<(), Violation>,
    /// CPU time compiling it took (translation, mid-end, Cranelift), on
    /// the compiling thread.
    pub compile_time: std::time::Duration,
    /// CPU time checking its machine code took.
    pub check_time: std::time::Duration,
}

/// Compiles `bytes` (binary or text) with `engine`'s settings and checks
/// every defined function's machine code, reporting each one rather than
/// stopping at the first violation (`plumb check`). Fails only when the
/// module does not compile, or on a host the checker does not support.
pub fn check_module(engine: &crate::Engine, bytes: &[u8]) -> crate::Result<Vec<FunctionVerdict>> {
    if !SUPPORTED {
        return Err(crate::Error::Usage(UNSUPPORTED.into()));
    }
    crate::module::check_functions(engine, bytes)
}

/// The error on hosts other than x86-64.
pub(crate) const UNSUPPORTED: &str =
    "check_machine_code: the machine-code checker is not supported on this architecture (x86-64 only)";
