//! `#[vigil::monitor]`: a cron monitor's check-ins around a function. The options are parsed
//! and checked against Sentry's rules (`parse.rs`, with the value checks in `check.rs`: the
//! crontab, the interval, the slug), then the body is wrapped (`expand.rs`). Every problem is
//! reported together, at its token, with the function as written.

mod check;
mod expand;
mod parse;

use proc_macro2::TokenStream;

use crate::internals::{fallback, Errors};

/// The expansion of `#[vigil::monitor(args)]` on `item`.
pub(crate) fn monitor(args: TokenStream, item: TokenStream) -> TokenStream {
    let mut errors = Errors::new();
    let args = parse::parse(args, &mut errors);
    let func = match syn::parse2::<syn::ItemFn>(item.clone()) {
        Ok(func) => func,
        Err(_) => {
            // The item's keyword (`struct`, `impl`, ...), else its first token.
            const KEYWORDS: &[&str] = &[
                "struct", "enum", "union", "const", "static", "impl", "trait", "mod", "type",
                "use", "fn",
            ];
            let tokens: Vec<proc_macro2::TokenTree> = item.clone().into_iter().collect();
            let span = tokens
                .iter()
                .find(|t| matches!(t, proc_macro2::TokenTree::Ident(i) if KEYWORDS.iter().any(|k| i == k)))
                .or(tokens.first())
                .map_or_else(proc_macro2::Span::call_site, |t| t.span());
            let e = syn::Error::new(
                span,
                "#[vigil::monitor] goes on a function with a body (a free fn, a method, or an `async fn`): the scheduled job",
            );
            return fallback::item(errors.finish_with(e), item);
        }
    };
    if let Some(constness) = &func.sig.constness {
        errors.push(
            constness.span,
            "#[vigil::monitor] cannot go on a `const fn`: check-ins happen at run time",
        );
    }
    if let (None, syn::ReturnType::Type(_, ty)) = (&func.sig.asyncness, &func.sig.output) {
        if expand::returns_impl_future(&func.sig.output) {
            errors.push_spanned(
                ty,
                "#[vigil::monitor] on a function returning a future would time only the call that makes it; make the function an `async fn`",
            );
        }
    }
    match errors.finish() {
        Ok(()) => expand::expand(&args, func),
        Err(e) => fallback::item(e, func),
    }
}
