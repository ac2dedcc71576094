//! Rendering arbitrary conditions and updates into DynamoDB expressions: never panics, and every
//! `#name` / `:value` placeholder used is defined, every one defined is used, and names map back
//! to the attribute names of the tree.
#![no_main]

use arbitrary::Unstructured;
use libfuzzer_sys::fuzz_target;
use orm_core::expr::arbitrary as tree;
use orm_core::expr::render::Expressions;
use orm_core::expr::PathElement;
use orm_dynamodb::render::ExpressionAttributes;
use std::collections::BTreeSet;

fn placeholders(text: &str, out: &mut BTreeSet<String>) {
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'#' || bytes[i] == b':' {
            let start = i;
            i += 1;
            while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
                i += 1;
            }
            out.insert(text[start..i].to_owned());
        } else {
            i += 1;
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let mut u = Unstructured::new(data);
    let (Ok(condition), Ok(filter), Ok(update)) = (
        tree::condition(&mut u, 3),
        tree::condition(&mut u, 2),
        tree::update(&mut u),
    ) else {
        return;
    };
    let _ = condition.to_string();
    let _ = condition.validate();
    let _ = update.validate();
    let paths = tree::path(&mut u).map(|p| vec![p]).unwrap_or_default();
    let mut sdk = Expressions::new()
        .with_condition(condition)
        .with_filter(filter)
        .with_update(update)
        .with_projection(&paths);
    let attributes = ExpressionAttributes::take(&mut sdk);
    let mut used = BTreeSet::new();
    for text in [&sdk.condition, &sdk.filter, &sdk.update, &sdk.projection]
        .into_iter()
        .flatten()
    {
        // Raw attribute text never leaks into an expression: only placeholders, keywords,
        // operators and digits.
        placeholders(text, &mut used);
    }
    let mut defined: BTreeSet<String> = BTreeSet::new();
    defined.extend(attributes.names.iter().flatten().map(|(k, _)| k.clone()));
    defined.extend(attributes.values.iter().flatten().map(|(k, _)| k.clone()));
    assert_eq!(
        used, defined,
        "placeholders used vs defined: {sdk:?} {attributes:?}"
    );
    for p in &paths {
        assert!(matches!(p.elements().first(), Some(PathElement::Name(_))));
    }
});
