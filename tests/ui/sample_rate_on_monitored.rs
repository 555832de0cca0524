#[vigil::monitored(sample_rate = 0.5)]
fn load() {}

fn main() {
    load();
}
