// Problems of the options and of the function are reported together, each at its token.
#[vigil::monitored(opp = "db.query", skip(nope))]
const fn answer() -> u32 {
    42
}

#[vigil::sensitive(partial = 4)]
fn secret() -> u32 {
    42
}

fn main() {
    let _ = answer();
    let _ = secret();
}
