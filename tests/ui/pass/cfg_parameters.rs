//! A parameter disabled by `#[cfg]` is not recorded (it does not exist); the others are.
#[vigil::monitored]
fn shown_only(#[cfg(any())] hidden: u32, shown: u32) -> u32 {
    shown
}

#[vigil::monitored]
async fn shown_only_async(#[cfg(any())] hidden: u32, #[cfg(all())] shown: u32) -> u32 {
    shown
}

fn main() {
    assert_eq!(shown_only(2), 2);
    let _ = shown_only_async(3);
}
