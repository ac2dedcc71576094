//! Prints the layout report of the e-commerce example's models: the entity chart, access
//! patterns, index overloading, a Mermaid diagram and warnings (`orm_core::report`).
//!
//! ```text
//! cargo run --example layout_report            # Markdown (renders on GitHub, with the diagram)
//! cargo run --example layout_report -- --json  # JSON
//! ```
//!
//! docs/modeling.md shows its Markdown; `tests/layout_report.rs` keeps the two equal.

fn main() {
    let report = orm_examples::ecommerce::layout_report();
    if std::env::args().any(|a| a == "--json") {
        println!("{}", report.to_json());
    } else {
        print!("{}", report.to_markdown());
    }
}
