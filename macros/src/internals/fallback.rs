//! The one fallback on an error: the error, plus the user's code as written.
//!
//! As thiserror's `fallback.rs` does: the user sees the macro's message once, not a cascade of
//! errors from a missing item, and the editor still type-checks and completes inside it.

use proc_macro2::TokenStream;
use quote::{quote, ToTokens};

/// The error, then the item unchanged (or a harmless stand-in for what the macro would have
/// generated, such as impls that never run).
pub(crate) fn item(error: syn::Error, item: impl ToTokens) -> TokenStream {
    let error = error.into_compile_error();
    quote!(#error #item)
}

/// In expression position: the error, then a stand-in value of the type the macro returns,
/// so the code around the call reports nothing more.
pub(crate) fn expr(error: syn::Error, stand_in: impl ToTokens) -> TokenStream {
    let error = error.into_compile_error();
    quote!({ #error; #stand_in })
}
