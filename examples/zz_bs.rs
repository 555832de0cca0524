fn main() {
    let guard = vigil::init_with(vigil::Config::new().dsn(std::env::var("DSN").unwrap())).unwrap();
    vigil::set_user_context(vigil::User::new(42).username("ada"));
    vigil::add_breadcrumb!("clicked", category = "ui");
    let err = std::io::Error::other("disk full for password=hunter2");
    let id = vigil::capture_exception!(err, order = 7, api_key = "sk_live_1");
    println!("{}", id.simple());
    assert!(guard.flush(std::time::Duration::from_secs(5)));
}
