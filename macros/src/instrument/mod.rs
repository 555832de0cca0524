//! `#[monitored]` and `#[transaction]`: the options are parsed and checked (`attr.rs`), the
//! function is parsed and its parameters classified (`item.rs`), then the body is wrapped
//! (`expand.rs`). Every problem of the options and the function is reported together, with
//! the function as written.

mod attr;
mod expand;
mod item;

use proc_macro2::TokenStream;

use crate::internals::{fallback, Errors};

/// Which attribute is being expanded.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Monitored,
    Transaction,
}

impl Kind {
    pub(crate) fn attr_name(self) -> &'static str {
        match self {
            Kind::Monitored => "#[vigil::monitored]",
            Kind::Transaction => "#[vigil::transaction]",
        }
    }
}

/// The expansion of `#[monitored(args)]` or `#[transaction(args)]` on `item`.
pub(crate) fn instrument(kind: Kind, args: TokenStream, item: TokenStream) -> TokenStream {
    let mut errors = Errors::new();
    let args = attr::parse(kind, args, &mut errors);
    let mut func = match item::parse(kind, item.clone()) {
        Ok(func) => func,
        // Not a function: report, and give the item back untouched.
        Err(e) => return fallback::item(errors.finish_with(e), item),
    };
    // Strips the `#[sensitive]` parameter markers even on an error, so the function as
    // written still compiles.
    let params = item::check(kind, &args, &mut func, &mut errors);
    match errors.finish() {
        Ok(()) => expand::expand(kind, &args, func, &params),
        Err(e) => fallback::item(e, func),
    }
}
