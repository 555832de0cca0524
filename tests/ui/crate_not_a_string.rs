// `crate = "..."` takes the path as a string, as serde's does.
#[vigil::monitored(crate = vigil)]
fn load() {}

#[vigil::transaction(crate)]
fn job() {}

#[derive(vigil::Redact)]
#[vigil(crate = vigil)]
struct Login {
    #[sensitive]
    password: String,
}

#[vigil::sensitive(crate = 1)]
struct Key(String);

fn main() {
    load();
    job();
    vigil::capture_message!("hello", crate = vigil);
}
