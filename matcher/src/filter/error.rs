//! Filter parse errors.

use std::fmt;

/// A filter that does not parse: the byte offset (0-based) where the problem is, and what was
/// expected or found there. Displays as `error at 9: expected a literal after '>'`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    pub offset: usize,
    pub message: String,
}

impl ParseError {
    pub(crate) fn new(offset: usize, message: impl Into<String>) -> Self {
        ParseError {
            offset,
            message: message.into(),
        }
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "error at {}: {}", self.offset, self.message)
    }
}

impl std::error::Error for ParseError {}
