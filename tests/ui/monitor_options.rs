// Every other problem of the options, reported together at their tokens.
#[vigil::monitor(slug = "job")]
fn no_schedule() {}

#[vigil::monitor(slug = "job", schedule = "0 3 * * *", interval = "1 day")]
fn both() {}

#[vigil::monitor(slug = "job", schedule = "0 3 * * *", checkin_margin = 0, max_runtime = "30", recovery_threshold = 1000)]
fn bad_numbers() {}

#[vigil::monitor(slug = "job", interval = "1 day", timezone = "Europe/Berlin")]
fn timezone_with_interval() {}

#[vigil::monitor(slug = "job", schedule = "0 3 * * *", timezone = "Mars Base")]
fn bad_timezone() {}

#[vigil::monitor(slug = "job", schedule = "0 3 * * *", every = 5, slug = "again")]
fn unknown_and_duplicate() {}

#[vigil::monitor(slug = job, schedule = 3)]
fn not_strings() {}

fn main() {
    no_schedule();
    both();
    bad_numbers();
    timezone_with_interval();
    bad_timezone();
    unknown_and_duplicate();
    not_strings();
}
