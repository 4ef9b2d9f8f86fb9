//! The mid-end: lowering pure terms to CLIF through the verified rules.
//!
//! The translator hands each pure term it needs to a [`Lowering`], which
//! runs the rules of `plumb-rules` over it in an e-graph and emits the
//! extracted CLIF-only term at the current position of the function.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use cranelift_codegen::ir::condcodes::{FloatCC, IntCC};
use cranelift_codegen::ir::{self, InstBuilder, MemFlagsData, TrapCode, Value, types};
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext};
use egg::{
    Analysis, BackoffScheduler, EGraph, Id, Language, RecExpr, Rewrite, RewriteScheduler, Runner,
    RunnerLimits, RunnerResult, SearchMatches,
};
use plumb_rules::egraph::{ConstFold, Node, extract_lowered, rewrites, rewrites_where};
use plumb_rules::{OpInstId, OpInstance, OpKind, RuleError, RuleSet, Term, Type};

use crate::pure::PureExpr;

mod memo;

pub(crate) use memo::MemoScope;

/// Bounds on saturation with every rule, per term, so compile time stays
/// predictable on huge functions; any extracted term is correct whatever
/// the bound. The bounds are counts, never the clock: the same module and
/// `Config` always give the same machine code, however loaded the machine
/// (egg's own default is a 5-second time limit, so every run sets
/// `Duration::MAX` explicitly).
const ITERATION_LIMIT: usize = 8;
const NODE_LIMIT: usize = 4_000;
/// When the bounded run stopped before every Wasm operator was lowered
/// (the node limit hit on a term that many rules match, say), lowering
/// rules alone finish the job: each rewrites a Wasm operator into CLIF, so
/// they terminate.
const LOWERING_ITERATION_LIMIT: usize = 64;
const LOWERING_NODE_LIMIT: usize = 200_000;

/// Lowers pure terms; shared by all the threads compiling a module.
pub(crate) trait Lowering: Sync {
    /// The rule-set operator for pure Wasm operator `name` applied to
    /// operands of these types (`select` is resolved by its operand type),
    /// with its operand count and result type.
    fn resolve(&self, name: &str, operand: Option<ir::Type>) -> Option<(String, usize, ir::Type)>;

    /// The trap conditions operator `name` checks before its value is
    /// meaningful: the condition operator, which operands it takes, and the
    /// trap it raises.
    fn traps(&self, name: &str) -> Vec<(String, Vec<usize>, TrapCode)>;

    /// Emits CLIF computing `expr` at the builder's current position,
    /// recording the rules that fired in `log`.
    fn lower(
        &self,
        builder: &mut FunctionBuilder<'_>,
        expr: &PureExpr,
        log: &mut LoweringLog,
    ) -> Result<Value, String>;

    /// Where rule instance `rewrite` comes from: its rule file and the
    /// operator at the root of its left side.
    fn rule_origin(&self, rewrite: &str) -> Option<(String, String)>;
}

/// What the mid-end did to one function: how often each rule instance
/// fired (by rewrite name, e.g. `imul_pow2.i32`) and which pure Wasm
/// operators it lowered.
#[derive(Debug, Clone, Default)]
pub struct LoweringLog {
    /// Rule instance name → applications.
    pub fired: std::collections::BTreeMap<String, usize>,
    /// The pure Wasm operators lowered, in order.
    pub operators: Vec<String>,
    /// Operators whose whole term the evaluator folded to a constant.
    pub folded: Vec<String>,
}

/// The Cranelift type of a rule-language type.
pub(crate) fn clif_type(ty: Type) -> ir::Type {
    match ty {
        Type::I8 => types::I8,
        Type::I16 => types::I16,
        Type::I32 => types::I32,
        Type::I64 => types::I64,
        Type::F32 => types::F32,
        Type::F64 => types::F64,
        // Wasm's v128 is Cranelift's i8x16, as in Wasmtime.
        Type::V128 | Type::I8X16 => types::I8X16,
        Type::I16X8 => types::I16X8,
        Type::I32X4 => types::I32X4,
        Type::I64X2 => types::I64X2,
        Type::F32X4 => types::F32X4,
        Type::F64X2 => types::F64X2,
    }
}

fn wasm_type_name(ty: ir::Type) -> &'static str {
    match ty {
        types::I32 => "i32",
        types::F32 => "f32",
        types::F64 => "f64",
        ty if ty.is_vector() => "v128",
        _ => "i64",
    }
}

/// Lowering by the project's built-in rule set.
pub(crate) struct RuleLowering {
    rules: Arc<RuleSet>,
    rewrites: RuleIndex,
    /// The lowering rules alone, to finish what a bounded run left.
    lowering_rewrites: RuleIndex,
    /// Rewrite name → (rule file, root operator of the left side).
    origins: HashMap<String, (String, String)>,
}

/// Rewrites indexed by the operator at the root of their left side.
///
/// A rewrite can only match where its root operator is in the e-graph, and
/// operators enter the e-graph only with the term or with the right side
/// of a rewrite that fired. So the rewrites that can ever fire on a term
/// are those rooted at an operator reachable from the term's operators
/// through right sides; running only them gives exactly the e-graph that
/// running all would (a rewrite that never matches changes nothing), while
/// each iteration searches tens of rewrites instead of every one.
struct RuleIndex {
    rewrites: Vec<Rewrite<Node, ConstFold>>,
    /// Rewrite indices by root operator (`OpInstId` index).
    by_root: Vec<Vec<usize>>,
    /// Rewrites whose left side is not rooted at an operator.
    unrooted: Vec<usize>,
    /// The operators on each rewrite's right side.
    introduces: Vec<Vec<OpInstId>>,
}

impl RuleIndex {
    fn new(rules: &RuleSet, rewrites: Vec<Rewrite<Node, ConstFold>>) -> RuleIndex {
        let instances: HashMap<String, &plumb_rules::RuleInstance> =
            rules.rule_instances().iter().map(|i| (i.qualified_name(), i)).collect();
        let mut index = RuleIndex {
            by_root: vec![Vec::new(); rules.ops().len()],
            unrooted: Vec::new(),
            introduces: Vec::with_capacity(rewrites.len()),
            rewrites: Vec::new(),
        };
        for (i, rewrite) in rewrites.iter().enumerate() {
            let instance = instances.get(rewrite.name.as_str());
            match instance.map(|inst| &inst.lhs) {
                Some(Term::Op { op, .. }) if op.index() < index.by_root.len() => {
                    index.by_root[op.index()].push(i)
                }
                _ => index.unrooted.push(i),
            }
            let mut ops = Vec::new();
            if let Some(inst) = instance {
                term_ops(&inst.rhs, &mut ops);
            }
            index.introduces.push(ops);
        }
        index.rewrites = rewrites;
        index
    }

    /// Every rewrite, in order.
    fn all(&self) -> Vec<&Rewrite<Node, ConstFold>> {
        self.rewrites.iter().collect()
    }

    /// The rewrites that can fire on an e-graph of these nodes, in their
    /// order.
    fn for_nodes<'n>(&self, nodes: impl IntoIterator<Item = &'n Node>) -> Vec<&Rewrite<Node, ConstFold>> {
        let mut present = vec![false; self.by_root.len()];
        let mut pending: Vec<OpInstId> = Vec::new();
        for node in nodes {
            if let Node::Op { op, .. } = node {
                pending.push(*op);
            }
        }
        let mut selected = self.unrooted.clone();
        while let Some(op) = pending.pop() {
            match present.get_mut(op.index()) {
                Some(seen) if !*seen => *seen = true,
                _ => continue,
            }
            for &i in &self.by_root[op.index()] {
                selected.push(i);
                pending.extend(&self.introduces[i]);
            }
        }
        selected.sort_unstable();
        selected.dedup();
        selected.into_iter().map(|i| &self.rewrites[i]).collect()
    }
}

/// Every operator of `term`.
fn term_ops(term: &Term, ops: &mut Vec<OpInstId>) {
    if let Term::Op { op, args } = term {
        ops.push(*op);
        for arg in args {
            term_ops(arg, ops);
        }
    }
}

/// egg's backoff scheduler, except that an iteration searches every rule
/// before it checks the runner's limits, once. egg's default checks them
/// after each rule's search, and each check reads the clock: this halves
/// the clock reads, which took 3.2% of compile time on bz2 and take 2.3%
/// now (egg's apply loop still checks after each rule, and only `Runner`
/// can change that). A search changes nothing the limits count (nodes,
/// iterations; there is no time limit), so the outcome is the same: the
/// check fails after all the searches exactly when it would have failed
/// after the first.
#[derive(Default)]
struct Scheduler(BackoffScheduler);

impl<L: Language, N: Analysis<L>> RewriteScheduler<L, N> for Scheduler {
    fn can_stop(&mut self, iteration: usize) -> bool {
        RewriteScheduler::<L, N>::can_stop(&mut self.0, iteration)
    }

    fn search_rewrite<'a>(
        &mut self,
        iteration: usize,
        egraph: &EGraph<L, N>,
        rewrite: &'a Rewrite<L, N>,
    ) -> Vec<SearchMatches<'a, L>> {
        self.0.search_rewrite(iteration, egraph, rewrite)
    }

    fn apply_rewrite(
        &mut self,
        iteration: usize,
        egraph: &mut EGraph<L, N>,
        rewrite: &Rewrite<L, N>,
        matches: Vec<SearchMatches<L>>,
    ) -> usize {
        self.0.apply_rewrite(iteration, egraph, rewrite, matches)
    }

    fn search_rewrites<'a>(
        &mut self,
        iteration: usize,
        egraph: &EGraph<L, N>,
        rewrites: &[&'a Rewrite<L, N>],
        limits: &RunnerLimits,
    ) -> RunnerResult<Vec<Vec<SearchMatches<'a, L>>>> {
        let matches: Vec<_> =
            rewrites.iter().map(|rw| self.0.search_rewrite(iteration, egraph, rw)).collect();
        if !rewrites.is_empty() {
            limits.check_limits(iteration, egraph)?;
        }
        Ok(matches)
    }
}

impl RuleLowering {
    /// The built-in rule set's lowering, loaded once per process and shared
    /// by every engine (loading and checking the rules, then building their
    /// rewrites, takes several milliseconds; they never change).
    pub(crate) fn builtin() -> Result<Arc<RuleLowering>, RuleError> {
        static BUILTIN: std::sync::OnceLock<Result<Arc<RuleLowering>, RuleError>> =
            std::sync::OnceLock::new();
        BUILTIN.get_or_init(|| Ok(Arc::new(RuleLowering::with_rules(RuleSet::builtin()?)))).clone()
    }

    /// Lowering by `rules` (tests use rule sets without lowering rules).
    pub(crate) fn with_rules(rules: RuleSet) -> RuleLowering {
        let rules = Arc::new(rules);
        let rewrites = RuleIndex::new(&rules, rewrites(&rules));
        let lowering_rewrites =
            RuleIndex::new(&rules, rewrites_where(&rules, |inst| inst.is_lowering(rules.ops())));
        let mut origins = HashMap::new();
        for inst in rules.rule_instances() {
            let name = inst.qualified_name();
            let file = rules.rules().get(inst.rule).map(|r| r.file.clone()).unwrap_or_default();
            let root = match &inst.lhs {
                plumb_rules::Term::Op { op, .. } => rules.op(*op).map(|o| o.name.clone()).unwrap_or_default(),
                _ => String::new(),
            };
            origins.insert(name, (file, root));
        }
        RuleLowering { rules, rewrites, lowering_rewrites, origins }
    }

    /// The term as an e-graph expression over `leaves` (its values from the
    /// skeleton, each an `Arg` node; `index` finds a value's leaf). The
    /// recursion is as deep as the term, which the translator bounds
    /// ([`crate::pure::MAX_TERM_NODES`]).
    fn expr(
        &self,
        expr: &PureExpr,
        out: &mut RecExpr<Node>,
        leaves: &mut Vec<Value>,
        index: &mut HashMap<Value, u32>,
    ) -> Result<Id, String> {
        Ok(match expr {
            PureExpr::Value(v, ty) => {
                let index = *index.entry(*v).or_insert_with(|| {
                    leaves.push(*v);
                    leaves.len() as u32 - 1
                });
                out.add(Node::Arg { index, ty: rule_type(*ty)? })
            }
            PureExpr::Const(ty, bits) => {
                let ty = rule_type(*ty)?;
                out.add(Node::Const { ty, bits: bits & ty.wide_mask() })
            }
            PureExpr::Op { name, args, .. } => {
                let op = self
                    .rules
                    .op_by_name(name)
                    .ok_or_else(|| format!("the rule set has no operator {name}"))?;
                let args =
                    args.iter().map(|a| self.expr(a, out, leaves, index)).collect::<Result<Vec<_>, _>>()?;
                out.add(
                    Node::op(&self.rules, op, args)
                        .ok_or_else(|| format!("wrong operand count for {name}"))?,
                )
            }
        })
    }

    /// Saturates `term` with every rule (within the bounds above), then
    /// extracts its cheapest CLIF-only form; if the bounded run stopped
    /// before every Wasm operator was lowered, the lowering rules alone
    /// finish it. Records the rules that fired in `log`.
    fn lower_term(&self, term: &RecExpr<Node>, log: &mut LoweringLog) -> Result<RecExpr<Node>, String> {
        self.lower_term_with(term, log, true)
    }

    /// [`Self::lower_term`], with the rewrites chosen by the index or all
    /// of them (the index must never change the result).
    fn lower_term_with(
        &self,
        term: &RecExpr<Node>,
        log: &mut LoweringLog,
        indexed: bool,
    ) -> Result<RecExpr<Node>, String> {
        let runner: Runner<Node, ConstFold> = Runner::new(ConstFold::new(&self.rules))
            .with_iter_limit(ITERATION_LIMIT)
            .with_node_limit(NODE_LIMIT)
            .with_time_limit(Duration::MAX)
            .with_scheduler(Scheduler::default())
            .with_expr(term)
            .run(if indexed { self.rewrites.for_nodes(term.as_ref()) } else { self.rewrites.all() });
        let record = |runner: &Runner<Node, ConstFold>, log: &mut LoweringLog| {
            for iteration in &runner.iterations {
                for (rule, count) in &iteration.applied {
                    *log.fired.entry(rule.to_string()).or_default() += count;
                }
            }
        };
        record(&runner, log);
        let root = *runner.roots.first().ok_or("no root")?;
        let lowered = match extract_lowered(&runner.egraph, &self.rules, root) {
            Some(lowered) => lowered,
            None => {
                let rewrites =
                    self.lowering_rewrites.for_nodes(runner.egraph.classes().flat_map(|c| &c.nodes));
                let runner: Runner<Node, ConstFold> = Runner::new(ConstFold::new(&self.rules))
                    .with_egraph(runner.egraph)
                    .with_iter_limit(LOWERING_ITERATION_LIMIT)
                    .with_node_limit(LOWERING_NODE_LIMIT)
                    // Each lowering rule removes a Wasm operator, and the
                    // term is small.
                    .with_time_limit(Duration::MAX)
                    .with_scheduler(Scheduler::default())
                    .run(rewrites);
                record(&runner, log);
                extract_lowered(&runner.egraph, &self.rules, root)
                    .ok_or_else(|| format!("no lowering rule applies to {}", abbreviated(term)))?
            }
        };
        Ok(lowered)
    }
}

/// A term for an error message: its root operator and at most a line of
/// its text.
fn abbreviated(term: &RecExpr<Node>) -> String {
    const SHOWN: usize = 160;
    let text = term.to_string();
    match text.char_indices().nth(SHOWN) {
        Some((cut, _)) => format!("{}... ({} nodes)", &text[..cut], term.as_ref().len()),
        None => text,
    }
}

/// The mid-end on its own, for tools and fuzzers: lowers a term of the
/// rule language to CLIF exactly as the compiler lowers the pure terms of
/// a Wasm function (same rules, same bounds, same extraction).
pub struct TermLowering {
    inner: RuleLowering,
}

impl TermLowering {
    /// The mid-end with the rules of `rules` (the compiler uses
    /// [`RuleSet::builtin`]).
    pub fn new(rules: RuleSet) -> TermLowering {
        TermLowering { inner: RuleLowering::with_rules(rules) }
    }

    /// The rule set it lowers with.
    pub fn rules(&self) -> &RuleSet {
        &self.inner.rules
    }

    /// The cheapest CLIF-only term equal to `term`, or why there is none.
    pub fn lower(&self, term: &RecExpr<Node>) -> Result<RecExpr<Node>, String> {
        self.inner.lower_term(term, &mut LoweringLog::default())
    }

    /// [`Self::lower`] with every rewrite searched at every step, not only
    /// those the root-operator index can reach from the term: the index
    /// must never change the result (fuzz/tests/rule_index.rs).
    pub fn lower_unindexed(&self, term: &RecExpr<Node>) -> Result<RecExpr<Node>, String> {
        self.inner.lower_term_with(term, &mut LoweringLog::default(), false)
    }
}

/// Emits CLIF for `lowered`, a CLIF-only term extracted from the e-graph,
/// at the builder's position: its `Arg` leaves are `leaves`, in order.
///
/// A constant is emitted where an operator first takes it as a value, so
/// one that only serves as an immediate (a lane index, a shuffle mask)
/// leaves no instruction behind.
fn emit_lowered(
    builder: &mut FunctionBuilder<'_>,
    rules: &RuleSet,
    lowered: &RecExpr<Node>,
    leaves: &[Value],
) -> Result<Value, String> {
    let nodes = lowered.as_ref();
    let mut values: Vec<Option<Value>> = Vec::with_capacity(nodes.len());
    for node in nodes {
        let value = match node {
            Node::Arg { index, .. } => Some(*leaves.get(*index as usize).ok_or("unknown leaf")?),
            Node::Const { .. } => None,
            Node::Op { op, args, .. } => {
                let inst = rules.op(*op).ok_or("unknown operator")?;
                if inst.kind != OpKind::Clif {
                    return Err(format!("extraction kept the non-CLIF operator {}", inst.name));
                }
                let mut operands = Vec::with_capacity(args.len());
                for a in args {
                    let i = usize::from(*a);
                    operands.push(match nodes.get(i) {
                        Some(Node::Const { ty, bits }) => Operand { value: None, konst: Some((*ty, *bits)) },
                        _ => Operand { value: values.get(i).copied().flatten(), konst: None },
                    });
                }
                Some(emit(builder, inst, &operands)?)
            }
        };
        values.push(value);
    }
    match nodes.last() {
        Some(Node::Const { ty, bits }) => Ok(constant(builder, clif_type(*ty), *bits)),
        Some(_) => values.last().copied().flatten().ok_or_else(|| "operand order".to_string()),
        None => Err("empty lowering".to_string()),
    }
}

/// An operand of an extracted operator: a value already emitted, or a
/// constant (emitted only if the operator takes it as a value).
#[derive(Clone, Copy)]
struct Operand {
    value: Option<Value>,
    konst: Option<(Type, u128)>,
}

/// `lowered` (a CLIF-only term of `rules`, as the mid-end extracts it) as
/// a stand-alone CLIF function, emitted exactly as the engine emits it
/// inside a Wasm function: parameter `i` is `Arg` leaf `i`, of type
/// `params[i]`, and the function returns the term's value. The fuzzers run
/// it on Cranelift's own interpreter, an executor of CLIF independent of
/// Plumb's evaluator and of the machine-code backend.
pub fn clif_function(
    rules: &RuleSet,
    lowered: &RecExpr<Node>,
    params: &[Type],
) -> Result<ir::Function, String> {
    let result = lowered.as_ref().last().and_then(|n| n.ty(rules)).ok_or("the term has no type")?;
    let mut signature = ir::Signature::new(host_frontend_config()?.default_call_conv);
    signature.params.extend(params.iter().map(|&t| ir::AbiParam::new(clif_type(t))));
    signature.returns.push(ir::AbiParam::new(clif_type(result)));
    let mut func = ir::Function::with_name_signature(ir::UserFuncName::testcase("term"), signature);
    let mut context = FunctionBuilderContext::new();
    let mut builder = FunctionBuilder::new(&mut func, &mut context);
    let block = builder.create_block();
    builder.append_block_params_for_function_params(block);
    builder.switch_to_block(block);
    builder.seal_block(block);
    let leaves = builder.block_params(block).to_vec();
    let value = emit_lowered(&mut builder, rules, lowered, &leaves)?;
    builder.ins().return_(&[value]);
    builder.finalize(host_frontend_config()?);
    Ok(func)
}

/// The host's target configuration, made once.
fn host_frontend_config() -> Result<cranelift_codegen::isa::TargetFrontendConfig, String> {
    static CONFIG: std::sync::OnceLock<Result<cranelift_codegen::isa::TargetFrontendConfig, String>> =
        std::sync::OnceLock::new();
    CONFIG
        .get_or_init(|| {
            let flags = cranelift_codegen::settings::Flags::new(cranelift_codegen::settings::builder());
            let isa = cranelift_native::builder()
                .map_err(|e| format!("no Cranelift backend for this host: {e}"))?;
            let isa = isa.finish(flags).map_err(|e| format!("the host ISA does not build: {e}"))?;
            Ok(isa.frontend_config())
        })
        .clone()
}

/// Emits one extracted CLIF operator.
fn emit(b: &mut FunctionBuilder<'_>, op: &OpInstance, operands: &[Operand]) -> Result<Value, String> {
    let ty = clif_type(op.result);
    // Operators with immediates take those operands as constants.
    let immediate = |i: usize| {
        operands
            .get(i)
            .and_then(|o| o.konst)
            .map(|(_, bits)| bits)
            .ok_or_else(|| format!("operand {i} of {} is not a constant", op.name))
    };
    let lane = |i: usize| -> Result<u8, String> {
        let l = immediate(i)?;
        let lanes = op.operands.first().map_or(0, |t| t.lane_count());
        u8::try_from(l)
            .ok()
            .filter(|&l| u32::from(l) < lanes)
            .ok_or_else(|| format!("lane {l} of {}", op.name))
    };
    match op.decl_name.as_str() {
        "extractlane" => {
            let (a, l) = (value(b, op, operands, 0)?, lane(1)?);
            return Ok(b.ins().extractlane(a, l));
        }
        "insertlane" => {
            let (a, x, l) = (value(b, op, operands, 0)?, value(b, op, operands, 1)?, lane(2)?);
            return Ok(b.ins().insertlane(a, x, l));
        }
        "shuffle" => {
            let (x, y) = (value(b, op, operands, 0)?, value(b, op, operands, 1)?);
            let mask = immediate(2)?.to_le_bytes();
            if mask.iter().any(|&m| m >= 32) {
                return Err(format!("shuffle lane index past 31 in {mask:?}"));
            }
            let mask = b.func.dfg.immediates.push(ir::ConstantData::from(&mask[..]));
            return Ok(b.ins().shuffle(x, y, mask));
        }
        "bitcast" => {
            let a = value(b, op, operands, 0)?;
            let from = b.func.dfg.value_type(a);
            if from == ty {
                return Ok(a);
            }
            // A bitcast of a bitcast back to the first type is that value
            // (rule `vector_bitcast_round_trip`): the skeleton's vectors are
            // `i8x16` bitcasts of what a load gave, which a term cannot see.
            if let ir::ValueDef::Result(inst, _) = b.func.dfg.value_def(a)
                && let ir::InstructionData::LoadNoOffset { opcode: ir::Opcode::Bitcast, arg, .. } =
                    b.func.dfg.insts[inst]
                && b.func.dfg.value_type(arg) == ty
            {
                return Ok(arg);
            }
            // Cranelift wants a lane order for vector bitcasts: Wasm's lanes
            // are numbered little-endian.
            let flags = if from.is_vector() {
                MemFlagsData::new().with_endianness(ir::Endianness::Little)
            } else {
                MemFlagsData::new()
            };
            return Ok(b.ins().bitcast(ty, flags, a));
        }
        _ => {}
    }
    let args = (0..operands.len()).map(|i| value(b, op, operands, i)).collect::<Result<Vec<_>, _>>()?;
    if let Some(mutated) = simd_mutant(b, op, &args) {
        return Ok(mutated);
    }
    let arg = |i: usize| args.get(i).copied().ok_or_else(|| format!("{} lacks operand {i}", op.name));
    let ins = b.ins();
    Ok(match op.decl_name.as_str() {
        "iadd" => ins.iadd(arg(0)?, arg(1)?),
        "isub" => ins.isub(arg(0)?, arg(1)?),
        "imul" => ins.imul(arg(0)?, arg(1)?),
        "ineg" => ins.ineg(arg(0)?),
        "sdiv" => ins.sdiv(arg(0)?, arg(1)?),
        "udiv" => ins.udiv(arg(0)?, arg(1)?),
        "srem" => ins.srem(arg(0)?, arg(1)?),
        "urem" => ins.urem(arg(0)?, arg(1)?),
        "band" => ins.band(arg(0)?, arg(1)?),
        "bor" => ins.bor(arg(0)?, arg(1)?),
        "bxor" => ins.bxor(arg(0)?, arg(1)?),
        "bnot" => ins.bnot(arg(0)?),
        "ishl" => ins.ishl(arg(0)?, arg(1)?),
        "sshr" => ins.sshr(arg(0)?, arg(1)?),
        "ushr" if plumb_rules::mutant::active("emit-ushr-as-sshr") => ins.sshr(arg(0)?, arg(1)?),
        "ushr" => ins.ushr(arg(0)?, arg(1)?),
        "rotl" => ins.rotl(arg(0)?, arg(1)?),
        "rotr" => ins.rotr(arg(0)?, arg(1)?),
        "clz" => ins.clz(arg(0)?),
        "ctz" => ins.ctz(arg(0)?),
        "popcnt" => ins.popcnt(arg(0)?),
        "uextend" => ins.uextend(ty, arg(0)?),
        "sextend" => ins.sextend(ty, arg(0)?),
        "ireduce" => ins.ireduce(ty, arg(0)?),
        "icmp_eq" => ins.icmp(IntCC::Equal, arg(0)?, arg(1)?),
        "icmp_ne" => ins.icmp(IntCC::NotEqual, arg(0)?, arg(1)?),
        "icmp_slt" => ins.icmp(IntCC::SignedLessThan, arg(0)?, arg(1)?),
        "icmp_sle" => ins.icmp(IntCC::SignedLessThanOrEqual, arg(0)?, arg(1)?),
        "icmp_sgt" => ins.icmp(IntCC::SignedGreaterThan, arg(0)?, arg(1)?),
        "icmp_sge" => ins.icmp(IntCC::SignedGreaterThanOrEqual, arg(0)?, arg(1)?),
        "icmp_ult" => ins.icmp(IntCC::UnsignedLessThan, arg(0)?, arg(1)?),
        "icmp_ule" => ins.icmp(IntCC::UnsignedLessThanOrEqual, arg(0)?, arg(1)?),
        "icmp_ugt" => ins.icmp(IntCC::UnsignedGreaterThan, arg(0)?, arg(1)?),
        "icmp_uge" => ins.icmp(IntCC::UnsignedGreaterThanOrEqual, arg(0)?, arg(1)?),
        "fadd" => ins.fadd(arg(0)?, arg(1)?),
        "fsub" => ins.fsub(arg(0)?, arg(1)?),
        "fmul" => ins.fmul(arg(0)?, arg(1)?),
        "fdiv" => ins.fdiv(arg(0)?, arg(1)?),
        "fmin" => ins.fmin(arg(0)?, arg(1)?),
        "fmax" => ins.fmax(arg(0)?, arg(1)?),
        "fcopysign" => ins.fcopysign(arg(0)?, arg(1)?),
        "fabs" => ins.fabs(arg(0)?),
        "fneg" => ins.fneg(arg(0)?),
        "sqrt" => ins.sqrt(arg(0)?),
        "ceil" => ins.ceil(arg(0)?),
        "floor" => ins.floor(arg(0)?),
        "trunc" => ins.trunc(arg(0)?),
        "nearest" => ins.nearest(arg(0)?),
        "fcmp_eq" => ins.fcmp(FloatCC::Equal, arg(0)?, arg(1)?),
        "fcmp_ne" => ins.fcmp(FloatCC::NotEqual, arg(0)?, arg(1)?),
        "fcmp_lt" => ins.fcmp(FloatCC::LessThan, arg(0)?, arg(1)?),
        "fcmp_le" => ins.fcmp(FloatCC::LessThanOrEqual, arg(0)?, arg(1)?),
        "fcmp_gt" => ins.fcmp(FloatCC::GreaterThan, arg(0)?, arg(1)?),
        "fcmp_ge" => ins.fcmp(FloatCC::GreaterThanOrEqual, arg(0)?, arg(1)?),
        "fcvt_to_sint" => ins.fcvt_to_sint(ty, arg(0)?),
        "fcvt_to_uint" => ins.fcvt_to_uint(ty, arg(0)?),
        "fcvt_to_sint_sat" => ins.fcvt_to_sint_sat(ty, arg(0)?),
        "fcvt_to_uint_sat" => ins.fcvt_to_uint_sat(ty, arg(0)?),
        "fcvt_from_sint" => ins.fcvt_from_sint(ty, arg(0)?),
        "fcvt_from_uint" => ins.fcvt_from_uint(ty, arg(0)?),
        "fpromote" => ins.fpromote(ty, arg(0)?),
        "fdemote" => ins.fdemote(ty, arg(0)?),
        "select" => ins.select(arg(0)?, arg(1)?, arg(2)?),
        "iabs" => ins.iabs(arg(0)?),
        "band_not" => ins.band_not(arg(0)?, arg(1)?),
        "bitselect" => ins.bitselect(arg(0)?, arg(1)?, arg(2)?),
        "smin" => ins.smin(arg(0)?, arg(1)?),
        "umin" => ins.umin(arg(0)?, arg(1)?),
        "smax" => ins.smax(arg(0)?, arg(1)?),
        "umax" => ins.umax(arg(0)?, arg(1)?),
        "sadd_sat" => ins.sadd_sat(arg(0)?, arg(1)?),
        "uadd_sat" => ins.uadd_sat(arg(0)?, arg(1)?),
        "ssub_sat" => ins.ssub_sat(arg(0)?, arg(1)?),
        "usub_sat" => ins.usub_sat(arg(0)?, arg(1)?),
        "avg_round" => ins.avg_round(arg(0)?, arg(1)?),
        "sqmul_round_sat" => ins.sqmul_round_sat(arg(0)?, arg(1)?),
        "iadd_pairwise" => ins.iadd_pairwise(arg(0)?, arg(1)?),
        "vany_true" => ins.vany_true(arg(0)?),
        "vall_true" => ins.vall_true(arg(0)?),
        "vhigh_bits" => ins.vhigh_bits(ty, arg(0)?),
        "splat" => ins.splat(ty, arg(0)?),
        "swizzle" => ins.swizzle(arg(0)?, arg(1)?),
        "snarrow" => ins.snarrow(arg(0)?, arg(1)?),
        "unarrow" => ins.unarrow(arg(0)?, arg(1)?),
        "uunarrow" => ins.uunarrow(arg(0)?, arg(1)?),
        "swiden_low" => ins.swiden_low(arg(0)?),
        "swiden_high" => ins.swiden_high(arg(0)?),
        "uwiden_low" => ins.uwiden_low(arg(0)?),
        "uwiden_high" => ins.uwiden_high(arg(0)?),
        "fvdemote" => ins.fvdemote(arg(0)?),
        "fvpromote_low" => ins.fvpromote_low(arg(0)?),
        other => return Err(format!("no Cranelift instruction for CLIF operator {other}")),
    })
}

/// The emitter's SIMD code mutants (`plumb_rules::mutant`, only with the
/// `mutants` feature): the wrong instructions for `op`, or `None` unless
/// one is switched on and applies.
fn simd_mutant(b: &mut FunctionBuilder<'_>, op: &OpInstance, args: &[Value]) -> Option<Value> {
    use plumb_rules::mutant::active;
    let little = MemFlagsData::new().with_endianness(ir::Endianness::Little);
    match (op.decl_name.as_str(), args) {
        ("swizzle", &[x, indices]) if active("swizzle-index-unchecked") => {
            let fifteen = b.ins().iconst(types::I8, 15);
            let mask = b.ins().splat(types::I8X16, fifteen);
            let indices = b.ins().band(indices, mask);
            Some(b.ins().swizzle(x, indices))
        }
        // Wasm's narrow instructions (from 16- and 32-bit lanes; a 64-bit
        // `snarrow` is part of a conversion Cranelift matches whole).
        ("snarrow", &[x, y]) if active("narrow-wraps") && b.func.dfg.value_type(x).lane_bits() <= 32 => {
            // The low bytes of every lane of `x`, then of `y`.
            let from = b.func.dfg.value_type(x);
            let (lane_bytes, half) = (from.lane_bits() / 8, from.lane_bits() / 16);
            let mask: Vec<u8> = (0..16u32).map(|i| (i / half * lane_bytes + i % half) as u8).collect();
            let mask = b.func.dfg.immediates.push(ir::ConstantData::from(&mask[..]));
            let (x, y) = (b.ins().bitcast(types::I8X16, little, x), b.ins().bitcast(types::I8X16, little, y));
            let bytes = b.ins().shuffle(x, y, mask);
            Some(b.ins().bitcast(from.split_lanes()?, little, bytes))
        }
        ("vhigh_bits", &[x]) if active("bitmask-wrong-bit") => {
            let below_top = b.ins().ishl_imm_u(x, 1);
            Some(b.ins().vhigh_bits(clif_type(op.result), below_top))
        }
        _ => None,
    }
}

/// Operand `i` of `op` as a value, a constant emitted where it is needed.
fn value(
    b: &mut FunctionBuilder<'_>,
    op: &OpInstance,
    operands: &[Operand],
    i: usize,
) -> Result<Value, String> {
    match operands.get(i) {
        Some(Operand { value: Some(v), .. }) => Ok(*v),
        Some(Operand { konst: Some((ty, bits)), .. }) => Ok(constant(b, clif_type(*ty), *bits)),
        _ => Err(format!("{} lacks operand {i}", op.name)),
    }
}

/// The rule-language type of a Cranelift type.
fn rule_type(ty: ir::Type) -> Result<Type, String> {
    Ok(match ty {
        types::I8 => Type::I8,
        types::I16 => Type::I16,
        types::I32 => Type::I32,
        types::I64 => Type::I64,
        types::F32 => Type::F32,
        types::F64 => Type::F64,
        // A Wasm-level v128 (every vector the skeleton makes is i8x16).
        types::I8X16 => Type::V128,
        types::I16X8 => Type::I16X8,
        types::I32X4 => Type::I32X4,
        types::I64X2 => Type::I64X2,
        types::F32X4 => Type::F32X4,
        types::F64X2 => Type::F64X2,
        other => return Err(format!("no rule-language type for {other}")),
    })
}

impl Lowering for RuleLowering {
    fn resolve(&self, name: &str, operand: Option<ir::Type>) -> Option<(String, usize, ir::Type)> {
        let name = match (name, operand) {
            ("select", Some(ty)) => format!("{}.select", wasm_type_name(ty)),
            _ => name.to_string(),
        };
        let op = self.rules.op(self.rules.op_by_name(&name)?)?;
        (op.kind == OpKind::Wasm).then(|| (name, op.operands.len(), clif_type(op.result)))
    }

    fn traps(&self, name: &str) -> Vec<(String, Vec<usize>, TrapCode)> {
        let Some(op) = self.rules.op_by_name(name).and_then(|id| self.rules.op(id)) else {
            return Vec::new();
        };
        op.traps
            .iter()
            .filter_map(|(trap, operands)| {
                let trap = self.rules.op(*trap)?;
                let code = match trap.trap_code? {
                    plumb_rules::TrapCode::IntegerDivideByZero => TrapCode::INTEGER_DIVISION_BY_ZERO,
                    plumb_rules::TrapCode::IntegerOverflow => TrapCode::INTEGER_OVERFLOW,
                    plumb_rules::TrapCode::InvalidConversionToInteger => TrapCode::BAD_CONVERSION_TO_INTEGER,
                    plumb_rules::TrapCode::MemoryOutOfBounds => TrapCode::HEAP_OUT_OF_BOUNDS,
                };
                Some((trap.name.clone(), operands.clone(), code))
            })
            .collect()
    }

    fn rule_origin(&self, rewrite: &str) -> Option<(String, String)> {
        self.origins.get(rewrite).cloned()
    }

    fn lower(
        &self,
        builder: &mut FunctionBuilder<'_>,
        expr: &PureExpr,
        log: &mut LoweringLog,
    ) -> Result<Value, String> {
        if let PureExpr::Value(v, _) = expr {
            return Ok(*v);
        }
        let mut term = RecExpr::default();
        let mut leaves = Vec::new();
        self.expr(expr, &mut term, &mut leaves, &mut HashMap::new())?;
        let owner = self as *const RuleLowering as usize;
        let lowered = memo::memoised(owner, &term, log, |term, log| self.lower_term(term, log))?;
        if let [Node::Const { .. }] = lowered.as_ref() {
            for node in term.as_ref() {
                if let Node::Op { name, .. } = node {
                    log.folded.push(name.to_string());
                }
            }
        }
        emit_lowered(builder, &self.rules, &lowered, &leaves)
    }
}

/// A constant leaf.
fn constant(builder: &mut FunctionBuilder<'_>, ty: ir::Type, bits: u128) -> Value {
    match ty {
        types::F32 => builder.ins().f32const(ir::immediates::Ieee32::with_bits(bits as u32)),
        types::F64 => builder.ins().f64const(ir::immediates::Ieee64::with_bits(bits as u64)),
        ty if ty.is_vector() => {
            let data = ir::ConstantData::from(&bits.to_le_bytes()[..]);
            let handle = builder.func.dfg.constants.insert(data);
            builder.ins().vconst(ty, handle)
        }
        ty => builder.ins().iconst(ty, bits as u64 as i64),
    }
}

#[cfg(test)]
mod tests {
    use plumb_rules::{OpKind, RuleSet};

    use super::RuleLowering;
    use crate::compile::compile_module;
    use crate::module_info::decode;

    /// The Wasm text of a function applying operator `name` (a rule-set
    /// name) to its parameters; a lane-index operand (`i8`) becomes the
    /// immediate lane 1, a shuffle mask the immediate 0, 17, 2, 19, ...
    fn function_using(rules: &RuleSet, name: &str) -> Option<String> {
        use plumb_rules::Type;
        let op = rules.op(rules.op_by_name(name)?)?;
        let wasm = |t: Type| match t {
            Type::I32 => Some("i32"),
            Type::I64 => Some("i64"),
            Type::F32 => Some("f32"),
            Type::F64 => Some("f64"),
            Type::V128 => Some("v128"),
            _ => None,
        };
        let mut operands = op.operands.clone();
        let mut immediate = String::new();
        if name == "i8x16.shuffle" {
            operands.pop();
            immediate = (0..16)
                .map(|i| (if i % 2 == 0 { i } else { 16 + i }).to_string())
                .collect::<Vec<_>>()
                .join(" ");
        } else if let Some(lane) = operands.iter().position(|&t| t == Type::I8) {
            operands.remove(lane);
            immediate = "1".to_string();
        }
        let params = operands.iter().map(|&t| wasm(t)).collect::<Option<Vec<_>>>()?;
        let gets: Vec<String> = (0..params.len()).map(|i| format!("local.get {i}")).collect();
        let text_name = if name.ends_with(".select") { "select" } else { name };
        Some(format!(
            "(module (func (param {}) (result {}) {} {text_name} {immediate}))",
            params.join(" "),
            wasm(op.result)?,
            gets.join(" ")
        ))
    }

    /// The translator has no way of its own to emit CLIF for a pure
    /// operator: with a rule set that declares every operator but holds no
    /// rules, every function using one fails to compile, naming the term.
    #[test]
    fn without_rules_no_pure_operator_can_be_compiled() {
        let builtin = RuleSet::builtin().expect("the built-in rules load");
        // ops.isle and simd_ops.isle: every operator, no rule.
        let ops_only =
            RuleSet::from_files(&plumb_rules::BUILTIN_FILES[..2]).expect("the declarations load alone");
        assert!(ops_only.rule_instances().is_empty());
        let without = RuleLowering::with_rules(ops_only);
        let with = RuleLowering::with_rules(builtin.clone());
        let isa = cranelift_native::builder()
            .expect("host")
            .finish(cranelift_codegen::settings::Flags::new(cranelift_codegen::settings::builder()))
            .expect("isa");
        let mut checked = 0;
        for op in builtin.ops().iter().filter(|o| o.kind == OpKind::Wasm) {
            let Some(text) = function_using(&builtin, &op.name) else { continue };
            let bytes = wat::parse_str(&text).expect("valid text");
            let (info, bodies) = decode(&bytes).expect("decodes");
            let err = compile_module([&isa, &isa], &info, &bodies, &without, Default::default())
                .err()
                .expect("must not compile without rules");
            assert!(err.to_string().contains("no lowering rule applies"), "{}: {err}", op.name);
            compile_module([&isa, &isa], &info, &bodies, &with, Default::default())
                .unwrap_or_else(|e| panic!("{}: {e}", op.name));
            checked += 1;
        }
        // 121 scalar and 213 SIMD operators.
        assert!(checked >= 330, "only {checked} Wasm operators checked");
    }
}
