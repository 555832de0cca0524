//! A `use` inside the body that shadows the return type's name (tracing's #3306), sync and
//! async: the body keeps a scope of its own.
type Foo = ();
enum Bar {
    #[allow(dead_code)]
    Foo,
}

#[vigil::monitored]
fn sync_is_fine() -> Foo {
    // The glob import brings `Bar::Foo`, shadowing `Foo`.
    #[allow(unused_imports)]
    use Bar::*;
}

#[vigil::monitored]
async fn async_is_fine() -> Foo {
    #[allow(unused_imports)]
    use Bar::*;
}

fn main() {
    sync_is_fine();
    let _ = async_is_fine();
}
