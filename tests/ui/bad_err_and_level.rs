#[vigil::monitored(err = swallow, level = critical)]
fn load() -> Result<(), std::io::Error> {
    Ok(())
}

fn main() {
    let _ = load();
}
