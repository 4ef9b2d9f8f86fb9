//! The hardening guard (issue 12, point 10): every pathological shape of
//! `plumb_fuzz::shapes` compiles at n = 1,000 and 2,000 (on a test thread's
//! stack), the compiler's work grows at most 2.5× when the shape doubles,
//! and at a small size the engine agrees with the interpreter on it.
//! Work is counted, not timed (no timed tests): rule firings plus CLIF
//! lines, which `plumb explain` reports and which are deterministic.
//! Compile times per shape are measured by `cargo bench -p plumb --bench
//! shapes`.

use plumb::{Engine, Module};
use plumb_fuzz::oracles::differential::{self, Call};
use plumb_fuzz::shapes::SHAPES;
use plumb_oracles::Value;

/// The mid-end's work on `text`: rule applications plus CLIF lines.
fn work(engine: &Engine, text: &str) -> usize {
    let functions = plumb::explain(engine, text.as_bytes(), None).expect("explains");
    functions.iter().map(|f| f.rules.iter().map(|r| r.count).sum::<usize>() + f.clif.lines().count()).sum()
}

#[test]
fn pathological_shapes_compile_with_work_growing_linearly() {
    let engine = Engine::default();
    for shape in SHAPES {
        let (small, large) = ((shape.build)(1000), (shape.build)(2000));
        let (w1, w2) = (work(&engine, &small), work(&engine, &large));
        assert!(w2 * 2 <= w1 * 5, "{}: work {w1} at n = 1000 but {w2} at n = 2000", shape.name);
        Module::new(&engine, &large).unwrap_or_else(|e| panic!("{} does not compile: {e}", shape.name));
    }
}

#[test]
fn pathological_shapes_run_the_same_on_the_engine_and_the_interpreter() {
    // Arguments that make the trapping chains trap, or not, in each way:
    // division by zero and by -1, overflow, NaN and out-of-range floats.
    let args = [(7, 3), (i32::MIN, -1), (5, 0), (-1, 1), (0x7fc0_0000, 2), (0x4f80_0000, 1), (1, 1)];
    for shape in SHAPES {
        for n in [1, 2, 3, 17, 100] {
            let bytes = wat::parse_str((shape.build)(n)).unwrap_or_else(|e| panic!("{}: {e}", shape.name));
            let calls: Vec<Call> = args
                .iter()
                .map(|&(a, b)| Call { export: "f".into(), args: vec![Value::I32(a), Value::I32(b)] })
                .collect();
            differential::check(&bytes, &calls, None);
        }
    }
}
