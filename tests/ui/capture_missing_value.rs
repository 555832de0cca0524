fn main() {
    vigil::capture_message!("hello", user_id);
}
