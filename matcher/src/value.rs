//! Scalar values: what an event attribute holds and what a filter literal is.
//!
//! The comparison rules here are the ones the filter contract fixes: integers and floats compare
//! numerically with each other (exactly, without rounding an `i64` through `f64`), strings by
//! Unicode code point, bools only for equality, and values of different kinds never compare.

use std::cmp::Ordering;
use std::fmt;

use serde::{Serialize, Serializer};

/// One scalar value. Floats are always finite: every constructor that takes outside input
/// (event decoding, the filter parser) refuses NaN and infinities, so `PartialEq` and the
/// comparisons below never meet them.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Int(i64),
    Float(f64),
    Str(Box<str>),
    Bool(bool),
}

impl Value {
    /// The kind's name as the error messages use it.
    pub fn kind(&self) -> &'static str {
        match self {
            Value::Int(_) => "integer",
            Value::Float(_) => "float",
            Value::Str(_) => "string",
            Value::Bool(_) => "bool",
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The value as a number, if it is one.
    pub fn as_number(&self) -> Option<Number> {
        match *self {
            Value::Int(i) => Some(Number::Int(i)),
            Value::Float(f) => Some(Number::Float(f)),
            _ => None,
        }
    }

    /// Compares two values under the contract's rules: `None` when they are of kinds that do not
    /// compare (a string and a number, a bool and anything but a bool).
    pub fn compare(&self, other: &Value) -> Option<Ordering> {
        match (self, other) {
            (Value::Str(a), Value::Str(b)) => Some(a.as_bytes().cmp(b.as_bytes())),
            (Value::Bool(a), Value::Bool(b)) => Some(a.cmp(b)),
            _ => Some(self.as_number()?.cmp(&other.as_number()?)),
        }
    }

    /// Equality under the contract's rules: `1 == 1.0`, but `"1" != 1`.
    pub fn equals(&self, other: &Value) -> bool {
        self.compare(other) == Some(Ordering::Equal)
    }
}

impl Serialize for Value {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Value::Int(i) => serializer.serialize_i64(*i),
            Value::Float(f) => serializer.serialize_f64(*f),
            Value::Str(s) => serializer.serialize_str(s),
            Value::Bool(b) => serializer.serialize_bool(*b),
        }
    }
}

impl From<i64> for Value {
    fn from(i: i64) -> Self {
        Value::Int(i)
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Self {
        Value::Bool(b)
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::Str(s.into())
    }
}

/// A finite number, integer or float, with an exact total order across both kinds.
#[derive(Clone, Copy, Debug)]
pub enum Number {
    Int(i64),
    Float(f64),
}

impl Number {
    /// Compares with a float bound; the float must be finite.
    pub fn cmp_f64(self, bound: f64) -> Ordering {
        self.cmp(&Number::Float(bound))
    }
}

/// Exact comparison: `i64::MAX` is less than `9223372036854775808.0` even though both round to
/// the same `f64`. Total because floats are finite by construction.
impl Ord for Number {
    fn cmp(&self, other: &Number) -> Ordering {
        match (*self, *other) {
            (Number::Int(a), Number::Int(b)) => a.cmp(&b),
            // Finite by construction, so `partial_cmp` always answers; it also keeps -0.0 == 0.0.
            (Number::Float(a), Number::Float(b)) => a.partial_cmp(&b).unwrap_or(Ordering::Equal),
            (Number::Int(a), Number::Float(b)) => cmp_int_float(a, b),
            (Number::Float(a), Number::Int(b)) => cmp_int_float(b, a).reverse(),
        }
    }
}

impl PartialOrd for Number {
    fn partial_cmp(&self, other: &Number) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Number {
    fn eq(&self, other: &Number) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Number {}

/// Compares an integer with a finite float without losing precision: the float's integral part
/// is compared as an integer, then its fraction breaks the tie.
fn cmp_int_float(i: i64, f: f64) -> Ordering {
    // 2^63 as f64 is exact; every finite f64 at or above it is above every i64.
    const TWO_POW_63: f64 = 9_223_372_036_854_775_808.0;
    if f >= TWO_POW_63 {
        return Ordering::Less;
    }
    if f < -TWO_POW_63 {
        return Ordering::Greater;
    }
    let whole = f.trunc();
    // In range [-2^63, 2^63), so the cast is exact.
    let whole_int = whole as i64;
    match i.cmp(&whole_int) {
        Ordering::Equal if f > whole => Ordering::Less,
        Ordering::Equal if f < whole => Ordering::Greater,
        other => other,
    }
}

impl fmt::Display for Value {
    /// Prints the value as a filter literal would be written.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Int(i) => write!(f, "{i}"),
            Value::Float(x) => write_float_literal(f, *x),
            Value::Str(s) => write_string_literal(f, s),
            Value::Bool(b) => write!(f, "{b}"),
        }
    }
}

/// Writes a float in the grammar's form (`digits "." digits [exponent]`), with the shortest
/// digits that read back to the same `f64`.
fn write_float_literal(f: &mut fmt::Formatter<'_>, x: f64) -> fmt::Result {
    let text = format!("{x:?}");
    match text.split_once('e') {
        Some((mantissa, exponent)) if !mantissa.contains('.') => {
            write!(f, "{mantissa}.0e{exponent}")
        }
        _ if !text.contains('.') && !text.contains('e') => write!(f, "{text}.0"),
        _ => f.write_str(&text),
    }
}

/// Writes a string literal with the escapes the grammar knows; other control characters are
/// written as `\u{..}` so the text stays printable.
pub(crate) fn write_string_literal(f: &mut impl fmt::Write, s: &str) -> fmt::Result {
    f.write_char('"')?;
    for c in s.chars() {
        match c {
            '"' => f.write_str("\\\"")?,
            '\\' => f.write_str("\\\\")?,
            '\n' => f.write_str("\\n")?,
            '\t' => f.write_str("\\t")?,
            '\r' => f.write_str("\\r")?,
            c if c.is_control() => write!(f, "\\u{{{:x}}}", c as u32)?,
            c => f.write_char(c)?,
        }
    }
    f.write_char('"')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn int_float_comparison_is_exact() {
        let cases = [
            (Number::Int(1), Number::Float(1.0), Ordering::Equal),
            (Number::Int(1), Number::Float(1.5), Ordering::Less),
            (Number::Int(2), Number::Float(1.5), Ordering::Greater),
            (Number::Int(-1), Number::Float(-1.5), Ordering::Greater),
            (Number::Int(-2), Number::Float(-1.5), Ordering::Less),
            (
                Number::Int(i64::MAX),
                Number::Float(9_223_372_036_854_775_808.0),
                Ordering::Less,
            ),
            (
                Number::Int(i64::MIN),
                Number::Float(-9_223_372_036_854_775_808.0),
                Ordering::Equal,
            ),
            (
                Number::Int(i64::MIN),
                Number::Float(-1e300),
                Ordering::Greater,
            ),
            (
                Number::Int(9_007_199_254_740_993),
                Number::Float(9_007_199_254_740_992.0),
                Ordering::Greater,
            ),
            (Number::Float(0.0), Number::Float(-0.0), Ordering::Equal),
            (Number::Float(0.5), Number::Int(0), Ordering::Greater),
        ];
        for (a, b, want) in cases {
            assert_eq!(a.cmp(&b), want, "{a:?} vs {b:?}");
            assert_eq!(b.cmp(&a), want.reverse(), "{b:?} vs {a:?}");
        }
    }

    #[test]
    fn kinds_that_do_not_compare() {
        assert_eq!(Value::from("1").compare(&Value::Int(1)), None);
        assert_eq!(Value::Bool(true).compare(&Value::Int(1)), None);
        assert_eq!(Value::Int(1).compare(&Value::Bool(true)), None);
        assert!(Value::Int(1).equals(&Value::Float(1.0)));
        assert!(Value::from("é").compare(&Value::from("z")) == Some(Ordering::Greater));
    }

    #[test]
    fn float_literals_keep_the_grammar_form() {
        let cases = [
            (1.0, "1.0"),
            (-2.5, "-2.5"),
            (1e300, "1.0e300"),
            (1.5e-7, "1.5e-7"),
            (0.1, "0.1"),
        ];
        for (x, want) in cases {
            assert_eq!(Value::Float(x).to_string(), want);
        }
    }

    #[test]
    fn string_literals_escape() {
        assert_eq!(
            Value::from("a\"b\\c\nd\u{1}").to_string(),
            r#""a\"b\\c\nd\u{1}""#
        );
    }
}
