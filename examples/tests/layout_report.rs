//! docs/modeling.md shows the layout report of the e-commerce example's models: this keeps it
//! true. After a change to the models or to the report, print the new one with
//! `cargo run --example layout_report` and paste it between the markers.

const BEGIN: &str = "<!-- layout-report:ecommerce:begin -->\n";
const END: &str = "<!-- layout-report:ecommerce:end -->";

#[test]
fn modeling_md_shows_the_ecommerce_report() {
    let doc = include_str!("../../docs/modeling.md");
    let start = doc
        .find(BEGIN)
        .expect("the begin marker in docs/modeling.md")
        + BEGIN.len();
    let end = doc.find(END).expect("the end marker in docs/modeling.md");
    let shown = &doc[start..end];
    let report = orm_examples::ecommerce::layout_report().to_markdown();
    assert!(
        shown == report,
        "docs/modeling.md shows an outdated layout report; the current one is:\n{report}"
    );
}

#[test]
fn the_ecommerce_report_has_no_warnings_and_serializes() {
    let report = orm_examples::ecommerce::layout_report();
    assert_eq!(report.warnings, []);
    let json: serde_json::Value = serde_json::from_str(&report.to_json()).unwrap();
    let entities: Vec<&str> = json["entities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["entity"].as_str().unwrap())
        .collect();
    assert_eq!(entities, ["Customer", "Order", "OrderItem", "Product"]);
    // The multi-attribute index: its attribute lists, no templates.
    let customer_status = json["entities"][1]["indexes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["name"] == "customerStatus")
        .expect("Order's customerStatus index");
    assert_eq!(
        customer_status["partition_attributes"],
        serde_json::json!(["customer", "status"])
    );
    assert_eq!(
        customer_status["sort_attributes"],
        serde_json::json!(["placed_at"])
    );
    assert!(customer_status["partition_key"].is_null());
}
