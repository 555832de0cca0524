#[vigil::monitored(op = "DB Query")]
fn load(id: u64) -> u64 {
    id
}

#[vigil::transaction(op = "http..server")]
fn handle() {}

fn main() {
    let _ = load(1);
    handle();
}
