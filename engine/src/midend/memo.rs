//! Memoised lowering: the terms a compile thread has lowered for the
//! module it compiles, with the rules that fired on each, so that a term
//! of a shape already seen (the same operators, constants and pattern of
//! leaves: the e-graph expression, whose leaves are numbered in order of
//! first use) is saturated once per thread and module. Lowering is a
//! function of that expression alone (every bound is a count), so a hit
//! gives exactly what lowering again would: the same CLIF, the same rules
//! recorded as fired (`LoweringLog`), the same machine code.
//!
//! The cache exists only inside a [`MemoScope`], which `compile::
//! compile_module` opens in each of its scoped threads: a module's
//! compilation never reuses work of an earlier one, so every compilation
//! costs what it costs alone.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use egg::RecExpr;
use plumb_rules::egraph::Node;

use super::LoweringLog;

/// Most terms one scope keeps (a bound on its memory; past it, terms are
/// lowered without being kept).
const MAX_TERMS: usize = 1 << 16;

struct Entry {
    lowered: RecExpr<Node>,
    fired: Vec<(String, usize)>,
}

struct Cache {
    /// The lowering (its address) the terms were lowered by.
    owner: usize,
    terms: HashMap<RecExpr<Node>, Rc<Entry>>,
}

thread_local! {
    static CACHE: RefCell<Option<Cache>> = const { RefCell::new(None) };
}

/// While alive, this thread memoises the terms it lowers; dropped, it
/// forgets them.
pub(crate) struct MemoScope(());

impl MemoScope {
    pub(crate) fn enter() -> MemoScope {
        CACHE.with(|c| *c.borrow_mut() = Some(Cache { owner: 0, terms: HashMap::new() }));
        MemoScope(())
    }
}

impl Drop for MemoScope {
    fn drop(&mut self) {
        CACHE.with(|c| *c.borrow_mut() = None);
    }
}

/// `lower(term, log)`, or inside a scope what it gave for `term` before,
/// with its fired rules added to `log` again. `owner` identifies the
/// lowering (a scope serves one).
pub(super) fn memoised(
    owner: usize,
    term: &RecExpr<Node>,
    log: &mut LoweringLog,
    lower: impl FnOnce(&RecExpr<Node>, &mut LoweringLog) -> Result<RecExpr<Node>, String>,
) -> Result<RecExpr<Node>, String> {
    let hit = CACHE.with(|c| match &*c.borrow() {
        Some(cache) if cache.owner == owner => cache.terms.get(term).cloned(),
        _ => None,
    });
    if let Some(entry) = hit {
        for (rule, count) in &entry.fired {
            *log.fired.entry(rule.clone()).or_default() += count;
        }
        return Ok(entry.lowered.clone());
    }
    let mut fresh = LoweringLog::default();
    let lowered = lower(term, &mut fresh)?;
    let fired: Vec<(String, usize)> = fresh.fired.into_iter().collect();
    for (rule, count) in &fired {
        *log.fired.entry(rule.clone()).or_default() += count;
    }
    CACHE.with(|c| {
        if let Some(cache) = &mut *c.borrow_mut() {
            if cache.owner != owner {
                cache.owner = owner;
                cache.terms.clear();
            }
            if cache.terms.len() < MAX_TERMS {
                cache.terms.insert(term.clone(), Rc::new(Entry { lowered: lowered.clone(), fired }));
            }
        }
    });
    Ok(lowered)
}

#[cfg(test)]
mod tests {
    use super::*;
    use plumb_rules::Type;

    fn term(bits: u128) -> RecExpr<Node> {
        let mut term = RecExpr::default();
        term.add(Node::Const { ty: Type::I32, bits });
        term
    }

    /// `memoised` with a lowering that counts its calls and fires one rule.
    fn lower_counting(
        owner: usize,
        t: &RecExpr<Node>,
        log: &mut LoweringLog,
        calls: &mut u32,
    ) -> RecExpr<Node> {
        let lowered = memoised(owner, t, log, |t, log| {
            *calls += 1;
            *log.fired.entry("rule".into()).or_default() += 2;
            Ok(t.clone())
        });
        lowered.expect("lowers")
    }

    #[test]
    fn a_hit_gives_what_lowering_gave_and_counts_its_rules_again() {
        let (mut log, mut calls) = (LoweringLog::default(), 0);
        // Outside a scope nothing is kept.
        lower_counting(1, &term(5), &mut log, &mut calls);
        lower_counting(1, &term(5), &mut log, &mut calls);
        assert_eq!(calls, 2);
        {
            let _scope = MemoScope::enter();
            let first = lower_counting(1, &term(5), &mut log, &mut calls);
            let again = lower_counting(1, &term(5), &mut log, &mut calls);
            assert_eq!((calls, &first), (3, &again), "the second is a hit");
            lower_counting(1, &term(6), &mut log, &mut calls);
            assert_eq!(calls, 4, "another term is lowered");
            lower_counting(2, &term(5), &mut log, &mut calls);
            assert_eq!(calls, 5, "another lowering starts afresh");
        }
        // Every call, hit or not, recorded the rule's two firings.
        assert_eq!(log.fired.get("rule"), Some(&12));
        let _scope = MemoScope::enter();
        lower_counting(1, &term(5), &mut log, &mut calls);
        assert_eq!(calls, 6, "a new scope remembers nothing");
    }
}
