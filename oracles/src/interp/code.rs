//! Function bodies decoded once, up front, into [`Instr`]s whose structured
//! control flow is resolved to instruction indices, so the executor never
//! scans for a matching `end`.
//!
//! Every variant documents the execution rule of the spec (§4.4
//! "Instructions") it implements; numeric operators are [`UnOp`] and
//! [`BinOp`], documented in `numerics`.
//!
//! Memory and table instructions name their memory or table but not its
//! address type (`i32`, or `i64` for memory64 and table64): the executor
//! reads that from the memory or table instance, which carries its type as
//! in the spec, so an imported memory needs nothing at translation time.

use super::numerics::{BinOp, UnOp};
use super::simd::{IShape, VectorLoadOp, VectorOp};
use crate::values::{ValType, Value};

/// Declares an enum of memory access operators, each documented with its
/// Wasm name and spec section.
macro_rules! memory_operators {
    ($(#[$meta:meta])* pub enum $name:ident { $($variant:ident = $wasm:literal ($bytes:literal),)* }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $(
                #[doc = concat!("`", $wasm, "`: spec §4.4.7 [memory instructions]",
                    "(https://webassembly.github.io/spec/core/exec/instructions.html#memory-instructions), ",
                    stringify!($bytes), " byte(s).")]
                $variant,
            )*
        }

        impl $name {
            /// The operator's name in the Wasm text format.
            pub fn name(self) -> &'static str {
                match self {
                    $($name::$variant => $wasm,)*
                }
            }

            /// How many bytes of memory the access touches.
            pub fn bytes(self) -> u64 {
                match self {
                    $($name::$variant => $bytes,)*
                }
            }
        }
    };
}

/// Shared with the vector loads of `simd::memory`.
pub(crate) use memory_operators;

memory_operators! {
    /// Loads (`t.load`, `t.loadN_sx`).
    pub enum LoadOp {
        I32Load = "i32.load" (4),
        I64Load = "i64.load" (8),
        F32Load = "f32.load" (4),
        F64Load = "f64.load" (8),
        I32Load8S = "i32.load8_s" (1),
        I32Load8U = "i32.load8_u" (1),
        I32Load16S = "i32.load16_s" (2),
        I32Load16U = "i32.load16_u" (2),
        I64Load8S = "i64.load8_s" (1),
        I64Load8U = "i64.load8_u" (1),
        I64Load16S = "i64.load16_s" (2),
        I64Load16U = "i64.load16_u" (2),
        I64Load32S = "i64.load32_s" (4),
        I64Load32U = "i64.load32_u" (4),
    }
}

memory_operators! {
    /// Stores (`t.store`, `t.storeN`).
    pub enum StoreOp {
        I32Store = "i32.store" (4),
        I64Store = "i64.store" (8),
        F32Store = "f32.store" (4),
        F64Store = "f64.store" (8),
        I32Store8 = "i32.store8" (1),
        I32Store16 = "i32.store16" (2),
        I64Store8 = "i64.store8" (1),
        I64Store16 = "i64.store16" (2),
        I64Store32 = "i64.store32" (4),
    }
}

/// One decoded instruction. Immediates are indices into the module's index
/// spaces; control instructions carry the positions they jump to. `Copy`, so
/// the executor can fetch it without holding a borrow of the body.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Instr {
    /// `unreachable`: spec §4.4.8 [exec-unreachable](https://webassembly.github.io/spec/core/exec/instructions.html#exec-unreachable).
    Unreachable,
    /// `nop`: spec §4.4.8 [exec-nop](https://webassembly.github.io/spec/core/exec/instructions.html#exec-nop).
    Nop,
    /// `block`: spec §4.4.8 [exec-block](https://webassembly.github.io/spec/core/exec/instructions.html#exec-block).
    /// A branch to it continues after the matching `end` at `end`.
    Block { params: u32, results: u32, end: u32 },
    /// `loop`: spec §4.4.8 [exec-loop](https://webassembly.github.io/spec/core/exec/instructions.html#exec-loop).
    /// A branch to it re-enters the loop, carrying `params` values.
    Loop { params: u32, results: u32 },
    /// `if`: spec §4.4.8 [exec-if](https://webassembly.github.io/spec/core/exec/instructions.html#exec-if).
    /// False continues after `else_` (the `else`, or the `end` when there is none).
    If { params: u32, results: u32, else_: u32, end: u32 },
    /// `else`, reached at the end of the then-arm: jump to the `end` at `end`.
    Else { end: u32 },
    /// `end`: spec §4.4.8, leaving a block with its results (§4.4.9 "Exiting instr* with label L").
    End,
    /// `br l`: spec §4.4.8 [exec-br](https://webassembly.github.io/spec/core/exec/instructions.html#exec-br).
    Br(u32),
    /// `br_if l`: spec §4.4.8 [exec-br-if](https://webassembly.github.io/spec/core/exec/instructions.html#exec-br-if).
    BrIf(u32),
    /// `br_table`: spec §4.4.8 [exec-br-table](https://webassembly.github.io/spec/core/exec/instructions.html#exec-br-table).
    /// The labels are `FuncBody::br_tables[table]`, the last one the default.
    BrTable { table: u32 },
    /// `return`: spec §4.4.8 [exec-return](https://webassembly.github.io/spec/core/exec/instructions.html#exec-return).
    Return,
    /// `call x`: spec §4.4.8 [exec-call](https://webassembly.github.io/spec/core/exec/instructions.html#exec-call).
    Call(u32),
    /// `call_indirect x y`: spec §4.4.8 [exec-call-indirect](https://webassembly.github.io/spec/core/exec/instructions.html#exec-call-indirect).
    CallIndirect { type_index: u32, table: u32 },
    /// `return_call x` (Wasm 3.0): spec §4.4.8 [exec-return-call](https://webassembly.github.io/spec/core/exec/instructions.html#exec-return-call).
    /// The callee replaces the calling frame.
    ReturnCall(u32),
    /// `return_call_indirect x y` (Wasm 3.0): spec §4.4.8 [exec-return-call-indirect](https://webassembly.github.io/spec/core/exec/instructions.html#exec-return-call-indirect).
    ReturnCallIndirect { type_index: u32, table: u32 },
    /// `call_ref x` (Wasm 3.0): spec §4.4.8 [exec-call-ref](https://webassembly.github.io/spec/core/exec/instructions.html#exec-call-ref).
    /// Calls the function reference on top of the stack; null traps. Its
    /// type is `x` by validation, so it is not checked again.
    CallRef(u32),
    /// `return_call_ref x` (Wasm 3.0): spec §4.4.8 [exec-return-call-ref](https://webassembly.github.io/spec/core/exec/instructions.html#exec-return-call-ref).
    /// `call_ref` whose callee replaces the calling frame.
    ReturnCallRef(u32),
    /// `br_on_null l` (Wasm 3.0): spec §4.4.8 [exec-br-on-null](https://webassembly.github.io/spec/core/exec/instructions.html#exec-br-on-null).
    /// Branches to `l` if the reference on top is null (dropping it),
    /// otherwise leaves it there.
    BrOnNull(u32),
    /// `br_on_non_null l` (Wasm 3.0): spec §4.4.8 [exec-br-on-non-null](https://webassembly.github.io/spec/core/exec/instructions.html#exec-br-on-non-null).
    /// Branches to `l` with the reference on top if it is not null,
    /// otherwise drops it.
    BrOnNonNull(u32),
    /// `try_table bt catch* end` (Wasm 3.0): spec §4.4.8 [exec-try-table](https://webassembly.github.io/spec/core/exec/instructions.html#exec-try-table).
    /// A `block` whose label also holds the handler
    /// `FuncBody::handlers[handlers]`, which an exception thrown inside
    /// (and not caught further in) is matched against.
    TryTable { params: u32, results: u32, end: u32, handlers: u32 },
    /// `throw x` (Wasm 3.0): spec §4.4.8 [exec-throw](https://webassembly.github.io/spec/core/exec/instructions.html#exec-throw).
    /// Pops tag `x`'s parameters into a new exception and throws it.
    Throw(u32),
    /// `throw_ref` (Wasm 3.0): spec §4.4.8 [exec-throw-ref](https://webassembly.github.io/spec/core/exec/instructions.html#exec-throw-ref).
    /// Throws the exception the reference on top names; null traps.
    ThrowRef,
    /// `drop`: spec §4.4.4 [exec-drop](https://webassembly.github.io/spec/core/exec/instructions.html#exec-drop).
    Drop,
    /// `select` (typed or not): spec §4.4.4 [exec-select](https://webassembly.github.io/spec/core/exec/instructions.html#exec-select).
    Select,
    /// `local.get`: spec §4.4.5 [exec-local-get](https://webassembly.github.io/spec/core/exec/instructions.html#exec-local-get).
    LocalGet(u32),
    /// `local.set`: spec §4.4.5 [exec-local-set](https://webassembly.github.io/spec/core/exec/instructions.html#exec-local-set).
    LocalSet(u32),
    /// `local.tee`: spec §4.4.5 [exec-local-tee](https://webassembly.github.io/spec/core/exec/instructions.html#exec-local-tee).
    LocalTee(u32),
    /// `global.get`: spec §4.4.5 [exec-global-get](https://webassembly.github.io/spec/core/exec/instructions.html#exec-global-get).
    GlobalGet(u32),
    /// `global.set`: spec §4.4.5 [exec-global-set](https://webassembly.github.io/spec/core/exec/instructions.html#exec-global-set).
    GlobalSet(u32),
    /// `table.get`: spec §4.4.6 [exec-table-get](https://webassembly.github.io/spec/core/exec/instructions.html#exec-table-get).
    TableGet(u32),
    /// `table.set`: spec §4.4.6 [exec-table-set](https://webassembly.github.io/spec/core/exec/instructions.html#exec-table-set).
    TableSet(u32),
    /// `table.size`: spec §4.4.6 [exec-table-size](https://webassembly.github.io/spec/core/exec/instructions.html#exec-table-size).
    TableSize(u32),
    /// `table.grow`: spec §4.4.6 [exec-table-grow](https://webassembly.github.io/spec/core/exec/instructions.html#exec-table-grow).
    TableGrow(u32),
    /// `table.fill`: spec §4.4.6 [exec-table-fill](https://webassembly.github.io/spec/core/exec/instructions.html#exec-table-fill).
    TableFill(u32),
    /// `table.copy`: spec §4.4.6 [exec-table-copy](https://webassembly.github.io/spec/core/exec/instructions.html#exec-table-copy).
    TableCopy { dst: u32, src: u32 },
    /// `table.init`: spec §4.4.6 [exec-table-init](https://webassembly.github.io/spec/core/exec/instructions.html#exec-table-init).
    TableInit { elem: u32, table: u32 },
    /// `elem.drop`: spec §4.4.6 [exec-elem-drop](https://webassembly.github.io/spec/core/exec/instructions.html#exec-elem-drop).
    ElemDrop(u32),
    /// `t.load*`: spec §4.4.7 [exec-load](https://webassembly.github.io/spec/core/exec/instructions.html#exec-load).
    Load { op: LoadOp, mem: u32, offset: u64 },
    /// `t.store*`: spec §4.4.7 [exec-store](https://webassembly.github.io/spec/core/exec/instructions.html#exec-store).
    Store { op: StoreOp, mem: u32, offset: u64 },
    /// `memory.size`: spec §4.4.7 [exec-memory-size](https://webassembly.github.io/spec/core/exec/instructions.html#exec-memory-size).
    MemorySize(u32),
    /// `memory.grow`: spec §4.4.7 [exec-memory-grow](https://webassembly.github.io/spec/core/exec/instructions.html#exec-memory-grow).
    MemoryGrow(u32),
    /// `memory.fill`: spec §4.4.7 [exec-memory-fill](https://webassembly.github.io/spec/core/exec/instructions.html#exec-memory-fill).
    MemoryFill(u32),
    /// `memory.copy`: spec §4.4.7 [exec-memory-copy](https://webassembly.github.io/spec/core/exec/instructions.html#exec-memory-copy).
    MemoryCopy { dst: u32, src: u32 },
    /// `memory.init`: spec §4.4.7 [exec-memory-init](https://webassembly.github.io/spec/core/exec/instructions.html#exec-memory-init).
    MemoryInit { data: u32, mem: u32 },
    /// `data.drop`: spec §4.4.7 [exec-data-drop](https://webassembly.github.io/spec/core/exec/instructions.html#exec-data-drop).
    DataDrop(u32),
    /// `t.const c`: spec §4.4.1 [exec-const](https://webassembly.github.io/spec/core/exec/instructions.html#exec-const).
    Const(Value),
    /// `ref.null t`: spec §4.4.2 [exec-ref-null](https://webassembly.github.io/spec/core/exec/instructions.html#exec-ref-null).
    /// `t` is what the null is (`FuncRef` also for `ref.null $t`).
    RefNull(ValType),
    /// `ref.is_null`: spec §4.4.2 [exec-ref-is-null](https://webassembly.github.io/spec/core/exec/instructions.html#exec-ref-is-null).
    RefIsNull,
    /// `ref.as_non_null` (Wasm 3.0): spec §4.4.2 [exec-ref-as-non-null](https://webassembly.github.io/spec/core/exec/instructions.html#exec-ref-as-non-null).
    /// Traps on null, leaves any other reference in place.
    RefAsNonNull,
    /// `ref.func x`: spec §4.4.2 [exec-ref-func](https://webassembly.github.io/spec/core/exec/instructions.html#exec-ref-func).
    RefFunc(u32),
    /// A unary, test or conversion operator: spec §4.4.1 [exec-unop](https://webassembly.github.io/spec/core/exec/instructions.html#exec-unop).
    Unary(UnOp),
    /// A binary or comparison operator: spec §4.4.1 [exec-binop](https://webassembly.github.io/spec/core/exec/instructions.html#exec-binop).
    Binary(BinOp),
    /// A vector instruction that touches no memory: spec §4.4.3
    /// [vector instructions](https://webassembly.github.io/spec/core/exec/instructions.html#vector-instructions), see `simd`.
    Vector(VectorOp),
    /// `v128.load*`: spec §4.4.7 [exec-load](https://webassembly.github.io/spec/core/exec/instructions.html#exec-load) and the extending, splatting and zeroing loads after it.
    VectorLoad { op: VectorLoadOp, mem: u32, offset: u64 },
    /// `v128.store`: spec §4.4.7 [exec-store](https://webassembly.github.io/spec/core/exec/instructions.html#exec-store).
    VectorStore { mem: u32, offset: u64 },
    /// `v128.loadN_lane`: spec §4.4.7 [exec-load-lane](https://webassembly.github.io/spec/core/exec/instructions.html#exec-load-lane); `shape` gives `N`.
    VectorLoadLane { shape: IShape, lane: u8, mem: u32, offset: u64 },
    /// `v128.storeN_lane`: spec §4.4.7 [exec-store-lane](https://webassembly.github.io/spec/core/exec/instructions.html#exec-store-lane); `shape` gives `N`.
    VectorStoreLane { shape: IShape, lane: u8, mem: u32, offset: u64 },
}

/// A catch clause of a `try_table` (spec 3.0 §2.4.8 "Control
/// Instructions"): which exceptions it catches and the label it branches
/// to, counted from outside the `try_table`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Catch {
    /// `catch x l`: exceptions of tag `x`, branching with their payload.
    One { tag: u32, label: u32 },
    /// `catch_ref x l`: exceptions of tag `x`, with the payload and the `exnref`.
    OneRef { tag: u32, label: u32 },
    /// `catch_all l`: every exception, branching with no values.
    All { label: u32 },
    /// `catch_all_ref l`: every exception, branching with its `exnref`.
    AllRef { label: u32 },
}

/// A decoded function body.
#[derive(Debug, Clone, PartialEq)]
pub struct FuncBody {
    /// Declared locals after the parameters, in order. A local of a
    /// non-nullable reference type starts as a null placeholder, which
    /// validation guarantees is never read (spec 3.0 §3.4.5).
    pub locals: Vec<ValType>,
    /// The instructions, ending with the body's final `end`.
    pub instrs: Vec<Instr>,
    /// Label lists of the `br_table`s, each ending with its default label.
    pub br_tables: Vec<Vec<u32>>,
    /// Catch clauses of the `try_table`s, each list in order.
    pub handlers: Vec<Vec<Catch>>,
    /// The fuel charged on reaching each instruction (see `fuel.rs`).
    pub charges: Vec<u64>,
}
