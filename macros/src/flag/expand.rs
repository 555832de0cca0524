//! `flag!`'s expansion: the result, evaluated once, recorded under the checked name, and
//! given back.

use proc_macro2::TokenStream;
use quote::quote_spanned;
use syn::spanned::Spanned;

use super::parse::Call;

pub(crate) fn expand(call: &Call) -> TokenStream {
    let private = call.krate.private();
    let name = &call.name;
    let result = &call.result;
    // Spanned at the result: a result that is not a `bool` is reported there.
    quote_spanned! {result.span()=>
        #private::flag(#name, #result)
    }
}
