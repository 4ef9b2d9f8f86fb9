//! House rules of the rule files: every rule is preceded by a comment
//! stating its identity, names are unique, and there are enough
//! optimisation rules of each topic.

use plumb_rules::{BUILTIN_FILES, RuleSet};

#[test]
fn every_rule_is_preceded_by_a_comment_stating_its_identity() {
    let mut bare = Vec::new();
    for (file, text) in BUILTIN_FILES {
        let lines: Vec<&str> = text.lines().collect();
        for (i, line) in lines.iter().enumerate() {
            if line.starts_with("(rule ") {
                let above = i.checked_sub(1).map(|j| lines[j].trim_start());
                if !above.is_some_and(|l| l.starts_with(";;") && l.len() > 3) {
                    bare.push(format!("{file}:{}", i + 1));
                }
            }
        }
    }
    assert!(bare.is_empty(), "rules without a comment above them: {bare:?}");
}

#[test]
fn there_are_at_least_sixty_optimisation_rules_in_topic_files() {
    let rules = RuleSet::builtin().expect("loads");
    let opt: Vec<_> = rules.rules().iter().filter(|r| r.file.starts_with("opt/")).collect();
    assert!(opt.len() >= 60, "only {} optimisation rules", opt.len());
    for topic in ["algebra", "strength", "bitops", "shifts", "icmp", "select", "extends", "float"] {
        let n = opt.iter().filter(|r| r.file == format!("opt/{topic}.isle")).count();
        assert!(n >= 5, "opt/{topic}.isle has only {n} rules");
    }
    // Strength reduction carries side conditions.
    let conditional = opt.iter().filter(|r| r.file == "opt/strength.isle" && !r.conds.is_empty()).count();
    assert!(conditional >= 3, "{conditional} conditional strength reductions");
}

#[test]
fn polymorphic_rules_are_instantiated_at_each_width() {
    let rules = RuleSet::builtin().expect("loads");
    let widths: Vec<String> = rules
        .rule_instances()
        .iter()
        .filter(|r| r.name == "imul_pow2")
        .map(|r| r.type_args.iter().map(|t| t.name()).collect())
        .collect();
    assert_eq!(widths, ["i32", "i64"]);
}
