//! What the compiler did to each function, for people to read: the pure
//! operators it met, the rules that fired on them (with their files), and
//! the CLIF the translator produced before Cranelift's own passes.

use std::collections::BTreeMap;

use cranelift_frontend::FunctionBuilderContext;
use wasmparser::Validator;

use crate::compile::translate_function;
use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::module_info::decode;

/// A rule instance that fired while lowering a function.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FiredRule {
    /// The rule instance (`name.type...`, e.g. `imul_pow2.i32`).
    pub name: String,
    /// The rule file it comes from (`lower/int.isle`, `opt/strength.isle`).
    pub file: String,
    /// The operator at the root of its left side.
    pub operator: String,
    /// How many times it was applied.
    pub count: usize,
}

/// What happened to one defined function.
#[derive(Debug, Clone)]
pub struct FunctionExplanation {
    /// Index in the function index space.
    pub index: u32,
    /// The pure Wasm operators lowered, in order (rule-set names).
    pub operators: Vec<String>,
    /// Operators whose terms the concrete evaluator folded to constants.
    pub folded: Vec<String>,
    /// The rules that fired, by name.
    pub rules: Vec<FiredRule>,
    /// The function's CLIF as the translator produced it.
    pub clif: String,
}

/// Explains how `bytes` (binary or text) is compiled: one entry per
/// defined function, or only function `only` when given.
pub fn explain(engine: &Engine, bytes: &[u8], only: Option<u32>) -> Result<Vec<FunctionExplanation>> {
    let bytes = wat::parse_bytes(bytes).map_err(|e| Error::Text(e.to_string()))?;
    Validator::new_with_features(engine.inner.config.wasm_features()).validate_all(&bytes)?;
    let (info, bodies) = decode(&bytes)?;
    let lowering = engine.lowering();
    // As compilation does: a term of a shape already lowered is not
    // lowered again, and its rules count as fired again.
    let _memo = crate::midend::MemoScope::enter();
    let mut builder_ctx = FunctionBuilderContext::new();
    let mut out = Vec::new();
    for (i, body) in bodies.iter().enumerate() {
        let index = (info.imported_funcs + i) as u32;
        if only.is_some_and(|o| o != index) {
            continue;
        }
        let (mut func, log) = translate_function(
            &engine.inner.isa,
            &info,
            lowering,
            index,
            body,
            &mut builder_ctx,
            engine.inner.config.instrumentation,
        )?;
        let mut by_name: BTreeMap<String, usize> = BTreeMap::new();
        for (name, count) in log.fired {
            *by_name.entry(name).or_default() += count;
        }
        let rules = by_name
            .into_iter()
            .map(|(name, count)| {
                let (file, operator) = lowering.rule_origin(&name).unwrap_or_default();
                FiredRule { name, file, operator, count }
            })
            .collect();
        // The module offsets every instruction carries (for backtraces)
        // would widen every line; the CLIF reads better without them.
        func.srclocs.clear();
        out.push(FunctionExplanation {
            index,
            operators: log.operators,
            folded: log.folded,
            rules,
            clif: func.display().to_string(),
        });
    }
    if let Some(o) = only
        && out.is_empty()
    {
        return Err(Error::Usage(format!("function {o} is not a function defined by the module")));
    }
    Ok(out)
}
