//! DynamoDB's PartiQL (`orm_core::expr::partiql`) on arbitrary text: the parser never panics,
//! whatever the input and however many parameters come with it; and a statement that parses
//! renders, and its rendering parses back to the same statement (unless the rendering outgrows
//! the statement limits: 8 KB, or the nesting bound, which rendering's parentheses deepen).
#![no_main]

use libfuzzer_sys::fuzz_target;
use orm_core::expr::partiql::{self, MAX_STATEMENT_BYTES};
use orm_core::{Number, Value};
use std::collections::{BTreeMap, BTreeSet};

fuzz_target!(|data: &[u8]| {
    let (count, text) = match data.split_first() {
        Some((first, rest)) => (usize::from(*first % 6), String::from_utf8_lossy(rest)),
        None => return,
    };
    let parameters = [
        Value::from("x"),
        Value::N(Number::from(-1)),
        Value::B(vec![0, 1]),
        Value::Ss(BTreeSet::from(["a".to_string()])),
        Value::M(BTreeMap::from([("k".to_string(), Value::Bs(BTreeSet::from([vec![1]])))])),
    ];
    let count = count.min(parameters.len());
    let Ok(statement) = partiql::parse(&text, &parameters[..count]) else {
        return;
    };
    let rendered = partiql::render(&statement).expect("what parses renders");
    match partiql::parse(&rendered.statement, &rendered.parameters) {
        Ok(again) => assert_eq!(again, statement, "{}", rendered.statement),
        Err(e) => {
            let message = e.to_string();
            assert!(
                rendered.statement.len() > MAX_STATEMENT_BYTES
                    || message.contains("nests too deeply"),
                "{} -> {}: {message}",
                text,
                rendered.statement
            );
        }
    }
});
