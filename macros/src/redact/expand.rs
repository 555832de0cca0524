//! Code generation for `#[derive(Redact)]` and `#[vigil::sensitive]`: a `Debug` and a
//! `Serialize` that never show what is marked secret. Both macros generate the same kind of
//! impls, so both are here; each parses and checks its input on its own.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use syn::ext::IdentExt;
use syn::{Generics, Ident};

use super::parse::{Body, Field, Input, Mask, Shape};
use crate::internals::Krate;

/// `Debug`/`Serialize` bounds on every type parameter, as the standard derives do.
fn bounded(generics: &Generics, bound: TokenStream) -> Generics {
    let mut generics = generics.clone();
    let params: Vec<Ident> = generics.type_params().map(|t| t.ident.clone()).collect();
    let where_clause = generics.make_where_clause();
    for param in params {
        where_clause
            .predicates
            .push(syn::parse_quote!(#param: #bound));
    }
    generics
}

/// The stand-in shown for a field (a reference named `binding`).
fn shown(p: &TokenStream, field: &Field, binding: &Ident) -> TokenStream {
    let masked = match &field.mask {
        Mask::Plain => return quote!(#binding),
        Mask::Full => quote!(&#p::Filtered),
        Mask::Partial(n) => quote!(&#p::Partial(#binding, #n)),
        Mask::With(path) => quote!(&#p::Masked(#path(#binding))),
    };
    if field.pii {
        quote!(&#p::Pii(#binding, #masked))
    } else {
        masked
    }
}

/// Extra where-predicates a field's mask needs.
fn field_bounds(shape: &Shape) -> Vec<TokenStream> {
    let fields = match shape {
        Shape::Named(f) | Shape::Tuple(f) => f,
        Shape::Unit => return Vec::new(),
    };
    fields
        .iter()
        .filter_map(|f| match f.mask {
            Mask::Partial(_) => {
                let ty = &f.ty;
                Some(quote!(#ty: ::core::fmt::Display))
            }
            _ => None,
        })
        .collect()
}

fn bindings(shape: &Shape) -> (TokenStream, Vec<(Ident, &Field)>) {
    match shape {
        Shape::Named(fields) => {
            let bound: Vec<(Ident, &Field)> = fields
                .iter()
                .map(|f| match &f.member {
                    syn::Member::Named(i) => (format_ident!("__vigil_{}", i), f),
                    syn::Member::Unnamed(i) => (format_ident!("__vigil_{}", i.index), f),
                })
                .collect();
            let pats = bound.iter().map(|(b, f)| {
                let m = &f.member;
                quote!(#m: #b)
            });
            (quote!({ #(#pats),* }), bound)
        }
        Shape::Tuple(fields) => {
            let bound: Vec<(Ident, &Field)> = fields
                .iter()
                .enumerate()
                .map(|(i, f)| (format_ident!("__vigil_{}", i), f))
                .collect();
            let pats = bound.iter().map(|(b, _)| b);
            (quote!(( #(#pats),* )), bound)
        }
        Shape::Unit => (quote!(), Vec::new()),
    }
}

fn debug_body(p: &TokenStream, name: &str, shape: &Shape, formatter: &Ident) -> TokenStream {
    let (_, bound) = bindings(shape);
    match shape {
        Shape::Named(_) => {
            let fields = bound.iter().map(|(b, f)| {
                let key = match &f.member {
                    syn::Member::Named(i) => i.to_string(),
                    syn::Member::Unnamed(i) => i.index.to_string(),
                };
                let value = shown(p, f, b);
                quote!(.field(#key, #value))
            });
            quote!(#formatter.debug_struct(#name) #(#fields)* .finish())
        }
        Shape::Tuple(_) => {
            let fields = bound.iter().map(|(b, f)| {
                let value = shown(p, f, b);
                quote!(.field(#value))
            });
            quote!(#formatter.debug_tuple(#name) #(#fields)* .finish())
        }
        Shape::Unit => quote!(#formatter.write_str(#name)),
    }
}

pub(crate) fn derive(input: &Input) -> TokenStream {
    let body = &input.body;
    // Always there: a wrong `crate` option is an error, and errors never reach here.
    let p = input.krate.clone().unwrap_or_default().private();
    let p = &p;
    let ident = &input.ident;
    let name = ident.to_string();
    let f = format_ident!("__vigil_f");
    let s = format_ident!("__vigil_s");

    let shapes: Vec<&Shape> = match body {
        Body::Struct(shape) => vec![shape],
        Body::Enum(variants) => variants.iter().map(|v| &v.shape).collect(),
    };
    let extra_bounds: Vec<TokenStream> = shapes.iter().flat_map(|s| field_bounds(s)).collect();

    // ---- Debug
    let debug_generics = bounded(&input.generics, quote!(::core::fmt::Debug));
    let (impl_g, ty_g, where_g) = debug_generics.split_for_impl();
    let where_g = with_extra(where_g, &extra_bounds);
    let debug_arms = match body {
        Body::Struct(shape) => {
            let (pat, _) = bindings(shape);
            let body = debug_body(p, &name, shape, &f);
            quote!(Self #pat => #body,)
        }
        Body::Enum(variants) => {
            let arms = variants.iter().map(|v| {
                let (pat, _) = bindings(&v.shape);
                let vident = &v.ident;
                let body = debug_body(p, &vident.to_string(), &v.shape, &f);
                quote!(Self::#vident #pat => #body,)
            });
            quote!(#(#arms)*)
        }
    };
    let empty_enum = matches!(body, Body::Enum(v) if v.is_empty());
    let debug_match = if empty_enum {
        quote!(match *self {})
    } else {
        quote!(match self { #debug_arms })
    };

    // ---- Serialize
    let ser_generics = bounded(&input.generics, quote!(#p::serde::Serialize));
    let (simpl_g, sty_g, swhere_g) = ser_generics.split_for_impl();
    let swhere_g = with_extra(swhere_g, &extra_bounds);
    let ser_match = match body {
        Body::Struct(shape) => {
            let (pat, _) = bindings(shape);
            let body = serialize_struct(p, &name, shape, &s);
            quote!(match self { Self #pat => #body, })
        }
        Body::Enum(variants) if variants.is_empty() => quote!(match *self {}),
        Body::Enum(variants) => {
            let arms = variants.iter().enumerate().map(|(i, v)| {
                let (pat, _) = bindings(&v.shape);
                let vident = &v.ident;
                let body = serialize_variant(p, &name, i as u32, &vident.to_string(), &v.shape, &s);
                quote!(Self::#vident #pat => #body,)
            });
            quote!(match self { #(#arms)* })
        }
    };

    quote! {
        #[automatically_derived]
        impl #impl_g ::core::fmt::Debug for #ident #ty_g #where_g {
            fn fmt(&self, #f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                #debug_match
            }
        }

        #[automatically_derived]
        impl #simpl_g #p::serde::Serialize for #ident #sty_g #swhere_g {
            fn serialize<__VigilS: #p::serde::Serializer>(
                &self,
                #s: __VigilS,
            ) -> ::core::result::Result<__VigilS::Ok, __VigilS::Error> {
                #[allow(unused_imports)]
                use #p::serde::ser::{
                    SerializeStruct as _, SerializeStructVariant as _, SerializeTupleStruct as _,
                    SerializeTupleVariant as _,
                };
                #ser_match
            }
        }
    }
}

fn with_extra(where_clause: Option<&syn::WhereClause>, extra: &[TokenStream]) -> TokenStream {
    let mut predicates: Vec<TokenStream> = where_clause
        .map(|w| w.predicates.iter().map(|p| quote!(#p)).collect())
        .unwrap_or_default();
    predicates.extend(extra.iter().cloned());
    if predicates.is_empty() {
        quote!()
    } else {
        quote!(where #(#predicates),*)
    }
}

/// How a struct or an enum variant opens each shape of serialization.
struct SerializeCalls<'a> {
    named: TokenStream,
    tuple: TokenStream,
    newtype: &'a dyn Fn(TokenStream) -> TokenStream,
    unit: TokenStream,
}

fn serialize_struct(p: &TokenStream, name: &str, shape: &Shape, s: &Ident) -> TokenStream {
    let len = field_count(shape);
    serialize_shape(
        p,
        shape,
        SerializeCalls {
            named: quote!(#s.serialize_struct(#name, #len)),
            tuple: quote!(#s.serialize_tuple_struct(#name, #len)),
            newtype: &|value| quote!(#s.serialize_newtype_struct(#name, #value)),
            unit: quote!(#s.serialize_unit_struct(#name)),
        },
    )
}

fn serialize_variant(
    p: &TokenStream,
    name: &str,
    index: u32,
    variant: &str,
    shape: &Shape,
    s: &Ident,
) -> TokenStream {
    let len = field_count(shape);
    serialize_shape(
        p,
        shape,
        SerializeCalls {
            named: quote!(#s.serialize_struct_variant(#name, #index, #variant, #len)),
            tuple: quote!(#s.serialize_tuple_variant(#name, #index, #variant, #len)),
            newtype: &|value| quote!(#s.serialize_newtype_variant(#name, #index, #variant, #value)),
            unit: quote!(#s.serialize_unit_variant(#name, #index, #variant)),
        },
    )
}

fn field_count(shape: &Shape) -> usize {
    match shape {
        Shape::Named(f) | Shape::Tuple(f) => f.len(),
        Shape::Unit => 0,
    }
}

fn serialize_shape(p: &TokenStream, shape: &Shape, calls: SerializeCalls) -> TokenStream {
    let (_, bound) = bindings(shape);
    let SerializeCalls {
        named,
        tuple,
        newtype,
        unit,
    } = calls;
    match shape {
        Shape::Named(_) => {
            let fields = bound.iter().map(|(b, f)| {
                let key = match &f.member {
                    syn::Member::Named(i) => i.unraw().to_string(),
                    syn::Member::Unnamed(i) => i.index.to_string(),
                };
                let value = shown(p, f, b);
                quote!(__vigil_st.serialize_field(#key, #value)?;)
            });
            quote!({
                let mut __vigil_st = #named?;
                #(#fields)*
                __vigil_st.end()
            })
        }
        Shape::Tuple(_) if bound.len() == 1 => {
            let (b, f) = &bound[0];
            newtype(shown(p, f, b))
        }
        Shape::Tuple(_) => {
            let fields = bound.iter().map(|(b, f)| {
                let value = shown(p, f, b);
                quote!(__vigil_st.serialize_field(#value)?;)
            });
            quote!({
                let mut __vigil_st = #tuple?;
                #(#fields)*
                __vigil_st.end()
            })
        }
        Shape::Unit => unit,
    }
}

/// `#[vigil::sensitive]` on a type: the item unchanged, plus a `Debug` that prints
/// `Name([Filtered])` and a `Serialize` that writes `"[Filtered]"`.
pub(crate) fn sensitive(
    item: &syn::Item,
    ident: &Ident,
    generics: &Generics,
    krate: &Krate,
) -> TokenStream {
    let p = krate.private();
    let name = ident.to_string();
    let (impl_g, ty_g, where_g) = generics.split_for_impl();
    quote! {
        #item

        #[automatically_derived]
        impl #impl_g ::core::fmt::Debug for #ident #ty_g #where_g {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                f.debug_tuple(#name).field(&#p::Filtered).finish()
            }
        }

        #[automatically_derived]
        impl #impl_g #p::serde::Serialize for #ident #ty_g #where_g {
            fn serialize<__VigilS: #p::serde::Serializer>(
                &self,
                s: __VigilS,
            ) -> ::core::result::Result<__VigilS::Ok, __VigilS::Error> {
                #p::serde::Serialize::serialize(&#p::Filtered, s)
            }
        }
    }
}

/// Impls that compile but never run (the crate has an error already): they keep a failed
/// derive from causing a cascade of "does not implement `Debug`" errors at every use. The
/// `Serialize` one needs the path to vigil: without a usable `crate` option, only `Debug`.
pub(crate) fn stand_in(input: &Input) -> TokenStream {
    let ident = &input.ident;
    let (impl_g, ty_g, where_g) = input.generics.split_for_impl();
    let serialize = input.krate.as_ref().map(|krate| {
        let p = krate.private();
        quote! {
            impl #impl_g #p::serde::Serialize for #ident #ty_g #where_g {
                fn serialize<__VigilS: #p::serde::Serializer>(
                    &self,
                    _: __VigilS,
                ) -> ::core::result::Result<__VigilS::Ok, __VigilS::Error> {
                    ::core::unreachable!()
                }
            }
        }
    });
    quote! {
        impl #impl_g ::core::fmt::Debug for #ident #ty_g #where_g {
            fn fmt(&self, _: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                ::core::unreachable!()
            }
        }
        #serialize
    }
}
