//! `capture_exception!`, `capture_message!` and `add_breadcrumb!`: the input is parsed and
//! checked (`parse.rs`), then expanded to a builder chain into the runtime (`expand.rs`).
//! On an error: the error, and a stand-in value of the macro's type.

mod expand;
mod parse;
mod template;

use proc_macro2::TokenStream;
use quote::quote;

use crate::internals::{fallback, Krate};

/// Which macro is being expanded.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum CallKind {
    Exception,
    Message,
    Breadcrumb,
}

impl CallKind {
    fn macro_name(self) -> &'static str {
        match self {
            CallKind::Exception => "capture_exception!",
            CallKind::Message => "capture_message!",
            CallKind::Breadcrumb => "add_breadcrumb!",
        }
    }

    /// What the first argument is.
    fn first(self) -> &'static str {
        match self {
            CallKind::Exception => "an error",
            CallKind::Message | CallKind::Breadcrumb => "a message",
        }
    }

    fn example(self) -> &'static str {
        match self {
            CallKind::Exception => "capture_exception!(err, user_id = 123)",
            CallKind::Message => {
                "capture_message!(\"rate limited\", level = warning, user_id = 123)"
            }
            CallKind::Breadcrumb => "add_breadcrumb!(\"clicked checkout\", category = \"ui\")",
        }
    }
}

/// The expansion of one of the three macros on `input`.
pub(crate) fn capture(kind: CallKind, input: TokenStream) -> TokenStream {
    match parse::parse(kind, input.clone()) {
        Ok(call) => expand::expand(kind, &call),
        Err(e) => {
            // What the macro returns, reached through the user's `crate = "..."` if it can
            // be read, so a renamed dependency gets no second error.
            let stand_in = match kind {
                CallKind::Breadcrumb => quote!(()),
                CallKind::Exception | CallKind::Message => {
                    let private = Krate::scan(&input).private();
                    quote!(#private::nil_event_id())
                }
            };
            fallback::expr(e, stand_in)
        }
    }
}
