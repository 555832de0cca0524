//! An inner attribute at the top of a monitored function's body applies to the body, as it
//! does without the attribute.
#![deny(unused_variables)]

#[vigil::monitored]
fn sync_allows() {
    #![allow(unused_variables)]
    let i = 42;
}

#[vigil::monitored]
fn sync_allows_with_result() -> Result<u32, std::io::Error> {
    #![allow(unused_variables)]
    let i = 42;
    Ok(1)
}

#[vigil::monitored]
async fn async_allows() {
    #![allow(unused_variables)]
    let i = 42;
}

fn main() {
    sync_allows();
    assert_eq!(sync_allows_with_result().unwrap(), 1);
    let _ = async_allows();
}
