//! Plumb's lowering and optimisation rules, their operator semantics and a
//! concrete evaluator.
//!
//! Not yet implemented: the rule language and the rule set are the subject
//! of a later issue. This crate is empty on purpose.
