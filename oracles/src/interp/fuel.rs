//! Fuel: what executing an instruction costs, and when it is charged. The
//! table and the charging points are those documented on the engine's
//! `Config::consume_fuel`, written here a second time on the interpreter's
//! own instructions, so that the differential fuzzer and the tests can
//! check that the two run out at the same instruction with the same fuel
//! left.
//!
//! Costs: `nop`, `drop`, `block`, `try_table` (a `block` with handlers),
//! `loop`, `else`, `end`, `unreachable` and `return` are free, every other instruction costs 1. Fuel is charged per
//! *run*: the instructions from the body's start, or from just after a
//! control instruction (`unreachable`, `block`, `loop`, `if`, `else`,
//! `end`, `br`, `br_if`, `br_table`, `return`, `call`, `call_indirect`,
//! and of 3.0 the tail calls, `call_ref`, `br_on_null`, `br_on_non_null`,
//! `try_table`, `throw` and `throw_ref`),
//! up to and including the next control instruction. Entering a run
//! charges all of it; when it costs more than the fuel left, execution
//! traps with `OutOfFuel` before the run's first instruction and the fuel
//! is left as it was. Every branch target and every return point is the
//! start of a run, or a free `loop`/`end` before one; so is every place a
//! caught exception continues, which is a branch target.

use super::code::Instr;

/// What `instr` costs.
fn cost(instr: &Instr) -> u64 {
    match instr {
        Instr::Nop
        | Instr::Drop
        | Instr::Block { .. }
        | Instr::TryTable { .. }
        | Instr::Loop { .. }
        | Instr::Else { .. }
        | Instr::End
        | Instr::Unreachable
        | Instr::Return => 0,
        _ => 1,
    }
}

/// Whether `instr` ends a run.
fn ends_run(instr: &Instr) -> bool {
    matches!(
        instr,
        Instr::Unreachable
            | Instr::Block { .. }
            | Instr::TryTable { .. }
            | Instr::Throw(_)
            | Instr::ThrowRef
            | Instr::Loop { .. }
            | Instr::If { .. }
            | Instr::Else { .. }
            | Instr::End
            | Instr::Br(_)
            | Instr::BrIf(_)
            | Instr::BrTable { .. }
            | Instr::Return
            | Instr::Call(_)
            | Instr::CallIndirect { .. }
            | Instr::ReturnCall(_)
            | Instr::ReturnCallIndirect { .. }
            | Instr::CallRef(_)
            | Instr::ReturnCallRef(_)
            | Instr::BrOnNull(_)
            | Instr::BrOnNonNull(_)
    )
}

/// For each instruction of a body, the fuel charged when execution reaches
/// it: the cost of its run at the start of a run, 0 elsewhere.
pub(super) fn charges(instrs: &[Instr]) -> Vec<u64> {
    let mut charges = vec![0; instrs.len()];
    let mut start = 0;
    for (i, instr) in instrs.iter().enumerate() {
        if let Some(charge) = charges.get_mut(start) {
            *charge += cost(instr);
        }
        if ends_run(instr) {
            start = i + 1;
        }
    }
    charges
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Value;

    #[test]
    fn a_run_is_charged_at_its_start_and_ends_with_its_control_instruction() {
        let instrs = [
            Instr::Const(Value::I32(1)),
            Instr::Drop,
            Instr::Block { params: 0, results: 0, end: 5 },
            Instr::Const(Value::I32(1)),
            Instr::BrIf(0),
            Instr::End,
            Instr::Nop,
        ];
        assert_eq!(charges(&instrs), vec![1, 0, 0, 2, 0, 0, 0]);
    }
}
