//! Code generation for the capture and breadcrumb macros, from a checked [`Call`].
//!
//! Nothing is evaluated when vigil is disabled; values under a secret-sounding key are
//! type-checked but never evaluated nor formatted.

use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::Expr;

use crate::internals::Level;

use super::parse::Call;
use super::template;
use super::CallKind;

pub(crate) fn expand(kind: CallKind, call: &Call) -> TokenStream {
    let private = call.krate.private();
    // A template's values, bound once each (a field named like a placeholder is evaluated
    // once, for both); secret ones are never bound.
    let bindings: Vec<(String, syn::Ident, TokenStream)> = match &call.template {
        Some((lit, template)) => {
            let mut seen: Vec<String> = Vec::new();
            template
                .placeholders
                .iter()
                .filter(|p| {
                    !p.sensitive && !seen.contains(&p.name) && {
                        seen.push(p.name.clone());
                        true
                    }
                })
                .enumerate()
                .map(|(i, p)| {
                    let binding = format_ident!("__vigil_t{}", i);
                    let value = match call.fields.iter().find(|f| f.key == p.name) {
                        Some(f) => {
                            let value = &f.value;
                            quote!(&(#value))
                        }
                        None => {
                            let ident = template::ident(&p.name, lit.span());
                            quote!(&#ident)
                        }
                    };
                    (p.name.clone(), binding, value)
                })
                .collect()
        }
        None => Vec::new(),
    };
    let binding_of = |key: &str| bindings.iter().find(|(n, ..)| n == key).map(|(_, b, _)| b);
    let bind: Vec<TokenStream> = bindings
        .iter()
        .map(|(_, b, value)| quote!(let #b = #value;))
        .collect();
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
            } else if let Some(binding) = binding_of(key) {
                quote_spanned! {f.key_span=>
                    .field(#key, #binding)
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
    let fingerprint = call
        .fingerprint
        .as_ref()
        .map(|parts| quote!(.fingerprint(&[#(#parts),*])));
    // The message: a template's formatted text (and its parts), or the value's `Display`.
    let formatted = match &call.template {
        Some((lit, template)) => {
            let mut named: Vec<String> = Vec::new();
            let args = template.placeholders.iter().filter_map(|p| {
                if named.contains(&p.name) {
                    return None;
                }
                named.push(p.name.clone());
                let name = template::ident(&p.name, lit.span());
                Some(match binding_of(&p.name) {
                    Some(binding) => quote!(#name = #binding),
                    None => quote!(#name = #private::FILTERED),
                })
            });
            quote!(::std::format!(#lit, #(#args),*))
        }
        None => message_tokens(&call.first),
    };

    // An event: the builder's start differs, the rest is the same.
    let capture = |start: TokenStream| {
        quote! {
            {
                #unevaluated
                if #private::enabled() {
                    #(#bind)*
                    #start
                    #level
                    #fingerprint
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
                (&&&&&#private::ErrRef(&(#err))).__vigil_event()
            };
            // A function item here: its type's name says which function this is (read
            // only when an event is built), for the event's frame.
            capture(quote! {
                #[allow(unused_imports)]
                use #private::dispatch::{
                    ErrDeref as _, ErrDerefDyn as _, ErrError as _, ErrHolder as _, ErrOther as _,
                };
                fn __vigil_here() {}
                #private::EventBuilder::from_event(#event)
                    .here(__vigil_here, ::core::module_path!(), ::core::file!(), ::core::line!())
            })
        }
        CallKind::Message => {
            let info = Level::Info.to_tokens(&call.krate);
            match &call.template {
                Some((_, template)) => {
                    let logentry = &template.logentry;
                    let params = template.placeholders.iter().map(|p| {
                        match binding_of(&p.name).filter(|_| !p.sensitive) {
                            Some(binding) => {
                                let spec = format!("{{:{}}}", p.spec);
                                quote!(::std::format!(#spec, #binding))
                            }
                            None => quote!(::std::string::String::from(#private::FILTERED)),
                        }
                    });
                    capture(quote! {
                        #private::EventBuilder::template(
                            #logentry,
                            #formatted,
                            ::std::vec![#(#params),*],
                            #info,
                        )
                    })
                }
                None => capture(quote!(#private::EventBuilder::message(#formatted, #info))),
            }
        }
        CallKind::Breadcrumb => {
            let category = call.category.as_ref().map(|c| quote!(.category(#c)));
            let ty = call.ty.as_ref().map(|t| quote!(.ty(#t)));
            quote! {
                {
                    #unevaluated
                    if #private::enabled() {
                        #(#bind)*
                        #private::BreadcrumbBuilder::new(#formatted)
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

/// A string literal is used as it is (a template, with placeholders, is handled above);
/// anything else through `Display`.
fn message_tokens(expr: &Expr) -> TokenStream {
    quote!(#expr)
}
