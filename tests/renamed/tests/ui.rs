//! After an error, a macro's stand-in reaches vigil through `crate = "..."` too: the user sees
//! the macro's message, not a second "unresolved crate `vigil`" error.

#[test]
fn ui() {
    // The cases need no debug info (nothing reads their frames): without it trybuild's
    // build is a fraction of the disk (a pass case's binary is 66 MB with `debug = "limited"`).
    // Its cargo reads this from the environment, over `.cargo/config.toml`; the only test
    // of this binary, so no other thread reads the environment meanwhile.
    std::env::set_var("CARGO_PROFILE_DEV_DEBUG", "0");
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
}
