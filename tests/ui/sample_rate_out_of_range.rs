#[vigil::transaction(op = "task", sample_rate = 1.5)]
fn job() {}

#[vigil::transaction(op = "task", sample_rate = -0.1)]
fn other_job() {}

#[vigil::transaction(op = "task", sample_rate = "half")]
fn third_job() {}

fn main() {
    job();
    other_job();
    third_job();
}
