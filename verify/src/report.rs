//! The verifier's results as people and programs read them: one line per
//! rule instance, a summary line, and JSON.

use std::fmt::Write as _;
use std::time::Duration;

use plumb_rules::Type;
use plumb_rules::nan::NanClass;

use crate::prove::{Counterexample, Value, Verdict};

/// The verdict on one rule at one assignment of its type variables.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstanceResult {
    /// The rule's name.
    pub rule: String,
    /// The types its type variables stand for in this instance.
    pub type_args: Vec<Type>,
    /// The file the rule is written in.
    pub file: String,
    /// The line of its `(rule`.
    pub line: u32,
    /// What the verifier concluded.
    pub verdict: Verdict,
    /// How long it took.
    pub time: Duration,
}

impl InstanceResult {
    /// The rule and its types: `imul_pow2[i64]`, or the bare name for a
    /// monomorphic rule.
    pub fn label(&self) -> String {
        if self.type_args.is_empty() {
            return self.rule.clone();
        }
        let types: Vec<&str> = self.type_args.iter().map(|t| t.name()).collect();
        format!("{}[{}]", self.rule, types.join(","))
    }

    /// One line: verdict, instance, time, and for a failure what is wrong.
    pub fn line(&self) -> String {
        let head = match &self.verdict {
            Verdict::Proved => "proved ",
            Verdict::Unknown(_) => "UNKNOWN",
            _ => "FAILED ",
        };
        let time = format!("{:.3}s", self.time.as_secs_f64());
        match &self.verdict {
            Verdict::Proved => format!("{head} {} {time}", self.label()),
            other => format!("{head} {} {time} {}:{}: {other}", self.label(), self.file, self.line),
        }
    }
}

/// The results of a verification run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// One result per rule instance, in rule-set order.
    pub results: Vec<InstanceResult>,
    /// Wall-clock time of the whole run.
    pub elapsed: Duration,
}

impl Report {
    /// Instances proved.
    pub fn proved(&self) -> usize {
        self.results.iter().filter(|r| r.verdict.is_proved()).count()
    }

    /// Instances with no answer from Z3.
    pub fn unknown(&self) -> usize {
        self.results.iter().filter(|r| r.verdict.is_unknown()).count()
    }

    /// Instances refuted or rejected (counterexample, never fires, ill-typed).
    pub fn failed(&self) -> usize {
        self.results.len() - self.proved() - self.unknown()
    }

    /// Whether every instance is proved.
    pub fn all_proved(&self) -> bool {
        self.proved() == self.results.len()
    }

    /// `verify: <proved>/<total> rule instances proved, <failed> failed, <unknown> unknown`.
    pub fn summary(&self) -> String {
        format!(
            "verify: {}/{} rule instances proved, {} failed, {} unknown",
            self.proved(),
            self.results.len(),
            self.failed(),
            self.unknown()
        )
    }

    /// The whole report as one JSON object:
    /// `{"instances": [...], "proved": n, "total": n, "failed": n, "unknown": n, "time_ms": n}`.
    /// Each instance has `rule`, `types`, `file`, `line`, `verdict` (one of
    /// [`Verdict::name`]), `time_ms`, `message` (for a failure), and for a
    /// counterexample `counterexample` with `inputs` (`name`, `type`,
    /// `bits`), `lhs` and `rhs` (`null` where the right side traps).
    pub fn to_json(&self) -> String {
        let mut out = String::from("{\"instances\":[");
        for (i, r) in self.results.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            let types: Vec<String> = r.type_args.iter().map(|t| json_str(t.name())).collect();
            let _ = write!(
                out,
                "{{\"rule\":{},\"types\":[{}],\"file\":{},\"line\":{},\"verdict\":{},\"time_ms\":{}",
                json_str(&r.rule),
                types.join(","),
                json_str(&r.file),
                r.line,
                json_str(r.verdict.name()),
                r.time.as_millis()
            );
            if !r.verdict.is_proved() {
                let _ = write!(out, ",\"message\":{}", json_str(&r.verdict.to_string()));
            }
            if let Verdict::Counterexample(cex) = &r.verdict {
                let _ = write!(out, ",\"counterexample\":{}", counterexample_json(cex));
            }
            out.push('}');
        }
        let _ = write!(
            out,
            "],\"proved\":{},\"total\":{},\"failed\":{},\"unknown\":{},\"time_ms\":{}}}",
            self.proved(),
            self.results.len(),
            self.failed(),
            self.unknown(),
            self.elapsed.as_millis()
        );
        out
    }
}

fn value_json(v: &Value) -> String {
    format!("{{\"type\":{},\"bits\":{}}}", json_str(v.ty.name()), json_str(&format!("{:#x}", v.bits)))
}

fn counterexample_json(cex: &Counterexample) -> String {
    let inputs: Vec<String> = cex
        .inputs
        .iter()
        .map(|(name, v)| {
            format!(
                "{{\"name\":{},\"type\":{},\"bits\":{}}}",
                json_str(name),
                json_str(v.ty.name()),
                json_str(&format!("{:#x}", v.bits))
            )
        })
        .collect();
    let rhs = cex.rhs.as_ref().map_or_else(|| "null".to_owned(), value_json);
    format!(
        "{{\"inputs\":[{}],\"lhs\":{},\"rhs\":{},\"allowed\":{{\"sign_free\":{},\"nans\":{}}}}}",
        inputs.join(","),
        value_json(&cex.lhs),
        rhs,
        cex.lhs_sign_free,
        json_str(match cex.lhs_nans {
            NanClass::Exact => "exact",
            NanClass::Canonical => "canonical",
            NanClass::Arithmetic => "arithmetic",
        })
    )
}

/// A JSON string literal.
fn json_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(rule: &str, verdict: Verdict) -> InstanceResult {
        InstanceResult {
            rule: rule.to_owned(),
            type_args: vec![Type::I32],
            file: "opt/x.isle".to_owned(),
            line: 3,
            verdict,
            time: Duration::from_millis(12),
        }
    }

    #[test]
    fn summary_counts_proved_failed_and_unknown() {
        let report = Report {
            results: vec![
                result("a", Verdict::Proved),
                result("b", Verdict::NeverFires),
                result("c", Verdict::Unknown("timeout".to_owned())),
            ],
            elapsed: Duration::from_secs(1),
        };
        assert_eq!(report.summary(), "verify: 1/3 rule instances proved, 1 failed, 1 unknown");
        assert!(!report.all_proved());
        assert_eq!(report.results[0].line(), "proved  a[i32] 0.012s");
        assert!(report.results[1].line().starts_with("FAILED  b[i32] 0.012s opt/x.isle:3: "));
    }

    #[test]
    fn json_escapes_strings_and_reports_counterexamples() {
        let cex = Counterexample {
            inputs: vec![("x".to_owned(), Value { ty: Type::I32, bits: 0x20 })],
            lhs: Value { ty: Type::I32, bits: 1 },
            rhs: None,
            lhs_sign_free: false,
            lhs_nans: NanClass::Exact,
        };
        let report = Report {
            results: vec![result("q\"uote", Verdict::Counterexample(cex))],
            elapsed: Duration::from_millis(5),
        };
        let json = report.to_json();
        assert!(json.contains("\"rule\":\"q\\\"uote\""), "{json}");
        assert!(json.contains("\"inputs\":[{\"name\":\"x\",\"type\":\"i32\",\"bits\":\"0x20\"}]"), "{json}");
        assert!(json.contains("\"rhs\":null"), "{json}");
        assert!(json.contains("\"allowed\":{\"sign_free\":false,\"nans\":\"exact\"}"), "{json}");
        assert!(
            json.ends_with("\"proved\":0,\"total\":1,\"failed\":1,\"unknown\":0,\"time_ms\":5}"),
            "{json}"
        );
    }
}
