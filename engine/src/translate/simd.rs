//! The SIMD operators the skeleton handles: `v128.const`, the operators
//! with lane or shuffle immediates (which become pure terms with the
//! immediate as a constant operand), and the vector loads and stores.
//!
//! Memory accesses are skeleton work, as for scalars: `v128.load`/`store`,
//! the extending loads (`load8x8_s` ... are Cranelift's `sload8x8` ...),
//! and the scalar access of `load*_splat`, `load*_zero`, `load*_lane` and
//! `store*_lane`. What those do to lanes (splat, insert into a zero
//! vector, replace or extract a lane) is a pure operator lowered by the
//! rules, like every other. A vector access faults in the guard region
//! like a scalar one, a load that straddles the end of memory included.

use cranelift_codegen::ir::{Endianness, InstBuilder, MemFlagsData, Value, types};
use wasmparser::{MemArg, Operator};

use super::{FuncTranslator, Operand, TResult};
use crate::pure::PureExpr;

/// How a lane access reaches memory: its width in bytes.
#[derive(Clone, Copy)]
enum LaneWidth {
    B1,
    B2,
    B4,
    B8,
}

impl LaneWidth {
    /// The scalar type a lane is read into: `i32` for lanes up to 32 bits
    /// (as Wasm's `replace_lane` and `extract_lane_u` take and give it).
    fn scalar(self) -> types::Type {
        if matches!(self, LaneWidth::B8) { types::I64 } else { types::I32 }
    }

    /// Bytes per lane.
    fn bytes(self) -> u64 {
        16 / u64::from(self.lanes())
    }

    /// How many lanes of this width a `v128` has.
    fn lanes(self) -> u8 {
        match self {
            LaneWidth::B1 => 16,
            LaneWidth::B2 => 8,
            LaneWidth::B4 => 4,
            LaneWidth::B8 => 2,
        }
    }
}

impl FuncTranslator<'_> {
    /// Translates `op` if it is a SIMD operator the skeleton handles;
    /// `None` for any other operator.
    pub(super) fn simd_operator(&mut self, op: &Operator<'_>) -> Option<TResult<()>> {
        use Operator as O;
        Some(match *op {
            O::V128Const { value } => {
                self.push_pure(PureExpr::Const(types::I8X16, value.i128() as u128));
                Ok(())
            }
            O::I8x16Shuffle { lanes } => {
                self.push_pure(PureExpr::Const(types::I8X16, u128::from_le_bytes(lanes)));
                self.pure("i8x16.shuffle")
            }
            O::I8x16ExtractLaneS { lane } => self.with_lane("i8x16.extract_lane_s", lane, false),
            O::I8x16ExtractLaneU { lane } => self.with_lane("i8x16.extract_lane_u", lane, false),
            O::I16x8ExtractLaneS { lane } => self.with_lane("i16x8.extract_lane_s", lane, false),
            O::I16x8ExtractLaneU { lane } => self.with_lane("i16x8.extract_lane_u", lane, false),
            O::I32x4ExtractLane { lane } => self.with_lane("i32x4.extract_lane", lane, false),
            O::I64x2ExtractLane { lane } => self.with_lane("i64x2.extract_lane", lane, false),
            O::F32x4ExtractLane { lane } => self.with_lane("f32x4.extract_lane", lane, false),
            O::F64x2ExtractLane { lane } => self.with_lane("f64x2.extract_lane", lane, false),
            O::I8x16ReplaceLane { lane } => self.with_lane("i8x16.replace_lane", lane, true),
            O::I16x8ReplaceLane { lane } => self.with_lane("i16x8.replace_lane", lane, true),
            O::I32x4ReplaceLane { lane } => self.with_lane("i32x4.replace_lane", lane, true),
            O::I64x2ReplaceLane { lane } => self.with_lane("i64x2.replace_lane", lane, true),
            O::F32x4ReplaceLane { lane } => self.with_lane("f32x4.replace_lane", lane, true),
            O::F64x2ReplaceLane { lane } => self.with_lane("f64x2.replace_lane", lane, true),

            O::V128Load { ref memarg } => self.vector_load(memarg, VectorLoad::Whole),
            O::V128Load8x8S { ref memarg } => self.vector_load(memarg, VectorLoad::S8x8),
            O::V128Load8x8U { ref memarg } => self.vector_load(memarg, VectorLoad::U8x8),
            O::V128Load16x4S { ref memarg } => self.vector_load(memarg, VectorLoad::S16x4),
            O::V128Load16x4U { ref memarg } => self.vector_load(memarg, VectorLoad::U16x4),
            O::V128Load32x2S { ref memarg } => self.vector_load(memarg, VectorLoad::S32x2),
            O::V128Load32x2U { ref memarg } => self.vector_load(memarg, VectorLoad::U32x2),
            O::V128Store { ref memarg } => self.vector_store(memarg),

            O::V128Load8Splat { ref memarg } => self.load_splat(memarg, LaneWidth::B1),
            O::V128Load16Splat { ref memarg } => self.load_splat(memarg, LaneWidth::B2),
            O::V128Load32Splat { ref memarg } => self.load_splat(memarg, LaneWidth::B4),
            O::V128Load64Splat { ref memarg } => self.load_splat(memarg, LaneWidth::B8),
            O::V128Load32Zero { ref memarg } => self.load_zero(memarg, LaneWidth::B4),
            O::V128Load64Zero { ref memarg } => self.load_zero(memarg, LaneWidth::B8),
            O::V128Load8Lane { ref memarg, lane } => self.load_lane(memarg, LaneWidth::B1, lane),
            O::V128Load16Lane { ref memarg, lane } => self.load_lane(memarg, LaneWidth::B2, lane),
            O::V128Load32Lane { ref memarg, lane } => self.load_lane(memarg, LaneWidth::B4, lane),
            O::V128Load64Lane { ref memarg, lane } => self.load_lane(memarg, LaneWidth::B8, lane),
            O::V128Store8Lane { ref memarg, lane } => self.store_lane(memarg, LaneWidth::B1, lane),
            O::V128Store16Lane { ref memarg, lane } => self.store_lane(memarg, LaneWidth::B2, lane),
            O::V128Store32Lane { ref memarg, lane } => self.store_lane(memarg, LaneWidth::B4, lane),
            O::V128Store64Lane { ref memarg, lane } => self.store_lane(memarg, LaneWidth::B8, lane),
            _ => return None,
        })
    }

    /// A lane operator: the lane index is an `i8` constant operand, after
    /// the vector and before the scalar of `replace_lane`.
    fn with_lane(&mut self, name: &'static str, lane: u8, replaces: bool) -> TResult<()> {
        let scalar = if replaces { Some(self.pop()?) } else { None };
        self.push_pure(PureExpr::Const(types::I8, u128::from(lane)));
        if let Some(scalar) = scalar {
            self.stack.push(scalar);
        }
        self.pure(name)
    }

    fn vector_load(&mut self, memarg: &MemArg, kind: VectorLoad) -> TResult<()> {
        let size = if matches!(kind, VectorLoad::Whole) { 16 } else { 8 };
        let (address, offset) = self.heap_address(memarg, size)?;
        let flags = self.heap_flags();
        let ins = self.builder.ins();
        let value = match kind {
            VectorLoad::Whole => ins.load(types::I8X16, flags, address, offset),
            VectorLoad::S8x8 => ins.sload8x8(flags, address, offset),
            VectorLoad::U8x8 => ins.uload8x8(flags, address, offset),
            VectorLoad::S16x4 => ins.sload16x4(flags, address, offset),
            VectorLoad::U16x4 => ins.uload16x4(flags, address, offset),
            VectorLoad::S32x2 => ins.sload32x2(flags, address, offset),
            VectorLoad::U32x2 => ins.uload32x2(flags, address, offset),
        };
        let value = self.as_v128(value);
        self.push(value);
        Ok(())
    }

    fn vector_store(&mut self, memarg: &MemArg) -> TResult<()> {
        let value = self.pop_value()?;
        let (address, offset) = self.heap_address(memarg, 16)?;
        let flags = self.heap_flags();
        self.builder.ins().store(flags, value, address, offset);
        Ok(())
    }

    /// A lane-wide scalar load, zero-extended to the lane's scalar type.
    fn load_lane_bits(&mut self, memarg: &MemArg, width: LaneWidth) -> TResult<Value> {
        let (address, offset) = self.heap_address(memarg, width.bytes())?;
        let flags = self.heap_flags();
        let ty = width.scalar();
        let ins = self.builder.ins();
        Ok(match width {
            LaneWidth::B1 => ins.uload8(ty, flags, address, offset),
            LaneWidth::B2 => ins.uload16(ty, flags, address, offset),
            LaneWidth::B4 | LaneWidth::B8 => ins.load(ty, flags, address, offset),
        })
    }

    /// `load*_splat`: the scalar load, then the shape's `splat`.
    fn load_splat(&mut self, memarg: &MemArg, width: LaneWidth) -> TResult<()> {
        let value = self.load_lane_bits(memarg, width)?;
        self.push(value);
        self.pure(splat_name(width))
    }

    /// `load32_zero`/`load64_zero`: the scalar load replaces lane 0 of a
    /// zero vector.
    fn load_zero(&mut self, memarg: &MemArg, width: LaneWidth) -> TResult<()> {
        let value = self.load_lane_bits(memarg, width)?;
        self.push_pure(PureExpr::Const(types::I8X16, 0));
        self.push(value);
        self.with_lane(replace_lane_name(width), 0, true)
    }

    /// `load*_lane`: the scalar load replaces lane `lane` of the vector
    /// operand.
    fn load_lane(&mut self, memarg: &MemArg, width: LaneWidth, lane: u8) -> TResult<()> {
        let vector = self.pop()?;
        let value = self.load_lane_bits(memarg, width)?;
        self.stack.push(vector);
        self.push(value);
        let lane = if plumb_rules::mutant::active("load-lane-reversed") {
            width.lanes().wrapping_sub(1 + lane)
        } else {
            lane
        };
        self.with_lane(replace_lane_name(width), lane, true)
    }

    /// `store*_lane`: lane `lane` of the vector operand, extracted by the
    /// rules, stored with the lane's width.
    fn store_lane(&mut self, memarg: &MemArg, width: LaneWidth, lane: u8) -> TResult<()> {
        let vector: Operand = self.pop()?;
        let (address, offset) = self.heap_address(memarg, width.bytes())?;
        self.stack.push(vector);
        self.with_lane(extract_lane_name(width), lane, false)?;
        let value = self.pop_value()?;
        let flags = self.heap_flags();
        let ins = self.builder.ins();
        match width {
            LaneWidth::B1 => ins.istore8(flags, value, address, offset),
            LaneWidth::B2 => ins.istore16(flags, value, address, offset),
            LaneWidth::B4 | LaneWidth::B8 => ins.store(flags, value, address, offset),
        };
        Ok(())
    }

    /// A vector value as Wasm's `v128` (`i8x16`, as the skeleton carries
    /// every vector): a bitcast if it has another lane type.
    fn as_v128(&mut self, value: Value) -> Value {
        if self.builder.func.dfg.value_type(value) == types::I8X16 {
            return value;
        }
        let flags = MemFlagsData::new().with_endianness(Endianness::Little);
        self.builder.ins().bitcast(types::I8X16, flags, value)
    }
}

/// The vector loads that are one Cranelift load.
#[derive(Clone, Copy)]
enum VectorLoad {
    Whole,
    S8x8,
    U8x8,
    S16x4,
    U16x4,
    S32x2,
    U32x2,
}

fn splat_name(width: LaneWidth) -> &'static str {
    match width {
        LaneWidth::B1 => "i8x16.splat",
        LaneWidth::B2 => "i16x8.splat",
        LaneWidth::B4 => "i32x4.splat",
        LaneWidth::B8 => "i64x2.splat",
    }
}

fn replace_lane_name(width: LaneWidth) -> &'static str {
    match width {
        LaneWidth::B1 => "i8x16.replace_lane",
        LaneWidth::B2 => "i16x8.replace_lane",
        LaneWidth::B4 => "i32x4.replace_lane",
        LaneWidth::B8 => "i64x2.replace_lane",
    }
}

fn extract_lane_name(width: LaneWidth) -> &'static str {
    match width {
        LaneWidth::B1 => "i8x16.extract_lane_u",
        LaneWidth::B2 => "i16x8.extract_lane_u",
        LaneWidth::B4 => "i32x4.extract_lane",
        LaneWidth::B8 => "i64x2.extract_lane",
    }
}
