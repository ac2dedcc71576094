//! DynamoDB's reserved words: a bare attribute name in an expression must not be one of them
//! (write it as a `#name` placeholder instead, as [`render`](super::render) always does).
//!
//! ```
//! use orm_core::expr::reserved::is_reserved;
//! assert!(is_reserved("status") && is_reserved("Name"));
//! assert!(!is_reserved("title"));
//! ```

/// The 573 words, upper case, sorted, one a line.
const WORDS: &str = include_str!("reserved_words.txt");

/// Whether `word` is one of DynamoDB's 573 reserved words (case-insensitive).
pub fn is_reserved(word: &str) -> bool {
    static SORTED: std::sync::OnceLock<Vec<&'static str>> = std::sync::OnceLock::new();
    let sorted = SORTED.get_or_init(|| WORDS.lines().collect());
    sorted
        .binary_search(&word.to_ascii_uppercase().as_str())
        .is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reserved_words_are_known() {
        assert!(is_reserved("status") && is_reserved("STATUS") && is_reserved("Name"));
        assert!(!is_reserved("title") && !is_reserved("pk"));
        assert_eq!(WORDS.lines().count(), 573);
        let lines: Vec<&str> = WORDS.lines().collect();
        assert!(
            lines.windows(2).all(|w| w[0] < w[1]),
            "sorted, no duplicates"
        );
        assert!(lines.iter().all(|w| *w == w.to_ascii_uppercase()));
    }
}
