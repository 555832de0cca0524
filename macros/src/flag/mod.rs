//! `flag!("new_checkout", result)`: a feature flag evaluation whose name is checked at
//! compile time. The input is parsed and checked (`parse.rs`), then expanded to a call into
//! the runtime that records the evaluation and gives the result back (`expand.rs`). On an
//! error: the error, and the result expression itself as the stand-in, so the code around
//! the call still type-checks.

mod expand;
mod parse;

use proc_macro2::TokenStream;

use crate::internals::fallback;

/// The expansion of `flag!` on `input`.
pub(crate) fn flag(input: TokenStream) -> TokenStream {
    match parse::parse(input.clone()) {
        Ok(call) => expand::expand(&call),
        Err(e) => fallback::expr(e, parse::stand_in(input)),
    }
}
