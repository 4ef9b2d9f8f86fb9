//! The transfer function: what one instruction does to the abstract state,
//! and where control goes next.

use super::*;

/// Caller-saved registers: rax, rcx, rdx, rsi, rdi, r8–r11.
const CALLER_SAVED: [u8; 9] = [0, 1, 2, 6, 7, 8, 9, 10, 11];

pub(super) fn is_write(a: OpAccess) -> bool {
    matches!(a, OpAccess::Write | OpAccess::CondWrite | OpAccess::ReadWrite | OpAccess::ReadCondWrite)
}

fn is_read(a: OpAccess) -> bool {
    matches!(a, OpAccess::Read | OpAccess::CondRead | OpAccess::ReadWrite | OpAccess::ReadCondWrite)
}

/// A value written to a register of `bytes` bytes: 32-bit writes clear the
/// upper half, 8- and 16-bit ones keep it (unknown here).
fn narrow(v: Val, bytes: usize) -> Val {
    match bytes {
        8 => v,
        4 => match v.bound() {
            Some(b) if b <= u64::from(u32::MAX) => v,
            _ => Val::Bounded(u64::from(u32::MAX)),
        },
        _ => Val::Unknown,
    }
}

fn add(a: Val, b: Val) -> Val {
    use Val as V;
    match (a, b) {
        (V::VmField(VmField::HeapBase), i) | (i, V::VmField(VmField::HeapBase)) if i.bound().is_some() => {
            V::HeapAddr(i.bound().unwrap_or(u64::MAX))
        }
        (V::HeapAddr(m), i) | (i, V::HeapAddr(m)) if i.bound().is_some() => {
            i.bound().and_then(|b| b.checked_add(m)).map_or(V::Unknown, V::HeapAddr)
        }
        (V::TableElems(t), V::TableIdx(u, 8)) | (V::TableIdx(u, 8), V::TableElems(t))
            if table_bit(t).is_some_and(|b| u & b != 0) =>
        {
            V::TableSlot(t)
        }
        (V::CodeAddr(x), V::JtEntry(y, n)) | (V::JtEntry(y, n), V::CodeAddr(x)) if x == y => {
            V::JtTarget(x, n)
        }
        (V::Stack(d), V::Const(c)) | (V::Const(c), V::Stack(d)) => V::Stack(d.wrapping_add(c as i64)),
        (V::StackLimit(k), V::Const(c)) | (V::Const(c), V::StackLimit(k)) => {
            k.checked_add(c).map_or(V::Unknown, V::StackLimit)
        }
        (V::Const(x), V::Const(y)) => x.checked_add(y).map_or(V::Unknown, V::Const),
        _ => match (a.bound(), b.bound()) {
            (Some(x), Some(y)) => x.checked_add(y).map_or(V::Unknown, V::Bounded),
            _ => V::Unknown,
        },
    }
}

impl Checker<'_> {
    /// The value of operand `i` of `ins` (a register, an immediate, or the
    /// loaded value of its memory operand).
    fn operand(&self, ins: &Instruction, i: u32, st: &State, loaded: Val) -> Val {
        match ins.op_kind(i) {
            OpKind::Register => Self::reg_value(st, ins.op_register(i)),
            OpKind::Memory => loaded,
            OpKind::Immediate8 | OpKind::Immediate16 | OpKind::Immediate32 => Val::Const(ins.immediate(i)),
            OpKind::Immediate64
            | OpKind::Immediate8to64
            | OpKind::Immediate32to64
            | OpKind::Immediate8to16
            | OpKind::Immediate8to32 => Val::Const(ins.immediate(i)),
            _ => Val::Unknown,
        }
    }

    /// Narrows `st` to the edge of a branch on `cc` (taken or not);
    /// `false`, with `st` unchanged, when that edge can never be taken.
    fn refine(&self, st: &mut State, cc: ConditionCode, taken: bool) -> bool {
        let (Some(f), Some(p)) = (st.flags.clone(), pred(cc, taken)) else { return true };
        // Two constants (a condition Cranelift folded, as `trapnz` on a
        // comparison of a value with itself): the edge is taken or not.
        if let (Val::Const(a), Val::Const(b)) = (f.vals[0], f.vals[1]) {
            let mask = if f.bits >= 64 { u64::MAX } else { (1u64 << f.bits) - 1 };
            let (a, b) = (a & mask, b & mask);
            return match p {
                Pred::Below => a < b,
                Pred::BelowEq => a <= b,
                Pred::AboveEq => a >= b,
                Pred::Above => a > b,
                Pred::Eq => a == b,
                Pred::Ne => a != b,
            };
        }
        // x < y or x <= y, as operand indices.
        let (x, y, strict) = match p {
            // Unsigned, x != 0 is 0 < x.
            Pred::Ne if f.vals[1] == Val::Const(0) => (1, 0, true),
            Pred::Ne if f.vals[0] == Val::Const(0) => (0, 1, true),
            Pred::Ne => return true,
            Pred::Below => (0, 1, true),
            Pred::Above => (1, 0, true),
            Pred::BelowEq => (0, 1, false),
            Pred::AboveEq => (1, 0, false),
            Pred::Eq => {
                match (f.vals[0], f.vals[1]) {
                    (Val::ElemType(id), Val::TypeId(k)) | (Val::TypeId(k), Val::ElemType(id))
                        if f.bits == 64 =>
                    {
                        st.checked.insert(id, k);
                    }
                    _ => {}
                }
                return true;
            }
        };
        if strict && f.vals[y] == Val::Const(0) {
            // Nothing is below zero.
            return false;
        }
        // A comparison narrower than 64 bits says something of the whole
        // register only when its upper bits are known to be zero.
        let whole = |v: Val| f.bits == 64 || v.bound().is_some_and(|b| b <= u64::from(u32::MAX));
        let (xv, yv) = (f.vals[x], f.vals[y]);
        // A constant below a table's length: elements up to it exist. Any
        // value below it: element 0 exists (Cranelift may fold the index of
        // a checked access to 0, as `(x << 63) << 3`).
        if let (Val::Const(c), Val::TableLen(t)) = (xv, yv) {
            // A table's length is below 2^32 (the runtime bounds every table
            // by `MAX_TABLE_ELEMENTS`): a 64-bit index of 2^32 or more
            // (table64) is never below it.
            if f.bits == 64 && c >= u64::from(u32::MAX) {
                return false;
            }
            let n = if strict { c.checked_add(1) } else { Some(c) };
            if let Some(n) = n.filter(|_| f.bits == 64) {
                let e = st.table_min.entry(t).or_insert(0);
                *e = (*e).max(n);
            }
        } else if let (Val::TableLen(t), true, 64) = (yv, strict, f.bits) {
            let e = st.table_min.entry(t).or_insert(0);
            *e = (*e).max(1);
        }
        if let Some(r) = f.regs[x] {
            let full = st.regs[r as usize];
            let refined = match (yv, strict) {
                (Val::Const(c), true) if c > 0 && whole(full) => Some(Val::Bounded(c - 1)),
                (Val::Const(c), false) if whole(full) => Some(Val::Bounded(c)),
                // Below this table's length, and below those it was
                // already known to be below.
                (Val::TableLen(t), true) if f.bits == 64 => table_bit(t).map(|b| match full {
                    Val::TableIdx(m, 1) => Val::TableIdx(m | b, 1),
                    _ => Val::TableIdx(b, 1),
                }),
                _ => None,
            };
            if let Some(v) = refined {
                // Keep a tighter integer bound, never a table index's.
                let v = match (full.bound(), v.bound(), v) {
                    (_, _, Val::TableIdx(..)) => v,
                    (Some(a), Some(b), _) if a < b => full,
                    _ => v,
                };
                st.regs[r as usize] = v;
            }
        }
        // The stack-limit check: limit + k <= rsp.
        if let (Val::StackLimit(k), Val::Stack(d), Some(RSP), false) = (xv, yv, f.regs[y], strict)
            && f.bits == 64
            && d <= 0
        {
            let depth = (k as i64).saturating_add(-d);
            st.stack_ok = Some(st.stack_ok.map_or(depth, |o| o.max(depth)));
        }
        true
    }

    /// Moves the stack pointer to `to` (from the entry's), checking the
    /// frame against the proven stack depth.
    fn move_rsp(&self, st: &mut State, to: Val) -> Step {
        let Val::Stack(d) = to else {
            return Err((Property::StackBalance, format!("stack pointer becomes {to:?}")));
        };
        let allowed = st.stack_ok.unwrap_or(0) + STACK_SLACK;
        if -d > allowed {
            return Err((
                Property::StackLimit,
                format!("frame of {} bytes, {} proven above the stack limit", -d, st.stack_ok.unwrap_or(0)),
            ));
        }
        st.set(RSP, to);
        Ok(())
    }

    /// Returns and tail calls: the stack pointer is where the return
    /// address is, callee-saved registers hold their entry values.
    fn check_exit(&self, st: &State, pops: i64) -> Step {
        let d = st.rsp().unwrap_or(i64::MIN);
        if st.slots.get(d) != Some(Val::RetAddr) {
            return Err((
                Property::StackBalance,
                format!("stack pointer {:?} does not point at the return address", st.regs[RSP as usize]),
            ));
        }
        if d + pops != self.incoming {
            return Err((
                Property::StackBalance,
                format!(
                    "leaves the stack {} bytes off (pops {pops}, {} bytes of arguments)",
                    d + pops - self.incoming,
                    self.incoming
                ),
            ));
        }
        for r in CALLEE_SAVED {
            if st.regs[r as usize] != Val::Entry(r) {
                return Err((
                    Property::StackBalance,
                    format!("callee-saved register {r} not restored: {:?}", st.regs[r as usize]),
                ));
            }
        }
        Ok(())
    }

    /// The bytes of stack arguments the target of a call through `v` pops
    /// and of return area it may write, or why it may not be called.
    fn callee(&self, v: Val, st: &State, direct: Option<u32>) -> Result<(i64, i64), (Property, String)> {
        let f = self.facts;
        let pops = |n: Option<&(u32, u32)>| n.map(|&(p, r)| (i64::from(p), i64::from(r)));
        let found = match (direct, v) {
            (Some(index), _) => pops(f.func_abi.get(index as usize)),
            (None, Val::FuncCode(n)) => pops(f.func_abi.get(n as usize)),
            (None, Val::LibcallCode) => Some((0, 0)),
            (None, Val::ElemCode(id)) => match st.checked.get(&id) {
                Some(k) => pops(f.type_abi.get(*k as usize)),
                None => {
                    return Err((
                        Property::CallTarget,
                        "code of a table element whose type id was not compared".into(),
                    ));
                }
            },
            _ => None,
        };
        if st.stack_ok.is_none() {
            return Err((Property::StackLimit, "calls before the stack-limit check".into()));
        }
        found.ok_or((Property::CallTarget, format!("target {v:?}")))
    }

    /// The direct-call relocation of the call or jump `ins`, if any: the
    /// callee's index.
    fn direct_target(&self, ins: &Instruction) -> Option<Option<u32>> {
        let field = (ins.next_ip() - 4) as u32;
        if ins.len() >= 5 { self.direct.get(&field).map(|&c| Some(c)) } else { None }
    }

    /// State after a call returns.
    fn after_call(&self, st: &mut State, (pops, return_area): (i64, i64)) -> Step {
        let rsp = st.rsp().unwrap_or(0);
        // The callee may write its stack arguments and a return area whose
        // address we passed.
        st.clobber(i64::MIN / 2, rsp + pops);
        for r in CALLER_SAVED {
            if let Val::Stack(o) = st.regs[r as usize] {
                st.clobber(o, o + return_area);
            }
            st.set(r, Val::Unknown);
        }
        st.flags = None;
        self.move_rsp(st, Val::Stack(rsp + pops))
    }

    /// What instruction `d` does to `st`. Edges that take a copy of the
    /// state go to `jumps`; the one edge that takes `st` itself (the next
    /// instruction, or after a call) is the result, `None` when the
    /// instruction does not continue (a return, a trap, a tail call).
    pub(super) fn step(
        &self,
        d: &Decoded,
        st: &mut State,
        jumps: &mut Vec<(u64, State)>,
    ) -> Result<Option<u64>, (Property, String)> {
        let ins = &d.ins;
        let m = ins.mnemonic();
        let next = ins.next_ip();
        let at = ins.ip();
        let (used_memory, writes, op_access) = (d.used_memory, &d.writes, &d.op_access);
        let mem_op = (0..ins.op_count()).find(|&i| ins.op_kind(i) == OpKind::Memory);
        let stack_op =
            matches!(m, Mnemonic::Push | Mnemonic::Pop | Mnemonic::Call | Mnemonic::Ret | Mnemonic::Leave);

        // The explicit memory operand.
        let mut loaded = Val::Unknown;
        let mut store_at: Option<Place> = None;
        if let Some(i) = mem_op {
            let access = op_access[i as usize];
            if !matches!(m, Mnemonic::Lea) && !matches!(access, OpAccess::NoMemAccess | OpAccess::None) {
                let place = self.place(ins, st);
                let size = ins.memory_size().size() as u64;
                if is_read(access) {
                    loaded = self.access(place, size, false, at, st)?;
                }
                if is_write(access) {
                    self.access(place, size, true, at, st)?;
                    store_at = Some(place);
                }
                if size != 8 && loaded != Val::Unknown && !matches!(loaded, Val::JtEntry(..)) {
                    loaded = Val::Unknown;
                }
                if size < 8 && is_read(access) && !matches!(loaded, Val::JtEntry(..)) {
                    loaded = Val::Bounded(if size >= 8 { u64::MAX } else { (1u64 << (8 * size)) - 1 });
                }
            }
        }
        let explicit = usize::from(mem_op.is_some() && !matches!(m, Mnemonic::Lea));
        if !stack_op && used_memory > explicit {
            return Err((Property::Unsupported, "implicit memory access".into()));
        }

        let dest = if ins.op_count() > 0 && ins.op_kind(0) == OpKind::Register {
            Some(ins.op0_register())
        } else {
            None
        };
        let dest_gpr = dest.and_then(gpr);
        let dest_bytes = dest.map_or(0, |r| r.size());
        let mut handled = true;
        let mut flags_set = false;
        match m {
            Mnemonic::Mov | Mnemonic::Movzx => {
                let v = if m == Mnemonic::Movzx {
                    Val::Bounded(if ins.memory_size().size() == 1 || ins.op_register(1).size() == 1 {
                        0xff
                    } else {
                        0xffff
                    })
                } else {
                    self.operand(ins, 1, st, loaded)
                };
                match (dest_gpr, store_at) {
                    (Some(RSP), _) => {
                        if dest_bytes != 8 {
                            return Err((
                                Property::StackBalance,
                                "partial write of the stack pointer".into(),
                            ));
                        }
                        self.move_rsp(st, v)?;
                    }
                    (Some(r), _) => st.set(r, narrow(v, dest_bytes)),
                    (None, Some(Place::Stack(o))) => {
                        let size = ins.memory_size().size() as i64;
                        st.clobber(o, o + size);
                        if size == 8 {
                            st.slots.insert(o, v);
                        }
                    }
                    (None, _) => {}
                }
            }
            Mnemonic::Lea => {
                let place = self.place(ins, st);
                let v = match place {
                    Place::Stack(o) => Val::Stack(o),
                    Place::Heap(x) => Val::HeapAddr(x),
                    Place::TableElem(t) => Val::TableSlot(t),
                    Place::Code(x) => Val::CodeAddr(x),
                    Place::Field(b, 0) => b,
                    Place::Field(b, d) => add(b, Val::Const(d as u64)),
                    _ => {
                        // base + index * scale + disp over integers.
                        let b = match ins.memory_base() {
                            Register::None => Some(0),
                            r => Self::reg_value(st, r).bound(),
                        };
                        let i = match ins.memory_index() {
                            Register::None => Some(0),
                            r => Self::reg_value(st, r).bound(),
                        };
                        let disp = ins.memory_displacement64();
                        match (b, i) {
                            (Some(b), Some(i)) if (disp as i64) >= 0 => i
                                .checked_mul(u64::from(ins.memory_index_scale()))
                                .and_then(|i| i.checked_add(b))
                                .and_then(|v| v.checked_add(disp))
                                .map_or(Val::Unknown, Val::Bounded),
                            _ => Val::Unknown,
                        }
                    }
                };
                match dest_gpr {
                    Some(RSP) => self.move_rsp(st, v)?,
                    Some(r) => st.set(r, narrow(v, dest_bytes)),
                    None => {}
                }
            }
            Mnemonic::Add | Mnemonic::Sub if dest_gpr.is_some() => {
                let a = self.operand(ins, 0, st, loaded);
                let b = self.operand(ins, 1, st, loaded);
                let v = if m == Mnemonic::Add {
                    add(a, b)
                } else {
                    match (a, b) {
                        (Val::Stack(d), Val::Const(c)) => Val::Stack(d.wrapping_sub(c as i64)),
                        _ => Val::Unknown,
                    }
                };
                match dest_gpr {
                    Some(RSP) => self.move_rsp(st, v)?,
                    Some(r) => st.set(r, narrow(v, dest_bytes)),
                    None => {}
                }
            }
            Mnemonic::Shl | Mnemonic::Shr if dest_gpr.is_some() && ins.op_kind(1) != OpKind::Register => {
                let a = self.operand(ins, 0, st, loaded);
                let k = ins.immediate(1) as u32;
                let v = match (m, a) {
                    (Mnemonic::Shl, Val::TableIdx(t, 1)) if k == 3 && dest_bytes == 8 => Val::TableIdx(t, 8),
                    (Mnemonic::Shl, a) => a
                        .bound()
                        .filter(|b| k < 64 && b.leading_zeros() >= k)
                        .map_or(Val::Unknown, |b| Val::Bounded(b << k)),
                    (_, a) => a.bound().filter(|_| k < 64).map_or(Val::Unknown, |b| Val::Bounded(b >> k)),
                };
                if let Some(r) = dest_gpr.filter(|&r| r != RSP) {
                    st.set(r, narrow(v, dest_bytes));
                } else {
                    return Err((Property::StackBalance, "shift of the stack pointer".into()));
                }
            }
            Mnemonic::And if dest_gpr.is_some_and(|r| r != RSP) => {
                let b = self.operand(ins, 1, st, loaded);
                let a = self.operand(ins, 0, st, loaded);
                let v = match (a.bound(), b) {
                    (_, Val::Const(c)) | (Some(c), _) => Val::Bounded(a.bound().map_or(c, |x| x.min(c))),
                    _ => Val::Unknown,
                };
                if let Some(r) = dest_gpr {
                    st.set(r, narrow(v, dest_bytes));
                }
            }
            Mnemonic::Xor
                if dest_gpr.is_some_and(|r| r != RSP)
                    && ins.op_kind(1) == OpKind::Register
                    && ins.op1_register() == ins.op0_register() =>
            {
                if let Some(r) = dest_gpr {
                    st.set(r, if dest_bytes >= 4 { Val::Const(0) } else { Val::Unknown });
                }
            }
            Mnemonic::Test
                if ins.op_kind(1) == OpKind::Register
                    && ins.op_kind(0) == OpKind::Register
                    && ins.op0_register() == ins.op1_register() =>
            {
                // test r, r: flags as of cmp r, 0 for the conditions used here.
                let r = gpr(ins.op0_register());
                st.flags = Some(Flags {
                    regs: [r, None],
                    vals: [self.operand(ins, 0, st, loaded), Val::Const(0)],
                    bits: 8 * dest_bytes as u32,
                });
                flags_set = true;
            }
            Mnemonic::Cmp => {
                let reg =
                    |i: u32| if ins.op_kind(i) == OpKind::Register { gpr(ins.op_register(i)) } else { None };
                let bits = 8 * if let Some(r) = dest { r.size() } else { ins.memory_size().size() } as u32;
                st.flags = Some(Flags {
                    regs: [reg(0), reg(1)],
                    vals: [self.operand(ins, 0, st, loaded), self.operand(ins, 1, st, loaded)],
                    bits,
                });
                flags_set = true;
            }
            Mnemonic::Cmovb
            | Mnemonic::Cmovae
            | Mnemonic::Cmove
            | Mnemonic::Cmovne
            | Mnemonic::Cmovbe
            | Mnemonic::Cmova
                if dest_gpr.is_some_and(|r| r != RSP) =>
            {
                let cc = ins.condition_code();
                let mut s = st.clone();
                let moved = self
                    .refine(&mut s, cc, true)
                    .then(|| narrow(self.operand(ins, 1, &s, loaded), dest_bytes));
                let mut s = st.clone();
                let kept = self
                    .refine(&mut s, cc, false)
                    .then(|| narrow(Self::reg_value(&s, ins.op0_register()), dest_bytes));
                let v = match (moved, kept) {
                    (Some(a), Some(b)) => a.join(b, false),
                    (Some(a), None) | (None, Some(a)) => a,
                    (None, None) => Val::Unknown,
                };
                if let Some(r) = dest_gpr {
                    st.set(r, v);
                }
            }
            Mnemonic::Push => {
                let v = self.operand(ins, 0, st, loaded);
                let d =
                    st.rsp().ok_or((Property::StackBalance, "push with an unknown stack pointer".into()))?
                        - 8;
                self.move_rsp(st, Val::Stack(d))?;
                st.clobber(d, d + 8);
                st.slots.insert(
                    d,
                    if ins.op_kind(0) == OpKind::Register && ins.op0_register().size() != 8 {
                        Val::Unknown
                    } else {
                        v
                    },
                );
            }
            Mnemonic::Pop => {
                let d =
                    st.rsp().ok_or((Property::StackBalance, "pop with an unknown stack pointer".into()))?;
                if d + 8 > 8 + self.incoming {
                    return Err((Property::StackBalance, "pop past the incoming arguments".into()));
                }
                let v = st.slots.get(d).unwrap_or(Val::Unknown);
                match dest_gpr {
                    Some(RSP) | None => {
                        return Err((Property::Unsupported, "pop into the stack pointer or memory".into()));
                    }
                    Some(r) => {
                        if dest_bytes != 8 {
                            return Err((Property::Unsupported, "narrow pop".into()));
                        }
                        st.set(r, v)
                    }
                }
                st.set(RSP, Val::Stack(d + 8));
            }
            Mnemonic::Leave => {
                let Val::Stack(b) = st.regs[RBP as usize] else {
                    return Err((Property::StackBalance, "leave with an unknown frame pointer".into()));
                };
                let v = st.slots.get(b).unwrap_or(Val::Unknown);
                if b < st.rsp().unwrap_or(i64::MAX) {
                    return Err((Property::StackBalance, "leave below the stack pointer".into()));
                }
                st.set(RBP, v);
                st.set(RSP, Val::Stack(b + 8));
            }
            Mnemonic::Movsxd if matches!(loaded, Val::JtEntry(..)) && dest_bytes == 8 => {
                if let Some(r) = dest_gpr.filter(|&r| r != RSP) {
                    st.set(r, loaded);
                }
            }
            Mnemonic::Nop | Mnemonic::Endbr64 => {}
            _ => handled = false,
        }
        if !handled {
            for (r, _) in writes {
                match gpr(*r) {
                    Some(RSP) if !stack_op => {
                        return Err((
                            Property::StackBalance,
                            "stack pointer changed by an instruction not modelled".into(),
                        ));
                    }
                    Some(RSP) => {}
                    Some(g) => {
                        // iced-x86 names the full register a 32-bit write
                        // zero-extends; the operand says how wide it was.
                        let bytes = if dest_gpr == Some(g) { dest_bytes } else { r.size() };
                        st.set(g, if bytes == 4 { Val::Bounded(u64::from(u32::MAX)) } else { Val::Unknown })
                    }
                    None => {}
                }
            }
            // A store by an unmodelled instruction: forget what it overwrote.
            if let Some(Place::Stack(o)) = store_at {
                let size = ins.memory_size().size() as i64;
                st.clobber(o, o + size);
            }
        }
        if ins.rflags_modified() != 0 && !flags_set {
            st.flags = None;
        }

        Ok(match ins.flow_control() {
            FlowControl::Next => Some(next),
            FlowControl::ConditionalBranch => {
                let cc = ins.condition_code();
                let target = ins.near_branch_target();
                if !matches!(ins.op0_kind(), OpKind::NearBranch64) {
                    return Err((Property::Unsupported, "branch kind".into()));
                }
                let mut taken = st.clone();
                if self.refine(&mut taken, cc, true) {
                    jumps.push((target, taken));
                }
                self.refine(st, cc, false).then_some(next)
            }
            FlowControl::UnconditionalBranch => {
                if let Some(callee) = self.direct_target(ins) {
                    let (pops, _) = self.callee(Val::Unknown, st, Some(callee.unwrap_or(u32::MAX)))?;
                    self.check_exit(st, pops)?;
                    None
                } else if matches!(ins.op0_kind(), OpKind::NearBranch64) {
                    Some(ins.near_branch_target())
                } else {
                    return Err((Property::JumpTarget, "far jump".into()));
                }
            }
            FlowControl::IndirectBranch => {
                let v = self.operand(ins, 0, st, loaded);
                if let Val::JtTarget(x, n) = v {
                    let mut targets = BTreeSet::new();
                    for i in 0..n {
                        let p = (x + 4 * i) as usize;
                        let entry = self
                            .code
                            .get(p..p + 4)
                            .and_then(|b| b.try_into().ok())
                            .map(i32::from_le_bytes)
                            .ok_or((Property::JumpTarget, "jump table past the end".into()))?;
                        let t = (x as i64).wrapping_add(i64::from(entry));
                        if t < 0 || t as u64 >= self.code.len() as u64 {
                            return Err((
                                Property::JumpTarget,
                                format!("jump-table entry {i} goes to {t:#x}"),
                            ));
                        }
                        targets.insert(t as u64);
                    }
                    jumps.extend(targets.into_iter().map(|t| (t, st.clone())));
                    None
                } else {
                    // A tail call through a function reference.
                    let (pops, _) = self.callee(v, st, None).map_err(|(p, d)| match p {
                        Property::CallTarget => (Property::JumpTarget, d),
                        _ => (p, d),
                    })?;
                    self.check_exit(st, pops)?;
                    None
                }
            }
            FlowControl::Call => {
                let Some(callee) = self.direct_target(ins) else {
                    return Err((Property::CallTarget, "direct call that is no relocation".into()));
                };
                let pops = self.callee(Val::Unknown, st, Some(callee.unwrap_or(u32::MAX)))?;
                self.call_pushes(st)?;
                self.after_call(st, pops)?;
                Some(next)
            }
            FlowControl::IndirectCall => {
                let v = self.operand(ins, 0, st, loaded);
                let pops = self.callee(v, st, None)?;
                self.call_pushes(st)?;
                self.after_call(st, pops)?;
                Some(next)
            }
            FlowControl::Return => {
                let pops = if ins.op_count() > 0 { ins.immediate(0) as i64 } else { 0 };
                self.check_exit(st, pops)?;
                None
            }
            FlowControl::Exception | FlowControl::Interrupt => {
                // ud2 (Cranelift's traps) and int3: the signal handler takes over.
                if !matches!(m, Mnemonic::Ud2 | Mnemonic::Int3) {
                    return Err((Property::Unsupported, "instruction that raises an exception".into()));
                }
                None
            }
            FlowControl::XbeginXabortXend => {
                return Err((Property::Unsupported, "transactional memory".into()));
            }
        })
    }

    /// A call's return address: the frame must have room for it.
    fn call_pushes(&self, st: &State) -> Step {
        let d = st.rsp().ok_or((Property::StackBalance, "call with an unknown stack pointer".into()))?;
        let allowed = st.stack_ok.unwrap_or(0) + STACK_SLACK;
        if -(d - 8) > allowed {
            return Err((Property::StackLimit, "call below the proven stack depth".into()));
        }
        Ok(())
    }
}
