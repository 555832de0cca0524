//! Lints about the function itself see it as written: an unused monitored function is dead
//! code, and an expectation of that is fulfilled (tracing-attributes' dead_code test).
#[deny(unfulfilled_lint_expectations)]
#[expect(dead_code)]
#[vigil::monitored]
fn unused() {}

#[deny(unfulfilled_lint_expectations)]
#[expect(dead_code)]
#[vigil::monitored]
async fn unused_async() {}

#[deny(unfulfilled_lint_expectations)]
#[expect(dead_code)]
#[vigil::transaction]
fn unused_with_result() -> Result<(), std::io::Error> {
    Ok(())
}

fn main() {}
