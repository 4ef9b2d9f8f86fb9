//! `plumb explain` on a corpus covering every operator family: the output
//! (rules fired, CLIF produced) is snapshot-tested, and every pure operator
//! of the corpus is accounted for by a lowering rule that fired on it.

use plumb::{Engine, explain};
use plumb_cli::explain_cmd::render;

const CORPUS: &str = include_str!("corpus/explain.wat");

#[test]
fn explain_output_of_the_corpus_matches_the_reviewed_snapshots() {
    let functions = explain(&Engine::default(), CORPUS.as_bytes(), None).expect("the corpus compiles");
    assert!(functions.len() >= 30, "the corpus has {} functions", functions.len());
    let names: Vec<&str> = CORPUS
        .lines()
        .filter_map(|l| l.trim_start().strip_prefix("(func $"))
        .map(|l| l.split_whitespace().next().unwrap_or_default())
        .collect();
    assert_eq!(names.len(), functions.len());
    for (name, function) in names.iter().zip(&functions) {
        insta::assert_snapshot!(format!("explain_{name}"), render(function));
    }
}

#[test]
fn every_pure_operator_is_lowered_by_a_rule_that_fired_on_it() {
    let functions = explain(&Engine::default(), CORPUS.as_bytes(), None).expect("the corpus compiles");
    let mut seen = 0;
    for f in &functions {
        for op in &f.operators {
            seen += 1;
            let lowered = f.rules.iter().any(|r| &r.operator == op && r.file.starts_with("lower/"));
            assert!(
                lowered || f.folded.contains(op),
                "function {}: no lowering rule fired on {op}; rules: {:?}",
                f.index,
                f.rules.iter().map(|r| &r.name).collect::<Vec<_>>()
            );
        }
    }
    assert!(seen > 60, "the corpus should exercise many operators, saw {seen}");
}
