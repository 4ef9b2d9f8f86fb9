//! Typed function references for generated modules.
//!
//! wasm-smith 0.263 generates typed function references only together with
//! GC (its `Config::gc_enabled` sets both features), and Plumb implements
//! WebAssembly 3.0 without GC. So [`with_function_references`] brings them
//! into a wasm-smith module that has none: it rewrites direct calls into
//! calls through a typed reference to the same function, in one of several
//! forms (`call_ref`, `return_call_ref`, `ref.as_non_null`, `br_on_null`,
//! `br_on_non_null`, and a null reference taken the other way or called),
//! each of which computes what the direct call computes, or traps where the
//! reference is null. The random code wasm-smith wrote around the calls
//! (arguments, results, control flow) then exercises the typed forms on
//! both implementations.

use wasm_encoder::reencode::{Error, Reencode, RoundtripReencoder, utils};
use wasm_encoder::{BlockType, HeapType, Instruction, RefType, ValType};

/// How a direct call is rewritten (one is drawn per call site).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Form {
    /// Left as it is.
    Direct,
    /// `ref.func f; call_ref $t`.
    CallRef,
    /// `ref.func f; ref.as_non_null; call_ref $t`.
    AsNonNull,
    /// `block (type P -> P (ref $t)) ref.func f; br_on_non_null 0;
    /// unreachable end; call_ref $t`: the branch is always taken.
    BrOnNonNull,
    /// `block (type $t) block (type P -> P) REF; br_on_null 0; call_ref $t;
    /// br 1 end; call f end` with REF `ref.func f` (`null` false: the call
    /// goes through the reference) or `ref.null $t` (`null` true: the
    /// branch is taken and the function called directly).
    BrOnNull { null: bool },
    /// `ref.null $t; call_ref $t`: traps with a null function reference.
    NullCall,
}

impl Form {
    /// The form for a call site, from one drawn byte: mostly a typed call,
    /// sometimes the call as it was, rarely a trap.
    fn draw(byte: u8) -> Form {
        match byte {
            0..=39 => Form::Direct,
            40..=89 => Form::CallRef,
            90..=129 => Form::AsNonNull,
            130..=169 => Form::BrOnNonNull,
            170..=209 => Form::BrOnNull { null: false },
            210..=249 => Form::BrOnNull { null: true },
            _ => Form::NullCall,
        }
    }
}

/// A small deterministic generator of the per-site choices (splitmix64),
/// seeded from the module's bytes, so that the rewrite takes nothing from
/// the fuzzer's input and every existing input still generates the module
/// it generated before, rewritten.
struct Choices(u64);

impl Choices {
    fn seeded(bytes: &[u8]) -> Choices {
        // FNV-1a over the module.
        let seed = bytes
            .iter()
            .fold(0xcbf2_9ce4_8422_2325u64, |h, &b| (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3));
        Choices(seed)
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

/// Whether [`with_function_references`] rewrites a module: one in two,
/// decided by the module's bytes.
pub fn chosen(bytes: &[u8]) -> bool {
    Choices::seeded(bytes).next() & 1 == 0
}

/// `bytes` (a valid module whose types are all function types, as
/// wasm-smith makes them without GC) with its direct calls rewritten into
/// typed-reference forms (see `Form`). Two block types are added per type
/// `$t` of the module (`P -> P` and `P -> P (ref $t)`, `P` its
/// parameters), and a declarative element segment makes every function
/// referable by `ref.func`. `None` if the module does not parse, has a
/// type that is not a function type, or the result does not validate
/// (which would be a bug here: the tests check that it does not happen).
pub fn with_function_references(bytes: &[u8]) -> Option<Vec<u8>> {
    let mut types: Vec<(Vec<ValType>, Vec<ValType>)> = Vec::new();
    let mut func_types: Vec<u32> = Vec::new();
    let mut has_elements = false;
    let mut calls = false;
    for payload in wasmparser::Parser::new(0).parse_all(bytes) {
        match payload.ok()? {
            wasmparser::Payload::TypeSection(section) => {
                for ty in section.into_iter_err_on_gc_types() {
                    let ty = ty.ok()?;
                    let convert = |ts: &[wasmparser::ValType]| -> Option<Vec<ValType>> {
                        ts.iter().map(|&t| RoundtripReencoder.val_type(t).ok()).collect()
                    };
                    types.push((convert(ty.params())?, convert(ty.results())?));
                }
            }
            wasmparser::Payload::ImportSection(section) => {
                for import in section.into_imports() {
                    if let wasmparser::TypeRef::Func(t) = import.ok()?.ty {
                        func_types.push(t);
                    }
                }
            }
            wasmparser::Payload::FunctionSection(section) => {
                for t in section {
                    func_types.push(t.ok()?);
                }
            }
            wasmparser::Payload::ElementSection(_) => has_elements = true,
            wasmparser::Payload::CodeSectionEntry(body) => {
                let mut reader = body.get_operators_reader().ok()?;
                while !reader.eof() {
                    if let wasmparser::Operator::Call { .. } | wasmparser::Operator::ReturnCall { .. } =
                        reader.read().ok()?
                    {
                        calls = true;
                    }
                }
            }
            _ => {}
        }
    }
    if !calls {
        return None;
    }
    let mut rewriter =
        Rewriter { choices: Choices::seeded(bytes), types, func_types, elements_added: has_elements };
    let mut out = wasm_encoder::Module::new();
    rewriter.parse_core_module(&mut out, wasmparser::Parser::new(0), bytes).ok()?;
    let out = out.finish();
    let features = crate::oracles::validate::FEATURES.union(wasmparser::WasmFeatures::FUNCTION_REFERENCES);
    wasmparser::Validator::new_with_features(features).validate_all(&out).ok()?;
    Some(out)
}

struct Rewriter {
    choices: Choices,
    /// The module's types: parameters and results.
    types: Vec<(Vec<ValType>, Vec<ValType>)>,
    /// The type of every function, imports first.
    func_types: Vec<u32>,
    /// Whether the declarative segment is in (or needs no section of its
    /// own: the module has an element section, which gets it).
    elements_added: bool,
}

impl Rewriter {
    /// The added block type `P -> P` of type `t`.
    fn identity_type(&self, t: u32) -> u32 {
        self.types.len() as u32 + 2 * t
    }

    /// The added block type `P -> P (ref $t)` of type `t`.
    fn with_ref_type(&self, t: u32) -> u32 {
        self.types.len() as u32 + 2 * t + 1
    }

    fn add_declared_segment(&mut self, elements: &mut wasm_encoder::ElementSection) {
        let all: Vec<u32> = (0..self.func_types.len() as u32).collect();
        elements.declared(wasm_encoder::Elements::Functions(all.into()));
        self.elements_added = true;
    }

    /// The instructions of a call of function `f` in form `form`.
    fn call(&self, f: u32, form: Form, out: &mut wasm_encoder::Function) {
        let Some(&t) = self.func_types.get(f as usize) else {
            out.instruction(&Instruction::Call(f));
            return;
        };
        let typed_null = Instruction::RefNull(HeapType::Concrete(t));
        match form {
            Form::Direct => {
                out.instruction(&Instruction::Call(f));
            }
            Form::CallRef => {
                out.instruction(&Instruction::RefFunc(f)).instruction(&Instruction::CallRef(t));
            }
            Form::AsNonNull => {
                out.instruction(&Instruction::RefFunc(f))
                    .instruction(&Instruction::RefAsNonNull)
                    .instruction(&Instruction::CallRef(t));
            }
            Form::BrOnNonNull => {
                out.instruction(&Instruction::Block(BlockType::FunctionType(self.with_ref_type(t))))
                    .instruction(&Instruction::RefFunc(f))
                    .instruction(&Instruction::BrOnNonNull(0))
                    .instruction(&Instruction::Unreachable)
                    .instruction(&Instruction::End)
                    .instruction(&Instruction::CallRef(t));
            }
            Form::BrOnNull { null } => {
                out.instruction(&Instruction::Block(BlockType::FunctionType(t)))
                    .instruction(&Instruction::Block(BlockType::FunctionType(self.identity_type(t))));
                if null {
                    out.instruction(&typed_null);
                } else {
                    out.instruction(&Instruction::RefFunc(f));
                }
                out.instruction(&Instruction::BrOnNull(0))
                    .instruction(&Instruction::CallRef(t))
                    .instruction(&Instruction::Br(1))
                    .instruction(&Instruction::End)
                    .instruction(&Instruction::Call(f))
                    .instruction(&Instruction::End);
            }
            Form::NullCall => {
                out.instruction(&typed_null).instruction(&Instruction::CallRef(t));
            }
        }
    }
}

impl Reencode for Rewriter {
    type Error = std::convert::Infallible;

    fn parse_type_section(
        &mut self,
        types: &mut wasm_encoder::TypeSection,
        section: wasmparser::TypeSectionReader<'_>,
    ) -> Result<(), Error<Self::Error>> {
        utils::parse_type_section(self, types, section)?;
        for (t, (params, _)) in self.types.iter().enumerate() {
            let typed = ValType::Ref(RefType { nullable: false, heap_type: HeapType::Concrete(t as u32) });
            types.ty().function(params.iter().copied(), params.iter().copied());
            let with_ref: Vec<ValType> = params.iter().copied().chain([typed]).collect();
            types.ty().function(params.iter().copied(), with_ref);
        }
        Ok(())
    }

    fn parse_element_section(
        &mut self,
        elements: &mut wasm_encoder::ElementSection,
        section: wasmparser::ElementSectionReader<'_>,
    ) -> Result<(), Error<Self::Error>> {
        utils::parse_element_section(self, elements, section)?;
        self.add_declared_segment(elements);
        Ok(())
    }

    fn intersperse_section_hook(
        &mut self,
        module: &mut wasm_encoder::Module,
        _after: Option<wasm_encoder::SectionId>,
        before: Option<wasm_encoder::SectionId>,
    ) -> Result<(), Error<Self::Error>> {
        // No element section came before the data count, code or data
        // section: add one there.
        use wasm_encoder::SectionId as S;
        let elements_go_before = |id: S| matches!(id, S::DataCount | S::Code | S::Data);
        if !self.elements_added && before.is_none_or(elements_go_before) {
            let mut elements = wasm_encoder::ElementSection::new();
            self.add_declared_segment(&mut elements);
            module.section(&elements);
        }
        Ok(())
    }

    fn parse_function_body(
        &mut self,
        code: &mut wasm_encoder::CodeSection,
        func: wasmparser::FunctionBody<'_>,
    ) -> Result<(), Error<Self::Error>> {
        let mut f = self.new_function_with_parsed_locals(&func)?;
        let mut reader = func.get_operators_reader()?;
        while !reader.eof() {
            match reader.read()? {
                wasmparser::Operator::Call { function_index } => {
                    let form = Form::draw(self.choices.next() as u8);
                    self.call(function_index, form, &mut f);
                }
                wasmparser::Operator::ReturnCall { function_index } if self.choices.next() & 1 == 0 => {
                    match self.func_types.get(function_index as usize) {
                        Some(&t) => {
                            f.instruction(&Instruction::RefFunc(function_index))
                                .instruction(&Instruction::ReturnCallRef(t));
                        }
                        None => {
                            f.instruction(&Instruction::ReturnCall(function_index));
                        }
                    }
                }
                op => {
                    f.instruction(&self.instruction(op)?);
                }
            }
        }
        code.function(&f);
        Ok(())
    }
}
