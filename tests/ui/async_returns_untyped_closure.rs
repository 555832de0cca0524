// An `async fn` returning a closure whose parameter types only the return type gives: the
// body runs in an async block of its own, which the opaque return type does not reach, so
// the closure needs its parameter types written (rustc's message says so).
#[vigil::monitored]
async fn len_fn() -> impl Fn(&str) -> usize {
    |s| s.len()
}

fn main() {
    let _ = len_fn();
}
