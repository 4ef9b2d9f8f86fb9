//! The rules as an `egg` e-graph language: typed operator nodes, leaves for
//! the values flowing into a block and for constants, a constant-folding
//! analysis built on the evaluator, the rule instances as rewrites, and a
//! cost function under which Wasm-level operators can never be extracted.
//!
//! ```
//! use std::sync::Arc;
//! use egg::{Extractor, RecExpr, Runner};
//! use plumb_rules::egraph::{ConstFold, LoweringCost, Node, rewrites};
//! use plumb_rules::{RuleSet, Type};
//!
//! let rules = Arc::new(RuleSet::builtin()?);
//! let mut expr = RecExpr::default();
//! let x = expr.add(Node::Arg { index: 0, ty: Type::I32 });
//! let eight = expr.add(Node::Const { ty: Type::I32, bits: 8 });
//! let mul = rules.op_by_name("i32.mul").expect("declared");
//! expr.add(Node::op(&rules, mul, vec![x, eight]).expect("an operator"));
//!
//! let runner: Runner<Node, ConstFold> = Runner::new(ConstFold::new(&rules)).with_expr(&expr).run(&rewrites(&rules));
//! let extractor = Extractor::new(&runner.egraph, LoweringCost::new(&rules));
//! let (cost, best) = extractor.find_best(runner.roots[0]);
//! assert!(cost.is_finite());
//! assert_eq!(best.to_string(), "(ishl.i32 arg0:i32 0x3:i32)");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! An e-graph must only hold nodes whose operands are available where the
//! extracted term is used; that is the engine's business (one e-graph per
//! block). Nothing here panics on a rule: a rewrite whose constant cannot
//! be computed simply does not fire.

use std::fmt;
use std::sync::Arc;

use egg::{Analysis, Applier, CostFunction, DidMerge, EGraph, ENodeOrVar, Id, Language, Pattern, PatternAst};
use egg::{RecExpr, Rewrite, Subst, Symbol, Var};

use crate::RuleSet;
use crate::ast::OpKind;
use crate::check::{OpInstId, RuleInstance, Sem, Term};
use crate::eval::eval_sem;
use crate::types::Type;

/// A node of the e-graph.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Node {
    /// An operator instance applied to operands.
    Op {
        /// Which operator instance of the [`RuleSet`].
        op: OpInstId,
        /// Its name, for display.
        name: Symbol,
        /// Operand e-classes.
        args: Vec<Id>,
    },
    /// A value flowing into the block: the block's `index`-th input.
    Arg {
        /// Which input.
        index: u32,
        /// Its type.
        ty: Type,
    },
    /// A constant: `iconst`, `f32const`, `f64const` or `vconst` by its type.
    Const {
        /// Its type.
        ty: Type,
        /// Its bits, masked to the type's width (all 128 for a vector).
        bits: u128,
    },
}

impl Node {
    /// The node for operator instance `op` of `rules` applied to `args`, or
    /// `None` if there is no such operator or the operand count is wrong.
    pub fn op(rules: &RuleSet, op: OpInstId, args: Vec<Id>) -> Option<Node> {
        let inst = rules.op(op)?;
        (inst.operands.len() == args.len()).then(|| Node::Op { op, name: Symbol::from(&inst.name), args })
    }

    /// The node's type.
    pub fn ty(&self, rules: &RuleSet) -> Option<Type> {
        match self {
            Node::Op { op, .. } => rules.op(*op).map(|o| o.result),
            Node::Arg { ty, .. } | Node::Const { ty, .. } => Some(*ty),
        }
    }

    /// The operator's kind (Wasm, CLIF, trap condition); `None` for leaves.
    pub fn kind(&self, rules: &RuleSet) -> Option<OpKind> {
        match self {
            Node::Op { op, .. } => rules.op(*op).map(|o| o.kind),
            _ => None,
        }
    }
}

impl Language for Node {
    type Discriminant = (u8, u32, u128, Option<Type>);

    fn discriminant(&self) -> Self::Discriminant {
        match self {
            Node::Op { op, .. } => (0, op.0, 0, None),
            Node::Arg { index, ty } => (1, *index, 0, Some(*ty)),
            Node::Const { ty, bits } => (2, 0, *bits, Some(*ty)),
        }
    }

    fn matches(&self, other: &Self) -> bool {
        self.discriminant() == other.discriminant() && self.children().len() == other.children().len()
    }

    fn children(&self) -> &[Id] {
        match self {
            Node::Op { args, .. } => args,
            _ => &[],
        }
    }

    fn children_mut(&mut self) -> &mut [Id] {
        match self {
            Node::Op { args, .. } => args,
            _ => &mut [],
        }
    }
}

impl fmt::Display for Node {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Node::Op { name, .. } => write!(f, "{name}"),
            Node::Arg { index, ty } => write!(f, "arg{index}:{ty}"),
            Node::Const { ty, bits } => write!(f, "{bits:#x}:{ty}"),
        }
    }
}

/// What the constant folder knows about an e-class.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClassData {
    /// The type of every node in the class (`None` only for a malformed node).
    pub ty: Option<Type>,
    /// The class's value, if it is a known constant.
    pub konst: Option<u128>,
}

/// Constant folding of every operator through the evaluator: a class whose
/// operands are constants gets its value (unless the operator traps or is
/// undefined there), and a constant class gets a [`Node::Const`] member.
#[derive(Debug, Clone)]
pub struct ConstFold {
    rules: Arc<RuleSet>,
}

impl ConstFold {
    /// The analysis over `rules`' operators.
    pub fn new(rules: &Arc<RuleSet>) -> ConstFold {
        ConstFold { rules: Arc::clone(rules) }
    }
}

impl Analysis<Node> for ConstFold {
    type Data = ClassData;

    fn make(egraph: &mut EGraph<Node, Self>, enode: &Node, _id: Id) -> ClassData {
        let rules = &egraph.analysis.rules;
        let ty = enode.ty(rules);
        let konst = match enode {
            Node::Const { bits, .. } => Some(*bits),
            Node::Arg { .. } => None,
            Node::Op { op, args, .. } => {
                let vals: Option<Vec<u128>> = args.iter().map(|a| egraph[*a].data.konst).collect();
                if crate::mutant::active("const-fold-shift-unmasked")
                    && let (Some(inst), Some([_, count])) = (rules.op(*op), vals.as_deref())
                    && (inst.decl_name == "ishl" || inst.name.ends_with(".shl"))
                    && *count >= u128::from(inst.result.bits())
                {
                    return ClassData { ty, konst: Some(0) };
                }
                vals.and_then(|v| rules.eval_wide(*op, &v).ok())
            }
        };
        ClassData { ty, konst }
    }

    fn merge(&mut self, a: &mut ClassData, b: ClassData) -> DidMerge {
        let mut changed_a = false;
        if a.ty.is_none() && b.ty.is_some() {
            a.ty = b.ty;
            changed_a = true;
        }
        let changed_b = match (a.konst, b.konst) {
            (None, Some(k)) => {
                a.konst = Some(k);
                changed_a = true;
                false
            }
            (Some(_), None) => true,
            _ => false,
        };
        DidMerge(changed_a, changed_b)
    }

    fn modify(egraph: &mut EGraph<Node, Self>, id: Id) {
        let data = &egraph[id].data;
        if let (Some(ty), Some(bits)) = (data.ty, data.konst) {
            let c = egraph.add(Node::Const { ty, bits });
            egraph.union(id, c);
        }
    }
}

/// Extraction cost for lowering: Wasm operators and trap conditions cost
/// infinity (they must be lowered), CLIF operators a rough latency, leaves 0
/// and constants 0.25 (below any operator).
#[derive(Debug, Clone)]
pub struct LoweringCost {
    rules: Arc<RuleSet>,
}

impl LoweringCost {
    /// The cost function over `rules`' operators.
    pub fn new(rules: &Arc<RuleSet>) -> LoweringCost {
        LoweringCost { rules: Arc::clone(rules) }
    }

    /// The cost of one node, not counting its operands.
    pub fn node_cost(&self, node: &Node) -> f64 {
        let Node::Op { op, .. } = node else {
            // A constant is cheaper than any operator, so a rule that proves
            // a value constant (x ^ x => 0) always wins extraction.
            return if matches!(node, Node::Const { .. }) { 0.25 } else { 0.0 };
        };
        let Some(inst) = self.rules.op(*op) else { return f64::INFINITY };
        if inst.kind != OpKind::Clif {
            return f64::INFINITY;
        }
        match inst.decl_name.as_str() {
            "imul" => 3.0,
            "sdiv" | "udiv" | "srem" | "urem" => 20.0,
            "fdiv" | "sqrt" => 12.0,
            "fadd" | "fsub" | "fmul" | "fmin" | "fmax" | "ceil" | "floor" | "trunc" | "nearest" => 4.0,
            n if n.starts_with("fcvt") => 6.0,
            "uextend" | "sextend" | "ireduce" | "bitcast" => 0.5,
            _ => 1.0,
        }
    }
}

impl CostFunction<Node> for LoweringCost {
    type Cost = f64;

    fn cost<C>(&mut self, enode: &Node, mut costs: C) -> f64
    where
        C: FnMut(Id) -> f64,
    {
        enode.children().iter().fold(self.node_cost(enode), |acc, c| acc + costs(*c))
    }
}

/// Every rule instance of `rules` as a rewrite.
pub fn rewrites(rules: &Arc<RuleSet>) -> Vec<Rewrite<Node, ConstFold>> {
    rewrites_where(rules, |_| true)
}

/// The rule instances of `rules` for which `keep` holds, as rewrites. A
/// rule instance whose left side cannot be expressed as a pattern (it
/// cannot happen for a checked rule set) is left out.
pub fn rewrites_where(
    rules: &Arc<RuleSet>,
    keep: impl Fn(&RuleInstance) -> bool,
) -> Vec<Rewrite<Node, ConstFold>> {
    rules
        .rule_instances()
        .iter()
        .enumerate()
        .filter(|(_, r)| keep(r))
        .filter_map(|(i, r)| {
            let mut ast = PatternAst::default();
            pattern(rules, &r.lhs, &mut ast)?;
            let applier = RuleApplier { rules: Arc::clone(rules), instance: i };
            Rewrite::new(r.qualified_name(), Pattern::new(ast), applier).ok()
        })
        .collect()
}

fn var(i: usize) -> Var {
    Var::from_u32(i as u32)
}

fn pattern(rules: &RuleSet, t: &Term, ast: &mut PatternAst<Node>) -> Option<Id> {
    Some(match t {
        Term::Var(i) => ast.add(ENodeOrVar::Var(var(*i))),
        Term::Const { value: Sem::Var { index, .. }, .. } => ast.add(ENodeOrVar::Var(var(*index))),
        Term::Const { ty, value: Sem::Const { bits, .. } } => {
            ast.add(ENodeOrVar::ENode(Node::Const { ty: *ty, bits: *bits & ty.wide_mask() }))
        }
        Term::Const { .. } => return None,
        Term::Op { op, args } => {
            let ids = args.iter().map(|a| pattern(rules, a, ast)).collect::<Option<Vec<_>>>()?;
            ast.add(ENodeOrVar::ENode(Node::op(rules, *op, ids)?))
        }
    })
}

/// Applies one rule instance: checks that its constant variables are bound
/// to constants and its side conditions hold, then adds the right side with
/// its constants computed by the evaluator.
struct RuleApplier {
    rules: Arc<RuleSet>,
    instance: usize,
}

impl RuleApplier {
    fn build(
        &self,
        egraph: &mut EGraph<Node, ConstFold>,
        t: &Term,
        subst: &Subst,
        env: &[u128],
    ) -> Option<Id> {
        Some(match t {
            Term::Var(i) => *subst.get(var(*i))?,
            Term::Const { ty, value } => {
                let bits = eval_sem(value, env).ok()? & ty.wide_mask();
                egraph.add(Node::Const { ty: *ty, bits })
            }
            Term::Op { op, args } => {
                let ids =
                    args.iter().map(|a| self.build(egraph, a, subst, env)).collect::<Option<Vec<_>>>()?;
                egraph.add(Node::op(&self.rules, *op, ids)?)
            }
        })
    }
}

impl Applier<Node, ConstFold> for RuleApplier {
    fn apply_one(
        &self,
        egraph: &mut EGraph<Node, ConstFold>,
        eclass: Id,
        subst: &Subst,
        _searcher_ast: Option<&PatternAst<Node>>,
        _rule_name: Symbol,
    ) -> Vec<Id> {
        let Some(inst) = self.rules.rule_instances().get(self.instance) else { return vec![] };
        let mut env = vec![0u128; inst.vars.len()];
        for (i, v) in inst.vars.iter().enumerate() {
            if v.is_const {
                let Some(class) = subst.get(var(i)) else { return vec![] };
                match egraph[*class].data.konst {
                    Some(k) => env[i] = k,
                    None => return vec![],
                }
            }
        }
        if !inst.conds.iter().all(|c| eval_sem(c, &env) == Ok(1)) {
            return vec![];
        }
        let Some(id) = self.build(egraph, &inst.rhs, subst, &env) else { return vec![] };
        if egraph.union(eclass, id) { vec![eclass] } else { vec![] }
    }

    fn vars(&self) -> Vec<Var> {
        self.rules
            .rule_instances()
            .get(self.instance)
            .map(|inst| (0..inst.vars.len()).map(var).collect())
            .unwrap_or_default()
    }
}

/// Evaluates a term of the e-graph language with block input `i` bound to
/// `inputs[i]`, through the evaluator (so a trap condition that holds is an
/// error). For tests and fuzzers: an extracted term must evaluate like the
/// term it was extracted for.
pub fn eval_expr(rules: &RuleSet, expr: &RecExpr<Node>, inputs: &[u128]) -> Result<u128, crate::EvalError> {
    let mut values: Vec<u128> = Vec::with_capacity(expr.len());
    for node in expr.as_ref() {
        let v = match node {
            Node::Arg { index, ty } => inputs
                .get(*index as usize)
                .map(|v| v & ty.wide_mask())
                .ok_or(crate::EvalError::UnboundVariable(*index as usize))?,
            Node::Const { bits, .. } => *bits,
            Node::Op { op, args, .. } => {
                let vals = args
                    .iter()
                    .map(|a| {
                        values
                            .get(usize::from(*a))
                            .copied()
                            .ok_or(crate::EvalError::UnboundVariable(usize::from(*a)))
                    })
                    .collect::<Result<Vec<u128>, _>>()?;
                rules.eval_wide(*op, &vals)?
            }
        };
        values.push(v);
    }
    values.last().copied().ok_or(crate::EvalError::UnboundVariable(0))
}

/// Extracts the cheapest CLIF-only term for `root`, or `None` if every term
/// of the class still contains a Wasm operator or trap condition.
pub fn extract_lowered(
    egraph: &EGraph<Node, ConstFold>,
    rules: &Arc<RuleSet>,
    root: Id,
) -> Option<RecExpr<Node>> {
    let extractor = egg::Extractor::new(egraph, LoweringCost::new(rules));
    let (cost, expr) = extractor.find_best(root);
    cost.is_finite().then_some(expr)
}
