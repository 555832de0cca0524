// A mistake inside an instrumented body is reported at the user's code, exactly as
// without the attribute.
#[vigil::monitored]
fn total(prices: &[u32]) -> u32 {
    let count: String = prices.len();
    count.len() as u32
}

#[vigil::monitored]
async fn fetch(id: u64) -> Result<String, std::io::Error> {
    let n: u32 = id;
    Ok(n.to_string())
}

fn main() {
    let _ = total(&[1]);
    let _ = fetch(1);
}
