//! The checks an embedder can compile into guest code: fuel charged per run
//! of operators, and epoch checks at function entries and loop headers
//! (`Config::consume_fuel`, `Config::epoch_interruption`). Both read and
//! write the store's `VMLimits`, reached through the callee's context.

use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::immediates::Imm64;
use cranelift_codegen::ir::{self, InstBuilder, MemFlagsData, types};
use wasmparser::Operator;

use super::{FuncTranslator, user_trap};
use crate::vm;

/// What an operator costs in fuel (the table `Config::consume_fuel`
/// documents): structural operators are free, every other costs 1.
pub(super) fn fuel_cost(op: &Operator<'_>) -> u64 {
    if matches!(op, Operator::Drop) && plumb_rules::mutant::active("fuel-drop-costs-one") {
        return 1;
    }
    match op {
        Operator::Nop
        | Operator::Drop
        | Operator::Block { .. }
        | Operator::TryTable { .. }
        | Operator::Loop { .. }
        | Operator::Else
        | Operator::End
        | Operator::Unreachable
        | Operator::Return => 0,
        _ => 1,
    }
}

/// Whether `op` ends a run of operators: control flow and calls. The next
/// operator starts a run, and every branch target is the start of one.
pub(super) fn ends_run(op: &Operator<'_>) -> bool {
    matches!(
        op,
        Operator::Unreachable
            | Operator::Block { .. }
            | Operator::TryTable { .. }
            | Operator::Throw { .. }
            | Operator::ThrowRef
            | Operator::Loop { .. }
            | Operator::If { .. }
            | Operator::Else
            | Operator::End
            | Operator::Br { .. }
            | Operator::BrIf { .. }
            | Operator::BrTable { .. }
            | Operator::Return
            | Operator::Call { .. }
            | Operator::CallIndirect { .. }
            | Operator::ReturnCall { .. }
            | Operator::ReturnCallIndirect { .. }
            | Operator::CallRef { .. }
            | Operator::ReturnCallRef { .. }
            | Operator::BrOnNull { .. }
            | Operator::BrOnNonNull { .. }
    )
}

/// The fuel charge of the run being translated.
#[derive(Debug, Default)]
pub(super) struct Run {
    /// Cost of its operators so far.
    cost: u64,
    /// The `iconst` of the charge, emitted before its first operator that
    /// costs anything and patched with the run's cost when it ends.
    amount: Option<ir::Inst>,
}

impl FuncTranslator<'_> {
    /// Counts reachable operator `op` into the current run, emitting the
    /// run's charge before the first operator that costs fuel. (The free
    /// operators that may come before it have no effect to order against.)
    pub(super) fn charge_fuel(&mut self, op: &Operator<'_>) {
        let cost = fuel_cost(op);
        self.run.cost += cost;
        if cost == 0 || self.run.amount.is_some() {
            return;
        }
        let limits = self.vmctx_load(vm::vmctx::LIMITS);
        let flags = MemFlagsData::trusted();
        let fuel = self.builder.ins().load(types::I64, flags, limits, vm::limits::FUEL);
        let amount = self.builder.ins().iconst(types::I64, 0);
        let short = self.builder.ins().icmp(IntCC::UnsignedLessThan, fuel, amount);
        self.builder.ins().trapnz(short, user_trap::code(user_trap::OUT_OF_FUEL));
        let left = self.builder.ins().isub(fuel, amount);
        self.builder.ins().store(flags, left, limits, vm::limits::FUEL);
        self.run.amount = self.builder.func.dfg.value_def(amount).inst();
    }

    /// Ends the current run (after a control operator): its charge gets the
    /// run's whole cost.
    pub(super) fn end_run(&mut self) {
        let run = std::mem::take(&mut self.run);
        if let Some(inst) = run.amount {
            let imm = Imm64::new(i64::try_from(run.cost).unwrap_or(i64::MAX));
            self.builder.func.dfg.insts[inst] =
                ir::InstructionData::UnaryImm { opcode: ir::Opcode::Iconst, imm };
        }
    }

    /// Traps with an interrupt when the engine's epoch has reached the
    /// store's deadline.
    pub(super) fn epoch_check(&mut self) {
        let limits = self.vmctx_load(vm::vmctx::LIMITS);
        let readonly = MemFlagsData::trusted().with_readonly();
        let flags = MemFlagsData::trusted();
        let counter = self.builder.ins().load(types::I64, readonly, limits, vm::limits::EPOCH);
        // An atomic load: another thread advances the epoch, and Cranelift
        // would otherwise reuse an earlier plain load of it (no store in
        // between), so a loop would never see it change.
        let epoch = self.builder.ins().atomic_load(types::I64, flags, counter);
        let deadline = self.builder.ins().load(types::I64, flags, limits, vm::limits::EPOCH_DEADLINE);
        let reached = self.builder.ins().icmp(IntCC::UnsignedGreaterThanOrEqual, epoch, deadline);
        self.builder.ins().trapnz(reached, user_trap::code(user_trap::INTERRUPT));
    }
}
