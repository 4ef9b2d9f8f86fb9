//! Traps (spec §4.4.1 "Results"): the ways WebAssembly execution can abort.
//!
//! Each code's message is the one the official spec test scripts expect in
//! `assert_trap`, so the script runner can compare them directly.

use std::fmt;

/// Why execution trapped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TrapCode {
    /// `unreachable` was executed.
    Unreachable,
    /// Integer division or remainder by zero.
    IntegerDivideByZero,
    /// Signed division overflow (`MIN / -1`) or a float-to-int truncation out of range.
    IntegerOverflow,
    /// A float-to-int truncation of NaN.
    InvalidConversionToInteger,
    /// A load, store or bulk memory operation outside the memory.
    MemoryOutOfBounds,
    /// A table access or bulk table operation outside the table.
    TableOutOfBounds,
    /// `call_indirect` with an index past the end of the table.
    UndefinedElement,
    /// `call_indirect` through a null table entry.
    UninitializedElement,
    /// `call_indirect` to a function of the wrong type.
    IndirectCallTypeMismatch,
    /// `call_ref` or `return_call_ref` of a null reference (Wasm 3.0).
    NullFunctionReference,
    /// `ref.as_non_null` of a null reference (Wasm 3.0).
    NullReference,
    /// `throw_ref` of a null exception reference (exception handling, Wasm 3.0).
    NullExceptionReference,
    /// An exception no handler caught ended the invocation (exception
    /// handling, Wasm 3.0). Not a trap in the spec but a result of its own;
    /// [`Trap::exception`] holds the exception, and no `try_table` catches
    /// this code, as no handler catches any trap.
    UncaughtException,
    /// The call stack (frames or values) exceeded its limit.
    StackExhausted,
    /// The fuel given to the interpreter ran out (a bound the embedder chose,
    /// not a Wasm trap; used to stop runaway loops when fuzzing).
    OutOfFuel,
    /// A host function reported an error.
    HostError,
    /// Execution was interrupted from outside (the engine's epoch deadline;
    /// the interpreter itself never interrupts).
    Interrupt,
    /// An operand had a type validation rules out: a bug in this
    /// interpreter, never the guest's fault. Reported, not panicked on, so a
    /// fuzzer sees it as a disagreement.
    InvariantViolated,
}

impl TrapCode {
    /// The message the spec test suite uses for this trap.
    pub fn message(self) -> &'static str {
        match self {
            TrapCode::Unreachable => "unreachable",
            TrapCode::IntegerDivideByZero => "integer divide by zero",
            TrapCode::IntegerOverflow => "integer overflow",
            TrapCode::InvalidConversionToInteger => "invalid conversion to integer",
            TrapCode::MemoryOutOfBounds => "out of bounds memory access",
            TrapCode::TableOutOfBounds => "out of bounds table access",
            TrapCode::UndefinedElement => "undefined element",
            TrapCode::UninitializedElement => "uninitialized element",
            TrapCode::IndirectCallTypeMismatch => "indirect call type mismatch",
            TrapCode::NullFunctionReference => "null function reference",
            TrapCode::NullReference => "null reference",
            TrapCode::NullExceptionReference => "null exception reference",
            TrapCode::UncaughtException => "uncaught exception",
            TrapCode::StackExhausted => "call stack exhausted",
            TrapCode::OutOfFuel => "all fuel consumed",
            TrapCode::HostError => "host function error",
            TrapCode::Interrupt => "interrupt",
            TrapCode::InvariantViolated => "interpreter invariant violated (a bug in plumb-oracles)",
        }
    }
}

impl fmt::Display for TrapCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message())
    }
}

/// A trap: its code, and for host errors a message from the host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trap {
    /// Why execution trapped.
    pub code: TrapCode,
    /// Extra detail (which host function failed, and why).
    pub detail: Option<String>,
    /// For [`TrapCode::UncaughtException`], the exception.
    pub exception: Option<Exception>,
}

/// An exception that escaped an invocation: its tag's store address and
/// payload (spec 3.0 §4.2.9 "Exception Instances").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exception {
    /// The store address of the tag.
    pub tag: usize,
    /// The tag's parameters, as thrown.
    pub payload: Vec<crate::values::Value>,
}

impl Trap {
    /// A host function failed with this message.
    pub fn host(message: impl Into<String>) -> Trap {
        Trap { code: TrapCode::HostError, detail: Some(message.into()), exception: None }
    }

    /// An invocation ended with `exception` uncaught.
    pub fn uncaught(exception: Exception) -> Trap {
        let payload: Vec<String> = exception.payload.iter().map(|v| v.to_string()).collect();
        let detail = format!("tag @{} with payload [{}]", exception.tag, payload.join(" "));
        Trap { code: TrapCode::UncaughtException, detail: Some(detail), exception: Some(exception) }
    }

    /// The uncaught exception that ended the invocation, if that is what did.
    pub fn exception(&self) -> Option<&Exception> {
        self.exception.as_ref()
    }
}

impl From<TrapCode> for Trap {
    fn from(code: TrapCode) -> Trap {
        Trap { code, detail: None, exception: None }
    }
}

impl fmt::Display for Trap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.detail {
            Some(detail) => write!(f, "{}: {detail}", self.code),
            None => write!(f, "{}", self.code),
        }
    }
}

impl std::error::Error for Trap {}
