//! The functions `overhead` times and `icount` counts, one body each, so both benches measure
//! the same code: a bare one, the same under `#[vigil::monitored]`, and the same in a child
//! span written by hand with `sentry` (the alternative).

use std::hint::black_box;

/// What every measured function does.
#[inline(never)]
pub fn body(x: u64) -> u64 {
    black_box(x).wrapping_mul(31).rotate_left(7)
}

/// A `fn -> Result` without vigil.
#[inline(never)]
pub fn bare_result(x: u64) -> Result<u64, std::io::Error> {
    let y = body(x);
    if y == u64::MAX {
        return Err(std::io::Error::other("overflow"));
    }
    Ok(y)
}

/// The same under `#[vigil::monitored]`.
#[vigil::monitored]
#[inline(never)]
pub fn monitored_result(x: u64) -> Result<u64, std::io::Error> {
    let y = body(x);
    if y == u64::MAX {
        return Err(std::io::Error::other("overflow"));
    }
    Ok(y)
}

/// [`bare_result`] in a child span of the current `sentry` span, written by hand: opened,
/// its status from the result, finished.
pub fn raw_child_result(x: u64) -> u64 {
    let span = sentry::configure_scope(|s| s.get_span())
        .map(|parent| parent.start_child("function", "raw"));
    let out = bare_result(x);
    if let Some(span) = span {
        span.set_status(match out {
            Ok(_) => vigil::SpanStatus::Ok,
            Err(_) => vigil::SpanStatus::InternalError,
        });
        span.finish();
    }
    out.unwrap_or(0)
}
