//! A function given a new body: what every attribute on a function emits.

use proc_macro2::TokenStream;
use quote::{quote, ToTokens, TokenStreamExt};
use syn::{AttrStyle, Attribute, Signature, Visibility};

/// The function's inner attributes (`#![allow(..)]` at the top of its body), kept apart
/// from the others, which stay on the function.
pub(crate) fn split_attrs(attrs: Vec<Attribute>) -> (Vec<Attribute>, Vec<Attribute>) {
    attrs
        .into_iter()
        .partition(|a| matches!(a.style, AttrStyle::Inner(_)))
}

/// The function as written around `body`: its outer attributes, visibility and signature,
/// then its inner attributes at the top of `body`, inside the body's own braces. The braces
/// are the user's (as tracing-attributes keeps them): an item whose tokens end in the
/// macro's span counts as macro-made, and lints such as `dead_code` would skip the function.
pub(crate) fn with_body(
    outer: &[Attribute],
    inner: Vec<Attribute>,
    vis: &Visibility,
    sig: &Signature,
    brace: syn::token::Brace,
    body: TokenStream,
) -> TokenStream {
    let mut out = quote!(#(#outer)* #vis #sig);
    brace.surround(&mut out, |tokens| {
        tokens.append_all(inner);
        body.to_tokens(tokens);
    });
    out
}
