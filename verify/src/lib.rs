//! SMT (Z3) proofs of the rules of `plumb-rules`.
//!
//! Every rule, at every type it is instantiated at, becomes a Z3 query over
//! the operators' written semantics: its side conditions are assumed, its
//! two sides asserted different, and `unsat` is a proof. A `sat` answer is a
//! [`Counterexample`] (concrete inputs and both sides' values); `unknown`
//! or a timeout is a failure, never a pass. A rule whose side conditions
//! cannot hold, or whose sides do not type-check, is rejected too.
//!
//! ```no_run
//! use plumb_rules::RuleSet;
//! use plumb_verify::{Options, Selection, verify};
//!
//! let rules = RuleSet::builtin()?;
//! let report = verify(&rules, &Selection::All, &Options::default());
//! for result in &report.results {
//!     println!("{}", result.line());
//! }
//! println!("{}", report.summary());
//! assert!(report.all_proved());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Modules: [`smt`] encodes each semantic primitive (bit vectors and
//! IEEE-754 floats, carried as their bits), [`encode`] turns rule instances
//! into terms with the conditions under which they are defined, [`prove`]
//! asks Z3 and reads its answer, [`report`] prints the results.

pub mod encode;
pub mod prove;
pub mod report;
pub mod smt;

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use plumb_rules::{RuleInstance, RuleSet, Term as RuleTerm, Type};

pub use prove::{Counterexample, Options, Value, Verdict, verify_instance};
pub use report::{InstanceResult, Report};

/// Which rule instances to verify.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selection {
    /// Every instance of the rule set.
    All,
    /// Instances of rules with one of these names, or written in one of
    /// these files.
    Only {
        /// Rule names.
        rules: Vec<String>,
        /// Rule file names, as given to [`RuleSet::load`].
        files: Vec<String>,
    },
}

impl Selection {
    /// Whether `instance` of `rules` is selected.
    pub fn contains(&self, rules: &RuleSet, instance: &RuleInstance) -> bool {
        match self {
            Selection::All => true,
            Selection::Only { rules: names, files } => {
                names.contains(&instance.name)
                    || rules.rules().get(instance.rule).is_some_and(|r| files.contains(&r.file))
            }
        }
    }
}

/// Verifies the selected rule instances of `rules`, on as many threads as
/// the machine has cores (each with its own Z3 context). Results come back
/// in rule-set order.
pub fn verify(rules: &RuleSet, selection: &Selection, options: &Options) -> Report {
    verify_with(rules, selection, options, |_| {})
}

/// [`verify`], calling `each` with every result in rule-set order as soon
/// as it and all before it are known (so a command line can stream them).
pub fn verify_with(
    rules: &RuleSet,
    selection: &Selection,
    options: &Options,
    mut each: impl FnMut(&InstanceResult),
) -> Report {
    let started = Instant::now();
    let instances: Vec<&RuleInstance> =
        rules.rule_instances().iter().filter(|i| selection.contains(rules, i)).collect();
    let threads =
        std::thread::available_parallelism().map_or(1, |n| n.get()).clamp(1, instances.len().max(1));
    // Hardest first, so that no core is left alone with a long query at the end.
    let mut order: Vec<usize> = (0..instances.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(estimated_cost(instances[i])));
    let next = AtomicUsize::new(0);
    let slots: Mutex<Vec<Option<InstanceResult>>> = Mutex::new(vec![None; instances.len()]);
    let (tx, rx) = std::sync::mpsc::channel::<()>();
    let mut results = Vec::with_capacity(instances.len());
    std::thread::scope(|scope| {
        for _ in 0..threads {
            let tx = tx.clone();
            let (next, slots, instances, order) = (&next, &slots, &instances, &order);
            scope.spawn(move || {
                while let Some(&i) = order.get(next.fetch_add(1, Ordering::Relaxed)) {
                    let Some(instance) = instances.get(i) else { break };
                    let result = verify_one(rules, instance, options);
                    if let Ok(mut slots) = slots.lock() {
                        slots[i] = Some(result);
                    }
                    let _ = tx.send(());
                }
            });
        }
        drop(tx);
        // Hand results on in order as they complete.
        while results.len() < instances.len() {
            let ready: Vec<InstanceResult> = match slots.lock() {
                Ok(mut slots) => {
                    let mut ready = Vec::new();
                    while let Some(slot) = slots.get_mut(results.len() + ready.len()) {
                        match slot.take() {
                            Some(r) => ready.push(r),
                            None => break,
                        }
                    }
                    ready
                }
                Err(_) => break,
            };
            for r in ready {
                each(&r);
                results.push(r);
            }
            if results.len() < instances.len() && rx.recv().is_err() {
                break;
            }
        }
    });
    Report { results, elapsed: started.elapsed() }
}

/// A rough measure of how hard an instance is for Z3: operator count times
/// the widest value involved, floats counting four times their width (their
/// circuits are larger).
fn estimated_cost(instance: &RuleInstance) -> u64 {
    fn ops(term: &RuleTerm) -> u64 {
        match term {
            RuleTerm::Op { args, .. } => 1 + args.iter().map(ops).sum::<u64>(),
            RuleTerm::Var(_) | RuleTerm::Const { .. } => 0,
        }
    }
    let weight = |ty: Type| u64::from(ty.bits()) * if ty.is_float() { 4 } else { 1 };
    let widest = instance.vars.iter().map(|v| weight(v.ty)).chain([weight(instance.ty)]).max().unwrap_or(1);
    (ops(&instance.lhs) + ops(&instance.rhs)) * widest
}

/// Verifies one instance and times it.
fn verify_one(rules: &RuleSet, instance: &RuleInstance, options: &Options) -> InstanceResult {
    let started = Instant::now();
    let verdict = verify_instance(rules.ops(), instance, options);
    let rule = rules.rules().get(instance.rule);
    InstanceResult {
        rule: instance.name.clone(),
        type_args: instance.type_args.clone(),
        file: rule.map_or_else(String::new, |r| r.file.clone()),
        line: rule.map_or(0, |r| r.pos.line),
        verdict,
        time: started.elapsed(),
    }
}
