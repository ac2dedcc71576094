//! Compile errors of `#[derive(Model)]`, with their spans: `tests/ui/*.rs` against the
//! `.stderr` snapshots beside them (regenerate with `TRYBUILD=overwrite`, then review); and
//! `tests/ui/pass/*.rs`, which must build and run under strict lints.

#[test]
fn ui() {
    // trybuild builds orm-core and its dependencies once more, in its own target directory
    // (target/tests/trybuild) with Cargo's default dev profile: without debug info, which no
    // case here reads, that build takes a third less time and half the disk.
    std::env::set_var("CARGO_PROFILE_DEV_DEBUG", "false");
    let cases = trybuild::TestCases::new();
    cases.compile_fail("tests/ui/*.rs");
    cases.pass("tests/ui/pass/*.rs");
}
