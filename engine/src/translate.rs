//! Translation of one Wasm function into Cranelift IR.
//!
//! The function becomes a *side-effect skeleton* — blocks, branches, loads,
//! stores, calls, traps, table and memory operations — built directly with
//! `cranelift-frontend`, while every pure operator becomes a node of a
//! [`PureExpr`] term. A term is lowered only when a side effect needs its
//! value, and only through the rules (see [`crate::midend`]): this module has
//! no code path that emits CLIF for a pure Wasm operator.
//!
//! Operators that are pure on part of their domain and trap elsewhere
//! (division, remainder, float-to-int truncation) are split: the trap
//! condition is a term lowered and checked at once, in program order; the
//! value is a term like any other.

use std::rc::Rc;

use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{
    self, AbiParam, BlockArg, InstBuilder, JumpTableData, MemFlagsData, Signature, TrapCode, Value, types,
};
use cranelift_codegen::isa::CallConv;
use cranelift_frontend::{FunctionBuilder, Variable};
use wasmparser::{BlockType, FunctionBody, Operator};

use crate::engine::Instrumentation;
use crate::midend::{Lowering, LoweringLog};
use crate::module_info::ModuleInfo;
use crate::pure::{MAX_TERM_NODES, PureExpr, pure_operator};
use crate::runtime::libcalls::Libcall;
use crate::trap;
use crate::types::{FuncType, ValType};
use crate::vm;
use plumb_rules::mutant;

mod exceptions;
mod instrument;
mod simd;

/// What a libcall returns (see `runtime::libcalls`).
#[derive(Clone, Copy)]
enum LibcallRet {
    /// Nothing: it cannot trap.
    Nothing,
    /// A 32-bit status, nonzero when it raised a trap.
    Status,
    /// A 32-bit value in the low half, a status in the high half.
    ValueOrStatus,
    /// A value of this type: it cannot trap.
    Value(types::Type),
}

/// Cranelift trap codes for the traps Cranelift has no code of its own for.
pub(crate) mod user_trap {
    use cranelift_codegen::ir::TrapCode;

    /// `unreachable`.
    pub const UNREACHABLE: u8 = 1;
    /// `call_indirect` index past the table.
    pub const UNDEFINED_ELEMENT: u8 = 2;
    /// `call_indirect` through null.
    pub const NULL_ELEMENT: u8 = 3;
    /// `call_indirect` type mismatch.
    pub const BAD_SIGNATURE: u8 = 4;
    /// Fuel ran out.
    pub const OUT_OF_FUEL: u8 = 5;
    /// The epoch deadline passed.
    pub const INTERRUPT: u8 = 6;
    /// A libcall or host function failed: its trampoline or call site traps
    /// with this, and the trap it raised waits in `libcalls::RAISED`.
    pub const RAISED: u8 = 7;
    /// `table.get`/`table.set` index past the table.
    pub const TABLE_OUT_OF_BOUNDS: u8 = 8;
    /// `ref.as_non_null` of null.
    pub const NULL_REFERENCE: u8 = 9;
    /// `call_ref` of null.
    pub const NULL_FUNCTION_REFERENCE: u8 = 10;
    /// `throw_ref` of null.
    pub const NULL_EXCEPTION_REFERENCE: u8 = 11;

    pub(crate) fn code(n: u8) -> TrapCode {
        TrapCode::user(n).unwrap_or(TrapCode::STACK_OVERFLOW)
    }
}

/// Maps a Cranelift trap code back to the engine's.
pub(crate) fn trap_code(code: TrapCode) -> Option<trap::TrapCode> {
    use trap::TrapCode as T;
    Some(match code {
        TrapCode::STACK_OVERFLOW => T::StackOverflow,
        TrapCode::HEAP_OUT_OF_BOUNDS => T::MemoryOutOfBounds,
        TrapCode::INTEGER_OVERFLOW => T::IntegerOverflow,
        TrapCode::INTEGER_DIVISION_BY_ZERO => T::IntegerDivisionByZero,
        TrapCode::BAD_CONVERSION_TO_INTEGER => T::BadConversionToInteger,
        c if c == user_trap::code(user_trap::UNREACHABLE) => T::UnreachableCodeReached,
        c if c == user_trap::code(user_trap::UNDEFINED_ELEMENT) => T::UndefinedElement,
        c if c == user_trap::code(user_trap::NULL_ELEMENT) => T::IndirectCallToNull,
        c if c == user_trap::code(user_trap::BAD_SIGNATURE) => T::BadSignature,
        c if c == user_trap::code(user_trap::OUT_OF_FUEL) => T::OutOfFuel,
        c if c == user_trap::code(user_trap::INTERRUPT) => T::Interrupt,
        c if c == user_trap::code(user_trap::RAISED) => T::HostError,
        c if c == user_trap::code(user_trap::TABLE_OUT_OF_BOUNDS) => T::TableOutOfBounds,
        c if c == user_trap::code(user_trap::NULL_REFERENCE) => T::NullReference,
        c if c == user_trap::code(user_trap::NULL_FUNCTION_REFERENCE) => T::NullFunctionReference,
        c if c == user_trap::code(user_trap::NULL_EXCEPTION_REFERENCE) => T::NullExceptionReference,
        _ => return None,
    })
}

/// The calling convention of Wasm functions (and of the host trampolines
/// Wasm calls): Cranelift's `tail`, the one `return_call` needs, so that a
/// tail call reuses its caller's frame. Libcalls and the host's entry into
/// a trampoline use the platform's.
pub(crate) const WASM_CALL_CONV: CallConv = CallConv::Tail;

/// The id of the alias region of linear-memory accesses (every memory's
/// one region), unique within a function (no function is inlined).
const HEAP_ALIAS_REGION: u32 = 1;

/// The Cranelift signature of a Wasm function of type `ty`: the callee's
/// context, the caller's context (null when the host calls), then the Wasm
/// parameters. Host functions read the caller's context to know the calling
/// instance ([`crate::Caller::get_export`]); Wasm functions ignore it.
pub(crate) fn wasm_signature(ty: &FuncType) -> Signature {
    let mut sig = Signature::new(WASM_CALL_CONV);
    sig.params.push(AbiParam::special(types::I64, ir::ArgumentPurpose::VMContext));
    sig.params.push(AbiParam::new(types::I64));
    sig.params.extend(ty.params().iter().map(|t| AbiParam::new(t.clif())));
    sig.returns.extend(ty.results().iter().map(|t| AbiParam::new(t.clif())));
    sig
}

/// A value on the Wasm operand stack: already in a Cranelift value, or a
/// pure term not lowered yet.
#[derive(Debug, Clone)]
enum Operand {
    Value(Value),
    Pure(Rc<PureExpr>),
}

impl Operand {
    /// Its size as part of a term: a value becomes a one-node leaf.
    fn nodes(&self) -> u32 {
        match self {
            Operand::Pure(e) => e.nodes(),
            Operand::Value(_) => 1,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FrameKind {
    Block,
    Loop,
    /// An `if`; `else_block` is where the false edge goes.
    If {
        else_block: ir::Block,
        has_else: bool,
        head_reachable: bool,
    },
    /// A `try_table`: a block with catch clauses.
    TryTable,
}

/// An open `block`, `loop`, `if` or `try_table` (or the function body
/// itself).
#[derive(Debug, Clone)]
struct ControlFrame {
    kind: FrameKind,
    /// Where the construct continues after its `end`; its parameters are
    /// the results.
    dest: ir::Block,
    /// For loops, the header a branch jumps back to.
    header: Option<ir::Block>,
    params: Vec<ValType>,
    results: Vec<ValType>,
    /// Operand stack height below the parameters.
    height: usize,
    /// Whether anything branches to `dest`.
    dest_used: bool,
    /// A `try_table`'s clauses.
    catches: Vec<wasmparser::Catch>,
    /// A `try_table`'s handler, once something in it may throw.
    handler: Option<ir::Block>,
}

impl ControlFrame {
    /// The block a branch to this frame jumps to, and the types it carries.
    fn branch_target(&self) -> (ir::Block, &[ValType]) {
        match self.header {
            Some(header) => (header, &self.params),
            None => (self.dest, &self.results),
        }
    }
}

/// Translates one function body.
pub(crate) struct FuncTranslator<'a> {
    module: &'a ModuleInfo,
    lowering: &'a dyn Lowering,
    /// The platform's calling convention, for libcalls.
    host_call_conv: CallConv,
    builder: FunctionBuilder<'a>,
    vmctx: Value,
    locals: Vec<(Variable, ValType)>,
    stack: Vec<Operand>,
    control: Vec<ControlFrame>,
    log: LoweringLog,
    /// Nesting depth of constructs opened inside unreachable code.
    unreachable_depth: usize,
    reachable: bool,
    /// The fuel and epoch checks to compile in.
    instrumentation: Instrumentation,
    /// The run of operators being charged for (with fuel).
    run: instrument::Run,
    /// The callee of each defined function called directly so far.
    direct: std::collections::HashMap<u32, ir::FuncRef>,
    /// Where an exception no `try_table` of the function catches goes,
    /// once something may throw one (see `exceptions`).
    unwind: Option<ir::Block>,
}

type TResult<T> = Result<T, String>;

impl<'a> FuncTranslator<'a> {
    /// Translates the body of function `func_index` (of type `ty`) into the
    /// function under `builder`.
    pub(crate) fn translate(
        module: &'a ModuleInfo,
        lowering: &'a dyn Lowering,
        frontend_config: cranelift_codegen::isa::TargetFrontendConfig,
        mut builder: FunctionBuilder<'a>,
        ty: &FuncType,
        body: &FunctionBody<'_>,
        instrumentation: Instrumentation,
    ) -> TResult<LoweringLog> {
        let call_conv = frontend_config.default_call_conv;
        let entry = builder.create_block();
        builder.append_block_params_for_function_params(entry);
        builder.switch_to_block(entry);
        builder.seal_block(entry);
        let params = builder.block_params(entry).to_vec();
        let vmctx = params[0];

        // The stack limit check in every prologue: vmctx->limits->stack_limit.
        let readonly = builder.func.dfg.mem_flags.insert_unchecked(MemFlagsData::trusted().with_readonly());
        let trusted = builder.func.dfg.mem_flags.insert_unchecked(MemFlagsData::trusted());
        let limits = builder.create_global_value(ir::GlobalValueData::VMContext);
        let limits = builder.create_global_value(ir::GlobalValueData::Load {
            base: limits,
            offset: vm::vmctx::LIMITS.into(),
            global_type: types::I64,
            flags: readonly,
        });
        let stack_limit = builder.create_global_value(ir::GlobalValueData::Load {
            base: limits,
            offset: 0.into(),
            global_type: types::I64,
            flags: trusted,
        });
        if !mutant::active("stack-limit-check-dropped") {
            builder.func.stack_limit = Some(stack_limit);
        }

        let mut locals = Vec::new();
        for (i, &t) in ty.params().iter().enumerate() {
            let var = builder.declare_var(t.clif());
            builder.def_var(var, params[i + 2]);
            locals.push((var, t));
        }
        let mut reader = body.get_locals_reader().map_err(|e| e.to_string())?;
        for _ in 0..reader.get_count() {
            let (count, t) = reader.read().map_err(|e| e.to_string())?;
            let t = ValType::from_wasmparser(t).ok_or("unsupported local type")?;
            for _ in 0..count {
                let var = builder.declare_var(t.clif());
                let zero = zero(&mut builder, t);
                builder.def_var(var, zero);
                locals.push((var, t));
            }
        }

        let exit = builder.create_block();
        for t in ty.results() {
            builder.append_block_param(exit, t.clif());
        }
        let mut this = FuncTranslator {
            module,
            lowering,
            host_call_conv: call_conv,
            builder,
            vmctx,
            locals,
            stack: Vec::new(),
            log: LoweringLog::default(),
            control: vec![ControlFrame {
                kind: FrameKind::Block,
                dest: exit,
                header: None,
                params: Vec::new(),
                results: ty.results().to_vec(),
                height: 0,
                dest_used: false,
                catches: Vec::new(),
                handler: None,
            }],
            unreachable_depth: 0,
            reachable: true,
            instrumentation,
            run: instrument::Run::default(),
            direct: std::collections::HashMap::new(),
            unwind: None,
        };
        if instrumentation.epochs {
            this.epoch_check();
        }
        let mut ops = body.get_operators_reader().map_err(|e| e.to_string())?;
        while !ops.eof() {
            let (op, offset) = ops.read_with_offset().map_err(|e| e.to_string())?;
            // The module offset of the operator, for backtraces.
            this.builder.set_srcloc(ir::SourceLoc::new(u32::try_from(offset).unwrap_or(u32::MAX)));
            this.operator(&op)?;
        }
        // The final `end` switched to `exit` when it is reachable.
        if this.reachable {
            let results = this.builder.block_params(exit).to_vec();
            this.builder.ins().return_(&results);
        }
        this.emit_unwind(ty.results());
        this.builder.seal_all_blocks();
        this.builder.finalize(frontend_config);
        Ok(this.log)
    }

    fn pop(&mut self) -> TResult<Operand> {
        self.stack.pop().ok_or_else(|| "operand stack underflow".to_string())
    }

    fn pop_value(&mut self) -> TResult<Value> {
        let operand = self.pop()?;
        self.materialize(operand)
    }

    /// Pops a branch condition. A comparison arrives as `uextend.i32` of
    /// an `i8` flag; branching on the flag itself is the same test (the
    /// extension preserves zero-ness) without the extension.
    fn pop_condition(&mut self) -> TResult<Value> {
        let value = self.pop_value()?;
        let dfg = &self.builder.func.dfg;
        if let ir::ValueDef::Result(inst, _) = dfg.value_def(value)
            && let ir::InstructionData::Unary { opcode: ir::Opcode::Uextend, arg } = dfg.insts[inst]
            && dfg.value_type(arg) == types::I8
        {
            return Ok(arg);
        }
        Ok(value)
    }

    /// Pops `n` operands and returns their values, deepest first.
    fn pop_values(&mut self, n: usize) -> TResult<Vec<Value>> {
        let at = self.stack.len().checked_sub(n).ok_or("operand stack underflow")?;
        let operands = self.stack.split_off(at);
        operands.into_iter().map(|o| self.materialize(o)).collect()
    }

    fn push(&mut self, value: Value) {
        self.stack.push(Operand::Value(value));
    }

    fn push_pure(&mut self, expr: PureExpr) {
        self.stack.push(Operand::Pure(Rc::new(expr)));
    }

    /// The value of an operand, lowering a pure term through the rules here.
    fn materialize(&mut self, operand: Operand) -> TResult<Value> {
        match operand {
            Operand::Value(v) => Ok(v),
            Operand::Pure(expr) => self.lowering.lower(&mut self.builder, &expr, &mut self.log),
        }
    }

    /// Replaces the top `n` operands by their values (so that a branch and
    /// the fall-through can both use them) and returns those values.
    fn peek_values(&mut self, n: usize) -> TResult<Vec<Value>> {
        let values = self.pop_values(n)?;
        for &v in &values {
            self.push(v);
        }
        Ok(values)
    }

    /// Pushes the parameters of `block` (just switched to) as operands.
    fn push_block_params(&mut self, block: ir::Block) {
        for v in self.builder.block_params(block).to_vec() {
            self.push(v);
        }
    }

    /// Opens a `block`, `loop` or `if` whose operands start at `height`.
    fn open(
        &mut self,
        kind: FrameKind,
        dest: ir::Block,
        header: Option<ir::Block>,
        params: Vec<ValType>,
        results: Vec<ValType>,
        height: usize,
    ) {
        self.control.push(ControlFrame {
            kind,
            dest,
            header,
            params,
            results,
            height,
            dest_used: false,
            catches: Vec::new(),
            handler: None,
        });
    }

    fn block_type(&self, ty: BlockType) -> TResult<(Vec<ValType>, Vec<ValType>)> {
        Ok(match ty {
            BlockType::Empty => (vec![], vec![]),
            BlockType::Type(t) => {
                (vec![], vec![ValType::from_wasmparser(t).ok_or("unsupported block type")?])
            }
            BlockType::FuncType(i) => {
                let ty = self.module.types.get(i as usize).ok_or("unknown block type")?;
                (ty.params().to_vec(), ty.results().to_vec())
            }
        })
    }

    fn new_block(&mut self, types: &[ValType]) -> ir::Block {
        let block = self.builder.create_block();
        for t in types {
            self.builder.append_block_param(block, t.clif());
        }
        block
    }

    fn args(values: &[Value]) -> Vec<BlockArg> {
        values.iter().map(|&v| BlockArg::Value(v)).collect()
    }

    /// The frame `depth` levels out.
    fn frame(&mut self, depth: u32) -> TResult<&mut ControlFrame> {
        let index = self.control.len().checked_sub(1 + depth as usize).ok_or("branch depth out of range")?;
        Ok(&mut self.control[index])
    }

    /// Jumps to the frame `depth` levels out with the values it expects,
    /// leaving them on the stack.
    fn branch_args(&mut self, depth: u32) -> TResult<(ir::Block, Vec<Value>)> {
        let frame = self.frame(depth)?;
        frame.dest_used |= frame.header.is_none();
        let (block, types) = frame.branch_target();
        let n = types.len();
        let values = self.peek_values(n)?;
        Ok((block, values))
    }

    /// Branches to `block` with `values` when `condition` is non-zero, and
    /// goes on in a new block otherwise.
    fn branch_if(&mut self, condition: Value, block: ir::Block, values: &[Value]) {
        let next = self.builder.create_block();
        self.builder.ins().brif(condition, block, &Self::args(values), next, &[]);
        self.builder.seal_block(next);
        self.builder.switch_to_block(next);
    }

    /// A field of the `VMContext`. Every field a function reads is set
    /// before the instance runs and never changes (a memory's base
    /// included: each memory reserves its whole range), and the context is
    /// always valid: the load is read-only and may move (`can_move`), so
    /// Cranelift's e-graph merges repeated loads and hoists them out of
    /// loops instead of reading the field again after every store.
    fn vmctx_load(&mut self, offset: i32) -> Value {
        self.builder.ins().load(types::I64, Self::constant_field(), self.vmctx, offset)
    }

    /// The flags of a load of a pointer that never changes from a record
    /// that is always valid (see [`Self::vmctx_load`]).
    fn constant_field() -> MemFlagsData {
        MemFlagsData::trusted().with_readonly().with_can_move()
    }

    /// The address of the cell of global `index`.
    fn global_cell(&mut self, index: u32) -> Value {
        let globals = self.vmctx_load(vm::vmctx::GLOBALS);
        self.builder.ins().load(types::I64, Self::constant_field(), globals, (index * 8) as i32)
    }

    /// The `*const VMFuncRef` of function `index`.
    fn func_ref(&mut self, index: u32) -> Value {
        let funcs = self.vmctx_load(vm::vmctx::FUNCS);
        self.builder.ins().load(
            types::I64,
            MemFlagsData::trusted().with_readonly(),
            funcs,
            (index * 8) as i32,
        )
    }

    /// `call` (or, with `tail`, `return_call`) of function `index`: straight
    /// to its code when this module defines it, else through its import.
    fn call(&mut self, index: u32, tail: bool) -> TResult<()> {
        let ty = self.module.func_type(index).ok_or("unknown function")?.clone();
        if index as usize >= self.module.imported_funcs {
            self.call_defined(index, &ty, tail)
        } else {
            let func_ref = self.func_ref(index);
            self.call_func_ref(func_ref, &ty, tail)
        }
    }

    /// `call_indirect` (or, with `tail`, `return_call_indirect`).
    fn call_indirect(&mut self, type_index: u32, table: u32, tail: bool) -> TResult<()> {
        let ty = self.module.types.get(type_index as usize).ok_or("unknown type")?.clone();
        let index = self.pop_value()?;
        let func_ref = self.indirect_callee(index, type_index, table);
        self.call_func_ref(func_ref, &ty, tail)
    }

    /// `call_ref` (or, with `tail`, `return_call_ref`): null traps, and the
    /// callee's type id is compared with `type_index`'s as `call_indirect`
    /// does (validation makes it equal; the engine's types do not tell
    /// `(ref $t)` from `funcref`, so the comparison keeps a function from
    /// ever being called at another type).
    fn call_ref(&mut self, type_index: u32, tail: bool) -> TResult<()> {
        let ty = self.module.types.get(type_index as usize).ok_or("unknown type")?.clone();
        let func_ref = self.pop_value()?;
        self.builder.ins().trapz(func_ref, user_trap::code(user_trap::NULL_FUNCTION_REFERENCE));
        self.check_callee_type(func_ref, type_index);
        self.call_func_ref(func_ref, &ty, tail)
    }

    /// Traps with `indirect call type mismatch` unless the function behind
    /// `func_ref` (not null) has type `type_index`.
    fn check_callee_type(&mut self, func_ref: Value, type_index: u32) {
        let flags = MemFlagsData::trusted();
        let actual = self.builder.ins().load(types::I64, flags, func_ref, vm::funcref::TYPE_ID);
        let type_ids = self.vmctx_load(vm::vmctx::TYPE_IDS);
        let expected =
            self.builder.ins().load(types::I64, flags.with_readonly(), type_ids, (type_index * 8) as i32);
        if !mutant::active("call-indirect-type-check-dropped") {
            let mismatch = self.builder.ins().icmp(IntCC::NotEqual, actual, expected);
            self.builder.ins().trapnz(mismatch, user_trap::code(user_trap::BAD_SIGNATURE));
        }
    }

    /// Calls through a `VMFuncRef` pointer with the signature of `ty`; a
    /// tail call (`tail`) returns the callee's results itself.
    fn call_func_ref(&mut self, func_ref: Value, ty: &FuncType, tail: bool) -> TResult<()> {
        let args = self.pop_values(ty.params().len())?;
        let flags = MemFlagsData::trusted().with_readonly();
        let code = self.builder.ins().load(types::I64, flags, func_ref, vm::funcref::CODE);
        let callee_vmctx = self.builder.ins().load(types::I64, flags, func_ref, vm::funcref::VMCTX);
        let sig = self.builder.import_signature(wasm_signature(ty));
        let mut call_args = vec![callee_vmctx, self.vmctx];
        call_args.extend(args);
        if tail {
            tail_call_mutant(&mut call_args[2..], ty.params());
            self.builder.ins().return_call_indirect(sig, code, &call_args);
            self.set_unreachable();
            return Ok(());
        }
        let call = self.builder.ins().call_indirect(sig, code, &call_args);
        let results = self.builder.inst_results(call).to_vec();
        self.exception_check();
        for r in results {
            self.push(r);
        }
        Ok(())
    }

    /// Calls function `index`, defined in this module, straight at its code
    /// (a PC-relative call that `compile::place` resolves once every
    /// function is laid out) with this instance's context as the callee's;
    /// a tail call (`tail`) returns the callee's results itself.
    fn call_defined(&mut self, index: u32, ty: &FuncType, tail: bool) -> TResult<()> {
        let args = self.pop_values(ty.params().len())?;
        let callee = match self.direct.get(&index) {
            Some(&callee) => callee,
            None => {
                let sig = self.builder.import_signature(wasm_signature(ty));
                let name =
                    self.builder.func.declare_imported_user_function(ir::UserExternalName::new(0, index));
                let callee = self.builder.import_function(ir::ExtFuncData {
                    name: ir::ExternalName::user(name),
                    signature: sig,
                    colocated: true,
                    patchable: false,
                });
                *self.direct.entry(index).or_insert(callee)
            }
        };
        let mut call_args = vec![self.vmctx, self.vmctx];
        call_args.extend(args);
        if tail {
            tail_call_mutant(&mut call_args[2..], ty.params());
            self.builder.ins().return_call(callee, &call_args);
            self.set_unreachable();
            return Ok(());
        }
        let call = self.builder.ins().call(callee, &call_args);
        let results = self.builder.inst_results(call).to_vec();
        // A callee that cannot throw (nothing it calls can) needs no test.
        if self.module.may_throw.get(index as usize).copied().unwrap_or(true) {
            self.exception_check();
        }
        for r in results {
            self.push(r);
        }
        Ok(())
    }

    /// Calls a runtime function: `vmctx` first, then `args`. A libcall that
    /// can trap returns a status (see `runtime::libcalls`), and the call
    /// site traps on failure, so the trap is raised in this function's
    /// frame and has its backtrace.
    fn libcall(
        &mut self,
        libcall: Libcall,
        args: &[Value],
        params: &[types::Type],
        ret: LibcallRet,
    ) -> Value {
        let mut sig = Signature::new(self.host_call_conv);
        sig.params.push(AbiParam::new(types::I64));
        sig.params.extend(params.iter().map(|&t| AbiParam::new(t)));
        match ret {
            LibcallRet::Nothing => {}
            LibcallRet::Value(t) => sig.returns.push(AbiParam::new(t)),
            LibcallRet::Status => sig.returns.push(AbiParam::new(types::I32)),
            LibcallRet::ValueOrStatus => sig.returns.push(AbiParam::new(types::I64)),
        }
        let sig = self.builder.import_signature(sig);
        // Its address comes from the store's table, not from the code: code
        // holds no absolute address, so it can be saved and loaded again
        // (`Module::serialize`) in a process where the libcalls moved.
        let limits = self.vmctx_load(vm::vmctx::LIMITS);
        let offset = vm::limits::LIBCALLS + 8 * libcall as i32;
        let callee =
            self.builder.ins().load(types::I64, MemFlagsData::trusted().with_readonly(), limits, offset);
        let mut call_args = vec![self.vmctx];
        call_args.extend_from_slice(args);
        let call = self.builder.ins().call_indirect(sig, callee, &call_args);
        let raised = user_trap::code(user_trap::RAISED);
        match ret {
            LibcallRet::Nothing => self.builder.ins().iconst(types::I32, 0),
            LibcallRet::Value(_) => self.builder.inst_results(call)[0],
            LibcallRet::Status => {
                let status = self.builder.inst_results(call)[0];
                self.builder.ins().trapnz(status, raised);
                status
            }
            LibcallRet::ValueOrStatus => {
                let both = self.builder.inst_results(call)[0];
                let status = self.builder.ins().ushr_imm_u(both, 32);
                self.builder.ins().trapnz(status, raised);
                self.builder.ins().ireduce(types::I32, both)
            }
        }
    }

    /// The address of element `index` of `table`, after a bounds check that
    /// traps with `code`.
    fn table_slot(&mut self, table: u32, index: Value, code: u8) -> Value {
        let flags = MemFlagsData::trusted();
        let table_index = table;
        let table = self.table_record(table);
        let len = self.builder.ins().load(types::I64, flags, table, vm::table::LEN);
        let index = if self.table64(table_index) {
            // No table is longer than `MAX_TABLE_ELEMENTS` < 2^32: a 64-bit
            // index with any of its upper 32 bits set is out of bounds, and
            // one without is its low 32 bits zero-extended. Checking and
            // addressing with that value, as for a 32-bit table, keeps
            // Cranelift from rewriting the element's offset into a value
            // other than the one compared (`(x << 25) << 3` into `x << 28`),
            // which the machine-code checker could not relate to the check.
            let high = self.builder.ins().ushr_imm_u(index, 32);
            self.builder.ins().trapnz(high, user_trap::code(code));
            let low = self.builder.ins().ireduce(types::I32, index);
            self.builder.ins().uextend(types::I64, low)
        } else {
            self.builder.ins().uextend(types::I64, index)
        };
        let cc = if mutant::active("table-bound-off-by-one") {
            IntCC::UnsignedGreaterThan
        } else {
            IntCC::UnsignedGreaterThanOrEqual
        };
        let out_of_bounds = self.builder.ins().icmp(cc, index, len);
        self.builder.ins().trapnz(out_of_bounds, user_trap::code(code));
        let elems = self.builder.ins().load(types::I64, flags, table, vm::table::ELEMS);
        let offset = self.builder.ins().ishl_imm_u(index, 3);
        self.builder.ins().iadd(elems, offset)
    }

    /// Whether table `index` has `i64` indices (table64).
    fn table64(&self, index: u32) -> bool {
        self.module.table64.get(index as usize).copied().unwrap_or(false)
    }

    /// An index or length operand of table `table` as an `i64`
    /// (zero-extended for a 32-bit table).
    fn index_operand(&mut self, table: u32, value: Value) -> Value {
        if self.table64(table) { value } else { self.builder.ins().uextend(types::I64, value) }
    }

    /// The `VMTable` of `table`.
    fn table_record(&mut self, table: u32) -> Value {
        let tables = self.vmctx_load(vm::vmctx::TABLES);
        let flags = MemFlagsData::trusted().with_readonly();
        self.builder.ins().load(types::I64, flags, tables, (table * 8) as i32)
    }

    /// The memory a memory instruction's immediate names.
    fn memory_index(memarg: &wasmparser::MemArg) -> TResult<u32> {
        match memarg.target {
            wasmparser::MemArgTarget::Memory(index) => Ok(index),
            wasmparser::MemArgTarget::Array(_) => Err("memory access to a GC array".to_string()),
        }
    }

    /// The `VMMemory` record of memory `index`.
    fn memory_record(&mut self, index: u32) -> Value {
        if index == 0 {
            return self.vmctx_load(vm::vmctx::MEMORY);
        }
        let memories = self.vmctx_load(vm::vmctx::MEMORIES);
        self.builder.ins().load(types::I64, Self::constant_field(), memories, (index * 8) as i32)
    }

    /// The base of memory `index`: it never moves (each memory reserves
    /// its whole range), so the loads are read-only.
    fn memory_base(&mut self, index: u32) -> Value {
        if index == 0 || mutant::active("memory-index-ignored") {
            return self.vmctx_load(vm::vmctx::MEMORY_BASE);
        }
        let record = self.memory_record(index);
        self.builder.ins().load(types::I64, Self::constant_field(), record, vm::MEMORY_BASE)
    }

    /// Whether memory `index` has `i64` addresses (memory64).
    fn memory64(&self, index: u32) -> bool {
        self.module.memory64.get(index as usize).copied().unwrap_or(false)
    }

    /// An address or length operand of memory `index` as the `i64` the
    /// memory libcalls take (zero-extended for a 32-bit memory).
    fn address_operand(&mut self, index: u32, value: Value) -> Value {
        if self.memory64(index) { value } else { self.builder.ins().uextend(types::I64, value) }
    }

    /// The bounds check of an access of `size` bytes at `index + offset`
    /// in 64-bit memory `memory`: `heap_oob` from the rule set, lowered by
    /// its proved rule, then `trapnz`. Returns the index as the low 32 bits
    /// of the checked one, zero-extended: every 64-bit memory is at most
    /// 4 GiB, so an index that passed the check is below 2^32 and this is
    /// the same value, and were the check ever wrong the access would still
    /// land in the memory's 8 GiB reservation, as the machine-code checker
    /// proves without modelling the check.
    fn heap_check64(&mut self, memory: u32, index: Value, offset: u64, size: u64) -> TResult<Value> {
        // An end past 2^64 - 1 cannot be in bounds of a memory of at most
        // 4 GiB; `u64::MAX` then stands for it (the check still fails).
        let end = offset.saturating_add(size);
        let record = self.memory_record(memory);
        let len = self.builder.ins().load(types::I64, MemFlagsData::trusted(), record, vm::MEMORY_LEN);
        let checked = if mutant::active("memory64-index-truncated-before-check") {
            let low = self.builder.ins().ireduce(types::I32, index);
            self.builder.ins().uextend(types::I64, low)
        } else {
            index
        };
        let check = PureExpr::op(
            "heap_oob".to_string(),
            vec![
                Rc::new(self.leaf(checked)),
                Rc::new(PureExpr::Const(types::I64, u128::from(end))),
                Rc::new(self.leaf(len)),
            ],
            types::I8,
        );
        let out = self.lowering.lower(&mut self.builder, &check, &mut self.log)?;
        self.builder.ins().trapnz(out, TrapCode::HEAP_OUT_OF_BOUNDS);
        let low = self.builder.ins().ireduce(types::I32, index);
        Ok(self.builder.ins().uextend(types::I64, low))
    }

    /// The address `base + zext(addr) + offset` of an access of `size`
    /// bytes; the static offset is folded into the access when it fits. A
    /// 64-bit memory's access is checked first ([`Self::heap_check64`]).
    fn heap_address(&mut self, memarg: &wasmparser::MemArg, size: u64) -> TResult<(Value, i32)> {
        let mut offset = memarg.offset;
        let memory = Self::memory_index(memarg)?;
        let addr = self.pop_value()?;
        let base = self.memory_base(memory);
        if self.memory64(memory) {
            let index = self.heap_check64(memory, addr, offset, size)?;
            // An offset of 2^32 or more always fails the check: the
            // access it would make is never reached.
            if offset > u64::from(u32::MAX) {
                offset = 0;
            }
            let address = self.builder.ins().iadd(base, index);
            return Ok(self.offset_address(address, offset));
        }
        let addr = if mutant::active("heap-index-sign-extended") {
            self.builder.ins().sextend(types::I64, addr)
        } else {
            self.builder.ins().uextend(types::I64, addr)
        };
        let address = self.builder.ins().iadd(base, addr);
        Ok(self.offset_address(address, offset))
    }

    /// `address + offset` as an address and the displacement of the
    /// access: the offset itself when it fits in an `i32`.
    fn offset_address(&mut self, mut address: Value, offset: u64) -> (Value, i32) {
        let offset = match i32::try_from(offset) {
            Ok(o) => o,
            Err(_) if mutant::active("heap-offset-in-signed-displacement") => offset as i32,
            Err(_) => {
                let offset = self.builder.ins().iconst(types::I64, offset as i64);
                address = self.builder.ins().iadd(address, offset);
                0
            }
        };
        (address, offset)
    }

    /// The flags of a linear-memory access: little-endian, trapping as out
    /// of bounds, and in the linear-memory alias region, so that Cranelift
    /// knows a store to linear memory leaves every other load as it was
    /// (globals, a 64-bit memory's length, the exception in flight): the
    /// sandbox keeps those out of every linear memory.
    fn heap_flags(&mut self) -> MemFlagsData {
        let data = ir::AliasRegionData { user_id: HEAP_ALIAS_REGION, description: "linear memory".into() };
        let heap = self.builder.func.dfg.alias_regions.insert(data);
        MemFlagsData::new()
            .with_endianness(ir::Endianness::Little)
            .with_trap_code(Some(TrapCode::HEAP_OUT_OF_BOUNDS))
            .with_alias_region(Some(heap))
    }

    fn load(&mut self, ty: types::Type, memarg: &wasmparser::MemArg, kind: LoadKind) -> TResult<()> {
        let size = match kind {
            LoadKind::Plain => u64::from(ty.bytes()),
            LoadKind::S8 | LoadKind::U8 => 1,
            LoadKind::S16 | LoadKind::U16 => 2,
            LoadKind::S32 | LoadKind::U32 => 4,
        };
        let (address, offset) = self.heap_address(memarg, size)?;
        let flags = self.heap_flags();
        let ins = self.builder.ins();
        let value = match kind {
            LoadKind::Plain => ins.load(ty, flags, address, offset),
            LoadKind::S8 if mutant::active("load8-s-zero-extends") => ins.uload8(ty, flags, address, offset),
            LoadKind::S8 => ins.sload8(ty, flags, address, offset),
            LoadKind::U8 => ins.uload8(ty, flags, address, offset),
            LoadKind::S16 => ins.sload16(ty, flags, address, offset),
            LoadKind::U16 => ins.uload16(ty, flags, address, offset),
            LoadKind::S32 => ins.sload32(flags, address, offset),
            LoadKind::U32 => ins.uload32(flags, address, offset),
        };
        self.push(value);
        Ok(())
    }

    fn store(&mut self, memarg: &wasmparser::MemArg, bytes: u8) -> TResult<()> {
        let value = self.pop_value()?;
        let (address, offset) = self.heap_address(memarg, u64::from(bytes))?;
        let flags = self.heap_flags();
        let ins = self.builder.ins();
        match bytes {
            1 => ins.istore8(flags, value, address, offset),
            2 => ins.istore16(flags, value, address, offset),
            4 if self.builder.func.dfg.value_type(value) == types::I64 => {
                self.builder.ins().istore32(flags, value, address, offset)
            }
            _ => self.builder.ins().store(flags, value, address, offset),
        };
        Ok(())
    }

    /// Enters unreachable code: everything up to the end of the current
    /// construct is skipped.
    fn set_unreachable(&mut self) {
        self.reachable = false;
    }

    /// Translates `op`, charging it to the current run of operators when
    /// fuel is on.
    fn operator(&mut self, op: &Operator<'_>) -> TResult<()> {
        let fuel = self.instrumentation.fuel;
        if fuel && self.reachable {
            self.charge_fuel(op);
        }
        let result = self.translate_operator(op);
        if fuel && instrument::ends_run(op) {
            self.end_run();
        }
        result
    }

    fn translate_operator(&mut self, op: &Operator<'_>) -> TResult<()> {
        if !self.reachable {
            return self.unreachable_operator(op);
        }
        if let Some(name) = pure_operator(op) {
            return self.pure(name);
        }
        if let Some(result) = self.simd_operator(op) {
            return result;
        }
        match *op {
            Operator::Nop => {}
            Operator::Unreachable => {
                self.builder.ins().trap(user_trap::code(user_trap::UNREACHABLE));
                self.set_unreachable();
            }
            Operator::Block { blockty } => {
                let (params, results) = self.block_type(blockty)?;
                let dest = self.new_block(&results);
                let height = self.stack.len().checked_sub(params.len()).ok_or("stack underflow")?;
                self.open(FrameKind::Block, dest, None, params, results, height);
            }
            Operator::TryTable { ref try_table } => self.try_table(try_table)?,
            Operator::Throw { tag_index } => self.throw(tag_index)?,
            Operator::ThrowRef => self.throw_ref()?,
            Operator::Loop { blockty } => {
                let (params, results) = self.block_type(blockty)?;
                let header = self.new_block(&params);
                let dest = self.new_block(&results);
                let values = self.pop_values(params.len())?;
                self.builder.ins().jump(header, &Self::args(&values));
                self.builder.switch_to_block(header);
                let height = self.stack.len();
                self.push_block_params(header);
                self.open(FrameKind::Loop, dest, Some(header), params, results, height);
                if self.instrumentation.epochs {
                    self.epoch_check();
                }
            }
            Operator::If { blockty } => {
                let (params, results) = self.block_type(blockty)?;
                let condition = self.pop_condition()?;
                let values = self.pop_values(params.len())?;
                let then_block = self.new_block(&params);
                let else_block = self.new_block(&params);
                let dest = self.new_block(&results);
                let args = Self::args(&values);
                self.builder.ins().brif(condition, then_block, &args, else_block, &args);
                self.builder.seal_block(then_block);
                self.builder.seal_block(else_block);
                self.builder.switch_to_block(then_block);
                let height = self.stack.len();
                self.push_block_params(then_block);
                self.open(
                    FrameKind::If { else_block, has_else: false, head_reachable: true },
                    dest,
                    None,
                    params,
                    results,
                    height,
                );
            }
            Operator::Else => self.else_()?,
            Operator::End => self.end()?,
            Operator::Br { relative_depth } => {
                let (block, values) = self.branch_args(relative_depth)?;
                self.builder.ins().jump(block, &Self::args(&values));
                self.set_unreachable();
            }
            Operator::BrIf { relative_depth } => {
                let condition = self.pop_condition()?;
                let (block, values) = self.branch_args(relative_depth)?;
                self.branch_if(condition, block, &values);
            }
            Operator::BrTable { ref targets } => {
                let index = self.pop_value()?;
                let mut depths =
                    targets.targets().collect::<Result<Vec<u32>, _>>().map_err(|e| e.to_string())?;
                depths.push(targets.default());
                let mut calls = Vec::new();
                for depth in depths {
                    let (block, values) = self.branch_args(depth)?;
                    let args = Self::args(&values);
                    calls.push(self.builder.func.dfg.block_call(block, &args));
                }
                let default = calls.pop().ok_or("br_table without default")?;
                let table = self.builder.create_jump_table(JumpTableData::new(default, &calls));
                self.builder.ins().br_table(index, table);
                self.set_unreachable();
            }
            Operator::Return => {
                let n = self.control.first().map_or(0, |f| f.results.len());
                let values = self.pop_values(n)?;
                self.builder.ins().return_(&values);
                self.set_unreachable();
            }
            Operator::Call { function_index } => self.call(function_index, false)?,
            Operator::ReturnCall { function_index } => self.call(function_index, true)?,
            Operator::CallIndirect { type_index, table_index } => {
                self.call_indirect(type_index, table_index, false)?
            }
            Operator::ReturnCallIndirect { type_index, table_index } => {
                self.call_indirect(type_index, table_index, true)?
            }
            Operator::Drop => {
                // A dropped pure term is never lowered: it has no effect.
                self.pop()?;
            }
            Operator::LocalGet { local_index } => {
                let (var, _) = *self.locals.get(local_index as usize).ok_or("unknown local")?;
                let value = self.builder.use_var(var);
                self.push(value);
            }
            Operator::LocalSet { local_index } => {
                let value = self.pop_value()?;
                let (var, _) = *self.locals.get(local_index as usize).ok_or("unknown local")?;
                self.builder.def_var(var, value);
            }
            Operator::LocalTee { local_index } => {
                let value = self.pop_value()?;
                let (var, _) = *self.locals.get(local_index as usize).ok_or("unknown local")?;
                self.builder.def_var(var, value);
                self.push(value);
            }
            Operator::GlobalGet { global_index } => {
                let ty = self.module.globals.get(global_index as usize).ok_or("unknown global")?.content;
                let cell = self.global_cell(global_index);
                let value = self.builder.ins().load(ty.clif(), MemFlagsData::trusted(), cell, 0);
                self.push(value);
            }
            Operator::GlobalSet { global_index } => {
                let value = self.pop_value()?;
                let cell = self.global_cell(global_index);
                self.builder.ins().store(MemFlagsData::trusted(), value, cell, 0);
            }
            Operator::I32Load { ref memarg } => self.load(types::I32, memarg, LoadKind::Plain)?,
            Operator::I64Load { ref memarg } => self.load(types::I64, memarg, LoadKind::Plain)?,
            Operator::F32Load { ref memarg } => self.load(types::F32, memarg, LoadKind::Plain)?,
            Operator::F64Load { ref memarg } => self.load(types::F64, memarg, LoadKind::Plain)?,
            Operator::I32Load8S { ref memarg } => self.load(types::I32, memarg, LoadKind::S8)?,
            Operator::I32Load8U { ref memarg } => self.load(types::I32, memarg, LoadKind::U8)?,
            Operator::I32Load16S { ref memarg } => self.load(types::I32, memarg, LoadKind::S16)?,
            Operator::I32Load16U { ref memarg } => self.load(types::I32, memarg, LoadKind::U16)?,
            Operator::I64Load8S { ref memarg } => self.load(types::I64, memarg, LoadKind::S8)?,
            Operator::I64Load8U { ref memarg } => self.load(types::I64, memarg, LoadKind::U8)?,
            Operator::I64Load16S { ref memarg } => self.load(types::I64, memarg, LoadKind::S16)?,
            Operator::I64Load16U { ref memarg } => self.load(types::I64, memarg, LoadKind::U16)?,
            Operator::I64Load32S { ref memarg } => self.load(types::I64, memarg, LoadKind::S32)?,
            Operator::I64Load32U { ref memarg } => self.load(types::I64, memarg, LoadKind::U32)?,
            Operator::I32Store { ref memarg } | Operator::F32Store { ref memarg } => self.store(memarg, 4)?,
            Operator::I64Store { ref memarg } | Operator::F64Store { ref memarg } => self.store(memarg, 8)?,
            Operator::I32Store8 { ref memarg } | Operator::I64Store8 { ref memarg } => {
                self.store(memarg, 1)?
            }
            Operator::I32Store16 { ref memarg } | Operator::I64Store16 { ref memarg } => {
                self.store(memarg, 2)?
            }
            Operator::I64Store32 { ref memarg } => self.store(memarg, 4)?,
            Operator::MemorySize { mem } => {
                let memory = self.memory_record(mem);
                let len =
                    self.builder.ins().load(types::I64, MemFlagsData::trusted(), memory, vm::MEMORY_LEN);
                let pages = self.builder.ins().ushr_imm_u(len, 16);
                let pages =
                    if self.memory64(mem) { pages } else { self.builder.ins().ireduce(types::I32, pages) };
                self.push(pages);
            }
            Operator::MemoryGrow { mem } => {
                let delta = self.pop_value()?;
                let args =
                    [self.builder.ins().iconst(types::I32, i64::from(mem)), self.address_operand(mem, delta)];
                let params = [types::I32, types::I64];
                let old = self.libcall(Libcall::MemoryGrow, &args, &params, LibcallRet::ValueOrStatus);
                // The old size in pages or -1, as an i64 for a 64-bit memory.
                let old = if self.memory64(mem) { self.builder.ins().sextend(types::I64, old) } else { old };
                self.push(old);
            }
            Operator::MemoryFill { mem } => {
                let [dst, value, len] = self.pop_values(3)?[..] else {
                    return Err("memory.fill operands".into());
                };
                let args = [
                    self.builder.ins().iconst(types::I32, i64::from(mem)),
                    self.address_operand(mem, dst),
                    value,
                    self.address_operand(mem, len),
                ];
                let params = [types::I32, types::I64, types::I32, types::I64];
                self.libcall(Libcall::MemoryFill, &args, &params, LibcallRet::Status);
            }
            Operator::MemoryCopy { dst_mem, src_mem } => {
                let [dst, src, len] = self.pop_values(3)?[..] else {
                    return Err("memory.copy operands".into());
                };
                // The length has the narrower of the two address types.
                let len_mem = if self.memory64(dst_mem) { src_mem } else { dst_mem };
                let args = [
                    self.builder.ins().iconst(types::I32, i64::from(dst_mem)),
                    self.builder.ins().iconst(types::I32, i64::from(src_mem)),
                    self.address_operand(dst_mem, dst),
                    self.address_operand(src_mem, src),
                    self.address_operand(len_mem, len),
                ];
                let params = [types::I32, types::I32, types::I64, types::I64, types::I64];
                self.libcall(Libcall::MemoryCopy, &args, &params, LibcallRet::Status);
            }
            Operator::MemoryInit { data_index, mem } => {
                let [dst, src, len] = self.pop_values(3)?[..] else {
                    return Err("memory.init operands".into());
                };
                let args = [
                    self.builder.ins().iconst(types::I32, i64::from(mem)),
                    self.builder.ins().iconst(types::I32, i64::from(data_index)),
                    self.address_operand(mem, dst),
                    src,
                    len,
                ];
                let params = [types::I32, types::I32, types::I64, types::I32, types::I32];
                self.libcall(Libcall::MemoryInit, &args, &params, LibcallRet::Status);
            }
            Operator::DataDrop { data_index } => {
                let index = self.builder.ins().iconst(types::I32, i64::from(data_index));
                self.libcall(Libcall::DataDrop, &[index], &[types::I32], LibcallRet::Nothing);
            }
            Operator::TableGet { table } => {
                let index = self.pop_value()?;
                let slot = self.table_slot(table, index, user_trap::TABLE_OUT_OF_BOUNDS);
                let value = self.builder.ins().load(types::I64, MemFlagsData::trusted(), slot, 0);
                self.push(value);
            }
            Operator::TableSet { table } => {
                let values = self.pop_values(2)?;
                let slot = self.table_slot(table, values[0], user_trap::TABLE_OUT_OF_BOUNDS);
                self.builder.ins().store(MemFlagsData::trusted(), values[1], slot, 0);
            }
            Operator::TableSize { table } => {
                let record = self.table_record(table);
                let len =
                    self.builder.ins().load(types::I64, MemFlagsData::trusted(), record, vm::table::LEN);
                let size =
                    if self.table64(table) { len } else { self.builder.ins().ireduce(types::I32, len) };
                self.push(size);
            }
            Operator::TableGrow { table } => {
                let [init, delta] = self.pop_values(2)?[..] else { return Err("table.grow operands".into()) };
                let t = self.builder.ins().iconst(types::I32, i64::from(table));
                let params = [types::I32, types::I64, types::I64];
                let args = [t, init, self.index_operand(table, delta)];
                let old = self.libcall(Libcall::TableGrow, &args, &params, LibcallRet::ValueOrStatus);
                // The old size or -1, as an i64 for a 64-bit table.
                let old = if self.table64(table) { self.builder.ins().sextend(types::I64, old) } else { old };
                self.push(old);
            }
            Operator::TableFill { table } => {
                let [start, value, len] = self.pop_values(3)?[..] else {
                    return Err("table.fill operands".into());
                };
                let t = self.builder.ins().iconst(types::I32, i64::from(table));
                let params = [types::I32, types::I64, types::I64, types::I64];
                let args = [t, self.index_operand(table, start), value, self.index_operand(table, len)];
                self.libcall(Libcall::TableFill, &args, &params, LibcallRet::Status);
            }
            Operator::TableCopy { dst_table, src_table } => {
                let [dst, src, len] = self.pop_values(3)?[..] else {
                    return Err("table.copy operands".into());
                };
                let d = self.builder.ins().iconst(types::I32, i64::from(dst_table));
                let s = self.builder.ins().iconst(types::I32, i64::from(src_table));
                // The length has the narrower of the two index types.
                let len_table = if self.table64(dst_table) { src_table } else { dst_table };
                let args = [
                    d,
                    s,
                    self.index_operand(dst_table, dst),
                    self.index_operand(src_table, src),
                    self.index_operand(len_table, len),
                ];
                let params = [types::I32, types::I32, types::I64, types::I64, types::I64];
                self.libcall(Libcall::TableCopy, &args, &params, LibcallRet::Status);
            }
            Operator::TableInit { elem_index, table } => {
                let [dst, src, len] = self.pop_values(3)?[..] else {
                    return Err("table.init operands".into());
                };
                let t = self.builder.ins().iconst(types::I32, i64::from(table));
                let e = self.builder.ins().iconst(types::I32, i64::from(elem_index));
                let args = [t, e, self.index_operand(table, dst), src, len];
                let params = [types::I32, types::I32, types::I64, types::I32, types::I32];
                self.libcall(Libcall::TableInit, &args, &params, LibcallRet::Status);
            }
            Operator::ElemDrop { elem_index } => {
                let index = self.builder.ins().iconst(types::I32, i64::from(elem_index));
                self.libcall(Libcall::ElemDrop, &[index], &[types::I32], LibcallRet::Nothing);
            }
            Operator::I32Const { value } => {
                self.push_pure(PureExpr::Const(types::I32, u128::from(value as u32)))
            }
            Operator::I64Const { value } => {
                self.push_pure(PureExpr::Const(types::I64, u128::from(value as u64)))
            }
            Operator::F32Const { value } => {
                self.push_pure(PureExpr::Const(types::F32, u128::from(value.bits())))
            }
            Operator::F64Const { value } => {
                self.push_pure(PureExpr::Const(types::F64, u128::from(value.bits())))
            }
            Operator::RefNull { .. } => {
                let null = self.builder.ins().iconst(types::I64, 0);
                self.push(null);
            }
            Operator::RefIsNull => {
                // A reference is a pointer or an id + 1; null is 0.
                let value = self.pop_value()?;
                let is_null = self.builder.ins().icmp_imm_u(IntCC::Equal, value, 0);
                let is_null = self.builder.ins().uextend(types::I32, is_null);
                self.push(is_null);
            }
            Operator::RefFunc { function_index } => {
                let func_ref = self.func_ref(function_index);
                self.push(func_ref);
            }
            Operator::CallRef { type_index } => self.call_ref(type_index, false)?,
            Operator::ReturnCallRef { type_index } => self.call_ref(type_index, true)?,
            Operator::RefAsNonNull => {
                let value = self.pop_value()?;
                self.builder.ins().trapz(value, user_trap::code(user_trap::NULL_REFERENCE));
                self.push(value);
            }
            Operator::BrOnNull { relative_depth } => {
                // Null: branch without it; else go on with it.
                let value = self.pop_value()?;
                let (block, values) = self.branch_args(relative_depth)?;
                let cc = if mutant::active("br-on-null-inverted") { IntCC::NotEqual } else { IntCC::Equal };
                let is_null = self.builder.ins().icmp_imm_u(cc, value, 0);
                self.branch_if(is_null, block, &values);
                self.push(value);
            }
            Operator::BrOnNonNull { relative_depth } => {
                // Not null: branch with it (the label's last value); else
                // drop it and go on.
                let (block, values) = self.branch_args(relative_depth)?;
                let value = self.pop_value()?;
                self.branch_if(value, block, &values);
            }
            ref other => return Err(format!("unsupported operator {other:?}")),
        }
        Ok(())
    }

    /// A pure operator: its trap conditions (if any) are checked now, its
    /// value becomes a term.
    fn pure(&mut self, name: &'static str) -> TResult<()> {
        // `select`'s type is that of its first operand (three from the top).
        let operand_type =
            self.stack.len().checked_sub(3).and_then(|i| self.stack.get(i)).map(|o| self.type_of(o));
        let (name, arity, result) = self
            .lowering
            .resolve(name, operand_type)
            .ok_or_else(|| format!("the rule set has no operator {name}"))?;
        let at = self.stack.len().checked_sub(arity).ok_or("operand stack underflow")?;
        let traps = self.lowering.traps(&name);
        // Operands that are terms are lowered here, once, when the operator
        // has trap conditions (the condition and the value then share their
        // values instead of each lowering the operand terms again), and
        // when the new term would exceed `MAX_TERM_NODES`.
        let nodes = self.stack[at..].iter().fold(1u32, |n, o| n.saturating_add(o.nodes()));
        let lower_operands = !traps.is_empty() || nodes > MAX_TERM_NODES;
        let mut args: Vec<Rc<PureExpr>> = Vec::new();
        for operand in self.stack.split_off(at) {
            args.push(match operand {
                Operand::Pure(e) if lower_operands && matches!(*e, PureExpr::Op { .. }) => {
                    let value = self.lowering.lower(&mut self.builder, &e, &mut self.log)?;
                    Rc::new(self.leaf(value))
                }
                Operand::Pure(e) => e,
                Operand::Value(v) => Rc::new(self.leaf(v)),
            });
        }
        if name.ends_with(".relaxed_laneselect") && mutant::active("relaxed-laneselect-operands-swapped") {
            args.swap(0, 1);
        }
        for (condition, operands, code) in traps {
            let picked = operands.iter().map(|&i| args.get(i).cloned().ok_or("bad trap operand"));
            let check = PureExpr::op(condition, picked.collect::<Result<Vec<_>, _>>()?, types::I8);
            let flag = self.lowering.lower(&mut self.builder, &check, &mut self.log)?;
            // A condition the rules proved false (division by a non-zero
            // constant) needs no check.
            if !self.is_zero_constant(flag) {
                self.builder.ins().trapnz(flag, code);
            }
        }
        self.log.operators.push(name.clone());
        self.push_pure(PureExpr::op(name, args, result));
        Ok(())
    }

    /// A value as a leaf of a term: a constant stays a constant, so that
    /// the rules still see it (a term lowered to `iconst 7` folds on).
    fn leaf(&self, value: Value) -> PureExpr {
        let dfg = &self.builder.func.dfg;
        let ty = dfg.value_type(value);
        if let ir::ValueDef::Result(inst, _) = dfg.value_def(value) {
            match dfg.insts[inst] {
                ir::InstructionData::UnaryImm { opcode: ir::Opcode::Iconst, imm } => {
                    let mask = if ty.bits() >= 64 { u64::MAX } else { (1u64 << ty.bits()) - 1 };
                    return PureExpr::Const(ty, u128::from(imm.bits() as u64 & mask));
                }
                ir::InstructionData::UnaryIeee32 { opcode: ir::Opcode::F32const, imm } => {
                    return PureExpr::Const(ty, u128::from(imm.bits()));
                }
                ir::InstructionData::UnaryIeee64 { opcode: ir::Opcode::F64const, imm } => {
                    return PureExpr::Const(ty, u128::from(imm.bits()));
                }
                ir::InstructionData::UnaryConst { opcode: ir::Opcode::Vconst, constant_handle } => {
                    let bytes = dfg.constants.get(constant_handle).as_slice();
                    if let Ok(bytes) = <[u8; 16]>::try_from(bytes) {
                        return PureExpr::Const(ty, u128::from_le_bytes(bytes));
                    }
                }
                _ => {}
            }
        }
        PureExpr::Value(value, ty)
    }

    fn is_zero_constant(&self, value: Value) -> bool {
        let dfg = &self.builder.func.dfg;
        match dfg.value_def(value) {
            ir::ValueDef::Result(inst, _) => matches!(
                dfg.insts[inst],
                ir::InstructionData::UnaryImm { opcode: ir::Opcode::Iconst, imm } if imm.bits() == 0
            ),
            _ => false,
        }
    }

    fn type_of(&self, operand: &Operand) -> types::Type {
        match operand {
            Operand::Value(v) => self.builder.func.dfg.value_type(*v),
            Operand::Pure(e) => e.ty(),
        }
    }

    /// The `VMFuncRef` that `call_indirect` through `table` at `index`
    /// reaches, after its bounds, null and signature checks.
    fn indirect_callee(&mut self, index: Value, type_index: u32, table: u32) -> Value {
        let flags = MemFlagsData::trusted();
        let slot = self.table_slot(table, index, user_trap::UNDEFINED_ELEMENT);
        let func_ref = self.builder.ins().load(types::I64, flags, slot, 0);
        self.builder.ins().trapz(func_ref, user_trap::code(user_trap::NULL_ELEMENT));
        self.check_callee_type(func_ref, type_index);
        func_ref
    }

    fn else_(&mut self) -> TResult<()> {
        let frame = self.control.last_mut().ok_or("else outside if")?;
        let FrameKind::If { else_block, head_reachable, .. } = frame.kind else {
            return Err("else outside if".into());
        };
        frame.kind = FrameKind::If { else_block, has_else: true, head_reachable };
        let (dest, height, n) = (frame.dest, frame.height, frame.results.len());
        if self.reachable {
            self.control.last_mut().ok_or("no frame")?.dest_used = true;
            let values = self.pop_values(n)?;
            self.builder.ins().jump(dest, &Self::args(&values));
        }
        self.stack.truncate(height);
        self.builder.switch_to_block(else_block);
        self.push_block_params(else_block);
        self.reachable = head_reachable;
        Ok(())
    }

    fn end(&mut self) -> TResult<()> {
        let frame = self.control.pop().ok_or("end without a frame")?;
        let mut dest_used = frame.dest_used;
        if self.reachable {
            let values = self.pop_values(frame.results.len())?;
            self.builder.ins().jump(frame.dest, &Self::args(&values));
            dest_used = true;
        }
        if let FrameKind::If { else_block, has_else: false, head_reachable } = frame.kind {
            // Without an `else`, the false edge carries the parameters
            // straight through (an `if` without `else` has params == results).
            self.builder.switch_to_block(else_block);
            let params = self.builder.block_params(else_block).to_vec();
            self.builder.ins().jump(frame.dest, &Self::args(&params));
            dest_used |= head_reachable;
        }
        if let Some(handler) = frame.handler {
            self.emit_handler(handler, &frame.catches)?;
        }
        if let Some(header) = frame.header {
            self.builder.seal_block(header);
        }
        self.stack.truncate(frame.height);
        if dest_used {
            self.builder.switch_to_block(frame.dest);
            self.builder.seal_block(frame.dest);
            self.push_block_params(frame.dest);
            self.reachable = true;
        } else {
            self.reachable = false;
        }
        Ok(())
    }

    /// Skips operators of unreachable code, tracking nesting so that the
    /// `else`/`end` of the enclosing construct is still handled.
    fn unreachable_operator(&mut self, op: &Operator<'_>) -> TResult<()> {
        match op {
            Operator::Block { .. }
            | Operator::Loop { .. }
            | Operator::If { .. }
            | Operator::TryTable { .. } => self.unreachable_depth += 1,
            Operator::Else if self.unreachable_depth == 0 => self.else_()?,
            Operator::End if self.unreachable_depth > 0 => self.unreachable_depth -= 1,
            Operator::End => self.end()?,
            _ => {}
        }
        Ok(())
    }
}

/// How a load extends.
#[derive(Clone, Copy)]
enum LoadKind {
    Plain,
    S8,
    U8,
    S16,
    U16,
    S32,
    U32,
}

/// The zero value of a local of type `t`.
fn zero(builder: &mut FunctionBuilder<'_>, t: ValType) -> Value {
    match t {
        ValType::I32 => builder.ins().iconst(types::I32, 0),
        ValType::I64 | ValType::FuncRef | ValType::ExternRef | ValType::ExnRef => {
            builder.ins().iconst(types::I64, 0)
        }
        ValType::F32 => builder.ins().f32const(0.0),
        ValType::F64 => builder.ins().f64const(0.0),
        ValType::V128 => {
            let zero = builder.func.dfg.constants.insert(ir::ConstantData::from(&[0u8; 16][..]));
            builder.ins().vconst(types::I8X16, zero)
        }
    }
}

/// The `tail-call-args-swapped` mutant (`plumb_rules::mutant`): a tail call
/// passes its first two arguments of one type in each other's place.
fn tail_call_mutant(args: &mut [Value], params: &[ValType]) {
    if !plumb_rules::mutant::active("tail-call-args-swapped") {
        return;
    }
    let pair = (0..params.len())
        .find_map(|i| (i + 1..params.len()).find(|&j| params[j] == params[i]).map(|j| (i, j)));
    if let Some((i, j)) = pair.filter(|&(_, j)| j < args.len()) {
        args.swap(i, j);
    }
}
