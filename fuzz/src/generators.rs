//! Generators: turn the fuzzer's bytes into inputs — modules, arguments,
//! sequences of API calls, operator applications and rule-language terms.
//!
//! Every generator draws from an [`Unstructured`] and nothing else, so the
//! same bytes always give the same input. None of them judges anything:
//! that is the oracles' job (`crate::oracles`).

use arbitrary::{Arbitrary, Result, Unstructured};
use egg::{Id, RecExpr};
use plumb_oracles::{ValType, Value};
use plumb_rules::egraph::Node;
use plumb_rules::{OpKind, RuleSet, Type};

use crate::oracles::op_specs::{Immediate, Operator};

/// Largest memory a generated module may declare or grow to, in bytes
/// (16 pages): the interpreter allocates memories eagerly.
pub const MAX_MEMORY_BYTES: u64 = 16 * 65536;

/// Largest table a generated module may declare or grow to.
pub const MAX_TABLE_ELEMENTS: u64 = 100;

/// Loop iterations and calls a generated module may make in all, across
/// every export called, before it traps with `unreachable`: most runs have
/// no fuel budget, so termination is built into the module.
pub const MODULE_FUEL: u32 = 1_000;

/// How rarely [`module`] gives a pathological shape rather than a
/// wasm-smith module: one in this many.
pub const SHAPE_ODDS: u8 = 32;

/// What a generated module is for; the swarm configuration differs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModulePurpose {
    /// Run on the engine and the interpreter: no imports, everything
    /// exported, NaNs canonicalised after arithmetic so their bits are
    /// deterministic.
    Differential,
    /// Instantiated with arbitrary imports provided by the host.
    WithImports,
}

/// A swarm-style wasm-smith configuration drawn from the input: features
/// and limits are chosen at random, then clamped to what Plumb implements
/// (WebAssembly 2.0 with SIMD, and 3.0's tail calls, extended constants,
/// relaxed SIMD, multiple memories, memory64 and exception handling, each
/// as the swarm draws it) and to small sizes. Typed function references
/// come after generation ([`module`], `crate::function_references`).
pub fn swarm_config(u: &mut Unstructured<'_>, purpose: ModulePurpose) -> Result<wasm_smith::Config> {
    let mut c = wasm_smith::Config::arbitrary(u)?;
    // SIMD, relaxed SIMD (Plumb's one result per relaxed instruction is the
    // interpreter's too), tail calls, extended constants, multi-memory and
    // memory64 (with 64-bit tables) and exception handling as the swarm
    // draws them; the other proposals beyond 2.0: off.
    c.threads_enabled = false;
    c.shared_everything_threads_enabled = false;
    c.gc_enabled = false;
    c.compact_imports_enabled = false;
    c.wide_arithmetic_enabled = false;
    c.custom_page_sizes_enabled = false;
    c.custom_descriptors_enabled = false;
    c.acquire_release_atomics_enabled = false;
    c.multibyte_array_access_enabled = false;
    // Up to three memories (multi-memory), as the swarm draws it.
    c.max_memories = c.max_memories.min(3);
    // Small sizes, and a maximum on every memory and table so that both
    // implementations hit the same growth limit.
    c.max_memory32_bytes = c.max_memory32_bytes.min(MAX_MEMORY_BYTES);
    c.max_memory64_bytes = c.max_memory64_bytes.min(u128::from(MAX_MEMORY_BYTES));
    c.memory_max_size_required = true;
    c.max_table_elements = c.max_table_elements.min(MAX_TABLE_ELEMENTS);
    c.table_max_size_required = true;
    c.max_tables = c.max_tables.min(4);
    c.max_types = c.max_types.min(20);
    c.max_funcs = c.max_funcs.min(12);
    c.max_instructions = c.max_instructions.min(120);
    c.max_globals = c.max_globals.min(12);
    c.max_exports = c.max_exports.min(20);
    c.max_data_segments = c.max_data_segments.min(8);
    c.max_element_segments = c.max_element_segments.min(8);
    c.max_elements = c.max_elements.min(20);
    c.max_type_size = c.max_type_size.min(100);
    match purpose {
        ModulePurpose::Differential => {
            // At least one function: a module without code tests only
            // instantiation (three in four drawn configurations had none).
            c.min_funcs = c.min_funcs.max(1);
            c.max_funcs = c.max_funcs.max(c.min_funcs);
            c.max_imports = 0;
            c.export_everything = true;
            c.canonicalize_nans = true;
        }
        ModulePurpose::WithImports => {
            c.max_imports = c.max_imports.min(12);
        }
    }
    Ok(c)
}

/// A valid module for `purpose`, in binary form, whose loops and calls
/// stop after [`MODULE_FUEL`] in all. One in [`SHAPE_ODDS`] is one of the
/// pathological shapes of [`crate::shapes`] instead (no imports, no loops).
pub fn module(u: &mut Unstructured<'_>, purpose: ModulePurpose) -> Result<Vec<u8>> {
    // Drawn first: at the end the input is often used up, which would
    // always answer `false`.
    let probes = u.arbitrary::<bool>()?;
    if u.ratio(1, SHAPE_ODDS)? {
        return crate::shapes::module(u);
    }
    let config = swarm_config(u, purpose)?;
    let mut module = wasm_smith::Module::new(config, u)?;
    module.ensure_termination(MODULE_FUEL).map_err(|_| arbitrary::Error::IncorrectFormat)?;
    let mut bytes = module.to_bytes();
    // Typed function references, which wasm-smith draws only with GC: one
    // module in two gets its direct calls rewritten into typed forms.
    if crate::function_references::chosen(&bytes)
        && let Some(rewritten) = crate::function_references::with_function_references(&bytes)
    {
        bytes = rewritten;
    }
    match purpose {
        ModulePurpose::Differential => {
            let bytes = without_nan_sign_choices(&bytes).ok_or(arbitrary::Error::IncorrectFormat)?;
            if probes { with_memory_probes(&bytes) } else { Ok(bytes) }
        }
        ModulePurpose::WithImports => Ok(bytes),
    }
}

/// The probe functions [`with_memory_probes`] adds: export name, type
/// (index into [`PROBE_TYPES`]) and body.
const PROBES: &[(&str, u32, ProbeBody)] = &[
    // Store opcodes: i32.store8 0x3a, i32.store16 0x3b, i64.store8 0x3c,
    // i64.store32 0x3e; loads: i32.load8_s/u 0x2c/0x2d, i32.load16_s 0x2e,
    // i64.load8_s 0x30, i64.load32_s/u 0x34/0x35.
    ("plumb.store8_load8_s", 0, ProbeBody::StoreLoad(0x3a, 0x2c)),
    ("plumb.store8_load8_u", 0, ProbeBody::StoreLoad(0x3a, 0x2d)),
    ("plumb.store16_load16_s", 0, ProbeBody::StoreLoad(0x3b, 0x2e)),
    ("plumb.i64_store8_load8_s", 1, ProbeBody::StoreLoad(0x3c, 0x30)),
    ("plumb.i64_store32_load32_s", 1, ProbeBody::StoreLoad(0x3e, 0x34)),
    ("plumb.i64_store32_load32_u", 1, ProbeBody::StoreLoad(0x3e, 0x35)),
    // (memory.fill (local.get 0) (local.get 1) (local.get 2))
    ("plumb.memory_fill", 2, ProbeBody::Raw(&[0x20, 0, 0x20, 1, 0x20, 2, 0xfc, 0x0b, 0])),
    // (memory.copy (local.get 0) (local.get 1) (local.get 2))
    ("plumb.memory_copy", 2, ProbeBody::Raw(&[0x20, 0, 0x20, 1, 0x20, 2, 0xfc, 0x0a, 0, 0])),
    // (memory.grow (local.get 0))
    ("plumb.memory_grow", 3, ProbeBody::Raw(&[0x20, 0, 0x40, 0])),
    // SIMD lane loads (0xfd 0x54..0x57: v128.load8/16/32/64_lane) at lane 1.
    ("plumb.v128_load8_lane", 4, ProbeBody::LoadLane(0x54)),
    ("plumb.v128_load16_lane", 4, ProbeBody::LoadLane(0x55)),
    ("plumb.v128_load32_lane", 4, ProbeBody::LoadLane(0x56)),
    ("plumb.v128_load64_lane", 4, ProbeBody::LoadLane(0x57)),
];

/// The probes [`with_memory_probes`] adds to every module it probes, with
/// a memory or without.
const CODE_PROBES: &[(&str, u32, ProbeBody)] = &[
    // A tail call with two arguments of one type, to a function that tells
    // them apart: (return_call $plumb.sub (local.get 0) (local.get 1)).
    ("plumb.return_call_sub", 0, ProbeBody::TailCallNext),
    // (i32.sub (local.get 0) (local.get 1))
    ("plumb.sub", 0, ProbeBody::Raw(&[0x20, 0, 0x20, 1, 0x6b])),
    // Exceptions of the two probe tags, which have one type: each catch
    // must match its own tag only.
    ("plumb.catch_own_tag", 3, ProbeBody::Catch { thrown: 0 }),
    ("plumb.catch_other_tag", 3, ProbeBody::Catch { thrown: 1 }),
    ("plumb.rethrow_caught", 3, ProbeBody::Rethrow),
    // Relaxed SIMD: (i8x16.relaxed_laneselect (i32x4.splat (local.get 0))
    // (i64x2.splat (local.get 1)) MASK) with a mask of whole-byte lanes, where
    // every implementation must select alike (i8x16.relaxed_laneselect is
    // 0xfd 0x109).
    (
        "plumb.relaxed_laneselect",
        4,
        ProbeBody::Raw(&[
            0x20, 0, 0xfd, 0x11, 0x20, 1, 0xfd, 0x12, 0xfd, 0x0c, 0xff, 0, 0, 0xff, 0xff, 0xff, 0, 0, 0,
            0xff, 0, 0xff, 0xff, 0, 0, 0xff, 0xfd, 0x89, 0x02,
        ]),
    ),
];

/// The probes [`with_memory_probes`] adds instead when memory 0 has 64-bit
/// addresses (those above take `i32` addresses).
const PROBES64: &[(&str, u32, ProbeBody)] = &[
    // (i32.store8 (i64.and (local.get 0) (i64.const 0xffff)) (local.get 1))
    // (i32.load8_u (i64.and (local.get 0) (i64.const 0xffff)))
    (
        "plumb.memory64_store8_load8_u",
        6,
        ProbeBody::Raw(&[
            0x20, 0, 0x42, 0xff, 0xff, 0x03, 0x83, 0x20, 1, 0x3a, 0, 0, 0x20, 0, 0x42, 0xff, 0xff, 0x03,
            0x83, 0x2d, 0, 0,
        ]),
    ),
    // An address of 2^32 or more, whose low half may be in bounds:
    // (i32.load8_u (i64.or (local.get 0) (i64.const 0x1_0000_0000))).
    (
        "plumb.memory64_load8_u_high",
        5,
        ProbeBody::Raw(&[0x20, 0, 0x42, 0x80, 0x80, 0x80, 0x80, 0x10, 0x84, 0x2d, 0, 0]),
    ),
];

/// A probe's body in the binary format.
enum ProbeBody {
    /// Stores parameter 1 with the store opcode at an address in the first
    /// page (parameter 0 masked with 0xffff), then loads it back with the
    /// load opcode (both with alignment 0 and offset 0).
    StoreLoad(u8, u8),
    /// Stores parameter 1 (an `i64`) at an address in the first page as
    /// `StoreLoad` does, then loads it back into lane 1 of a vector of
    /// distinct bytes with this SIMD lane-load opcode (after the `0xfd`
    /// prefix), and returns the vector.
    LoadLane(u8),
    /// Passes its two parameters on to the probe after it with
    /// `return_call`.
    TailCallNext,
    /// Throws its parameter with probe tag `thrown` (0 or 1) inside a
    /// `try_table` that catches probe tag 0 and returns the payload; -1
    /// if nothing was thrown.
    Catch { thrown: u32 },
    /// Throws its parameter with probe tag 1, catches it with
    /// `catch_all_ref`, throws the `exnref` again with `throw_ref` and
    /// catches that with `catch` of tag 1, returning the payload.
    Rethrow,
    /// These instructions, without the final `end`.
    Raw(&'static [u8]),
}

impl ProbeBody {
    /// The instructions, ending with `end`, of the probe that is function
    /// `index`, in a module whose probe tags are `tags` and `tags + 1`.
    fn encode(&self, index: u32, tags: u32) -> Vec<u8> {
        use wasm_encoder::Encode;
        // (i32.and (local.get 0) (i32.const 0xffff))
        const ADDRESS: [u8; 7] = [0x20, 0, 0x41, 0xff, 0xff, 0x03, 0x71];
        let mut code = Vec::new();
        match *self {
            ProbeBody::StoreLoad(store, load) => {
                code.extend(ADDRESS);
                code.extend([0x20, 1, store, 0, 0]);
                code.extend(ADDRESS);
                code.extend([load, 0, 0]);
            }
            ProbeBody::LoadLane(load) => {
                // i64.store 0x37, v128.const 0xfd 0x0c.
                code.extend(ADDRESS);
                code.extend([0x20, 1, 0x37, 0, 0]);
                code.extend(ADDRESS);
                code.extend([0xfd, 0x0c]);
                code.extend(0x10..0x20u8);
                code.extend([0xfd, load, 0, 0, 1]);
            }
            ProbeBody::TailCallNext => {
                code.extend([0x20, 0, 0x20, 1, 0x12]);
                (index + 1).encode(&mut code);
            }
            ProbeBody::Catch { thrown } => {
                // block (result i32) try_table (catch $tag0 0)
                code.extend([0x02, 0x7f, 0x1f, 0x40, 1, 0x00]);
                tags.encode(&mut code);
                // label 0; (throw $thrown (local.get 0)) end (i32.const -1)
                code.extend([0, 0x20, 0, 0x08]);
                (tags + thrown).encode(&mut code);
                code.extend([0x0b, 0x41, 0x7f, 0x0b]);
            }
            ProbeBody::Rethrow => {
                // block (result i32) try_table (catch $tag1 0)
                code.extend([0x02, 0x7f, 0x1f, 0x40, 1, 0x00]);
                (tags + 1).encode(&mut code);
                // block (result exnref) try_table (catch_all_ref 0)
                code.extend([0, 0x02, 0x69, 0x1f, 0x40, 1, 0x03, 0]);
                // (throw $tag1 (local.get 0)) end unreachable end throw_ref
                code.extend([0x20, 0, 0x08]);
                (tags + 1).encode(&mut code);
                code.extend([0x0b, 0x00, 0x0b, 0x0a]);
                // end (i32.const -1) end
                code.extend([0x0b, 0x41, 0x7f, 0x0b]);
            }
            ProbeBody::Raw(bytes) => code.extend(bytes),
        }
        code.push(0x0b);
        code
    }
}

/// The bytes of the data segment [`with_memory_probes`] places so that it
/// ends exactly where the initial memory ends (mixed high and low bits).
const EDGE_SEGMENT: [u8; 8] = [0x80, 0xff, 0x7f, 0x01, 0xfe, 0x00, 0x81, 0xc0];

/// The types of the probes: parameters and results.
const PROBE_TYPES: &[(&[wasm_encoder::ValType], &[wasm_encoder::ValType])] = {
    use wasm_encoder::ValType::{I32, I64, V128};
    &[
        (&[I32, I32], &[I32]),
        (&[I32, I64], &[I64]),
        (&[I32, I32, I32], &[]),
        (&[I32], &[I32]),
        (&[I32, I64], &[V128]),
        (&[I64], &[I32]),
        (&[I64, I32], &[I32]),
        // The probe tags' type.
        (&[I32], &[]),
    ]
};

/// The index in [`PROBE_TYPES`] of the two probe tags' type.
const PROBE_TAG_TYPE: u32 = 7;

/// `bytes` (a module without imports) with probe functions added and
/// exported: a tail call whose two `i32` arguments must arrive in order,
/// and exceptions of two added tags of one type, each caught only by its
/// own tag (`CODE_PROBES`); with a memory, also stores then loads of every
/// narrow width and signedness, `memory.fill`, `memory.copy` and
/// `memory.grow`, each on its arguments, and SIMD loads into a lane of
/// every width (`PROBES`; for a 64-bit memory 0, `PROBES64`: a store and
/// load in the first page and a load at an address of 2^32 or more), and
/// an active data segment that ends exactly at the end of the initial
/// memory (instantiation must accept it). wasm-smith emits these rarely (a
/// random stack seldom holds the three `i32`s `memory.fill` takes, its
/// loads mostly read zeroed memory, and its tags seldom share a type with
/// a `catch` around their `throw`), so without them a wrong sign
/// extension, bounds check or tag comparison in the runtime could hide for
/// thousands of modules. A module without functions is returned as it is.
pub fn with_memory_probes(bytes: &[u8]) -> Result<Vec<u8>> {
    use wasm_encoder::reencode::{Error, Reencode, utils};

    struct Probes {
        /// Types and functions the module has (it imports nothing).
        types: u32,
        funcs: u32,
        /// The first memory's initial size in pages, and whether its
        /// addresses are 64-bit; `None` without a memory.
        memory: Option<(u64, bool)>,
        /// The probes added: [`PROBES`] (or [`PROBES64`] for a 64-bit
        /// memory 0) with a memory, then [`CODE_PROBES`].
        probes: Vec<&'static (&'static str, u32, ProbeBody)>,
        /// Whether the edge data segment is in yet.
        segment_added: bool,
        /// The tags the module defines; the two probe tags follow.
        tags: u32,
        /// Whether the probe tags are in yet.
        tags_added: bool,
    }

    impl Probes {
        /// The edge segment: its last byte is the last byte of the
        /// initial memory (an empty segment at offset 0 for a memory of 0
        /// pages).
        fn add_segment(&mut self, data: &mut wasm_encoder::DataSection) {
            let Some((pages, memory64)) = self.memory else { return };
            let bytes: &[u8] = if pages == 0 { &[] } else { &EDGE_SEGMENT };
            let offset = pages * 65536 - bytes.len() as u64;
            let offset = if memory64 {
                wasm_encoder::ConstExpr::i64_const(offset as i64)
            } else {
                wasm_encoder::ConstExpr::i32_const(offset as i32)
            };
            data.active(0, &offset, bytes.iter().copied());
            self.segment_added = true;
        }

        /// The two probe tags, of one type.
        fn add_tags(&mut self, tags: &mut wasm_encoder::TagSection) {
            for _ in 0..2 {
                tags.tag(wasm_encoder::TagType {
                    kind: wasm_encoder::TagKind::Exception,
                    func_type_idx: self.types + PROBE_TAG_TYPE,
                });
            }
            self.tags_added = true;
        }
    }

    impl Reencode for Probes {
        type Error = std::convert::Infallible;

        fn parse_type_section(
            &mut self,
            types: &mut wasm_encoder::TypeSection,
            section: wasmparser::TypeSectionReader<'_>,
        ) -> std::result::Result<(), Error<Self::Error>> {
            utils::parse_type_section(self, types, section)?;
            for (params, results) in PROBE_TYPES {
                types.ty().function(params.iter().copied(), results.iter().copied());
            }
            Ok(())
        }

        fn parse_function_section(
            &mut self,
            functions: &mut wasm_encoder::FunctionSection,
            section: wasmparser::FunctionSectionReader<'_>,
        ) -> std::result::Result<(), Error<Self::Error>> {
            utils::parse_function_section(self, functions, section)?;
            for (_, ty, _) in &self.probes {
                functions.function(self.types + ty);
            }
            Ok(())
        }

        fn parse_export_section(
            &mut self,
            exports: &mut wasm_encoder::ExportSection,
            section: wasmparser::ExportSectionReader<'_>,
        ) -> std::result::Result<(), Error<Self::Error>> {
            utils::parse_export_section(self, exports, section)?;
            for (i, (name, _, _)) in self.probes.iter().enumerate() {
                exports.export(name, wasm_encoder::ExportKind::Func, self.funcs + i as u32);
            }
            Ok(())
        }

        fn parse_tag_section(
            &mut self,
            tags: &mut wasm_encoder::TagSection,
            section: wasmparser::TagSectionReader<'_>,
        ) -> std::result::Result<(), Error<Self::Error>> {
            utils::parse_tag_section(self, tags, section)?;
            self.add_tags(tags);
            Ok(())
        }

        fn data_count(&mut self, count: u32) -> std::result::Result<u32, Error<Self::Error>> {
            Ok(count + u32::from(self.memory.is_some()))
        }

        fn parse_data_section(
            &mut self,
            data: &mut wasm_encoder::DataSection,
            section: wasmparser::DataSectionReader<'_>,
        ) -> std::result::Result<(), Error<Self::Error>> {
            utils::parse_data_section(self, data, section)?;
            self.add_segment(data);
            Ok(())
        }

        fn intersperse_section_hook(
            &mut self,
            module: &mut wasm_encoder::Module,
            _after: Option<wasm_encoder::SectionId>,
            before: Option<wasm_encoder::SectionId>,
        ) -> std::result::Result<(), Error<Self::Error>> {
            // No tag section came before the globals: add one there.
            use wasm_encoder::SectionId as S;
            let tags_go_before = |id: S| {
                !matches!(id, S::Custom | S::Type | S::Import | S::Function | S::Table | S::Memory | S::Tag)
            };
            if !self.tags_added && before.is_none_or(tags_go_before) {
                let mut tags = wasm_encoder::TagSection::new();
                self.add_tags(&mut tags);
                module.section(&tags);
            }
            // No data section came: add one at the end.
            if before.is_none() && !self.segment_added && self.memory.is_some() {
                let mut data = wasm_encoder::DataSection::new();
                self.add_segment(&mut data);
                module.section(&data);
            }
            Ok(())
        }

        fn parse_code_section(
            &mut self,
            code: &mut wasm_encoder::CodeSection,
            section: wasmparser::CodeSectionReader<'_>,
        ) -> std::result::Result<(), Error<Self::Error>> {
            utils::parse_code_section(self, code, section)?;
            for (i, (_, _, body)) in self.probes.iter().enumerate() {
                let mut f = wasm_encoder::Function::new([]);
                f.raw(body.encode(self.funcs + i as u32, self.tags));
                code.function(&f);
            }
            Ok(())
        }
    }

    let (mut types, mut funcs, mut memory, mut exports, mut tags) = (None, None, None, false, 0);
    for payload in wasmparser::Parser::new(0).parse_all(bytes) {
        match payload.map_err(|_| arbitrary::Error::IncorrectFormat)? {
            wasmparser::Payload::TypeSection(s) => types = Some(s.count()),
            wasmparser::Payload::FunctionSection(s) => funcs = Some(s.count()),
            wasmparser::Payload::MemorySection(s) => {
                memory = s.into_iter().next().transpose().map_err(|_| arbitrary::Error::IncorrectFormat)?
            }
            wasmparser::Payload::ExportSection(_) => exports = true,
            wasmparser::Payload::TagSection(s) => tags = s.count(),
            wasmparser::Payload::ImportSection(s) if s.count() > 0 => return Ok(bytes.to_vec()),
            _ => {}
        }
    }
    let (Some(types), Some(funcs), true) = (types, funcs, exports) else {
        return Ok(bytes.to_vec());
    };
    let mut out = wasm_encoder::Module::new();
    let memory_probes = match &memory {
        Some(m) if m.memory64 => PROBES64,
        Some(_) => PROBES,
        None => &[],
    };
    Probes {
        types,
        funcs,
        memory: memory.map(|m| (m.initial, m.memory64)),
        probes: memory_probes.iter().chain(CODE_PROBES).collect(),
        segment_added: false,
        tags,
        tags_added: false,
    }
    .parse_core_module(&mut out, wasmparser::Parser::new(0), bytes)
    .map_err(|_| arbitrary::Error::IncorrectFormat)?;
    let out = out.finish();
    // A name clash with one of the module's own exports makes it invalid.
    match wasmparser::Validator::new_with_features(crate::oracles::validate::FEATURES).validate_all(&out) {
        Ok(_) => Ok(out),
        Err(_) => Ok(bytes.to_vec()),
    }
}

/// `bytes` with an `abs` after every `f32.demote_f64` and
/// `f64.promote_f32` (and their lane-wise forms). wasm-smith canonicalises the NaNs of arithmetic, but
/// not of these two, whose NaN results may have either sign (WebAssembly
/// 2.0 §4.3.4: "a canonical NaN of either sign"); the interpreter picks
/// `+`, the hardware keeps the operand's sign, and a later
/// `reinterpret` would expose the choice. `abs` makes it deterministic.
pub fn without_nan_sign_choices(bytes: &[u8]) -> Option<Vec<u8>> {
    use wasm_encoder::reencode::{Error, Reencode};

    struct Rewriter;

    impl Reencode for Rewriter {
        type Error = std::convert::Infallible;

        fn parse_function_body(
            &mut self,
            code: &mut wasm_encoder::CodeSection,
            func: wasmparser::FunctionBody<'_>,
        ) -> std::result::Result<(), Error<Self::Error>> {
            let mut f = self.new_function_with_parsed_locals(&func)?;
            let mut reader = func.get_operators_reader()?;
            while !reader.eof() {
                let op = reader.read()?;
                let abs = match op {
                    wasmparser::Operator::F32DemoteF64 => Some(wasm_encoder::Instruction::F32Abs),
                    wasmparser::Operator::F64PromoteF32 => Some(wasm_encoder::Instruction::F64Abs),
                    wasmparser::Operator::F32x4DemoteF64x2Zero => Some(wasm_encoder::Instruction::F32x4Abs),
                    wasmparser::Operator::F64x2PromoteLowF32x4 => Some(wasm_encoder::Instruction::F64x2Abs),
                    _ => None,
                };
                f.instruction(&self.instruction(op)?);
                if let Some(abs) = abs {
                    f.instruction(&abs);
                }
            }
            code.function(&f);
            Ok(())
        }
    }

    let mut out = wasm_encoder::Module::new();
    Rewriter.parse_core_module(&mut out, wasmparser::Parser::new(0), bytes).ok()?;
    Some(out.finish())
}

/// An argument of type `ty`. Floats are arbitrary bit patterns (NaNs with
/// payloads included); function references are null, since the host has
/// none of the module's functions to pass before calling it.
pub fn value(u: &mut Unstructured<'_>, ty: ValType) -> Result<Value> {
    Ok(match ty {
        ValType::I32 => Value::I32(interesting(u, 32)? as u32 as i32),
        ValType::I64 => Value::I64(interesting(u, 64)? as i64),
        ValType::F32 => Value::F32(interesting_float(u, FloatWidth::F32)? as u32),
        ValType::F64 => Value::F64(interesting_float(u, FloatWidth::F64)?),
        ValType::V128 => Value::V128(u128::arbitrary(u)?),
        ValType::FuncRef => Value::FuncRef(None),
        ValType::ExternRef => Value::ExternRef(Option::<u32>::arbitrary(u)?),
    })
}

/// Arguments for parameters `params`.
pub fn values(u: &mut Unstructured<'_>, params: &[ValType]) -> Result<Vec<Value>> {
    params.iter().map(|&t| value(u, t)).collect()
}

/// An integer of `bits` bits, often one at an edge (0, ±1, the extremes,
/// shift counts near the width).
fn interesting(u: &mut Unstructured<'_>, bits: u32) -> Result<u64> {
    let mask = if bits == 64 { u64::MAX } else { (1u64 << bits) - 1 };
    let sign = 1u64 << (bits - 1);
    Ok(match u.int_in_range(0..=7u8)? {
        0 => *u.choose(&[0, 1, 2, mask, mask - 1, sign, sign - 1, sign + 1])? & mask,
        1 => u64::from(u.int_in_range(0..=2 * bits)?),
        _ => u64::arbitrary(u)? & mask,
    })
}

/// A float width.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FloatWidth {
    /// `f32`.
    F32,
    /// `f64`.
    F64,
}

/// A float's bits, often one at an edge (±0, ±inf, NaNs canonical and not,
/// subnormals, integers and halves, conversion bounds).
pub fn interesting_float(u: &mut Unstructured<'_>, width: FloatWidth) -> Result<u64> {
    let pick = u.int_in_range(0..=7u8)?;
    Ok(match (width, pick) {
        (FloatWidth::F32, 0) => u64::from(*u.choose(&[
            0u32,
            0x8000_0000,
            0x3f80_0000,
            0xbf80_0000,
            0x7f80_0000,
            0xff80_0000,
            0x7fc0_0000,
            0xffc0_0000,
            0x7fa0_0001,
            0xffc0_0123,
            0x7f80_0001,
            1,
            0x8000_0001,
            0x007f_ffff,
            0x7f7f_ffff,
            0x3f00_0000,
            0xbfc0_0000,
            0x4f00_0000,
            0xcf00_0000,
            0x4eff_ffff,
            0x4f80_0000,
            0x5f00_0000,
            0xdf00_0000,
            0x5f80_0000,
        ])?),
        (FloatWidth::F64, 0) => *u.choose(&[
            0u64,
            0x8000_0000_0000_0000,
            0x3ff0_0000_0000_0000,
            0xbff0_0000_0000_0000,
            0x7ff0_0000_0000_0000,
            0xfff0_0000_0000_0000,
            0x7ff8_0000_0000_0000,
            0xfff8_0000_0000_0000,
            0x7ff4_0000_0000_0001,
            0x7ff0_0000_0000_0001,
            1,
            0x000f_ffff_ffff_ffff,
            0x7fef_ffff_ffff_ffff,
            0x3fe0_0000_0000_0000,
            0xbff8_0000_0000_0000,
            0x41e0_0000_0000_0000,
            0xc1e0_0000_0020_0000,
            0x41f0_0000_0000_0000,
            0x43e0_0000_0000_0000,
            0xc3e0_0000_0000_0000,
            0x43f0_0000_0000_0000,
            0x47ef_ffff_e000_0000,
        ])?,
        // Small integers and halves, where rounding lives.
        (FloatWidth::F32, 1) => u64::from((f32::from(i16::arbitrary(u)?) / 2.0).to_bits()),
        (FloatWidth::F64, 1) => (f64::from(i32::arbitrary(u)?) / 2.0).to_bits(),
        (FloatWidth::F32, _) => u64::from(u32::arbitrary(u)?),
        (FloatWidth::F64, _) => u64::arbitrary(u)?,
    })
}

/// Bits of a value of rule-language type `ty`, edge-biased. A vector is
/// built from lanes of one width drawn from the input (8, 16, 32 or 64
/// bits, the lane type's own width for a typed vector), each an edge or
/// random: integer edges, or float edges for 32- and 64-bit lanes.
pub fn bits(u: &mut Unstructured<'_>, ty: Type) -> Result<u128> {
    let scalar = match ty {
        Type::F32 => interesting_float(u, FloatWidth::F32)?,
        Type::F64 => interesting_float(u, FloatWidth::F64)?,
        Type::I8 => interesting(u, 8)?,
        Type::I16 => interesting(u, 16)?,
        Type::I32 => interesting(u, 32)?,
        Type::I64 => interesting(u, 64)?,
        Type::V128 | Type::I8X16 | Type::I16X8 | Type::I32X4 | Type::I64X2 | Type::F32X4 | Type::F64X2 => {
            return vector(u, ty);
        }
    };
    Ok(u128::from(scalar))
}

/// A vector of type `ty` for [`bits`].
fn vector(u: &mut Unstructured<'_>, ty: Type) -> Result<u128> {
    let lane_bits = match ty {
        Type::V128 => *u.choose(&[8, 16, 32, 64])?,
        _ => 128 / ty.lane_count(),
    };
    // Whole vectors of one pattern are common edges too (splats, all ones).
    if u.ratio(1, 8)? {
        return Ok(*u.choose(&[0, u128::MAX, 1, u128::MAX >> 1, 1 << 127])?);
    }
    let mut v = 0u128;
    for i in 0..128 / lane_bits {
        let lane = match lane_bits {
            32 if u.ratio(1, 2)? => interesting_float(u, FloatWidth::F32)?,
            64 if u.ratio(1, 2)? => interesting_float(u, FloatWidth::F64)?,
            _ => interesting(u, lane_bits)?,
        };
        v |= u128::from(lane) << (i * lane_bits);
    }
    Ok(v)
}

/// Operands for `op`, as the `op_specs` target draws them: each an
/// edge-biased value of its type ([`bits`]), or its [`immediate`].
pub fn operands(u: &mut Unstructured<'_>, op: Operator) -> Result<Vec<u128>> {
    let types = crate::oracles::op_specs::operand_types(op);
    let operand = |(i, &t): (usize, &Type), u: &mut Unstructured<'_>| match op.immediate(i) {
        Some(imm) => immediate(u, imm),
        None => bits(u, t),
    };
    types.iter().enumerate().map(|a| operand(a, u)).collect()
}

/// The bits of an immediate operand: a lane index in range, or a shuffle
/// pattern of byte indices below 32 (often the identity or a reversal of
/// one operand, or one operand's lanes interleaved with the other's).
pub fn immediate(u: &mut Unstructured<'_>, immediate: Immediate) -> Result<u128> {
    Ok(match immediate {
        Immediate::Lane(lanes) => u128::from(u.int_in_range(0..=lanes.saturating_sub(1))?),
        Immediate::Shuffle => {
            let pattern: [u8; 16] = match u.int_in_range(0..=3u8)? {
                0 => std::array::from_fn(|i| i as u8),
                1 => std::array::from_fn(|i| 31 - i as u8),
                2 => std::array::from_fn(|i| (i as u8 % 2) * 16 + i as u8 / 2),
                _ => {
                    let mut p = [0u8; 16];
                    for b in &mut p {
                        *b = u.int_in_range(0..=31)?;
                    }
                    p
                }
            };
            u128::from_le_bytes(pattern)
        }
    })
}

/// A term of the rule language built from Wasm operators over block
/// inputs (`Arg`) and constants, of at most `depth` levels, with the
/// values of its inputs. Only operators whose operands and result have
/// Wasm value types (`v128` included) are used: that is what the
/// translator hands the mid-end. The immediates of SIMD instructions (a
/// lane index, an `i8` operand; a shuffle pattern) are constants, as the
/// translator makes them.
pub fn term(u: &mut Unstructured<'_>, rules: &RuleSet, depth: u32) -> Result<(RecExpr<Node>, Vec<u128>)> {
    let wasm = |t: Type| matches!(t, Type::I32 | Type::I64 | Type::F32 | Type::F64 | Type::V128);
    let ops: Vec<usize> = rules
        .ops()
        .iter()
        .enumerate()
        .filter(|(_, o)| {
            o.kind == OpKind::Wasm && wasm(o.result) && o.operands.iter().all(|&t| wasm(t) || t == Type::I8)
        })
        .map(|(i, _)| i)
        .collect();
    let root_ty = *u.choose(&[Type::I32, Type::I64, Type::F32, Type::F64, Type::V128])?;
    let mut terms = TermGen { u, rules, ops, expr: RecExpr::default(), args: Vec::new() };
    terms.node(root_ty, depth)?;
    Ok((terms.expr, terms.args.into_iter().map(|(_, bits)| bits).collect()))
}

struct TermGen<'a, 'b> {
    u: &'a mut Unstructured<'b>,
    rules: &'a RuleSet,
    /// Indexes into `rules.ops()` usable in a term.
    ops: Vec<usize>,
    expr: RecExpr<Node>,
    /// Inputs so far: type and value.
    args: Vec<(Type, u128)>,
}

impl TermGen<'_, '_> {
    fn node(&mut self, ty: Type, depth: u32) -> Result<Id> {
        let leaf = depth == 0 || self.u.ratio(1, 4)?;
        if !leaf {
            let candidates: Vec<usize> = self
                .ops
                .iter()
                .copied()
                .filter(|&i| self.rules.ops().get(i).is_some_and(|o| o.result == ty))
                .collect();
            if let Ok(&index) = self.u.choose(&candidates) {
                let Some(op) = self.rules.ops().get(index) else {
                    return Err(arbitrary::Error::IncorrectFormat);
                };
                let operands = op.operands.clone();
                let operator = Operator::by_name(&op.name);
                let id = plumb_rules::OpInstId(index as u32);
                let mut args = Vec::with_capacity(operands.len());
                for (i, &t) in operands.iter().enumerate() {
                    args.push(match operator.and_then(|o| o.immediate(i)) {
                        Some(imm) => {
                            let bits = immediate(self.u, imm)?;
                            self.expr.add(Node::Const { ty: t, bits })
                        }
                        None => self.node(t, depth - 1)?,
                    });
                }
                let node = Node::op(self.rules, id, args).ok_or(arbitrary::Error::IncorrectFormat)?;
                return Ok(self.expr.add(node));
            }
        }
        if self.u.ratio(1, 3)? {
            let bits = bits(self.u, ty)?;
            return Ok(self.expr.add(Node::Const { ty, bits: bits & ty.wide_mask() }));
        }
        // An input: reuse one of this type sometimes, so that terms like
        // `x - x` arise.
        let same: Vec<usize> = (0..self.args.len()).filter(|&i| self.args[i].0 == ty).collect();
        let index = match self.u.choose(&same) {
            Ok(&i) if self.u.ratio(1, 2)? => i,
            _ => {
                let bits = bits(self.u, ty)?;
                self.args.push((ty, bits & ty.wide_mask()));
                self.args.len() - 1
            }
        };
        Ok(self.expr.add(Node::Arg { index: index as u32, ty }))
    }
}

/// One step of an embedding-API session (`api_calls` target). Indexes
/// are taken modulo the number of things that exist when the step runs.
#[derive(Debug, Clone, Arbitrary)]
pub enum ApiOp {
    /// Drops the current store (and everything in it) and starts a new
    /// one; handles into the old store stay around, stale.
    NewStore,
    /// Instantiates one of the fixed modules in the current store.
    Instantiate {
        /// Which module.
        module: u8,
    },
    /// Calls an exported function with these raw arguments.
    Call {
        /// Which instance.
        instance: u8,
        /// Which exported function.
        func: u8,
        /// Argument bits, converted to the parameter types.
        args: Vec<u64>,
    },
    /// Grows an exported memory from the host.
    MemoryGrow {
        /// Which memory handle.
        memory: u8,
        /// By how many pages.
        delta: u8,
    },
    /// Writes bytes into a memory, then reads them back.
    MemoryWrite {
        /// Which memory handle.
        memory: u8,
        /// Where.
        offset: u32,
        /// What.
        bytes: Vec<u8>,
    },
    /// Reads a range of a memory.
    MemoryRead {
        /// Which memory handle.
        memory: u8,
        /// Where.
        offset: u32,
        /// How many bytes.
        len: u16,
    },
    /// Sets a global, then reads it back.
    GlobalSet {
        /// Which global handle.
        global: u8,
        /// Value bits.
        value: u64,
    },
    /// Grows a table from the host, with null.
    TableGrow {
        /// Which table handle.
        table: u8,
        /// By how many elements.
        delta: u8,
    },
    /// Reads and rewrites a table element.
    TableCopyElement {
        /// Which table handle.
        table: u8,
        /// From which element.
        from: u16,
        /// To which element.
        to: u16,
    },
    /// Sets the store's fuel, then reads it back.
    SetFuel {
        /// How much.
        fuel: u16,
    },
    /// Sets the store's epoch deadline this many epochs ahead.
    SetEpochDeadline {
        /// How far ahead.
        delta: u8,
    },
    /// Advances the engine's epoch.
    IncrementEpoch,
    /// Replaces the store's resource limits.
    SetLimits {
        /// Largest memory, in 64 KiB pages.
        memory_pages: u8,
        /// Largest table.
        table_elements: u8,
        /// Most instances.
        instances: u8,
    },
    /// Serializes one of the fixed modules, loads it back and instantiates
    /// the loaded one.
    Roundtrip {
        /// Which module.
        module: u8,
    },
}

/// The bits of an argument `raw` as a value of `ty`.
pub fn value_from_bits(ty: ValType, raw: u64) -> Value {
    match ty {
        ValType::I32 => Value::I32(raw as u32 as i32),
        ValType::I64 => Value::I64(raw as i64),
        ValType::F32 => Value::F32(raw as u32),
        ValType::F64 => Value::F64(raw),
        ValType::V128 => Value::V128(u128::from(raw)),
        ValType::FuncRef => Value::FuncRef(None),
        ValType::ExternRef => Value::ExternRef((raw & 1 == 1).then_some((raw >> 32) as u32)),
    }
}
