//! Parsing and checking `#[derive(Redact)]` input and its `#[sensitive(...)]` field markers.

use syn::spanned::Spanned;
use syn::{Expr, ExprLit, ExprPath, Fields, Item, Lit, Meta, Path, Token};

use crate::Errors;

/// How a field is shown.
#[derive(Clone)]
pub(crate) enum Mask {
    /// As itself.
    Plain,
    /// `[Filtered]`.
    Full,
    /// Only the last `n` characters, the rest as `*`.
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
    pub(crate) ident: syn::Ident,
    pub(crate) shape: Shape,
}

pub(crate) enum Body {
    Struct(Shape),
    Enum(Vec<Variant>),
}

fn fields(errors: &mut Errors, fields: &Fields) -> Shape {
    let parse = |errors: &mut Errors, i: usize, f: &syn::Field| {
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
    match fields {
        Fields::Named(n) => Shape::Named(
            n.named
                .iter()
                .enumerate()
                .map(|(i, f)| parse(errors, i, f))
                .collect(),
        ),
        Fields::Unnamed(u) => Shape::Tuple(
            u.unnamed
                .iter()
                .enumerate()
                .map(|(i, f)| parse(errors, i, f))
                .collect(),
        ),
        Fields::Unit => Shape::Unit,
    }
}

const OPTIONS: &str = "`#[sensitive]`, `#[sensitive(partial = 4)]`, `#[sensitive(with = path::to_fn)]`, `#[sensitive(pii)]`";

fn field_mask(errors: &mut Errors, field: &syn::Field) -> (Mask, bool) {
    let mut mask = Mask::Plain;
    let mut pii = false;
    for attr in field
        .attrs
        .iter()
        .filter(|a| a.path().is_ident("sensitive"))
    {
        match &attr.meta {
            Meta::Path(_) => mask = Mask::Full,
            Meta::List(list) => {
                let nested = match list.parse_args_with(
                    syn::punctuated::Punctuated::<Meta, Token![,]>::parse_terminated,
                ) {
                    Ok(nested) => nested,
                    Err(e) => {
                        errors.push(e.span(), format!("expected one of {OPTIONS}"));
                        continue;
                    }
                };
                mask = Mask::Full;
                let mut seen: Vec<String> = Vec::new();
                for meta in nested {
                    let key = meta
                        .path()
                        .get_ident()
                        .map(ToString::to_string)
                        .unwrap_or_default();
                    if seen.contains(&key) {
                        errors.push(meta.path().span(), format!("duplicate option `{key}`"));
                        continue;
                    }
                    seen.push(key.clone());
                    match (key.as_str(), &meta) {
                        ("pii", Meta::Path(_)) => pii = true,
                        ("partial", Meta::NameValue(nv)) => match &nv.value {
                            Expr::Lit(ExprLit { lit: Lit::Int(n), .. }) => match n.base10_parse::<usize>() {
                                Ok(n) if n > 0 => mask = Mask::Partial(n),
                                _ => errors.push(n.span(), "`partial` keeps at least one character: use `#[sensitive]` to hide all of it"),
                            },
                            other => errors.push(
                                other.span(),
                                "`partial` takes the number of trailing characters to keep, as in `partial = 4`",
                            ),
                        },
                        ("with", Meta::NameValue(nv)) => match &nv.value {
                            Expr::Path(ExprPath { path, qself: None, .. }) => mask = Mask::With(path.clone()),
                            other => errors.push(
                                other.span(),
                                "`with` takes the path of a function `fn(&T) -> String`, as in `with = masks::email`",
                            ),
                        },
                        _ => errors.push(
                            meta.path().span(),
                            format!("unknown option `{}` for `#[sensitive]`; expected one of {OPTIONS}", quote::ToTokens::to_token_stream(meta.path())),
                        ),
                    }
                }
                if seen.contains(&"partial".to_owned()) && seen.contains(&"with".to_owned()) {
                    errors.push(
                        list.span(),
                        "`partial` and `with` both say how to mask: keep one",
                    );
                }
            }
            Meta::NameValue(nv) => errors.push(nv.span(), format!("expected one of {OPTIONS}")),
        }
    }
    (mask, pii)
}

/// The derive's input: its name, generics and body.
pub(crate) struct Input {
    pub(crate) ident: syn::Ident,
    pub(crate) generics: syn::Generics,
    pub(crate) body: Body,
}

pub(crate) fn parse(item: &Item) -> syn::Result<Input> {
    let mut errors = Errors::default();
    let (ident, generics) = match item {
        Item::Struct(s) => (&s.ident, &s.generics),
        Item::Enum(e) => (&e.ident, &e.generics),
        Item::Union(u) => (&u.ident, &u.generics),
        other => {
            return Err(syn::Error::new(
                other.span(),
                "`#[derive(vigil::Redact)]` goes on a struct or an enum",
            ))
        }
    };
    let body = match item {
        Item::Struct(s) => Body::Struct(fields(&mut errors, &s.fields)),
        Item::Enum(e) => Body::Enum(
            e.variants
                .iter()
                .map(|v| Variant {
                    ident: v.ident.clone(),
                    shape: fields(&mut errors, &v.fields),
                })
                .collect(),
        ),
        Item::Union(u) => {
            errors.push(
                u.union_token.span,
                "`#[derive(vigil::Redact)]` does not support unions: which field is live is not known; use `#[vigil::sensitive]` to hide the whole value",
            );
            Body::Struct(Shape::Unit)
        }
        _ => Body::Struct(Shape::Unit),
    };
    errors.finish()?;
    Ok(Input {
        ident: ident.clone(),
        generics: generics.clone(),
        body,
    })
}

/// Where `#[vigil::sensitive]` goes: a struct, an enum or a union.
pub(crate) fn check_sensitive_target(
    item: &syn::Item,
) -> syn::Result<(&syn::Ident, &syn::Generics)> {
    match item {
        syn::Item::Struct(s) => Ok((&s.ident, &s.generics)),
        syn::Item::Enum(e) => Ok((&e.ident, &e.generics)),
        syn::Item::Union(u) => Ok((&u.ident, &u.generics)),
        other => Err(syn::Error::new(
            other.span(),
            "`#[vigil::sensitive]` goes on a type (struct, enum or union) whose whole value is secret; on a field use `#[sensitive]` with `#[derive(vigil::Redact)]`, on a parameter `#[sensitive]` inside `#[vigil::monitored]`",
        )),
    }
}
