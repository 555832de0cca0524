//! Parsing and checking `flag!`'s input: a string literal (the flag's name, checked against
//! Sentry's rules), the result expression, then the `crate = "..."` option.

use proc_macro2::{Span, TokenStream};
use quote::quote;
use syn::parse::{ParseStream, Parser};
use syn::{Expr, LitStr, Token};

use crate::internals::key::Key;
use crate::internals::{valid, Errors, Krate, Once, Repeat};

const EXAMPLE: &str = "`vigil::flag!(\"new_checkout\", enabled)`";

/// The checked input.
pub(crate) struct Call {
    pub(crate) name: LitStr,
    pub(crate) result: Expr,
    pub(crate) krate: Krate,
}

/// The input as written.
struct Syntax {
    name: Expr,
    result: Expr,
    options: Vec<(Key, Expr)>,
}

/// The input as written: the name's expression, the result, the options.
fn parse_syntax(input: ParseStream) -> syn::Result<Syntax> {
    if input.is_empty() {
        return Err(syn::Error::new(
            Span::call_site(),
            format!("flag! needs a flag name and its result, as in {EXAMPLE}"),
        ));
    }
    let name: Expr = input.parse()?;
    if input.is_empty() {
        return Err(syn::Error::new_spanned(
            &name,
            format!("flag! needs the flag's result after its name, as in {EXAMPLE}"),
        ));
    }
    input.parse::<Token![,]>()?;
    let result: Expr = input.parse()?;
    let mut options = Vec::new();
    while !input.is_empty() {
        input.parse::<Token![,]>()?;
        if input.is_empty() {
            break;
        }
        let key: Key = input.parse()?;
        input.parse::<Token![=]>()?;
        options.push((key, input.parse()?));
    }
    Ok(Syntax {
        name,
        result,
        options,
    })
}

pub(crate) fn parse(tokens: TokenStream) -> syn::Result<Call> {
    let Syntax {
        name,
        result,
        options,
    } = parse_syntax.parse2(tokens)?;
    let mut errors = Errors::new();
    let mut krate = Krate::default();
    let mut once = Once::new(Repeat::Option);
    for (key, value) in options {
        if key.quoted || key.name != "crate" {
            errors.push(
                key.span,
                format!(
                    "flag! takes a name, a result and at most `crate = \"...\"`; `{}` is not an option of it",
                    key.name
                ),
            );
            continue;
        }
        if once.first(&mut errors, &key.name, key.span) {
            if let Some(k) = Krate::from_value(&mut errors, &value) {
                krate = k;
            }
        }
    }
    let name = match name {
        Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Str(lit),
            ..
        }) => {
            if let Err(message) = valid::flag_name(&lit.value()) {
                errors.push(lit.span(), message);
            }
            Some(lit)
        }
        other => {
            errors.push_spanned(
                &other,
                format!(
                    "flag! takes the flag's name as a string literal, as in {EXAMPLE}; for a name known only at run time, call `vigil::set_feature_flag(name, result)`"
                ),
            );
            None
        }
    };
    errors.finish()?;
    Ok(Call {
        name: name.unwrap_or_else(|| unreachable!("a name that is not a literal is an error")),
        result,
        krate,
    })
}

/// What stands for the macro after an error: the result expression when it can be read
/// (the macro's value), else `false`.
pub(crate) fn stand_in(tokens: TokenStream) -> TokenStream {
    let read = |input: ParseStream| -> syn::Result<Expr> {
        input.parse::<Expr>()?;
        input.parse::<Token![,]>()?;
        let result = input.parse::<Expr>()?;
        input.parse::<TokenStream>()?;
        Ok(result)
    };
    match read.parse2(tokens) {
        Ok(result) => quote!((#result)),
        Err(_) => quote!(false),
    }
}
