//! `#[derive(Redact)]`: the type and its `#[sensitive(...)]` field markers are parsed and
//! checked (`parse.rs`), then a redacting `Debug` and `Serialize` are generated
//! (`expand.rs`). On an error: the error, plus impls that never run, so uses of the type
//! report nothing more.

pub(crate) mod expand;
mod parse;

use proc_macro2::TokenStream;

use crate::internals::{fallback, Errors};

/// The expansion of `#[derive(Redact)]` on `input`.
pub(crate) fn derive(input: TokenStream) -> TokenStream {
    let item = match syn::parse2::<syn::Item>(input) {
        Ok(item) => item,
        Err(e) => return e.into_compile_error(),
    };
    let mut errors = Errors::new();
    let parsed = parse::parse(&item, &mut errors);
    match (errors.finish(), parsed) {
        (Ok(()), Some(input)) => expand::derive(&input),
        (Err(e), parsed) => fallback::item(e, parsed.as_ref().map(expand::stand_in)),
        // Not reached: no input comes with an error.
        (Ok(()), None) => TokenStream::new(),
    }
}
