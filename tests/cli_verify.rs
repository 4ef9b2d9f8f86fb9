//! `plumb verify` as a user runs it: one line per rule instance, exactly one
//! summary line last, JSON on request, and exit code 1 unless all is proved.

use std::path::PathBuf;
use std::process::{Command, Output};

fn plumb(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_plumb")).args(args).output().expect("runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// A rule file of this test's own, in Cargo's scratch directory.
fn rule_file(name: &str, text: &str) -> PathBuf {
    let path = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name);
    std::fs::write(&path, text).expect("writes the rule file");
    path
}

#[test]
fn verify_one_rule_prints_a_line_per_width_then_the_summary_and_exits_0() {
    let out = plumb(&["verify", "--rule", "lower_add"]);
    assert!(out.status.success(), "{out:?}");
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "{text}");
    assert!(lines[0].starts_with("proved  lower_add[i32] "), "{text}");
    assert!(lines[1].starts_with("proved  lower_add[i64] "), "{text}");
    assert_eq!(lines[2], "verify: 2/2 rule instances proved, 0 failed, 0 unknown");
}

#[test]
fn a_wrong_rule_of_the_user_gets_a_counterexample_and_exit_1() {
    let file = rule_file(
        "verify_wrong.isle",
        ";; sign- for zero-extension (CVE-2023-26489)\n\
         (rule user_extend_mixup () (i64.extend_i32_u a) => (sextend a))\n",
    );
    let out = plumb(&["verify", "--rule", "lower_add", "--rules", file.to_str().expect("utf-8 path")]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let text = stdout(&out);
    let failed = text.lines().find(|l| l.contains("user_extend_mixup")).expect("a line for the user's rule");
    assert!(failed.starts_with("FAILED  user_extend_mixup "), "{failed}");
    assert!(failed.contains("verify_wrong.isle:2: counterexample: a = 0x"), "{failed}");
    assert_eq!(text.lines().last(), Some("verify: 2/3 rule instances proved, 1 failed, 0 unknown"), "{text}");
}

#[test]
fn json_output_is_one_object_with_the_counts() {
    let out = plumb(&["verify", "--rule", "lower_add", "--json"]);
    assert!(out.status.success(), "{out:?}");
    let text = stdout(&out);
    assert_eq!(text.lines().count(), 1, "{text}");
    assert!(text.starts_with("{\"instances\":[{\"rule\":\"lower_add\",\"types\":[\"i32\"]"), "{text}");
    assert!(text.contains("\"proved\":2,\"total\":2,\"failed\":0,\"unknown\":0"), "{text}");
}

#[test]
fn ill_typed_rule_files_and_unknown_rule_names_are_errors() {
    let file =
        rule_file("verify_ill_typed.isle", "(rule user_ill_typed () (iadd.i32 x y) => (iadd.i64 x y))\n");
    let out = plumb(&["verify", "--rules", file.to_str().expect("utf-8 path")]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("verify_ill_typed.isle:1:"), "{err}");
    let out = plumb(&["verify", "--rule", "no_such_rule"]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("no rule named `no_such_rule`"), "{out:?}");
}
