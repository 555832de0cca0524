//! The one error collector: every problem found in a macro's input, each with the span of
//! the token at fault, reported together rather than the first one alone.

use std::fmt::Display;

use proc_macro2::Span;
use quote::ToTokens;

/// Errors collected while parsing and checking one macro input.
///
/// Report them with [`Errors::finish`]. A collector dropped while it still holds errors is a
/// bug in this crate, and panics (as serde_derive's `Ctxt` does) rather than losing them.
#[must_use = "collected errors must be reported with `Errors::finish`"]
#[derive(Default)]
pub(crate) struct Errors(Option<syn::Error>);

impl Errors {
    pub(crate) fn new() -> Self {
        Errors(None)
    }

    /// An error pointing at one token's span.
    pub(crate) fn push(&mut self, span: Span, message: impl Display) {
        self.add(syn::Error::new(span, message));
    }

    /// An error underlining all of `tokens`, from the first to the last.
    pub(crate) fn push_spanned(&mut self, tokens: impl ToTokens, message: impl Display) {
        self.add(syn::Error::new_spanned(tokens, message));
    }

    /// An error built elsewhere (a parse error of `syn`), with all its messages.
    pub(crate) fn add(&mut self, error: syn::Error) {
        match &mut self.0 {
            Some(all) => all.combine(error),
            None => self.0 = Some(error),
        }
    }

    /// Every error collected, then `last` (a problem that stops the macro here).
    pub(crate) fn finish_with(mut self, last: syn::Error) -> syn::Error {
        self.add(last);
        self.0
            .take()
            .unwrap_or_else(|| unreachable!("`last` was just added"))
    }

    /// `Ok` if nothing was collected, else every error combined into one.
    #[must_use = "the errors must be emitted"]
    pub(crate) fn finish(mut self) -> syn::Result<()> {
        self.0.take().map_or(Ok(()), Err)
    }
}

impl Drop for Errors {
    fn drop(&mut self) {
        if self.0.is_some() && !std::thread::panicking() {
            panic!("vigil-macros bug: errors were collected but never reported");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn combines_every_error_in_order() {
        let mut errors = Errors::new();
        errors.push(Span::call_site(), "first");
        errors.push(Span::call_site(), "second");
        let messages: Vec<String> = errors
            .finish()
            .unwrap_err()
            .into_iter()
            .map(|e| e.to_string())
            .collect();
        assert_eq!(messages, ["first", "second"]);
    }

    #[test]
    fn nothing_collected_is_ok() {
        assert!(Errors::new().finish().is_ok());
    }

    #[test]
    #[should_panic(expected = "never reported")]
    fn dropping_unreported_errors_panics() {
        let mut errors = Errors::new();
        errors.push(Span::call_site(), "lost");
        drop(errors);
    }
}
