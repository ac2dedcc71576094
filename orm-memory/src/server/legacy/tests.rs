//! The translation of each legacy parameter, and DynamoDB's messages for what it refuses.

use super::*;
use orm_core::expr::{attr, UpdateAction};
use serde_json::json;

fn body(v: Json) -> Map<String, Json> {
    v.as_object().expect("an object").clone()
}

fn message(result: Result<impl std::fmt::Debug, ApiError>) -> String {
    result.expect_err("an error").message
}

fn s(text: &str) -> Value {
    Value::S(text.into())
}

#[test]
fn one_style_per_request() {
    let put = |b: Json| check_style(&body(b), &["ConditionExpression"], &["Expected"]);
    assert_eq!(
        message(put(json!({"Expected": {"a": {"Exists": false}}, "ConditionExpression": "x"}))),
        "Can not use both expression and non-expression parameters in the same request: Non-expression parameters: {Expected} Expression parameters: {ConditionExpression}"
    );
    assert_eq!(
        message(put(json!({"ExpressionAttributeValues": {":v": {"S": "a"}}}))),
        "ExpressionAttributeValues can only be specified when using expressions: ConditionExpression is null"
    );
    assert_eq!(
        message(put(json!({"ExpressionAttributeNames": {"#a": "a"}}))),
        "ExpressionAttributeNames can only be specified when using expressions"
    );
    put(json!({"Expected": {"a": {"Exists": false}}})).unwrap();
    put(json!({"ConditionExpression": "x", "ExpressionAttributeValues": {}})).unwrap();

    let update = |b: Json| {
        check_style(
            &body(b),
            &["UpdateExpression", "ConditionExpression"],
            &["AttributeUpdates", "Expected"],
        )
    };
    assert_eq!(
        message(update(json!({"AttributeUpdates": {}, "UpdateExpression": "SET a = :v"}))),
        "Can not use both expression and non-expression parameters in the same request: Non-expression parameters: {AttributeUpdates} Expression parameters: {UpdateExpression}"
    );
    assert_eq!(
        message(update(json!({"ExpressionAttributeValues": {":v": {"S": "a"}}}))),
        "ExpressionAttributeValues can only be specified when using expressions: UpdateExpression and ConditionExpression are null"
    );

    let query = |b: Json| check_style(&body(b), QUERY_EXPRESSIONS, QUERY_LEGACY);
    // KeyConditions may go with the other expressions, as long as there is no
    // KeyConditionExpression.
    query(json!({"KeyConditions": {}, "FilterExpression": "a = :v"})).unwrap();
    assert_eq!(
        message(query(json!({"KeyConditions": {}, "QueryFilter": {}, "KeyConditionExpression": "pk = :v"}))),
        "Can not use both expression and non-expression parameters in the same request: Non-expression parameters: {QueryFilter, KeyConditions} Expression parameters: {KeyConditionExpression}"
    );
}

#[test]
fn expected_becomes_a_condition() {
    let c = |b: Json| expected(&body(b)).unwrap();
    assert_eq!(c(json!({})), None);
    assert_eq!(
        c(json!({"Expected": {"a": {"Exists": false}}})),
        Some(attr("a").not_exists())
    );
    assert_eq!(
        c(json!({"Expected": {"a": {"Value": {"S": "x"}}}})),
        Some(attr("a").eq("x"))
    );
    assert_eq!(
        c(json!({"Expected": {"a": {"Exists": true, "Value": {"S": "x"}}}})),
        Some(attr("a").eq("x"))
    );
    assert_eq!(
        c(
            json!({"Expected": {"a": {"ComparisonOperator": "BEGINS_WITH", "AttributeValueList": [{"S": "x"}]}}})
        ),
        Some(attr("a").begins_with("x"))
    );
    // `Value` stands in for a one-element list.
    assert_eq!(
        c(json!({"Expected": {"a": {"ComparisonOperator": "GT", "Value": {"N": "1"}}}})),
        Some(attr("a").gt(1))
    );
    assert_eq!(
        c(json!({"Expected": {"a": {"ComparisonOperator": "NOT_NULL"}}})),
        Some(attr("a").exists())
    );
    // A name is a top-level attribute, never a document path.
    assert_eq!(
        c(json!({"Expected": {"a.b": {"Exists": false}}})),
        Some(Condition::NotExists(Path::name("a.b")))
    );
    let two = json!({
        "a": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "x"}]},
        "b": {"ComparisonOperator": "NE", "AttributeValueList": [{"S": "y"}]}
    });
    assert_eq!(
        c(json!({"Expected": two.clone(), "ConditionalOperator": "OR"})),
        Some(Condition::Or(vec![attr("a").eq("x"), attr("b").ne("y")]))
    );
    assert_eq!(
        c(json!({"Expected": two})),
        Some(Condition::And(vec![attr("a").eq("x"), attr("b").ne("y")]))
    );
}

#[test]
fn expected_refusals_name_the_attribute() {
    let e = |entry: Json| message(expected(&body(json!({"Expected": {"a": entry}}))));
    let prefix = "One or more parameter values were invalid: ";
    for (entry, text) in [
        (
            json!({"Value": {"S": "x"}, "AttributeValueList": [{"S": "x"}]}),
            "Value and AttributeValueList cannot be used together for Attribute: a",
        ),
        (
            json!({"Exists": true, "ComparisonOperator": "EQ", "AttributeValueList": [{"S": "x"}]}),
            "Exists and ComparisonOperator cannot be used together for Attribute: a",
        ),
        (
            json!({"ComparisonOperator": "EQ"}),
            "Value or AttributeValueList must be used with ComparisonOperator: EQ for Attribute: a",
        ),
        (
            json!({"ComparisonOperator": "NULL", "AttributeValueList": [{"S": "x"}]}),
            "Invalid number of argument(s) for the NULL ComparisonOperator",
        ),
        (
            json!({"ComparisonOperator": "IN", "AttributeValueList": [{"S": "x"}, {"N": "1"}]}),
            "AttributeValues inside AttributeValueList must be of same type",
        ),
        (
            json!({"AttributeValueList": [{"S": "x"}]}),
            "AttributeValueList can only be used with a ComparisonOperator for Attribute: a",
        ),
        (
            json!({}),
            "Value must be provided when Exists is null for Attribute: a",
        ),
        (
            json!({"Exists": true}),
            "Value must be provided when Exists is true for Attribute: a",
        ),
        (
            json!({"Exists": false, "Value": {"S": "x"}}),
            "Value cannot be used when Exists is false for Attribute: a",
        ),
    ] {
        assert_eq!(e(entry.clone()), format!("{prefix}{text}"), "{entry}");
    }
    assert_eq!(
        e(json!({"ComparisonOperator": "BETWEEN", "AttributeValueList": [{"N": "2"}, {"N": "1"}]})),
        "The BETWEEN condition was provided a range where the lower bound is greater than the upper bound"
    );
}

#[test]
fn filters_become_conditions() {
    let f = |filter: Json| filter_of(json!({ "ScanFilter": filter }));
    fn filter_of(b: Json) -> Result<Option<Condition>, ApiError> {
        filter(&body(b), "ScanFilter")
    }
    assert_eq!(
        f(json!({"a": {"ComparisonOperator": "NOT_CONTAINS", "AttributeValueList": [{"S": "x"}]}}))
            .unwrap(),
        Some(attr("a").contains("x").not())
    );
    assert_eq!(
        f(json!({"a": {"ComparisonOperator": "NULL"}})).unwrap(),
        Some(attr("a").not_exists())
    );
    assert_eq!(
        f(json!({"a": {"ComparisonOperator": "IN", "AttributeValueList": [{"N": "1"}, {"N": "2"}]}}))
            .unwrap(),
        Some(attr("a").is_in([1, 2]))
    );
    assert_eq!(
        f(json!({"a": {"ComparisonOperator": "BETWEEN", "AttributeValueList": [{"S": "a"}, {"S": "c"}]}}))
            .unwrap(),
        Some(attr("a").between("a", "c"))
    );
    assert_eq!(
        message(f(json!({"a": {"ComparisonOperator": "EQ"}}))),
        "One or more parameter values were invalid: Invalid number of argument(s) for the EQ ComparisonOperator"
    );
    assert_eq!(
        message(f(json!({"a": {"ComparisonOperator": "LT", "AttributeValueList": [{"SS": ["x"]}]}}))),
        "One or more parameter values were invalid: ComparisonOperator LT is not valid for SS AttributeValue type"
    );
    assert_eq!(
        message(f(json!({"a": {"ComparisonOperator": "BEGINS_WITH", "AttributeValueList": [{"N": "1"}]}}))),
        "One or more parameter values were invalid: ComparisonOperator BEGINS_WITH is not valid for N AttributeValue type"
    );
    // EQ takes any type, lists and maps included.
    f(json!({"a": {"ComparisonOperator": "EQ", "AttributeValueList": [{"L": []}]}})).unwrap();
    // A value is decoded with DynamoDB's checks.
    assert!(message(f(
        json!({"a": {"ComparisonOperator": "EQ", "AttributeValueList": [{"SS": []}]}})
    ))
    .contains("may not be empty"));
}

fn hash() -> KeyAttribute {
    KeyAttribute {
        name: "pk".into(),
        key_type: KeyType::S,
    }
}

fn range() -> KeyAttribute {
    KeyAttribute {
        name: "sk".into(),
        key_type: KeyType::N,
    }
}

fn keys(
    conditions: Json,
    range_key: Option<&KeyAttribute>,
) -> Result<Option<KeyCondition>, ApiError> {
    let range: Vec<&KeyAttribute> = range_key.into_iter().collect();
    key_conditions(
        &body(json!({ "KeyConditions": conditions })),
        &[&hash()],
        &range,
    )
}

#[test]
fn key_conditions_become_a_key_condition() {
    let eq = json!({"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "p"}]});
    assert_eq!(
        keys(json!({"pk": eq.clone()}), Some(&range())).unwrap(),
        Some(KeyCondition {
            extra_partition: Vec::new(),
            sort_prefix: Vec::new(),
            partition_name: "pk".into(),
            partition_value: s("p"),
            sort: None,
        })
    );
    let between =
        json!({"ComparisonOperator": "BETWEEN", "AttributeValueList": [{"N": "1"}, {"N": "5"}]});
    assert_eq!(
        keys(json!({"pk": eq.clone(), "sk": between}), Some(&range()))
            .unwrap()
            .unwrap()
            .sort,
        Some((
            "sk".to_string(),
            SortKeyCondition::Between(Value::from(1), Value::from(5))
        ))
    );
    assert_eq!(
        key_conditions(&body(json!({})), &[&hash()], &[]).unwrap(),
        None
    );
}

#[test]
fn key_condition_refusals() {
    let eq = json!({"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "p"}]});
    let cases = [
        (json!({}), Some(range()), "Conditions can be of length 1 or 2 only"),
        (
            json!({"x": eq.clone()}),
            Some(range()),
            "Query condition missed key schema element: pk",
        ),
        (
            json!({"pk": eq.clone(), "x": eq.clone()}),
            Some(range()),
            "Query condition missed key schema element: sk",
        ),
        (
            json!({"pk": eq.clone(), "x": eq.clone()}),
            None,
            "Query key condition not supported",
        ),
        (
            json!({"pk": {"ComparisonOperator": "BEGINS_WITH", "AttributeValueList": [{"S": "p"}]}}),
            Some(range()),
            "Query key condition not supported",
        ),
        (
            json!({"pk": eq.clone(), "sk": {"ComparisonOperator": "NE", "AttributeValueList": [{"N": "1"}]}}),
            Some(range()),
            "Attempted conditional constraint is not an indexable operation",
        ),
        (
            json!({"pk": {"ComparisonOperator": "EQ", "AttributeValueList": [{"N": "1"}]}}),
            Some(range()),
            "One or more parameter values were invalid: Condition parameter type does not match schema type",
        ),
    ];
    for (conditions, range_key, text) in cases {
        assert_eq!(
            message(keys(conditions.clone(), range_key.as_ref())),
            text,
            "{conditions}"
        );
    }
}

/// On a multi-attribute key (partition `a` S and `b` N, sort `c` S and `d` N), `KeyConditions`
/// follows `KeyConditionExpression`'s rule, with the messages DynamoDB Local 11.1.0 answers for
/// the same requests.
#[test]
fn key_conditions_on_a_multi_attribute_key() {
    let attribute = |name: &str, key_type| KeyAttribute {
        name: name.into(),
        key_type,
    };
    let (a, b) = (attribute("a", KeyType::S), attribute("b", KeyType::N));
    let (c, d) = (attribute("c", KeyType::S), attribute("d", KeyType::N));
    let keys = |conditions: Json| {
        key_conditions(
            &body(json!({ "KeyConditions": conditions })),
            &[&a, &b],
            &[&c, &d],
        )
    };
    let cond = |op: &str, v: Json| json!({"ComparisonOperator": op, "AttributeValueList": [v]});
    let (a_x, b_1) = (cond("EQ", json!({"S": "x"})), cond("EQ", json!({"N": "1"})));
    let got = keys(json!({"d": cond("GE", json!({"N": "2"})), "b": b_1, "c": cond("EQ", json!({"S": "c2"})), "a": a_x}))
        .unwrap()
        .unwrap();
    assert_eq!(
        got,
        KeyCondition {
            partition_name: "a".into(),
            partition_value: s("x"),
            extra_partition: vec![("b".into(), Value::from(1))],
            sort_prefix: vec![("c".into(), s("c2"))],
            sort: Some(("d".into(), SortKeyCondition::Ge(Value::from(2)))),
        }
    );
    let got = keys(json!({"a": a_x, "b": b_1, "c": cond("GT", json!({"S": "c1"}))})).unwrap();
    assert_eq!(
        got.unwrap().sort,
        Some(("c".into(), SortKeyCondition::Gt(s("c1"))))
    );
    for (conditions, text) in [
        (json!({}), "Conditions must be at least length 1"),
        (
            json!({"a": a_x}),
            "HASH key attributes b must have equality conditions specified in the query",
        ),
        (
            json!({"c": a_x}),
            "HASH key attributes a, b must have equality conditions specified in the query",
        ),
        (
            json!({"a": a_x, "b": cond("GT", json!({"N": "1"}))}),
            "HASH key attributes b must have equality conditions specified in the query",
        ),
        (
            json!({"a": a_x, "b": b_1, "d": cond("GE", json!({"N": "2"}))}),
            "RANGE key attributes c must have equality conditions specified in the query because a condition is present on key attribute d",
        ),
        (
            json!({"a": a_x, "b": b_1, "zz": b_1}),
            "Query condition missed key schema element",
        ),
        (
            json!({"a": a_x, "b": b_1, "c": a_x, "d": b_1, "zz": b_1}),
            "Query key condition not supported",
        ),
        (
            json!({"a": a_x, "b": cond("EQ", json!({"S": "1"}))}),
            "One or more parameter values were invalid: Condition parameter type does not match schema type",
        ),
        (
            json!({"a": a_x, "b": b_1, "c": cond("IN", json!({"S": "c1"}))}),
            "Attempted conditional constraint is not an indexable operation",
        ),
    ] {
        assert_eq!(message(keys(conditions.clone())), text, "{conditions}");
    }
}

#[test]
fn attributes_to_get_become_a_projection() {
    assert_eq!(
        attributes_to_get(&body(json!({"AttributesToGet": ["a", "b.c"]}))).unwrap(),
        Some(vec![Path::name("a"), Path::name("b.c")])
    );
    assert_eq!(
        message(attributes_to_get(&body(
            json!({"AttributesToGet": ["a", "a"]})
        ))),
        "One or more parameter values were invalid: Duplicate value in attribute name: a"
    );
}

#[test]
fn attribute_updates_become_an_update() {
    let u = |updates: Json| attribute_updates(&body(json!({ "AttributeUpdates": updates })));
    let update = u(json!({
        "a": {"Value": {"S": "x"}},
        "b": {"Action": "PUT", "Value": {"N": "1"}},
        "c": {"Action": "DELETE"},
        "d": {"Action": "DELETE", "Value": {"SS": ["x"]}},
        "e": {"Action": "ADD", "Value": {"N": "2"}},
        "f": {"Action": "ADD", "Value": {"L": [{"S": "x"}]}}
    }))
    .unwrap()
    .unwrap();
    let by_path = |name: &str| {
        update
            .actions
            .iter()
            .find(|a| a.path().root() == name)
            .cloned()
            .unwrap()
    };
    assert_eq!(
        by_path("a"),
        UpdateAction::Set(
            Path::name("a"),
            SetValue::Operand(SetOperand::Value(s("x")))
        )
    );
    assert!(matches!(by_path("b"), UpdateAction::Set(..)));
    assert_eq!(by_path("c"), UpdateAction::Remove(Path::name("c")));
    assert!(matches!(by_path("d"), UpdateAction::Delete(..)));
    assert_eq!(
        by_path("e"),
        UpdateAction::Add(Path::name("e"), Value::from(2))
    );
    assert_eq!(
        by_path("f"),
        UpdateAction::Set(
            Path::name("f"),
            SetValue::ListAppend(
                SetOperand::if_not_exists(Path::name("f"), Value::L(vec![])),
                SetOperand::Value(Value::L(vec![s("x")]))
            )
        )
    );
    assert_eq!(u(json!({})).unwrap(), Some(Update::new()));

    let prefix = "One or more parameter values were invalid: ";
    for (updates, text) in [
        (
            json!({"a": {"Action": "PUT"}}),
            "Only DELETE action is allowed when no attribute value is specified",
        ),
        (
            json!({"a": {"Action": "DELETE", "Value": {"S": "x"}}}),
            "DELETE action with value is not supported for the type S",
        ),
        (
            json!({"a": {"Action": "ADD", "Value": {"M": {}}}}),
            "ADD action is not supported for the type M",
        ),
    ] {
        assert_eq!(
            message(u(updates.clone())),
            format!("{prefix}{text}"),
            "{updates}"
        );
    }
}

#[test]
fn comparison_operators_are_checked_with_the_constraints() {
    let mut v = Violations::new();
    condition_constraints(
        &body(json!({"QueryFilter": {"a": {}, "b": {"ComparisonOperator": "X"}}})),
        "QueryFilter",
        &mut v,
    );
    let text = v.finish().unwrap_err().message;
    assert!(text.starts_with("2 validation errors detected: Value null at 'queryFilter.a.member.comparisonOperator' failed to satisfy constraint: Member must not be null; Value 'X' at 'queryFilter.b.member.comparisonOperator'"), "{text}");
    let mut v = Violations::new();
    member_constraints(
        &body(json!({"AttributesToGet": [], "ConditionalOperator": "AN"})),
        &mut v,
    );
    let text = v.finish().unwrap_err().message;
    assert!(text.contains("Value '[]' at 'attributesToGet'"), "{text}");
    assert!(text.contains("Value 'AN' at 'conditionalOperator' failed to satisfy constraint: Member must satisfy enum value set: [OR, AND]"), "{text}");
}
