//! Execution (spec §4.4): the value stack, the label stack and the call
//! frames, kept as explicit data rather than host recursion, so that deep
//! guest recursion ends in a [`TrapCode::StackExhausted`] trap and never in a
//! host stack overflow.
//!
//! An exception (Wasm 3.0 exception handling) unwinds the same explicit
//! data: the label stack, in which a `try_table`'s label carries its catch
//! clauses, and frame by frame the suspended callers, whatever instance
//! they belong to. Traps, stack exhaustion among them, propagate as `Err`
//! and never meet a handler.

use std::rc::Rc;

use super::code::{Catch, FuncBody, Instr, LoadOp, StoreOp};
use super::numerics::{eval_binop, eval_unop};
use super::simd::{eval_vector, memory as vector_memory};
use super::store::{FuncInst, InstanceAddr, PAGE_SIZE, Store, at, at_mut, range};
use crate::trap::{Exception, Trap, TrapCode};
use crate::values::{AddrType, FuncAddr, ValType, Value};

/// A label (spec §4.2.13): where a branch to it continues, how many values it
/// carries, and the stack height to unwind to.
#[derive(Debug, Clone, Copy)]
struct Label {
    /// Values a branch to this label keeps.
    arity: usize,
    /// Operand stack height when the block was entered, below its parameters.
    height: usize,
    /// Instruction a branch continues at (past `end` for blocks, the `loop`
    /// itself for loops, past the body for the function's own label).
    cont: usize,
    /// For a `try_table`, its catch clauses: `FuncBody::handlers[i]`.
    handlers: Option<u32>,
}

/// An activation frame (spec §4.2.13).
struct Frame {
    /// The instance whose index spaces the body refers to.
    instance: InstanceAddr,
    /// The code being run.
    body: Rc<FuncBody>,
    /// The next instruction.
    pc: usize,
    /// Parameters followed by declared locals.
    locals: Vec<Value>,
    /// Label stack height below this frame's labels.
    label_base: usize,
    /// Operand stack height below this frame's operands.
    stack_base: usize,
    /// Number of results.
    arity: usize,
}

/// The state of one invocation: operand stack, labels, suspended callers.
struct Thread {
    stack: Vec<Value>,
    labels: Vec<Label>,
    callers: Vec<Frame>,
    /// Locals held by all frames, counted against the stack limit.
    locals_held: usize,
}

fn invariant() -> Trap {
    TrapCode::InvariantViolated.into()
}

impl Thread {
    fn pop(&mut self) -> Result<Value, Trap> {
        self.stack.pop().ok_or_else(invariant)
    }

    fn pop_i32(&mut self) -> Result<i32, Trap> {
        match self.pop()? {
            Value::I32(v) => Ok(v),
            _ => Err(invariant()),
        }
    }

    /// Pops an address, index or size of a memory or table with address
    /// type `addr`, zero-extended.
    fn pop_addr(&mut self, addr: AddrType) -> Result<u64, Trap> {
        addr.address(self.pop()?).ok_or_else(invariant)
    }

    /// Pops the function reference a `call_ref` calls; null traps.
    fn pop_func_ref(&mut self) -> Result<FuncAddr, Trap> {
        match self.pop()? {
            Value::FuncRef(Some(func)) => Ok(func),
            Value::FuncRef(None) => Err(TrapCode::NullFunctionReference.into()),
            _ => Err(invariant()),
        }
    }

    fn pop_v128(&mut self) -> Result<u128, Trap> {
        match self.pop()? {
            Value::V128(v) => Ok(v),
            _ => Err(invariant()),
        }
    }

    /// Pops `n` values, deepest first.
    fn pop_n(&mut self, n: usize) -> Result<Vec<Value>, Trap> {
        let at = self.stack.len().checked_sub(n).ok_or_else(invariant)?;
        Ok(self.stack.split_off(at))
    }

    /// Branches to the label `depth` levels out (spec §4.4.8 `br`): keeps its
    /// arity of values, unwinds the stack and the inner labels.
    fn branch(&mut self, frame: &mut Frame, depth: u32) -> Result<(), Trap> {
        let index = self.labels.len().checked_sub(1 + depth as usize).ok_or_else(invariant)?;
        let label = self.labels[index];
        let keep_from = self.stack.len().checked_sub(label.arity).ok_or_else(invariant)?;
        if label.height > keep_from {
            return Err(invariant());
        }
        self.stack.drain(label.height..keep_from);
        self.labels.truncate(index);
        frame.pc = label.cont;
        Ok(())
    }
}

/// The bytes `[addr + offset, addr + offset + n)` of an access, when they
/// lie within `len`. The effective address is computed without wrapping:
/// with 64-bit memories `addr + offset` can exceed `u64::MAX`, and that is
/// out of bounds too.
fn access(addr: u64, offset: u64, n: usize, len: usize) -> Option<std::ops::Range<usize>> {
    range(addr.checked_add(offset)?, n as u64, len)
}

/// Reads `N` bytes of memory at `addr + offset`, or traps out of bounds.
pub(crate) fn read<const N: usize>(bytes: &[u8], addr: u64, offset: u64) -> Result<[u8; N], Trap> {
    let range = access(addr, offset, N, bytes.len());
    range.and_then(|r| bytes.get(r)).and_then(|b| b.try_into().ok()).ok_or(TrapCode::MemoryOutOfBounds.into())
}

/// Writes `data` to memory at `addr + offset`, or traps out of bounds.
pub(crate) fn write(bytes: &mut [u8], addr: u64, offset: u64, data: &[u8]) -> Result<(), Trap> {
    let range = access(addr, offset, data.len(), bytes.len());
    let dst = range.and_then(|r| bytes.get_mut(r)).ok_or(Trap::from(TrapCode::MemoryOutOfBounds))?;
    dst.copy_from_slice(data);
    Ok(())
}

impl Store {
    /// Invokes the function at `func` with `args` (spec §4.5.5), returning its
    /// results or the trap that ended it.
    pub fn invoke(&mut self, func: FuncAddr, args: &[Value]) -> Result<Vec<Value>, Trap> {
        let ty = at(&self.funcs, func)?.ty();
        let arg_types: Vec<ValType> = args.iter().map(Value::ty).collect();
        if arg_types != ty.params {
            return Err(Trap::host(format!("arguments {arg_types:?} do not match the function type {ty}")));
        }
        let mut thread =
            Thread { stack: args.to_vec(), labels: Vec::new(), callers: Vec::new(), locals_held: 0 };
        match self.enter(&mut thread, func)? {
            Some(frame) => self.run(&mut thread, frame),
            None => Ok(thread.stack),
        }
    }

    /// Calls `func` with its arguments on the stack: a host function runs to
    /// completion here (`None`); a Wasm function gets a new frame.
    fn enter(&mut self, thread: &mut Thread, func: FuncAddr) -> Result<Option<Frame>, Trap> {
        match at(&self.funcs, func)? {
            FuncInst::Host { ty, func, .. } => {
                let args = thread.pop_n(ty.params.len())?;
                let results = func(&args)?;
                let types: Vec<ValType> = results.iter().map(Value::ty).collect();
                if types != ty.results {
                    return Err(Trap::host(format!("host function returned {types:?}, its type is {ty}")));
                }
                thread.stack.extend(results);
                Ok(None)
            }
            FuncInst::Wasm { ty, instance, body, .. } => {
                let limits = self.limits;
                if thread.callers.len() >= limits.max_call_depth {
                    return Err(TrapCode::StackExhausted.into());
                }
                let mut locals = thread.pop_n(ty.params.len())?;
                locals.extend(body.locals.iter().map(|t| t.default_value()));
                thread.locals_held += locals.len();
                if thread.locals_held + thread.stack.len() > limits.max_stack_values {
                    return Err(TrapCode::StackExhausted.into());
                }
                let frame = Frame {
                    instance: *instance,
                    body: Rc::clone(body),
                    pc: 0,
                    locals,
                    label_base: thread.labels.len(),
                    stack_base: thread.stack.len(),
                    arity: ty.results.len(),
                };
                thread.labels.push(Label {
                    arity: frame.arity,
                    height: frame.stack_base,
                    cont: body.instrs.len(),
                    handlers: None,
                });
                Ok(Some(frame))
            }
        }
    }

    /// Runs `frame` and every frame it calls until it returns.
    fn run(&mut self, thread: &mut Thread, mut frame: Frame) -> Result<Vec<Value>, Trap> {
        loop {
            let Some(&instr) = frame.body.instrs.get(frame.pc) else {
                // Past the end: the function returns (spec §4.4.10). Its
                // label is gone; its results are on top of the stack.
                thread.locals_held -= frame.locals.len();
                let results = thread.pop_n(frame.arity)?;
                thread.stack.truncate(frame.stack_base);
                thread.stack.extend(results);
                thread.labels.truncate(frame.label_base);
                match thread.callers.pop() {
                    Some(caller) => frame = caller,
                    None => return Ok(std::mem::take(&mut thread.stack)),
                }
                continue;
            };
            // Fuel is charged per run of instructions (see `fuel.rs`).
            if let Some(fuel) = &mut self.fuel {
                let charge = frame.body.charges.get(frame.pc).copied().unwrap_or(0);
                *fuel = fuel.checked_sub(charge).ok_or(Trap::from(TrapCode::OutOfFuel))?;
            }
            frame.pc += 1;
            self.step(thread, &mut frame, instr)?;
        }
    }

    /// Executes one instruction of `frame`.
    fn step(&mut self, thread: &mut Thread, frame: &mut Frame, instr: Instr) -> Result<(), Trap> {
        match instr {
            Instr::Unreachable => return Err(TrapCode::Unreachable.into()),
            Instr::Nop => {}
            Instr::Block { params, results, end } => {
                let height = thread.stack.len().checked_sub(params as usize).ok_or_else(invariant)?;
                thread.labels.push(Label {
                    arity: results as usize,
                    height,
                    cont: end as usize + 1,
                    handlers: None,
                });
            }
            Instr::Loop { params, .. } => {
                let height = thread.stack.len().checked_sub(params as usize).ok_or_else(invariant)?;
                thread.labels.push(Label {
                    arity: params as usize,
                    height,
                    cont: frame.pc - 1,
                    handlers: None,
                });
            }
            Instr::If { params, results, else_, end } => {
                let condition = thread.pop_i32()?;
                let height = thread.stack.len().checked_sub(params as usize).ok_or_else(invariant)?;
                thread.labels.push(Label {
                    arity: results as usize,
                    height,
                    cont: end as usize + 1,
                    handlers: None,
                });
                if condition == 0 {
                    frame.pc = else_ as usize;
                }
            }
            Instr::TryTable { params, results, end, handlers } => {
                let height = thread.stack.len().checked_sub(params as usize).ok_or_else(invariant)?;
                let cont = end as usize + 1;
                thread.labels.push(Label { arity: results as usize, height, cont, handlers: Some(handlers) });
            }
            Instr::Throw(tag) => {
                let exn = self.new_exception(thread, frame, tag)?;
                self.throw(thread, frame, exn)?;
            }
            Instr::ThrowRef => {
                let exn = match thread.pop()? {
                    Value::ExternRef(Some(exn)) => exn as usize,
                    Value::ExternRef(None) => return Err(TrapCode::NullExceptionReference.into()),
                    _ => return Err(invariant()),
                };
                self.throw(thread, frame, exn)?;
            }
            Instr::Else { end } => frame.pc = end as usize,
            Instr::End => {
                thread.labels.pop().ok_or_else(invariant)?;
            }
            Instr::Br(depth) => thread.branch(frame, depth)?,
            Instr::BrIf(depth) => {
                if thread.pop_i32()? != 0 {
                    thread.branch(frame, depth)?;
                }
            }
            Instr::BrTable { table } => {
                let index = thread.pop_i32()? as u32 as usize;
                let labels = at(&frame.body.br_tables, table)?;
                let depth = *labels.get(index).or(labels.last()).ok_or_else(invariant)?;
                thread.branch(frame, depth)?;
            }
            Instr::Return => {
                // Unwind every label of the frame; falling off the end then
                // returns the results on top of the stack.
                thread.labels.truncate(frame.label_base);
                frame.pc = frame.body.instrs.len();
            }
            Instr::Call(index) => {
                let func = *at(&at(&self.instances, frame.instance)?.funcs, index)?;
                self.call(thread, frame, func)?;
            }
            Instr::CallIndirect { type_index, table } => {
                let func = self.indirect_callee(thread, frame, type_index, table)?;
                self.call(thread, frame, func)?;
            }
            Instr::ReturnCall(index) => {
                let func = *at(&at(&self.instances, frame.instance)?.funcs, index)?;
                self.tail_call(thread, frame, func)?;
            }
            Instr::ReturnCallIndirect { type_index, table } => {
                let func = self.indirect_callee(thread, frame, type_index, table)?;
                self.tail_call(thread, frame, func)?;
            }
            Instr::CallRef(_) => {
                let func = thread.pop_func_ref()?;
                self.call(thread, frame, func)?;
            }
            Instr::ReturnCallRef(_) => {
                let func = thread.pop_func_ref()?;
                self.tail_call(thread, frame, func)?;
            }
            Instr::BrOnNull(depth) => {
                let value = thread.pop()?;
                if value.is_null_ref() {
                    thread.branch(frame, depth)?;
                } else {
                    thread.stack.push(value);
                }
            }
            Instr::BrOnNonNull(depth) => {
                let value = thread.pop()?;
                if !value.is_null_ref() {
                    thread.stack.push(value);
                    thread.branch(frame, depth)?;
                }
            }
            Instr::Drop => {
                thread.pop()?;
            }
            Instr::Select => {
                let condition = thread.pop_i32()?;
                let second = thread.pop()?;
                let first = thread.pop()?;
                thread.stack.push(if condition != 0 { first } else { second });
            }
            Instr::LocalGet(i) => thread.stack.push(*at(&frame.locals, i)?),
            Instr::LocalSet(i) => *at_mut(&mut frame.locals, i)? = thread.pop()?,
            Instr::LocalTee(i) => {
                let value = *thread.stack.last().ok_or_else(invariant)?;
                *at_mut(&mut frame.locals, i)? = value;
            }
            Instr::GlobalGet(i) => {
                let global = *at(&at(&self.instances, frame.instance)?.globals, i)?;
                thread.stack.push(at(&self.globals, global)?.value);
            }
            Instr::GlobalSet(i) => {
                let global = *at(&at(&self.instances, frame.instance)?.globals, i)?;
                at_mut(&mut self.globals, global)?.value = thread.pop()?;
            }
            Instr::TableGet(t) => {
                let table = self.table(frame.instance, t)?;
                let index = thread.pop_addr(table.addr)?;
                let value = usize::try_from(index).ok().and_then(|i| table.elems.get(i));
                thread.stack.push(*value.ok_or(Trap::from(TrapCode::TableOutOfBounds))?);
            }
            Instr::TableSet(t) => {
                let value = thread.pop()?;
                let table = self.table_mut(frame.instance, t)?;
                let index = thread.pop_addr(table.addr)?;
                let slot = usize::try_from(index).ok().and_then(|i| table.elems.get_mut(i));
                *slot.ok_or(Trap::from(TrapCode::TableOutOfBounds))? = value;
            }
            Instr::TableSize(t) => {
                let table = self.table(frame.instance, t)?;
                thread.stack.push(table.addr.value(table.elems.len() as u64));
            }
            Instr::TableGrow(t) => {
                let limit = self.limits.max_table_elements;
                let table = self.table_mut(frame.instance, t)?;
                let n = thread.pop_addr(table.addr)?;
                let init = thread.pop()?;
                let old = table.elems.len() as u64;
                let max = table.max.unwrap_or(u64::MAX).min(table.addr.max_elements()).min(limit);
                match old.checked_add(n).filter(|&new| new <= max) {
                    Some(new) => {
                        table.elems.resize(usize::try_from(new).map_err(|_| invariant())?, init);
                        thread.stack.push(table.addr.value(old));
                    }
                    // -1: the table cannot grow by `n`.
                    None => thread.stack.push(table.addr.value(u64::MAX)),
                }
            }
            Instr::TableFill(t) => {
                let table = self.table_mut(frame.instance, t)?;
                let n = thread.pop_addr(table.addr)?;
                let value = thread.pop()?;
                let start = thread.pop_addr(table.addr)?;
                let slots =
                    range(start, n, table.elems.len()).ok_or(Trap::from(TrapCode::TableOutOfBounds))?;
                table.elems[slots].fill(value);
            }
            Instr::TableCopy { dst, src } => {
                let src_table = self.table(frame.instance, src)?;
                let dst_table = self.table(frame.instance, dst)?;
                // The length has the narrower of the two index types.
                let n = thread.pop_addr(src_table.addr.min(dst_table.addr))?;
                let s = thread.pop_addr(src_table.addr)?;
                let d = thread.pop_addr(dst_table.addr)?;
                let (Some(s), Some(d)) =
                    (range(s, n, src_table.elems.len()), range(d, n, dst_table.elems.len()))
                else {
                    return Err(TrapCode::TableOutOfBounds.into());
                };
                let items = src_table.elems[s].to_vec();
                self.table_mut(frame.instance, dst)?.elems[d].copy_from_slice(&items);
            }
            Instr::TableInit { elem, table } => {
                let n = thread.pop_addr(AddrType::I32)?;
                let s = thread.pop_addr(AddrType::I32)?;
                let d = thread.pop_addr(self.table(frame.instance, table)?.addr)?;
                self.table_init(frame.instance, table, elem, d, s, n)?;
            }
            Instr::ElemDrop(e) => {
                let inst = at_mut(&mut self.instances, frame.instance)?;
                at_mut(&mut inst.elems, e)?.clear();
            }
            Instr::Load { op, mem, offset } => {
                let mem = self.memory(frame.instance, mem)?;
                let addr = thread.pop_addr(mem.addr)?;
                thread.stack.push(load(&mem.bytes, op, addr, offset)?);
            }
            Instr::Store { op, mem, offset } => {
                let value = thread.pop()?;
                let mem = self.memory_mut(frame.instance, mem)?;
                let addr = thread.pop_addr(mem.addr)?;
                store(&mut mem.bytes, op, addr, offset, value)?;
            }
            Instr::MemorySize(mem) => {
                let mem = self.memory(frame.instance, mem)?;
                thread.stack.push(mem.addr.value(mem.pages()));
            }
            Instr::MemoryGrow(mem) => {
                let limit = self.limits.max_memory_pages;
                let mem = self.memory_mut(frame.instance, mem)?;
                let n = thread.pop_addr(mem.addr)?;
                let old = mem.pages();
                let max = mem.max.unwrap_or(u64::MAX).min(mem.addr.max_pages()).min(limit);
                match old.checked_add(n).filter(|&new| new <= max) {
                    Some(new) => {
                        // A fresh zeroed allocation leaves untouched pages lazy.
                        let len = new.checked_mul(PAGE_SIZE).and_then(|l| usize::try_from(l).ok());
                        let mut bytes = vec![0; len.ok_or_else(invariant)?];
                        bytes[..mem.bytes.len()].copy_from_slice(&mem.bytes);
                        mem.bytes = bytes;
                        thread.stack.push(mem.addr.value(old));
                    }
                    // -1: the memory cannot grow by `n`.
                    None => thread.stack.push(mem.addr.value(u64::MAX)),
                }
            }
            Instr::MemoryFill(mem) => {
                let mem = self.memory_mut(frame.instance, mem)?;
                let n = thread.pop_addr(mem.addr)?;
                let value = thread.pop_i32()? as u8;
                let d = thread.pop_addr(mem.addr)?;
                let bytes = range(d, n, mem.bytes.len()).ok_or(Trap::from(TrapCode::MemoryOutOfBounds))?;
                mem.bytes[bytes].fill(value);
            }
            Instr::MemoryCopy { dst, src } => {
                let (src, dst) = (self.mem_addr(frame.instance, src)?, self.mem_addr(frame.instance, dst)?);
                let (src_mem, dst_mem) = (at(&self.mems, src)?, at(&self.mems, dst)?);
                // The length has the narrower of the two address types.
                let n = thread.pop_addr(src_mem.addr.min(dst_mem.addr))?;
                let s = thread.pop_addr(src_mem.addr)?;
                let d = thread.pop_addr(dst_mem.addr)?;
                let (Some(s), Some(d)) = (range(s, n, src_mem.bytes.len()), range(d, n, dst_mem.bytes.len()))
                else {
                    return Err(TrapCode::MemoryOutOfBounds.into());
                };
                if src == dst {
                    at_mut(&mut self.mems, dst)?.bytes.copy_within(s, d.start);
                } else {
                    let bytes = src_mem.bytes[s].to_vec();
                    at_mut(&mut self.mems, dst)?.bytes[d].copy_from_slice(&bytes);
                }
            }
            Instr::MemoryInit { data, mem } => {
                let n = thread.pop_addr(AddrType::I32)?;
                let s = thread.pop_addr(AddrType::I32)?;
                let d = thread.pop_addr(self.memory(frame.instance, mem)?.addr)?;
                self.memory_init(frame.instance, mem, data, d, s, n)?;
            }
            Instr::DataDrop(d) => {
                let inst = at_mut(&mut self.instances, frame.instance)?;
                at_mut(&mut inst.datas, d)?.clear();
            }
            Instr::Const(value) => thread.stack.push(value),
            Instr::RefNull(ValType::FuncRef) => thread.stack.push(Value::FuncRef(None)),
            Instr::RefNull(_) => thread.stack.push(Value::ExternRef(None)),
            Instr::RefIsNull => {
                let value = thread.pop()?;
                thread.stack.push(Value::I32(i32::from(value.is_null_ref())));
            }
            Instr::RefAsNonNull => {
                if thread.stack.last().ok_or_else(invariant)?.is_null_ref() {
                    return Err(TrapCode::NullReference.into());
                }
            }
            Instr::RefFunc(index) => {
                let func = *at(&at(&self.instances, frame.instance)?.funcs, index)?;
                thread.stack.push(Value::FuncRef(Some(func)));
            }
            Instr::Unary(op) => {
                let a = thread.pop()?;
                thread.stack.push(eval_unop(op, a)?);
            }
            Instr::Binary(op) => {
                let b = thread.pop()?;
                let a = thread.pop()?;
                thread.stack.push(eval_binop(op, a, b)?);
            }
            Instr::Vector(op) => {
                let operands = thread.pop_n(op.arity())?;
                thread.stack.push(eval_vector(op, &operands)?);
            }
            Instr::VectorLoad { op, mem, offset } => {
                let mem = self.memory(frame.instance, mem)?;
                let addr = thread.pop_addr(mem.addr)?;
                thread.stack.push(Value::V128(vector_memory::load(&mem.bytes, op, addr, offset)?));
            }
            Instr::VectorStore { mem, offset } => {
                let value = thread.pop_v128()?;
                let mem = self.memory_mut(frame.instance, mem)?;
                let addr = thread.pop_addr(mem.addr)?;
                vector_memory::store(&mut mem.bytes, addr, offset, value)?;
            }
            Instr::VectorLoadLane { shape, lane, mem, offset } => {
                let value = thread.pop_v128()?;
                let mem = self.memory(frame.instance, mem)?;
                let addr = thread.pop_addr(mem.addr)?;
                let loaded = vector_memory::load_lane(&mem.bytes, shape, lane, addr, offset, value)?;
                thread.stack.push(Value::V128(loaded));
            }
            Instr::VectorStoreLane { shape, lane, mem, offset } => {
                let value = thread.pop_v128()?;
                let mem = self.memory_mut(frame.instance, mem)?;
                let addr = thread.pop_addr(mem.addr)?;
                vector_memory::store_lane(&mut mem.bytes, shape, lane, addr, offset, value)?;
            }
        }
        Ok(())
    }

    /// The function `call_indirect` through `table` reaches with the index
    /// on the stack, after its bounds, null and type checks.
    fn indirect_callee(
        &self,
        thread: &mut Thread,
        frame: &Frame,
        type_index: u32,
        table: u32,
    ) -> Result<FuncAddr, Trap> {
        let inst = at(&self.instances, frame.instance)?;
        let table = at(&self.tables, *at(&inst.tables, table)?)?;
        let index = thread.pop_addr(table.addr)?;
        let func = match usize::try_from(index).ok().and_then(|i| table.elems.get(i)) {
            None => return Err(TrapCode::UndefinedElement.into()),
            Some(Value::FuncRef(None)) => return Err(TrapCode::UninitializedElement.into()),
            Some(Value::FuncRef(Some(func))) => *func,
            Some(_) => return Err(invariant()),
        };
        // Without GC a function's type matches the expected one when it is
        // equivalent (spec 3.0 §4.4.8 `call_indirect` step 13); within one
        // module the two are mostly the same object.
        let (have, want) = (at(&self.funcs, func)?.def_type(), &**at(&inst.def_types, type_index)?);
        if !std::ptr::eq(have, want) && have != want {
            return Err(TrapCode::IndirectCallTypeMismatch.into());
        }
        Ok(func)
    }

    /// Tail-calls `func` from `frame`: the frame is unwound (its labels,
    /// operands and locals) leaving only the arguments, and the callee takes
    /// its place, so a chain of tail calls runs in constant space. A host
    /// callee runs at once, and `frame` then returns its results.
    fn tail_call(&mut self, thread: &mut Thread, frame: &mut Frame, func: FuncAddr) -> Result<(), Trap> {
        let params = at(&self.funcs, func)?.ty().params.len();
        let args = thread.pop_n(params)?;
        thread.stack.truncate(frame.stack_base);
        thread.labels.truncate(frame.label_base);
        thread.locals_held -= frame.locals.len();
        frame.locals = Vec::new();
        thread.stack.extend(args);
        match self.enter(thread, func)? {
            Some(callee) => *frame = callee,
            None => frame.pc = frame.body.instrs.len(),
        }
        Ok(())
    }

    /// `throw x` (spec 3.0 §4.4.8 `throw`, steps 1-9): pops tag `x`'s
    /// parameters into a new exception instance, returning its address.
    fn new_exception(&mut self, thread: &mut Thread, frame: &Frame, tag: u32) -> Result<usize, Trap> {
        let tag = *at(&at(&self.instances, frame.instance)?.tags, tag)?;
        let payload = thread.pop_n(at(&self.tags, tag)?.ty.params.len())?;
        self.exns.push(super::store::ExnInst { tag, payload });
        Ok(self.exns.len() - 1)
    }

    /// Throws the exception at `exn` (spec 3.0 §4.4.8 `throw_ref`): unwinds
    /// labels, and whole frames when theirs are exhausted, to the innermost
    /// `try_table` with a clause that catches it, trying its clauses in
    /// order; that clause's values are pushed at the `try_table`'s stack
    /// height and it branches to its label. With no handler left in the
    /// thread, the invocation ends with [`TrapCode::UncaughtException`].
    fn throw(&mut self, thread: &mut Thread, frame: &mut Frame, exn: usize) -> Result<(), Trap> {
        let tag = at(&self.exns, exn)?.tag;
        let exn_ref = Value::ExternRef(Some(u32::try_from(exn).map_err(|_| invariant())?));
        loop {
            while thread.labels.len() > frame.label_base {
                let label = thread.labels.pop().ok_or_else(invariant)?;
                if let Some(handlers) = label.handlers {
                    for &clause in at(&frame.body.handlers, handlers)? {
                        let (caught, depth, with_payload, with_ref) = match clause {
                            Catch::One { tag: t, label } => {
                                (self.tag_addr(frame.instance, t)? == tag, label, true, false)
                            }
                            Catch::OneRef { tag: t, label } => {
                                (self.tag_addr(frame.instance, t)? == tag, label, true, true)
                            }
                            Catch::All { label } => (true, label, false, false),
                            Catch::AllRef { label } => (true, label, false, true),
                        };
                        if caught {
                            thread.stack.truncate(label.height);
                            if with_payload {
                                thread.stack.extend_from_slice(&at(&self.exns, exn)?.payload);
                            }
                            if with_ref {
                                thread.stack.push(exn_ref);
                            }
                            return thread.branch(frame, depth);
                        }
                    }
                }
            }
            // No handler in this frame: it ends, and its caller rethrows.
            thread.labels.truncate(frame.label_base);
            thread.locals_held -= frame.locals.len();
            thread.stack.truncate(frame.stack_base);
            match thread.callers.pop() {
                Some(caller) => *frame = caller,
                None => {
                    let payload = at(&self.exns, exn)?.payload.clone();
                    return Err(Trap::uncaught(Exception { tag, payload }));
                }
            }
        }
    }

    /// The store address of tag `index` of `instance`.
    fn tag_addr(&self, instance: InstanceAddr, index: u32) -> Result<usize, Trap> {
        at(&at(&self.instances, instance)?.tags, index).copied()
    }

    /// Calls `func` from `frame`: the caller is suspended until it returns.
    fn call(&mut self, thread: &mut Thread, frame: &mut Frame, func: FuncAddr) -> Result<(), Trap> {
        if let Some(callee) = self.enter(thread, func)? {
            thread.callers.push(std::mem::replace(frame, callee));
        }
        Ok(())
    }

    fn table(&self, instance: InstanceAddr, index: u32) -> Result<&super::store::TableInst, Trap> {
        at(&self.tables, *at(&at(&self.instances, instance)?.tables, index)?)
    }

    fn table_mut(
        &mut self,
        instance: InstanceAddr,
        index: u32,
    ) -> Result<&mut super::store::TableInst, Trap> {
        let addr = *at(&at(&self.instances, instance)?.tables, index)?;
        at_mut(&mut self.tables, addr)
    }

    /// The store address of memory `index` of `instance`.
    fn mem_addr(&self, instance: InstanceAddr, index: u32) -> Result<usize, Trap> {
        at(&at(&self.instances, instance)?.mems, index).copied()
    }

    fn memory(&self, instance: InstanceAddr, index: u32) -> Result<&super::store::MemInst, Trap> {
        at(&self.mems, self.mem_addr(instance, index)?)
    }

    fn memory_mut(&mut self, instance: InstanceAddr, index: u32) -> Result<&mut super::store::MemInst, Trap> {
        let addr = self.mem_addr(instance, index)?;
        at_mut(&mut self.mems, addr)
    }
}

/// `t.load` and `t.loadN_sx` (spec §4.4.7): little-endian, sign or zero
/// extended to the result type.
fn load(bytes: &[u8], op: LoadOp, addr: u64, offset: u64) -> Result<Value, Trap> {
    use LoadOp::*;
    Ok(match op {
        I32Load => Value::I32(i32::from_le_bytes(read(bytes, addr, offset)?)),
        I64Load => Value::I64(i64::from_le_bytes(read(bytes, addr, offset)?)),
        F32Load => Value::F32(u32::from_le_bytes(read(bytes, addr, offset)?)),
        F64Load => Value::F64(u64::from_le_bytes(read(bytes, addr, offset)?)),
        I32Load8S => Value::I32(i32::from(i8::from_le_bytes(read(bytes, addr, offset)?))),
        I32Load8U => Value::I32(i32::from(u8::from_le_bytes(read(bytes, addr, offset)?))),
        I32Load16S => Value::I32(i32::from(i16::from_le_bytes(read(bytes, addr, offset)?))),
        I32Load16U => Value::I32(i32::from(u16::from_le_bytes(read(bytes, addr, offset)?))),
        I64Load8S => Value::I64(i64::from(i8::from_le_bytes(read(bytes, addr, offset)?))),
        I64Load8U => Value::I64(i64::from(u8::from_le_bytes(read(bytes, addr, offset)?))),
        I64Load16S => Value::I64(i64::from(i16::from_le_bytes(read(bytes, addr, offset)?))),
        I64Load16U => Value::I64(i64::from(u16::from_le_bytes(read(bytes, addr, offset)?))),
        I64Load32S => Value::I64(i64::from(i32::from_le_bytes(read(bytes, addr, offset)?))),
        I64Load32U => Value::I64(i64::from(u32::from_le_bytes(read(bytes, addr, offset)?))),
    })
}

/// `t.store` and `t.storeN` (spec §4.4.7): little-endian, wrapped to N bits.
fn store(bytes: &mut [u8], op: StoreOp, addr: u64, offset: u64, value: Value) -> Result<(), Trap> {
    use StoreOp::*;
    let data: Vec<u8> = match (op, value) {
        (I32Store, Value::I32(v)) => v.to_le_bytes().to_vec(),
        (I64Store, Value::I64(v)) => v.to_le_bytes().to_vec(),
        (F32Store, Value::F32(v)) => v.to_le_bytes().to_vec(),
        (F64Store, Value::F64(v)) => v.to_le_bytes().to_vec(),
        (I32Store8, Value::I32(v)) => (v as u8).to_le_bytes().to_vec(),
        (I32Store16, Value::I32(v)) => (v as u16).to_le_bytes().to_vec(),
        (I64Store8, Value::I64(v)) => (v as u8).to_le_bytes().to_vec(),
        (I64Store16, Value::I64(v)) => (v as u16).to_le_bytes().to_vec(),
        (I64Store32, Value::I64(v)) => (v as u32).to_le_bytes().to_vec(),
        _ => return Err(invariant()),
    };
    write(bytes, addr, offset, &data)
}
