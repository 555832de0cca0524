//! The one parser of keys and words: the `key` of `key = value` (an identifier, or a string
//! literal for keys an identifier cannot spell), the bare word of `level = warning`, and the
//! one-word name of an attribute option.

use proc_macro2::Span;
use syn::ext::IdentExt;
use syn::parse::{Parse, ParseStream};
use syn::{Expr, Ident, LitStr, Meta};

/// A key of a `key = value` pair: an identifier (keywords too, such as `type` or `crate`),
/// or a string literal (`"http.method"`).
pub(crate) struct Key {
    /// The key as written, without quotes or `r#`.
    pub(crate) name: String,
    pub(crate) span: Span,
    /// Written as a string literal: never one of a macro's own options (`"level"` is a field).
    pub(crate) quoted: bool,
}

impl Parse for Key {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        if input.peek(LitStr) {
            let lit: LitStr = input.parse()?;
            Ok(Key {
                name: lit.value(),
                span: lit.span(),
                quoted: true,
            })
        } else {
            let ident = Ident::parse_any(input)?;
            Ok(Key {
                name: ident.unraw().to_string(),
                span: ident.span(),
                quoted: false,
            })
        }
    }
}

/// The word a value is, when it is one bare identifier: `warning` in `level = warning`.
pub(crate) fn word(expr: &Expr) -> Option<&Ident> {
    match expr {
        Expr::Path(p) if p.qself.is_none() && p.attrs.is_empty() => p.path.get_ident(),
        _ => None,
    }
}

/// The name of an attribute option (`op` in `op = "db.query"`, `skip` in `skip(conn)`), when
/// its path is one word; `None` for a path such as `a::b`.
pub(crate) fn option_name(meta: &Meta) -> Option<(String, Span)> {
    meta.path()
        .get_ident()
        .map(|ident| (ident.unraw().to_string(), ident.span()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(tokens: &str) -> Key {
        syn::parse_str(tokens).unwrap()
    }

    #[test]
    fn keys_are_identifiers_keywords_or_strings() {
        let k = key("user_id");
        assert_eq!((k.name.as_str(), k.quoted), ("user_id", false));
        let k = key("type");
        assert_eq!((k.name.as_str(), k.quoted), ("type", false));
        let k = key("crate");
        assert_eq!((k.name.as_str(), k.quoted), ("crate", false));
        let k = key("r#match");
        assert_eq!(k.name, "match");
        let k = key("\"crate\"");
        assert_eq!((k.name.as_str(), k.quoted), ("crate", true));
        assert!(syn::parse_str::<Key>("42").is_err());
    }

    #[test]
    fn words() {
        let expr: Expr = syn::parse_str("warning").unwrap();
        assert_eq!(word(&expr).unwrap(), "warning");
        for not_a_word in ["\"warning\"", "a::b", "f()", "1"] {
            let expr: Expr = syn::parse_str(not_a_word).unwrap();
            assert!(word(&expr).is_none(), "{not_a_word}");
        }
    }
}
