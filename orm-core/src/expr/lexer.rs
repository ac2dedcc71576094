//! The tokens of DynamoDB's expression language, and its syntax errors.

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

    /// Whether this is the bare word `keyword` (case-insensitive).
    pub(crate) fn is_word(&self, keyword: &str) -> bool {
        matches!(self, Token::Word(w) if w.eq_ignore_ascii_case(keyword))
    }
}

/// Splits `text` (the expression `clause` names in errors) into tokens and their byte offsets.
pub(crate) fn tokenize(text: &str, kind: &str) -> Result<Vec<(Token, usize)>, Error> {
    let bytes = text.as_bytes();
    let mut tokens = Vec::new();
    let mut i = 0;
    let word_char = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    while i < bytes.len() {
        let b = bytes[i];
        let start = i;
        if b.is_ascii_whitespace() {
            i += 1;
            continue;
        }
        let token = if b == b'#' || b == b':' {
            i += 1;
            while i < bytes.len() && word_char(bytes[i]) {
                i += 1;
            }
            if i == start + 1 {
                let previous = tokens.last().map(|(_, at)| *at);
                return Err(syntax(
                    kind,
                    text,
                    &(b as char).to_string(),
                    start,
                    previous,
                ));
            }
            let name = text[start + 1..i].to_string();
            if b == b'#' {
                Token::Name(name)
            } else {
                Token::Value(name)
            }
        } else if b.is_ascii_digit() {
            while i < bytes.len() && bytes[i].is_ascii_digit() {
                i += 1;
            }
            Token::Number(text[start..i].to_string())
        } else if word_char(b) {
            while i < bytes.len() && word_char(bytes[i]) {
                i += 1;
            }
            Token::Word(text[start..i].to_string())
        } else {
            let two = text.get(i..i + 2).unwrap_or("");
            let symbol = match two {
                "<>" => Some("<>"),
                "<=" => Some("<="),
                ">=" => Some(">="),
                _ => None,
            };
            if let Some(s) = symbol {
                i += 2;
                Token::Symbol(s)
            } else {
                i += 1;
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
                        let previous = tokens.last().map(|(_, at)| *at);
                        return Err(syntax(kind, text, &ch.to_string(), start, previous));
                    }
                })
            }
        };
        tokens.push((token, start));
    }
    Ok(tokens)
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
    let bytes = text.as_bytes();
    let word_char = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let start = (from..bytes.len()).find(|&i| !bytes[i].is_ascii_whitespace())?;
    let b = bytes[start];
    let run = |from: usize, pred: &dyn Fn(u8) -> bool| {
        (from..bytes.len())
            .find(|&i| !pred(bytes[i]))
            .unwrap_or(bytes.len())
    };
    Some(if b == b'#' || b == b':' {
        run(start + 1, &word_char)
    } else if b.is_ascii_digit() {
        run(start, &|b: u8| b.is_ascii_digit())
    } else if word_char(b) {
        run(start, &word_char)
    } else if matches!(text.get(start..start + 2), Some("<>" | "<=" | ">=")) {
        start + 2
    } else {
        start + text[start..].chars().next().map_or(1, char::len_utf8)
    })
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
