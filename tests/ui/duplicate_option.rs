#[vigil::monitored(op = "db.query", op = "db.write")]
fn load(id: u64) -> u64 {
    id
}

fn main() {
    let _ = load(1);
}
