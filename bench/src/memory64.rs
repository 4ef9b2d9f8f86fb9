//! A memory64 build of a wasm32 program (`--memory64`): the same module
//! with its memory's addresses 64-bit. No wasm64 toolchain is available
//! here, so the bytes are rewritten instead: the memory type gets `i64`
//! addresses, data segment offsets become `i64.const`, every address
//! operand is zero-extended (`i64.extend_i32_u`) where it is used (a
//! value above it on the stack goes through a scratch local first), and
//! `memory.size`/`memory.grow` results are wrapped back to `i32`. Pointers
//! stay 32-bit everywhere else (WASI included), as in a wasm64 program
//! whose heap is below 4 GiB, so what the rewrite costs is what a 64-bit
//! memory costs: the explicit bounds check of every access.

use anyhow::{Result, anyhow, bail};
use wasm_encoder::reencode::{Error, Reencode, utils};
use wasm_encoder::{Function, Instruction, ValType};
use wasmparser::Operator;

/// Scratch locals each function gets, after its own: two `i32`s, then one
/// of each other type a store can take.
const SCRATCH: [ValType; 6] =
    [ValType::I32, ValType::I32, ValType::I64, ValType::F32, ValType::F64, ValType::V128];

struct ToMemory64 {
    /// Parameter count of each defined function, in order.
    params: Vec<u32>,
    /// The next defined function.
    next: usize,
}

/// Where a value above the address waits while the address is extended.
#[derive(Clone, Copy)]
enum Above {
    /// Nothing: the address is on top.
    Nothing,
    /// One value, in scratch local `n` (index into [`SCRATCH`]).
    One(usize),
}

/// How an operator takes its address operands.
enum Shape {
    /// Not a memory access.
    Other,
    /// An address, then `above`.
    Access(Above),
    /// `memory.size`: wrap the result.
    Size,
    /// `memory.grow`: extend the delta, wrap the result.
    Grow,
    /// `memory.fill`, `memory.copy`, `memory.init`: three operands, of
    /// which those marked `true` are addresses or lengths to extend.
    Three([bool; 3]),
}

fn shape(op: &Operator<'_>) -> Shape {
    use Operator as O;
    match op {
        O::I32Load { .. }
        | O::I64Load { .. }
        | O::F32Load { .. }
        | O::F64Load { .. }
        | O::I32Load8S { .. }
        | O::I32Load8U { .. }
        | O::I32Load16S { .. }
        | O::I32Load16U { .. }
        | O::I64Load8S { .. }
        | O::I64Load8U { .. }
        | O::I64Load16S { .. }
        | O::I64Load16U { .. }
        | O::I64Load32S { .. }
        | O::I64Load32U { .. }
        | O::V128Load { .. }
        | O::V128Load8x8S { .. }
        | O::V128Load8x8U { .. }
        | O::V128Load16x4S { .. }
        | O::V128Load16x4U { .. }
        | O::V128Load32x2S { .. }
        | O::V128Load32x2U { .. }
        | O::V128Load8Splat { .. }
        | O::V128Load16Splat { .. }
        | O::V128Load32Splat { .. }
        | O::V128Load64Splat { .. }
        | O::V128Load32Zero { .. }
        | O::V128Load64Zero { .. } => Shape::Access(Above::Nothing),
        O::I32Store { .. } | O::I32Store8 { .. } | O::I32Store16 { .. } => Shape::Access(Above::One(0)),
        O::I64Store { .. } | O::I64Store8 { .. } | O::I64Store16 { .. } | O::I64Store32 { .. } => {
            Shape::Access(Above::One(2))
        }
        O::F32Store { .. } => Shape::Access(Above::One(3)),
        O::F64Store { .. } => Shape::Access(Above::One(4)),
        O::V128Store { .. }
        | O::V128Load8Lane { .. }
        | O::V128Load16Lane { .. }
        | O::V128Load32Lane { .. }
        | O::V128Load64Lane { .. }
        | O::V128Store8Lane { .. }
        | O::V128Store16Lane { .. }
        | O::V128Store32Lane { .. }
        | O::V128Store64Lane { .. } => Shape::Access(Above::One(5)),
        O::MemorySize { .. } => Shape::Size,
        O::MemoryGrow { .. } => Shape::Grow,
        O::MemoryFill { .. } => Shape::Three([true, false, true]),
        O::MemoryCopy { .. } => Shape::Three([true, true, true]),
        O::MemoryInit { .. } => Shape::Three([true, false, false]),
        _ => Shape::Other,
    }
}

impl Reencode for ToMemory64 {
    type Error = anyhow::Error;

    fn memory_type(
        &mut self,
        memory: wasmparser::MemoryType,
    ) -> std::result::Result<wasm_encoder::MemoryType, Error<Self::Error>> {
        let mut memory = utils::memory_type(self, memory);
        memory.memory64 = true;
        Ok(memory)
    }

    fn parse_data(
        &mut self,
        data: &mut wasm_encoder::DataSection,
        datum: wasmparser::Data<'_>,
    ) -> std::result::Result<(), Error<Self::Error>> {
        let wasmparser::DataKind::Active { memory_index, offset_expr } = datum.kind else {
            return utils::parse_data(self, data, datum);
        };
        let mut ops = offset_expr.get_operators_reader();
        let offset = match (ops.read()?, ops.read()?) {
            (Operator::I32Const { value }, Operator::End) => u64::from(value as u32),
            _ => return Err(Error::UserError(anyhow!("a data segment offset other than i32.const"))),
        };
        let offset = wasm_encoder::ConstExpr::i64_const(offset as i64);
        data.active(memory_index, &offset, datum.data.iter().copied());
        Ok(())
    }

    fn parse_function_body(
        &mut self,
        code: &mut wasm_encoder::CodeSection,
        func: wasmparser::FunctionBody<'_>,
    ) -> std::result::Result<(), Error<Self::Error>> {
        let params =
            *self.params.get(self.next).ok_or_else(|| Error::UserError(anyhow!("a body too many")))?;
        self.next += 1;
        let mut locals = Vec::new();
        let mut count = params;
        for pair in func.get_locals_reader()? {
            let (n, ty) = pair?;
            locals.push((n, self.val_type(ty)?));
            count += n;
        }
        locals.extend(SCRATCH.iter().map(|&t| (1, t)));
        let scratch = |i: usize| count + i as u32;
        let mut f = Function::new(locals);
        let mut ops = func.get_operators_reader()?;
        while !ops.eof() {
            let op = ops.read()?;
            let shape = shape(&op);
            let instruction = self.instruction(op)?;
            match shape {
                Shape::Other => {
                    f.instruction(&instruction);
                }
                Shape::Access(Above::Nothing) => {
                    f.instruction(&Instruction::I64ExtendI32U).instruction(&instruction);
                }
                Shape::Access(Above::One(n)) => {
                    f.instruction(&Instruction::LocalSet(scratch(n)))
                        .instruction(&Instruction::I64ExtendI32U)
                        .instruction(&Instruction::LocalGet(scratch(n)))
                        .instruction(&instruction);
                }
                Shape::Size => {
                    f.instruction(&instruction).instruction(&Instruction::I32WrapI64);
                }
                Shape::Grow => {
                    f.instruction(&Instruction::I64ExtendI32U)
                        .instruction(&instruction)
                        .instruction(&Instruction::I32WrapI64);
                }
                Shape::Three(extend) => {
                    // The top two go to the two `i32` scratch locals.
                    f.instruction(&Instruction::LocalSet(scratch(1)))
                        .instruction(&Instruction::LocalSet(scratch(0)));
                    if extend[0] {
                        f.instruction(&Instruction::I64ExtendI32U);
                    }
                    for (i, &wide) in extend.iter().enumerate().skip(1) {
                        f.instruction(&Instruction::LocalGet(scratch(i - 1)));
                        if wide {
                            f.instruction(&Instruction::I64ExtendI32U);
                        }
                    }
                    f.instruction(&instruction);
                }
            }
        }
        code.function(&f);
        Ok(())
    }
}

/// `wasm` (a module with one 32-bit memory) with its memory 64-bit.
pub fn to_memory64(wasm: &[u8]) -> Result<Vec<u8>> {
    let mut types = Vec::new();
    let mut params = Vec::new();
    let mut memories = 0;
    for payload in wasmparser::Parser::new(0).parse_all(wasm) {
        match payload? {
            wasmparser::Payload::TypeSection(reader) => {
                for ty in reader.into_iter_err_on_gc_types() {
                    types.push(ty?.params().len() as u32);
                }
            }
            wasmparser::Payload::FunctionSection(reader) => {
                for ty in reader {
                    params.push(*types.get(ty? as usize).ok_or_else(|| anyhow!("a function of no type"))?);
                }
            }
            wasmparser::Payload::ImportSection(reader) => {
                for import in reader.into_imports() {
                    if matches!(import?.ty, wasmparser::TypeRef::Memory(_)) {
                        bail!("an imported memory");
                    }
                }
            }
            wasmparser::Payload::MemorySection(reader) => memories += reader.count(),
            _ => {}
        }
    }
    if memories != 1 {
        bail!("{memories} memories, not one");
    }
    let mut module = wasm_encoder::Module::new();
    ToMemory64 { params, next: 0 }
        .parse_core_module(&mut module, wasmparser::Parser::new(0), wasm)
        .map_err(|e| anyhow!("{e:?}"))?;
    let bytes = module.finish();
    wasmparser::Validator::new()
        .validate_all(&bytes)
        .map_err(|e| anyhow!("the memory64 build is invalid: {e}"))?;
    Ok(bytes)
}
