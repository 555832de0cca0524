const OP: &str = "db.query";

#[vigil::monitored(op = OP)]
fn load(id: u64) -> u64 {
    id
}

fn main() {
    let _ = load(1);
}
