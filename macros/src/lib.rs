//! Procedural macros of [vigil](https://docs.rs/vigil). Use them through the `vigil` crate,
//! whose documentation describes each one; their expansions call only `vigil::__private`.
//!
//! Each macro is three steps in three files: parse (`attr.rs`, `item.rs`, `call.rs`), check
//! (`valid.rs`, plus the checks next to parsing), generate (`expand.rs`, `expand_call.rs`).
//! On an error the macros emit the error *and* the item unchanged, so the rest of the crate
//! still type-checks and editors keep completing inside the function.
#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod attr;
mod call;
mod expand;
mod expand_call;
mod expand_redact;
mod item;
mod keys;
mod redact;
mod valid;

use proc_macro::TokenStream;
use proc_macro2::Span;
use quote::quote;

use attr::Kind;
use call::CallKind;

/// Errors collected with their spans, reported together.
#[derive(Default)]
pub(crate) struct Errors(Option<syn::Error>);

impl Errors {
    pub(crate) fn push(&mut self, span: Span, message: impl std::fmt::Display) {
        let error = syn::Error::new(span, message);
        match &mut self.0 {
            Some(all) => all.combine(error),
            None => self.0 = Some(error),
        }
    }

    pub(crate) fn finish(self) -> syn::Result<()> {
        self.0.map_or(Ok(()), Err)
    }
}

pub(crate) fn expand_level(level: &str) -> proc_macro2::TokenStream {
    match level {
        "debug" => quote!(Debug),
        "info" => quote!(Info),
        "warning" => quote!(Warning),
        "fatal" => quote!(Fatal),
        _ => quote!(Error),
    }
}

fn instrument(kind: Kind, args: TokenStream, item: TokenStream) -> TokenStream {
    let item2 = proc_macro2::TokenStream::from(item);
    let func = match item::parse(kind, item2.clone()) {
        Ok(func) => func,
        // Not a function: report, and give the item back untouched.
        Err(e) => {
            let e = e.to_compile_error();
            return quote!(#e #item2).into();
        }
    };
    let mut func = func;
    match attr::parse(kind, args.into()) {
        Ok(args) => match item::check(kind, &args, &mut func) {
            Ok(params) => expand::expand(kind, &args, item::Target { func, params }).into(),
            Err(e) => fallback(e, func),
        },
        Err(e) => {
            // Still strip the parameter markers, so the unchanged function compiles.
            let _ = item::check(kind, &attr::Args::default(), &mut func);
            fallback(e, func)
        }
    }
}

/// The error, plus the function as written: one message, not a cascade, and the body still
/// type-checks for the editor.
fn fallback(error: syn::Error, func: syn::ItemFn) -> TokenStream {
    let error = error.to_compile_error();
    quote!(#error #func).into()
}

fn call(kind: CallKind, input: TokenStream) -> TokenStream {
    match call::parse(kind, input.into()) {
        Ok(call) => expand_call::expand(kind, call).into(),
        Err(e) => {
            let e = e.to_compile_error();
            let stand_in = match kind {
                CallKind::Breadcrumb => quote!(()),
                _ => quote!(::vigil::__private::nil_event_id()),
            };
            quote!({ #e; #stand_in }).into()
        }
    }
}

/// Instruments a function: a span named after it, error capture for a returned `Err`, panics
/// marked on the span. See the `vigil` crate documentation for the options.
#[proc_macro_attribute]
pub fn monitored(args: TokenStream, item: TokenStream) -> TokenStream {
    instrument(Kind::Monitored, args, item)
}

/// Makes a function a transaction (a child span when one is already running). See the
/// `vigil` crate documentation for the options.
#[proc_macro_attribute]
pub fn transaction(args: TokenStream, item: TokenStream) -> TokenStream {
    instrument(Kind::Transaction, args, item)
}

/// Captures an error with `key = value` tags and extra; returns the event id.
#[proc_macro]
pub fn capture_exception(input: TokenStream) -> TokenStream {
    call(CallKind::Exception, input)
}

/// Captures a message with a `level` and `key = value` tags and extra; returns the event id.
#[proc_macro]
pub fn capture_message(input: TokenStream) -> TokenStream {
    call(CallKind::Message, input)
}

/// Adds a breadcrumb with a `category`, `type`, `level` and `key = value` data.
#[proc_macro]
pub fn add_breadcrumb(input: TokenStream) -> TokenStream {
    call(CallKind::Breadcrumb, input)
}

/// Derives a `Debug` and a `Serialize` that hide the fields marked `#[sensitive]`.
#[proc_macro_derive(Redact, attributes(sensitive))]
pub fn derive_redact(input: TokenStream) -> TokenStream {
    let item = syn::parse_macro_input!(input as syn::Item);
    match redact::parse(&item) {
        Ok(input) => expand_redact::expand_derive(&input).into(),
        // The error, plus stand-in impls so uses of the type report nothing more.
        Err(e) => {
            let e = e.to_compile_error();
            let stand_in = match redact::check_sensitive_target(&item) {
                Ok((ident, generics)) => expand_redact::stand_in(ident, generics),
                Err(_) => quote!(),
            };
            quote!(#e #stand_in).into()
        }
    }
}

/// Marks a whole type as secret: its `Debug` prints `Name([Filtered])` and it serializes as
/// `"[Filtered]"`.
#[proc_macro_attribute]
pub fn sensitive(args: TokenStream, item: TokenStream) -> TokenStream {
    let item2 = proc_macro2::TokenStream::from(item);
    let mut errors = Vec::new();
    if !args.is_empty() {
        let args = proc_macro2::TokenStream::from(args);
        errors.push(syn::Error::new_spanned(
            args,
            "`#[vigil::sensitive]` on a type takes no options; partial masks are for fields: `#[sensitive(partial = 4)]` with `#[derive(vigil::Redact)]`",
        ));
    }
    let item = match syn::parse2::<syn::Item>(item2.clone()) {
        Ok(item) => item,
        Err(e) => {
            let e = e.to_compile_error();
            return quote!(#e #item2).into();
        }
    };
    match redact::check_sensitive_target(&item) {
        Ok((ident, generics)) if errors.is_empty() => {
            expand_redact::expand_sensitive(&item, ident, generics).into()
        }
        Ok(_) => {
            let e = errors.remove(0).to_compile_error();
            quote!(#e #item).into()
        }
        Err(e) => {
            let e = e.to_compile_error();
            quote!(#e #item).into()
        }
    }
}
