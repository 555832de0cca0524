#[derive(vigil::Redact)]
struct Card {
    #[sensitive(partial = "4")]
    number: String,
    #[sensitive(partial = 0)]
    cvv: String,
}

fn main() {}
