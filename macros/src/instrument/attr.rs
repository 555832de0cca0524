//! Parsing and checking the options of `#[monitored(...)]` and `#[transaction(...)]`.
//!
//! Every problem is collected with the span of the token at fault; what could be read is
//! still returned, so the function's own checks run too and all errors come out at once.

use proc_macro2::TokenStream;
use syn::ext::IdentExt;
use syn::parse::{Parse, ParseStream, Parser};
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{Expr, ExprLit, ExprUnary, Ident, Lit, LitStr, Meta, MetaList, Token, UnOp};

use super::Kind;
use crate::internals::key::{self, Key};
use crate::internals::{valid, Errors, Krate, Level, Once, Repeat};

/// The checked options.
pub(crate) struct Args {
    pub(crate) op: Option<String>,
    pub(crate) name: Option<String>,
    pub(crate) skip: Vec<Ident>,
    pub(crate) skip_all: bool,
    pub(crate) tags: Vec<(String, String)>,
    pub(crate) capture_errors: bool,
    pub(crate) level: Level,
    pub(crate) sample_rate: Option<f64>,
    pub(crate) fingerprint: Vec<String>,
    pub(crate) krate: Krate,
}

impl Default for Args {
    fn default() -> Self {
        Args {
            op: None,
            name: None,
            skip: Vec::new(),
            skip_all: false,
            tags: Vec::new(),
            capture_errors: true,
            level: Level::Error,
            sample_rate: None,
            fingerprint: Vec::new(),
            krate: Krate::default(),
        }
    }
}

fn options(kind: Kind) -> &'static str {
    match kind {
        Kind::Monitored => "op, name, skip, skip_all, tags, err, level, fingerprint, crate",
        Kind::Transaction => {
            "op, name, sample_rate, skip, skip_all, tags, err, level, fingerprint, crate"
        }
    }
}

/// Parses the attribute's options; problems go to `errors`, the rest is returned.
pub(crate) fn parse(kind: Kind, tokens: TokenStream, errors: &mut Errors) -> Args {
    let mut args = Args::default();
    let metas = match Punctuated::<Meta, Token![,]>::parse_terminated.parse2(tokens) {
        Ok(metas) => metas,
        Err(e) => {
            errors.add(e);
            return args;
        }
    };
    let mut once = Once::new(Repeat::Option);
    for meta in &metas {
        let Some((key, key_span)) = key::option_name(meta) else {
            let path = quote::ToTokens::to_token_stream(meta.path()).to_string();
            errors.push(meta.path().span(), unknown(kind, &path));
            continue;
        };
        if !once.first(errors, &key, key_span) {
            continue;
        }
        match (key.as_str(), meta) {
            ("crate", _) => {
                if let Some(krate) = Krate::from_meta(errors, meta) {
                    args.krate = krate;
                }
            }
            ("op", Meta::NameValue(nv)) => {
                if let Some(lit) = string_lit(errors, &nv.value, "op", "op = \"db.query\"") {
                    match valid::op(&lit.value()) {
                        Ok(()) => args.op = Some(lit.value()),
                        Err(msg) => errors.push(lit.span(), msg),
                    }
                }
            }
            ("name", Meta::NameValue(nv)) => {
                if let Some(lit) = string_lit(errors, &nv.value, "name", "name = \"load_user\"") {
                    match valid::name(&lit.value()) {
                        Ok(()) => args.name = Some(lit.value()),
                        Err(msg) => errors.push(lit.span(), msg),
                    }
                }
            }
            ("err", Meta::NameValue(nv)) => match key::word(&nv.value) {
                Some(word) if word == "capture" => args.capture_errors = true,
                Some(word) if word == "ignore" => args.capture_errors = false,
                _ => errors.push(
                    nv.value.span(),
                    "`err` is `capture` (report a returned `Err` to Sentry, the default) or `ignore`",
                ),
            },
            ("fingerprint", Meta::NameValue(nv)) => {
                if let Some(parts) = valid::fingerprint(errors, &nv.value) {
                    args.fingerprint = parts;
                }
            }
            ("level", Meta::NameValue(nv)) => match Level::parse(&nv.value) {
                Ok(level) => args.level = level,
                Err(e) => errors.add(e),
            },
            ("sample_rate", Meta::NameValue(nv)) if kind == Kind::Transaction => {
                match rate_literal(&nv.value) {
                    Some(rate) => match valid::sample_rate(rate) {
                        Ok(()) => args.sample_rate = Some(rate),
                        Err(msg) => errors.push(nv.value.span(), msg),
                    },
                    None => errors.push(
                        nv.value.span(),
                        "`sample_rate` takes a number literal from 0.0 to 1.0, such as `sample_rate = 0.5`",
                    ),
                }
            }
            ("sample_rate", _) if kind == Kind::Monitored => errors.push(
                key_span,
                "`sample_rate` belongs on `#[vigil::transaction]`: a monitored function is recorded when its transaction is sampled",
            ),
            ("skip", Meta::List(list)) => skip(errors, list, &mut args),
            ("skip_all", Meta::Path(_)) => args.skip_all = true,
            ("tags", Meta::List(list)) => tags(errors, list, &mut args),
            ("op" | "name" | "err" | "level" | "sample_rate" | "fingerprint", _) => errors.push(
                meta.span(),
                format!("`{key}` takes a value: `{key} = ...`"),
            ),
            ("skip" | "tags", _) => {
                errors.push(meta.span(), format!("`{key}` takes a list: `{key}(...)`"))
            }
            ("skip_all", _) => errors.push(meta.span(), "`skip_all` takes no value"),
            _ => errors.push(key_span, unknown(kind, &key)),
        }
    }
    if args.skip_all && !args.skip.is_empty() {
        errors.push(
            args.skip[0].span(),
            "`skip(...)` is redundant next to `skip_all`, which already skips every parameter",
        );
    }
    args
}

fn unknown(kind: Kind, key: &str) -> String {
    format!(
        "unknown option `{key}` for {}; expected one of: {}",
        kind.attr_name(),
        options(kind)
    )
}

/// `skip(a, b)`: parameter names, checked against the function in `item.rs`.
fn skip(errors: &mut Errors, list: &MetaList, args: &mut Args) {
    match list.parse_args_with(|input: ParseStream| {
        Punctuated::<Ident, Token![,]>::parse_terminated_with(input, Ident::parse_any)
    }) {
        Ok(idents) if idents.is_empty() => errors.push(
            list.span(),
            "`skip()` names no parameter; list some, as in `skip(conn)`, or remove it",
        ),
        Ok(idents) => args.skip.extend(idents),
        Err(e) => errors.push(
            e.span(),
            "`skip` lists parameter names, as in `skip(conn, pool)`",
        ),
    }
}

/// One `key = "value"` of `tags(...)`.
struct TagPair {
    key: Key,
    value: Lit,
}

impl Parse for TagPair {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let key = input.parse()?;
        input.parse::<Token![=]>()?;
        let value = input.parse()?;
        Ok(TagPair { key, value })
    }
}

/// `tags(k = "v", ...)`: keys and values checked against Sentry's tag rules.
fn tags(errors: &mut Errors, list: &MetaList, args: &mut Args) {
    let pairs = match list.parse_args_with(Punctuated::<TagPair, Token![,]>::parse_terminated) {
        Ok(pairs) => pairs,
        Err(e) => {
            errors.push(
                e.span(),
                "`tags` takes `key = \"value\"` pairs, as in `tags(component = \"billing\")`",
            );
            return;
        }
    };
    let mut once = Once::new(Repeat::Tag);
    for TagPair { key, value } in pairs {
        if let Err(msg) = valid::tag_key(&key.name) {
            errors.push(key.span, msg);
            continue;
        }
        if !once.first(errors, &key.name, key.span) {
            continue;
        }
        let text = match &value {
            Lit::Str(s) => s.value(),
            Lit::Int(i) => i.base10_digits().to_owned(),
            Lit::Float(f) => f.base10_digits().to_owned(),
            Lit::Bool(b) => b.value.to_string(),
            other => {
                errors.push(
                    other.span(),
                    "a tag value is a string, number or bool literal",
                );
                continue;
            }
        };
        match valid::tag_value(&text) {
            Ok(()) => args.tags.push((key.name, text)),
            Err(msg) => errors.push(value.span(), msg),
        }
    }
}

fn string_lit<'a>(
    errors: &mut Errors,
    expr: &'a Expr,
    key: &str,
    example: &str,
) -> Option<&'a LitStr> {
    match expr {
        Expr::Lit(ExprLit {
            lit: Lit::Str(lit), ..
        }) => Some(lit),
        other => {
            errors.push(
                other.span(),
                format!("`{key}` takes a string literal, as in `{example}`"),
            );
            None
        }
    }
}

fn rate_literal(expr: &Expr) -> Option<f64> {
    match expr {
        Expr::Lit(ExprLit {
            lit: Lit::Float(f), ..
        }) => f.base10_parse().ok(),
        Expr::Lit(ExprLit {
            lit: Lit::Int(i), ..
        }) => i.base10_parse::<u64>().ok().map(|v| v as f64),
        Expr::Unary(ExprUnary {
            op: UnOp::Neg(_),
            expr,
            ..
        }) => rate_literal(expr).map(|v| -v),
        _ => None,
    }
}
