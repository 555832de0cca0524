//! The one expression both `#[monitored]`/`#[transaction]` and `#[monitor]` emit to read a
//! function's result: the runtime's autoref dispatch (`capture::dispatch`), which picks the
//! most specific way to describe an `Err` at compile time.

use proc_macro2::TokenStream;
use quote::quote;

use super::ty;

/// `value` (a reference to the result) classified into a `Verdict`; `capture` says whether
/// an `Err` becomes an event.
///
/// `output` is the result's type as written. When it names a lifetime other than
/// `'static` (`Result<T, Box<dyn Error + 'a>>`), the level that downcasts the error behind
/// `dyn Error` is left out: the compiler picks a level before it checks lifetimes, so that
/// level, which needs `dyn Error + 'static`, would be picked and then fail to compile. The
/// error is still captured, by the level below (named from what the error says of itself).
pub(crate) fn classify(
    private: &TokenStream,
    output: &syn::Type,
    value: TokenStream,
    capture: TokenStream,
) -> TokenStream {
    let deref_dyn = if ty::borrows(output) {
        quote!()
    } else {
        quote!(OutcomeDerefDyn as _,)
    };
    quote! {{
        #[allow(unused_imports)]
        use #private::dispatch::{
            OutcomeAnyErr as _, OutcomeDebug as _, #deref_dyn OutcomeDerefError as _,
            OutcomeDisplay as _, OutcomeError as _, OutcomeHolder as _, OutcomeOther as _,
        };
        (&&&&&&&&#private::Outcome(#value)).__vigil_outcome(#capture)
    }}
}
