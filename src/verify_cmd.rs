//! `plumb verify`: proves the rule set with Z3 and reports one line per
//! rule instance, then a summary; exits non-zero unless every instance is
//! proved.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, bail};
use plumb_rules::RuleSet;
use plumb_verify::{Options, Report, Selection, verify_with};

/// Prove the lowering and optimisation rules with Z3.
#[derive(clap::Args)]
pub struct VerifyArgs {
    /// Verify only the rule of this name (plus the rules of `--rules` files).
    #[arg(long, value_name = "NAME")]
    rule: Option<String>,
    /// Extra rule files to load and verify with the project's rules.
    #[arg(long, value_name = "FILE", num_args = 1..)]
    rules: Vec<PathBuf>,
    /// Print the results as one JSON object instead of lines.
    #[arg(long)]
    json: bool,
    /// Seconds Z3 may spend on one query before it counts as unknown.
    #[arg(long, value_name = "SECONDS", default_value_t = 20)]
    timeout: u64,
}

/// Runs `plumb verify`.
pub fn run(args: &VerifyArgs) -> ExitCode {
    match verify_rules(args) {
        Ok(report) if report.all_proved() => ExitCode::SUCCESS,
        Ok(_) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn verify_rules(args: &VerifyArgs) -> anyhow::Result<Report> {
    let mut extra = Vec::with_capacity(args.rules.len());
    for path in &args.rules {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
        extra.push((path.display().to_string(), text));
    }
    let extra_refs: Vec<(&str, &str)> = extra.iter().map(|(n, t)| (n.as_str(), t.as_str())).collect();
    let rules = RuleSet::load(&extra_refs)?;
    let selection = match &args.rule {
        None => Selection::All,
        Some(name) => {
            if !rules.rules().iter().any(|r| &r.name == name) {
                bail!("no rule named `{name}`");
            }
            Selection::Only {
                rules: vec![name.clone()],
                files: extra.iter().map(|(n, _)| n.clone()).collect(),
            }
        }
    };
    let options = Options { timeout: Duration::from_secs(args.timeout) };
    let json = args.json;
    // Through `out::line`, so that a closed pipe (`plumb verify | head`)
    // ends the command quietly instead of panicking.
    let report = verify_with(&rules, &selection, &options, |result| {
        if !json {
            plumb_cli::out::line(result.line());
        }
    });
    let last = if json { report.to_json() } else { report.summary() };
    plumb_cli::out::line(last);
    Ok(report)
}
