//! The function an attribute is put on: parsed, checked against the options, and its
//! parameters classified by how (and whether) their values are recorded.

use proc_macro2::{Span, TokenStream};
use syn::spanned::Spanned;
use syn::{FnArg, Ident, Item, ItemFn, Pat};

use super::attr::Args;
use super::Kind;
use crate::internals::{rules, Errors};

/// A parameter whose value may be recorded.
pub(crate) struct Param {
    pub(crate) ident: Ident,
    /// How it is recorded.
    pub(crate) record: Record,
}

#[derive(PartialEq, Eq, Debug)]
pub(crate) enum Record {
    /// Its value, as span data.
    Value,
    /// `[Filtered]`: its name says it is a secret; the value is never looked at.
    Filtered,
    /// Not at all: skipped, or marked `#[sensitive]`.
    Never,
}

/// Parses the item; on failure the error says what the attribute goes on.
pub(crate) fn parse(kind: Kind, tokens: TokenStream) -> syn::Result<ItemFn> {
    match syn::parse2::<ItemFn>(tokens.clone()) {
        Ok(func) => Ok(func),
        Err(fn_err) => match syn::parse2::<Item>(tokens) {
            Ok(Item::Verbatim(v)) if v.to_string().contains("fn") => Err(syn::Error::new(
                v.span(),
                format!("{} needs a function with a body", kind.attr_name()),
            )),
            Ok(Item::Fn(_)) | Err(_) => Err(fn_err),
            Ok(other) => Err(syn::Error::new(
                item_keyword_span(&other),
                format!(
                    "{} goes on a function (a free fn, a method, or an `async fn`)",
                    kind.attr_name()
                ),
            )),
        },
    }
}

fn item_keyword_span(item: &Item) -> Span {
    match item {
        Item::Struct(i) => i.struct_token.span,
        Item::Enum(i) => i.enum_token.span,
        Item::Union(i) => i.union_token.span,
        Item::Const(i) => i.const_token.span,
        Item::Static(i) => i.static_token.span,
        Item::Impl(i) => i.impl_token.span,
        Item::Trait(i) => i.trait_token.span,
        Item::Mod(i) => i.mod_token.span,
        Item::Type(i) => i.type_token.span,
        Item::Use(i) => i.use_token.span,
        other => other.span(),
    }
}

/// Checks the function against the options and classifies its parameters. Strips the
/// `#[sensitive]` markers from the parameters (they are vigil's, not the compiler's), also
/// when it reports errors, so the function as written compiles.
pub(crate) fn check(kind: Kind, args: &Args, func: &mut ItemFn, errors: &mut Errors) -> Vec<Param> {
    if let Some(constness) = &func.sig.constness {
        errors.push(
            constness.span,
            format!(
                "{} cannot go on a `const fn`: spans and error capture happen at run time",
                kind.attr_name()
            ),
        );
    }

    let mut params = Vec::new();
    let mut names: Vec<String> = Vec::new();
    for input in &mut func.sig.inputs {
        let FnArg::Typed(pat_type) = input else {
            names.push("self".into());
            continue;
        };
        let before = pat_type.attrs.len();
        pat_type
            .attrs
            .retain(|a| !args.krate.names(a.path(), "sensitive"));
        let marked_sensitive = pat_type.attrs.len() != before;
        let Pat::Ident(pat_ident) = &*pat_type.pat else {
            continue;
        };
        let ident = pat_ident.ident.clone();
        let name = ident.to_string();
        names.push(name.clone());
        if name == "self" {
            continue;
        }
        let skipped = args.skip_all || args.skip.contains(&ident);
        let record = if marked_sensitive || skipped {
            Record::Never
        } else if rules::is_sensitive_name(&name) {
            Record::Filtered
        } else {
            Record::Value
        };
        params.push(Param { ident, record });
    }
    for skip in &args.skip {
        let name = skip.to_string();
        if !names.contains(&name) {
            let listed = if names.is_empty() {
                "the function has no parameters".to_owned()
            } else {
                format!("its parameters are: {}", names.join(", "))
            };
            errors.push(
                skip.span(),
                format!(
                    "`skip({name})`: `{}` has no parameter `{name}`; {listed}",
                    func.sig.ident
                ),
            );
        }
    }
    params
}
