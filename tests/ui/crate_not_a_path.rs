#[vigil::monitored(crate = "vigil::")]
fn load() {}

#[vigil::transaction(crate = "")]
fn job() {}

#[derive(vigil::Redact)]
#[vigil(crate = "vigil<T>")]
struct Login {
    #[sensitive]
    password: String,
}

#[vigil::sensitive(crate = "vigil-runtime")]
struct Key(String);

fn main() {
    load();
    job();
    let err = std::io::Error::other("x");
    vigil::capture_exception!(err, crate = "not a path");
    vigil::add_breadcrumb!("clicked", crate = "1vigil");
}
