// A wrong `crate` option is one error at the option; the stand-ins do not guess a path.

#[derive(vig::Redact)]
#[vigil(crate = vig)]
struct Login {
    #[sensitive]
    password: String,
}

fn main() {
    let login = Login { password: String::new() };
    let _ = format!("{login:?}");
    vig::add_breadcrumb!("clicked", crate = "vig::");
}
