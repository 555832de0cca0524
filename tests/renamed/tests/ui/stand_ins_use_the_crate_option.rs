// Each macro fails on a mistake of its own; the code around it (which uses its result, the
// type, the function) reports nothing more, though no crate here is named `vigil`.

#[derive(vig::Redact)]
#[vigil(crate = "vig")]
struct Login {
    #[sensitive(hash)]
    password: String,
}

#[vig::monitored(crate = "vig", opp = "db.query")]
fn load(id: u64) -> u64 {
    id
}

fn main() {
    let err = std::io::Error::other("x");
    // A checking error, then a syntax error (the option is found in the raw input).
    let id = vig::capture_exception!(err, crate = "vig", "user id" = 1);
    let other = vig::capture_message!("hello", crate = "vig", user id = 1);
    assert!(id.is_nil() && other.is_nil());

    let login = Login { password: String::new() };
    let _ = format!("{login:?}");
    let _ = load(1);
}
