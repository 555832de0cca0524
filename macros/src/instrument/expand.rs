//! Code generation for `#[monitored]` and `#[transaction]`, from checked options and a
//! classified function.
//!
//! The body is kept as written, inside a closure (sync) or an async block (async) whose
//! output type is pinned to the function's, so `?`, `return` and coercions behave as before.
//! Around it: a `static` callsite, one "enabled" check, and calls into `vigil::__private`.

use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::visit_mut::VisitMut;
use syn::{ReturnType, Type};

use super::attr::Args;
use super::item::{Param, Record};
use super::Kind;

pub(crate) fn expand(kind: Kind, args: &Args, func: syn::ItemFn, params: &[Param]) -> TokenStream {
    let syn::ItemFn {
        attrs,
        vis,
        sig,
        block,
    } = func;
    let fn_name = sig.ident.to_string();
    let name = match &args.name {
        Some(name) => quote!(#name),
        None => quote!(::core::concat!(::core::module_path!(), "::", #fn_name)),
    };
    let op = args.op.clone().unwrap_or_else(|| match kind {
        Kind::Monitored => "function".to_owned(),
        Kind::Transaction => "task".to_owned(),
    });
    let is_transaction = kind == Kind::Transaction;
    let tags = args.tags.iter().map(|(k, v)| quote!((#k, #v)));
    let level = args.level.to_tokens(&args.krate);
    let capture_errors = args.capture_errors;
    let sample_rate = match args.sample_rate {
        Some(rate) => {
            let rate = rate as f32;
            quote!(::core::option::Option::Some(#rate))
        }
        None => quote!(::core::option::Option::None),
    };
    let private = args.krate.private();

    let callsite = quote! {
        static __VIGIL_CALLSITE: #private::Callsite = #private::Callsite {
            name: #name,
            op: #op,
            module: ::core::module_path!(),
            file: ::core::file!(),
            line: ::core::line!(),
            transaction: #is_transaction,
            tags: &[#(#tags),*],
            capture_errors: #capture_errors,
            level: #level,
            sample_rate: #sample_rate,
        };
    };

    let guard = format_ident!("__vigil_guard");
    let records: Vec<TokenStream> = params
        .iter()
        .filter_map(|p| {
            let key = p.ident.to_string();
            let ident = &p.ident;
            match p.record {
                Record::Value => Some(quote_spanned! {ident.span()=>
                    #guard.record(#key, (&&&#private::Arg(&#ident)).__vigil_value());
                }),
                Record::Filtered => Some(quote! {
                    #guard.record(#key, ::core::option::Option::Some(
                        ::core::convert::From::from(#private::FILTERED)));
                }),
                Record::Never => None,
            }
        })
        .collect();
    let record_block = if records.is_empty() {
        quote!()
    } else {
        quote! {
            if #guard.is_recording() {
                #[allow(unused_imports)]
                use #private::dispatch::{ArgDebug as _, ArgOther as _, ArgSerialize as _};
                #(#records)*
            }
        }
    };

    let (output_ty, inspect) = output_type(&sig.output);
    let classify = quote! {
        #[allow(unused_imports)]
        use #private::dispatch::{
            OutcomeAnyErr as _, OutcomeDebug as _, OutcomeDerefError as _, OutcomeError as _,
            OutcomeOther as _,
        };
    };

    let stmts = &block.stmts;
    let body = if sig.asyncness.is_some() {
        let finish = if inspect {
            quote! {
                |__vigil_out, __vigil_capture| {
                    #classify
                    (&&&&&#private::Outcome(__vigil_out)).__vigil_outcome(__vigil_capture)
                }
            }
        } else {
            quote!(|_, _| #private::Verdict::Ok)
        };
        // Pins the block's output type first, so `?`, `return` and the tail coerce to it
        // exactly as in the `async fn` itself. Never runs.
        let pin_output = quote! {
            if false {
                return #private::pin_type::<#output_ty>();
            }
        };
        // Spanned at the macro too: an `if`/`else` whose tokens all carry the block's span
        // reads as oddly formatted to clippy (`suspicious_else_formatting`).
        let run_future = quote! {
            if #guard.is_off() {
                __vigil_fut.await
            } else {
                #guard.instrument(__vigil_fut, #finish).await
            }
        };
        quote_spanned! {block.span()=>
            #callsite
            #[allow(unused_mut)]
            let mut #guard = #private::enter_async(&__VIGIL_CALLSITE);
            #record_block
            let __vigil_fut = #private::future::<#output_ty, _>(async move {
                #pin_output
                #(#stmts)*
            });
            #run_future
        }
    } else {
        let finish = if inspect {
            quote! {
                if #guard.is_active() {
                    #classify
                    let __vigil_capture = #guard.captures_errors();
                    #guard.finish(
                        (&&&&&#private::Outcome(&__vigil_ret)).__vigil_outcome(__vigil_capture),
                    );
                }
            }
        } else {
            quote!()
        };
        let run = if matches!(sig.output, ReturnType::Default) {
            // Nothing to inspect: no binding (and no `let_unit_value` lint in user code).
            quote!(#private::call::<(), _>(move || #block))
        } else {
            quote! {
                #[allow(clippy::let_unit_value)]
                let __vigil_ret = #private::call::<#output_ty, _>(move || #block);
                #finish
                __vigil_ret
            }
        };
        quote_spanned! {block.span()=>
            #callsite
            #[allow(unused_mut)]
            let mut #guard = #private::enter(&__VIGIL_CALLSITE);
            #record_block
            #run
        }
    };

    quote! {
        #(#attrs)*
        #vis #sig {
            #body
        }
    }
}

/// The output type to pin the body to (with `impl Trait` erased to `_`), and whether the
/// value can be inspected for an `Err` (not for `impl Trait` or `!`).
fn output_type(output: &ReturnType) -> (TokenStream, bool) {
    match output {
        ReturnType::Default => (quote!(()), false),
        ReturnType::Type(_, ty) => {
            if matches!(**ty, Type::Never(_)) {
                return (quote!(_), false);
            }
            let mut ty = (**ty).clone();
            let mut eraser = ImplTraitEraser(false);
            eraser.visit_type_mut(&mut ty);
            (quote!(#ty), !eraser.0)
        }
    }
}

/// Replaces `impl Trait` with `_` so the type can be named inside the body.
struct ImplTraitEraser(bool);

impl VisitMut for ImplTraitEraser {
    fn visit_type_mut(&mut self, ty: &mut Type) {
        if let Type::ImplTrait(impl_trait) = ty {
            self.0 = true;
            *ty = Type::Infer(syn::TypeInfer {
                underscore_token: syn::Token![_](impl_trait.span()),
            });
        } else {
            syn::visit_mut::visit_type_mut(self, ty);
        }
    }
}
