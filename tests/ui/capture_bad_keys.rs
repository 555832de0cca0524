fn main() {
    let err = std::io::Error::other("x");
    vigil::capture_exception!(err, "user id" = 1, user_id = 2, user_id = 3);
    vigil::capture_message!("hello", level = loud);
    vigil::add_breadcrumb!("clicked", category = "ui", this_key_is_much_longer_than_sentry_allows = 1);
}
