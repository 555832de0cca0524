//! Code generation for the capture and breadcrumb macros, from a checked [`Call`].
//!
//! Nothing is evaluated when vigil is disabled; values under a secret-sounding key are
//! type-checked but never evaluated nor formatted.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Expr, ExprLit, Lit};

use crate::internals::Level;

use super::parse::Call;
use super::CallKind;

pub(crate) fn expand(kind: CallKind, call: &Call) -> TokenStream {
    let private = call.krate.private();
    let fields: Vec<TokenStream> = call
        .fields
        .iter()
        .map(|f| {
            let key = &f.key;
            let value = &f.value;
            if f.sensitive {
                quote_spanned! {f.key_span=>
                    .filtered(#key)
                }
            } else {
                quote_spanned! {f.key_span=>
                    .field(#key, &(#value))
                }
            }
        })
        .collect();
    // Type-check secret values without ever running them.
    let unevaluated = call.fields.iter().filter(|f| f.sensitive).map(|f| {
        let value = &f.value;
        quote!(let _ = &(#value);)
    });
    let unevaluated = quote! {
        #[allow(unreachable_code, clippy::diverging_sub_expression)]
        if false { #(#unevaluated)* }
    };
    let level = call.level.map(|level| {
        let level = level.to_tokens(&call.krate);
        quote!(.level(#level))
    });

    // An event: the builder's start differs, the rest is the same.
    let capture = |start: TokenStream| {
        quote! {
            {
                #unevaluated
                if #private::enabled() {
                    #start
                    #level
                    #(#fields)*
                    .capture()
                } else {
                    #private::nil_event_id()
                }
            }
        }
    };
    match kind {
        CallKind::Exception => {
            let err = &call.first;
            // Spanned at the user's expression, so a non-error value is reported there.
            let event = quote_spanned! {err.span()=>
                (&&#private::ErrRef(&(#err))).__vigil_event()
            };
            capture(quote! {
                #[allow(unused_imports)]
                use #private::dispatch::{ErrDeref as _, ErrError as _, ErrOther as _};
                #private::EventBuilder::from_event(#event)
            })
        }
        CallKind::Message => {
            let message = message_tokens(&call.first);
            let info = Level::Info.to_tokens(&call.krate);
            capture(quote!(#private::EventBuilder::message(#message, #info)))
        }
        CallKind::Breadcrumb => {
            let message = message_tokens(&call.first);
            let category = call.category.as_ref().map(|c| quote!(.category(#c)));
            let ty = call.ty.as_ref().map(|t| quote!(.ty(#t)));
            quote! {
                {
                    #unevaluated
                    if #private::enabled() {
                        #private::BreadcrumbBuilder::new(#message)
                        #category
                        #ty
                        #level
                        #(#fields)*
                        .add()
                    }
                }
            }
        }
    }
}

/// A string literal with `{...}` is a format string (inline arguments such as `{user_id}`);
/// anything else is used through `Display`.
fn message_tokens(expr: &Expr) -> TokenStream {
    match expr {
        Expr::Lit(ExprLit {
            lit: Lit::Str(lit), ..
        }) if lit.value().contains('{') => quote!(::std::format!(#lit)),
        other => quote!(#other),
    }
}
