#[vigil::sensitive]
fn secret() -> u32 {
    42
}

#[vigil::sensitive(partial = 4)]
struct Key(String);

fn main() {}
