//! The project's own rule set: every rule instance is proved, and the
//! report (verdicts, not times) matches the reviewed snapshot, so every
//! change to the rule set shows up in review.

use plumb_rules::RuleSet;
use plumb_verify::{Options, Selection, verify};

#[test]
fn every_builtin_rule_instance_is_proved() {
    let rules = RuleSet::builtin().unwrap_or_else(|e| panic!("the builtin rules do not load: {e}"));
    let report = verify(&rules, &Selection::All, &Options::default());
    let failures: Vec<String> =
        report.results.iter().filter(|r| !r.verdict.is_proved()).map(|r| r.line()).collect();
    assert!(!report.results.is_empty(), "the builtin rule set has no rule instances");
    assert!(failures.is_empty(), "{}\n{}", failures.join("\n"), report.summary());
    println!("{} in {:.1}s", report.summary(), report.elapsed.as_secs_f64());
    let mut text: String = report
        .results
        .iter()
        .map(|r| {
            format!(
                "{} {} ({}:{})\n",
                if r.verdict.is_proved() { "proved" } else { "FAILED" },
                r.label(),
                r.file,
                r.line
            )
        })
        .collect();
    text.push_str(&report.summary());
    insta::assert_snapshot!("builtin_report", text);
}
