fn main() {
    let not_an_error = 42;
    vigil::capture_exception!(not_an_error);
}
