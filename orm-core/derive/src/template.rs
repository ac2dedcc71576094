//! Key templates (`"TODO#{created_at}#{todo_id}"`): parsing the text into literal and field parts.

use proc_macro2::Span;
use std::ops::Range;
use syn::LitStr;

/// One part of a template as written: literal text, or a `{field}` reference.
#[derive(Debug, Clone)]
pub(crate) enum RawPart {
    /// Literal text.
    Literal(String),
    /// A `{field}` reference, with the span of the name where the compiler can give one.
    Field(String, Span),
}

/// Parses a template literal, with errors spanned at the literal (or the offending part of it).
pub(crate) fn parse(lit: &LitStr) -> syn::Result<Vec<RawPart>> {
    let text = lit.value();
    if text.is_empty() {
        return Err(syn::Error::new(
            lit.span(),
            "empty key template; write the key's text, e.g. \"USER#{id}\"",
        ));
    }
    let mut parts = Vec::new();
    let mut literal = String::new();
    let mut open: Option<usize> = None;
    for (i, ch) in text.char_indices() {
        match (ch, open) {
            ('{', None) => {
                if !literal.is_empty() {
                    parts.push(RawPart::Literal(std::mem::take(&mut literal)));
                }
                open = Some(i);
            }
            ('{', Some(start)) => {
                return Err(syn::Error::new(
                    sub_span(lit, start..i + 1),
                    "unbalanced `{` in key template: `{` inside a `{field}`",
                ));
            }
            ('}', None) => {
                return Err(syn::Error::new(
                    sub_span(lit, i..i + 1),
                    "unbalanced `}` in key template: `}` without a `{` before it",
                ));
            }
            ('}', Some(start)) => {
                let name = &text[start + 1..i];
                if name.is_empty() {
                    return Err(syn::Error::new(
                        sub_span(lit, start..i + 1),
                        "empty `{}` in key template; name a field inside the braces",
                    ));
                }
                parts.push(RawPart::Field(name.to_owned(), sub_span(lit, start..i + 1)));
                open = None;
            }
            (_, Some(_)) => {}
            (_, None) => literal.push(ch),
        }
    }
    if let Some(start) = open {
        return Err(syn::Error::new(
            sub_span(lit, start..text.len()),
            "unbalanced `{` in key template: no `}` closes it",
        ));
    }
    if !literal.is_empty() {
        parts.push(RawPart::Literal(literal));
    }
    Ok(parts)
}

/// The span of `range` (byte offsets into the value) inside the literal, where the compiler
/// supports sub-spans and the literal has no escapes; else the whole literal's span.
fn sub_span(lit: &LitStr, range: Range<usize>) -> Span {
    let token = lit.token();
    let source = token.to_string();
    if source.len() == lit.value().len() + 2 && source.starts_with('"') {
        if let Some(span) = token.subspan(range.start + 1..range.end + 1) {
            return span;
        }
    }
    lit.span()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(text: &str) -> Result<Vec<String>, String> {
        let lit = LitStr::new(text, Span::call_site());
        parse(&lit)
            .map(|parts| {
                parts
                    .into_iter()
                    .map(|p| match p {
                        RawPart::Literal(l) => format!("L:{l}"),
                        RawPart::Field(f, _) => format!("F:{f}"),
                    })
                    .collect()
            })
            .map_err(|e| e.to_string())
    }

    #[test]
    fn parses_parts() {
        assert_eq!(
            parts("TODO#{created_at}#{todo_id}").unwrap(),
            ["L:TODO#", "F:created_at", "L:#", "F:todo_id"]
        );
        assert_eq!(parts("PROFILE").unwrap(), ["L:PROFILE"]);
        assert_eq!(parts("{a}{b}").unwrap(), ["F:a", "F:b"]);
        assert_eq!(parts("é{a}é").unwrap(), ["L:é", "F:a", "L:é"]);
    }

    #[test]
    fn rejects_malformed() {
        assert!(parts("").unwrap_err().contains("empty key template"));
        assert!(parts("A#{b").unwrap_err().contains("no `}` closes it"));
        assert!(parts("A#b}").unwrap_err().contains("without a `{`"));
        assert!(parts("A#{b{c}}")
            .unwrap_err()
            .contains("inside a `{field}`"));
        assert!(parts("A#{}").unwrap_err().contains("empty `{}`"));
    }
}
