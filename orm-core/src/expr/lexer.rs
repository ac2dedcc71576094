//! The tokens of DynamoDB's expression language, and its syntax errors.

use super::scan::{is_word_byte, Lexeme, Scanner};
use crate::error::Error;

/// One token.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Token {
    /// A bare attribute name, keyword or function name.
    Word(String),
    /// `#name`.
    Name(String),
    /// `:value`.
    Value(String),
    /// A list index inside `[...]`.
    Number(String),
    /// Punctuation and operators: `( ) [ ] , . = <> < <= > >= + -`.
    Symbol(&'static str),
}

impl Token {
    /// The token as written.
    pub(crate) fn text(&self) -> String {
        match self {
            Token::Word(w) | Token::Number(w) => w.clone(),
            Token::Name(n) => format!("#{n}"),
            Token::Value(v) => format!(":{v}"),
            Token::Symbol(s) => (*s).to_string(),
        }
    }
}

impl Lexeme for Token {
    fn is_word(&self, keyword: &str) -> bool {
        matches!(self, Token::Word(w) if w.eq_ignore_ascii_case(keyword))
    }

    fn is_symbol(&self, symbol: &str) -> bool {
        matches!(self, Token::Symbol(s) if *s == symbol)
    }
}

/// Splits `text` (the expression `clause` names in errors) into tokens and their byte offsets.
pub(crate) fn tokenize(text: &str, kind: &str) -> Result<Vec<(Token, usize)>, Error> {
    let mut tokens: Vec<(Token, usize)> = Vec::new();
    let mut scan = Scanner::new(text, 0);
    while let Some((start, b)) = scan.next_lexeme() {
        let previous = || tokens.last().map(|(_, at)| *at);
        let token = if b == b'#' || b == b':' {
            scan.skip(1);
            let name = scan.take_while(is_word_byte).to_string();
            if name.is_empty() {
                let token = (b as char).to_string();
                return Err(syntax(kind, text, &token, start, previous()));
            }
            if b == b'#' {
                Token::Name(name)
            } else {
                Token::Value(name)
            }
        } else if b.is_ascii_digit() {
            Token::Number(scan.take_while(|b| b.is_ascii_digit()).to_string())
        } else if is_word_byte(b) {
            Token::Word(scan.take_while(is_word_byte).to_string())
        } else if let Some(two) = two_byte_symbol(scan.rest()) {
            scan.skip(2);
            Token::Symbol(two)
        } else {
            scan.skip(1);
            Token::Symbol(match b {
                b'(' => "(",
                b')' => ")",
                b'[' => "[",
                b']' => "]",
                b',' => ",",
                b'.' => ".",
                b'=' => "=",
                b'<' => "<",
                b'>' => ">",
                b'+' => "+",
                b'-' => "-",
                _ => {
                    let ch = text[start..].chars().next().unwrap_or('?');
                    return Err(syntax(kind, text, &ch.to_string(), start, previous()));
                }
            })
        };
        tokens.push((token, start));
    }
    Ok(tokens)
}

/// The two-byte symbol `rest` starts with, if any.
fn two_byte_symbol(rest: &str) -> Option<&'static str> {
    ["<>", "<=", ">="].into_iter().find(|s| rest.starts_with(s))
}

/// DynamoDB's syntax error at the token `token` at byte `at` (`<EOF>` at the end), whose
/// previous token starts at byte `previous`: `near` quotes the text from the previous token to
/// the next one, so `a b` (at `b`) is near `a b`, `INVALID SYNTAX HERE` (at `INVALID`) near
/// `INVALID SYNTAX`, `!!!` (at the first `!`) near `!!`, and `pk = :v AND` (at `<EOF>`) near
/// `AND`.
pub(crate) fn syntax(
    kind: &str,
    text: &str,
    token: &str,
    at: usize,
    previous: Option<usize>,
) -> Error {
    let start = previous.unwrap_or(at).min(text.len());
    let end = if at >= text.len() {
        text.len()
    } else {
        let after = (at + token.len()).min(text.len());
        next_lexeme_end(text, after).unwrap_or(after)
    };
    Error::validation(format!(
        "Invalid {kind}: Syntax error; token: \"{token}\", near: \"{}\"",
        &text[start..end]
    ))
}

/// The end of the lexeme after byte `from` (whitespace skipped), scanned as [`tokenize`] scans
/// tokens; `None` when only whitespace is left.
fn next_lexeme_end(text: &str, from: usize) -> Option<usize> {
    let mut scan = Scanner::new(text, from);
    let (start, b) = scan.next_lexeme()?;
    if b == b'#' || b == b':' {
        scan.skip(1);
        scan.take_while(is_word_byte);
    } else if b.is_ascii_digit() {
        scan.take_while(|b| b.is_ascii_digit());
    } else if is_word_byte(b) {
        scan.take_while(is_word_byte);
    } else if two_byte_symbol(scan.rest()).is_some() {
        scan.skip(2);
    } else {
        scan.skip(text[start..].chars().next().map_or(1, char::len_utf8));
    }
    Some(scan.offset())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn near(text: &str) -> String {
        let message = tokenize(text, "ProjectionExpression")
            .unwrap_err()
            .to_string();
        message[message.find("token:").unwrap()..].to_string()
    }

    #[test]
    fn syntax_errors_quote_the_tokens_around_the_bad_one() {
        assert_eq!(near("!!!"), "token: \"!\", near: \"!!\"");
        assert_eq!(near("!!! INVALID !!!"), "token: \"!\", near: \"!!\"");
        assert_eq!(near("a, b ! c"), "token: \"!\", near: \"b ! c\"");
        assert_eq!(near("a !"), "token: \"!\", near: \"a !\"");
        assert_eq!(near("a ! :bc"), "token: \"!\", near: \"a ! :bc\"");
        assert_eq!(near("é"), "token: \"é\", near: \"é\"");
        let eof = syntax("UpdateExpression", "SET a =", "<EOF>", 7, Some(6)).to_string();
        assert!(eof.ends_with("token: \"<EOF>\", near: \"=\""), "{eof}");
    }
}
