//! The tokens of DynamoDB's PartiQL dialect, with where each one was written.

use super::syntax_error;
use crate::error::Error;
use crate::expr::scan::{is_word_byte, Lexeme, Scanner};

/// One token.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Token {
    /// An unquoted identifier, keyword or function name, as written.
    Word(String),
    /// A `"double-quoted"` identifier, unescaped (`""` is one `"`).
    Quoted(String),
    /// A `'single-quoted'` string literal, unescaped (`''` is one `'`).
    Str(String),
    /// A number literal as written, without sign: `12`, `1.5`, `.5`, `1e-3`.
    Number(String),
    /// A `?` parameter.
    Parameter,
    /// Punctuation and operators: `( ) [ ] { } , . : * = <> != < <= > >= + - << >>`.
    Symbol(&'static str),
}

impl Lexeme for Token {
    fn is_word(&self, keyword: &str) -> bool {
        matches!(self, Token::Word(w) if w.eq_ignore_ascii_case(keyword))
    }

    fn is_symbol(&self, symbol: &str) -> bool {
        matches!(self, Token::Symbol(s) if *s == symbol)
    }
}

/// A token and the byte range of the text it was read from.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Spanned {
    pub(super) token: Token,
    pub(super) start: usize,
    pub(super) end: usize,
}

/// The two- and one-character symbols, longest first.
const SYMBOLS: &[&str] = &[
    "<<", ">>", "<>", "!=", "<=", ">=", "(", ")", "[", "]", "{", "}", ",", ".", ":", "*", "=", "<",
    ">", "+", "-",
];

/// Splits a statement into tokens.
pub(super) fn tokenize(text: &str) -> Result<Vec<Spanned>, Error> {
    let bytes = text.as_bytes();
    let mut tokens = Vec::new();
    let mut scan = Scanner::new(text, 0);
    while let Some((start, b)) = scan.next_lexeme() {
        let token = if b == b'\'' || b == b'"' {
            let (value, end) = quoted(text, start).ok_or_else(|| {
                let what = if b == b'\'' {
                    "string literal"
                } else {
                    "quoted identifier"
                };
                syntax_error(text, start, &format!("unterminated {what}"))
            })?;
            scan.move_to(end);
            if b == b'\'' {
                Token::Str(value)
            } else {
                Token::Quoted(value)
            }
        } else if b.is_ascii_digit()
            || (b == b'.' && bytes.get(start + 1).is_some_and(u8::is_ascii_digit))
        {
            scan.move_to(number_end(bytes, start));
            if scan.peek().is_some_and(is_word_byte) {
                return Err(syntax_error(text, start, "malformed number"));
            }
            Token::Number(text[start..scan.offset()].to_string())
        } else if is_word_byte(b) {
            Token::Word(scan.take_while(is_word_byte).to_string())
        } else if b == b'?' {
            scan.skip(1);
            Token::Parameter
        } else {
            let symbol = SYMBOLS
                .iter()
                .find(|s| scan.rest().starts_with(**s))
                .ok_or_else(|| {
                    let ch = scan.rest().chars().next().unwrap_or('?');
                    syntax_error(text, start, &format!("unexpected character `{ch}`"))
                })?;
            scan.skip(symbol.len());
            Token::Symbol(symbol)
        };
        tokens.push(Spanned {
            token,
            start,
            end: scan.offset(),
        });
    }
    Ok(tokens)
}

/// The text of a quoted string or identifier starting at `start` (its quote character doubled
/// inside stands for itself), and the offset after its closing quote; `None` when unterminated.
fn quoted(text: &str, start: usize) -> Option<(String, usize)> {
    let quote = text.as_bytes()[start] as char;
    let mut out = String::new();
    let mut chars = text[start + 1..].char_indices().peekable();
    while let Some((offset, c)) = chars.next() {
        if c == quote {
            if chars.peek().is_some_and(|(_, next)| *next == quote) {
                chars.next();
                out.push(quote);
            } else {
                return Some((out, start + 1 + offset + 1));
            }
        } else {
            out.push(c);
        }
    }
    None
}

/// The end of a number literal starting at `i`: digits, an optional fraction and an optional
/// exponent.
fn number_end(bytes: &[u8], mut i: usize) -> usize {
    let digits = |mut i: usize| {
        while i < bytes.len() && bytes[i].is_ascii_digit() {
            i += 1;
        }
        i
    };
    i = digits(i);
    if bytes.get(i) == Some(&b'.') {
        i = digits(i + 1);
    }
    if matches!(bytes.get(i), Some(b'e' | b'E')) {
        let mut j = i + 1;
        if matches!(bytes.get(j), Some(b'+' | b'-')) {
            j += 1;
        }
        if bytes.get(j).is_some_and(u8::is_ascii_digit) {
            i = digits(j);
        }
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens(text: &str) -> Vec<Token> {
        tokenize(text)
            .unwrap()
            .into_iter()
            .map(|s| s.token)
            .collect()
    }

    #[test]
    fn reads_every_kind_of_token() {
        assert_eq!(
            tokens(r#"SELECT "a""b".c FROM t WHERE x <> 'it''s' AND n >= 1.5e-3 AND s = <<?>>"#),
            vec![
                Token::Word("SELECT".into()),
                Token::Quoted("a\"b".into()),
                Token::Symbol("."),
                Token::Word("c".into()),
                Token::Word("FROM".into()),
                Token::Word("t".into()),
                Token::Word("WHERE".into()),
                Token::Word("x".into()),
                Token::Symbol("<>"),
                Token::Str("it's".into()),
                Token::Word("AND".into()),
                Token::Word("n".into()),
                Token::Symbol(">="),
                Token::Number("1.5e-3".into()),
                Token::Word("AND".into()),
                Token::Word("s".into()),
                Token::Symbol("="),
                Token::Symbol("<<"),
                Token::Parameter,
                Token::Symbol(">>"),
            ]
        );
        assert_eq!(
            tokens("a[0].b != .5"),
            vec![
                Token::Word("a".into()),
                Token::Symbol("["),
                Token::Number("0".into()),
                Token::Symbol("]"),
                Token::Symbol("."),
                Token::Word("b".into()),
                Token::Symbol("!="),
                Token::Number(".5".into()),
            ]
        );
    }

    #[test]
    fn rejects_what_it_cannot_read() {
        for bad in ["'open", "\"open", "a ; b", "1abc", "a # b"] {
            let err = tokenize(bad).unwrap_err().to_string();
            assert!(
                err.contains("Statement wasn't well formed, can't be processed"),
                "{bad}: {err}"
            );
        }
        let err = tokenize("x = 'é").unwrap_err().to_string();
        assert!(err.contains("unterminated string literal at 1:5"), "{err}");
    }
}
