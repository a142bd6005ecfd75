//! Covering: `covers(a, b)` holds only if every event that matches `b` also matches `a`.
//!
//! Routing relies on it to avoid sending `b` where `a` was already sent, so it must be sound
//! without exception; where it cannot decide it answers `false`, which costs only a redundant
//! announcement.
//!
//! ## The reasoning, with multi-valued attributes
//!
//! A predicate on an attribute holds if it holds for *any* of the attribute's values, so two
//! predicates on the same attribute may be satisfied by different values: `x > 5 && x < 3`
//! matches `{"x": [6, 2]}`. A conjunction therefore does not intersect its constraints per
//! attribute. What it does guarantee, for each attribute `x`:
//!
//! - each positive atom `P` on `x` is satisfied by some value in `P`'s value set;
//! - each negated atom `!N` on `x` means no value of `x` lies in `N`'s set (all values lie in the
//!   allowed set `V`, the complement of every negated set).
//!
//! Hence a conjunction `C` implies a positive atom `A` on `x` exactly when `C` is unsatisfiable
//! or some positive atom `P` of `C` on `x` has `P ∩ V ⊆ A` (otherwise an event holding one
//! witness of each `P` outside `A` matches `C` but not `A`). It implies a negated atom `!A`
//! exactly when `A ⊆` the union of `C`'s negated sets on `x`. The code checks these subset
//! relations exactly for equality, in-lists, one-sided ranges, `!=`, prefixes, suffixes,
//! `contains` and `exists`, treating numbers as a continuum (so `x > 5` is not taken to lie
//! within `x >= 6`); `V` is applied exactly to finite sets and otherwise ignored, which is
//! conservative. Regular expressions are compared only by their text.
//!
//! A disjunction `b` is covered when each of its conjunctions is unsatisfiable or covered by
//! one conjunction of `a`; this is exact for conjunctions and conservative for disjunctions
//! (`x < 5 || x >= 5` covers everything, which this does not see).

use std::cmp::Ordering;

use crate::filter::{CmpOp, Filter, Test};
use crate::normal::{Atom, Conjunction, NormalForm};
use crate::value::{Number, Value};

/// Whether every event matching `b` also matches `a` (sound; conservative where unsure).
pub fn covers(a: &Filter, b: &Filter) -> bool {
    NormalForm::of(a).covers(&NormalForm::of(b))
}

impl NormalForm {
    /// Whether every event matching `other` matches `self`; see the module documentation.
    pub fn covers(&self, other: &NormalForm) -> bool {
        other.conjunctions.iter().all(|theirs| {
            theirs.is_unsatisfiable() || self.conjunctions.iter().any(|ours| ours.covers(theirs))
        })
    }
}

/// The attributes a form's events surely carry, as a mask with one bit per attribute (chosen by
/// the name's hash): a quick necessary condition for covering, see
/// [`NormalForm::required_names`].
pub type NameMask = u64;

impl NormalForm {
    /// For a form of one satisfiable conjunction, the attributes of its positive atoms; `None`
    /// for any other form. If `a.covers(b)` and both are `Some`, every bit of `a`'s mask is
    /// in `b`'s: a positive atom is implied only by a positive atom on the same attribute
    /// (see `Conjunction::implies`). A caller checking many pairs keeps the masks and skips
    /// the pairs they rule out, without reading the forms.
    pub fn required_names(&self) -> Option<NameMask> {
        match self.conjunctions.as_slice() {
            [only] if !only.is_unsatisfiable() => Some(
                only.atoms
                    .iter()
                    .filter(|a| !a.negated)
                    .fold(0, |mask, a| mask | a.predicate.path.hash_bit()),
            ),
            _ => None,
        }
    }
}

impl Conjunction {
    /// Whether every event matching `other` matches `self`.
    pub fn covers(&self, other: &Conjunction) -> bool {
        // A residual is opaque: only the very same residual in `other` implies it.
        if let Some(residual) = &self.residual
            && other.residual.as_ref() != Some(residual)
        {
            return false;
        }
        self.atoms.iter().all(|atom| other.implies(atom))
    }

    /// Whether no event can match (conservative: `false` when unsure). Some positive atom's
    /// values are all excluded by the negated atoms on the same attribute.
    pub fn is_unsatisfiable(&self) -> bool {
        // Without negated atoms nothing is excluded; skip the per-atom search.
        if !self.atoms.iter().any(|a| a.negated) {
            return false;
        }
        self.atoms.iter().filter(|a| !a.negated).any(|positive| {
            let excluded = self.excluded(positive);
            is_excluded(&positive.predicate.test, &excluded)
        })
    }

    fn implies(&self, atom: &Atom) -> bool {
        let excluded = self.excluded(atom);
        if atom.negated {
            return is_excluded(&atom.predicate.test, &excluded);
        }
        let key = atom.predicate.path.key();
        self.atoms
            .iter()
            .filter(|p| !p.negated && p.predicate.path.key() == key)
            .any(|p| subset(&p.predicate.test, &atom.predicate.test, &excluded))
    }

    /// The tests of the negated atoms on `atom`'s attribute: no value of it passes any of them.
    fn excluded(&self, atom: &Atom) -> Vec<&Test> {
        let key = atom.predicate.path.key();
        self.atoms
            .iter()
            .filter(|n| n.negated && n.predicate.path.key() == key)
            .map(|n| &n.predicate.test)
            .collect()
    }
}

/// Whether every value passing `test` passes one of `excluded` (so no allowed value passes it).
fn is_excluded(test: &Test, excluded: &[&Test]) -> bool {
    if let ValueSet::Finite(values) = ValueSet::of(test) {
        return values.iter().all(|v| excluded.iter().any(|n| n.holds(v)));
    }
    excluded.iter().any(|n| subset(test, n, &[]))
}

/// Whether every value that passes `p` and none of `excluded` passes `a`.
fn subset(p: &Test, a: &Test, excluded: &[&Test]) -> bool {
    if p == a {
        return true;
    }
    use ValueSet::*;
    match (ValueSet::of(p), ValueSet::of(a)) {
        (_, All) => true,
        (Finite(values), _) => values
            .iter()
            .filter(|v| !excluded.iter().any(|n| n.holds(v)))
            .all(|v| a.holds(v)),
        (_, set) if set.is_all_strings() => ValueSet::of(p).is_strings_only(),
        (Numbers(p), Numbers(a)) => p.within(&a),
        (Numbers(p), AllBut(v)) => v.as_number().is_some_and(|n| !p.contains(n)),
        (Strings(p), Strings(a)) => p.within(&a),
        (Strings(p), AllBut(Value::Str(s))) => !p.contains(s),
        (AllBut(v), AllBut(w)) => v.equals(w),
        (Prefix(p), Prefix(q)) => p.starts_with(q),
        (Prefix(p), Contains(c)) => p.contains(c),
        (Prefix(p), AllBut(Value::Str(s))) => !s.starts_with(p),
        (Prefix(p), Strings(range)) => range.contains_prefix(p),
        (Suffix(p), Suffix(q)) => p.ends_with(q),
        (Suffix(p), Contains(c)) => p.contains(c),
        (Suffix(p), AllBut(Value::Str(s))) => !s.ends_with(p),
        (Contains(p), Contains(c)) => p.contains(c),
        (Contains(p), AllBut(Value::Str(s))) => !s.contains(p),
        _ => false,
    }
}

/// The set of single values a test accepts, in the forms the subset rules know.
enum ValueSet<'t> {
    /// Every value of every kind (`exists`).
    All,
    Finite(Vec<Value>),
    Numbers(Range<Number>),
    Strings(Range<&'t str>),
    /// Every value of the literal's kind except the literal (`!=`).
    AllBut(&'t Value),
    Prefix(&'t str),
    Suffix(&'t str),
    Contains(&'t str),
    /// Regular expressions, and shapes the parser never builds.
    Opaque,
}

impl<'t> ValueSet<'t> {
    fn of(test: &'t Test) -> ValueSet<'t> {
        match test {
            Test::Exists => ValueSet::All,
            Test::In(values) => ValueSet::Finite(values.to_vec()),
            Test::Cmp(CmpOp::Eq, v) => ValueSet::Finite(vec![v.clone()]),
            Test::Cmp(CmpOp::Ne, Value::Bool(b)) => ValueSet::Finite(vec![Value::Bool(!b)]),
            Test::Cmp(CmpOp::Ne, v) => ValueSet::AllBut(v),
            Test::Cmp(op, v) => match (v.as_number(), v) {
                (Some(n), _) => ValueSet::Numbers(Range::one_sided(*op, n)),
                (None, Value::Str(s)) => ValueSet::Strings(Range::one_sided(*op, s)),
                _ => ValueSet::Opaque,
            },
            Test::Prefix(p) => ValueSet::Prefix(p),
            Test::Suffix(s) => ValueSet::Suffix(s),
            Test::Contains(c) => ValueSet::Contains(c),
            Test::Regex(_) => ValueSet::Opaque,
        }
    }

    fn is_all_strings(&self) -> bool {
        match self {
            ValueSet::Prefix("") | ValueSet::Suffix("") | ValueSet::Contains("") => true,
            ValueSet::Strings(range) => {
                range.hi.is_none()
                    && range
                        .lo
                        .is_none_or(|(s, inclusive)| s.is_empty() && inclusive)
            }
            _ => false,
        }
    }

    fn is_strings_only(&self) -> bool {
        match self {
            ValueSet::Finite(values) => values.iter().all(|v| matches!(v, Value::Str(_))),
            ValueSet::AllBut(v) => matches!(v, Value::Str(_)),
            ValueSet::Strings(_)
            | ValueSet::Prefix(_)
            | ValueSet::Suffix(_)
            | ValueSet::Contains(_) => true,
            // A regex test only ever passes strings.
            ValueSet::Opaque => true,
            ValueSet::All | ValueSet::Numbers(_) => false,
        }
    }
}

/// An interval with optional bounds, each `(value, inclusive)`.
struct Range<T> {
    lo: Option<(T, bool)>,
    hi: Option<(T, bool)>,
}

impl<T: Ord + Copy> Range<T> {
    fn one_sided(op: CmpOp, bound: T) -> Range<T> {
        match op {
            CmpOp::Gt => Range {
                lo: Some((bound, false)),
                hi: None,
            },
            CmpOp::Ge => Range {
                lo: Some((bound, true)),
                hi: None,
            },
            CmpOp::Lt => Range {
                lo: None,
                hi: Some((bound, false)),
            },
            _ => Range {
                lo: None,
                hi: Some((bound, true)),
            },
        }
    }

    fn contains(&self, v: T) -> bool {
        let above = self
            .lo
            .is_none_or(|(lo, inclusive)| v > lo || (inclusive && v == lo));
        let below = self
            .hi
            .is_none_or(|(hi, inclusive)| v < hi || (inclusive && v == hi));
        above && below
    }

    /// Whether `self ⊆ other`.
    fn within(&self, other: &Range<T>) -> bool {
        let lo_ok = match (self.lo, other.lo) {
            (_, None) => true,
            (None, Some(_)) => false,
            (Some((p, p_inc)), Some((a, a_inc))) => p > a || (p == a && (a_inc || !p_inc)),
        };
        let hi_ok = match (self.hi, other.hi) {
            (_, None) => true,
            (None, Some(_)) => false,
            (Some((p, p_inc)), Some((a, a_inc))) => p < a || (p == a && (a_inc || !p_inc)),
        };
        lo_ok && hi_ok
    }
}

impl Range<&str> {
    /// Whether every string starting with `prefix` lies in the range. The smallest such string
    /// is `prefix` itself; they are all below `hi` exactly when `prefix < hi` and `hi` does not
    /// itself start with `prefix` (else `hi` or something above it starts with `prefix`).
    fn contains_prefix(&self, prefix: &str) -> bool {
        let lo_ok = self.lo.is_none_or(|(lo, inclusive)| match prefix.cmp(lo) {
            Ordering::Greater => true,
            Ordering::Equal => inclusive,
            Ordering::Less => false,
        });
        let hi_ok = self
            .hi
            .is_none_or(|(hi, _)| prefix < hi && !hi.starts_with(prefix));
        lo_ok && hi_ok
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filter(text: &str) -> Filter {
        Filter::parse(text).expect("test filter parses")
    }

    #[test]
    fn covering_table() {
        // (a, b, a covers b)
        let cases = [
            ("true", "x == 1", true),
            ("x == 1", "false", true),
            ("x > 5", "x > 6", true),
            ("x > 5", "x >= 5", false),
            ("x >= 5", "x > 5", true),
            ("x > 5", "x == 6", true),
            ("x > 5", "x == 5", false),
            ("x > 5", "x == 6.5", true),
            ("x > 5", "x in [6, 7.5]", true),
            ("x > 5", "x in [6, 5]", false),
            ("x in [1, 2, 3]", "x in [2, 3]", true),
            ("x in [1, 2]", "x in [2, 3]", false),
            ("x == 1", "x == 1.0", true),
            ("x == \"1\"", "x == 1", false),
            ("exists(x)", "x == 1", true),
            ("exists(x)", "!(x == 1)", false),
            ("x == 1", "exists(x)", false),
            ("x != 3", "x > 5", true),
            ("x != 6", "x > 5", false),
            ("x != 3", "x != 3.0", true),
            ("x != 3", "x == \"a\"", false),
            ("x prefix \"ab\"", "x prefix \"abc\"", true),
            ("x prefix \"abc\"", "x prefix \"ab\"", false),
            ("x contains \"bc\"", "x prefix \"abcd\"", true),
            ("x suffix \"cd\"", "x suffix \"bcd\"", true),
            ("x suffix \"cd\"", "x prefix \"bcd\"", false),
            ("x prefix \"\"", "x =~ \"a\"", true),
            ("x =~ \"a+\"", "x =~ \"a+\"", true),
            ("x =~ \"a+\"", "x =~ \"aa+\"", false),
            ("x >= \"ab\"", "x prefix \"ab\"", true),
            ("x > \"ab\"", "x prefix \"ab\"", false),
            ("x < \"ac\"", "x prefix \"ab\"", true),
            ("x < \"abc\"", "x prefix \"ab\"", false),
            ("x prefix \"a\"", "x == \"abc\"", true),
            ("x == true", "x != false", true),
            // Multi-valued attributes: {"x": [8, 6]} matches b but not a.
            ("x == 7", "x >= 7 && x <= 7", false),
            ("x > 5 && x < 10", "x > 6 && x < 3", true),
            ("x > 5", "x > 6 && x < 3", true),
            ("x >= 0 && x <= 20", "x > 5 && x < 10", true),
            // Negations constrain every value.
            ("!(x == 1)", "!(x in [1, 2])", true),
            ("!(x in [1, 2])", "!(x == 1)", false),
            ("!(x > 5)", "!(x > 4)", true),
            ("!(x > 4)", "!(x > 5)", false),
            ("x == 2", "x in [1, 2] && !(x == 1)", true),
            ("y == 1", "x == 1 && !(x == 1)", true),
            ("y == 1", "x > 5 && !exists(x)", true),
            // Disjunctions: each conjunction of b needs a covering conjunction in a.
            ("x == 1 || y == 2", "y == 2 && z == 3", true),
            ("x == 1 || y == 2", "y == 2 || z == 3", false),
            ("x > 1", "x == 2 || x == 3", true),
            ("a == 1 && b == 2", "a == 1", false),
            ("a == 1", "a == 1 && b == 2", true),
        ];
        for (a, b, want) in cases {
            assert_eq!(covers(&filter(a), &filter(b)), want, "covers({a}, {b})");
        }
    }
}
