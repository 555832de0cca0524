#![deny(dead_code)]

#[vigil::monitored]
fn never_used() {}

fn main() {}
