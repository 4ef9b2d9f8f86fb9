//! A third opinion: CLIF that the rules produced, run on Cranelift's own
//! interpreter (`cranelift-interpreter`), which shares no code with the
//! rule set's evaluator, the reference interpreter or the machine-code
//! backend.
//!
//! The term is emitted as a stand-alone function by the engine's own
//! emitter ([`plumb::clif_function`]), checked by Cranelift's IR verifier
//! and interpreted on the inputs.
//!
//! NaNs: CLIF leaves the payload of a NaN result open and
//! `cranelift-interpreter` returns a NaN operand of `fmin`/`fmax`
//! unchanged (a signalling one too), where WebAssembly and the machine
//! code quiet it. So a quiet NaN the evaluator computes is matched by any
//! NaN here; every other value, signalling NaNs included (only bit-exact
//! operators make those), must match bit for bit.
//!
//! `avg_round`: `cranelift-interpreter` 0.135 does not implement it (it
//! panics with "not implemented"). Before interpreting, each `avg_round x,
//! y` becomes `(x | y) - ((x ^ y) >> 1)` (logical shift), the rounding
//! average without overflow: `x + y = 2(x & y) + (x ^ y)` and `x | y = (x &
//! y) + (x ^ y)`, so the formula is `(x & y) + ceil((x ^ y) / 2)`, which is
//! `ceil((x + y) / 2)`. (Found when `op_specs` gained SIMD.)
//!
//! `srem`: Cranelift documents `srem` as trapping only on a zero divisor,
//! and its backends compute `srem MIN, -1 = 0` (what WebAssembly's
//! `rem_s` wants, and what Plumb's rule `lower_rem_s` relies on), but
//! `cranelift-interpreter` 0.135 traps there with an integer overflow.
//! Before interpreting, each `srem x, y` becomes `srem x, (y == -1 ? 1 :
//! y)`: equal for every input by `x rem -1 = x rem 1 = 0`, and without the
//! interpreter's extra trap. (Found by this oracle on its first run.)

use cranelift_codegen::cursor::{Cursor, FuncCursor};
use cranelift_codegen::data_value::DataValue;
use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::immediates::{Ieee32, Ieee64};
use cranelift_codegen::ir::{Function, Inst, InstBuilder, Opcode, TrapCode, Value};
use cranelift_codegen::settings;
use cranelift_interpreter::environment::FunctionStore;
use cranelift_interpreter::interpreter::{Interpreter, InterpreterState};
use cranelift_interpreter::step::{ControlFlow, CraneliftTrap};
use egg::RecExpr;
use plumb_rules::egraph::Node;
use plumb_rules::{RuleSet, Type};

/// Instructions one term may execute (a term has no loops; this only
/// guards against a broken interpreter state).
const FUEL: u64 = 10_000;

/// How a CLIF function ended on the interpreter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// It returned these bits (a vector as its 128 bits, lane 0 lowest).
    Value(u128),
    /// It trapped with this Cranelift trap code.
    Trap(TrapCode),
}

/// The types of the `Arg` leaves of `expr`, by index (an index the term
/// does not use gets `i32`: the parameter is there but never read).
pub fn arg_types(expr: &RecExpr<Node>) -> Vec<Type> {
    let mut types = Vec::new();
    for node in expr.as_ref() {
        if let Node::Arg { index, ty } = *node {
            let i = index as usize;
            if types.len() <= i {
                types.resize(i + 1, Type::I32);
            }
            types[i] = ty;
        }
    }
    types
}

/// `lowered` (CLIF-only) as a function of parameters `params`, verified
/// by Cranelift's IR verifier. Panics (a bug found) if the engine's
/// emitter cannot emit it or emits invalid CLIF.
pub fn function(rules: &RuleSet, lowered: &RecExpr<Node>, params: &[Type]) -> Function {
    let func = match plumb::clif_function(rules, lowered, params) {
        Ok(func) => func,
        Err(e) => panic!("the engine cannot emit {lowered} as CLIF: {e}"),
    };
    let flags = settings::Flags::new(settings::builder());
    if let Err(errors) = cranelift_codegen::verify_function(&func, &flags) {
        panic!("{lowered} lowers to invalid CLIF:\n{errors}\n{}", func.display());
    }
    let mut func = func;
    srem_by_minus_one_as_by_one(&mut func);
    avg_round_as_or_minus_half_xor(&mut func);
    func
}

/// Calls `rewrite` with the cursor at each instruction of `func` with
/// opcode `opcode` and two arguments, and those arguments.
fn rewrite_each(
    func: &mut Function,
    opcode: Opcode,
    mut rewrite: impl FnMut(&mut FuncCursor<'_>, Inst, [Value; 2]),
) {
    let mut pos = FuncCursor::new(func);
    while pos.next_block().is_some() {
        while let Some(inst) = pos.next_inst() {
            if pos.func.dfg.insts[inst].opcode() != opcode {
                continue;
            }
            let &[x, y] = pos.func.dfg.inst_args(inst) else { continue };
            rewrite(&mut pos, inst, [x, y]);
        }
    }
}

/// Rewrites every `srem x, y` of `func` to `srem x, (y == -1 ? 1 : y)`
/// (see the module docs).
fn srem_by_minus_one_as_by_one(func: &mut Function) {
    rewrite_each(func, Opcode::Srem, |pos, inst, [_, y]| {
        let ty = pos.func.dfg.value_type(y);
        let mask = u64::MAX >> (64 - ty.bits());
        let minus_one = pos.ins().iconst(ty, mask as i64);
        let is_minus_one = pos.ins().icmp(IntCC::Equal, y, minus_one);
        let one = pos.ins().iconst(ty, 1);
        let divisor = pos.ins().select(is_minus_one, one, y);
        pos.func.dfg.inst_args_mut(inst)[1] = divisor;
    });
}

/// Rewrites every `avg_round x, y` of `func` to `(x | y) - ((x ^ y) >> 1)`
/// (see the module docs).
fn avg_round_as_or_minus_half_xor(func: &mut Function) {
    rewrite_each(func, Opcode::AvgRound, |pos, inst, [x, y]| {
        let either = pos.ins().bor(x, y);
        let differ = pos.ins().bxor(x, y);
        let half = pos.ins().ushr_imm_u(differ, 1);
        pos.func.replace(inst).isub(either, half);
    });
}

/// Runs `func` on `args` (bits, one per parameter).
pub fn run(func: &Function, args: &[u128]) -> Outcome {
    let args: Vec<DataValue> = func
        .signature
        .params
        .iter()
        .zip(args)
        .map(|(param, &bits)| data_value(param.value_type, bits))
        .collect();
    let state = InterpreterState::default().with_function_store(FunctionStore::from(func));
    let mut interpreter = Interpreter::new(state).with_fuel(Some(FUEL));
    let name = func.name.to_string();
    match interpreter.call_by_name(&name, &args) {
        Ok(ControlFlow::Return(values)) => match values.as_slice() {
            [value] => Outcome::Value(bits(value)),
            other => panic!("{name} returned {} values on cranelift-interpreter", other.len()),
        },
        Ok(ControlFlow::Trap(CraneliftTrap::User(code))) => Outcome::Trap(code),
        Ok(other) => panic!("{name} ended with {other:?} on cranelift-interpreter\n{}", func.display()),
        Err(e) => panic!("cranelift-interpreter failed on {name}: {e}\n{}", func.display()),
    }
}

/// Whether `got` (from this interpreter) matches `want` (the evaluator's
/// bits) for a result of type `ty`, NaNs as the module docs say. A vector
/// is compared as lanes of `float_lanes` bits where its lanes are floats
/// (32 or 64; a quiet NaN lane matched by any NaN lane), bit for bit
/// otherwise.
pub fn agrees(ty: Type, float_lanes: Option<u32>, want: u128, got: u128) -> bool {
    let bits = match ty {
        Type::F32 => 32,
        Type::F64 => 64,
        _ if ty.is_vector() => match float_lanes {
            Some(bits @ (32 | 64)) => bits,
            _ => return want == got,
        },
        _ => return want == got,
    };
    let lanes = if ty.is_vector() { 128 / bits } else { 1 };
    let lane = |v: u128, i: u32| (v >> (i * bits)) as u64 & (u64::MAX >> (64 - bits));
    let nan =
        |x: u64| if bits == 32 { f32::from_bits(x as u32).is_nan() } else { f64::from_bits(x).is_nan() };
    let quiet = |x: u64| x & (1 << if bits == 32 { 22 } else { 51 }) != 0;
    (0..lanes).all(|i| {
        let (w, g) = (lane(want, i), lane(got, i));
        g == w || (nan(w) && quiet(w) && nan(g))
    })
}

fn data_value(ty: cranelift_codegen::ir::Type, bits: u128) -> DataValue {
    use cranelift_codegen::ir::types;
    if ty.is_vector() {
        return DataValue::V128(bits.to_le_bytes());
    }
    let bits = bits as u64;
    match ty {
        types::I8 => DataValue::I8(bits as i8),
        types::I16 => DataValue::I16(bits as i16),
        types::I32 => DataValue::I32(bits as i32),
        types::F32 => DataValue::F32(Ieee32::with_bits(bits as u32)),
        types::F64 => DataValue::F64(Ieee64::with_bits(bits)),
        _ => DataValue::I64(bits as i64),
    }
}

fn bits(value: &DataValue) -> u128 {
    match *value {
        DataValue::I8(v) => u128::from(v as u8),
        DataValue::I16(v) => u128::from(v as u16),
        DataValue::I32(v) => u128::from(v as u32),
        DataValue::I64(v) => u128::from(v as u64),
        DataValue::F32(v) => u128::from(v.bits()),
        DataValue::F64(v) => u128::from(v.bits()),
        DataValue::V128(bytes) => u128::from_le_bytes(bytes),
        ref other => panic!("cranelift-interpreter returned {other:?}, not a value of the rule language"),
    }
}
