//! A runner for WebAssembly spec test scripts (`.wast`, spec §A "Script"
//! format of the reference interpreter), generic over a [`Backend`] so the
//! reference interpreter and the JIT engine are judged by the same code.
//!
//! Every directive counts as one assertion: `module` asserts that the module
//! compiles and instantiates, `module definition` that it compiles (it is
//! instantiated later by `module instance`, if at all), `register` that the
//! instance exists, `invoke` that the call returns without trapping, and
//! each `assert_*` what it says.

use std::fmt;
use std::path::Path;

use wast::core::{AbstractHeapType, HeapType, NanPattern, V128Pattern, WastArgCore, WastRetCore};
use wast::lexer::Lexer;
use wast::parser::{self, ParseBuffer};
use wast::token::{F32, F64};
use wast::{QuoteWat, Wast, WastArg, WastDirective, WastExecute, WastInvoke, WastRet};

use crate::interp::numerics::{
    f32_is_arithmetic_nan, f32_is_canonical_nan, f64_is_arithmetic_nan, f64_is_canonical_nan,
};
use crate::interp::simd;
use crate::trap::{Trap, TrapCode};
use crate::values::{ValType, Value};

mod interp_backend;
pub use interp_backend::InterpBackend;

/// Why a backend could not instantiate a module.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InstantiateError {
    /// Imports missing or of the wrong type (`assert_unlinkable`).
    Unlinkable(String),
    /// Initialisation trapped (`assert_trap` on a module).
    Trap(Trap),
}

impl fmt::Display for InstantiateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InstantiateError::Unlinkable(why) => write!(f, "unlinkable: {why}"),
            InstantiateError::Trap(trap) => write!(f, "trapped: {trap}"),
        }
    }
}

/// An engine the runner can drive. Values cross the boundary as [`Value`]s;
/// a `FuncRef` payload is an identity only the backend interprets.
pub trait Backend {
    /// A compiled module.
    type Module;
    /// An instantiated module.
    type Instance: Clone;

    /// Decodes and validates a binary module; the error says what is wrong
    /// and at which byte offset.
    fn compile(&mut self, bytes: &[u8]) -> Result<Self::Module, String>;

    /// Instantiates `module`, resolving its imports from the instances
    /// registered so far.
    fn instantiate(&mut self, module: &Self::Module) -> Result<Self::Instance, InstantiateError>;

    /// Makes `instance`'s exports importable under the module name `name`.
    fn register(&mut self, name: &str, instance: &Self::Instance);

    /// Creates the `spectest` host module the spec scripts import from.
    fn spectest(&mut self) -> Result<Self::Instance, String>;

    /// Calls the exported function `name`. The outer error is a harness
    /// problem (no such export, wrong arguments); the inner one a trap.
    fn invoke(
        &mut self,
        instance: &Self::Instance,
        name: &str,
        args: &[Value],
    ) -> Result<Result<Vec<Value>, Trap>, String>;

    /// Reads the exported global `name`.
    fn get(&mut self, instance: &Self::Instance, name: &str) -> Result<Value, String>;
}

/// The `spectest` host module the spec scripts import from: its print
/// functions (which do nothing) with their parameter types.
pub const SPECTEST_PRINTS: [(&str, &[ValType]); 7] = [
    ("print", &[]),
    ("print_i32", &[ValType::I32]),
    ("print_i64", &[ValType::I64]),
    ("print_f32", &[ValType::F32]),
    ("print_f64", &[ValType::F64]),
    ("print_i32_f32", &[ValType::I32, ValType::F32]),
    ("print_f64_f64", &[ValType::F64, ValType::F64]),
];

/// The `spectest` module's immutable globals.
pub const SPECTEST_GLOBALS: [(&str, Value); 4] = [
    ("global_i32", Value::I32(666)),
    ("global_i64", Value::I64(666)),
    ("global_f32", Value::F32(0x4426_a666)),           // 666.6
    ("global_f64", Value::F64(0x4084_d4cc_cccc_cccd)), // 666.6
];

/// The `spectest` module's `table` (funcref) and `memory` limits: (min, max).
pub const SPECTEST_TABLE: (u64, u64) = (10, 20);
/// See [`SPECTEST_TABLE`]; in pages.
pub const SPECTEST_MEMORY: (u64, u64) = (1, 2);

/// The `spectest` module's `table64`: a funcref table with 64-bit indices
/// (table64, WebAssembly 3.0), limits (min, max) in elements.
pub const SPECTEST_TABLE64: (u64, u64) = (10, 20);

/// One failed assertion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// Line in the script, from 1.
    pub line: usize,
    /// Column in the script, from 1.
    pub col: usize,
    /// What went wrong.
    pub message: String,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.line, self.col, self.message)
    }
}

/// The outcome of one script.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// Assertions that held.
    pub passed: usize,
    /// Assertions that did not.
    pub failures: Vec<Failure>,
}

impl Report {
    /// All assertions run.
    pub fn total(&self) -> usize {
        self.passed + self.failures.len()
    }
}

/// Runs the script at `path` on a fresh backend.
pub fn run_file<B: Backend>(path: &Path, backend: B) -> Report {
    match std::fs::read(path) {
        Ok(bytes) => match String::from_utf8(bytes) {
            Ok(text) => run_script(&text, backend),
            Err(e) => single_failure(format!("script is not UTF-8: {e}")),
        },
        Err(e) => single_failure(format!("cannot read {}: {e}", path.display())),
    }
}

/// A parse buffer for a script. The spec's `names.wast` deliberately uses
/// bidirectional-override and other confusable characters in names, which
/// the text lexer refuses by default.
fn buffer(text: &str) -> Result<ParseBuffer<'_>, wast::Error> {
    let mut lexer = Lexer::new(text);
    lexer.allow_confusing_unicode(true);
    ParseBuffer::new_with_lexer(lexer)
}

fn single_failure(message: String) -> Report {
    Report { passed: 0, failures: vec![Failure { line: 0, col: 0, message }] }
}

/// Runs the script `text` on `backend`.
pub fn run_script<B: Backend>(text: &str, backend: B) -> Report {
    let buf = match buffer(text) {
        Ok(buf) => buf,
        Err(e) => return single_failure(format!("script does not lex: {e}")),
    };
    let script = match parser::parse::<Wast<'_>>(&buf) {
        Ok(script) => script,
        Err(mut e) => {
            e.set_text(text);
            return single_failure(format!("script does not parse: {e}"));
        }
    };
    let mut runner = Runner {
        backend,
        text,
        current: None,
        named: Vec::new(),
        definitions: Vec::new(),
        report: Report::default(),
    };
    if let Err(e) = runner.backend.spectest().map(|s| runner.backend.register("spectest", &s)) {
        return single_failure(format!("cannot create the spectest module: {e}"));
    }
    for directive in script.directives {
        let span = directive.span();
        match runner.directive(directive) {
            Ok(()) => runner.report.passed += 1,
            Err(message) => {
                let (line, col) = span.linecol_in(text);
                runner.report.failures.push(Failure { line: line + 1, col: col + 1, message });
            }
        }
    }
    runner.report
}

struct Runner<'t, B: Backend> {
    backend: B,
    text: &'t str,
    /// The most recently defined instance.
    current: Option<B::Instance>,
    /// Instances by their `$name`.
    named: Vec<(String, B::Instance)>,
    /// Compiled `module definition`s, by their `$name` if they have one.
    definitions: Vec<(Option<String>, B::Module)>,
    report: Report,
}

impl<B: Backend> Runner<'_, B> {
    fn instance(&self, name: Option<wast::token::Id<'_>>) -> Result<B::Instance, String> {
        match name {
            None => self.current.clone().ok_or_else(|| "no module instantiated yet".to_string()),
            Some(id) => self
                .named
                .iter()
                .rev()
                .find(|(n, _)| n == id.name())
                .map(|(_, i)| i.clone())
                .ok_or_else(|| format!("unknown module ${}", id.name())),
        }
    }

    /// Encodes a module of the script; an error means it is malformed text.
    fn encode(&self, module: &mut QuoteWat<'_>) -> Result<Vec<u8>, String> {
        module.encode().map_err(|mut e| {
            e.set_text(self.text);
            e.to_string()
        })
    }

    fn define(&mut self, mut module: QuoteWat<'_>) -> Result<(), String> {
        let name = module.name().map(|id| id.name().to_string());
        let bytes = self.encode(&mut module)?;
        let compiled = self.backend.compile(&bytes)?;
        let instance = self.backend.instantiate(&compiled).map_err(|e| e.to_string())?;
        if let Some(name) = name {
            self.named.push((name, instance.clone()));
        }
        self.current = Some(instance);
        Ok(())
    }

    /// `module definition`: compiles the module and keeps it for a later
    /// `module instance`.
    fn define_only(&mut self, mut module: QuoteWat<'_>) -> Result<(), String> {
        let name = module.name().map(|id| id.name().to_string());
        let bytes = self.encode(&mut module)?;
        let compiled = self.backend.compile(&bytes)?;
        self.definitions.push((name, compiled));
        Ok(())
    }

    /// `module instance $i $m`: instantiates the definition `$m` (the most
    /// recent one when unnamed) as the instance `$i`.
    fn instantiate_definition(
        &mut self,
        instance: Option<wast::token::Id<'_>>,
        module: Option<wast::token::Id<'_>>,
    ) -> Result<(), String> {
        let definition = match module {
            None => self.definitions.last(),
            Some(id) => self.definitions.iter().rev().find(|(n, _)| n.as_deref() == Some(id.name())),
        };
        let (_, compiled) = definition.ok_or_else(|| match module {
            None => "no module definition yet".to_string(),
            Some(id) => format!("unknown module definition ${}", id.name()),
        })?;
        let created = self.backend.instantiate(compiled).map_err(|e| e.to_string())?;
        if let Some(id) = instance {
            self.named.push((id.name().to_string(), created.clone()));
        }
        self.current = Some(created);
        Ok(())
    }

    fn invoke(&mut self, invoke: &WastInvoke<'_>) -> Result<Result<Vec<Value>, Trap>, String> {
        let instance = self.instance(invoke.module)?;
        let args = invoke.args.iter().map(arg).collect::<Result<Vec<_>, _>>()?;
        self.backend.invoke(&instance, invoke.name, &args)
    }

    /// Runs an `assert_return`/`assert_trap` action: an invocation, a global
    /// read, or (for `assert_trap`) a module to instantiate.
    fn execute(&mut self, exec: WastExecute<'_>) -> Result<Result<Vec<Value>, Trap>, String> {
        match exec {
            WastExecute::Invoke(invoke) => self.invoke(&invoke),
            WastExecute::Get { module, global, .. } => {
                let instance = self.instance(module)?;
                Ok(Ok(vec![self.backend.get(&instance, global)?]))
            }
            WastExecute::Wat(mut wat) => {
                let bytes = wat.encode().map_err(|e| e.to_string())?;
                let compiled = self.backend.compile(&bytes)?;
                match self.backend.instantiate(&compiled) {
                    Ok(instance) => {
                        self.current = Some(instance);
                        Ok(Ok(Vec::new()))
                    }
                    Err(InstantiateError::Trap(trap)) => Ok(Err(trap)),
                    Err(e) => Err(e.to_string()),
                }
            }
        }
    }

    fn directive(&mut self, directive: WastDirective<'_>) -> Result<(), String> {
        match directive {
            WastDirective::Module(module) => self.define(module),
            WastDirective::ModuleDefinition(module) => self.define_only(module),
            WastDirective::ModuleInstance { instance, module, .. } => {
                self.instantiate_definition(instance, module)
            }
            WastDirective::Register { name, module, .. } => {
                let instance = self.instance(module)?;
                self.backend.register(name, &instance);
                Ok(())
            }
            WastDirective::Invoke(invoke) => match self.invoke(&invoke)? {
                Ok(_) => Ok(()),
                Err(trap) => Err(format!("invoke \"{}\" {}", invoke.name, ended(&trap))),
            },
            WastDirective::AssertReturn { exec, results, .. } => match self.execute(exec)? {
                Ok(values) => check_results(&values, &results),
                Err(trap) => Err(format!("{}, expected results", ended(&trap))),
            },
            WastDirective::AssertTrap { exec, message, .. } => match self.execute(exec)? {
                Ok(values) => Err(format!("returned {}, expected trap \"{message}\"", list(&values))),
                Err(trap) => expect_trap(&trap, message),
            },
            WastDirective::AssertExhaustion { call, message, .. } => match self.invoke(&call)? {
                Ok(values) => Err(format!("returned {}, expected \"{message}\"", list(&values))),
                Err(trap) if trap.code == TrapCode::StackExhausted => Ok(()),
                Err(trap) => Err(format!("{}, expected \"{message}\"", ended(&trap))),
            },
            WastDirective::AssertException { exec, .. } => match self.execute(exec)? {
                Ok(values) => Err(format!("returned {}, expected an uncaught exception", list(&values))),
                Err(trap) if trap.code == TrapCode::UncaughtException => Ok(()),
                Err(trap) => Err(format!("{}, expected an uncaught exception", ended(&trap))),
            },
            WastDirective::AssertMalformed { mut module, .. }
            | WastDirective::AssertInvalid { mut module, .. } => {
                let Ok(bytes) = self.encode(&mut module) else {
                    return Ok(()); // rejected by the text parser: malformed
                };
                match self.backend.compile(&bytes) {
                    Ok(_) => Err("module was accepted, expected it to be rejected".to_string()),
                    Err(_) => Ok(()),
                }
            }
            WastDirective::AssertUnlinkable { module, message, .. } => {
                let bytes = self.encode(&mut QuoteWat::Wat(module))?;
                let compiled = self.backend.compile(&bytes)?;
                match self.backend.instantiate(&compiled) {
                    Ok(_) => Err(format!("module linked, expected \"{message}\"")),
                    Err(InstantiateError::Unlinkable(why)) if why.contains(message) => Ok(()),
                    Err(e) => Err(format!("{e}, expected unlinkable \"{message}\"")),
                }
            }
            other => Err(format!("unsupported directive {:?}", kind_of(&other))),
        }
    }
}

/// The directive's keyword, for messages about unsupported ones.
fn kind_of(directive: &WastDirective<'_>) -> &'static str {
    match directive {
        WastDirective::AssertInvalidCustom { .. } => "assert_invalid_custom",
        WastDirective::AssertMalformedCustom { .. } => "assert_malformed_custom",
        WastDirective::AssertException { .. } => "assert_exception",
        WastDirective::AssertSuspension { .. } => "assert_suspension",
        WastDirective::Thread(_) => "thread",
        WastDirective::Wait { .. } => "wait",
        _ => "directive",
    }
}

/// Whether `trap` is the one `message` names. The spec's reference
/// interpreter sometimes appends detail (`uninitialized element 2`), so a
/// message that starts with the trap's own is a match too.
fn expect_trap(trap: &Trap, message: &str) -> Result<(), String> {
    if trap.code == TrapCode::UncaughtException {
        return Err(format!("{}, expected trap \"{message}\"", ended(trap)));
    }
    let actual = trap.to_string();
    if actual.contains(message) || message.starts_with(trap.code.message()) {
        Ok(())
    } else {
        Err(format!("trapped with \"{trap}\", expected \"{message}\""))
    }
}

/// How an invocation that did not return ended, for failure messages: an
/// uncaught exception is not a trap, and is not reported as one.
fn ended(trap: &Trap) -> String {
    match trap.exception() {
        Some(_) => format!("threw an uncaught exception ({})", trap.detail.as_deref().unwrap_or("")),
        None => format!("trapped with \"{trap}\""),
    }
}

fn list(values: &[Value]) -> String {
    let items: Vec<String> = values.iter().map(Value::to_string).collect();
    format!("[{}]", items.join(", "))
}

fn arg(arg: &WastArg<'_>) -> Result<Value, String> {
    let WastArg::Core(core) = arg else { return Err("component-model arguments are not supported".into()) };
    Ok(match core {
        WastArgCore::I32(v) => Value::I32(*v),
        WastArgCore::I64(v) => Value::I64(*v),
        WastArgCore::F32(v) => Value::F32(v.bits),
        WastArgCore::F64(v) => Value::F64(v.bits),
        WastArgCore::V128(v) => Value::V128(u128::from_le_bytes(v.to_le_bytes())),
        WastArgCore::RefNull(ty) if null_of(ty) == Some(Value::FuncRef(None)) => Value::FuncRef(None),
        WastArgCore::RefNull(ty) if null_of(ty) == Some(Value::ExternRef(None)) => Value::ExternRef(None),
        WastArgCore::RefExtern(n) => Value::ExternRef(Some(*n)),
        other => return Err(format!("unsupported argument {other:?}")),
    })
}

/// The null reference of heap type `ty` (`ref.null ty`): a function
/// reference for `func`, `nofunc` and concrete types (without GC every
/// concrete type is a function type), a host one for `extern` and
/// `noextern`; `None` for GC's heap types.
fn null_of(ty: &HeapType<'_>) -> Option<Value> {
    use AbstractHeapType as A;
    match ty {
        HeapType::Abstract { ty: A::Func | A::NoFunc, .. } | HeapType::Concrete(_) => {
            Some(Value::FuncRef(None))
        }
        // Exception references share the host ones' representation.
        HeapType::Abstract { ty: A::Extern | A::NoExtern | A::Exn | A::NoExn, .. } => {
            Some(Value::ExternRef(None))
        }
        _ => None,
    }
}

fn check_results(actual: &[Value], expected: &[WastRet<'_>]) -> Result<(), String> {
    if actual.len() != expected.len() {
        return Err(format!(
            "returned {} values {}, expected {}",
            actual.len(),
            list(actual),
            expected.len()
        ));
    }
    for (i, (value, want)) in actual.iter().zip(expected).enumerate() {
        let WastRet::Core(want) = want else {
            return Err("component-model results are not supported".into());
        };
        if !matches(value, want)? {
            let got = match (want, value) {
                (WastRetCore::V128(w), Value::V128(v)) => format!("v128:{}", v128_in_shape_of(w, *v)),
                _ => value.to_string(),
            };
            return Err(format!("result {i}: got {got}, expected {}", describe(want)));
        }
    }
    Ok(())
}

/// Whether `value` is what `want` describes, bit for bit where it names
/// bits, per Wasm's NaN classes where it names one.
fn matches(value: &Value, want: &WastRetCore<'_>) -> Result<bool, String> {
    Ok(match (want, value) {
        (WastRetCore::I32(w), Value::I32(v)) => w == v,
        (WastRetCore::I64(w), Value::I64(v)) => w == v,
        (WastRetCore::F32(w), Value::F32(v)) => f32_matches(w, *v),
        (WastRetCore::F64(w), Value::F64(v)) => f64_matches(w, *v),
        (WastRetCore::V128(w), Value::V128(v)) => v128_matches(w, *v),
        (WastRetCore::RefNull(None), v) => v.is_null_ref(),
        (WastRetCore::RefNull(Some(ty)), v) => match null_of(ty) {
            Some(null) => *v == null,
            None => return Err(format!("unsupported expected result {}", describe(want))),
        },
        (WastRetCore::RefExtern(None), Value::ExternRef(v)) => v.is_some(),
        (WastRetCore::RefExtern(Some(w)), Value::ExternRef(v)) => *v == Some(*w),
        (WastRetCore::RefFunc(_), Value::FuncRef(v)) => v.is_some(),
        (WastRetCore::Either(options), v) => {
            for option in options {
                if matches(v, option)? {
                    return Ok(true);
                }
            }
            false
        }
        (WastRetCore::RefHost(_), _) => {
            return Err(format!("unsupported expected result {}", describe(want)));
        }
        _ => false,
    })
}

/// Whether the `f32` with bits `v` is what `want` describes.
fn f32_matches(want: &NanPattern<F32>, v: u32) -> bool {
    match want {
        NanPattern::Value(w) => w.bits == v,
        NanPattern::CanonicalNan => f32_is_canonical_nan(v),
        NanPattern::ArithmeticNan => f32_is_arithmetic_nan(v),
    }
}

/// Whether the `f64` with bits `v` is what `want` describes.
fn f64_matches(want: &NanPattern<F64>, v: u64) -> bool {
    match want {
        NanPattern::Value(w) => w.bits == v,
        NanPattern::CanonicalNan => f64_is_canonical_nan(v),
        NanPattern::ArithmeticNan => f64_is_arithmetic_nan(v),
    }
}

/// Whether the vector `v` is what `want` describes, lane by lane: integer
/// lanes bit for bit, float lanes each by its own pattern (a value or a NaN
/// class).
fn v128_matches(want: &V128Pattern, v: u128) -> bool {
    let lane = |bits: u32, i: usize| simd::lane(v, bits, i);
    match want {
        V128Pattern::I8x16(w) => w.iter().enumerate().all(|(i, &w)| lane(8, i) == u64::from(w as u8)),
        V128Pattern::I16x8(w) => w.iter().enumerate().all(|(i, &w)| lane(16, i) == u64::from(w as u16)),
        V128Pattern::I32x4(w) => w.iter().enumerate().all(|(i, &w)| lane(32, i) == u64::from(w as u32)),
        V128Pattern::I64x2(w) => w.iter().enumerate().all(|(i, &w)| lane(64, i) == w as u64),
        V128Pattern::F32x4(w) => w.iter().enumerate().all(|(i, w)| f32_matches(w, lane(32, i) as u32)),
        V128Pattern::F64x2(w) => w.iter().enumerate().all(|(i, w)| f64_matches(w, lane(64, i))),
    }
}

fn describe(want: &WastRetCore<'_>) -> String {
    match want {
        WastRetCore::I32(v) => format!("i32:{v}"),
        WastRetCore::I64(v) => format!("i64:{v}"),
        WastRetCore::F32(w) => pattern_text(w, |v| Value::F32(v.bits).to_string()),
        WastRetCore::F64(w) => pattern_text(w, |v| Value::F64(v.bits).to_string()),
        WastRetCore::V128(w) => format!("v128:{}", describe_v128(w)),
        other => format!("{other:?}"),
    }
}

/// An `f32` lane as text: its value, or `nan:0x…` with its bits.
fn f32_text(bits: u32) -> String {
    let x = f32::from_bits(bits);
    if x.is_nan() { format!("nan:0x{bits:x}") } else { x.to_string() }
}

/// An `f64` lane as text: its value, or `nan:0x…` with its bits.
fn f64_text(bits: u64) -> String {
    let x = f64::from_bits(bits);
    if x.is_nan() { format!("nan:0x{bits:x}") } else { x.to_string() }
}

/// A float lane's pattern as text: a value, `nan:canonical` or `nan:arithmetic`.
fn pattern_text<T>(want: &NanPattern<T>, value: impl Fn(&T) -> String) -> String {
    match want {
        NanPattern::Value(v) => value(v),
        NanPattern::CanonicalNan => "nan:canonical".into(),
        NanPattern::ArithmeticNan => "nan:arithmetic".into(),
    }
}

/// An expected vector as `v128.const` writes it: its shape, then its lanes.
fn describe_v128(want: &V128Pattern) -> String {
    fn join<T>(lanes: &[T], text: impl Fn(&T) -> String) -> String {
        lanes.iter().map(text).collect::<Vec<_>>().join(" ")
    }
    match want {
        V128Pattern::I8x16(l) => format!("i8x16 {}", join(l, i8::to_string)),
        V128Pattern::I16x8(l) => format!("i16x8 {}", join(l, i16::to_string)),
        V128Pattern::I32x4(l) => format!("i32x4 {}", join(l, i32::to_string)),
        V128Pattern::I64x2(l) => format!("i64x2 {}", join(l, i64::to_string)),
        V128Pattern::F32x4(l) => format!("f32x4 {}", join(l, |p| pattern_text(p, |v| f32_text(v.bits)))),
        V128Pattern::F64x2(l) => format!("f64x2 {}", join(l, |p| pattern_text(p, |v| f64_text(v.bits)))),
    }
}

/// The vector `v` in the lane shape of `want`, so the two can be compared by eye.
fn v128_in_shape_of(want: &V128Pattern, v: u128) -> String {
    let lanes = |bits: u32, text: &dyn Fn(u64) -> String| {
        (0..(128 / bits) as usize).map(|i| text(simd::lane(v, bits, i))).collect::<Vec<_>>().join(" ")
    };
    match want {
        V128Pattern::I8x16(_) => format!("i8x16 {}", lanes(8, &|x| (x as i8).to_string())),
        V128Pattern::I16x8(_) => format!("i16x8 {}", lanes(16, &|x| (x as i16).to_string())),
        V128Pattern::I32x4(_) => format!("i32x4 {}", lanes(32, &|x| (x as i32).to_string())),
        V128Pattern::I64x2(_) => format!("i64x2 {}", lanes(64, &|x| (x as i64).to_string())),
        V128Pattern::F32x4(_) => format!("f32x4 {}", lanes(32, &|x| f32_text(x as u32))),
        V128Pattern::F64x2(_) => format!("f64x2 {}", lanes(64, &|x| f64_text(x))),
    }
}

/// A module of a script, as the runner sees it: used to feed every module
/// of the suite to the decoder in robustness tests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScriptModule {
    /// A module the script expects to compile (`module`, `module
    /// definition`, `assert_trap`, `assert_unlinkable`).
    Valid(Vec<u8>),
    /// A binary the script expects the decoder or validator to reject.
    Rejected(Vec<u8>),
}

/// Every binary module in the script `text`, in order. Text modules that
/// the text parser itself rejects have no binary and are left out.
pub fn script_modules(text: &str) -> Result<Vec<ScriptModule>, String> {
    let buf = buffer(text).map_err(|e| e.to_string())?;
    let script = parser::parse::<Wast<'_>>(&buf).map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    for directive in script.directives {
        match directive {
            WastDirective::Module(mut m) | WastDirective::ModuleDefinition(mut m) => {
                if let Ok(bytes) = m.encode() {
                    out.push(ScriptModule::Valid(bytes));
                }
            }
            WastDirective::AssertTrap { exec: WastExecute::Wat(mut w), .. }
            | WastDirective::AssertUnlinkable { module: mut w, .. } => {
                if let Ok(bytes) = w.encode() {
                    out.push(ScriptModule::Valid(bytes));
                }
            }
            WastDirective::AssertMalformed { mut module, .. }
            | WastDirective::AssertInvalid { mut module, .. } => {
                if let Ok(bytes) = module.encode() {
                    out.push(ScriptModule::Rejected(bytes));
                }
            }
            _ => {}
        }
    }
    Ok(out)
}
