//! With nothing initialised in the process, the macros cost nothing and evaluate nothing.
//! Its own test binary: a `testing::capture` running on another thread of the same process
//! would switch vigil on for the whole process.

use std::cell::Cell;

mod common;
use common::RateLimited;

#[vigil::monitored]
fn fails(n: u32) -> Result<u32, RateLimited> {
    Err(RateLimited { limit: n })
}

#[test]
fn disabled_macros_evaluate_nothing_and_return_nil() {
    let guard = vigil::init_with(vigil::Config::new()).unwrap();
    assert!(!guard.is_enabled());
    let tx = vigil::start_transaction("t", "task");
    assert!(!tx.is_sampled());
    assert_eq!(tx.trace_id(), None);
    assert_eq!(fails(3).unwrap_err().limit, 3);
    let evaluated = Cell::new(0);
    let touch = || {
        evaluated.set(evaluated.get() + 1);
        1
    };
    let id = vigil::capture_message!("m", n = touch());
    assert!(id.is_nil());
    let id = vigil::capture_exception!(
        RateLimited {
            limit: touch() as u32
        },
        n = touch()
    );
    assert!(id.is_nil());
    vigil::add_breadcrumb!("b", n = touch());
    assert_eq!(evaluated.get(), 0);
}
