fn main() {
    let name = "new_checkout";
    let _ = vigil::flag!(name, true);
}
