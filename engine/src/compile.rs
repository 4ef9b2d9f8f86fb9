//! Compiling a module: every function translated (see [`crate::translate`])
//! and compiled by Cranelift for the host, in parallel, then placed with
//! its trampolines in one piece of executable memory with its trap table.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use cranelift_codegen::binemit::Reloc;
use cranelift_codegen::ir::{self, AbiParam, InstBuilder, MemFlagsData, Signature, types};
use cranelift_codegen::isa::OwnedTargetIsa;
use cranelift_codegen::{Context, FinalizedRelocTarget, control::ControlPlane};
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext};
use wasmparser::FunctionBody;

use crate::check::ModuleFacts;
use crate::engine::Instrumentation;
use crate::error::{Error, Result};
use crate::midend::{Lowering, LoweringLog};
use crate::module_info::ModuleInfo;
use crate::runtime::backtrace::FuncSpan;
use crate::runtime::code::CodeMemory;
use crate::runtime::libcalls;
use crate::runtime::traps::TrapTable;
use crate::translate::{FuncTranslator, trap_code, user_trap, wasm_signature};
use crate::types::FuncType;
use crate::vm::VALUE_SLOT;

/// Machine code of one function before placement, with its trap sites.
struct Compiled {
    code: Vec<u8>,
    traps: Vec<(u32, crate::trap::TrapCode)>,
    /// (code offset, module byte offset) of each run of instructions.
    srclocs: Vec<(u32, u32)>,
    /// Its direct calls of defined functions, resolved by [`place`].
    calls: Vec<DirectCall>,
}

/// A PC-relative call of a defined function, to patch once every function
/// has its place.
struct DirectCall {
    /// Where the relocation applies, from the function's start.
    offset: u32,
    /// The callee's index in the function index space.
    callee: u32,
    kind: Reloc,
    addend: i64,
}

/// A module's code in executable memory.
pub(crate) struct CompiledCode {
    pub memory: CodeMemory,
    /// Offset of each defined function.
    pub funcs: Vec<usize>,
    /// Offset of the host-to-Wasm entry trampoline of each type index.
    pub entries: Vec<usize>,
}

fn compile_function(isa: &OwnedTargetIsa, func: ir::Function, what: u32) -> Result<Compiled> {
    let mut ctx = Context::for_function(func);
    let compiled = ctx
        .compile(&**isa, &mut ControlPlane::default())
        .map_err(|e| Error::Compile { func: what, message: format!("{:?}", e.inner) })?;
    let relocs = compiled.buffer.relocs().to_vec();
    let compiled = ctx.compiled_code().ok_or(Error::Compile { func: what, message: "no code".into() })?;
    let mut calls = Vec::new();
    for reloc in relocs {
        let callee = match (&reloc.target, reloc.kind) {
            (
                FinalizedRelocTarget::ExternalName(ir::ExternalName::User(name)),
                Reloc::X86CallPCRel4 | Reloc::Arm64Call,
            ) => ctx.func.params.user_named_funcs().get(*name).map(|n| n.index),
            _ => None,
        };
        let callee = callee.ok_or_else(|| Error::Compile {
            func: what,
            message: format!("unsupported relocation {:?} to {:?}", reloc.kind, reloc.target),
        })?;
        calls.push(DirectCall { offset: reloc.offset, callee, kind: reloc.kind, addend: reloc.addend });
    }
    let mut traps = Vec::new();
    for trap in compiled.buffer.traps() {
        let code = trap_code(trap.code).ok_or_else(|| Error::Compile {
            func: what,
            message: format!("unexpected trap code {}", trap.code),
        })?;
        traps.push((trap.offset, code));
    }
    let srclocs = compiled
        .buffer
        .get_srclocs_sorted()
        .iter()
        .filter(|s| !s.loc.is_default())
        .map(|s| (s.start, s.loc.bits()))
        .collect();
    Ok(Compiled { code: compiled.code_buffer().to_vec(), traps, srclocs, calls })
}

/// Translates defined function `index` (in the function index space) into
/// CLIF, returning it with what the mid-end did.
pub(crate) fn translate_function(
    isa: &OwnedTargetIsa,
    info: &ModuleInfo,
    lowering: &dyn Lowering,
    index: u32,
    body: &FunctionBody<'_>,
    builder_ctx: &mut FunctionBuilderContext,
    instrumentation: Instrumentation,
) -> Result<(ir::Function, LoweringLog)> {
    let ty = info.func_type(index).ok_or(Error::Compile { func: index, message: "no type".into() })?;
    let mut func = ir::Function::with_name_signature(ir::UserFuncName::user(0, index), wasm_signature(ty));
    let builder = FunctionBuilder::new(&mut func, builder_ctx);
    let log =
        FuncTranslator::translate(info, lowering, isa.frontend_config(), builder, ty, body, instrumentation)
            .map_err(|message| {
                // A translation abandoned half-way leaves the builder context
                // dirty; the next function must start from a clean one.
                *builder_ctx = FunctionBuilderContext::new();
                Error::Compile { func: index, message }
            })?;
    Ok((func, log))
}

/// Nesting depth of `if`s from which a function is compiled with
/// Cranelift's single-pass register allocator instead of its default
/// backtracking one. On `if`s nested n deep (each arm using values from
/// outside) the backtracking allocator's work grows faster than n²
/// (n = 1,000 → 2,000 took 3.3× longer, 4,000 → 8,000 3.8×: it merges the
/// chain of arm results into one bundle and re-sorts it at each step); the
/// single-pass one stays linear, at the cost of more spills. Compiled C
/// and Rust code does not nest `if`s this deep.
pub(crate) const SINGLE_PASS_IF_DEPTH: usize = 128;

/// The deepest nesting of `if`s in `body` (0 when it has none).
fn if_depth(body: &FunctionBody<'_>, func: u32) -> Result<usize> {
    let error = |e: wasmparser::BinaryReaderError| Error::Compile { func, message: e.to_string() };
    let mut frames: Vec<bool> = Vec::new();
    let (mut open, mut deepest) = (0usize, 0usize);
    let mut ops = body.get_operators_reader().map_err(error)?;
    while !ops.eof() {
        let op = ops.read().map_err(error)?;
        match op {
            wasmparser::Operator::If { .. } => {
                frames.push(true);
                open += 1;
                deepest = deepest.max(open);
            }
            wasmparser::Operator::Block { .. } | wasmparser::Operator::Loop { .. } => frames.push(false),
            wasmparser::Operator::End if frames.pop() == Some(true) => open -= 1,
            _ => {}
        }
    }
    Ok(deepest)
}

/// Translates and compiles defined function `index` with the first of
/// `isas`, or the second (single-pass allocation) when its `if`s nest
/// [`SINGLE_PASS_IF_DEPTH`] deep or more; with `check`, checks its
/// machine code.
#[allow(clippy::too_many_arguments)] // one more than the lint's 7: the checker's facts
fn compile_wasm_function(
    isas: [&OwnedTargetIsa; 2],
    info: &ModuleInfo,
    lowering: &dyn Lowering,
    index: u32,
    body: &FunctionBody<'_>,
    builder_ctx: &mut FunctionBuilderContext,
    instrumentation: Instrumentation,
    check: Option<&ModuleFacts<'_>>,
) -> Result<Compiled> {
    let isa = isas[usize::from(if_depth(body, index)? >= SINGLE_PASS_IF_DEPTH)];
    let (func, _) = translate_function(isa, info, lowering, index, body, builder_ctx, instrumentation)?;
    let compiled = compile_function(isa, func, index)?;
    if let Some(facts) = check {
        facts.check(index, &compiled.code, &compiled.direct_calls())?;
    }
    Ok(compiled)
}

impl Compiled {
    /// Its direct calls as (relocation offset, callee), for the checker.
    fn direct_calls(&self) -> Vec<(u32, u32)> {
        self.calls.iter().map(|c| (c.offset, c.callee)).collect()
    }
}

/// A function's index, code length, checker verdict, and the time its
/// compilation and its check took.
pub(crate) type FunctionCheck =
    (u32, usize, std::result::Result<(), crate::check::Violation>, [std::time::Duration; 2]);

/// Compiles every defined function of a module and checks its machine
/// code, one verdict per function (`plumb check`): (index, code length,
/// verdict, compile and check times).
pub(crate) fn check_functions(
    isas: [&OwnedTargetIsa; 2],
    info: &ModuleInfo,
    bodies: &[FunctionBody<'_>],
    lowering: &dyn Lowering,
    instrumentation: Instrumentation,
) -> Result<Vec<FunctionCheck>> {
    let facts = ModuleFacts::new(info);
    // As in `compile_module`: terms of one shape are lowered once.
    let _memo = crate::midend::MemoScope::enter();
    let mut builder_ctx = FunctionBuilderContext::new();
    let first = info.imported_funcs as u32;
    let mut verdicts = Vec::new();
    for (i, body) in bodies.iter().enumerate() {
        let index = first + i as u32;
        let started = thread_cpu_time();
        let compiled = compile_wasm_function(
            isas,
            info,
            lowering,
            index,
            body,
            &mut builder_ctx,
            instrumentation,
            None,
        )?;
        let compiled_at = thread_cpu_time();
        let verdict = facts.check(index, &compiled.code, &compiled.direct_calls());
        let times = [compiled_at.saturating_sub(started), thread_cpu_time().saturating_sub(compiled_at)];
        verdicts.push((index, compiled.code.len(), verdict, times));
    }
    Ok(verdicts)
}

/// CPU time the calling thread has used: unlike wall-clock time, it does
/// not count the time other processes held the core, so the checker's
/// share of compile time reads the same on a loaded machine.
fn thread_cpu_time() -> std::time::Duration {
    let mut now = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: `clock_gettime` writes only the `timespec` it is given, which
    // lives for the call; the clock id is a constant it supports on Linux.
    let ok = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut now) } == 0;
    if !ok {
        return std::time::Duration::ZERO;
    }
    std::time::Duration::new(now.tv_sec as u64, now.tv_nsec as u32)
}

/// The trampoline the host enters a function of type `ty` through:
/// `extern "C" fn(code, vmctx, values)`, arguments read from and results
/// written to `values` ([`VALUE_SLOT`] bytes each).
fn entry_trampoline(isa: &OwnedTargetIsa, ty: &FuncType) -> Result<Compiled> {
    let call_conv = isa.default_call_conv();
    let mut sig = Signature::new(call_conv);
    sig.params.extend([AbiParam::new(types::I64); 3]);
    let mut func = ir::Function::with_name_signature(ir::UserFuncName::default(), sig);
    let mut ctx = FunctionBuilderContext::new();
    let mut b = FunctionBuilder::new(&mut func, &mut ctx);
    let block = b.create_block();
    b.append_block_params_for_function_params(block);
    b.switch_to_block(block);
    b.seal_block(block);
    let [code, vmctx, values] = b.block_params(block) else { unreachable_params() };
    let (code, vmctx, values) = (*code, *vmctx, *values);
    let flags = MemFlagsData::trusted();
    let no_caller = b.ins().iconst(types::I64, 0);
    let mut args = vec![vmctx, no_caller];
    for (i, t) in ty.params().iter().enumerate() {
        args.push(b.ins().load(t.clif(), flags, values, (i * VALUE_SLOT) as i32));
    }
    let callee = b.import_signature(wasm_signature(ty));
    let call = b.ins().call_indirect(callee, code, &args);
    let results = b.inst_results(call).to_vec();
    for (i, r) in results.into_iter().enumerate() {
        b.ins().store(flags, r, values, (i * VALUE_SLOT) as i32);
    }
    b.ins().return_(&[]);
    b.finalize(isa.frontend_config());
    compile_function(isa, func, u32::MAX)
}

/// The trampoline Wasm calls a host function of type `ty` through: it has
/// the Wasm signature, spills the arguments to a stack array and calls
/// [`libcalls::host_call`] with the `HostFunc` (its context) and the
/// caller's context.
fn host_trampoline(isa: &OwnedTargetIsa, ty: &FuncType) -> Result<Compiled> {
    let call_conv = isa.default_call_conv();
    let mut func = ir::Function::with_name_signature(ir::UserFuncName::default(), wasm_signature(ty));
    let mut ctx = FunctionBuilderContext::new();
    let mut b = FunctionBuilder::new(&mut func, &mut ctx);
    let block = b.create_block();
    b.append_block_params_for_function_params(block);
    b.switch_to_block(block);
    b.seal_block(block);
    let params = b.block_params(block).to_vec();
    let slots = ty.params().len().max(ty.results().len()).max(1);
    let slot = b.create_sized_stack_slot(ir::StackSlotData::new(
        ir::StackSlotKind::ExplicitSlot,
        (slots * VALUE_SLOT) as u32,
        4,
    ));
    let values = b.ins().stack_addr(types::I64, slot, 0);
    let flags = MemFlagsData::trusted();
    for (i, &p) in params[2..].iter().enumerate() {
        b.ins().store(flags, p, values, (i * VALUE_SLOT) as i32);
    }
    let mut sig = Signature::new(call_conv);
    sig.params.extend([AbiParam::new(types::I64); 3]);
    sig.returns.push(AbiParam::new(types::I32));
    let sig = b.import_signature(sig);
    let callee = b.ins().iconst(types::I64, libcalls::host_call as *const () as usize as i64);
    let call = b.ins().call_indirect(sig, callee, &[params[0], params[1], values]);
    // A host error traps here, in generated code, so that the trap walks
    // the Wasm frames that called the host function.
    let failed = b.inst_results(call)[0];
    b.ins().trapnz(failed, user_trap::code(user_trap::RAISED));
    let mut results = Vec::new();
    for (i, t) in ty.results().iter().enumerate() {
        results.push(b.ins().load(t.clif(), flags, values, (i * VALUE_SLOT) as i32));
    }
    b.ins().return_(&results);
    b.finalize(isa.frontend_config());
    compile_function(isa, func, u32::MAX)
}

fn unreachable_params() -> ! {
    // The block was given exactly the signature's three parameters.
    std::process::abort()
}

/// Places compiled pieces one after another (16-byte aligned) in
/// executable memory; returns the memory and each piece's offset. The
/// first pieces are the defined functions of `info` (none for a host
/// trampoline): their spans go in the trap table, for backtraces.
fn place(pieces: &[Compiled], info: Option<&ModuleInfo>) -> Result<(CodeMemory, Vec<usize>)> {
    let mut code = Vec::new();
    let mut traps = TrapTable::default();
    let mut offsets = Vec::new();
    let defined = info.map_or(0, |i| i.funcs.len() - i.imported_funcs);
    for (i, piece) in pieces.iter().enumerate() {
        code.resize(code.len().next_multiple_of(16), 0);
        offsets.push(code.len());
        for &(offset, trap) in &piece.traps {
            traps.sites.push((code.len() as u32 + offset, trap));
        }
        if let Some(info) = info.filter(|_| i < defined) {
            let index = (info.imported_funcs + i) as u32;
            traps.funcs.push(FuncSpan {
                start: code.len() as u32,
                end: (code.len() + piece.code.len()) as u32,
                index,
                name: info.func_names.get(&index).cloned(),
                srclocs: piece.srclocs.clone(),
            });
        }
        code.extend_from_slice(&piece.code);
    }
    for (piece, &at) in pieces.iter().zip(&offsets) {
        for call in &piece.calls {
            let callee = info
                .and_then(|i| (call.callee as usize).checked_sub(i.imported_funcs))
                .and_then(|i| offsets.get(i).filter(|_| i < defined))
                .ok_or_else(|| Error::Compile {
                    func: call.callee,
                    message: "direct call of no defined function".into(),
                })?;
            patch_call(&mut code, at + call.offset as usize, *callee, call)?;
        }
    }
    traps.sites.sort_by_key(|&(o, _)| o);
    Ok((CodeMemory::new(&code, traps).map_err(Error::Resource)?, offsets))
}

/// Resolves the direct call whose relocation sits at `site` (both offsets
/// in `code`) to the function at `target`. PC-relative, so the code stays
/// position-independent (it may be saved and mapped elsewhere).
fn patch_call(code: &mut [u8], site: usize, target: usize, call: &DirectCall) -> Result<()> {
    let out_of_range = || Error::Compile { func: call.callee, message: "direct call out of range".into() };
    let delta = target as i64 - site as i64 + call.addend;
    let bytes = code.get_mut(site..site + 4).ok_or_else(out_of_range)?;
    match call.kind {
        // rel32 of `call`: S + A - P.
        Reloc::X86CallPCRel4 => {
            let rel = i32::try_from(delta).map_err(|_| out_of_range())?;
            bytes.copy_from_slice(&rel.to_le_bytes());
        }
        // imm26 of `bl`: (S + A - P) / 4, within ±128 MiB.
        Reloc::Arm64Call => {
            if delta % 4 != 0 || !(-(1 << 27)..(1 << 27)).contains(&delta) {
                return Err(out_of_range());
            }
            let insn = u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
            let insn = (insn & !0x03ff_ffff) | (((delta >> 2) as u32) & 0x03ff_ffff);
            bytes.copy_from_slice(&insn.to_le_bytes());
        }
        _ => return Err(out_of_range()),
    }
    Ok(())
}

/// What one compiler thread compiled: function (by its index among the
/// module's bodies) and outcome.
type CompiledPart = Vec<(usize, Result<Compiled>)>;

/// Compiles all of a module's functions and entry trampolines.
pub(crate) fn compile_module(
    isas: [&OwnedTargetIsa; 2],
    info: &ModuleInfo,
    bodies: &[FunctionBody<'_>],
    lowering: &dyn Lowering,
    instrumentation: Instrumentation,
) -> Result<CompiledCode> {
    let first = info.imported_funcs as u32;
    let facts = instrumentation.check_machine_code.then(|| ModuleFacts::new(info));
    let facts = facts.as_ref();
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(bodies.len().max(1));
    // The threads take functions one at a time from a queue ordered by
    // size, largest first (ties by index), so that they finish together
    // however the module's sizes are spread (a static split in halves left
    // one thread with both big functions of shootout-ed25519). The code
    // does not depend on which thread compiles what: the memo gives the
    // lowering a fresh compile would.
    let mut order: Vec<usize> = (0..bodies.len()).collect();
    order.sort_by_key(|&i| {
        let range = bodies[i].range();
        (std::cmp::Reverse(range.end - range.start), i)
    });
    let next = AtomicUsize::new(0);
    let done: Vec<std::thread::Result<CompiledPart>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    // Terms of one shape are lowered once per thread.
                    let _memo = crate::midend::MemoScope::enter();
                    let mut builder_ctx = FunctionBuilderContext::new();
                    let mut compiled = Vec::new();
                    while let Some(&i) = order.get(next.fetch_add(1, Ordering::Relaxed)) {
                        let index = first + i as u32;
                        compiled.push((
                            i,
                            compile_wasm_function(
                                isas,
                                info,
                                lowering,
                                index,
                                &bodies[i],
                                &mut builder_ctx,
                                instrumentation,
                                facts,
                            ),
                        ));
                    }
                    compiled
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join()).collect()
    });
    let mut funcs: Vec<Option<Result<Compiled>>> = bodies.iter().map(|_| None).collect();
    for part in done {
        let part = part.map_err(|_| Error::Resource("compiler thread panicked".into()))?;
        for (i, result) in part {
            funcs[i] = Some(result);
        }
    }
    let funcs = funcs
        .into_iter()
        .map(|f| f.unwrap_or_else(|| Err(Error::Resource("a function was not compiled".into()))));
    let mut pieces = funcs.into_iter().collect::<Result<Vec<_>>>()?;
    let n = pieces.len();
    for ty in &info.types {
        pieces.push(entry_trampoline(isas[0], ty)?);
    }
    let (memory, offsets) = place(&pieces, Some(info))?;
    Ok(CompiledCode { memory, funcs: offsets[..n].to_vec(), entries: offsets[n..].to_vec() })
}

/// Compiles the trampoline for host functions of type `ty`, on its own.
pub(crate) fn compile_host_trampoline(isa: &OwnedTargetIsa, ty: &FuncType) -> Result<Arc<CodeMemory>> {
    let piece = host_trampoline(isa, ty)?;
    Ok(Arc::new(place(&[piece], None)?.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The first function body of the module `text`.
    fn depth_of(text: &str) -> usize {
        let bytes = wat::parse_str(text).expect("valid text");
        for payload in wasmparser::Parser::new(0).parse_all(&bytes) {
            if let Ok(wasmparser::Payload::CodeSectionEntry(body)) = payload {
                return if_depth(&body, 0).expect("readable body");
            }
        }
        panic!("no function body")
    }

    #[test]
    fn if_depth_counts_only_ifs_open_at_once() {
        assert_eq!(depth_of("(module (func block block end end))"), 0);
        let nested =
            "(module (func (param i32) local.get 0 if local.get 0 if block local.get 0 if end end end end))";
        assert_eq!(depth_of(nested), 3);
        let sequential = "(module (func (param i32) local.get 0 if end local.get 0 if else end))";
        assert_eq!(depth_of(sequential), 1);
    }

    fn piece(len: usize, calls: Vec<DirectCall>) -> Compiled {
        Compiled { code: vec![0; len], traps: vec![], srclocs: vec![], calls }
    }

    #[test]
    fn direct_calls_are_resolved_to_their_callee_once_placed() {
        // Function 0 is imported; 1 and 2 are defined, and 1 calls 2 twice
        // (an x86-64 `call rel32` and an AArch64 `bl`).
        let info = ModuleInfo { funcs: vec![0, 0, 0], imported_funcs: 1, ..ModuleInfo::default() };
        let x86 = DirectCall { offset: 5, callee: 2, kind: Reloc::X86CallPCRel4, addend: -4 };
        let bl = 0x9400_0000u32;
        let arm = DirectCall { offset: 12, callee: 2, kind: Reloc::Arm64Call, addend: 0 };
        let mut caller = piece(20, vec![x86, arm]);
        caller.code[12..16].copy_from_slice(&bl.to_le_bytes());
        let (memory, offsets) = place(&[caller, piece(8, vec![])], Some(&info)).expect("places");
        assert_eq!(offsets, vec![0, 32]);
        let code = memory.code();
        let rel = i32::from_le_bytes(code[5..9].try_into().expect("4 bytes"));
        assert_eq!(rel, 32 - 5 - 4, "rel32 counts from the end of the call");
        let insn = u32::from_le_bytes(code[12..16].try_into().expect("4 bytes"));
        assert_eq!(insn, bl | ((32 - 12) / 4), "imm26 counts words from the bl itself");
    }

    #[test]
    fn a_direct_call_of_an_import_or_out_of_range_is_refused() {
        let info = ModuleInfo { funcs: vec![0, 0], imported_funcs: 1, ..ModuleInfo::default() };
        let to_import = DirectCall { offset: 0, callee: 0, kind: Reloc::X86CallPCRel4, addend: -4 };
        assert!(place(&[piece(8, vec![to_import])], Some(&info)).is_err());
        let past_end = DirectCall { offset: 6, callee: 1, kind: Reloc::X86CallPCRel4, addend: -4 };
        assert!(place(&[piece(8, vec![past_end])], Some(&info)).is_err());
        let far = DirectCall { offset: 0, callee: 1, kind: Reloc::Arm64Call, addend: 1 << 28 };
        assert!(place(&[piece(8, vec![far])], Some(&info)).is_err());
    }
}
