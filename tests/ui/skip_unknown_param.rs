#[vigil::monitored(skip(conn, pool))]
fn load(connection: &str, id: u64) -> u64 {
    let _ = connection;
    id
}

fn main() {
    let _ = load("pg", 1);
}
