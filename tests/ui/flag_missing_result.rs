fn main() {
    let _ = vigil::flag!();
    let _ = vigil::flag!("new_checkout");
}
