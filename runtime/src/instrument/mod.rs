//! Running code in a span: the guard of a monitored sync function ([`guard`]), the span of a
//! monitored async function ([`async_span`]), the one instrumented future every async
//! span runs in ([`future`]), the macros' and the integrations' alike, and work bound to the
//! current span and scope to run elsewhere ([`bind`]). The guard and the async span decide
//! between child, transaction and nothing inline, from one read of the current span (the hot
//! path); everything else opens spans with [`crate::span::open`].

pub mod async_span;
pub(crate) mod bind;
pub(crate) mod future;
pub mod guard;

use std::future::Future;

/// Calls `f`; the explicit `R` gives the closure the function's return type, so `?`,
/// `return` and coercions inside the body behave exactly as in the function itself.
#[inline(always)]
pub fn call<R, F: FnOnce() -> R>(f: F) -> R {
    f()
}

/// Returns `f`; the explicit `R` gives the async block the function's output type.
#[inline(always)]
pub fn future<R, F: Future<Output = R>>(f: F) -> F {
    f
}

/// A value of any type, for type inference only: expansions call it in dead code.
#[inline(always)]
pub fn pin_type<R>() -> R {
    unreachable!("vigil::__private::pin_type is only named in dead code")
}
