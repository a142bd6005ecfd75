//! The filter language of spec/filter-language.md: parsing, printing and direct evaluation.

mod ast;
mod error;
mod lexer;
mod parser;
mod print;

use std::fmt;
use std::str::FromStr;

pub use ast::{CmpOp, Expr, Path, Pattern, Predicate, Test};
pub use error::ParseError;

use crate::event::Event;

/// Limits on a filter's text and shape; each exceeded limit is a [`ParseError`] naming it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FilterLimits {
    /// Bytes of filter text.
    pub max_len: usize,
    /// Parentheses and negations nested inside each other.
    pub max_depth: usize,
    /// Predicates (comparisons, `in`, `=~`, `prefix`, `suffix`, `contains`, `exists`).
    pub max_predicates: usize,
    /// Bytes a compiled regular expression may take (the regex crate's size limit).
    pub max_regex_size: usize,
}

impl Default for FilterLimits {
    fn default() -> Self {
        FilterLimits {
            max_len: 4096,
            max_depth: 32,
            max_predicates: 64,
            max_regex_size: 1 << 20,
        }
    }
}

/// A parsed filter. Displays as its canonical text, which parses back to an equal filter.
#[derive(Clone, Debug, PartialEq)]
pub struct Filter {
    expr: Expr,
}

impl Filter {
    /// Parses `text` under the default limits.
    pub fn parse(text: &str) -> Result<Filter, ParseError> {
        Filter::parse_with(text, &FilterLimits::default())
    }

    pub fn parse_with(text: &str, limits: &FilterLimits) -> Result<Filter, ParseError> {
        parser::parse(text, limits).map(|expr| Filter { expr })
    }

    /// Wraps a tree built by code rather than parsed; `And`/`Or` nodes must have at least two
    /// operands for the printed text to parse back to the same tree.
    pub fn from_expr(expr: Expr) -> Filter {
        Filter { expr }
    }

    pub fn expr(&self) -> &Expr {
        &self.expr
    }

    /// Whether `event` matches: the definition every other part of sift must agree with.
    pub fn matches(&self, event: &Event) -> bool {
        self.expr.matches(event)
    }
}

impl FromStr for Filter {
    type Err = ParseError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Filter::parse(text)
    }
}

impl fmt::Display for Filter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.expr.fmt(f)
    }
}
