//! Every rule instance holds on concrete inputs: wherever its side
//! conditions hold and its left side does not trap, its right side does not
//! trap and gives a value Wasm allows the left side (equal bits, or for
//! floats one of the NaNs `plumb_rules::nan` allows, the relation the
//! verifier proves). This is a cheap
//! pre-check of what `plumb-verify` proves with Z3, and it runs the rules the
//! way the constant folder does.

use plumb_rules::{EvalError, RuleSet, Type};

mod common;
use common::Rng;

fn interesting(ty: Type) -> Vec<u128> {
    let w = ty.bits();
    let m = ty.wide_mask();
    let mut v = vec![0, 1, 2, 3, 7, 8, u128::from(w), u128::from(w) - 1, u128::from(w) + 1, m, m - 1];
    v.extend((0..w).map(|k| 1u128 << k));
    v.extend([m >> 1, (m >> 1) + 1]);
    if ty.is_float() {
        let f32s =
            [0u32, 0x8000_0000, 0x3f80_0000, 0xbf80_0000, 0x7f80_0000, 0xff80_0000, 0x7fc0_0000, 0x3f00_0000];
        match ty {
            Type::F32 => v.extend(f32s.map(u128::from).into_iter().chain([0x7f80_0001, 0xffa0_0000])),
            _ => v.extend(
                f32s.map(|b| u128::from(f64::from(f32::from_bits(b)).to_bits()))
                    .into_iter()
                    .chain([0x7ff0_0000_0000_0001, 0xfff4_0000_0000_0000]),
            ),
        }
    }
    v
}

#[test]
fn every_rule_instance_holds_on_random_and_edge_inputs() {
    let rules = RuleSet::builtin().expect("loads");
    let mut rng = Rng(0x1234_5678_9abc_def1);
    let mut failures = Vec::new();
    let mut never_fired = Vec::new();
    for inst in rules.rule_instances() {
        let pools: Vec<Vec<u128>> = inst.vars.iter().map(|v| interesting(v.ty)).collect();
        let mut fired = 0;
        for round in 0..4000 {
            let env: Vec<u128> = inst
                .vars
                .iter()
                .zip(&pools)
                .map(|(v, pool)| {
                    let r = rng.next();
                    if round % 2 == 0 {
                        pool[(r % pool.len() as u64) as usize]
                    } else if v.ty.bits() > 64 {
                        (u128::from(rng.next()) << 64 | u128::from(r)) & v.ty.wide_mask()
                    } else {
                        u128::from(r) & v.ty.wide_mask()
                    }
                })
                .collect();
            let conds = inst.conds.iter().all(|c| plumb_rules::eval::eval_sem(c, &env) == Ok(1));
            if !conds {
                continue;
            }
            let lhs = match rules.eval_term_allowed(&inst.lhs, &env) {
                Ok(v) => v,
                Err(EvalError::Trap(_) | EvalError::Undefined(_)) => continue,
                Err(e) => panic!("{}: left side fails: {e}", inst.name),
            };
            fired += 1;
            // A quiet NaN the left side makes must not become a signalling
            // one (x * 1.0 => x would), a sign `fabs` fixes must stay, ...
            let ok = match rules.eval_term(&inst.rhs, &env) {
                Ok(rhs) => RuleSet::refines(inst.ty, &lhs, rhs),
                Err(_) => false,
            };
            if !ok {
                let rhs = rules.eval_term(&inst.rhs, &env);
                failures.push(format!(
                    "{} at {:?}: vars {:x?}: lhs {lhs:x?}, rhs {rhs:x?}",
                    inst.name, inst.type_args, env
                ));
                break;
            }
        }
        if fired == 0 {
            never_fired.push(format!("{} at {:?}", inst.name, inst.type_args));
        }
    }
    assert!(failures.is_empty(), "rules that do not hold:\n{}", failures.join("\n"));
    assert!(never_fired.is_empty(), "rules never exercised:\n{}", never_fired.join("\n"));
}
