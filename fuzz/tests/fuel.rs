//! Fuel on both backends: the engine (`Config::consume_fuel`) and the
//! reference interpreter charge by the same table, so with the same budget
//! they run out at the same operator with the same fuel left, and what the
//! guest did before (its memory) is the same. `differential::check` with a
//! budget compares the outcome, the fuel left and every export after each
//! step.

use plumb_fuzz::oracles::differential::{self, Call};
use plumb_oracles::Value;

/// A loop that stores its counter to memory each iteration, calls a
/// function each time, and a branch table and an `if` on the way: every
/// kind of run boundary.
const LOOP: &str = r#"(module
  (memory (export "memory") 1)
  (global $calls (export "calls") (mut i32) (i32.const 0))
  (func $note (param i32) (result i32)
    (global.set $calls (i32.add (global.get $calls) (i32.const 1)))
    (i32.mul (local.get 0) (i32.const 3)))
  (func (export "spin") (param i32) (result i32) (local i32)
    (loop $l
      (i32.store (i32.and (i32.shl (local.get 1) (i32.const 2)) (i32.const 0xfffc)) (local.get 1))
      (local.set 1 (i32.add (local.get 1) (i32.const 1)))
      (block $a (block $b
        (br_table $a $b (i32.and (local.get 1) (i32.const 1)))))
      (if (i32.eqz (i32.rem_u (local.get 1) (i32.const 5)))
        (then (drop (call $note (local.get 1))))
        (else nop))
      (br_if $l (i32.ne (local.get 1) (local.get 0))))
    (local.get 1)))"#;

#[test]
fn the_engine_and_the_interpreter_run_out_of_fuel_at_the_same_operator() {
    let bytes = wat::parse_str(LOOP).expect("valid text");
    let calls = [
        Call { export: "spin".into(), args: vec![Value::I32(40)] },
        Call { export: "spin".into(), args: vec![Value::I32(-1)] },
        Call { export: "spin".into(), args: vec![Value::I32(3)] },
    ];
    // Every budget from 0 to one that lets the first call finish, so that
    // fuel runs out at each run of the loop in turn.
    for budget in 0..=1200 {
        differential::check(&bytes, &calls, Some(budget));
    }
}

#[test]
fn generated_modules_agree_under_fuel_budgets() {
    let mut rng = plumb_oracles::suite::Rng(0xf0e1_d2c3);
    for _ in 0..150 {
        let data: Vec<u8> = (0..400).map(|_| (rng.next_u64() >> 56) as u8).collect();
        let mut u = arbitrary::Unstructured::new(&data);
        let Ok(bytes) =
            plumb_fuzz::generators::module(&mut u, plumb_fuzz::generators::ModulePurpose::Differential)
        else {
            continue;
        };
        let module = plumb_oracles::interp::Module::new(&bytes).expect("valid module");
        let calls: Vec<Call> = module
            .exports
            .iter()
            .filter(|e| e.kind == plumb_oracles::interp::ExternKind::Func)
            .filter_map(|e| {
                let ty = module.func_type_index(e.index).and_then(|t| module.types.get(t as usize))?;
                let args = plumb_fuzz::generators::values(&mut u, &ty.params).ok()?;
                Some(Call { export: e.name.clone(), args })
            })
            .collect();
        for budget in [0, 1, 7, 50, 300, 2000] {
            differential::check(&bytes, &calls, Some(budget));
        }
    }
}
