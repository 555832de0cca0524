fn main() {
    vigil::capture_message!();
}
