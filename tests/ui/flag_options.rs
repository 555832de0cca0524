fn main() {
    let _ = vigil::flag!("new_checkout", true, level = warning);
    let _ = vigil::flag!("new_checkout", true, crate = "vigil", crate = "vigil");
    let _ = vigil::flag!("new_checkout", true, crate = 1);
}
