fn mask(_: &String) -> String {
    String::new()
}

#[derive(vigil::Redact)]
struct Contact {
    #[sensitive(partial = 4, with = mask)]
    email: String,
}

fn main() {}
