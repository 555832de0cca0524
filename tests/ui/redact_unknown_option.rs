#[derive(vigil::Redact)]
struct Login {
    #[sensitive(hash)]
    password: String,
    #[sensitive(partial = 4, partial = 2)]
    card: String,
}

fn main() {
    let _ = show;
}

// Using the type after a failed derive reports nothing more.
fn show(login: &Login) -> String {
    format!("{login:?}")
}
