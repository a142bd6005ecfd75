//! The filter lexer: text to tokens, each with the byte offset where it starts.
//!
//! Tokens borrow their names and strings from the text (a string owns its text only when
//! escapes changed it): a routing overlay parses every filter it learns at every hop, and the
//! copies made there were most of the cost of parsing.

use std::borrow::Cow;

use super::error::ParseError;

#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Token<'t> {
    LParen,
    RParen,
    LBracket,
    RBracket,
    Comma,
    Dot,
    And,
    Or,
    Not,
    Cmp(CmpOp),
    RegexMatch,
    In,
    Exists,
    Prefix,
    Suffix,
    Contains,
    True,
    False,
    /// A plain or backquoted name. `quoted` keeps whether it was backquoted, which the parser
    /// needs only for error messages.
    Name {
        text: &'t str,
        quoted: bool,
    },
    Int(i64),
    Float(f64),
    Str(Cow<'t, str>),
    End,
}

/// The six comparison operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl CmpOp {
    pub fn symbol(self) -> &'static str {
        match self {
            CmpOp::Eq => "==",
            CmpOp::Ne => "!=",
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
        }
    }

    /// Whether the operator orders values (and so cannot take a bool).
    pub fn is_ordering(self) -> bool {
        !matches!(self, CmpOp::Eq | CmpOp::Ne)
    }
}

impl Token<'_> {
    /// How the token reads in an error message ("found ...").
    pub(crate) fn describe(&self) -> String {
        match self {
            Token::LParen => "'('".into(),
            Token::RParen => "')'".into(),
            Token::LBracket => "'['".into(),
            Token::RBracket => "']'".into(),
            Token::Comma => "','".into(),
            Token::Dot => "'.'".into(),
            Token::And => "'&&'".into(),
            Token::Or => "'||'".into(),
            Token::Not => "'!'".into(),
            Token::Cmp(op) => format!("'{}'", op.symbol()),
            Token::RegexMatch => "'=~'".into(),
            Token::In => "keyword 'in'".into(),
            Token::Exists => "keyword 'exists'".into(),
            Token::Prefix => "keyword 'prefix'".into(),
            Token::Suffix => "keyword 'suffix'".into(),
            Token::Contains => "keyword 'contains'".into(),
            Token::True => "'true'".into(),
            Token::False => "'false'".into(),
            Token::Name {
                text,
                quoted: false,
            } => format!("name '{text}'"),
            Token::Name { text, quoted: true } => format!("name `{text}`"),
            Token::Int(i) => format!("number {i}"),
            Token::Float(f) => format!("number {f}"),
            Token::Str(_) => "a string".into(),
            Token::End => "the end of the filter".into(),
        }
    }
}

/// Words the grammar reserves; `and`, `or` and `not` are alternative spellings of operators.
fn keyword(word: &str) -> Option<Token<'static>> {
    Some(match word {
        "and" => Token::And,
        "or" => Token::Or,
        "not" => Token::Not,
        "in" => Token::In,
        "exists" => Token::Exists,
        "prefix" => Token::Prefix,
        "suffix" => Token::Suffix,
        "contains" => Token::Contains,
        "true" => Token::True,
        "false" => Token::False,
        _ => return None,
    })
}

/// Whether `word` can be written as a plain (unquoted) name.
pub(crate) fn is_plain_name(word: &str) -> bool {
    let mut chars = word.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        && keyword(word).is_none()
}

/// Splits `text` into tokens, each paired with its starting byte offset. The last token is
/// always [`Token::End`] at `text.len()`.
pub(crate) fn tokenize(text: &str) -> Result<Vec<(usize, Token<'_>)>, ParseError> {
    let mut lexer = Lexer {
        text,
        bytes: text.as_bytes(),
        pos: 0,
    };
    // Tokens of a typical filter are three bytes or more with their spacing: sized so that
    // the vector rarely grows (a routing overlay parses every filter at every hop).
    let mut tokens = Vec::with_capacity(text.len() / 3 + 2);
    loop {
        lexer.skip_whitespace();
        let start = lexer.pos;
        let token = lexer.next_token()?;
        let end = token == Token::End;
        tokens.push((start, token));
        if end {
            return Ok(tokens);
        }
    }
}

struct Lexer<'t> {
    text: &'t str,
    bytes: &'t [u8],
    pos: usize,
}

impl<'t> Lexer<'t> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn peek_at(&self, ahead: usize) -> Option<u8> {
        self.bytes.get(self.pos + ahead).copied()
    }

    /// Skips Unicode whitespace; ASCII, by far the most common, without decoding characters.
    fn skip_whitespace(&mut self) {
        while let Some(b) = self.peek() {
            if b.is_ascii() {
                if !char::from(b).is_whitespace() {
                    return;
                }
                self.pos += 1;
            } else {
                match self.text[self.pos..].chars().next() {
                    Some(c) if c.is_whitespace() => self.pos += c.len_utf8(),
                    _ => return,
                }
            }
        }
    }

    fn next_token(&mut self) -> Result<Token<'t>, ParseError> {
        let start = self.pos;
        let Some(c) = self.peek() else {
            return Ok(Token::End);
        };
        let two = |lexer: &mut Self, token| {
            lexer.pos += 2;
            Ok(token)
        };
        let one = |lexer: &mut Self, token| {
            lexer.pos += 1;
            Ok(token)
        };
        match (c, self.peek_at(1)) {
            (b'(', _) => one(self, Token::LParen),
            (b')', _) => one(self, Token::RParen),
            (b'[', _) => one(self, Token::LBracket),
            (b']', _) => one(self, Token::RBracket),
            (b',', _) => one(self, Token::Comma),
            (b'.', _) => one(self, Token::Dot),
            (b'&', Some(b'&')) => two(self, Token::And),
            (b'|', Some(b'|')) => two(self, Token::Or),
            (b'=', Some(b'=')) => two(self, Token::Cmp(CmpOp::Eq)),
            (b'=', Some(b'~')) => two(self, Token::RegexMatch),
            (b'!', Some(b'=')) => two(self, Token::Cmp(CmpOp::Ne)),
            (b'!', _) => one(self, Token::Not),
            (b'<', Some(b'=')) => two(self, Token::Cmp(CmpOp::Le)),
            (b'<', _) => one(self, Token::Cmp(CmpOp::Lt)),
            (b'>', Some(b'=')) => two(self, Token::Cmp(CmpOp::Ge)),
            (b'>', _) => one(self, Token::Cmp(CmpOp::Gt)),
            (b'"', _) => self.string(),
            (b'`', _) => self.quoted_name(),
            (b'-', Some(d)) if d.is_ascii_digit() => self.number(),
            (d, _) if d.is_ascii_digit() => self.number(),
            (a, _) if a.is_ascii_alphabetic() || a == b'_' => Ok(self.word()),
            (b'&', _) => Err(ParseError::new(
                start,
                "expected '&&' (a single '&' is not an operator)",
            )),
            (b'|', _) => Err(ParseError::new(
                start,
                "expected '||' (a single '|' is not an operator)",
            )),
            (b'=', _) => Err(ParseError::new(
                start,
                "expected '==' or '=~' (a single '=' is not an operator)",
            )),
            _ => {
                let found = self.text[start..].chars().next().unwrap_or_default();
                Err(ParseError::new(
                    start,
                    format!("unexpected character {found:?}"),
                ))
            }
        }
    }

    fn word(&mut self) -> Token<'t> {
        let start = self.pos;
        while matches!(self.peek(), Some(c) if c.is_ascii_alphanumeric() || c == b'_' || c == b'-')
        {
            self.pos += 1;
        }
        let word = &self.text[start..self.pos];
        keyword(word).unwrap_or(Token::Name {
            text: word,
            quoted: false,
        })
    }

    fn quoted_name(&mut self) -> Result<Token<'t>, ParseError> {
        let start = self.pos;
        let Some(len) = self.text[start + 1..].find('`') else {
            return Err(ParseError::new(
                start,
                "unterminated backquoted name: expected a closing '`'",
            ));
        };
        if len == 0 {
            return Err(ParseError::new(
                start,
                "a backquoted name must not be empty",
            ));
        }
        let text = &self.text[start + 1..start + 1 + len];
        self.pos = start + len + 2;
        Ok(Token::Name { text, quoted: true })
    }

    fn digits(&mut self) -> usize {
        let start = self.pos;
        while matches!(self.peek(), Some(c) if c.is_ascii_digit()) {
            self.pos += 1;
        }
        self.pos - start
    }

    fn number(&mut self) -> Result<Token<'t>, ParseError> {
        let start = self.pos;
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        self.digits();
        let mut is_float = false;
        if self.peek() == Some(b'.') && matches!(self.peek_at(1), Some(c) if c.is_ascii_digit()) {
            is_float = true;
            self.pos += 1;
            self.digits();
            if matches!(self.peek(), Some(b'e' | b'E')) {
                let mark = self.pos;
                self.pos += 1;
                if matches!(self.peek(), Some(b'+' | b'-')) {
                    self.pos += 1;
                }
                if self.digits() == 0 {
                    return Err(ParseError::new(
                        mark,
                        "expected digits after the exponent 'e'",
                    ));
                }
            }
        }
        if matches!(self.peek(), Some(c) if c.is_ascii_alphabetic() || c == b'_') {
            return Err(ParseError::new(
                self.pos,
                "expected a separator after the number (a float needs digits on both sides of '.', \
                 as in 1.0e5)",
            ));
        }
        let literal = &self.text[start..self.pos];
        if is_float {
            match literal.parse::<f64>() {
                Ok(f) if f.is_finite() => Ok(Token::Float(f)),
                _ => Err(ParseError::new(
                    start,
                    format!("float {literal} is out of range"),
                )),
            }
        } else {
            literal.parse::<i64>().map(Token::Int).map_err(|_| {
                ParseError::new(
                    start,
                    format!(
                        "integer {literal} does not fit 64 bits (write it as a float: {literal}.0)"
                    ),
                )
            })
        }
    }

    /// A string literal: borrowed from the text up to its first escape, owned from there on.
    fn string(&mut self) -> Result<Token<'t>, ParseError> {
        let start = self.pos;
        let unterminated =
            || ParseError::new(start, "unterminated string: expected a closing '\"'");
        let body = start + 1;
        // '"' and '\\' are ASCII, so they never occur inside a multi-byte character.
        let plain = self.bytes[body..]
            .iter()
            .position(|&b| b == b'"' || b == b'\\')
            .ok_or_else(unterminated)?;
        self.pos = body + plain;
        if self.bytes[self.pos] == b'"' {
            self.pos += 1;
            return Ok(Token::Str(Cow::Borrowed(&self.text[body..body + plain])));
        }
        let mut out = self.text[body..self.pos].to_string();
        loop {
            let Some(c) = self.text[self.pos..].chars().next() else {
                return Err(unterminated());
            };
            match c {
                '"' => {
                    self.pos += 1;
                    return Ok(Token::Str(Cow::Owned(out)));
                }
                '\\' => out.push(self.escape()?),
                c => {
                    self.pos += c.len_utf8();
                    out.push(c);
                }
            }
        }
    }

    /// Reads one escape sequence starting at the backslash.
    fn escape(&mut self) -> Result<char, ParseError> {
        let start = self.pos;
        self.pos += 1;
        let simple = match self.peek() {
            Some(b'"') => Some('"'),
            Some(b'\\') => Some('\\'),
            Some(b'n') => Some('\n'),
            Some(b't') => Some('\t'),
            Some(b'r') => Some('\r'),
            Some(b'u') => None,
            _ => {
                return Err(ParseError::new(
                    start,
                    "invalid escape: expected one of \\\" \\\\ \\n \\t \\r \\u{HEX}",
                ));
            }
        };
        self.pos += 1;
        if let Some(c) = simple {
            return Ok(c);
        }
        if self.peek() != Some(b'{') {
            return Err(ParseError::new(
                start,
                "invalid escape: expected '{' after \\u, as in \\u{e9}",
            ));
        }
        self.pos += 1;
        let digits_start = self.pos;
        while matches!(self.peek(), Some(c) if c.is_ascii_hexdigit()) {
            self.pos += 1;
        }
        let digits = &self.text[digits_start..self.pos];
        if digits.is_empty() || self.peek() != Some(b'}') {
            return Err(ParseError::new(
                start,
                "invalid escape: expected hex digits and '}' after \\u{",
            ));
        }
        self.pos += 1;
        u32::from_str_radix(digits, 16)
            .ok()
            .and_then(char::from_u32)
            .ok_or_else(|| {
                ParseError::new(
                    start,
                    format!("\\u{{{digits}}} is not a Unicode scalar value"),
                )
            })
    }
}
