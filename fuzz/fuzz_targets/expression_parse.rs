//! DynamoDB's expression language (`orm_core::expr::parse`) on arbitrary text: the condition,
//! update, projection and key-condition parsers never panic, whatever the input, with
//! placeholders of every kind defined. A condition that parses also parses after a round of
//! surrounding parentheses (the grammar allows `( condition )`).
#![no_main]

use libfuzzer_sys::fuzz_target;
use orm_core::expr::parse::{self, Placeholders};
use orm_core::expr::Clause;
use orm_core::{Number, Value};
use std::collections::{BTreeMap, BTreeSet};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let names = BTreeMap::from([
        ("#n".to_string(), "name".to_string()),
        ("#pk".to_string(), "pk".to_string()),
        ("#sk".to_string(), "sk".to_string()),
        ("#e".to_string(), String::new()),
        ("#d".to_string(), "a.b".to_string()),
    ]);
    let values = BTreeMap::from([
        (":s".to_string(), Value::from("x")),
        (":n".to_string(), Value::N(Number::from(1))),
        (":b".to_string(), Value::B(vec![0, 1])),
        (":t".to_string(), Value::Bool(true)),
        (":z".to_string(), Value::Null),
        (":l".to_string(), Value::L(vec![Value::from("a")])),
        (":m".to_string(), Value::M(BTreeMap::new())),
        (
            ":ss".to_string(),
            Value::Ss(BTreeSet::from(["a".to_string()])),
        ),
        (":e".to_string(), Value::from("")),
    ]);
    let placeholders = || Placeholders::new(names.clone(), values.clone());
    let condition = parse::condition(&mut placeholders(), Clause::Condition, &text);
    let _ = parse::update(&mut placeholders(), &text);
    let _ = parse::projection(&mut placeholders(), &text);
    let _ = parse::key_condition(&mut placeholders(), &text, "pk", Some("sk"));
    let _ = parse::key_condition(&mut placeholders(), &text, "pk", None);
    let mut used = placeholders();
    let _ = parse::update(&mut used, &text);
    let _ = used.finish();
    if let Ok(parsed) = condition {
        if text.len() + 2 <= 4096 {
            let again =
                parse::condition(&mut placeholders(), Clause::Condition, &format!("({text})"));
            assert_eq!(again.ok().as_ref(), Some(&parsed), "({text})");
        }
    }
});
