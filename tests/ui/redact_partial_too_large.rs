// `partial` keeps at most 64 characters: a mask, not an allocation of any size.
#[derive(vigil::Redact)]
struct Card {
    #[sensitive(partial = 64)]
    number: String,
    #[sensitive(partial = 65)]
    holder: String,
    #[sensitive(partial = 18446744073709551616)]
    iban: String,
}

fn main() {}
