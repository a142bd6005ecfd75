//! The filter syntax tree and its direct evaluation, the reference for what "matches" means.

use std::sync::Arc;

use crate::event::{Event, name_hash};
use crate::value::Value;

pub use super::lexer::CmpOp;

/// A boolean expression over predicates. `And` and `Or` always have at least two operands: the
/// parser builds them only for a chain, and a chain in parentheses inside a chain of the same
/// operator stays a nested node, so printing and parsing again gives back the same tree.
#[derive(Clone, Debug, PartialEq)]
pub enum Expr {
    Const(bool),
    Not(Box<Expr>),
    And(Vec<Expr>),
    Or(Vec<Expr>),
    Pred(Predicate),
}

/// A test on one attribute.
#[derive(Clone, Debug, PartialEq)]
pub struct Predicate {
    pub path: Path,
    pub test: Test,
}

/// What a predicate checks of each of the attribute's values.
#[derive(Clone, Debug, PartialEq)]
pub enum Test {
    Cmp(CmpOp, Value),
    /// Non-empty.
    In(Box<[Value]>),
    Regex(Pattern),
    Prefix(Box<str>),
    Suffix(Box<str>),
    Contains(Box<str>),
    Exists,
}

/// A compiled regular expression; two patterns are equal when their source text is.
///
/// Clones share one `Regex` and so its match caches: cloning a `regex::Regex` itself gives the
/// clone an empty cache pool, and the index, which keeps one pattern for every subscription
/// that uses it, would otherwise build a fresh lazy DFA (tens of microseconds and kilobytes)
/// wherever a clone met its first event.
#[derive(Clone, Debug)]
pub struct Pattern(pub(crate) Arc<regex::Regex>);

impl Pattern {
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    pub fn is_match(&self, s: &str) -> bool {
        self.0.is_match(s)
    }

    /// No clone of this pattern exists elsewhere.
    pub(crate) fn is_unshared(&self) -> bool {
        Arc::strong_count(&self.0) == 1
    }
}

impl PartialEq for Pattern {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

/// An attribute path. `key` is the flattened name events use (`geo.lat`); `dots` are the byte
/// offsets in `key` of the dots that separate the written segments, so that `` `a.b` `` (one
/// backquoted segment) and `a.b` (two segments) address the same attribute but print back as
/// they were written.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Path {
    key: Arc<str>,
    /// The key's [`name_hash`], what events look attributes up by.
    hash: u64,
    dots: Box<[u32]>,
}

impl Path {
    /// Builds a path from its segments; none may be empty.
    pub fn from_segments<S: AsRef<str>>(segments: &[S]) -> Path {
        if let [only] = segments {
            let key = only.as_ref();
            return Path {
                hash: name_hash(key),
                key: key.into(),
                dots: Box::default(),
            };
        }
        let mut key = String::new();
        let mut dots = Vec::new();
        for (i, segment) in segments.iter().enumerate() {
            if i > 0 {
                dots.push(key.len() as u32);
                key.push('.');
            }
            key.push_str(segment.as_ref());
        }
        Path {
            hash: name_hash(&key),
            key: key.into(),
            dots: dots.into(),
        }
    }

    /// Whether this path is the one segment `name`.
    pub(crate) fn is_single(&self, name: &str) -> bool {
        self.dots.is_empty() && *self.key == *name
    }

    /// Whether `other` holds this very key (not only an equal one): a cheap test for paths
    /// the parser built one from the other.
    pub(crate) fn shares_key(&self, other: &Path) -> bool {
        Arc::ptr_eq(&self.key, &other.key)
    }

    /// One of 64 bits, chosen by the key's hash: paths with different bits differ.
    pub(crate) fn hash_bit(&self) -> u64 {
        1 << (self.hash % 64)
    }

    /// The key's [`name_hash`].
    pub(crate) fn key_hash(&self) -> u64 {
        self.hash
    }

    /// The flattened attribute name this path addresses.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// The segments as written.
    pub fn segments(&self) -> impl Iterator<Item = &str> {
        let mut start = 0;
        self.dots
            .iter()
            .map(|&d| d as usize)
            .chain([self.key.len()])
            .map(move |end| {
                let segment = &self.key[start..end];
                start = end + 1;
                segment
            })
    }
}

impl Test {
    /// Whether this test holds for one value.
    pub fn holds(&self, value: &Value) -> bool {
        match self {
            Test::Cmp(op, literal) => value.compare(literal).is_some_and(|ordering| {
                use std::cmp::Ordering::*;
                match op {
                    CmpOp::Eq => ordering == Equal,
                    CmpOp::Ne => ordering != Equal,
                    CmpOp::Lt => ordering == Less,
                    CmpOp::Le => ordering != Greater,
                    CmpOp::Gt => ordering == Greater,
                    CmpOp::Ge => ordering != Less,
                }
            }),
            Test::In(literals) => literals.iter().any(|l| value.equals(l)),
            Test::Regex(pattern) => value.as_str().is_some_and(|s| pattern.is_match(s)),
            Test::Prefix(p) => value.as_str().is_some_and(|s| s.starts_with(&**p)),
            Test::Suffix(p) => value.as_str().is_some_and(|s| s.ends_with(&**p)),
            Test::Contains(p) => value.as_str().is_some_and(|s| s.contains(&**p)),
            Test::Exists => true,
        }
    }

    /// Whether the test holds for an attribute with these values: for any of them. An absent
    /// attribute (no values) satisfies no test, not even `!=`.
    pub fn holds_any(&self, values: &[Value]) -> bool {
        values.iter().any(|v| self.holds(v))
    }
}

impl Predicate {
    pub fn matches(&self, event: &Event) -> bool {
        event
            .lookup(self.path.key(), self.path.hash)
            .is_some_and(|values| self.test.holds_any(values))
    }
}

impl Expr {
    pub fn matches(&self, event: &Event) -> bool {
        match self {
            Expr::Const(b) => *b,
            Expr::Not(e) => !e.matches(event),
            Expr::And(es) => es.iter().all(|e| e.matches(event)),
            Expr::Or(es) => es.iter().any(|e| e.matches(event)),
            Expr::Pred(p) => p.matches(event),
        }
    }

    /// Visits every predicate, left to right.
    pub fn for_each_predicate<'a>(&'a self, f: &mut impl FnMut(&'a Predicate)) {
        match self {
            Expr::Const(_) => {}
            Expr::Not(e) => e.for_each_predicate(f),
            Expr::And(es) | Expr::Or(es) => es.iter().for_each(|e| e.for_each_predicate(f)),
            Expr::Pred(p) => f(p),
        }
    }
}
