// Intervals Sentry does not accept.
#[vigil::monitor(slug = "sync", interval = "30 seconds")]
fn seconds() {}

#[vigil::monitor(slug = "sync", interval = "0 minutes")]
fn zero() {}

#[vigil::monitor(slug = "sync", interval = "ten minutes")]
fn words() {}

#[vigil::monitor(slug = "sync", interval = "10")]
fn no_unit() {}

fn main() {
    seconds();
    zero();
    words();
    no_unit();
}
