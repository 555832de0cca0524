// Slugs Sentry would refuse.
#[vigil::monitor(slug = "Nightly Report", schedule = "0 3 * * *")]
fn spaces_and_capitals() {}

#[vigil::monitor(slug = "a-monitor-slug-that-goes-on-well-past-fifty-characters", schedule = "0 3 * * *")]
fn too_long() {}

#[vigil::monitor(slug = "2024", schedule = "0 3 * * *")]
fn only_digits() {}

#[vigil::monitor(schedule = "0 3 * * *")]
fn no_slug() {}

fn main() {
    spaces_and_capitals();
    too_long();
    only_digits();
    no_slug();
}
