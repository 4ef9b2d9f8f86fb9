//! Exception handling in generated code (WebAssembly 3.0): `throw`,
//! `throw_ref`, `try_table`, and the test after every call.
//!
//! Nothing unwinds (see `runtime::exceptions`). `throw` leaves the
//! exception in `VMLimits::exception` and jumps to the *handler* of the
//! innermost enclosing `try_table`; every call is followed by a test of
//! that field that branches to the same handler. A function with no
//! enclosing `try_table` returns instead (its *unwind* block, with zero
//! results its caller never reads: the caller's own test comes first).
//! A `try_table`'s handler is emitted at its `end`: its clauses in order,
//! each tagged one asking the runtime whether the exception has its tag,
//! the one that matches taking the exception and branching to its label
//! with the payload (and the `exnref`, for the `_ref` clauses). When no
//! clause matches, the handler goes on to the next enclosing one.

use cranelift_codegen::ir::{self, InstBuilder, MemFlagsData, StackSlotData, StackSlotKind, types};
use wasmparser::{Catch, TryTable};

use super::{FrameKind, FuncTranslator, LibcallRet, TResult, user_trap, zero};
use crate::runtime::libcalls::Libcall;
use crate::types::ValType;
use crate::vm;

/// The label, tag (none for `catch_all`) and whether the clause gives the
/// `exnref` of one `catch` clause.
fn clause(catch: &Catch) -> (u32, Option<u32>, bool) {
    match *catch {
        Catch::One { tag, label } => (label, Some(tag), false),
        Catch::OneRef { tag, label } => (label, Some(tag), true),
        Catch::All { label } => (label, None, false),
        Catch::AllRef { label } => (label, None, true),
    }
}

impl FuncTranslator<'_> {
    /// Where an exception thrown here goes: the handler of the innermost
    /// enclosing `try_table`, or the function's unwind block.
    fn handler(&mut self) -> ir::Block {
        let builder = &mut self.builder;
        for frame in self.control.iter_mut().rev() {
            if frame.kind == FrameKind::TryTable {
                return *frame.handler.get_or_insert_with(|| builder.create_block());
            }
        }
        *self.unwind.get_or_insert_with(|| builder.create_block())
    }

    /// After a call: goes to the handler when the callee left an exception
    /// being thrown.
    pub(super) fn exception_check(&mut self) {
        if !self.instrumentation.exceptions {
            return;
        }
        let limits = self.vmctx_load(vm::vmctx::LIMITS);
        let thrown =
            self.builder.ins().load(types::I64, MemFlagsData::trusted(), limits, vm::limits::EXCEPTION);
        let handler = self.handler();
        self.branch_if(thrown, handler, &[]);
    }

    /// A stack slot of `n` 16-byte value slots (the runtime's payload
    /// layout) and its address; a null address when `n` is 0.
    fn payload_slots(&mut self, n: usize) -> (Option<ir::StackSlot>, ir::Value) {
        if n == 0 {
            return (None, self.builder.ins().iconst(types::I64, 0));
        }
        let size = u32::try_from(n * vm::VALUE_SLOT).unwrap_or(u32::MAX);
        let slot =
            self.builder.create_sized_stack_slot(StackSlotData::new(StackSlotKind::ExplicitSlot, size, 4));
        let address = self.builder.ins().stack_addr(types::I64, slot, 0);
        (Some(slot), address)
    }

    /// `throw tag`: the payload goes to the runtime, which sets the
    /// exception being thrown; then to the handler.
    pub(super) fn throw(&mut self, tag: u32) -> TResult<()> {
        let ty = self.module.tag_type(tag).ok_or("unknown tag")?.clone();
        let values = self.pop_values(ty.params().len())?;
        let (slot, address) = self.payload_slots(values.len());
        if let Some(slot) = slot {
            for (i, &value) in values.iter().enumerate() {
                self.builder.ins().stack_store(types::I64, value, slot, (i * vm::VALUE_SLOT) as i32);
            }
        }
        let tag = self.builder.ins().iconst(types::I32, i64::from(tag));
        self.libcall(Libcall::Throw, &[tag, address], &[types::I32, types::I64], LibcallRet::Status);
        let handler = self.handler();
        self.builder.ins().jump(handler, &[]);
        self.set_unreachable();
        Ok(())
    }

    /// `throw_ref`: null traps; any other exception is thrown again.
    pub(super) fn throw_ref(&mut self) -> TResult<()> {
        let exn = self.pop_value()?;
        self.builder.ins().trapz(exn, user_trap::code(user_trap::NULL_EXCEPTION_REFERENCE));
        self.libcall(Libcall::ThrowRef, &[exn], &[types::I64], LibcallRet::Status);
        let handler = self.handler();
        self.builder.ins().jump(handler, &[]);
        self.set_unreachable();
        Ok(())
    }

    /// `try_table`: a block whose frame also holds its clauses.
    pub(super) fn try_table(&mut self, try_table: &TryTable) -> TResult<()> {
        let (params, results) = self.block_type(try_table.ty)?;
        let dest = self.new_block(&results);
        let height = self.stack.len().checked_sub(params.len()).ok_or("stack underflow")?;
        self.open(FrameKind::TryTable, dest, None, params, results, height);
        if let Some(frame) = self.control.last_mut() {
            frame.catches = try_table.catches.clone();
        }
        Ok(())
    }

    /// Emits the handler of a `try_table` whose frame was just closed:
    /// its clauses in order, then the enclosing handler. Labels are
    /// resolved against the enclosing frames, as validation does.
    pub(super) fn emit_handler(&mut self, handler: ir::Block, catches: &[Catch]) -> TResult<()> {
        self.builder.switch_to_block(handler);
        self.builder.seal_block(handler);
        for catch in catches {
            let (label, tag, keep) = clause(catch);
            let payload = match tag {
                Some(tag) => {
                    let payload = self.module.tag_type(tag).ok_or("unknown tag")?.params().to_vec();
                    let tag = self.builder.ins().iconst(types::I32, i64::from(tag));
                    let matched = self.libcall(
                        Libcall::CatchMatch,
                        &[tag],
                        &[types::I32],
                        LibcallRet::Value(types::I32),
                    );
                    let take = self.builder.create_block();
                    let next = self.builder.create_block();
                    self.builder.ins().brif(matched, take, &[], next, &[]);
                    self.builder.seal_block(take);
                    self.builder.switch_to_block(take);
                    self.take_exception(label, &payload, keep)?;
                    self.builder.seal_block(next);
                    self.builder.switch_to_block(next);
                    continue;
                }
                None => Vec::new(),
            };
            // `catch_all` takes whatever reaches it; later clauses are dead.
            return self.take_exception(label, &payload, keep);
        }
        let outer = self.handler();
        self.builder.ins().jump(outer, &[]);
        Ok(())
    }

    /// A clause takes the exception: its payload of types `payload` (and
    /// its `exnref` with `keep`) goes to label `label`.
    fn take_exception(&mut self, label: u32, payload: &[ValType], keep: bool) -> TResult<()> {
        let (slot, address) = self.payload_slots(payload.len());
        let len = self.builder.ins().iconst(types::I32, payload.len() as i64);
        let keep_flag = self.builder.ins().iconst(types::I32, i64::from(keep));
        let exn = self.libcall(
            Libcall::CatchTake,
            &[address, len, keep_flag],
            &[types::I64, types::I32, types::I32],
            LibcallRet::Value(types::I64),
        );
        let mut values = Vec::with_capacity(payload.len() + 1);
        if let Some(slot) = slot {
            for (i, t) in payload.iter().enumerate() {
                values.push(self.builder.ins().stack_load(
                    types::I64,
                    t.clif(),
                    slot,
                    (i * vm::VALUE_SLOT) as i32,
                ));
            }
        }
        if keep {
            values.push(exn);
        }
        let frame = self.frame(label)?;
        frame.dest_used |= frame.header.is_none();
        let (block, _) = frame.branch_target();
        self.builder.ins().jump(block, &Self::args(&values));
        Ok(())
    }

    /// The unwind block, if anything goes there: returns zero results (a
    /// caller tests the exception before it reads them).
    pub(super) fn emit_unwind(&mut self, results: &[ValType]) {
        let Some(unwind) = self.unwind else { return };
        self.builder.switch_to_block(unwind);
        self.builder.seal_block(unwind);
        let zeros: Vec<ir::Value> = results.iter().map(|&t| zero(&mut self.builder, t)).collect();
        self.builder.ins().return_(&zeros);
    }
}
