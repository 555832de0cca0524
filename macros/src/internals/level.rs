//! The levels of Sentry events and breadcrumbs, typed: parsed once from the user's word, and
//! written out as the runtime's `Level` variant. No level travels as a string.

use proc_macro2::TokenStream;
use quote::quote;
use syn::spanned::Spanned;
use syn::Expr;

use super::key::word;
use super::Krate;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Level {
    Debug,
    Info,
    Warning,
    Error,
    Fatal,
}

impl Level {
    /// Every level, from the least to the most severe.
    pub(crate) const ALL: [Level; 5] = [
        Level::Debug,
        Level::Info,
        Level::Warning,
        Level::Error,
        Level::Fatal,
    ];

    /// The word a user writes for it: `level = warning`.
    pub(crate) fn word(self) -> &'static str {
        match self {
            Level::Debug => "debug",
            Level::Info => "info",
            Level::Warning => "warning",
            Level::Error => "error",
            Level::Fatal => "fatal",
        }
    }

    /// The value of `level = ...`: one of the words, else an error at the value that lists
    /// them.
    pub(crate) fn parse(value: &Expr) -> syn::Result<Level> {
        let Some(ident) = word(value) else {
            return Err(syn::Error::new(
                value.span(),
                format!("`level` is one of: {}", choices()),
            ));
        };
        Level::ALL
            .into_iter()
            .find(|level| ident == level.word())
            .ok_or_else(|| {
                syn::Error::new(
                    ident.span(),
                    format!("unknown level `{ident}`; expected one of: {}", choices()),
                )
            })
    }

    /// The runtime's variant: `vigil::__private::Level::Warning`.
    pub(crate) fn to_tokens(self, krate: &Krate) -> TokenStream {
        let private = krate.private();
        let variant = match self {
            Level::Debug => quote!(Debug),
            Level::Info => quote!(Info),
            Level::Warning => quote!(Warning),
            Level::Error => quote!(Error),
            Level::Fatal => quote!(Fatal),
        };
        quote!(#private::Level::#variant)
    }
}

fn choices() -> String {
    Level::ALL.map(Level::word).join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(value: &str) -> syn::Result<Level> {
        Level::parse(&syn::parse_str(value).unwrap())
    }

    #[test]
    fn every_word_parses_to_its_level() {
        for level in Level::ALL {
            assert_eq!(parse(level.word()).unwrap(), level);
        }
    }

    #[test]
    fn unknown_words_list_the_choices() {
        assert_eq!(
            parse("warn").unwrap_err().to_string(),
            "unknown level `warn`; expected one of: debug, info, warning, error, fatal"
        );
        assert_eq!(
            parse("\"warning\"").unwrap_err().to_string(),
            "`level` is one of: debug, info, warning, error, fatal"
        );
    }

    #[test]
    fn tokens_name_the_runtime_variant() {
        let tokens = Level::Warning.to_tokens(&Krate::default()).to_string();
        assert_eq!(
            tokens.replace(' ', ""),
            "::vigil::__private::Level::Warning"
        );
    }
}
