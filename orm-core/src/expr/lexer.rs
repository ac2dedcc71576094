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
                return Err(syntax(kind, text, &(b as char).to_string(), start));
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
                        return Err(syntax(kind, text, &ch.to_string(), start));
                    }
                })
            }
        };
        tokens.push((token, start));
    }
    Ok(tokens)
}

/// DynamoDB's syntax error at byte `at`: the token, and the text around it.
pub(crate) fn syntax(kind: &str, text: &str, token: &str, at: usize) -> Error {
    let from = text[..at.min(text.len())]
        .char_indices()
        .rev()
        .nth(10)
        .map(|(i, _)| i)
        .unwrap_or(0);
    let to = (at + token.len() + 10).min(text.len());
    let to = (to..=text.len())
        .find(|&i| text.is_char_boundary(i))
        .unwrap_or(text.len());
    Error::validation(format!(
        "Invalid {kind}: Syntax error; token: \"{token}\", near: \"{}\"",
        &text[from..to]
    ))
}
