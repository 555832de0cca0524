//! Every compile error of the macros, with the message and the span it points at.

#[test]
fn ui() {
    // The cases need no debug info (nothing reads their frames): without it trybuild's
    // build is a fraction of the disk (a pass case's binary is 66 MB with `debug = "limited"`).
    // Its cargo reads this from the environment, over `.cargo/config.toml`; the only test
    // of this binary, so no other thread reads the environment meanwhile.
    std::env::set_var("CARGO_PROFILE_DEV_DEBUG", "0");
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
    // Shapes that compile without the attribute compile with it, and run the same.
    t.pass("tests/ui/pass/*.rs");
}
