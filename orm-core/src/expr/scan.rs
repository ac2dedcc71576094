//! What the two readers of DynamoDB's text share: the expression language's (`lexer.rs`,
//! `parse.rs`) and PartiQL's (`partiql/lexer.rs`, `partiql/parse.rs`). A [`Scanner`] walks the
//! text lexeme by lexeme for the lexers; [`TokenWalk`] gives the recursive-descent parsers
//! their keyword and symbol tests and the rule both languages read `a OR b AND c` by.

use super::ast::Condition;
use crate::error::{Error, Result};

/// Whether `b` can be part of a bare word (a name, keyword or function name) in both languages.
pub(crate) fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// A position in text being split into lexemes, always on a character boundary.
pub(crate) struct Scanner<'a> {
    text: &'a str,
    at: usize,
}

impl<'a> Scanner<'a> {
    /// A scanner at byte `at` of `text`.
    pub(crate) fn new(text: &'a str, at: usize) -> Self {
        Scanner { text, at }
    }

    /// Skips whitespace: the offset of the next lexeme and its first byte, or `None` at the end.
    pub(crate) fn next_lexeme(&mut self) -> Option<(usize, u8)> {
        self.take_while(|b| b.is_ascii_whitespace());
        let b = *self.text.as_bytes().get(self.at)?;
        Some((self.at, b))
    }

    /// The offset of the scanner.
    pub(crate) fn offset(&self) -> usize {
        self.at
    }

    /// The text from the scanner on.
    pub(crate) fn rest(&self) -> &'a str {
        &self.text[self.at..]
    }

    /// The byte at the scanner, if any.
    pub(crate) fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.at).copied()
    }

    /// Moves the scanner to byte `at` (a lexeme's end, found by a lexer's own rule).
    pub(crate) fn move_to(&mut self, at: usize) {
        self.at = at;
    }

    /// Moves past the next `n` bytes (ASCII, or a whole character).
    pub(crate) fn skip(&mut self, n: usize) {
        self.at += n;
    }

    /// Moves past the bytes `keep` holds for, returning them.
    pub(crate) fn take_while(&mut self, keep: impl Fn(u8) -> bool) -> &'a str {
        let start = self.at;
        let bytes = self.text.as_bytes();
        while self.at < bytes.len() && keep(bytes[self.at]) {
            self.at += 1;
        }
        &self.text[start..self.at]
    }
}

/// A token a parser tests for keywords and symbols.
pub(crate) trait Lexeme {
    /// Whether this is the bare word `keyword` (case-insensitive).
    fn is_word(&self, keyword: &str) -> bool;
    /// Whether this is the symbol `symbol`.
    fn is_symbol(&self, symbol: &str) -> bool;
}

/// A recursive-descent parser's walk over its tokens, front to back: a parser says how to look
/// ahead, step and report a missing token, and gets the tests and expectations built on them.
pub(crate) trait TokenWalk: Sized {
    /// The parser's token.
    type Token: Lexeme;

    /// The token `n` after the current one (`0`: the current one).
    fn peek_at(&self, n: usize) -> Option<&Self::Token>;

    /// Moves past the current token.
    fn advance(&mut self);

    /// The syntax error for the current token where `what` (a keyword, a `` `symbol` ``) was
    /// expected.
    fn expected(&self, what: &str) -> Error;

    /// The current token.
    fn peek(&self) -> Option<&Self::Token> {
        self.peek_at(0)
    }

    /// Moves past the current token if it is the bare word `keyword`.
    fn eat_word(&mut self, keyword: &str) -> bool {
        let found = self.peek().is_some_and(|t| t.is_word(keyword));
        if found {
            self.advance();
        }
        found
    }

    /// Moves past the current token if it is `symbol`.
    fn eat_symbol(&mut self, symbol: &str) -> bool {
        let found = self.peek().is_some_and(|t| t.is_symbol(symbol));
        if found {
            self.advance();
        }
        found
    }

    /// Moves past the bare word `keyword`, or fails.
    fn expect_word(&mut self, keyword: &str) -> Result<()> {
        if self.eat_word(keyword) {
            Ok(())
        } else {
            Err(self.expected(keyword))
        }
    }

    /// Moves past `symbol`, or fails.
    fn expect_symbol(&mut self, symbol: &str) -> Result<()> {
        if self.eat_symbol(symbol) {
            Ok(())
        } else {
            Err(self.expected(&format!("`{symbol}`")))
        }
    }

    /// `term (keyword term)*`, the terms joined by `join` when there are several: how both
    /// languages read `a OR b` (of `AND` terms) and `a AND b` (of `NOT` terms), so `OR` binds
    /// loosest.
    fn joined(
        &mut self,
        keyword: &str,
        term: fn(&mut Self) -> Result<Condition>,
        join: fn(Vec<Condition>) -> Condition,
    ) -> Result<Condition> {
        let mut terms = vec![term(self)?];
        while self.eat_word(keyword) {
            terms.push(term(self)?);
        }
        Ok(if terms.len() == 1 {
            terms.remove(0)
        } else {
            join(terms)
        })
    }
}
