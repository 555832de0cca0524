//! Types as the expansions need them: `impl Trait` found, or erased to `_` so a body's
//! type can be named inside it.

use syn::spanned::Spanned;

/// Does `ty` contain an `impl Trait`?
pub(crate) fn has_impl_trait(ty: &syn::Type) -> bool {
    erase_impl_trait(ty).1
}

/// `ty` with each `impl Trait` replaced by `_` (so it can be named inside the body), and
/// whether there was one.
pub(crate) fn erase_impl_trait(ty: &syn::Type) -> (syn::Type, bool) {
    struct Eraser(bool);
    impl syn::visit_mut::VisitMut for Eraser {
        fn visit_type_mut(&mut self, ty: &mut syn::Type) {
            if let syn::Type::ImplTrait(impl_trait) = ty {
                self.0 = true;
                *ty = syn::Type::Infer(syn::TypeInfer {
                    underscore_token: syn::Token![_](impl_trait.span()),
                });
            } else {
                syn::visit_mut::visit_type_mut(self, ty);
            }
        }
    }
    let mut ty = ty.clone();
    let mut eraser = Eraser(false);
    syn::visit_mut::VisitMut::visit_type_mut(&mut eraser, &mut ty);
    (ty, eraser.0)
}

/// Can a value of type `ty` be read for an `Err` in the expansion? Not `!`, and not an
/// `impl Trait` (whose body may need the opaque type's bounds to type-check, as a closure
/// returned as `impl Fn(&str)` does) unless it stands inside a `Result`.
pub(crate) fn is_inspectable(ty: &syn::Type) -> bool {
    match ty {
        syn::Type::Never(_) => false,
        syn::Type::Tuple(t) if t.elems.is_empty() => false,
        syn::Type::Paren(p) => is_inspectable(&p.elem),
        syn::Type::Path(p) if last_segment_is(&p.path, "Result") => true,
        ty => !has_impl_trait(ty),
    }
}

/// Does `ty` name a lifetime other than `'static` (`'a`, `'_`, or a reference's elided one)?
pub(crate) fn borrows(ty: &syn::Type) -> bool {
    // `VisitMut` on a copy: the crate builds `syn` with `visit-mut` only.
    struct Finder(bool);
    impl syn::visit_mut::VisitMut for Finder {
        fn visit_lifetime_mut(&mut self, lifetime: &mut syn::Lifetime) {
            self.0 |= lifetime.ident != "static";
        }
        fn visit_type_reference_mut(&mut self, reference: &mut syn::TypeReference) {
            self.0 |= reference.lifetime.is_none();
            syn::visit_mut::visit_type_reference_mut(self, reference);
        }
    }
    let mut finder = Finder(false);
    syn::visit_mut::VisitMut::visit_type_mut(&mut finder, &mut ty.clone());
    finder.0
}

fn last_segment_is(path: &syn::Path, name: &str) -> bool {
    path.segments.last().is_some_and(|s| s.ident == name)
}
