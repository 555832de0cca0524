// Crontabs Sentry would refuse: a value out of range, six fields, an unknown name.
#[vigil::monitor(slug = "nightly-report", schedule = "0 25 * * *")]
fn hour_out_of_range() {}

#[vigil::monitor(slug = "nightly-report", schedule = "0 3 * * * *")]
fn six_fields() {}

#[vigil::monitor(slug = "nightly-report", schedule = "0 3 * FOO MON")]
fn unknown_month() {}

#[vigil::monitor(slug = "nightly-report", schedule = "0 3 * * MON-FUN")]
fn unknown_day() {}

#[vigil::monitor(slug = "nightly-report", schedule = "*/0 * * * *")]
fn zero_step() {}

fn main() {
    hour_out_of_range();
    six_fields();
    unknown_month();
    unknown_day();
    zero_step();
}
