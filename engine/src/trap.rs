//! Traps: how guest execution can end abnormally, as seen by the embedder.

use std::fmt;

use crate::exception::Exception;
pub use crate::runtime::backtrace::FrameInfo;

/// Why guest code trapped. The messages match the spec test suite's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TrapCode {
    /// The guest's call stack exceeded its limit.
    StackOverflow,
    /// A load, store or bulk memory operation outside the memory.
    MemoryOutOfBounds,
    /// A table access or bulk table operation outside the table.
    TableOutOfBounds,
    /// `call_indirect` with an index past the end of the table.
    UndefinedElement,
    /// `call_indirect` through a null table entry.
    IndirectCallToNull,
    /// `call_indirect` to a function of another type.
    BadSignature,
    /// Signed division overflow, or a float-to-int conversion out of range.
    IntegerOverflow,
    /// Integer division or remainder by zero.
    IntegerDivisionByZero,
    /// Float-to-int conversion of NaN.
    BadConversionToInteger,
    /// `unreachable` was executed.
    UnreachableCodeReached,
    /// A host function returned an error or panicked.
    HostError,
    /// The store's fuel ran out (`Config::consume_fuel`).
    OutOfFuel,
    /// The store's epoch deadline passed (`Config::epoch_interruption`).
    Interrupt,
    /// `ref.as_non_null` (or `br_on_non_null`'s fall-through use) of null.
    NullReference,
    /// `call_ref` or `return_call_ref` of a null function reference.
    NullFunctionReference,
    /// `throw_ref` of a null exception reference.
    NullExceptionReference,
    /// An exception no `try_table` caught reached the host
    /// ([`Trap::exception`] holds it). Not a trap of the guest's: nothing
    /// was wrong with it, but the call has no results.
    UncaughtException,
}

impl TrapCode {
    /// The message the spec test suite uses for this trap.
    pub fn message(self) -> &'static str {
        match self {
            TrapCode::StackOverflow => "call stack exhausted",
            TrapCode::MemoryOutOfBounds => "out of bounds memory access",
            TrapCode::TableOutOfBounds => "out of bounds table access",
            TrapCode::UndefinedElement => "undefined element",
            TrapCode::IndirectCallToNull => "uninitialized element",
            TrapCode::BadSignature => "indirect call type mismatch",
            TrapCode::IntegerOverflow => "integer overflow",
            TrapCode::IntegerDivisionByZero => "integer divide by zero",
            TrapCode::BadConversionToInteger => "invalid conversion to integer",
            TrapCode::UnreachableCodeReached => "unreachable",
            TrapCode::HostError => "host function error",
            TrapCode::OutOfFuel => "all fuel consumed",
            TrapCode::Interrupt => "interrupt",
            TrapCode::NullReference => "null reference",
            TrapCode::NullFunctionReference => "null function reference",
            TrapCode::NullExceptionReference => "null exception reference",
            TrapCode::UncaughtException => "uncaught exception",
        }
    }

    /// Every code, for tables that map codes to numbers and back.
    pub const ALL: [TrapCode; 17] = [
        TrapCode::StackOverflow,
        TrapCode::MemoryOutOfBounds,
        TrapCode::TableOutOfBounds,
        TrapCode::UndefinedElement,
        TrapCode::IndirectCallToNull,
        TrapCode::BadSignature,
        TrapCode::IntegerOverflow,
        TrapCode::IntegerDivisionByZero,
        TrapCode::BadConversionToInteger,
        TrapCode::UnreachableCodeReached,
        TrapCode::HostError,
        TrapCode::OutOfFuel,
        TrapCode::Interrupt,
        TrapCode::NullReference,
        TrapCode::NullFunctionReference,
        TrapCode::NullExceptionReference,
        TrapCode::UncaughtException,
    ];
}

impl fmt::Display for TrapCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message())
    }
}

/// A trap returned to the host: its code, for host errors the message, and
/// the Wasm call stack where it happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trap {
    code: TrapCode,
    detail: Option<String>,
    trace: Vec<FrameInfo>,
    exception: Option<Box<Exception>>,
}

impl Trap {
    /// A trap with this code.
    pub fn new(code: TrapCode) -> Trap {
        Trap { code, detail: None, trace: Vec::new(), exception: None }
    }

    /// A host error with a message.
    pub fn host(message: impl Into<String>) -> Trap {
        Trap { code: TrapCode::HostError, detail: Some(message.into()), trace: Vec::new(), exception: None }
    }

    /// The end of a call by `exception`, which no `try_table` caught.
    pub fn uncaught(exception: Exception) -> Trap {
        let payload: Vec<String> = exception.payload.iter().map(|v| format!("{v:?}")).collect();
        let detail = format!("tag {} with payload [{}]", exception.tag.index, payload.join(", "));
        Trap {
            code: TrapCode::UncaughtException,
            detail: Some(detail),
            trace: Vec::new(),
            exception: Some(Box::new(exception)),
        }
    }

    /// For [`TrapCode::UncaughtException`], the exception.
    pub fn exception(&self) -> Option<&Exception> {
        self.exception.as_deref()
    }

    /// Why execution trapped.
    pub fn code(&self) -> TrapCode {
        self.code
    }

    /// The Wasm frames on the stack when it trapped, innermost first:
    /// function index, name (from the name section) and the module offset
    /// of the instruction. Filled for traps of guest code itself (faults,
    /// `unreachable`, division, conversions, stack overflow, fuel, epochs,
    /// `call_indirect`) and for host function errors (the frames that called
    /// the host function, after any of Wasm it called back into); empty for
    /// traps raised by libcalls (bulk memory and table operations).
    pub fn trace(&self) -> &[FrameInfo] {
        &self.trace
    }

    pub(crate) fn with_trace(mut self, trace: Vec<FrameInfo>) -> Trap {
        self.trace = trace;
        self
    }

    /// The trace as text, one frame per line, as `plumb run` prints it:
    /// `  0: func 3 (name) at 0x1f`.
    pub fn trace_text(&self) -> String {
        let mut text = String::new();
        for (i, frame) in self.trace.iter().enumerate() {
            let name = frame.func_name.as_deref().map(|n| format!(" ({n})")).unwrap_or_default();
            let at = frame.module_offset.map(|o| format!(" at {o:#x}")).unwrap_or_default();
            text += &format!("  {i}: func {}{name}{at}\n", frame.func_index);
        }
        text
    }
}

impl From<TrapCode> for Trap {
    fn from(code: TrapCode) -> Trap {
        Trap::new(code)
    }
}

impl fmt::Display for Trap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.detail {
            Some(detail) => write!(f, "wasm trap: {}: {detail}", self.code),
            None => write!(f, "wasm trap: {}", self.code),
        }
    }
}

impl std::error::Error for Trap {}
