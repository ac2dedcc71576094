//! Compile errors of `#[derive(Model)]`, with their spans: `tests/ui/*.rs` against the
//! `.stderr` snapshots beside them (regenerate with `TRYBUILD=overwrite`, then review); and
//! `tests/ui/pass/*.rs`, which must build and run under strict lints.

#[test]
fn ui() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("tests/ui/*.rs");
    cases.pass("tests/ui/pass/*.rs");
}
