#[vigil::monitor(slug = "job", schedule = "0 3 * * *")]
struct Job;

#[vigil::monitor(slug = "job", schedule = "0 3 * * *")]
const fn constant() -> u32 {
    1
}

#[vigil::monitor(slug = "job", schedule = "0 3 * * *")]
fn returns_a_future() -> impl std::future::Future<Output = ()> {
    async {}
}

fn main() {
    let _ = Job;
    let _ = constant();
    let _ = returns_a_future();
}
