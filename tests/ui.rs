//! Every compile error of the macros, with the message and the span it points at.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
    // Shapes that compile without the attribute compile with it, and run the same.
    t.pass("tests/ui/pass/*.rs");
}
