//! Key templates (`"TODO#{created_at}#{todo_id}"`): parsing the text into literal and field parts.
//!
//! Inside braces: a field (`{seq}`), a field with an explicit zero-padded width (`{seq:6}`), or a
//! segment computed by a function of fields (`{Self::bucket(created_at)}`, `{f(a, b):4}`).

use proc_macro2::Span;
use std::ops::Range;
use syn::LitStr;

/// One part of a template as written: literal text, or a `{field}` reference.
#[derive(Debug, Clone)]
pub(crate) enum RawPart {
    /// Literal text.
    Literal(String),
    /// A `{field}` or `{field:width}` reference, with the span of the braces where the compiler
    /// can give one.
    Field(String, Option<u8>, Span),
    /// A `{path(field, ...)}` segment computed by a function, with an optional `:width`.
    Computed(Call, Option<u8>, Span),
}

/// A call of a function on some fields, as written in a template or in `when = "..."`.
#[derive(Debug, Clone)]
pub(crate) struct Call {
    /// The function (`Self::bucket`).
    pub(crate) function: syn::Path,
    /// The function as written, spaces removed (`Self::bucket`).
    pub(crate) function_text: String,
    /// The field names passed, in order.
    pub(crate) args: Vec<String>,
}

/// The largest width a template may give: `u128::MAX` has 39 digits.
const MAX_WIDTH: u8 = 39;

/// Parses `path(field, ...)`; errors are spanned at `span`.
pub(crate) fn parse_call(text: &str, span: Span) -> syn::Result<Call> {
    let bad = |why: String| {
        syn::Error::new(
            span,
            format!(
                "{why}: expected a function called with field names, such as \
                 `Self::bucket(created_at)` (the function gets a reference to each field)"
            ),
        )
    };
    let call: syn::ExprCall =
        syn::parse_str(text).map_err(|_| bad(format!("cannot parse `{text}`")))?;
    let syn::Expr::Path(function) = &*call.func else {
        return Err(bad("the called expression is not a path".into()));
    };
    if function.qself.is_some() {
        return Err(bad(
            "a qualified path (`<T as Trait>::f`) is not supported".into()
        ));
    }
    let mut args = Vec::with_capacity(call.args.len());
    for arg in &call.args {
        match arg {
            syn::Expr::Path(p) if p.qself.is_none() && p.path.get_ident().is_some() => {
                let ident = p.path.get_ident().expect("checked");
                args.push(syn::ext::IdentExt::unraw(ident).to_string());
            }
            _ => {
                return Err(bad(format!(
                    "`{}` is not a field name",
                    quote::ToTokens::to_token_stream(arg)
                )))
            }
        }
    }
    let function_text = quote::ToTokens::to_token_stream(&function.path)
        .to_string()
        .replace(' ', "");
    Ok(Call {
        function: function.path.clone(),
        function_text,
        args,
    })
}

/// Splits a `:width` suffix off the text inside braces (`seq:6` -> `seq`, 6), leaving `::` of
/// paths alone.
fn split_width(inner: &str, span: Span) -> syn::Result<(&str, Option<u8>)> {
    let Some(colon) = inner.rfind(':') else {
        return Ok((inner, None));
    };
    let (head, digits) = (&inner[..colon], inner[colon + 1..].trim());
    if head.ends_with(':') || digits.is_empty() && inner.ends_with("::") {
        return Ok((inner, None)); // `::` of a path
    }
    match digits.parse::<u8>() {
        Ok(width) if (1..=MAX_WIDTH).contains(&width) => Ok((head.trim_end(), Some(width))),
        _ => Err(syn::Error::new(
            span,
            format!(
                "invalid width `{digits}` in key template: write the number of digits to \
                 zero-pad an integer to, from 1 to {MAX_WIDTH}, e.g. `{{seq:8}}`"
            ),
        )),
    }
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
                let span = sub_span(lit, start..i + 1);
                let inner = text[start + 1..i].trim();
                if inner.is_empty() {
                    return Err(syn::Error::new(
                        span,
                        "empty `{}` in key template; name a field inside the braces",
                    ));
                }
                let (inner, width) = split_width(inner, span)?;
                if inner.contains('(') {
                    parts.push(RawPart::Computed(parse_call(inner, span)?, width, span));
                } else {
                    parts.push(RawPart::Field(inner.to_owned(), width, span));
                }
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
                        RawPart::Field(f, None, _) => format!("F:{f}"),
                        RawPart::Field(f, Some(w), _) => format!("F:{f}:{w}"),
                        RawPart::Computed(call, width, _) => format!(
                            "C:{}({}){}",
                            call.function_text,
                            call.args.join(","),
                            width.map_or_else(String::new, |w| format!(":{w}"))
                        ),
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
        assert_eq!(parts("N#{seq:8}").unwrap(), ["L:N#", "F:seq:8"]);
        assert_eq!(
            parts("{Self::bucket(created_at)}#{f(a, r#type):4}").unwrap(),
            ["C:Self::bucket(created_at)", "L:#", "C:f(a,type):4"]
        );
        assert_eq!(parts("{g()}").unwrap(), ["C:g()"]);
    }

    #[test]
    fn rejects_bad_widths_and_calls() {
        assert!(parts("{seq:0}").unwrap_err().contains("invalid width `0`"));
        assert!(parts("{seq:40}").unwrap_err().contains("from 1 to 39"));
        assert!(parts("{seq:x}").unwrap_err().contains("invalid width `x`"));
        assert!(parts("{f(a.b)}").unwrap_err().contains("not a field name"));
        assert!(parts("{f(1)}").unwrap_err().contains("not a field name"));
        assert!(parts("{(f)(a)}").unwrap_err().contains("not a path"));
        assert!(parts("{f(a}").unwrap_err().contains("cannot parse"));
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
