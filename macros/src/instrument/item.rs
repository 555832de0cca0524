//! The function an attribute is put on: parsed, checked against the options, and its
//! parameters classified by how (and whether) their values are recorded.

use proc_macro2::{Span, TokenStream};
use syn::spanned::Spanned;
use syn::{FnArg, Ident, Item, ItemFn, Pat};

use super::attr::Args;
use super::Kind;
use crate::internals::ty::is_inspectable;
use crate::internals::{rules, Errors};

/// A binding of a parameter (the parameter itself, or a name bound by its pattern, as in
/// `(a, b): (u32, u32)`) whose value may be recorded.
pub(crate) struct Param {
    pub(crate) ident: Ident,
    /// How it is recorded.
    pub(crate) record: Record,
    /// The parameter's `#[cfg(...)]` attributes: its bindings are recorded where it exists.
    pub(crate) cfgs: Vec<syn::Attribute>,
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

    if let Shape::Sync { inspect: true } = shape(func) {
        if let Some(attr) = func
            .attrs
            .iter()
            .find(|a| a.path().is_ident("track_caller"))
        {
            errors.add(syn::Error::new_spanned(
                attr,
                format!(
                    "`#[track_caller]` cannot go with {} on a function that returns a `Result`: vigil runs such a body in a closure to capture a returned `Err`, and a closure cannot be `#[track_caller]` on stable Rust; keep `#[track_caller]` on a function that calls this one",
                    kind.attr_name()
                ),
            ));
        }
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
        let cfgs: Vec<syn::Attribute> = pat_type
            .attrs
            .iter()
            .filter(|a| a.path().is_ident("cfg"))
            .cloned()
            .collect();
        let mut bindings = Vec::new();
        bound_names(&pat_type.pat, &mut bindings);
        for ident in bindings {
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
            params.push(Param {
                ident,
                record,
                cfgs: cfgs.clone(),
            });
        }
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

/// The names a parameter's pattern binds, in order: `x` for `x: u32`, `a` and `b` for
/// `(a, b): (u32, u32)`, `x` and `y` for `Point { x, y }: Point`.
fn bound_names(pat: &Pat, out: &mut Vec<Ident>) {
    match pat {
        Pat::Ident(p) => {
            out.push(p.ident.clone());
            if let Some((_, sub)) = &p.subpat {
                bound_names(sub, out);
            }
        }
        Pat::Tuple(p) => p.elems.iter().for_each(|p| bound_names(p, out)),
        Pat::TupleStruct(p) => p.elems.iter().for_each(|p| bound_names(p, out)),
        Pat::Struct(p) => p.fields.iter().for_each(|f| bound_names(&f.pat, out)),
        Pat::Slice(p) => p.elems.iter().for_each(|p| bound_names(p, out)),
        Pat::Reference(p) => bound_names(&p.pat, out),
        Pat::Paren(p) => bound_names(&p.pat, out),
        Pat::Type(p) => bound_names(&p.pat, out),
        // Wildcards, rests, literals, paths, ranges and macros bind nothing to record; an
        // `|` pattern cannot stand in a parameter (it is not irrefutable in general).
        _ => {}
    }
}

/// How the function's body runs, which decides how it is wrapped.
pub(crate) enum Shape {
    /// An `async fn`.
    Async,
    /// A sync fn returning a future written as an `async` block at the end of its body,
    /// optionally `Box::pin`ned (by hand, or by `#[async_trait]`): the block is instrumented,
    /// not the call that creates it. `output` is the future's `Output`; `tail` the index of
    /// the statement that makes it.
    ReturnsAsyncBlock {
        output: Box<syn::Type>,
        tail: usize,
        pinned: bool,
    },
    /// Any other sync fn; `inspect`: its return value can be read for an `Err`.
    Sync { inspect: bool },
}

/// The shape of `func` (see [`Shape`]).
pub(crate) fn shape(func: &ItemFn) -> Shape {
    if func.sig.asyncness.is_some() {
        return Shape::Async;
    }
    let syn::ReturnType::Type(_, ty) = &func.sig.output else {
        return Shape::Sync { inspect: false };
    };
    if let (Some(output), Some((tail, pinned))) = (future_output(ty), async_tail(&func.block)) {
        return Shape::ReturnsAsyncBlock {
            output: Box::new(output),
            tail,
            pinned,
        };
    }
    // `#[track_caller]` needs the body inline (a closure cannot be `#[track_caller]`): its
    // result is read only when its type says `Result` (see `check` for that case's error).
    let track_caller = func.attrs.iter().any(|a| a.path().is_ident("track_caller"));
    Shape::Sync {
        inspect: is_inspectable(ty) && (!track_caller || names_result(ty)),
    }
}

/// Does `ty`'s name say it is a result (`Result<..>`, `io::Result<..>`, `FetchResult`)?
fn names_result(ty: &syn::Type) -> bool {
    match ty {
        syn::Type::Path(p) => p
            .path
            .segments
            .last()
            .is_some_and(|s| s.ident.to_string().ends_with("Result")),
        syn::Type::Paren(p) => names_result(&p.elem),
        _ => false,
    }
}

/// The `Output` of a future type: `impl Future<Output = X>`, or `Pin<Box<dyn Future<Output =
/// X> + Send + 'a>>` as `#[async_trait]` writes it.
fn future_output(ty: &syn::Type) -> Option<syn::Type> {
    let bounds = match ty {
        syn::Type::ImplTrait(t) => &t.bounds,
        syn::Type::TraitObject(t) => &t.bounds,
        syn::Type::Paren(p) => return future_output(&p.elem),
        syn::Type::Path(p) => {
            // `Pin<Box<..>>`, `Box<..>`: the one type argument.
            let last = p.path.segments.last()?;
            if last.ident != "Pin" && last.ident != "Box" {
                return None;
            }
            let syn::PathArguments::AngleBracketed(args) = &last.arguments else {
                return None;
            };
            return args.args.iter().find_map(|a| match a {
                syn::GenericArgument::Type(t) => future_output(t),
                _ => None,
            });
        }
        _ => return None,
    };
    bounds.iter().find_map(|b| {
        let syn::TypeParamBound::Trait(t) = b else {
            return None;
        };
        let last = t.path.segments.last()?;
        if last.ident != "Future" {
            return None;
        }
        let syn::PathArguments::AngleBracketed(args) = &last.arguments else {
            return None;
        };
        args.args.iter().find_map(|a| match a {
            syn::GenericArgument::AssocType(assoc) if assoc.ident == "Output" => {
                Some(assoc.ty.clone())
            }
            _ => None,
        })
    })
}

/// The last statement of `block` when it is an `async` block, or `Box::pin(async ..)`: its
/// index, and whether it is pinned.
fn async_tail(block: &syn::Block) -> Option<(usize, bool)> {
    let (index, expr) = block
        .stmts
        .iter()
        .enumerate()
        .next_back()
        .and_then(|(i, s)| match s {
            syn::Stmt::Expr(e, None) => Some((i, e)),
            _ => None,
        })?;
    match expr {
        syn::Expr::Async(_) => Some((index, false)),
        syn::Expr::Call(call) => {
            let syn::Expr::Path(f) = &*call.func else {
                return None;
            };
            let segments: Vec<String> = f
                .path
                .segments
                .iter()
                .map(|s| s.ident.to_string())
                .collect();
            let pin = segments.ends_with(&["Box".into(), "pin".into()]);
            (pin && call.args.len() == 1 && matches!(call.args[0], syn::Expr::Async(_)))
                .then_some((index, true))
        }
        _ => None,
    }
}

/// The async block at the end of `block` (see [`async_tail`]).
pub(crate) fn async_block(block: &syn::Block, tail: usize) -> &syn::ExprAsync {
    let expr = match &block.stmts[tail] {
        syn::Stmt::Expr(e, None) => e,
        _ => unreachable!("checked by async_tail"),
    };
    match expr {
        syn::Expr::Async(a) => a,
        syn::Expr::Call(call) => match &call.args[0] {
            syn::Expr::Async(a) => a,
            _ => unreachable!("checked by async_tail"),
        },
        _ => unreachable!("checked by async_tail"),
    }
}
