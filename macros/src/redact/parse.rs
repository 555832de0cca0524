//! Parsing and checking the input of `#[derive(Redact)]`: the container's
//! `#[vigil(crate = "...")]` and the fields' `#[sensitive(...)]` markers.

use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{
    Attribute, Expr, ExprLit, ExprPath, Fields, Generics, Ident, Item, Lit, Meta, Path, Token,
};

use crate::internals::{key, valid, Errors, Krate, Once, Repeat};

/// How a field is shown.
#[derive(Clone)]
pub(crate) enum Mask {
    /// As itself.
    Plain,
    /// `[Filtered]`.
    Full,
    /// Only the last `n` characters (1 to `MAX_PARTIAL`), the rest as `*`.
    Partial(usize),
    /// Through the user's `fn(&T) -> String`.
    With(Path),
}

/// A field and how to show it.
pub(crate) struct Field {
    pub(crate) member: syn::Member,
    pub(crate) ty: syn::Type,
    pub(crate) mask: Mask,
    /// Shown as itself when the user allowed personal data (`send_default_pii`).
    pub(crate) pii: bool,
}

pub(crate) enum Shape {
    Named(Vec<Field>),
    Tuple(Vec<Field>),
    Unit,
}

pub(crate) struct Variant {
    pub(crate) ident: Ident,
    pub(crate) shape: Shape,
}

pub(crate) enum Body {
    Struct(Shape),
    Enum(Vec<Variant>),
}

/// The derive's input: its name, generics, body, and the path to vigil.
pub(crate) struct Input {
    pub(crate) ident: Ident,
    pub(crate) generics: Generics,
    pub(crate) body: Body,
    /// From `#[vigil(crate = "...")]`; `None` when that option was given but is wrong (an
    /// error says so), so a stand-in does not guess.
    pub(crate) krate: Option<Krate>,
}

/// Parses the derive's input; problems go to `errors`. `None` if the item is not a type.
pub(crate) fn parse(item: &Item, errors: &mut Errors) -> Option<Input> {
    // The container's attributes first: their errors come before the fields'.
    let krate = match item {
        Item::Struct(s) => container(errors, &s.attrs),
        Item::Enum(e) => container(errors, &e.attrs),
        Item::Union(u) => container(errors, &u.attrs),
        _ => None,
    };
    let (ident, generics, body) = match item {
        Item::Struct(s) => (
            &s.ident,
            &s.generics,
            Body::Struct(fields(errors, &s.fields)),
        ),
        Item::Enum(e) => {
            let variants = e
                .variants
                .iter()
                .map(|v| {
                    not_here(errors, &v.attrs, "an enum variant");
                    Variant {
                        ident: v.ident.clone(),
                        shape: fields(errors, &v.fields),
                    }
                })
                .collect();
            (&e.ident, &e.generics, Body::Enum(variants))
        }
        Item::Union(u) => {
            errors.push(
                u.union_token.span,
                "`#[derive(vigil::Redact)]` does not support unions: which field is live is not known; use `#[vigil::sensitive]` to hide the whole value",
            );
            (&u.ident, &u.generics, Body::Struct(Shape::Unit))
        }
        other => {
            errors.push(
                other.span(),
                "`#[derive(vigil::Redact)]` goes on a struct or an enum",
            );
            return None;
        }
    };
    Some(Input {
        ident: ident.clone(),
        generics: generics.clone(),
        body,
        krate,
    })
}

const CONTAINER: &str = "`#[vigil(...)]` on a `#[derive(vigil::Redact)]` type takes one option, `crate = \"...\"`: the path of a renamed vigil dependency, as in `#[vigil(crate = \"vig\")]`";

/// The container's `#[vigil(crate = "...")]`: the path to vigil (the default when absent),
/// `None` if it is wrong.
fn container(errors: &mut Errors, attrs: &[Attribute]) -> Option<Krate> {
    let mut krate = Some(Krate::default());
    let mut once = Once::new(Repeat::Option);
    for attr in attrs.iter().filter(|a| a.path().is_ident("vigil")) {
        let Meta::List(list) = &attr.meta else {
            errors.push_spanned(&attr.meta, CONTAINER);
            continue;
        };
        let metas = match list.parse_args_with(Punctuated::<Meta, Token![,]>::parse_terminated) {
            Ok(metas) => metas,
            Err(e) => {
                errors.push(e.span(), CONTAINER);
                continue;
            }
        };
        for meta in &metas {
            match key::option_name(meta) {
                Some((name, span)) if name == "crate" => {
                    if once.first(errors, &name, span) {
                        krate = Krate::from_meta(errors, meta);
                    }
                }
                _ => {
                    let path = quote::ToTokens::to_token_stream(meta.path()).to_string();
                    errors.push(
                        meta.path().span(),
                        format!("unknown option `{path}`: {CONTAINER}"),
                    );
                }
            }
        }
    }
    krate
}

/// `#[vigil(...)]` is the type's: on a field or a variant it would be silently ignored.
fn not_here(errors: &mut Errors, attrs: &[Attribute], place: &str) {
    for attr in attrs.iter().filter(|a| a.path().is_ident("vigil")) {
        errors.push(
            attr.path().span(),
            format!("`#[vigil(...)]` goes on the type that derives `Redact`, not on {place}"),
        );
    }
}

fn fields(errors: &mut Errors, fields: &Fields) -> Shape {
    let field = |errors: &mut Errors, i: usize, f: &syn::Field| {
        not_here(errors, &f.attrs, "a field");
        let (mask, pii) = field_mask(errors, f);
        Field {
            member: match &f.ident {
                Some(ident) => syn::Member::Named(ident.clone()),
                None => syn::Member::Unnamed(syn::Index::from(i)),
            },
            ty: f.ty.clone(),
            mask,
            pii,
        }
    };
    let all = |errors: &mut Errors, list: &Punctuated<syn::Field, Token![,]>| {
        list.iter()
            .enumerate()
            .map(|(i, f)| field(errors, i, f))
            .collect()
    };
    match fields {
        Fields::Named(n) => Shape::Named(all(errors, &n.named)),
        Fields::Unnamed(u) => Shape::Tuple(all(errors, &u.unnamed)),
        Fields::Unit => Shape::Unit,
    }
}

const OPTIONS: &str = "`#[sensitive]`, `#[sensitive(partial = 4)]`, `#[sensitive(with = path::to_fn)]`, `#[sensitive(pii)]`";

/// A field's `#[sensitive(...)]` markers: its mask, and whether it is personal data.
fn field_mask(errors: &mut Errors, field: &syn::Field) -> (Mask, bool) {
    let mut mask = Mask::Plain;
    let mut pii = false;
    for attr in field
        .attrs
        .iter()
        .filter(|a| a.path().is_ident("sensitive"))
    {
        let list = match &attr.meta {
            Meta::Path(_) => {
                mask = Mask::Full;
                continue;
            }
            Meta::NameValue(nv) => {
                errors.push(nv.span(), format!("expected one of {OPTIONS}"));
                continue;
            }
            Meta::List(list) => list,
        };
        let nested = match list.parse_args_with(Punctuated::<Meta, Token![,]>::parse_terminated) {
            Ok(nested) => nested,
            Err(e) => {
                errors.push(e.span(), format!("expected one of {OPTIONS}"));
                continue;
            }
        };
        mask = Mask::Full;
        let mut once = Once::new(Repeat::Option);
        for meta in &nested {
            let Some((key, key_span)) = key::option_name(meta) else {
                errors.push(meta.path().span(), unknown_option(meta));
                continue;
            };
            if !once.first(errors, &key, key_span) {
                continue;
            }
            match (key.as_str(), meta) {
                ("pii", Meta::Path(_)) => pii = true,
                ("partial", Meta::NameValue(nv)) => match &nv.value {
                    Expr::Lit(ExprLit {
                        lit: Lit::Int(n), ..
                    }) => match n
                        .base10_parse::<u64>()
                        .map_err(|_| valid::partial_too_many())
                        .and_then(valid::partial)
                    {
                        Ok(n) => mask = Mask::Partial(n),
                        Err(msg) => errors.push(n.span(), msg),
                    },
                    other => errors.push(
                        other.span(),
                        "`partial` takes the number of trailing characters to keep, as in `partial = 4`",
                    ),
                },
                ("with", Meta::NameValue(nv)) => match &nv.value {
                    Expr::Path(ExprPath {
                        path, qself: None, ..
                    }) => mask = Mask::With(path.clone()),
                    other => errors.push(
                        other.span(),
                        "`with` takes the path of a function `fn(&T) -> String`, as in `with = masks::email`",
                    ),
                },
                _ => errors.push(meta.path().span(), unknown_option(meta)),
            }
        }
        if once.contains("partial") && once.contains("with") {
            errors.push(
                list.span(),
                "`partial` and `with` both say how to mask: keep one",
            );
        }
    }
    (mask, pii)
}

fn unknown_option(meta: &Meta) -> String {
    format!(
        "unknown option `{}` for `#[sensitive]`; expected one of {OPTIONS}",
        quote::ToTokens::to_token_stream(meta.path())
    )
}
