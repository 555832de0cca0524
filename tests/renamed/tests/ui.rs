//! After an error, a macro's stand-in reaches vigil through `crate = "..."` too: the user sees
//! the macro's message, not a second "unresolved crate `vigil`" error.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
}
