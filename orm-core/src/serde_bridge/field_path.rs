//! Where in an item a value sits, for the bridge's error messages, and the error type the bridge
//! uses internally.
//!
//! Not an expression path (that is [`crate::expr::Path`], which names attributes in conditions
//! and updates): a [`FieldPath`] is a chain of segments linked to their parents on the stack: building one costs
//! nothing, and it is rendered to text (`orders[3].total`) only when an error happens.

use std::fmt::{self, Write as _};

/// One position in a value tree: the root, a map key (or struct field, or enum variant) under a
/// parent, or a list index under a parent.
#[derive(Debug, Clone, Copy)]
pub(crate) enum FieldPath<'a> {
    /// The value being converted itself.
    Root,
    /// A map entry, struct field or externally tagged enum variant.
    Key(&'a FieldPath<'a>, &'a str),
    /// A list element (or set member).
    Index(&'a FieldPath<'a>, usize),
}

impl FieldPath<'_> {
    /// Renders the path for an error message: `orders[3].total`, empty for the root.
    pub(crate) fn render(&self) -> String {
        let mut out = String::new();
        self.write_to(&mut out);
        out
    }

    fn write_to(&self, out: &mut String) {
        match *self {
            FieldPath::Root => {}
            FieldPath::Key(parent, key) => {
                parent.write_to(out);
                if is_plain_key(key) {
                    if !out.is_empty() {
                        out.push('.');
                    }
                    out.push_str(key);
                } else {
                    // Keys that would make the path ambiguous are quoted: `tags["a.b"]`.
                    let _ = write!(out, "[{key:?}]");
                }
            }
            FieldPath::Index(parent, index) => {
                parent.write_to(out);
                let _ = write!(out, "[{index}]");
            }
        }
    }
}

/// Whether a key can be written bare in a path (it cannot be confused with path syntax).
fn is_plain_key(key: &str) -> bool {
    !key.is_empty()
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'#' | b'$' | b':'))
}

/// The error both directions of the bridge produce: a message and, once known, the path of the
/// value it is about. Boxed so that `Result`s stay one word wide on the success path.
pub(crate) struct BridgeError(Box<Inner>);

struct Inner {
    path: Option<String>,
    message: String,
}

impl BridgeError {
    /// An error whose path is not known yet (the caller that knows it attaches it).
    pub(crate) fn new(message: impl Into<String>) -> BridgeError {
        BridgeError(Box::new(Inner {
            path: None,
            message: message.into(),
        }))
    }

    /// Attaches `path` unless a deeper (more precise) path is already attached.
    #[cold]
    pub(crate) fn at(mut self, path: &FieldPath<'_>) -> BridgeError {
        if self.0.path.is_none() {
            self.0.path = Some(path.render());
        }
        self
    }
}

impl fmt::Display for BridgeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0.path {
            Some(p) => write!(f, "{p}: {}", self.0.message),
            None => f.write_str(&self.0.message),
        }
    }
}

impl fmt::Debug for BridgeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BridgeError")
            .field("path", &self.0.path)
            .field("message", &self.0.message)
            .finish()
    }
}

impl std::error::Error for BridgeError {}

impl serde::ser::Error for BridgeError {
    #[cold]
    fn custom<T: fmt::Display>(msg: T) -> Self {
        BridgeError::new(msg.to_string())
    }
}

impl serde::de::Error for BridgeError {
    #[cold]
    fn custom<T: fmt::Display>(msg: T) -> Self {
        BridgeError::new(msg.to_string())
    }
}

impl From<BridgeError> for crate::error::Error {
    fn from(e: BridgeError) -> Self {
        let inner = *e.0;
        crate::error::Error::Serde {
            path: inner.path.unwrap_or_default(),
            message: inner.message,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_paths() {
        let root = FieldPath::Root;
        assert_eq!(root.render(), "");
        let orders = FieldPath::Key(&root, "orders");
        let third = FieldPath::Index(&orders, 3);
        let total = FieldPath::Key(&third, "total");
        assert_eq!(total.render(), "orders[3].total");
        let top_index = FieldPath::Index(&root, 0);
        assert_eq!(top_index.render(), "[0]");
        let odd = FieldPath::Key(&orders, "a.b");
        assert_eq!(odd.render(), "orders[\"a.b\"]");
        let empty = FieldPath::Key(&root, "");
        assert_eq!(empty.render(), "[\"\"]");
    }

    #[test]
    fn deepest_path_wins() {
        let root = FieldPath::Root;
        let a = FieldPath::Key(&root, "a");
        let e = BridgeError::new("boom").at(&a).at(&root);
        let e: crate::error::Error = e.into();
        assert_eq!(e.to_string(), "a: boom");
    }
}
