// `#[vigil(...)]` on a `Redact` type takes `crate` only, and only on the type itself.
#[derive(vigil::Redact)]
#[vigil(crate = "vigil", rename_all = "camelCase")]
struct Login {
    #[vigil(crate = "vigil")]
    user: String,
    #[sensitive]
    password: String,
}

#[derive(vigil::Redact)]
#[vigil]
enum Method {
    #[vigil(crate = "vigil")]
    Token(#[sensitive] String),
}

fn main() {
    let _ = show;
}

// Using the types after a failed derive reports nothing more.
fn show(login: &Login, method: &Method) -> String {
    format!("{login:?} {method:?}")
}
