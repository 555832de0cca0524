//! The `crate = "path"` option of every macro: the path the expansion reaches vigil by, for a
//! crate that renamed the dependency (`vig = { package = "vigil", ... }`), as serde's
//! `#[serde(crate = "...")]`. The default is `::vigil`.

use proc_macro2::{TokenStream, TokenTree};
use quote::{quote, ToTokens};
use syn::spanned::Spanned;
use syn::{Expr, ExprLit, Lit, LitStr, Meta, Path};

use super::Errors;

/// The path to the vigil crate that generated code uses.
#[derive(Clone, Default)]
pub(crate) struct Krate(Option<Path>);

const NOT_A_STRING: &str =
    "`crate` takes the path of the vigil crate as a string, as in `crate = \"vig\"`";

impl Krate {
    /// `vigil::__private`, the one module expansions call into.
    pub(crate) fn private(&self) -> TokenStream {
        quote!(#self::__private)
    }

    /// The `crate` option of an attribute list (`crate = "vig"`), its problems collected.
    pub(crate) fn from_meta(errors: &mut Errors, meta: &Meta) -> Option<Krate> {
        match meta {
            Meta::NameValue(nv) => Krate::from_value(errors, &nv.value),
            other => {
                errors.push_spanned(other, NOT_A_STRING);
                None
            }
        }
    }

    /// The value of `crate = value`: a string literal that parses as a path.
    pub(crate) fn from_value(errors: &mut Errors, value: &Expr) -> Option<Krate> {
        match value {
            Expr::Lit(ExprLit {
                lit: Lit::Str(lit), ..
            }) => match parse_path(lit) {
                Some(path) => Some(Krate(Some(path))),
                None if lit.value().trim().is_empty() => {
                    errors.push(
                        lit.span(),
                        "`crate` cannot be empty: name the vigil crate as this crate calls it, as in `crate = \"vig\"`",
                    );
                    None
                }
                None => {
                    errors.push(
                        lit.span(),
                        format!(
                            "`{}` is not a path: `crate` names the vigil crate as this crate calls it, as in `crate = \"vig\"` or `crate = \"::my::reexport::vigil\"`",
                            lit.value()
                        ),
                    );
                    None
                }
            },
            other => {
                errors.push(other.span(), NOT_A_STRING);
                None
            }
        }
    }

    /// Lenient, for a stand-in after a syntax error: the first top-level `crate = "path"` of
    /// a macro's input, else the default. Never reports anything (the syntax error is).
    pub(crate) fn scan(tokens: &TokenStream) -> Krate {
        let tokens: Vec<TokenTree> = tokens.clone().into_iter().collect();
        tokens
            .windows(3)
            .find_map(|w| match w {
                [TokenTree::Ident(key), TokenTree::Punct(eq), TokenTree::Literal(value)]
                    if key == "crate" && eq.as_char() == '=' =>
                {
                    syn::parse2::<LitStr>(value.to_token_stream())
                        .ok()
                        .and_then(|lit| parse_path(&lit))
                }
                _ => None,
            })
            .map(|path| Krate(Some(path)))
            .unwrap_or_default()
    }

    /// Is `path` the item `name` of the vigil crate: `name` itself, `vigil::name`, or
    /// `<crate>::name` under the `crate` option?
    pub(crate) fn names(&self, path: &Path, name: &str) -> bool {
        let words: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
        let Some((last, prefix)) = words.split_last() else {
            return false;
        };
        if last != name || path.segments.iter().any(|s| !s.arguments.is_none()) {
            return false;
        }
        let krate: Vec<String> = match &self.0 {
            Some(krate) => krate.segments.iter().map(|s| s.ident.to_string()).collect(),
            None => vec!["vigil".to_owned()],
        };
        prefix.is_empty() || prefix == krate.as_slice() || prefix == ["vigil"]
    }
}

/// A path without generic arguments (`vig`, `::vig`, `my::reexport::vigil`), or `None`.
fn parse_path(lit: &LitStr) -> Option<Path> {
    lit.parse_with(Path::parse_mod_style).ok()
}

impl ToTokens for Krate {
    fn to_tokens(&self, tokens: &mut TokenStream) {
        match &self.0 {
            Some(path) => path.to_tokens(tokens),
            None => tokens.extend(quote!(::vigil)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn from(value: &str) -> (Option<Krate>, syn::Result<()>) {
        let mut errors = Errors::new();
        let expr: Expr = syn::parse_str(value).unwrap();
        let krate = Krate::from_value(&mut errors, &expr);
        (krate, errors.finish())
    }

    fn tokens(krate: &Krate) -> String {
        krate.private().to_string().replace(' ', "")
    }

    #[test]
    fn default_is_vigil() {
        assert_eq!(tokens(&Krate::default()), "::vigil::__private");
    }

    #[test]
    fn string_paths() {
        for (value, expected) in [
            ("\"vig\"", "vig::__private"),
            ("\"::vig\"", "::vig::__private"),
            ("\"my::reexport::vigil\"", "my::reexport::vigil::__private"),
            ("\"crate::vigil\"", "crate::vigil::__private"),
        ] {
            let (krate, result) = from(value);
            assert!(result.is_ok(), "{value}");
            assert_eq!(tokens(&krate.unwrap()), expected);
        }
    }

    #[test]
    fn not_a_string_or_not_a_path() {
        for value in [
            "vig",
            "1",
            "\"\"",
            "\"vig::\"",
            "\"a b\"",
            "\"vig<T>\"",
            "\"1vig\"",
        ] {
            let (krate, result) = from(value);
            assert!(krate.is_none() && result.is_err(), "{value}");
        }
        let (_, result) = from("vig");
        assert_eq!(result.unwrap_err().to_string(), NOT_A_STRING);
    }

    #[test]
    fn scan_finds_the_option_after_a_syntax_error() {
        let input: TokenStream = syn::parse_str("err, crate = \"vig\", user id = 1").unwrap();
        assert_eq!(tokens(&Krate::scan(&input)), "vig::__private");
        let input: TokenStream = syn::parse_str("err, \"crate\" = \"vig\"").unwrap();
        assert_eq!(tokens(&Krate::scan(&input)), "::vigil::__private");
    }

    #[test]
    fn names_an_item_of_the_crate() {
        let path = |s: &str| syn::parse_str::<Path>(s).unwrap();
        let default = Krate::default();
        assert!(default.names(&path("sensitive"), "sensitive"));
        assert!(default.names(&path("vigil::sensitive"), "sensitive"));
        assert!(!default.names(&path("vig::sensitive"), "sensitive"));
        assert!(!default.names(&path("sensitive_data"), "sensitive"));
        let (vig, _) = from("\"vig\"");
        let vig = vig.unwrap();
        assert!(vig.names(&path("vig::sensitive"), "sensitive"));
        assert!(vig.names(&path("::vig::sensitive"), "sensitive"));
        assert!(!vig.names(&path("other::sensitive"), "sensitive"));
    }
}
