#[vigil::monitored]
#[track_caller]
fn checked(n: u32) -> Result<u32, std::fmt::Error> {
    Ok(n)
}

fn main() {
    let _ = checked(1);
}
