//! Proof of teeth: deliberate bugs that `fuzz/mutants.sh` switches on one
//! at a time to show that the fuzzers find them.
//!
//! With the `mutants` feature (off by default; only the fuzz build turns
//! it on) the environment variable `PLUMB_MUTANT` names one bug of
//! [`MUTANTS`] and [`active`] is true for it alone. Without the feature
//! [`active`] is the constant `false`, so every mutant is compiled out of
//! normal builds. The crates that hold the bugs (`plumb-rules`, `plumb`)
//! ask `active("NAME")` where the bug would be.

/// Every mutant: its name (the value of `PLUMB_MUTANT`) and the bug.
pub const MUTANTS: &[(&str, &str)] = &[
    ("load8-s-zero-extends", "engine: i32/i64.load8_s zero-extends the byte it loads"),
    (
        "emit-ushr-as-sshr",
        "engine: the CLIF emitter turns the extracted `ushr` into `sshr` (the rules and the e-graph are right; \
         only the emitted instruction is wrong)",
    ),
    ("memory-grow-returns-new-size", "engine: memory.grow returns the new size instead of the old"),
    (
        "bulk-memory-bounds-off-by-one",
        "engine: memory.fill/copy/init trap on a range that ends exactly at the end of memory \
         (table.init on one that ends at the end of its segment)",
    ),
    ("memory-fill-wrong-trap-code", "engine: memory.fill/copy out of bounds raise the table-access trap"),
    (
        "data-segment-bounds-off-by-one",
        "engine: instantiation rejects an active data segment that ends exactly at the end of memory",
    ),
    (
        "rounding-keeps-signalling-nan",
        "evaluator: ceil/floor/trunc/nearest/sqrt of a signalling NaN return it unchanged (no quieting), \
         which the engine's constant folding inherits",
    ),
    (
        "fuel-drop-costs-one",
        "engine: `drop` costs 1 fuel instead of 0, so compiled code runs out earlier than the cost table says",
    ),
    (
        "const-fold-shift-unmasked",
        "constant folding: a shift left by at least the width folds to 0 instead of shifting by the count \
         modulo the width",
    ),
    (
        "heap-index-sign-extended",
        "backend: a heap access sign-extends its 32-bit index instead of zero-extending it (the \
         CVE-2023-26489 pattern): an index of 2^31 or more reaches below the memory's base",
    ),
    (
        "heap-offset-in-signed-displacement",
        "backend: a memarg offset of 2^31 or more is folded into the access's signed 32-bit \
         displacement, so the access lands below the memory's base",
    ),
    (
        "stack-limit-check-dropped",
        "backend: functions are compiled without the stack-limit check in their prologue",
    ),
    (
        "call-indirect-type-check-dropped",
        "backend: call_indirect calls the table element without comparing its type id",
    ),
    (
        "table-bound-off-by-one",
        "backend: the table bounds check of call_indirect/table.get/table.set lets index == length through",
    ),
    (
        "swizzle-index-unchecked",
        "engine: the CLIF emitter masks `swizzle`'s lane indices to 4 bits, so an index of 16 or more picks \
         a lane instead of giving 0",
    ),
    (
        "narrow-wraps",
        "engine: the CLIF emitter turns the saturating `snarrow` (`narrow_*_s`) into a wrapping narrow \
         (the low half of each lane)",
    ),
    (
        "bitmask-wrong-bit",
        "engine: the CLIF emitter builds `bitmask` (`vhigh_bits`) from the bit below each lane's top bit",
    ),
    (
        "load-lane-reversed",
        "engine: `v128.load*_lane` writes the loaded value into the lane counted from the other end \
         (lanes - 1 - lane)",
    ),
    (
        "tail-call-args-swapped",
        "engine: return_call and return_call_indirect pass their first two arguments of one type in each \
         other's place",
    ),
    (
        "memory64-index-truncated-before-check",
        "engine: the bounds check of a 64-bit memory tests the index's low 32 bits, so an index of 2^32 \
         or more reaches the low addresses",
    ),
    (
        "memory-index-ignored",
        "engine: loads and stores of memory 1 and above go through memory 0's base (multi-memory)",
    ),
    (
        "exception-caught-by-wrong-tag",
        "engine: a `catch` clause matches an exception whose tag has the clause's tag's type, not only \
         one of the clause's tag",
    ),
    (
        "br-on-null-inverted",
        "engine: br_on_null branches when the reference is not null, and goes on with a null one \
         (typed function references)",
    ),
    (
        "extended-const-sub-swapped",
        "engine: `i32.sub` and `i64.sub` in a constant expression (extended constants) subtract the first \
         operand from the second",
    ),
    (
        "relaxed-laneselect-operands-swapped",
        "engine: `relaxed_laneselect` takes its first two operands in each other's place (relaxed SIMD)",
    ),
];

/// Whether mutant `name` is switched on (`PLUMB_MUTANT=name`). An unknown
/// name in the environment stops the process: a typo must not pass for a
/// mutant nobody catches.
#[cfg(feature = "mutants")]
pub fn active(name: &str) -> bool {
    use std::sync::OnceLock;
    static CHOSEN: OnceLock<Option<String>> = OnceLock::new();
    let chosen = CHOSEN.get_or_init(|| {
        let chosen = std::env::var("PLUMB_MUTANT").ok().filter(|v| !v.is_empty())?;
        if !MUTANTS.iter().any(|(m, _)| *m == chosen) {
            let known: Vec<&str> = MUTANTS.iter().map(|(m, _)| *m).collect();
            eprintln!("PLUMB_MUTANT={chosen} names no mutant; the mutants are {}", known.join(", "));
            std::process::exit(2);
        }
        eprintln!("mutant {chosen} is active");
        Some(chosen)
    });
    debug_assert!(MUTANTS.iter().any(|(m, _)| *m == name), "the code asks for an unknown mutant {name}");
    chosen.as_deref() == Some(name)
}

/// Without the `mutants` feature no mutant exists.
#[cfg(not(feature = "mutants"))]
#[inline(always)]
pub const fn active(_name: &str) -> bool {
    false
}

#[cfg(test)]
mod tests {
    #[test]
    fn names_are_unique() {
        let mut names: Vec<&str> = super::MUTANTS.iter().map(|(m, _)| *m).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), super::MUTANTS.len());
    }

    #[cfg(not(feature = "mutants"))]
    #[test]
    fn without_the_feature_nothing_is_active() {
        assert!(super::MUTANTS.iter().all(|(m, _)| !super::active(m)));
    }
}
