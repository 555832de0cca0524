//! A closure returned as `impl Fn`: its parameter types come from the return type, as
//! without the attribute.
#[vigil::monitored]
fn len_fn() -> impl Fn(&str) -> usize {
    |s| s.len()
}

// In an `async fn`, the closure's parameter types are written (see the compile-fail case
// `async_returns_untyped_closure`).
#[vigil::monitored]
async fn len_fn_async() -> impl Fn(&str) -> usize {
    |s: &str| s.len()
}

#[vigil::monitored]
fn checked_len_fn(max: usize) -> Result<impl Fn(&str) -> bool, std::fmt::Error> {
    Ok(move |s: &str| s.len() <= max)
}

fn main() {
    assert_eq!(len_fn()("abc"), 3);
    let _ = len_fn_async();
    assert!(checked_len_fn(3).unwrap()("abc"));
}
