//! `fuzz/mutants.sh` hunts every code mutant the engine and the evaluator
//! define, and no name they do not define.

use plumb_rules::mutant::MUTANTS;

#[test]
fn mutants_sh_lists_every_code_mutant() {
    let script = include_str!("../mutants.sh");
    let listed: Vec<&str> = script
        .lines()
        .filter_map(|l| l.trim().strip_prefix('"'))
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    let mut defined: Vec<&str> = MUTANTS.iter().map(|(name, _)| *name).collect();
    let mut listed_sorted = listed.clone();
    defined.sort_unstable();
    listed_sorted.sort_unstable();
    assert_eq!(listed_sorted, defined, "fuzz/mutants.sh code_mutants vs plumb_rules::mutant::MUTANTS");
}

#[test]
fn there_are_at_least_twelve_mutants() {
    let rule_mutants = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/mutants"))
        .expect("fuzz/mutants exists")
        .filter(|e| e.as_ref().is_ok_and(|e| e.path().extension().is_some_and(|x| x == "isle")))
        .count();
    assert!(rule_mutants + MUTANTS.len() >= 12, "{rule_mutants} rule and {} code mutants", MUTANTS.len());
}
