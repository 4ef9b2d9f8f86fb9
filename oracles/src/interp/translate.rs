//! Translation of a validated function body from `wasmparser` operators to
//! [`Instr`]s, resolving each `block`/`loop`/`if` to the positions of its
//! `else` and `end`.

use wasmparser::{BlockType, FunctionBody, Operator};

use super::code::{Catch, FuncBody, Instr, LoadOp, StoreOp};
use super::module::{Module, ModuleError, ref_kind, val_type};
use super::numerics::{BinOp, UnOp};
use super::simd::translate::vector_instr;
use crate::values::Value;

/// An open `block`, `loop` or `if` whose `end` is not yet seen.
struct OpenBlock {
    /// Position of the `block`/`loop`/`if` instruction.
    start: usize,
    /// Position of its `else`, if one was seen.
    else_: Option<usize>,
}

/// A `try_table`'s catch clause.
fn catch(clause: &wasmparser::Catch) -> Catch {
    match *clause {
        wasmparser::Catch::One { tag, label } => Catch::One { tag, label },
        wasmparser::Catch::OneRef { tag, label } => Catch::OneRef { tag, label },
        wasmparser::Catch::All { label } => Catch::All { label },
        wasmparser::Catch::AllRef { label } => Catch::AllRef { label },
    }
}

/// The (parameter count, result count) of a block type.
fn arity(module: &Module, ty: BlockType, offset: u64) -> Result<(u32, u32), ModuleError> {
    Ok(match ty {
        BlockType::Empty => (0, 0),
        BlockType::Type(_) => (0, 1),
        BlockType::FuncType(index) => {
            let ty = module
                .types
                .get(index as usize)
                .ok_or_else(|| ModuleError::new(format!("unknown block type {index}"), offset))?;
            (ty.params.len() as u32, ty.results.len() as u32)
        }
    })
}

/// Decodes one function body.
pub(crate) fn translate_body(module: &Module, body: &FunctionBody<'_>) -> Result<FuncBody, ModuleError> {
    let mut locals = Vec::new();
    let mut reader = body.get_locals_reader()?;
    for _ in 0..reader.get_count() {
        let offset = reader.original_position();
        let (count, ty) = reader.read()?;
        let ty = val_type(ty, offset)?;
        locals.extend(std::iter::repeat_n(ty, count as usize));
    }

    let mut instrs: Vec<Instr> = Vec::new();
    let mut br_tables: Vec<Vec<u32>> = Vec::new();
    let mut handlers: Vec<Vec<Catch>> = Vec::new();
    let mut open: Vec<OpenBlock> = Vec::new();
    let mut reader = body.get_operators_reader()?;
    while !reader.eof() {
        let offset = reader.original_position();
        let op = reader.read()?;
        let here = instrs.len();
        let instr = match op {
            Operator::Unreachable => Instr::Unreachable,
            Operator::Nop => Instr::Nop,
            Operator::Block { blockty } => {
                let (params, results) = arity(module, blockty, offset)?;
                open.push(OpenBlock { start: here, else_: None });
                Instr::Block { params, results, end: 0 }
            }
            Operator::Loop { blockty } => {
                let (params, results) = arity(module, blockty, offset)?;
                open.push(OpenBlock { start: here, else_: None });
                Instr::Loop { params, results }
            }
            Operator::If { blockty } => {
                let (params, results) = arity(module, blockty, offset)?;
                open.push(OpenBlock { start: here, else_: None });
                Instr::If { params, results, else_: 0, end: 0 }
            }
            Operator::TryTable { try_table } => {
                let (params, results) = arity(module, try_table.ty, offset)?;
                open.push(OpenBlock { start: here, else_: None });
                handlers.push(try_table.catches.iter().map(catch).collect());
                Instr::TryTable { params, results, end: 0, handlers: handlers.len() as u32 - 1 }
            }
            Operator::Throw { tag_index } => Instr::Throw(tag_index),
            Operator::ThrowRef => Instr::ThrowRef,
            Operator::Else => {
                let block = open.last_mut().ok_or_else(|| ModuleError::new("else outside if", offset))?;
                block.else_ = Some(here);
                Instr::Else { end: 0 }
            }
            Operator::End => {
                if let Some(block) = open.pop() {
                    let end = here as u32;
                    if let Some(e) = block.else_ {
                        instrs[e] = Instr::Else { end };
                    }
                    match &mut instrs[block.start] {
                        Instr::Block { end: e, .. } | Instr::TryTable { end: e, .. } => *e = end,
                        Instr::If { else_, end: e, .. } => {
                            // False skips to just after the `else`, or to the
                            // `end` itself (which pops the label) when absent.
                            *else_ = block.else_.map_or(end, |e| e as u32 + 1);
                            *e = end;
                        }
                        _ => {}
                    }
                }
                Instr::End
            }
            Operator::Br { relative_depth } => Instr::Br(relative_depth),
            Operator::BrIf { relative_depth } => Instr::BrIf(relative_depth),
            Operator::BrTable { targets } => {
                let mut labels = targets.targets().collect::<Result<Vec<u32>, _>>()?;
                labels.push(targets.default());
                br_tables.push(labels);
                Instr::BrTable { table: br_tables.len() as u32 - 1 }
            }
            Operator::Return => Instr::Return,
            Operator::Call { function_index } => Instr::Call(function_index),
            Operator::CallIndirect { type_index, table_index } => {
                Instr::CallIndirect { type_index, table: table_index }
            }
            Operator::ReturnCall { function_index } => Instr::ReturnCall(function_index),
            Operator::ReturnCallIndirect { type_index, table_index } => {
                Instr::ReturnCallIndirect { type_index, table: table_index }
            }
            Operator::CallRef { type_index } => Instr::CallRef(type_index),
            Operator::ReturnCallRef { type_index } => Instr::ReturnCallRef(type_index),
            Operator::BrOnNull { relative_depth } => Instr::BrOnNull(relative_depth),
            Operator::BrOnNonNull { relative_depth } => Instr::BrOnNonNull(relative_depth),
            Operator::Drop => Instr::Drop,
            Operator::Select | Operator::TypedSelect { .. } => Instr::Select,
            Operator::LocalGet { local_index } => Instr::LocalGet(local_index),
            Operator::LocalSet { local_index } => Instr::LocalSet(local_index),
            Operator::LocalTee { local_index } => Instr::LocalTee(local_index),
            Operator::GlobalGet { global_index } => Instr::GlobalGet(global_index),
            Operator::GlobalSet { global_index } => Instr::GlobalSet(global_index),
            Operator::TableGet { table } => Instr::TableGet(table),
            Operator::TableSet { table } => Instr::TableSet(table),
            Operator::TableSize { table } => Instr::TableSize(table),
            Operator::TableGrow { table } => Instr::TableGrow(table),
            Operator::TableFill { table } => Instr::TableFill(table),
            Operator::TableCopy { dst_table, src_table } => {
                Instr::TableCopy { dst: dst_table, src: src_table }
            }
            Operator::TableInit { elem_index, table } => Instr::TableInit { elem: elem_index, table },
            Operator::ElemDrop { elem_index } => Instr::ElemDrop(elem_index),
            Operator::I32Load { memarg } => load(LoadOp::I32Load, memarg),
            Operator::I64Load { memarg } => load(LoadOp::I64Load, memarg),
            Operator::F32Load { memarg } => load(LoadOp::F32Load, memarg),
            Operator::F64Load { memarg } => load(LoadOp::F64Load, memarg),
            Operator::I32Load8S { memarg } => load(LoadOp::I32Load8S, memarg),
            Operator::I32Load8U { memarg } => load(LoadOp::I32Load8U, memarg),
            Operator::I32Load16S { memarg } => load(LoadOp::I32Load16S, memarg),
            Operator::I32Load16U { memarg } => load(LoadOp::I32Load16U, memarg),
            Operator::I64Load8S { memarg } => load(LoadOp::I64Load8S, memarg),
            Operator::I64Load8U { memarg } => load(LoadOp::I64Load8U, memarg),
            Operator::I64Load16S { memarg } => load(LoadOp::I64Load16S, memarg),
            Operator::I64Load16U { memarg } => load(LoadOp::I64Load16U, memarg),
            Operator::I64Load32S { memarg } => load(LoadOp::I64Load32S, memarg),
            Operator::I64Load32U { memarg } => load(LoadOp::I64Load32U, memarg),
            Operator::I32Store { memarg } => store(StoreOp::I32Store, memarg),
            Operator::I64Store { memarg } => store(StoreOp::I64Store, memarg),
            Operator::F32Store { memarg } => store(StoreOp::F32Store, memarg),
            Operator::F64Store { memarg } => store(StoreOp::F64Store, memarg),
            Operator::I32Store8 { memarg } => store(StoreOp::I32Store8, memarg),
            Operator::I32Store16 { memarg } => store(StoreOp::I32Store16, memarg),
            Operator::I64Store8 { memarg } => store(StoreOp::I64Store8, memarg),
            Operator::I64Store16 { memarg } => store(StoreOp::I64Store16, memarg),
            Operator::I64Store32 { memarg } => store(StoreOp::I64Store32, memarg),
            Operator::MemorySize { mem } => Instr::MemorySize(mem),
            Operator::MemoryGrow { mem } => Instr::MemoryGrow(mem),
            Operator::MemoryFill { mem } => Instr::MemoryFill(mem),
            Operator::MemoryCopy { dst_mem, src_mem } => Instr::MemoryCopy { dst: dst_mem, src: src_mem },
            Operator::MemoryInit { data_index, mem } => Instr::MemoryInit { data: data_index, mem },
            Operator::DataDrop { data_index } => Instr::DataDrop(data_index),
            Operator::I32Const { value } => Instr::Const(Value::I32(value)),
            Operator::I64Const { value } => Instr::Const(Value::I64(value)),
            Operator::F32Const { value } => Instr::Const(Value::F32(value.bits())),
            Operator::F64Const { value } => Instr::Const(Value::F64(value.bits())),
            Operator::RefNull { hty } => {
                let ty = wasmparser::RefType::new(true, hty)
                    .ok_or_else(|| ModuleError::new("unsupported reference type", offset))?;
                Instr::RefNull(ref_kind(ty, offset)?)
            }
            Operator::RefIsNull => Instr::RefIsNull,
            Operator::RefAsNonNull => Instr::RefAsNonNull,
            Operator::RefFunc { function_index } => Instr::RefFunc(function_index),
            other => match numeric(&other).or_else(|| vector_instr(&other)) {
                Some(instr) => instr,
                None => {
                    return Err(ModuleError::new(format!("unsupported operator {other:?}"), offset));
                }
            },
        };
        instrs.push(instr);
    }
    let charges = super::fuel::charges(&instrs);
    Ok(FuncBody { locals, instrs, br_tables, handlers, charges })
}

/// The memory a memory instruction accesses. Only GC arrays, which the
/// validator refuses without the GC feature, are other targets; they map to
/// an index no instance has, which traps as an invariant violation.
pub(crate) fn memory_index(memarg: &wasmparser::MemArg) -> u32 {
    match memarg.target {
        wasmparser::MemArgTarget::Memory(index) => index,
        wasmparser::MemArgTarget::Array(_) => u32::MAX,
    }
}

fn load(op: LoadOp, memarg: wasmparser::MemArg) -> Instr {
    Instr::Load { op, mem: memory_index(&memarg), offset: memarg.offset }
}

fn store(op: StoreOp, memarg: wasmparser::MemArg) -> Instr {
    Instr::Store { op, mem: memory_index(&memarg), offset: memarg.offset }
}

/// Maps a numeric operator to its [`UnOp`] or [`BinOp`].
fn numeric(op: &Operator<'_>) -> Option<Instr> {
    use Operator as O;
    let unary = |u| Some(Instr::Unary(u));
    let binary = |b| Some(Instr::Binary(b));
    match op {
        O::I32Eqz => unary(UnOp::I32Eqz),
        O::I32Clz => unary(UnOp::I32Clz),
        O::I32Ctz => unary(UnOp::I32Ctz),
        O::I32Popcnt => unary(UnOp::I32Popcnt),
        O::I32Extend8S => unary(UnOp::I32Extend8S),
        O::I32Extend16S => unary(UnOp::I32Extend16S),
        O::I64Eqz => unary(UnOp::I64Eqz),
        O::I64Clz => unary(UnOp::I64Clz),
        O::I64Ctz => unary(UnOp::I64Ctz),
        O::I64Popcnt => unary(UnOp::I64Popcnt),
        O::I64Extend8S => unary(UnOp::I64Extend8S),
        O::I64Extend16S => unary(UnOp::I64Extend16S),
        O::I64Extend32S => unary(UnOp::I64Extend32S),
        O::F32Abs => unary(UnOp::F32Abs),
        O::F32Neg => unary(UnOp::F32Neg),
        O::F32Ceil => unary(UnOp::F32Ceil),
        O::F32Floor => unary(UnOp::F32Floor),
        O::F32Trunc => unary(UnOp::F32Trunc),
        O::F32Nearest => unary(UnOp::F32Nearest),
        O::F32Sqrt => unary(UnOp::F32Sqrt),
        O::F64Abs => unary(UnOp::F64Abs),
        O::F64Neg => unary(UnOp::F64Neg),
        O::F64Ceil => unary(UnOp::F64Ceil),
        O::F64Floor => unary(UnOp::F64Floor),
        O::F64Trunc => unary(UnOp::F64Trunc),
        O::F64Nearest => unary(UnOp::F64Nearest),
        O::F64Sqrt => unary(UnOp::F64Sqrt),
        O::I32WrapI64 => unary(UnOp::I32WrapI64),
        O::I32TruncF32S => unary(UnOp::I32TruncF32S),
        O::I32TruncF32U => unary(UnOp::I32TruncF32U),
        O::I32TruncF64S => unary(UnOp::I32TruncF64S),
        O::I32TruncF64U => unary(UnOp::I32TruncF64U),
        O::I64ExtendI32S => unary(UnOp::I64ExtendI32S),
        O::I64ExtendI32U => unary(UnOp::I64ExtendI32U),
        O::I64TruncF32S => unary(UnOp::I64TruncF32S),
        O::I64TruncF32U => unary(UnOp::I64TruncF32U),
        O::I64TruncF64S => unary(UnOp::I64TruncF64S),
        O::I64TruncF64U => unary(UnOp::I64TruncF64U),
        O::F32ConvertI32S => unary(UnOp::F32ConvertI32S),
        O::F32ConvertI32U => unary(UnOp::F32ConvertI32U),
        O::F32ConvertI64S => unary(UnOp::F32ConvertI64S),
        O::F32ConvertI64U => unary(UnOp::F32ConvertI64U),
        O::F32DemoteF64 => unary(UnOp::F32DemoteF64),
        O::F64ConvertI32S => unary(UnOp::F64ConvertI32S),
        O::F64ConvertI32U => unary(UnOp::F64ConvertI32U),
        O::F64ConvertI64S => unary(UnOp::F64ConvertI64S),
        O::F64ConvertI64U => unary(UnOp::F64ConvertI64U),
        O::F64PromoteF32 => unary(UnOp::F64PromoteF32),
        O::I32ReinterpretF32 => unary(UnOp::I32ReinterpretF32),
        O::I64ReinterpretF64 => unary(UnOp::I64ReinterpretF64),
        O::F32ReinterpretI32 => unary(UnOp::F32ReinterpretI32),
        O::F64ReinterpretI64 => unary(UnOp::F64ReinterpretI64),
        O::I32TruncSatF32S => unary(UnOp::I32TruncSatF32S),
        O::I32TruncSatF32U => unary(UnOp::I32TruncSatF32U),
        O::I32TruncSatF64S => unary(UnOp::I32TruncSatF64S),
        O::I32TruncSatF64U => unary(UnOp::I32TruncSatF64U),
        O::I64TruncSatF32S => unary(UnOp::I64TruncSatF32S),
        O::I64TruncSatF32U => unary(UnOp::I64TruncSatF32U),
        O::I64TruncSatF64S => unary(UnOp::I64TruncSatF64S),
        O::I64TruncSatF64U => unary(UnOp::I64TruncSatF64U),
        O::I32Eq => binary(BinOp::I32Eq),
        O::I32Ne => binary(BinOp::I32Ne),
        O::I32LtS => binary(BinOp::I32LtS),
        O::I32LtU => binary(BinOp::I32LtU),
        O::I32GtS => binary(BinOp::I32GtS),
        O::I32GtU => binary(BinOp::I32GtU),
        O::I32LeS => binary(BinOp::I32LeS),
        O::I32LeU => binary(BinOp::I32LeU),
        O::I32GeS => binary(BinOp::I32GeS),
        O::I32GeU => binary(BinOp::I32GeU),
        O::I32Add => binary(BinOp::I32Add),
        O::I32Sub => binary(BinOp::I32Sub),
        O::I32Mul => binary(BinOp::I32Mul),
        O::I32DivS => binary(BinOp::I32DivS),
        O::I32DivU => binary(BinOp::I32DivU),
        O::I32RemS => binary(BinOp::I32RemS),
        O::I32RemU => binary(BinOp::I32RemU),
        O::I32And => binary(BinOp::I32And),
        O::I32Or => binary(BinOp::I32Or),
        O::I32Xor => binary(BinOp::I32Xor),
        O::I32Shl => binary(BinOp::I32Shl),
        O::I32ShrS => binary(BinOp::I32ShrS),
        O::I32ShrU => binary(BinOp::I32ShrU),
        O::I32Rotl => binary(BinOp::I32Rotl),
        O::I32Rotr => binary(BinOp::I32Rotr),
        O::I64Eq => binary(BinOp::I64Eq),
        O::I64Ne => binary(BinOp::I64Ne),
        O::I64LtS => binary(BinOp::I64LtS),
        O::I64LtU => binary(BinOp::I64LtU),
        O::I64GtS => binary(BinOp::I64GtS),
        O::I64GtU => binary(BinOp::I64GtU),
        O::I64LeS => binary(BinOp::I64LeS),
        O::I64LeU => binary(BinOp::I64LeU),
        O::I64GeS => binary(BinOp::I64GeS),
        O::I64GeU => binary(BinOp::I64GeU),
        O::I64Add => binary(BinOp::I64Add),
        O::I64Sub => binary(BinOp::I64Sub),
        O::I64Mul => binary(BinOp::I64Mul),
        O::I64DivS => binary(BinOp::I64DivS),
        O::I64DivU => binary(BinOp::I64DivU),
        O::I64RemS => binary(BinOp::I64RemS),
        O::I64RemU => binary(BinOp::I64RemU),
        O::I64And => binary(BinOp::I64And),
        O::I64Or => binary(BinOp::I64Or),
        O::I64Xor => binary(BinOp::I64Xor),
        O::I64Shl => binary(BinOp::I64Shl),
        O::I64ShrS => binary(BinOp::I64ShrS),
        O::I64ShrU => binary(BinOp::I64ShrU),
        O::I64Rotl => binary(BinOp::I64Rotl),
        O::I64Rotr => binary(BinOp::I64Rotr),
        O::F32Eq => binary(BinOp::F32Eq),
        O::F32Ne => binary(BinOp::F32Ne),
        O::F32Lt => binary(BinOp::F32Lt),
        O::F32Gt => binary(BinOp::F32Gt),
        O::F32Le => binary(BinOp::F32Le),
        O::F32Ge => binary(BinOp::F32Ge),
        O::F32Add => binary(BinOp::F32Add),
        O::F32Sub => binary(BinOp::F32Sub),
        O::F32Mul => binary(BinOp::F32Mul),
        O::F32Div => binary(BinOp::F32Div),
        O::F32Min => binary(BinOp::F32Min),
        O::F32Max => binary(BinOp::F32Max),
        O::F32Copysign => binary(BinOp::F32Copysign),
        O::F64Eq => binary(BinOp::F64Eq),
        O::F64Ne => binary(BinOp::F64Ne),
        O::F64Lt => binary(BinOp::F64Lt),
        O::F64Gt => binary(BinOp::F64Gt),
        O::F64Le => binary(BinOp::F64Le),
        O::F64Ge => binary(BinOp::F64Ge),
        O::F64Add => binary(BinOp::F64Add),
        O::F64Sub => binary(BinOp::F64Sub),
        O::F64Mul => binary(BinOp::F64Mul),
        O::F64Div => binary(BinOp::F64Div),
        O::F64Min => binary(BinOp::F64Min),
        O::F64Max => binary(BinOp::F64Max),
        O::F64Copysign => binary(BinOp::F64Copysign),
        _ => None,
    }
}
