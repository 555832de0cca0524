//! The path the expansion reaches vigil by: `::vigil`.

use proc_macro2::TokenStream;
use quote::{quote, ToTokens};
use syn::Path;

/// The path to the vigil crate that generated code uses.
#[derive(Clone, Default)]
pub(crate) struct Krate(Option<Path>);

impl Krate {
    /// `vigil::__private`, the one module expansions call into.
    pub(crate) fn private(&self) -> TokenStream {
        quote!(#self::__private)
    }

    /// Is `path` the item `name` of the vigil crate: `name` itself or `vigil::name`?
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

    #[test]
    fn default_is_vigil() {
        let tokens = Krate::default().private().to_string().replace(' ', "");
        assert_eq!(tokens, "::vigil::__private");
    }

    #[test]
    fn names_an_item_of_the_crate() {
        let path = |s: &str| syn::parse_str::<Path>(s).unwrap();
        let default = Krate::default();
        assert!(default.names(&path("sensitive"), "sensitive"));
        assert!(default.names(&path("vigil::sensitive"), "sensitive"));
        assert!(!default.names(&path("vig::sensitive"), "sensitive"));
        assert!(!default.names(&path("sensitive_data"), "sensitive"));
    }
}
