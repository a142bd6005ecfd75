//! Recursive-descent parser for the filter grammar of spec/filter-language.md.
//!
//! Recursion happens only at `(` and `not`, and both count against the nesting limit before
//! recursing, so the stack depth is bounded by the limit whatever the input.

use std::borrow::Cow;
use std::sync::Arc;

use super::FilterLimits;
use super::ast::{Expr, Path, Pattern, Predicate, Test};
use super::error::ParseError;
use super::lexer::{Token, tokenize};
use crate::value::Value;

pub(crate) fn parse(text: &str, limits: &FilterLimits) -> Result<Expr, ParseError> {
    if text.len() > limits.max_len {
        return Err(ParseError::new(
            limits.max_len,
            format!(
                "the filter is {} bytes, over the limit of {} bytes",
                text.len(),
                limits.max_len
            ),
        ));
    }
    let tokens = tokenize(text)?;
    let mut parser = Parser {
        tokens,
        pos: 0,
        depth: 0,
        predicates: 0,
        limits,
        last_path: None,
    };
    let expr = parser.or()?;
    match parser.peek() {
        Token::End => Ok(expr),
        Token::RParen => Err(parser.error_here("unbalanced ')': no '(' to close")),
        found => {
            let message = format!(
                "expected '&&', '||' or the end of the filter, found {}",
                found.describe()
            );
            Err(parser.error_here(message))
        }
    }
}

struct Parser<'t, 'l> {
    tokens: Vec<(usize, Token<'t>)>,
    pos: usize,
    depth: usize,
    predicates: usize,
    limits: &'l FilterLimits,
    /// The one-segment path parsed last: a range is two predicates on one attribute, one after
    /// the other, and the second shares the first's key instead of allocating its own.
    last_path: Option<Path>,
}

impl<'t> Parser<'t, '_> {
    fn peek(&self) -> &Token<'t> {
        &self.tokens[self.pos].1
    }

    fn offset(&self) -> usize {
        self.tokens[self.pos].0
    }

    /// Consumes the current token; never moves past `End`.
    fn advance(&mut self) {
        if *self.peek() != Token::End {
            self.pos += 1;
        }
    }

    fn error_here(&self, message: impl Into<String>) -> ParseError {
        ParseError::new(self.offset(), message)
    }

    fn expected(&self, what: &str) -> ParseError {
        self.error_here(format!("expected {what}, found {}", self.peek().describe()))
    }

    fn expect(&mut self, token: Token<'_>, what: &str) -> Result<(), ParseError> {
        if *self.peek() == token {
            self.advance();
            Ok(())
        } else {
            Err(self.expected(what))
        }
    }

    fn or(&mut self) -> Result<Expr, ParseError> {
        let mut operands = vec![self.and()?];
        while *self.peek() == Token::Or {
            self.advance();
            operands.push(self.and()?);
        }
        Ok(if operands.len() == 1 {
            operands.pop().expect("one operand")
        } else {
            Expr::Or(operands)
        })
    }

    fn and(&mut self) -> Result<Expr, ParseError> {
        let mut operands = vec![self.unary()?];
        while *self.peek() == Token::And {
            self.advance();
            operands.push(self.unary()?);
        }
        Ok(if operands.len() == 1 {
            operands.pop().expect("one operand")
        } else {
            Expr::And(operands)
        })
    }

    fn enter(&mut self) -> Result<(), ParseError> {
        if self.depth == self.limits.max_depth {
            return Err(self.error_here(format!(
                "the filter nests deeper than {} levels of parentheses and negations",
                self.limits.max_depth
            )));
        }
        self.depth += 1;
        Ok(())
    }

    /// A negation counts one level of nesting, and a parenthesis right after it belongs to
    /// it: `!(a && b)` is one level, as is `!a == 1`. So the canonical text, which writes every
    /// negated predicate as `!(p)`, never nests deeper than the text it was parsed from.
    fn unary(&mut self) -> Result<Expr, ParseError> {
        if *self.peek() == Token::Not {
            self.enter()?;
            self.advance();
            let operand = if *self.peek() == Token::LParen {
                self.group()?
            } else {
                self.unary()?
            };
            self.depth -= 1;
            return Ok(Expr::Not(Box::new(operand)));
        }
        self.primary()
    }

    /// A parenthesized filter; the caller has counted its level.
    fn group(&mut self) -> Result<Expr, ParseError> {
        let open = self.offset();
        self.advance();
        let inner = self.or()?;
        if *self.peek() != Token::RParen {
            let found = self.peek().describe();
            return Err(self.error_here(format!(
                "expected ')' to close the '(' at {open}, found {found}"
            )));
        }
        self.advance();
        Ok(inner)
    }

    fn primary(&mut self) -> Result<Expr, ParseError> {
        match self.peek() {
            Token::LParen => {
                self.enter()?;
                let inner = self.group()?;
                self.depth -= 1;
                Ok(inner)
            }
            Token::True => {
                self.advance();
                Ok(Expr::Const(true))
            }
            Token::False => {
                self.advance();
                Ok(Expr::Const(false))
            }
            Token::Exists => {
                self.count_predicate()?;
                self.advance();
                self.expect(Token::LParen, "'(' after 'exists'")?;
                let path = self.path()?;
                self.expect(Token::RParen, "')' to close 'exists('")?;
                Ok(Expr::Pred(Predicate {
                    path,
                    test: Test::Exists,
                }))
            }
            Token::Name { .. } => {
                self.count_predicate()?;
                let path = self.path()?;
                let test = self.test()?;
                Ok(Expr::Pred(Predicate { path, test }))
            }
            Token::In
            | Token::Prefix
            | Token::Suffix
            | Token::Contains
            | Token::And
            | Token::Or => {
                let word = self.peek().describe();
                Err(self.error_here(format!(
                    "expected an attribute name, 'exists', 'true', 'false', '!' or '(', found {word} \
                     (write a name that is a keyword in backquotes, as in `in`)"
                )))
            }
            _ => Err(self.expected("an attribute name, 'exists', 'true', 'false', '!' or '('")),
        }
    }

    fn count_predicate(&mut self) -> Result<(), ParseError> {
        if self.predicates == self.limits.max_predicates {
            return Err(self.error_here(format!(
                "the filter has more than {} predicates",
                self.limits.max_predicates
            )));
        }
        self.predicates += 1;
        Ok(())
    }

    /// A dotted path; most are a single name, built without collecting segments.
    fn path(&mut self) -> Result<Path, ParseError> {
        let first = self.name()?;
        if *self.peek() == Token::Dot {
            let mut segments = vec![first];
            while *self.peek() == Token::Dot {
                self.advance();
                segments.push(self.name()?);
            }
            return Ok(Path::from_segments(&segments));
        }
        let path = match &self.last_path {
            Some(last) if last.is_single(first) => last.clone(),
            _ => Path::from_segments(&[first]),
        };
        self.last_path = Some(path.clone());
        Ok(path)
    }

    fn name(&mut self) -> Result<&'t str, ParseError> {
        let Token::Name { text, .. } = *self.peek() else {
            return Err(self.expected("an attribute name"));
        };
        self.advance();
        Ok(text)
    }

    fn test(&mut self) -> Result<Test, ParseError> {
        let operator = self.peek().clone();
        match operator {
            Token::Cmp(op) => {
                self.advance();
                let literal = self.literal(&operator)?;
                if op.is_ordering() && matches!(literal, (_, Value::Bool(_))) {
                    return Err(ParseError::new(
                        literal.0,
                        format!(
                            "a bool can only be compared with '==' or '!=', not {}",
                            operator.describe()
                        ),
                    ));
                }
                Ok(Test::Cmp(op, literal.1))
            }
            Token::In => {
                self.advance();
                self.expect(Token::LBracket, "'[' after 'in'")?;
                if *self.peek() == Token::RBracket {
                    return Err(self.error_here("an 'in' list needs at least one literal"));
                }
                let mut literals = vec![self.literal(&Token::LBracket)?.1];
                while *self.peek() == Token::Comma {
                    self.advance();
                    literals.push(self.literal(&Token::Comma)?.1);
                }
                self.expect(Token::RBracket, "',' or ']' in the 'in' list")?;
                Ok(Test::In(literals.into()))
            }
            Token::RegexMatch => {
                self.advance();
                let (offset, source) = self.string(&operator)?;
                let regex = regex::RegexBuilder::new(&source)
                    .size_limit(self.limits.max_regex_size)
                    .dfa_size_limit(self.limits.max_regex_size)
                    .build()
                    .map_err(|e| ParseError::new(offset, regex_error(&e)))?;
                Ok(Test::Regex(Pattern(Arc::new(regex))))
            }
            Token::Prefix => {
                self.advance();
                Ok(Test::Prefix(self.string(&operator)?.1.into()))
            }
            Token::Suffix => {
                self.advance();
                Ok(Test::Suffix(self.string(&operator)?.1.into()))
            }
            Token::Contains => {
                self.advance();
                Ok(Test::Contains(self.string(&operator)?.1.into()))
            }
            _ => Err(self.expected(
                "an operator after the attribute name (== != < <= > >= in =~ prefix suffix contains)",
            )),
        }
    }

    fn literal(&mut self, after: &Token<'_>) -> Result<(usize, Value), ParseError> {
        let offset = self.offset();
        let value = match self.peek() {
            Token::Int(i) => Value::Int(*i),
            Token::Float(f) => Value::Float(*f),
            Token::Str(s) => Value::Str(s.as_ref().into()),
            Token::True => Value::Bool(true),
            Token::False => Value::Bool(false),
            _ => return Err(self.expected(&format!("a literal after {}", after.describe()))),
        };
        self.advance();
        Ok((offset, value))
    }

    fn string(&mut self, after: &Token<'_>) -> Result<(usize, Cow<'t, str>), ParseError> {
        let offset = self.offset();
        let Token::Str(s) = self.peek() else {
            return Err(self.expected(&format!("a string after {}", after.describe())));
        };
        let s = s.clone();
        self.advance();
        Ok((offset, s))
    }
}

/// The regex crate's message, on one line.
fn regex_error(error: &regex::Error) -> String {
    match error {
        regex::Error::CompiledTooBig(limit) => {
            format!("the regular expression compiles to more than the limit of {limit} bytes")
        }
        other => {
            let text = other.to_string();
            let detail = text
                .lines()
                .rev()
                .find(|l| !l.trim().is_empty())
                .unwrap_or("")
                .trim();
            format!(
                "invalid regular expression: {}",
                detail.trim_start_matches("error: ")
            )
        }
    }
}
