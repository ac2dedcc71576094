//! The examples crate's tests, in one test binary (`cargo test -p orm-examples --all-features
//! --test orm-examples-tests`): each file here is a module of it, so a test build links them
//! once, not once per file (docs/reliability.md, "CI time"). `integration` is the
//! integration-test example docs/testing.md shows: in a user's crate it is a file of its own
//! under `tests/`. `opentelemetry.rs` is a binary of its own (`--test opentelemetry`): it
//! installs a tracing subscriber, and tracing's per-span state is process-wide.

mod integration;
mod layout_report;
