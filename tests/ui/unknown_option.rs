#[vigil::monitored(opp = "db.query")]
fn load(id: u64) -> u64 {
    id
}

fn main() {
    // The function is still emitted as written: using it causes no second error.
    let _ = load(1);
}
