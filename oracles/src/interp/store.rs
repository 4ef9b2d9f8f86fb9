//! The store (spec §4.2.3) and instantiation (spec §4.5.4): every function,
//! table, memory and global instance lives here, addressed by index, and
//! module instances map their index spaces to those addresses.
//!
//! Table and memory instances carry their address type (`i32`, or `i64` for
//! table64 and memory64), as the spec's instances carry their types: the
//! executor reads it there to know the type of the addresses, indices and
//! sizes an instruction pops and pushes, so instructions need not record it.

use std::fmt;
use std::rc::Rc;

use super::code::{FuncBody, Instr};
use super::module::{ConstExpr, DataMode, ElemMode, ExternKind, ImportType, Module};
use crate::trap::{Trap, TrapCode};
use crate::values::{
    AddrType, DefType, FuncAddr, FuncType, GlobalType, Limits, RefType, TableType, ValType, Value,
};

/// The address of a module instance in the store.
pub type InstanceAddr = usize;

/// Bytes in a page of linear memory.
pub const PAGE_SIZE: u64 = 65536;

/// A host function: called with its arguments, returns its results or traps.
pub type HostFunc = Rc<dyn Fn(&[Value]) -> Result<Vec<Value>, Trap>>;

/// An external value (spec §4.2.12): what imports and exports refer to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExternVal {
    /// A function address.
    Func(FuncAddr),
    /// A table address.
    Table(usize),
    /// A memory address.
    Memory(usize),
    /// A global address.
    Global(usize),
    /// A tag address (exception handling, Wasm 3.0).
    Tag(usize),
}

impl ExternVal {
    fn kind(&self) -> &'static str {
        match self {
            ExternVal::Func(_) => "function",
            ExternVal::Table(_) => "table",
            ExternVal::Memory(_) => "memory",
            ExternVal::Global(_) => "global",
            ExternVal::Tag(_) => "tag",
        }
    }
}

/// A function instance (spec §4.2.6).
#[derive(Clone)]
pub enum FuncInst {
    /// A function defined by a module instance.
    Wasm {
        /// Its type.
        ty: FuncType,
        /// Its type with exact reference types.
        def: Rc<DefType>,
        /// The instance whose index spaces its body refers to.
        instance: InstanceAddr,
        /// Its code.
        body: Rc<FuncBody>,
    },
    /// A function provided by the host.
    Host {
        /// Its type.
        ty: FuncType,
        /// Its type with exact reference types.
        def: Rc<DefType>,
        /// Its implementation.
        func: HostFunc,
    },
}

impl FuncInst {
    /// The function's type.
    pub fn ty(&self) -> &FuncType {
        match self {
            FuncInst::Wasm { ty, .. } | FuncInst::Host { ty, .. } => ty,
        }
    }

    /// The function's type with exact reference types: what indirect calls
    /// and imports compare (spec 3.0 §4.5.2 "Functions").
    pub fn def_type(&self) -> &DefType {
        match self {
            FuncInst::Wasm { def, .. } | FuncInst::Host { def, .. } => def,
        }
    }
}

impl fmt::Debug for FuncInst {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FuncInst::Wasm { ty, instance, .. } => write!(f, "wasm function {ty} of instance {instance}"),
            FuncInst::Host { ty, .. } => write!(f, "host function {ty}"),
        }
    }
}

/// A table instance (spec §4.2.7).
#[derive(Debug, Clone)]
pub struct TableInst {
    /// What the elements are: `FuncRef` or `ExternRef`.
    pub elem: ValType,
    /// The exact element type.
    pub elem_type: RefType,
    /// The type of its indices and size.
    pub addr: AddrType,
    /// The maximum size, if any.
    pub max: Option<u64>,
    /// The elements: references of type `elem`.
    pub elems: Vec<Value>,
}

/// A memory instance (spec §4.2.8).
#[derive(Debug, Clone)]
pub struct MemInst {
    /// The type of its addresses and size.
    pub addr: AddrType,
    /// The maximum size in pages, if any.
    pub max: Option<u64>,
    /// The bytes; always a whole number of pages.
    pub bytes: Vec<u8>,
}

impl MemInst {
    /// The current size in pages.
    pub fn pages(&self) -> u64 {
        self.bytes.len() as u64 / PAGE_SIZE
    }
}

/// A global instance (spec §4.2.9).
#[derive(Debug, Clone)]
pub struct GlobalInst {
    /// Its type.
    pub ty: GlobalType,
    /// Its current value.
    pub value: Value,
}

/// A tag instance (spec 3.0 §4.2.8 "Tag Instances"): its identity is its
/// store address, so two instances of one module define distinct tags and
/// an imported tag is its exporter's.
#[derive(Debug, Clone)]
pub struct TagInst {
    /// Its function type, whose parameters are the payload.
    pub ty: FuncType,
    /// Its type with exact reference types, what import matching compares.
    pub def: Rc<DefType>,
}

/// An exception instance (spec 3.0 §4.2.9 "Exception Instances"): what an
/// `exnref` refers to.
#[derive(Debug, Clone)]
pub struct ExnInst {
    /// The store address of its tag.
    pub tag: usize,
    /// The values thrown with it.
    pub payload: Vec<Value>,
}

/// A module instance (spec §4.2.5): the module's index spaces mapped to
/// store addresses, plus its element and data segments (which only it can
/// name, so they live here rather than in the store).
#[derive(Debug, Clone, Default)]
pub struct ModuleInst {
    /// The module's types.
    pub types: Vec<FuncType>,
    /// The module's types with exact reference types.
    pub def_types: Vec<Rc<DefType>>,
    /// Function index space.
    pub funcs: Vec<FuncAddr>,
    /// Table index space.
    pub tables: Vec<usize>,
    /// Memory index space.
    pub mems: Vec<usize>,
    /// Global index space.
    pub globals: Vec<usize>,
    /// Tag index space.
    pub tags: Vec<usize>,
    /// Element segments; a dropped one is empty.
    pub elems: Vec<Vec<Value>>,
    /// Data segments; a dropped one is empty.
    pub datas: Vec<Vec<u8>>,
    /// Exports by name.
    pub exports: Vec<(String, ExternVal)>,
}

/// Why instantiation failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InstantiationError {
    /// The imports do not match what the module expects (spec §4.5.4 step 3-4).
    #[error("unlinkable: {0}")]
    Link(String),
    /// Initialisation trapped: a segment out of bounds, or the start function.
    #[error("instantiation trapped: {0}")]
    Trap(Trap),
}

/// Resource limits of a store: bounds an embedder chooses, below the spec's.
#[derive(Debug, Clone, Copy)]
pub struct StoreLimits {
    /// Largest memory, in pages (the spec's bound is 65536 for 32-bit
    /// memories, 2^48 for 64-bit ones; this bounds both).
    pub max_memory_pages: u64,
    /// Largest table, in elements.
    pub max_table_elements: u64,
    /// Deepest call stack, in frames.
    pub max_call_depth: usize,
    /// Most values (operands and locals of all frames) the stack may hold.
    pub max_stack_values: usize,
}

impl Default for StoreLimits {
    fn default() -> StoreLimits {
        StoreLimits {
            max_memory_pages: 65536,
            max_table_elements: 10_000_000,
            max_call_depth: 10_000,
            max_stack_values: 1 << 20,
        }
    }
}

/// The store: all runtime objects (spec §4.2.3).
#[derive(Debug, Default)]
pub struct Store {
    /// Function instances.
    pub funcs: Vec<FuncInst>,
    /// Table instances.
    pub tables: Vec<TableInst>,
    /// Memory instances.
    pub mems: Vec<MemInst>,
    /// Global instances.
    pub globals: Vec<GlobalInst>,
    /// Tag instances.
    pub tags: Vec<TagInst>,
    /// Exception instances, every one ever thrown: like the spec's store,
    /// this one never frees anything.
    pub exns: Vec<ExnInst>,
    /// Module instances.
    pub instances: Vec<ModuleInst>,
    /// Resource limits.
    pub limits: StoreLimits,
    /// Fuel left, if bounded (what each instruction costs: `fuel.rs`);
    /// running out traps with [`TrapCode::OutOfFuel`].
    pub fuel: Option<u64>,
}

/// Looks up `index` in `items`; a miss is an interpreter bug, reported as a trap.
pub(crate) fn at<T>(items: &[T], index: impl TryInto<usize>) -> Result<&T, Trap> {
    index.try_into().ok().and_then(|i| items.get(i)).ok_or(Trap::from(TrapCode::InvariantViolated))
}

/// The indices `[start, start + n)` when they lie within `len`: bounds of
/// every bulk table and memory instruction, computed without wrapping.
pub(crate) fn range(start: u64, n: u64, len: usize) -> Option<std::ops::Range<usize>> {
    let end = start.checked_add(n)?;
    if end > len as u64 {
        return None;
    }
    Some(usize::try_from(start).ok()?..usize::try_from(end).ok()?)
}

/// Mutable [`at`].
pub(crate) fn at_mut<T>(items: &mut [T], index: impl TryInto<usize>) -> Result<&mut T, Trap> {
    index.try_into().ok().and_then(|i| items.get_mut(i)).ok_or(Trap::from(TrapCode::InvariantViolated))
}

impl Store {
    /// A new, empty store with default limits.
    pub fn new() -> Store {
        Store::default()
    }

    /// Adds a host function.
    pub fn add_host_func(&mut self, ty: FuncType, func: HostFunc) -> FuncAddr {
        let def = Rc::new(DefType::of_func_type(&ty));
        self.funcs.push(FuncInst::Host { ty, def, func });
        self.funcs.len() - 1
    }

    /// Adds a table of `ty` filled with `init`. Its size must be within
    /// the store's limits (instantiation checks).
    pub fn add_table(&mut self, ty: TableType, init: Value) -> usize {
        let elems = vec![init; ty.limits.min as usize];
        let (elem, elem_type) = (ty.elem, ty.elem_type);
        self.tables.push(TableInst { elem, elem_type, addr: ty.limits.addr, max: ty.limits.max, elems });
        self.tables.len() - 1
    }

    /// Adds a zeroed memory with these limits (in pages). Its size must be
    /// within the store's limits (instantiation checks).
    pub fn add_memory(&mut self, limits: Limits) -> usize {
        let bytes = vec![0; limits.min.saturating_mul(PAGE_SIZE) as usize];
        self.mems.push(MemInst { addr: limits.addr, max: limits.max, bytes });
        self.mems.len() - 1
    }

    /// Adds a global.
    pub fn add_global(&mut self, ty: GlobalType, value: Value) -> usize {
        self.globals.push(GlobalInst { ty, value });
        self.globals.len() - 1
    }

    /// Adds a tag of function type `def`.
    pub fn add_tag(&mut self, def: Rc<DefType>) -> usize {
        self.tags.push(TagInst { ty: def.func_type(), def });
        self.tags.len() - 1
    }

    /// The export `name` of `instance`, if any.
    pub fn export(&self, instance: InstanceAddr, name: &str) -> Option<ExternVal> {
        self.instances.get(instance)?.exports.iter().find(|(n, _)| n == name).map(|&(_, v)| v)
    }

    /// Whether `provided` may be imported where `expected` is required
    /// (spec §4.5.2 "Import Subtyping"); the reason when not.
    fn check_import(
        &self,
        module: &Module,
        expected: &ImportType,
        provided: ExternVal,
    ) -> Result<(), String> {
        let mismatch = |what: String| Err(format!("incompatible import type: {what}"));
        match (expected, provided) {
            (ImportType::Func(t), ExternVal::Func(addr)) => {
                // Without GC, function types match when equivalent.
                let want = module.def_types.get(*t as usize).ok_or("unknown type")?;
                let have = self.funcs.get(addr).ok_or("unknown function")?.def_type();
                if **want == *have { Ok(()) } else { mismatch(format!("function {have}, expected {want}")) }
            }
            (ImportType::Table(want), ExternVal::Table(addr)) => {
                // Table element types match when equivalent (subtypes
                // both ways: spec 3.0 §4.5.2 "Table Types").
                let table = self.tables.get(addr).ok_or("unknown table")?;
                let have = Limits { addr: table.addr, min: table.elems.len() as u64, max: table.max };
                if table.elem_type == want.elem_type && have.matches(&want.limits) {
                    Ok(())
                } else {
                    let (have_elem, want_elem) = (&table.elem_type, &want.elem_type);
                    mismatch(format!("table {have_elem} {have}, expected {want_elem} {}", want.limits))
                }
            }
            (ImportType::Memory(want), ExternVal::Memory(addr)) => {
                let mem = self.mems.get(addr).ok_or("unknown memory")?;
                let have = Limits { addr: mem.addr, min: mem.pages(), max: mem.max };
                if have.matches(want) { Ok(()) } else { mismatch(format!("memory {have}, expected {want}")) }
            }
            (ImportType::Global(want), ExternVal::Global(addr)) => {
                let have = &self.globals.get(addr).ok_or("unknown global")?.ty;
                if have.matches(want) { Ok(()) } else { mismatch(format!("global {have}, expected {want}")) }
            }
            (_, provided) => mismatch(format!("a {} cannot satisfy {expected:?}", provided.kind())),
        }
    }

    /// Whether `provided` may be imported where a tag of function type
    /// `type_index` is required: tag types match when their function types
    /// are equivalent (spec 3.0 §4.5.2 "Tag Types").
    fn check_tag_import(&self, module: &Module, type_index: u32, provided: ExternVal) -> Result<(), String> {
        let mismatch = |what: String| Err(format!("incompatible import type: {what}"));
        let ExternVal::Tag(addr) = provided else {
            return mismatch(format!("a {} cannot satisfy a tag", provided.kind()));
        };
        let want = module.def_types.get(type_index as usize).ok_or("unknown type")?;
        let have = &self.tags.get(addr).ok_or("unknown tag")?.def;
        if **want == **have { Ok(()) } else { mismatch(format!("tag {have}, expected {want}")) }
    }

    /// Evaluates a constant expression in the context of `instance`.
    fn eval_const(&self, instance: &ModuleInst, expr: &ConstExpr) -> Result<Value, Trap> {
        let mut stack: Vec<Value> = Vec::new();
        for instr in expr {
            let value = match *instr {
                // Extended constants: spec §4.4.1 (i32/i64 add, sub, mul).
                Instr::Binary(op) => {
                    let b = stack.pop().ok_or(TrapCode::InvariantViolated)?;
                    let a = stack.pop().ok_or(TrapCode::InvariantViolated)?;
                    super::numerics::eval_binop(op, a, b).map_err(Trap::from)?
                }
                Instr::Const(v) => v,
                Instr::RefNull(ValType::FuncRef) => Value::FuncRef(None),
                Instr::RefNull(_) => Value::ExternRef(None),
                Instr::RefFunc(i) => Value::FuncRef(Some(*at(&instance.funcs, i)?)),
                Instr::GlobalGet(i) => at(&self.globals, *at(&instance.globals, i)?)?.value,
                _ => return Err(TrapCode::InvariantViolated.into()),
            };
            stack.push(value);
        }
        stack.pop().ok_or(TrapCode::InvariantViolated.into())
    }

    /// Instantiates `module` with `imports` given in the order of
    /// `module.imports`, followed by its tag imports in the order of
    /// `module.tag_imports` (spec §4.5.4). On a trap during initialisation the instance
    /// stays allocated and writes already made to imported tables and
    /// memories remain, as the spec requires.
    pub fn instantiate(
        &mut self,
        module: &Module,
        imports: &[ExternVal],
    ) -> Result<InstanceAddr, InstantiationError> {
        let expected = module.imports.len() + module.tag_imports.len();
        if imports.len() != expected {
            return Err(InstantiationError::Link(format!(
                "module has {expected} imports, {} provided",
                imports.len()
            )));
        }
        let (imports, tag_imports) = imports.split_at(module.imports.len());
        let mut inst = ModuleInst {
            types: module.types.clone(),
            def_types: module.def_types.clone(),
            ..ModuleInst::default()
        };
        for (import, &provided) in module.imports.iter().zip(imports) {
            self.check_import(module, &import.ty, provided).map_err(|why| {
                InstantiationError::Link(format!("{}.{}: {why}", import.module, import.name))
            })?;
            match provided {
                ExternVal::Func(a) => inst.funcs.push(a),
                ExternVal::Table(a) => inst.tables.push(a),
                ExternVal::Memory(a) => inst.mems.push(a),
                ExternVal::Global(a) => inst.globals.push(a),
                ExternVal::Tag(a) => inst.tags.push(a),
            }
        }
        for (import, &provided) in module.tag_imports.iter().zip(tag_imports) {
            self.check_tag_import(module, import.type_index, provided).map_err(|why| {
                InstantiationError::Link(format!("{}.{}: {why}", import.module, import.name))
            })?;
            if let ExternVal::Tag(a) = provided {
                inst.tags.push(a);
            }
        }
        let addr = self.instances.len();
        let trap = InstantiationError::Trap;
        for func in &module.funcs {
            let ty = module.types.get(func.type_index as usize).cloned().unwrap_or_default();
            let def = module.def_types.get(func.type_index as usize).cloned().unwrap_or_default();
            self.funcs.push(FuncInst::Wasm { ty, def, instance: addr, body: Rc::clone(&func.body) });
            inst.funcs.push(self.funcs.len() - 1);
        }
        for (ty, init) in &module.tables {
            let init = self.eval_const(&inst, init).map_err(trap)?;
            if ty.limits.min > self.limits.max_table_elements {
                return Err(InstantiationError::Link(format!(
                    "table of {} elements exceeds the limit",
                    ty.limits.min
                )));
            }
            inst.tables.push(self.add_table(ty.clone(), init));
        }
        for limits in &module.memories {
            if limits.min > self.limits.max_memory_pages {
                return Err(InstantiationError::Link(format!(
                    "memory of {} pages exceeds the limit",
                    limits.min
                )));
            }
            inst.mems.push(self.add_memory(*limits));
        }
        for &t in &module.tags {
            let def =
                module.def_types.get(t as usize).cloned().ok_or(trap(TrapCode::InvariantViolated.into()))?;
            inst.tags.push(self.add_tag(def));
        }
        for global in &module.globals {
            let value = self.eval_const(&inst, &global.init).map_err(trap)?;
            inst.globals.push(self.add_global(global.ty.clone(), value));
        }
        for export in &module.exports {
            let space = match export.kind {
                ExternKind::Func => &inst.funcs,
                ExternKind::Table => &inst.tables,
                ExternKind::Memory => &inst.mems,
                ExternKind::Global => &inst.globals,
                ExternKind::Tag => &inst.tags,
            };
            let a = *at(space, export.index).map_err(trap)?;
            let value = match export.kind {
                ExternKind::Func => ExternVal::Func(a),
                ExternKind::Table => ExternVal::Table(a),
                ExternKind::Memory => ExternVal::Memory(a),
                ExternKind::Global => ExternVal::Global(a),
                ExternKind::Tag => ExternVal::Tag(a),
            };
            inst.exports.push((export.name.clone(), value));
        }
        for elem in &module.elems {
            let items = elem.items.iter().map(|e| self.eval_const(&inst, e)).collect::<Result<Vec<_>, _>>();
            inst.elems.push(items.map_err(trap)?);
        }
        inst.datas = module.datas.iter().map(|d| d.bytes.clone()).collect();
        self.instances.push(inst);

        // Segment initialisation (spec §4.5.4 steps 14-15), in order, each
        // as `table.init`/`memory.init` followed by a drop.
        for (i, elem) in module.elems.iter().enumerate() {
            match &elem.mode {
                ElemMode::Active { table, offset } => {
                    let dst = self.eval_const(&self.instances[addr], offset).map_err(trap)?;
                    let table_addr = *at(&self.instances[addr].tables, *table).map_err(trap)?;
                    let addr_type = at(&self.tables, table_addr).map_err(trap)?.addr;
                    let dst = addr_type.address(dst).ok_or(trap(TrapCode::InvariantViolated.into()))?;
                    let n = elem.items.len() as u64;
                    self.table_init(addr, *table, i as u32, dst, 0, n).map_err(trap)?;
                    self.instances[addr].elems[i].clear();
                }
                ElemMode::Declared => self.instances[addr].elems[i].clear(),
                ElemMode::Passive => {}
            }
        }
        for (i, data) in module.datas.iter().enumerate() {
            if let DataMode::Active { memory, offset } = &data.mode {
                let dst = self.eval_const(&self.instances[addr], offset).map_err(trap)?;
                let mem_addr = *at(&self.instances[addr].mems, *memory).map_err(trap)?;
                let addr_type = at(&self.mems, mem_addr).map_err(trap)?.addr;
                let dst = addr_type.address(dst).ok_or(trap(TrapCode::InvariantViolated.into()))?;
                let n = data.bytes.len() as u64;
                self.memory_init(addr, *memory, i as u32, dst, 0, n).map_err(trap)?;
                self.instances[addr].datas[i].clear();
            }
        }
        if let Some(start) = module.start {
            let func = *at(&self.instances[addr].funcs, start).map_err(trap)?;
            self.invoke(func, &[]).map_err(trap)?;
        }
        Ok(addr)
    }

    /// `table.init` (spec §4.4.6): copies `n` references from element
    /// segment `elem` at `src` into table `table` at `dst`.
    pub(crate) fn table_init(
        &mut self,
        instance: InstanceAddr,
        table: u32,
        elem: u32,
        dst: u64,
        src: u64,
        n: u64,
    ) -> Result<(), Trap> {
        let inst = at(&self.instances, instance)?;
        let table = *at(&inst.tables, table)?;
        let segment = at(&inst.elems, elem)?;
        let table = at_mut(&mut self.tables, table)?;
        let (Some(src), Some(dst)) = (range(src, n, segment.len()), range(dst, n, table.elems.len())) else {
            return Err(TrapCode::TableOutOfBounds.into());
        };
        table.elems[dst].copy_from_slice(&segment[src]);
        Ok(())
    }

    /// `memory.init` (spec §4.4.7): copies `n` bytes of data segment `data`
    /// at `src` into memory `memory` at `dst`.
    pub(crate) fn memory_init(
        &mut self,
        instance: InstanceAddr,
        memory: u32,
        data: u32,
        dst: u64,
        src: u64,
        n: u64,
    ) -> Result<(), Trap> {
        let inst = at(&self.instances, instance)?;
        let mem = *at(&inst.mems, memory)?;
        let segment = at(&inst.datas, data)?;
        let mem = at_mut(&mut self.mems, mem)?;
        let (Some(src), Some(dst)) = (range(src, n, segment.len()), range(dst, n, mem.bytes.len())) else {
            return Err(TrapCode::MemoryOutOfBounds.into());
        };
        mem.bytes[dst].copy_from_slice(&segment[src]);
        Ok(())
    }
}
