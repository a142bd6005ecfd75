//! The canonical text of a filter: single spaces around binary operators, `&&`/`||`/`!`,
//! parentheses only where the tree needs them. Parsing the printed text gives back the same tree.

use std::fmt::{self, Write};

use super::ast::{Expr, Path, Predicate, Test};
use super::lexer::is_plain_name;
use crate::value::write_string_literal;

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expr::Const(b) => write!(f, "{b}"),
            Expr::Pred(p) => write!(f, "{p}"),
            Expr::Not(inner) => match **inner {
                Expr::Const(_) | Expr::Not(_) => write!(f, "!{inner}"),
                _ => write!(f, "!({inner})"),
            },
            Expr::And(operands) => write_chain(f, operands, " && ", |e| {
                matches!(e, Expr::And(_) | Expr::Or(_))
            }),
            Expr::Or(operands) => write_chain(f, operands, " || ", |e| matches!(e, Expr::Or(_))),
        }
    }
}

/// Writes `operands` joined by `separator`, parenthesizing those for which `needs_parens`
/// holds: an `Or` inside an `And` (precedence), and a chain inside a chain of the same operator
/// (so the nesting the user wrote survives a round trip).
fn write_chain(
    f: &mut fmt::Formatter<'_>,
    operands: &[Expr],
    separator: &str,
    needs_parens: impl Fn(&Expr) -> bool,
) -> fmt::Result {
    for (i, operand) in operands.iter().enumerate() {
        if i > 0 {
            f.write_str(separator)?;
        }
        if needs_parens(operand) {
            write!(f, "({operand})")?;
        } else {
            write!(f, "{operand}")?;
        }
    }
    Ok(())
}

impl fmt::Display for Predicate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.test {
            Test::Exists => return write!(f, "exists({})", self.path),
            _ => write!(f, "{} ", self.path)?,
        }
        match &self.test {
            Test::Cmp(op, literal) => write!(f, "{} {literal}", op.symbol()),
            Test::In(literals) => {
                f.write_str("in [")?;
                for (i, literal) in literals.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{literal}")?;
                }
                f.write_char(']')
            }
            Test::Regex(pattern) => {
                f.write_str("=~ ")?;
                write_string_literal(f, pattern.as_str())
            }
            Test::Prefix(s) => write_keyword_string(f, "prefix", s),
            Test::Suffix(s) => write_keyword_string(f, "suffix", s),
            Test::Contains(s) => write_keyword_string(f, "contains", s),
            Test::Exists => Ok(()),
        }
    }
}

fn write_keyword_string(f: &mut fmt::Formatter<'_>, keyword: &str, s: &str) -> fmt::Result {
    write!(f, "{keyword} ")?;
    write_string_literal(f, s)
}

impl fmt::Display for Path {
    /// Segments that are not plain names (keywords, names with other characters) are
    /// backquoted.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, segment) in self.segments().enumerate() {
            if i > 0 {
                f.write_char('.')?;
            }
            if is_plain_name(segment) {
                f.write_str(segment)?;
            } else {
                write!(f, "`{segment}`")?;
            }
        }
        Ok(())
    }
}
