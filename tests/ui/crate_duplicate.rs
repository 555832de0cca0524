#[vigil::monitored(crate = "vigil", op = "db.query", crate = "::vigil")]
fn load() {}

#[derive(vigil::Redact)]
#[vigil(crate = "vigil")]
#[vigil(crate = "::vigil")]
struct Login {
    #[sensitive]
    password: String,
}

#[vigil::sensitive(crate = "vigil", crate = "vigil")]
struct Key(String);

fn main() {
    load();
    vigil::capture_message!("hello", crate = "vigil", level = info, crate = "vigil");
    // Quoted, `"crate"` is a field, not the option: no duplicate.
    vigil::capture_message!("hello", crate = "vigil", "crate" = 1);
}
