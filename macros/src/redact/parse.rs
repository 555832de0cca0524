//! Parsing and checking the input of `#[derive(Redact)]`: the fields' `#[sensitive(...)]`
//! markers.

use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{Expr, ExprLit, ExprPath, Fields, Generics, Ident, Item, Lit, Meta, Path, Token};

use crate::internals::{key, Errors, Krate, Once, Repeat};

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
    /// The path to vigil; `None` when it is not known (a stand-in then does not guess).
    pub(crate) krate: Option<Krate>,
}

/// Parses the derive's input; problems go to `errors`. `None` if the item is not a type.
pub(crate) fn parse(item: &Item, errors: &mut Errors) -> Option<Input> {
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
                .map(|v| Variant {
                    ident: v.ident.clone(),
                    shape: fields(errors, &v.fields),
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
        krate: Some(Krate::default()),
    })
}

fn fields(errors: &mut Errors, fields: &Fields) -> Shape {
    let field = |errors: &mut Errors, i: usize, f: &syn::Field| {
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
                    }) => match n.base10_parse::<usize>() {
                        Ok(n) if n > 0 => mask = Mask::Partial(n),
                        _ => errors.push(
                            n.span(),
                            "`partial` keeps at least one character: use `#[sensitive]` to hide all of it",
                        ),
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
