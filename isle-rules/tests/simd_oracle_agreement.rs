//! The evaluator of `simd_ops.isle` agrees with the reference interpreter on
//! every pure SIMD operator of Wasm 2.0: same vector bit for bit, except that
//! a NaN lane of a float arithmetic operator only has to be a NaN in both
//! (and a quiet one in ours, as Wasm's arithmetic gives). Inputs are vectors
//! of edge lanes (0, ±1, MIN, MAX, ±0.0, ±inf, NaNs with payloads,
//! subnormals, conversion bounds), every pair of splatted edges, and random
//! vectors.

use std::collections::BTreeSet;

use plumb_oracles::Value;
use plumb_oracles::interp::simd::catalog::{Make, PureOp, pure_ops, value_bits};
use plumb_rules::{OpKind, RuleSet, Type};

mod common;
use common::Rng;

/// Edge values of a lane of `bits` bits: integer bounds, and for 32 and 64
/// bits the float edges too.
fn lane_edges(bits: u32) -> Vec<u64> {
    let m = u64::MAX >> (64 - bits);
    let min = 1u64 << (bits - 1);
    let mut v = vec![0, 1, 2, m, m - 1, min, min - 1, min + 1, m >> 2, 0x55 & m, 0xa5a5_a5a5_a5a5_a5a5 & m];
    match bits {
        8 => v.extend([7, 8, 9, 15, 16, 17, 31, 32]),
        16 => v.extend([0x00ff, 0xff00, 0x4000, 0xc000, 0x0100]),
        32 => v.extend(common::f32_edges()),
        _ => v.extend(common::f64_edges()),
    }
    v
}

fn splat(bits: u32, x: u64) -> u128 {
    (0..128 / bits).fold(0, |v, i| v | u128::from(x) << (i * bits))
}

fn from_lanes(bits: u32, f: impl Fn(u32) -> u64) -> u128 {
    let m = u64::MAX >> (64 - bits);
    (0..128 / bits).fold(0, |v, i| v | u128::from(f(i) & m) << (i * bits))
}

/// Vectors of edge lanes: each edge splatted, and the edges rotated through
/// every lane position.
fn edge_vectors(bits: u32) -> (Vec<u128>, Vec<u128>) {
    let edges = lane_edges(bits);
    let splats = edges.iter().map(|&e| splat(bits, e)).collect();
    let n = edges.len() as u32;
    let rotated = (0..n).map(|r| from_lanes(bits, |i| edges[((i * 7 + r) % n) as usize])).collect();
    (splats, rotated)
}

/// A random vector: per lane random bits or an edge.
fn random_vector(rng: &mut Rng, bits: u32) -> u128 {
    let edges = lane_edges(bits);
    let pick: Vec<u64> = (0..128 / bits)
        .map(|_| {
            let r = rng.next();
            if r.is_multiple_of(3) { edges[(r >> 8) as usize % edges.len()] } else { rng.next() }
        })
        .collect();
    from_lanes(bits, |i| pick[i as usize])
}

fn scalar_edges(ty: Type) -> Vec<u128> {
    let bits = ty.bits();
    let mut v: Vec<u128> = lane_edges(bits).into_iter().map(u128::from).collect();
    if ty == Type::I32 {
        // Shift counts around every lane width.
        v.extend([3, 7, 9, 15, 17, 31, 33, 63, 64, 65, 127, 128, 129]);
    }
    v
}

fn random_scalar(rng: &mut Rng, ty: Type) -> u128 {
    let edges = scalar_edges(ty);
    let r = rng.next();
    let x = if r.is_multiple_of(3) { edges[(r >> 8) as usize % edges.len()] } else { u128::from(rng.next()) };
    x & ty.wide_mask()
}

/// Operand tuples for an operator with operand types `tys` whose vectors
/// have lanes of `bits` bits.
fn inputs(tys: &[Type], bits: u32, rng: &mut Rng) -> Vec<Vec<u128>> {
    let (splats, rotated) = edge_vectors(bits);
    let pool = |t: Type| -> Vec<u128> {
        if t == Type::V128 { splats.iter().chain(&rotated).copied().collect() } else { scalar_edges(t) }
    };
    let mut out: Vec<Vec<u128>> = Vec::new();
    match tys {
        [t] => out.extend(pool(*t).into_iter().map(|a| vec![a])),
        [Type::V128, Type::V128] => {
            // Every pair of edge lanes, and rotated edges against each other.
            for a in &splats {
                for b in &splats {
                    out.push(vec![*a, *b]);
                }
            }
            for (i, a) in rotated.iter().enumerate() {
                for b in rotated.iter().skip(i % 3).step_by(3) {
                    out.push(vec![*a, *b]);
                }
            }
        }
        [Type::V128, t] => {
            for a in pool(Type::V128) {
                for b in pool(*t) {
                    out.push(vec![a, b]);
                }
            }
        }
        _ => {}
    }
    for _ in 0..1500 {
        out.push(
            tys.iter()
                .map(|&t| if t == Type::V128 { random_vector(rng, bits) } else { random_scalar(rng, t) })
                .collect(),
        );
    }
    out
}

fn to_value(ty: Type, bits: u128) -> Value {
    match ty {
        Type::I32 => Value::I32(bits as u32 as i32),
        Type::I64 => Value::I64(bits as u64 as i64),
        Type::F32 => Value::F32(bits as u32),
        Type::F64 => Value::F64(bits as u64),
        _ => Value::V128(bits),
    }
}

/// The evaluator's operand tuples for `case`: the immediates' operands
/// take every valid lane index, or shuffle patterns.
fn case_inputs(case: &PureOp, tys: &[Type], rng: &mut Rng) -> Vec<Vec<u128>> {
    match case.make {
        Make::Plain(_) => inputs(tys, case.in_bits, rng),
        Make::Lane(count, _) => {
            let others: Vec<Type> =
                tys.iter().enumerate().filter(|(i, _)| *i != 1).map(|(_, t)| *t).collect();
            let base = inputs(&others, case.in_bits, rng);
            let mut out = Vec::new();
            for (k, args) in base.iter().enumerate() {
                // Every lane index on the edge inputs, one in turn on random ones.
                let lanes: Vec<u8> =
                    if k < base.len() - 1500 { (0..count).collect() } else { vec![k as u8 % count] };
                for l in lanes {
                    let mut a = args.clone();
                    a.insert(1, u128::from(l));
                    out.push(a);
                }
            }
            out
        }
        Make::Shuffle => {
            let mut patterns: Vec<[u8; 16]> = vec![
                std::array::from_fn(|i| i as u8),
                std::array::from_fn(|i| 15 - i as u8),
                std::array::from_fn(|i| 16 + i as u8),
                std::array::from_fn(|i| 31 - i as u8),
                std::array::from_fn(|i| (i as u8 % 2) * 16 + i as u8 / 2),
                [0; 16],
                [31; 16],
            ];
            patterns.extend((0..200).map(|_| std::array::from_fn(|_| (rng.next() % 32) as u8)));
            let pairs = inputs(&[Type::V128, Type::V128], 8, rng);
            let mut out = Vec::new();
            for (k, ab) in pairs.iter().enumerate().step_by(3) {
                let m = u128::from_le_bytes(patterns[k % patterns.len()]);
                out.push(vec![ab[0], ab[1], m]);
            }
            out
        }
    }
}

#[test]
fn evaluator_agrees_with_the_interpreter_on_every_simd_operator() {
    let rules = RuleSet::builtin().expect("builtin rules load");
    let mut failures = Vec::new();
    let mut cases = 0usize;
    let mut covered = BTreeSet::new();
    for case in pure_ops() {
        let Some(id) = rules.op_by_name(&case.name) else {
            failures.push(format!("{}: not declared", case.name));
            continue;
        };
        let Some(op) = rules.op(id) else { continue };
        covered.insert(case.name.clone());
        let tys = op.operands.clone();
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15 ^ (case.name.len() as u64 * 0x1000_0001));
        let mut found = 0;
        for args in case_inputs(&case, &tys, &mut rng) {
            cases += 1;
            let values: Vec<Value> = tys.iter().zip(&args).map(|(t, a)| to_value(*t, *a)).collect();
            let want = case.apply(&values);
            let ours = rules.eval_wide(id, &args);
            let ok = match (&want, &ours) {
                (Ok(w), Ok(o)) => case.agrees(value_bits(w), *o),
                _ => false,
            };
            if !ok && found < 3 {
                found += 1;
                failures.push(format!("{}{args:x?}: interpreter {want:x?}, evaluator {ours:x?}", case.name));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} disagreement(s) in {cases} cases:\n{}",
        failures.len(),
        failures.join("\n")
    );
    // Every Wasm operator on vectors is covered (v128.select by the test below).
    let declared: BTreeSet<String> = rules
        .ops()
        .iter()
        .filter(|o| o.kind == OpKind::Wasm && o.operands.iter().chain([&o.result]).any(|t| t.is_vector()))
        .map(|o| o.name.clone())
        .filter(|n| n != "v128.select")
        .collect();
    let missing: Vec<&String> = declared.difference(&covered).collect();
    assert!(missing.is_empty(), "SIMD operators the test does not cover: {missing:?}");
    assert_eq!(
        covered.len(),
        233,
        "the Wasm 2.0 SIMD operators but loads, stores, v128.const and select, and the 20 relaxed ones"
    );
    assert!(cases > 200_000, "only {cases} cases ran");
}

#[test]
fn v128_select_picks_the_first_operand_on_a_non_zero_condition() {
    let rules = RuleSet::builtin().expect("builtin rules load");
    let id = rules.op_by_name("v128.select").expect("declared");
    let (a, b) = (u128::MAX - 5, 1u128 << 100);
    assert_eq!(rules.eval_wide(id, &[a, b, 0x8000_0000]), Ok(a));
    assert_eq!(rules.eval_wide(id, &[a, b, 0]), Ok(b));
}
