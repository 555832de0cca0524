//! `#[vigil::sensitive]` on a type: its one option (`crate = "..."`) and its item are parsed
//! and checked here; the impls it adds are generated with the derive's, in
//! `redact/expand.rs`.

use proc_macro2::TokenStream;
use syn::parse::Parser;
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{Generics, Ident, Item, Meta, Token};

use crate::internals::{fallback, key, Errors, Krate, Once, Repeat};
use crate::redact;

const NO_OPTIONS: &str = "`#[vigil::sensitive]` on a type takes no option but `crate = \"...\"`; partial masks are for fields: `#[sensitive(partial = 4)]` with `#[derive(vigil::Redact)]`";

/// The expansion of `#[vigil::sensitive(args)]` on `item`.
pub(crate) fn sensitive(args: TokenStream, item: TokenStream) -> TokenStream {
    let mut errors = Errors::new();
    let krate = options(&mut errors, args);
    let item = match syn::parse2::<Item>(item.clone()) {
        Ok(item) => item,
        Err(e) => return fallback::item(errors.finish_with(e), item),
    };
    match target(&item) {
        Ok((ident, generics)) => match errors.finish() {
            Ok(()) => redact::expand::sensitive(&item, ident, generics, &krate),
            Err(e) => fallback::item(e, &item),
        },
        Err(e) => fallback::item(errors.finish_with(e), &item),
    }
}

/// The options: only `crate`, given once.
fn options(errors: &mut Errors, args: TokenStream) -> Krate {
    let mut krate = Krate::default();
    if args.is_empty() {
        return krate;
    }
    let metas = match Punctuated::<Meta, Token![,]>::parse_terminated.parse2(args.clone()) {
        Ok(metas) => metas,
        Err(_) => {
            errors.push_spanned(args, NO_OPTIONS);
            return krate;
        }
    };
    let mut once = Once::new(Repeat::Option);
    for meta in &metas {
        match key::option_name(meta) {
            Some((name, span)) if name == "crate" => {
                if once.first(errors, &name, span) {
                    if let Some(path) = Krate::from_meta(errors, meta) {
                        krate = path;
                    }
                }
            }
            _ => errors.push_spanned(meta, NO_OPTIONS),
        }
    }
    krate
}

/// What it goes on: a struct, an enum or a union.
fn target(item: &Item) -> syn::Result<(&Ident, &Generics)> {
    match item {
        Item::Struct(s) => Ok((&s.ident, &s.generics)),
        Item::Enum(e) => Ok((&e.ident, &e.generics)),
        Item::Union(u) => Ok((&u.ident, &u.generics)),
        other => Err(syn::Error::new(
            other.span(),
            "`#[vigil::sensitive]` goes on a type (struct, enum or union) whose whole value is secret; on a field use `#[sensitive]` with `#[derive(vigil::Redact)]`, on a parameter `#[sensitive]` inside `#[vigil::monitored]`",
        )),
    }
}
