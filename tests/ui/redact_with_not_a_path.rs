#[derive(vigil::Redact)]
struct Contact {
    #[sensitive(with = "mask_email")]
    email: String,
    #[sensitive(with = |e: &String| e.len().to_string())]
    phone: String,
}

fn main() {}
