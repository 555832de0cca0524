//! `#[vigil::sensitive]` on a type: its (absent) options and its item are checked here; the
//! impls it adds are generated with the derive's, in `redact/expand.rs`.

use proc_macro2::TokenStream;
use syn::spanned::Spanned;
use syn::{Generics, Ident, Item};

use crate::internals::{fallback, Errors, Krate};
use crate::redact;

const NO_OPTIONS: &str = "`#[vigil::sensitive]` on a type takes no options; partial masks are for fields: `#[sensitive(partial = 4)]` with `#[derive(vigil::Redact)]`";

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

/// The options: none.
fn options(errors: &mut Errors, args: TokenStream) -> Krate {
    if !args.is_empty() {
        errors.push_spanned(args, NO_OPTIONS);
    }
    Krate::default()
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
