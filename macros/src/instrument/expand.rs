//! Code generation for `#[monitored]` and `#[transaction]`, from checked options and a
//! classified function.
//!
//! The body is kept as written. A sync fn whose result is read runs its body in a closure
//! whose return type is pinned to the function's, so `?`, `return` and coercions behave as
//! before; other sync fns keep their body inline (so `impl Trait` closures infer their
//! types and `#[track_caller]` keeps its meaning). An async body (of an `async fn`, or the
//! `async` block a sync fn returns, as `#[async_trait]` writes) runs in an async block
//! with its output type pinned, inside the one instrumented future of the runtime. Around
//! it: a `static` callsite, one "enabled" check, and calls into `vigil::__private`.

use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned, ToTokens};
use syn::spanned::Spanned;
use syn::ReturnType;

use super::attr::Args;
use super::item::{self, Param, Record, Shape};
use super::Kind;
use crate::internals::classify::classify;
use crate::internals::{function, ty};

/// What every part of the expansion needs.
struct Ctx {
    private: TokenStream,
    callsite: TokenStream,
    records: TokenStream,
}

pub(crate) fn expand(kind: Kind, args: &Args, func: syn::ItemFn, params: &[Param]) -> TokenStream {
    let shape = item::shape(&func);
    let syn::ItemFn {
        attrs,
        vis,
        sig,
        block,
    } = func;
    let private = args.krate.private();
    let ctx = Ctx {
        callsite: callsite(kind, args, &sig.ident),
        records: records(&private, params),
        private,
    };
    // Inner attributes (`#![allow(..)]` at the top of the body) stay at the top of the body.
    let (inner, outer) = function::split_attrs(attrs);

    let brace = block.brace_token;
    let body = match shape {
        Shape::Async => {
            let output = match &sig.output {
                ReturnType::Default => syn::parse_quote!(()),
                ReturnType::Type(_, ty) => (**ty).clone(),
            };
            async_body(&ctx, &output, block.to_token_stream(), block.span())
        }
        Shape::ReturnsAsyncBlock {
            output,
            tail,
            pinned,
        } => {
            let async_expr = item::async_block(&block, tail);
            let instrumented = async_body(
                &ctx,
                &output,
                async_expr.block.to_token_stream(),
                async_expr.block.span(),
            );
            let async_attrs = &async_expr.attrs;
            let future = quote!(#(#async_attrs)* async move { #instrumented });
            let future = if pinned {
                quote!(::std::boxed::Box::pin(#future))
            } else {
                future
            };
            let before = &block.stmts[..tail];
            quote!(#(#before)* #future)
        }
        Shape::Sync { inspect } => sync_body(&ctx, &sig.output, inspect, &block),
    };

    function::with_body(&outer, inner, &vis, &sig, brace, body)
}

/// The `static` metadata of the function.
fn callsite(kind: Kind, args: &Args, ident: &syn::Ident) -> TokenStream {
    let fn_name = ident.to_string();
    // The function's line, not the attribute's: spanned at its name.
    let line = quote_spanned!(ident.span()=> ::core::line!());
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
    let fingerprint = &args.fingerprint;
    let private = args.krate.private();
    quote! {
        static __VIGIL_CALLSITE: #private::Callsite = #private::Callsite {
            name: #name,
            op: #op,
            function: #fn_name,
            module: ::core::module_path!(),
            file: ::core::file!(),
            line: #line,
            transaction: #is_transaction,
            tags: &[#(#tags),*],
            capture_errors: #capture_errors,
            level: #level,
            sample_rate: #sample_rate,
            fingerprint: &[#(#fingerprint),*],
        };
    }
}

fn guard() -> syn::Ident {
    format_ident!("__vigil_guard")
}

/// Recording the parameters' values (only when the span is recorded).
fn records(private: &TokenStream, params: &[Param]) -> TokenStream {
    let guard = guard();
    let records: Vec<TokenStream> = params
        .iter()
        .filter_map(|p| {
            let key = p.ident.to_string();
            let ident = &p.ident;
            let cfgs = &p.cfgs;
            match p.record {
                Record::Value => Some(quote_spanned! {ident.span()=>
                    #(#cfgs)*
                    #guard.record(#key, (&&&#private::Arg(&#ident)).__vigil_value());
                }),
                Record::Filtered => Some(quote! {
                    #(#cfgs)*
                    #guard.record(#key, ::core::option::Option::Some(
                        ::core::convert::From::from(#private::FILTERED)));
                }),
                Record::Never => None,
            }
        })
        .collect();
    if records.is_empty() {
        return quote!();
    }
    quote! {
        if #guard.is_recording() {
            #[allow(unused_imports)]
            use #private::dispatch::{ArgDebug as _, ArgOther as _, ArgSerialize as _};
            #(#records)*
        }
    }
}

/// An async body with output type `output`, run in the runtime's instrumented future.
fn async_body(
    ctx: &Ctx,
    output: &syn::Type,
    block: TokenStream,
    span: proc_macro2::Span,
) -> TokenStream {
    let Ctx {
        private,
        callsite,
        records,
    } = ctx;
    let guard = guard();
    let inspect = ty::is_inspectable(output);
    let (output_ty, _) = ty::erase_impl_trait(output);
    let finish = if inspect {
        let classify = classify(
            private,
            output,
            quote!(__vigil_out),
            quote!(__vigil_capture),
        );
        quote!(|__vigil_out, __vigil_capture| #classify)
    } else {
        quote!(|_, _| #private::Verdict::Ok)
    };
    // Pins the block's output type first, so `?`, `return` and the tail coerce to it exactly
    // as in the `async fn` itself. Never runs. The body stays a block of its own after it,
    // so a `use` inside cannot change what the output type's name means here.
    let pin_output = quote! {
        if false {
            return #private::pin_type::<#output_ty>();
        }
    };
    // Spanned at the macro too: an `if`/`else` whose tokens all carry the block's span reads
    // as oddly formatted to clippy (`suspicious_else_formatting`).
    let run_future = quote! {
        if #guard.is_off() {
            __vigil_fut.await
        } else {
            #guard.instrument(__vigil_fut, #finish).await
        }
    };
    quote_spanned! {span=>
        #callsite
        #[allow(unused_mut)]
        let mut #guard = #private::enter_async(&__VIGIL_CALLSITE);
        #records
        // The body keeps its braces (its own scope, see above): not unnecessary here.
        #[allow(unused_braces)]
        let __vigil_fut = #private::future::<#output_ty, _>(async move {
            #pin_output
            #block
        });
        #run_future
    }
}

/// A sync body: in a closure when its result is read, inline otherwise.
fn sync_body(ctx: &Ctx, output: &ReturnType, inspect: bool, block: &syn::Block) -> TokenStream {
    let Ctx {
        private,
        callsite,
        records,
    } = ctx;
    let guard = guard();
    let run = if inspect {
        let ReturnType::Type(_, ty) = output else {
            unreachable!("a `()` result is not read")
        };
        let (output_ty, _) = ty::erase_impl_trait(ty);
        let classify = classify(private, ty, quote!(&__vigil_ret), quote!(__vigil_capture));
        quote! {
            let __vigil_ret = #private::call::<#output_ty, _>(move || #block);
            if #guard.is_active() {
                let __vigil_capture = #guard.captures_errors();
                #guard.finish(#classify);
            }
            __vigil_ret
        }
    } else {
        // Nothing to read: the body as written, the guard closing the span when it returns.
        let stmts = &block.stmts;
        quote!(#(#stmts)*)
    };
    quote_spanned! {block.span()=>
        #callsite
        #[allow(unused_mut)]
        let mut #guard = #private::enter(&__VIGIL_CALLSITE);
        #records
        #run
    }
}
