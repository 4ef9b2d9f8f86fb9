//! Compile time of every pathological shape (`plumb_fuzz::shapes`) at
//! n = 1,000 and n = 2,000, the wall-clock side of the guard test in
//! tests/shapes.rs (which counts work instead). The ratio of the two
//! medians of a shape is its growth when it doubles.
//!
//! `cargo bench -p plumb-fuzz --bench shapes`.

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use plumb::{Engine, Module};
use plumb_fuzz::shapes::SHAPES;

fn shapes(c: &mut Criterion) {
    let engine = Engine::default();
    let mut group = c.benchmark_group("shape");
    group.sample_size(10).warm_up_time(Duration::from_millis(500)).measurement_time(Duration::from_secs(2));
    for shape in SHAPES {
        for n in [1000, 2000] {
            let bytes = wat::parse_str((shape.build)(n)).expect("every shape is valid");
            group.bench_function(format!("{} n={n}", shape.name), |b| {
                b.iter(|| Module::from_binary(&engine, black_box(&bytes)).expect("compiles"))
            });
        }
    }
    group.finish();
}

criterion_group!(benches, shapes);
criterion_main!(benches);
