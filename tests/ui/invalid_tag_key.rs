#[vigil::monitored(tags(component = "billing", "user id" = 7, a_very_long_tag_key_that_sentry_will_not_accept = "x"))]
fn load() {}

fn main() {
    load();
}
