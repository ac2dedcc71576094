//! orm-core's integration tests, in one test binary (`cargo test -p orm-core --test
//! orm-core-tests`): each file here is a module of it, so a test build compiles orm-core's
//! generics for them and links them once, not once per file (docs/reliability.md, "CI time").
//! The derive's compile errors are `orm-core/derive/tests/ui.rs`.

mod batch_attempts;
mod derive;
mod evolution;
mod plain_values;
mod report;
mod requests;
mod serde_bridge;
mod types;
