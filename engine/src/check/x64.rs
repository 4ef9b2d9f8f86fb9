//! The x86-64 analysis of [`super::check_function`]: decoding with
//! `iced-x86`, a worklist over the control-flow graph (discovered while it
//! is walked, so jump tables and constant pools inside the code are never
//! decoded as instructions), and one abstract value per general-purpose
//! register and per 8-byte stack slot.
//!
//! Everything unknown is refused: an instruction with an implicit memory
//! access it does not model, a stack-pointer change it cannot follow, a
//! branch it cannot resolve.

use std::collections::{BTreeMap, BTreeSet};

use iced_x86::{
    ConditionCode, Decoder, DecoderOptions, FlowControl, Formatter, Instruction, InstructionInfoFactory,
    IntelFormatter, Mnemonic, OpAccess, OpKind, Register,
};

use super::{FuncFacts, Property, Violation};
use crate::runtime::libcalls::LIBCALL_COUNT;
use crate::types::ValType;
use crate::vm;

/// Bytes a linear memory reserves from its base (index space and guard).
const RESERVATION: u64 = 8 << 30;

/// How far below the checked depth the frame may still grow (a leaf
/// function's pushes before or without a stack-limit check). The runtime
/// keeps 64 KiB of the thread's stack below the limit
/// (`runtime::stack::HOST_STACK_RESERVE`), so this stays far inside it.
const STACK_SLACK: i64 = 256;

/// Widening: a block whose entry state changed this many times has its
/// changing values widened, so that the walk terminates.
const WIDEN_AFTER: u32 = 4;

/// Upper bound on instructions walked, as a multiple of the code's length
/// in bytes: a function that needs more is refused rather than checked
/// forever (none comes close).
const WORK_PER_BYTE: usize = 64;

/// What a register or stack slot is known to hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Val {
    Unknown,
    /// Exactly this.
    Const(u64),
    /// An integer at most this (unsigned).
    Bounded(u64),
    /// The callee's `VMContext`.
    VmCtx,
    /// A field of the `VMContext`.
    VmField(VmField),
    /// A linear memory's base plus at most this.
    HeapAddr(u64),
    /// The `VMMemory` record of a memory (from `VMContext::memories`).
    MemoryRec,
    /// The cell of a global.
    GlobalCell,
    /// The `VMFuncRef` of function `n` (from `VMContext::funcs`).
    FuncRef(u32),
    /// Code of function `n` reached through its `VMFuncRef`, or of a
    /// libcall (from `VMLimits::libcalls`).
    FuncCode(u32),
    LibcallCode,
    /// The `VMTable` of table `n`, and its fields.
    TableRec(u32),
    TableElems(u32),
    TableLen(u32),
    /// An index below the length of every table of a set (bit `n`: table
    /// `n`, for tables 0 to 63; see [`table_bit`]), times `scale`. An index
    /// may be checked against several tables (`table.copy`, or Cranelift
    /// sharing one index between accesses of two tables).
    TableIdx(u64, u8),
    /// The address of an element of table `n`.
    TableSlot(u32),
    /// A table element (a `*const VMFuncRef` or null) read by the
    /// instruction at this offset; its type id, its code.
    Elem(u32),
    ElemType(u32),
    ElemCode(u32),
    /// The engine-wide id of type `n`, read from `VMContext::type_ids`.
    TypeId(u32),
    /// `VMLimits::stack_limit`, plus a constant.
    StackLimit(u64),
    /// `VMLimits::epoch`.
    EpochPtr,
    /// The entry stack pointer plus this.
    Stack(i64),
    /// The return address pushed by the caller.
    RetAddr,
    /// A callee-saved register's value at entry.
    Entry(u8),
    /// The return area the caller passed (implicit `sret`).
    ReturnArea,
    /// An address inside the function's own code, or a read of a
    /// jump-table entry (`table`, `entries`), or the sum of the two.
    CodeAddr(u64),
    JtEntry(u64, u64),
    JtTarget(u64, u64),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum VmField {
    Memory,
    /// The base of a linear memory: memory 0's from `VMContext`, another's
    /// from its record. Every memory has the same reservation.
    HeapBase,
    Memories,
    Globals,
    Funcs,
    Tables,
    TypeIds,
    Limits,
}

impl Val {
    /// The unsigned upper bound of an integer value.
    fn bound(self) -> Option<u64> {
        match self {
            Val::Const(c) | Val::Bounded(c) => Some(c),
            // Below a table's length, which is below 2^32 (tables of
            // Wasm 2.0 have 32-bit indices; the runtime keeps `VMTable::len`
            // within the table's maximum).
            Val::TableIdx(_, s) => Some(u64::from(u32::MAX) * u64::from(s)),
            _ => None,
        }
    }

    fn join(self, other: Val, widen: bool) -> Val {
        if self == other {
            return self;
        }
        if let (Val::TableIdx(a, s), Val::TableIdx(b, r)) = (self, other)
            && s == r
            && a & b != 0
        {
            return Val::TableIdx(a & b, s);
        }
        match (self.bound(), other.bound()) {
            (Some(a), Some(b)) => {
                let m = a.max(b);
                if !widen {
                    Val::Bounded(m)
                } else if m <= u64::from(u32::MAX) {
                    Val::Bounded(u64::from(u32::MAX))
                } else {
                    Val::Unknown
                }
            }
            _ => match (self, other) {
                (Val::HeapAddr(a), Val::HeapAddr(b)) if !widen => Val::HeapAddr(a.max(b)),
                _ => Val::Unknown,
            },
        }
    }
}

/// Table `t`'s bit in the set of a [`Val::TableIdx`]; `None` past table
/// 63, whose accesses the checker then cannot prove.
fn table_bit(t: u32) -> Option<u64> {
    1u64.checked_shl(t)
}

/// The operands of the last comparison, for refining on a branch.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Flags {
    /// The registers compared (None once overwritten, or for an immediate
    /// or memory operand), and their values then.
    regs: [Option<u8>; 2],
    vals: [Val; 2],
    /// Width of the comparison in bits.
    bits: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct State {
    regs: [Val; 16],
    /// 8-byte slots by offset from the entry stack pointer.
    slots: Slots,
    flags: Option<Flags>,
    /// Table elements whose type id compared equal to that of a type.
    checked: BTreeMap<u32, u32>,
    /// Bytes below the entry stack pointer proven above the stack limit.
    stack_ok: Option<i64>,
    /// Tables whose length was proven greater than a constant.
    table_min: BTreeMap<u32, u64>,
}

const RSP: u8 = 4;
const RBP: u8 = 5;
/// rbx, rbp, r12–r15: preserved by every calling convention used here.
const CALLEE_SAVED: [u8; 6] = [3, 5, 12, 13, 14, 15];
/// The System V / Cranelift `tail` integer argument registers, in order.
const INT_ARGS: [u8; 6] = [7, 6, 2, 1, 8, 9];
/// Float arguments in xmm0–xmm7.
const FLOAT_ARGS: usize = 8;

fn gpr(r: Register) -> Option<u8> {
    let full = r.full_register();
    if full.is_gpr64() { Some((full as u32 - Register::RAX as u32) as u8) } else { None }
}

impl State {
    fn join(&self, other: &State, widen: bool) -> State {
        let mut regs = self.regs;
        for (r, o) in regs.iter_mut().zip(other.regs.iter()) {
            *r = r.join(*o, widen);
        }
        let slots = self.slots.join(&other.slots, widen);
        State {
            regs,
            slots,
            flags: if self.flags == other.flags { self.flags.clone() } else { None },
            checked: self
                .checked
                .iter()
                .filter(|(k, v)| other.checked.get(k) == Some(v))
                .map(|(k, v)| (*k, *v))
                .collect(),
            stack_ok: match (self.stack_ok, other.stack_ok) {
                (Some(a), Some(b)) => Some(a.min(b)),
                _ => None,
            },
            table_min: self
                .table_min
                .iter()
                .filter_map(|(t, n)| other.table_min.get(t).map(|m| (*t, (*n).min(*m))))
                .collect(),
        }
    }

    fn set(&mut self, r: u8, v: Val) {
        self.regs[r as usize] = v;
        if let Some(f) = &mut self.flags {
            for reg in &mut f.regs {
                if *reg == Some(r) {
                    *reg = None;
                }
            }
        }
    }

    fn rsp(&self) -> Option<i64> {
        match self.regs[RSP as usize] {
            Val::Stack(d) => Some(d),
            _ => None,
        }
    }

    /// Forgets the slots that `[lo, hi)` overlaps.
    fn clobber(&mut self, lo: i64, hi: i64) {
        self.slots.clobber(lo, hi);
    }
}

/// The known 8-byte stack slots, sorted by offset: a state is cloned at
/// every branch and joined where paths meet, and a frame holds few slots,
/// so one flat vector beats a tree.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Slots(Vec<(i64, Val)>);

impl Slots {
    fn get(&self, offset: i64) -> Option<Val> {
        self.0.binary_search_by_key(&offset, |&(k, _)| k).ok().map(|i| self.0[i].1)
    }

    fn insert(&mut self, offset: i64, v: Val) {
        match self.0.binary_search_by_key(&offset, |&(k, _)| k) {
            Ok(i) => self.0[i].1 = v,
            Err(i) => self.0.insert(i, (offset, v)),
        }
    }

    /// Forgets the slots that `[lo, hi)` overlaps.
    fn clobber(&mut self, lo: i64, hi: i64) {
        let from = self.0.partition_point(|&(k, _)| k <= lo.saturating_sub(8));
        let to = self.0.partition_point(|&(k, _)| k < hi);
        if from < to {
            self.0.drain(from..to);
        }
    }

    /// The slots known on both sides, their values joined.
    fn join(&self, other: &Slots, widen: bool) -> Slots {
        let (mut a, mut b) = (self.0.iter().peekable(), other.0.iter().peekable());
        let mut out = Vec::with_capacity(self.0.len().min(other.0.len()));
        while let (Some(&&(ka, va)), Some(&&(kb, vb))) = (a.peek(), b.peek()) {
            match ka.cmp(&kb) {
                std::cmp::Ordering::Less => {
                    a.next();
                }
                std::cmp::Ordering::Greater => {
                    b.next();
                }
                std::cmp::Ordering::Equal => {
                    let v = va.join(vb, widen);
                    if v != Val::Unknown {
                        out.push((ka, v));
                    }
                    a.next();
                    b.next();
                }
            }
        }
        Slots(out)
    }
}

/// A condition that holds on one edge of a conditional branch, over the
/// operands `a`, `b` of the last `cmp a, b`.
#[derive(Debug, Clone, Copy)]
enum Pred {
    Below,
    BelowEq,
    AboveEq,
    Above,
    Eq,
    Ne,
}

fn pred(cc: ConditionCode, taken: bool) -> Option<Pred> {
    use ConditionCode as C;
    let (p, n) = match cc {
        C::b => (Some(Pred::Below), Some(Pred::AboveEq)),
        C::ae => (Some(Pred::AboveEq), Some(Pred::Below)),
        C::be => (Some(Pred::BelowEq), Some(Pred::Above)),
        C::a => (Some(Pred::Above), Some(Pred::BelowEq)),
        C::e => (Some(Pred::Eq), Some(Pred::Ne)),
        C::ne => (Some(Pred::Ne), Some(Pred::Eq)),
        _ => (None, None),
    };
    if taken { p } else { n }
}

/// Where a memory operand points.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Place {
    /// A stack slot, by offset from the entry stack pointer.
    Stack(i64),
    /// A linear memory, at most this far past its base (before the size).
    Heap(u64),
    /// A field of a runtime record: its base value and offset.
    Field(Val, i64),
    /// Table `n`'s element at a checked index.
    TableElem(u32),
    /// The function's own code (constant pool), at this offset.
    Code(u64),
    /// Somewhere from the first to the second offset of the function's
    /// own code (a constant table indexed by a bounded integer).
    CodeRange(u64, u64),
    /// Entries of a jump table: start, how many 4-byte entries.
    JumpTable(u64, u64),
    /// Anything else.
    Unknown,
}

struct Checker<'a> {
    code: &'a [u8],
    facts: &'a FuncFacts<'a>,
    /// Bytes of stack arguments the function receives above its return
    /// address.
    incoming: i64,
    /// Whether the caller passes a return area (more results than
    /// registers).
    return_area: Option<u8>,
    /// Direct-call relocations: rel32 field offset to callee.
    direct: BTreeMap<u32, u32>,
    /// Decoded instructions, in the order first met.
    decoded: Vec<Decoded>,
    /// Per code offset, 1 + the index of its instruction in `decoded`
    /// (0: not decoded yet).
    decoded_at: Vec<u32>,
    info: InstructionInfoFactory,
}

/// An instruction and what the transfer function asks of its operands,
/// worked out once per offset however often the walk passes it.
pub(super) struct Decoded {
    ins: Instruction,
    /// The registers it writes, with how.
    writes: Vec<(Register, OpAccess)>,
    /// How it accesses each operand.
    op_access: [OpAccess; 5],
    /// How many memory locations it uses, explicit and implicit.
    used_memory: usize,
}

type Step = Result<(), (Property, String)>;

/// Checks one function. See the module documentation.
pub(super) fn check(code: &[u8], facts: &FuncFacts<'_>) -> Result<(), Violation> {
    let (_, _, return_area) = abi(facts.params, facts.results);
    let mut checker = Checker {
        code,
        facts,
        incoming: i64::from(stack_arg_bytes(facts.params, facts.results)),
        return_area,
        direct: facts.direct_calls.iter().copied().collect(),
        decoded: Vec::new(),
        decoded_at: vec![0; code.len()],
        info: InstructionInfoFactory::new(),
    };
    checker.run()
}

/// Bytes of stack arguments of a function with these Wasm types.
pub(super) fn stack_arg_bytes(params: &[ValType], results: &[ValType]) -> u32 {
    let (ints, _, _) = abi(&[], results);
    // Cranelift keeps the argument area 16-byte aligned.
    overflow_bytes(params, ints, INT_ARGS.len(), FLOAT_ARGS).next_multiple_of(16)
}

/// Bytes of the return area a function with these results writes: the
/// results past the registers.
pub(super) fn return_area_bytes(results: &[ValType]) -> u32 {
    overflow_bytes(results, 0, RET_INT_REGS, RET_FLOAT_REGS)
}

/// Whether a value of type `t` goes in a vector (xmm) register: floats and
/// `v128`; the others in integer registers.
fn in_vector_register(t: &ValType) -> bool {
    matches!(t, ValType::F32 | ValType::F64 | ValType::V128)
}

/// Bytes of stack that `values` take past `int_regs` integer and
/// `vector_regs` vector registers, `ints_before` integer registers being
/// taken already. As Cranelift's x64 ABI lays them out: in order, each
/// overflowing value in a slot of its size but at least 8 bytes, aligned
/// to that size (so a `v128` takes 16 bytes at a 16-byte offset).
fn overflow_bytes(values: &[ValType], ints_before: usize, int_regs: usize, vector_regs: usize) -> u32 {
    let (mut ints, mut vectors, mut next) = (ints_before, 0usize, 0u32);
    for t in values {
        let (used, regs) =
            if in_vector_register(t) { (&mut vectors, vector_regs) } else { (&mut ints, int_regs) };
        if *used < regs {
            *used += 1;
        } else {
            let size = if matches!(t, ValType::V128) { 16 } else { 8 };
            next = next.next_multiple_of(size) + size;
        }
    }
    next
}

/// Integer and vector-register arguments of the Cranelift signature (two
/// contexts first), and the register of the implicit return area, if any.
fn abi(params: &[ValType], results: &[ValType]) -> (usize, usize, Option<u8>) {
    let floats = params.iter().filter(|t| in_vector_register(t)).count();
    let mut ints = 2 + params.len() - floats;
    // Cranelift's x64 `tail` convention returns up to 8 integer and 8
    // vector-register values in registers; past that, the results go to a
    // return area whose address comes first, before the callee context.
    let result_floats = results.iter().filter(|t| in_vector_register(t)).count();
    let result_ints = results.len() - result_floats;
    let return_area = if result_ints > RET_INT_REGS || result_floats > RET_FLOAT_REGS {
        ints += 1;
        Some(INT_ARGS[0])
    } else {
        None
    };
    (ints, floats, return_area)
}

const RET_INT_REGS: usize = 8;
const RET_FLOAT_REGS: usize = 8;

impl Checker<'_> {
    fn run(&mut self) -> Result<(), Violation> {
        let mut entry = State {
            regs: [Val::Unknown; 16],
            slots: Slots::default(),
            flags: None,
            checked: BTreeMap::new(),
            stack_ok: None,
            table_min: BTreeMap::new(),
        };
        for r in CALLEE_SAVED {
            entry.regs[r as usize] = Val::Entry(r);
        }
        match self.return_area {
            Some(r) => {
                entry.regs[r as usize] = Val::ReturnArea;
                entry.regs[INT_ARGS[1] as usize] = Val::VmCtx;
            }
            None => entry.regs[INT_ARGS[0] as usize] = Val::VmCtx,
        }
        entry.regs[RSP as usize] = Val::Stack(0);
        entry.slots.insert(0, Val::RetAddr);

        // Entry states of the blocks found so far, with how often each changed.
        let mut blocks: BTreeMap<u64, (State, u32)> = BTreeMap::new();
        blocks.insert(0, (entry, 0));
        let mut work: BTreeSet<u64> = BTreeSet::from([0]);
        let mut jumps: Vec<(u64, State)> = Vec::new();
        let mut budget = self.code.len().saturating_mul(WORK_PER_BYTE).max(1024);
        while let Some(start) = work.pop_first() {
            let Some((state, _)) = blocks.get(&start) else { continue };
            let mut state = state.clone();
            let mut at = start;
            loop {
                budget = budget.saturating_sub(1);
                if budget == 0 {
                    return Err(self.violation(
                        at,
                        Property::Unsupported,
                        "the walk did not converge".into(),
                    ));
                }
                let i = self.decode(at)?;
                let d = &self.decoded[i];
                let next = d.ins.next_ip();
                let onward =
                    self.step(d, &mut state, &mut jumps).map_err(|(p, d)| self.violation(at, p, d))?;
                if jumps.is_empty() && onward == Some(next) && !blocks.contains_key(&next) {
                    // Straight-line code: keep walking.
                    at = next;
                    continue;
                }
                for (target, s) in jumps.drain(..).chain(onward.map(|t| (t, state))) {
                    if target >= self.code.len() as u64 {
                        return Err(self.violation(
                            at,
                            Property::JumpTarget,
                            format!("target {target:#x} is past the function's {} bytes", self.code.len()),
                        ));
                    }
                    match blocks.get_mut(&target) {
                        None => {
                            blocks.insert(target, (s, 0));
                            work.insert(target);
                        }
                        Some((old, changes)) => {
                            if old.rsp() != s.rsp() {
                                return Err(self.violation(
                                    at,
                                    Property::StackBalance,
                                    format!(
                                        "paths meet at {target:#x} with stack pointers {:?} and {:?}",
                                        old.regs[RSP as usize], s.regs[RSP as usize]
                                    ),
                                ));
                            }
                            let joined = old.join(&s, *changes >= WIDEN_AFTER);
                            if joined != *old {
                                *old = joined;
                                *changes += 1;
                                work.insert(target);
                            }
                        }
                    }
                }
                break;
            }
        }
        Ok(())
    }

    /// The index in `decoded` of the instruction at `at`.
    fn decode(&mut self, at: u64) -> Result<usize, Violation> {
        match self.decoded_at.get(at as usize) {
            Some(&i) if i > 0 => return Ok(i as usize - 1),
            _ => {}
        }
        let bytes = self.code.get(at as usize..).unwrap_or(&[]);
        let mut decoder = Decoder::with_ip(64, bytes, at, DecoderOptions::NONE);
        let mut ins = Instruction::default();
        decoder.decode_out(&mut ins);
        if ins.is_invalid() || bytes.is_empty() {
            return Err(Violation {
                func: self.facts.func,
                offset: at as u32,
                instruction: format!("{:02x?}", &bytes[..bytes.len().min(15)]),
                property: Property::Unsupported,
                detail: "bytes that do not decode".into(),
            });
        }
        let info = self.info.info(&ins);
        let mut op_access = [OpAccess::None; 5];
        for (i, a) in op_access.iter_mut().enumerate().take(ins.op_count() as usize) {
            *a = info.op_access(i as u32);
        }
        let decoded = Decoded {
            ins,
            writes: info
                .used_registers()
                .iter()
                .filter(|u| step::is_write(u.access()))
                .map(|u| (u.register(), u.access()))
                .collect(),
            op_access,
            used_memory: info.used_memory().len(),
        };
        self.decoded.push(decoded);
        if let Some(slot) = self.decoded_at.get_mut(at as usize) {
            *slot = self.decoded.len() as u32;
        }
        Ok(self.decoded.len() - 1)
    }

    fn violation(&self, at: u64, property: Property, detail: String) -> Violation {
        let mut instruction = String::new();
        if let Some(&i) = self.decoded_at.get(at as usize).filter(|&&i| i > 0) {
            IntelFormatter::new().format(&self.decoded[i as usize - 1].ins, &mut instruction);
        }
        Violation { func: self.facts.func, offset: at as u32, instruction, property, detail }
    }

    /// The value of register `r` as read at width `bits`.
    fn reg_value(st: &State, r: Register) -> Val {
        let Some(g) = gpr(r) else { return Val::Unknown };
        let v = st.regs[g as usize];
        match r.size() {
            8 => v,
            4 => match v.bound() {
                Some(b) => Val::Bounded(b.min(u64::from(u32::MAX))).exact_if(v),
                None => Val::Bounded(u64::from(u32::MAX)),
            },
            // The low 16 or 8 bits (ah..bh are bits 8-15: only bounded).
            2 | 1 => {
                let mask = if r.size() == 2 { 0xffff } else { 0xff };
                let high = matches!(r, Register::AH | Register::CH | Register::DH | Register::BH);
                match v {
                    Val::Const(c) if !high => Val::Const(c & mask),
                    _ => Val::Bounded(mask),
                }
            }
            _ => Val::Bounded(0xff),
        }
    }

    /// Where the explicit memory operand of `ins` points.
    fn place(&self, ins: &Instruction, st: &State) -> Place {
        let disp = ins.memory_displacement64() as i64;
        if ins.is_ip_rel_memory_operand() {
            return Place::Code(ins.ip_rel_memory_address());
        }
        if ins.memory_segment() == Register::FS || ins.memory_segment() == Register::GS {
            return Place::Unknown;
        }
        let base = match ins.memory_base() {
            Register::None => None,
            r => match gpr(r) {
                Some(g) if r.is_gpr64() => Some(st.regs[g as usize]),
                _ => return Place::Unknown,
            },
        };
        let index = match ins.memory_index() {
            Register::None => None,
            r => match gpr(r) {
                Some(g) if r.is_gpr64() => Some((st.regs[g as usize], ins.memory_index_scale())),
                _ => return Place::Unknown,
            },
        };
        match (base, index) {
            (Some(Val::Stack(d)), None) => Place::Stack(d + disp),
            (Some(Val::VmField(VmField::HeapBase)), None) if disp >= 0 => Place::Heap(disp as u64),
            (Some(Val::TableElems(t)), None)
                if disp >= 0
                    && disp % 8 == 0
                    && st.table_min.get(&t).is_some_and(|&n| (disp as u64) / 8 < n) =>
            {
                Place::TableElem(t)
            }
            (Some(Val::HeapAddr(m)), None) if disp >= 0 => {
                m.checked_add(disp as u64).map_or(Place::Unknown, Place::Heap)
            }
            (Some(Val::VmField(VmField::HeapBase)), Some((i, 1)))
            | (Some(i), Some((Val::VmField(VmField::HeapBase), 1)))
                if disp >= 0 =>
            {
                match i.bound().and_then(|b| b.checked_add(disp as u64)) {
                    Some(m) => Place::Heap(m),
                    None => Place::Unknown,
                }
            }
            (Some(Val::HeapAddr(m)), Some((i, 1))) | (Some(i), Some((Val::HeapAddr(m), 1))) if disp >= 0 => {
                match i.bound().and_then(|b| b.checked_add(m)).and_then(|b| b.checked_add(disp as u64)) {
                    Some(m) => Place::Heap(m),
                    None => Place::Unknown,
                }
            }
            (Some(Val::TableElems(t)), Some((Val::TableIdx(u, 1), 8)))
            | (Some(Val::TableElems(t)), Some((Val::TableIdx(u, 8), 1)))
            | (Some(Val::TableIdx(u, 8)), Some((Val::TableElems(t), 1)))
                if table_bit(t).is_some_and(|b| u & b != 0) && disp == 0 =>
            {
                Place::TableElem(t)
            }
            (Some(Val::TableSlot(t)), None) if disp == 0 => Place::TableElem(t),
            // A constant index checked against the table's length.
            (Some(Val::TableElems(t)), Some((Val::Const(k), s))) => {
                let off = k.checked_mul(u64::from(s)).and_then(|o| o.checked_add_signed(disp));
                match (off, st.table_min.get(&t)) {
                    (Some(o), Some(&n)) if o % 8 == 0 && o / 8 < n => Place::TableElem(t),
                    _ => Place::Unknown,
                }
            }
            (Some(Val::CodeAddr(x)), Some((i, 4))) if disp == 0 => match i.bound() {
                Some(b) => Place::JumpTable(x, b + 1),
                None => Place::Unknown,
            },
            // A table of constants in the constant pool (SIMD shift masks).
            (Some(Val::CodeAddr(x)), Some((i, s))) if disp >= 0 => {
                match i
                    .bound()
                    .and_then(|b| b.checked_mul(u64::from(s)))
                    .and_then(|o| o.checked_add(x + disp as u64))
                {
                    Some(last) => Place::CodeRange(x + disp as u64, last),
                    None => Place::Unknown,
                }
            }
            (Some(b), None) => Place::Field(b, disp),
            _ => Place::Unknown,
        }
    }

    /// Checks an access of `size` bytes at `place`; returns what a load
    /// of 8 bytes there yields.
    fn access(
        &self,
        place: Place,
        size: u64,
        write: bool,
        at: u64,
        st: &State,
    ) -> Result<Val, (Property, String)> {
        let deny = |what: String| Err((Property::MemoryAccess, what));
        let f = self.facts;
        let in_array = |off: i64, count: u32| {
            off >= 0 && off % 8 == 0 && (off as u64) < 8 * u64::from(count) && size <= 8
        };
        match place {
            Place::Stack(o) => {
                let rsp = st.rsp().unwrap_or(0);
                let end = o + size as i64;
                if o < rsp {
                    return deny(format!("stack offset {o} below the stack pointer {rsp}"));
                }
                if o < 8 && end > 0 && write {
                    // The return address: only a frame shuffle for a tail
                    // call may move it, and only to another slot.
                    return Ok(Val::Unknown);
                }
                if end > 8 + self.incoming && o >= 0 {
                    return deny(format!(
                        "stack offset {o}+{size} past the {} bytes of incoming arguments",
                        self.incoming
                    ));
                }
                Ok(if size == 8 { st.slots.get(o).unwrap_or(Val::Unknown) } else { Val::Unknown })
            }
            Place::Heap(m) => match m.checked_add(size) {
                // The first byte inside the reservation is enough: its last
                // 4 GiB are never accessible, so an access that would
                // cross its end faults on its first bytes.
                Some(_) if m < RESERVATION && size <= 16 => Ok(Val::Unknown),
                _ => deny(format!(
                    "linear memory base + up to {m:#x} is past the {RESERVATION:#x}-byte reservation"
                )),
            },
            Place::TableElem(t) if size <= 8 => Ok(Val::Elem(at as u32)).map(|v| {
                if write {
                    Val::Unknown
                } else {
                    let _ = t;
                    v
                }
            }),
            Place::Code(x) if !write && x.checked_add(size).is_some_and(|e| e <= self.code.len() as u64) => {
                // A constant-pool entry: code never changes, so its value is known.
                let bytes = self.code.get(x as usize..(x + size) as usize).unwrap_or(&[]);
                Ok(match <[u8; 8]>::try_from(bytes) {
                    Ok(b) => Val::Const(u64::from_le_bytes(b)),
                    Err(_) => Val::Unknown,
                })
            }
            Place::CodeRange(_, last)
                if !write && last.checked_add(size).is_some_and(|e| e <= self.code.len() as u64) =>
            {
                Ok(Val::Unknown)
            }
            Place::JumpTable(x, n) if !write && size == 4 => {
                match n.checked_mul(4).and_then(|l| l.checked_add(x)) {
                    Some(end) if end <= self.code.len() as u64 => Ok(Val::JtEntry(x, n)),
                    _ => deny(format!("jump table at {x:#x} of {n} entries passes the function's end")),
                }
            }
            Place::Field(base, off) => {
                let field = match (base, off) {
                    (Val::VmCtx, o) if !write && size == 8 => match o {
                        o if o == i64::from(vm::vmctx::MEMORY) => Some(Val::VmField(VmField::Memory)),
                        o if o == i64::from(vm::vmctx::MEMORY_BASE) => Some(Val::VmField(VmField::HeapBase)),
                        o if o == i64::from(vm::vmctx::GLOBALS) => Some(Val::VmField(VmField::Globals)),
                        o if o == i64::from(vm::vmctx::FUNCS) => Some(Val::VmField(VmField::Funcs)),
                        o if o == i64::from(vm::vmctx::TABLES) => Some(Val::VmField(VmField::Tables)),
                        o if o == i64::from(vm::vmctx::TYPE_IDS) => Some(Val::VmField(VmField::TypeIds)),
                        o if o == i64::from(vm::vmctx::LIMITS) => Some(Val::VmField(VmField::Limits)),
                        o if o == i64::from(vm::vmctx::MEMORIES) => Some(Val::VmField(VmField::Memories)),
                        _ => None,
                    },
                    (Val::VmField(VmField::Memories), o) if !write && in_array(o, f.memories) => {
                        Some(Val::MemoryRec)
                    }
                    (Val::MemoryRec, o) if !write && size == 8 => match o {
                        o if o == i64::from(vm::MEMORY_BASE) => Some(Val::VmField(VmField::HeapBase)),
                        o if o == i64::from(vm::MEMORY_LEN) => Some(Val::Unknown),
                        _ => None,
                    },
                    (Val::VmField(VmField::Memory), o)
                        if !write && size == 8 && (o == 0 || o == i64::from(vm::MEMORY_LEN)) =>
                    {
                        Some(Val::Unknown)
                    }
                    (Val::VmField(VmField::Globals), o) if !write && in_array(o, f.globals) => {
                        Some(Val::GlobalCell)
                    }
                    (Val::GlobalCell, o) if o == 0 && size <= 16 => Some(Val::Unknown),
                    (Val::VmField(VmField::Funcs), o) if !write && in_array(o, f.funcs) => {
                        Some(Val::FuncRef((o / 8) as u32))
                    }
                    (Val::FuncRef(n), o) if !write && size == 8 => match o {
                        o if o == i64::from(vm::funcref::CODE) => Some(Val::FuncCode(n)),
                        o if o == i64::from(vm::funcref::VMCTX) || o == i64::from(vm::funcref::TYPE_ID) => {
                            Some(Val::Unknown)
                        }
                        _ => None,
                    },
                    (Val::VmField(VmField::Tables), o) if !write && in_array(o, f.tables) => {
                        Some(Val::TableRec((o / 8) as u32))
                    }
                    (Val::TableRec(t), o) if !write && size == 8 => match o {
                        o if o == i64::from(vm::table::ELEMS) => Some(Val::TableElems(t)),
                        o if o == i64::from(vm::table::LEN) => Some(Val::TableLen(t)),
                        _ => None,
                    },
                    (Val::Elem(id), o) if !write && size == 8 => match o {
                        o if o == i64::from(vm::funcref::CODE) => Some(Val::ElemCode(id)),
                        o if o == i64::from(vm::funcref::VMCTX) => Some(Val::Unknown),
                        o if o == i64::from(vm::funcref::TYPE_ID) => Some(Val::ElemType(id)),
                        _ => None,
                    },
                    (Val::VmField(VmField::TypeIds), o) if !write && in_array(o, f.types) => {
                        Some(Val::TypeId((o / 8) as u32))
                    }
                    (Val::VmField(VmField::Limits), o) if size == 8 => match o {
                        o if o == i64::from(vm::limits::STACK_LIMIT) && !write => Some(Val::StackLimit(0)),
                        o if o == i64::from(vm::limits::FUEL) => Some(Val::Unknown),
                        o if o == i64::from(vm::limits::EPOCH_DEADLINE) && !write => Some(Val::Unknown),
                        o if o == i64::from(vm::limits::EPOCH) && !write => Some(Val::EpochPtr),
                        o if o == i64::from(vm::limits::EXCEPTION) && !write => Some(Val::Unknown),
                        o if !write
                            && o >= i64::from(vm::limits::LIBCALLS)
                            && o < i64::from(vm::limits::LIBCALLS) + 8 * LIBCALL_COUNT as i64
                            && o % 8 == 0 =>
                        {
                            Some(Val::LibcallCode)
                        }
                        _ => None,
                    },
                    (Val::EpochPtr, 0) if !write && size == 8 => Some(Val::Unknown),
                    (Val::ReturnArea, o)
                        if o >= 0
                            && (o as u64).saturating_add(size) <= u64::from(return_area_bytes(f.results)) =>
                    {
                        Some(Val::Unknown)
                    }
                    _ => None,
                };
                match field {
                    Some(v) => Ok(v),
                    None => deny(format!(
                        "{} of {size} bytes at {base:?} + {off:#x}",
                        if write { "store" } else { "load" }
                    )),
                }
            }
            _ => deny(format!("{} of {size} bytes at {place:?}", if write { "store" } else { "load" })),
        }
    }
}

impl Val {
    /// `Const` stays exact when narrowing keeps it.
    fn exact_if(self, original: Val) -> Val {
        match (self, original) {
            (Val::Bounded(b), Val::Const(c)) if b == c => Val::Const(c),
            _ => self,
        }
    }
}

mod step;

#[cfg(test)]
mod tests {
    use super::*;

    /// Checks `code` as a function taking one `i32` (in edx).
    fn verdict(code: &[u8]) -> Result<(), (Property, u32)> {
        let facts = FuncFacts {
            func: 7,
            params: &[ValType::I32],
            results: &[],
            direct_calls: &[],
            func_abi: &[],
            type_abi: &[],
            globals: 0,
            funcs: 0,
            tables: 0,
            types: 0,
            memories: 0,
        };
        check(code, &facts).map_err(|v| (v.property, v.offset))
    }

    const PROLOGUE: [u8; 4] = [0x55, 0x48, 0x89, 0xe5]; // push rbp; mov rbp, rsp
    const EPILOGUE: [u8; 2] = [0x5d, 0xc3]; // pop rbp; ret
    const HEAP_BASE: [u8; 4] = [0x48, 0x8b, 0x47, 0x08]; // mov rax, [rdi + 8]
    const LOAD: [u8; 3] = [0x8b, 0x0c, 0x10]; // mov ecx, [rax + rdx]

    fn function(body: &[&[u8]]) -> Vec<u8> {
        let mut code = PROLOGUE.to_vec();
        for part in body {
            code.extend_from_slice(part);
        }
        code.extend_from_slice(&EPILOGUE);
        code
    }

    #[test]
    fn a_load_at_the_heap_base_plus_a_zero_extended_index_is_accepted() {
        let zext = [0x89, 0xd2]; // mov edx, edx
        assert_eq!(verdict(&function(&[&HEAP_BASE, &zext, &LOAD])), Ok(()));
    }

    #[test]
    fn a_sign_extended_heap_index_is_refused_at_the_access() {
        let sext = [0x48, 0x63, 0xd2]; // movsxd rdx, edx
        assert_eq!(verdict(&function(&[&HEAP_BASE, &sext, &LOAD])), Err((Property::MemoryAccess, 11)));
    }

    /// `mov r9d, K; test r9b, r9b; jne trap; mov rax, [rdx]; ...; trap:
    /// ud2`: a condition Cranelift folded to a constant (a `trapnz` on a
    /// comparison of a value with itself).
    fn folded_trap(k: u8) -> Vec<u8> {
        let mut code = function(&[
            &[0x41, 0xb9, k, 0, 0, 0],
            &[0x45, 0x84, 0xc9],
            &[0x0f, 0x85, 5, 0, 0, 0],
            &[0x48, 0x8b, 0x02],
        ]);
        code.extend_from_slice(&[0x0f, 0x0b]);
        code
    }

    #[test]
    fn code_after_a_trap_on_a_constant_true_condition_is_never_reached() {
        assert_eq!(verdict(&folded_trap(1)), Ok(()));
        // With the condition false, the unchecked load runs and is refused.
        assert_eq!(verdict(&folded_trap(0)), Err((Property::MemoryAccess, 19)));
    }

    #[test]
    fn an_index_whose_upper_half_is_unknown_is_refused() {
        // edx's register holds a 64-bit argument never zero-extended.
        let code = function(&[&HEAP_BASE, &LOAD]);
        assert_eq!(verdict(&code), Err((Property::MemoryAccess, 8)));
    }

    #[test]
    fn returning_with_the_frame_pointer_still_pushed_is_refused() {
        assert_eq!(verdict(&[0x55, 0xc3]), Err((Property::StackBalance, 1)));
    }

    #[test]
    fn a_libcall_before_the_stack_limit_check_is_refused() {
        // mov rax, [rdi + 48]; mov rax, [rax + 40] (the first libcall); call rax
        let call = [0x48, 0x8b, 0x47, 0x30, 0x48, 0x8b, 0x40, 0x28, 0xff, 0xd0];
        assert_eq!(verdict(&function(&[&call])), Err((Property::StackLimit, 12)));
    }

    #[test]
    fn a_libcall_after_the_stack_limit_check_is_accepted() {
        // mov r10, [rdi + 48]; mov r10, [r10]; add r10, 16; cmp r10, rsp; ja to the ud2 after the epilogue
        let check =
            [0x4c, 0x8b, 0x57, 0x30, 0x4d, 0x8b, 0x12, 0x49, 0x83, 0xc2, 0x10, 0x49, 0x39, 0xe2, 0x77, 0x0c];
        let call = [0x48, 0x8b, 0x47, 0x30, 0x48, 0x8b, 0x40, 0x28, 0xff, 0xd0];
        let mut code = function(&[&check, &call]);
        code.extend_from_slice(&[0x0f, 0x0b]); // the trap the `ja` goes to
        assert_eq!(verdict(&code), Ok(()));
    }

    #[test]
    fn a_jump_out_of_the_function_is_refused() {
        assert_eq!(verdict(&[0xe9, 0x00, 0x10, 0x00, 0x00]), Err((Property::JumpTarget, 0)));
    }

    #[test]
    fn bytes_that_do_not_decode_are_refused_not_a_panic() {
        assert!(matches!(verdict(&[0x0f]), Err((Property::Unsupported, 0))));
        assert!(matches!(verdict(&[]), Err((Property::Unsupported, 0))));
    }

    /// Found by the differential fuzzer once its modules had SIMD: a
    /// `v128` goes in a vector register, and on the stack takes 16 bytes
    /// at a 16-byte offset, as Cranelift lays it out.
    #[test]
    fn v128_arguments_take_vector_registers_then_16_byte_slots() {
        use ValType::{F64, I32, V128};
        assert_eq!(stack_arg_bytes(&[V128; 8], &[]), 0);
        assert_eq!(stack_arg_bytes(&[V128; 9], &[]), 16);
        // Eight f64 fill the vector registers; then an 8-byte slot, padding
        // to 16, and a 16-byte slot.
        let params = [[F64; 8].as_slice(), &[F64, V128]].concat();
        assert_eq!(stack_arg_bytes(&params, &[]), 32);
        // Four integers and the two contexts fill the integer registers.
        assert_eq!(stack_arg_bytes(&[I32, I32, I32, I32, V128, I32], &[]), 16);
        assert_eq!(return_area_bytes(&[V128; 9]), 16);
        assert_eq!(return_area_bytes(&[[I32; 9].as_slice(), &[V128; 9]].concat()), 32);
    }

    #[test]
    fn a_store_forgets_exactly_the_slots_it_overlaps() {
        let mut slots = Slots::default();
        for k in [-24, -16, -8, 0] {
            slots.insert(k, Val::Const(k as u64));
        }
        // Bytes [-12, -9) overlap the slot at -16 only.
        slots.clobber(-12, -9);
        assert_eq!(slots.0.iter().map(|&(k, _)| k).collect::<Vec<_>>(), [-24, -8, 0]);
        // Bytes [-8, 1) overlap the slots at -8 and 0.
        slots.clobber(-8, 1);
        assert_eq!(slots.get(-24), Some(Val::Const(-24i64 as u64)));
        assert_eq!(slots.get(-8), None);
        assert_eq!(slots.get(0), None);
    }

    #[test]
    fn joined_slots_keep_only_values_known_on_both_paths() {
        let mut a = Slots::default();
        let mut b = Slots::default();
        a.insert(-16, Val::VmCtx);
        a.insert(-8, Val::Const(1));
        b.insert(-8, Val::Const(1));
        b.insert(0, Val::RetAddr);
        b.insert(-16, Val::VmCtx);
        let joined = a.join(&b, false);
        assert_eq!(joined.0, [(-16, Val::VmCtx), (-8, Val::Const(1))]);
    }
}
