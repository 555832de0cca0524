//! Code generation for `#[vigil::monitor]`: a `static` description of the monitor, the
//! `in_progress` check-in when the function starts, and the last one when it ends (its
//! result read for an `Err`; a panic or a future dropped unfinished is an `error`).
//!
//! As `#[monitored]` does: a sync body whose result is read runs in a closure whose return
//! type is pinned to the function's (so `?` and `return` behave as before); other sync
//! bodies stay inline (the guard's drop sends `ok`, or `error` when unwinding); an async
//! body runs in an async block with its output type pinned.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned, ToTokens};
use syn::spanned::Spanned;
use syn::ReturnType;

use super::parse::{Args, Schedule};
use crate::internals::classify::classify;
use crate::internals::function;
use crate::internals::ty::{erase_impl_trait, is_inspectable};

pub(crate) fn expand(args: &Args, func: syn::ItemFn) -> TokenStream {
    let syn::ItemFn {
        attrs,
        vis,
        sig,
        block,
    } = func;
    let private = args.krate.private();
    let monitor = monitor_static(args, &private);
    let (inner, outer) = function::split_attrs(attrs);
    let span = block.span();
    let output = match &sig.output {
        ReturnType::Default => None,
        ReturnType::Type(_, ty) => Some((**ty).clone()),
    };
    let body = if sig.asyncness.is_some() {
        let output_ty = output.clone().unwrap_or_else(|| syn::parse_quote!(()));
        let inspect = is_inspectable(&output_ty);
        let finish = if inspect {
            let classify = classify(&private, &output_ty, quote!(__vigil_out), quote!(false));
            quote!(|__vigil_out| #classify)
        } else {
            quote!(|_| #private::Verdict::Ok)
        };
        let (output_ty, _) = erase_impl_trait(&output_ty);
        let run = quote! {
            if #private::CheckInGuard::is_active(&__vigil_checkin) {
                __vigil_checkin.instrument(__vigil_fut, #finish).await
            } else {
                __vigil_fut.await
            }
        };
        quote_spanned! {span=>
            #monitor
            let __vigil_checkin = #private::checkin(&__VIGIL_MONITOR);
            #[allow(unused_braces)]
            let __vigil_fut = #private::future::<#output_ty, _>(async move {
                if false {
                    return #private::pin_type::<#output_ty>();
                }
                #block
            });
            #run
        }
    } else {
        match output.filter(is_inspectable) {
            Some(ty) => {
                let (output_ty, _) = erase_impl_trait(&ty);
                let classify = classify(&private, &ty, quote!(&__vigil_ret), quote!(false));
                quote_spanned! {span=>
                    #monitor
                    let mut __vigil_checkin = #private::checkin(&__VIGIL_MONITOR);
                    let __vigil_ret = #private::call::<#output_ty, _>(move || #block);
                    if __vigil_checkin.is_active() {
                        __vigil_checkin.finish(#classify);
                    }
                    __vigil_ret
                }
            }
            None => {
                // Nothing to read: the body as written; the guard's drop sends `ok` (or
                // `error` when unwinding from a panic).
                let stmts = &block.stmts;
                quote_spanned! {span=>
                    #monitor
                    let __vigil_checkin = #private::checkin(&__VIGIL_MONITOR);
                    #(#stmts)*
                }
            }
        }
    };
    function::with_body(&outer, inner, &vis, &sig, block.brace_token, body)
}

/// The `static` description of the monitor.
fn monitor_static(args: &Args, private: &TokenStream) -> TokenStream {
    let slug = args.slug.as_deref().unwrap_or_default();
    let schedule = match &args.schedule {
        Some(Schedule::Crontab(crontab)) => quote!(#private::Schedule::Crontab(#crontab)),
        Some(Schedule::Interval(n, unit)) => {
            let unit = syn::Ident::new(unit.variant(), proc_macro2::Span::call_site());
            quote!(#private::Schedule::Interval(#n, #private::Unit::#unit))
        }
        None => unreachable!("a missing schedule is reported"),
    };
    let opt_u64 = |v: Option<u64>| match v {
        Some(v) => quote!(::core::option::Option::Some(#v)),
        None => quote!(::core::option::Option::None),
    };
    let checkin_margin = opt_u64(args.checkin_margin);
    let max_runtime = opt_u64(args.max_runtime);
    let failure_issue_threshold = opt_u64(args.failure_issue_threshold);
    let recovery_threshold = opt_u64(args.recovery_threshold);
    let timezone = match &args.timezone {
        Some(tz) => quote!(::core::option::Option::Some(#tz)),
        None => quote!(::core::option::Option::None),
    };
    quote! {
        static __VIGIL_MONITOR: #private::Monitor = #private::Monitor {
            slug: #slug,
            schedule: #schedule,
            checkin_margin: #checkin_margin,
            max_runtime: #max_runtime,
            timezone: #timezone,
            failure_issue_threshold: #failure_issue_threshold,
            recovery_threshold: #recovery_threshold,
        };
    }
}

/// Does a sync fn return a future (`impl Future<..>`, `Pin<Box<dyn Future<..>>>`)?
pub(crate) fn returns_impl_future(output: &ReturnType) -> bool {
    let ReturnType::Type(_, ty) = output else {
        return false;
    };
    let text = ty.to_token_stream().to_string();
    text.contains("Future") && (text.contains("impl") || text.contains("dyn"))
}
