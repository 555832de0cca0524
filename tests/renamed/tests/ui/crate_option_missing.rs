// Without `crate = "..."` the expansion names `::vigil`, which this crate does not have: one
// error, rustc's, at the macro. `#[vig::monitored(crate = "vig")]` is the fix.

#[vig::monitored]
fn load(id: u64) -> u64 {
    id
}

fn main() {
    let _ = load(1);
}
