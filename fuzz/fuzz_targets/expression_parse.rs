//! DynamoDB's expression language (`orm_memory::server::expression`) on arbitrary text: the
//! condition, update, projection and key-condition parsers never panic, whatever the input, with
//! placeholders of every kind defined. A condition that parses also parses after a round of
//! surrounding parentheses (the grammar allows `( condition )`).
#![no_main]

use libfuzzer_sys::fuzz_target;
use orm_core::{Number, Value};
use orm_memory::server::expression;
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
    let condition = expression::condition(&text, &names, &values);
    let _ = expression::update(&text, &names, &values);
    let _ = expression::projection(&text, &names);
    let _ = expression::key_condition(&text, &names, &values, "pk", Some("sk"));
    let _ = expression::key_condition(&text, &names, &values, "pk", None);
    if let Ok(parsed) = condition {
        if text.len() + 2 <= 4096 {
            let again = expression::condition(&format!("({text})"), &names, &values);
            assert_eq!(again.ok().as_ref(), Some(&parsed), "({text})");
        }
    }
});
