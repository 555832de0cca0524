//! The package of vigil's quickstart, `examples/quickstart.rs`: run it from the repository's
//! root with `cargo run --example quickstart`. It has its own package so that its first build
//! takes only vigil and what the tour needs, not the test suite's dev-dependencies.
