//! Errors of the rule language: every one names the file, line and column
//! it is about and says what is wrong there.

use std::fmt;

/// A position in a rule file (1-based line and column).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Pos {
    /// Line, counting from 1.
    pub line: u32,
    /// Column in characters, counting from 1.
    pub col: u32,
}

impl fmt::Display for Pos {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.col)
    }
}

/// A rule file that cannot be read, parsed or type-checked.
///
/// Displays as `file:line:col: what is wrong`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{pos}: {message}")]
pub struct RuleError {
    /// The file as it was named to [`crate::RuleSet::load`].
    pub file: String,
    /// Where in the file.
    pub pos: Pos,
    /// What is wrong, in one sentence.
    pub message: String,
}

impl RuleError {
    /// An error at `pos` of `file`.
    pub fn new(file: &str, pos: Pos, message: impl Into<String>) -> RuleError {
        RuleError { file: file.to_owned(), pos, message: message.into() }
    }
}
