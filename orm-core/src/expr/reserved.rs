//! DynamoDB's reserved words: a bare attribute name in an expression must not be one of them
//! (write it as a `#name` placeholder instead, as [`render`](super::render) always does).
//!
//! ```
//! use orm_core::expr::reserved::is_reserved;
//! assert!(is_reserved("status") && is_reserved("Name"));
//! assert!(!is_reserved("title"));
//! ```

use std::sync::OnceLock;

/// The 573 words.
static WORDS: WordList = WordList::new(include_str!("reserved_words.txt"));

/// Whether `word` is one of DynamoDB's 573 reserved words (case-insensitive).
pub fn is_reserved(word: &str) -> bool {
    WORDS.contains(word)
}

/// A list of reserved words, upper case, sorted, one a line (a `reserved_words.txt`: this
/// language's and PartiQL's), looked up case-insensitively.
#[derive(Debug)]
pub(crate) struct WordList {
    text: &'static str,
    sorted: OnceLock<Vec<&'static str>>,
}

impl WordList {
    /// The words of `text`, one a line.
    pub(crate) const fn new(text: &'static str) -> Self {
        WordList {
            text,
            sorted: OnceLock::new(),
        }
    }

    /// Whether `word` is one of the words (case-insensitive).
    pub(crate) fn contains(&self, word: &str) -> bool {
        let sorted = self.sorted.get_or_init(|| self.text.lines().collect());
        sorted
            .binary_search(&word.to_ascii_uppercase().as_str())
            .is_ok()
    }

    /// Checks that the list has `count` words, upper case, sorted and distinct (the lookup's
    /// binary search needs them so).
    #[cfg(test)]
    pub(crate) fn assert_well_formed(&self, count: usize) {
        let lines: Vec<&str> = self.text.lines().collect();
        assert_eq!(lines.len(), count);
        assert!(
            lines.windows(2).all(|w| w[0] < w[1]),
            "sorted, no duplicates"
        );
        assert!(lines.iter().all(|w| *w == w.to_ascii_uppercase()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reserved_words_are_known() {
        assert!(is_reserved("status") && is_reserved("STATUS") && is_reserved("Name"));
        assert!(!is_reserved("title") && !is_reserved("pk"));
        WORDS.assert_well_formed(573);
    }
}
