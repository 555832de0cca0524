//! Parsing and checking the arguments of `#[monitored(...)]` and `#[transaction(...)]`.
//!
//! Every problem is collected with the span of the token at fault; the caller reports them
//! all at once.

use proc_macro2::{Span, TokenStream};
use syn::ext::IdentExt;
use syn::parse::{Parse, ParseStream, Parser};
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{Expr, ExprLit, ExprUnary, Ident, Lit, LitStr, Meta, Token, UnOp};

use crate::valid;
use crate::Errors;

/// Which attribute is being expanded.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Monitored,
    Transaction,
}

impl Kind {
    pub(crate) fn attr_name(self) -> &'static str {
        match self {
            Kind::Monitored => "#[vigil::monitored]",
            Kind::Transaction => "#[vigil::transaction]",
        }
    }

    fn options(self) -> &'static str {
        match self {
            Kind::Monitored => "op, name, skip, skip_all, tags, err, level",
            Kind::Transaction => "op, name, sample_rate, skip, skip_all, tags, err, level",
        }
    }
}

/// The checked arguments.
#[derive(Default)]
pub(crate) struct Args {
    pub(crate) op: Option<String>,
    pub(crate) name: Option<String>,
    pub(crate) skip: Vec<Ident>,
    pub(crate) skip_all: bool,
    pub(crate) tags: Vec<(String, String)>,
    pub(crate) capture_errors: bool,
    pub(crate) level: Option<String>,
    pub(crate) sample_rate: Option<f64>,
}

/// One `key = "value"` of `tags(...)`.
struct TagPair {
    key: String,
    key_span: Span,
    value: Lit,
}

impl Parse for TagPair {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let (key, key_span, _) = crate::call::parse_key(input)?;
        input.parse::<Token![=]>()?;
        let value: Lit = input.parse()?;
        Ok(TagPair {
            key,
            key_span,
            value,
        })
    }
}

pub(crate) fn parse(kind: Kind, tokens: TokenStream) -> Result<Args, syn::Error> {
    let metas = Punctuated::<Meta, Token![,]>::parse_terminated.parse2(tokens)?;
    let mut errors = Errors::default();
    let mut args = Args {
        capture_errors: true,
        ..Default::default()
    };
    let mut seen: Vec<String> = Vec::new();

    for meta in metas {
        let path = meta.path();
        let Some(ident) = path.get_ident() else {
            errors.push(
                path.span(),
                unknown(kind, &quote::ToTokens::to_token_stream(path).to_string()),
            );
            continue;
        };
        let key = ident.to_string();
        if seen.contains(&key) {
            errors.push(ident.span(), format!("duplicate option `{key}`"));
            continue;
        }
        seen.push(key.clone());

        match (key.as_str(), &meta) {
            ("op", Meta::NameValue(nv)) => {
                if let Some(lit) = string_lit(&mut errors, &nv.value, "op", "op = \"db.query\"") {
                    match valid::op(&lit.value()) {
                        Ok(()) => args.op = Some(lit.value()),
                        Err(msg) => errors.push(lit.span(), msg),
                    }
                }
            }
            ("name", Meta::NameValue(nv)) => {
                if let Some(lit) =
                    string_lit(&mut errors, &nv.value, "name", "name = \"load_user\"")
                {
                    match valid::name(&lit.value()) {
                        Ok(()) => args.name = Some(lit.value()),
                        Err(msg) => errors.push(lit.span(), msg),
                    }
                }
            }
            ("err", Meta::NameValue(nv)) => match path_word(&nv.value).as_deref() {
                Some("capture") => args.capture_errors = true,
                Some("ignore") => args.capture_errors = false,
                _ => errors.push(
                    nv.value.span(),
                    "`err` is `capture` (report a returned `Err` to Sentry, the default) or `ignore`",
                ),
            },
            ("level", Meta::NameValue(nv)) => match path_word(&nv.value) {
                Some(word) => match valid::level(&word) {
                    Ok(()) => args.level = Some(word),
                    Err(msg) => errors.push(nv.value.span(), msg),
                },
                None => errors.push(
                    nv.value.span(),
                    format!("`level` is one of: {}", valid::LEVELS.join(", ")),
                ),
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
                ident.span(),
                "`sample_rate` belongs on `#[vigil::transaction]`: a monitored function is recorded when its transaction is sampled",
            ),
            ("skip", Meta::List(list)) => {
                match list.parse_args_with(|input: ParseStream| {
                    Punctuated::<Ident, Token![,]>::parse_terminated_with(input, Ident::parse_any)
                }) {
                    Ok(idents) if idents.is_empty() => {
                        errors.push(list.span(), "`skip()` names no parameter; list some, as in `skip(conn)`, or remove it")
                    }
                    Ok(idents) => args.skip.extend(idents),
                    Err(e) => errors.push(e.span(), "`skip` lists parameter names, as in `skip(conn, pool)`"),
                }
            }
            ("skip_all", Meta::Path(_)) => args.skip_all = true,
            ("tags", Meta::List(list)) => {
                match list.parse_args_with(Punctuated::<TagPair, Token![,]>::parse_terminated) {
                    Ok(pairs) => {
                        let mut keys: Vec<String> = Vec::new();
                        for pair in pairs {
                            if let Err(msg) = valid::tag_key(&pair.key) {
                                errors.push(pair.key_span, msg);
                                continue;
                            }
                            if keys.contains(&pair.key) {
                                errors.push(pair.key_span, format!("duplicate tag `{}`", pair.key));
                                continue;
                            }
                            keys.push(pair.key.clone());
                            let value = match &pair.value {
                                Lit::Str(s) => s.value(),
                                Lit::Int(i) => i.base10_digits().to_owned(),
                                Lit::Float(f) => f.base10_digits().to_owned(),
                                Lit::Bool(b) => b.value.to_string(),
                                other => {
                                    errors.push(other.span(), "a tag value is a string, number or bool literal");
                                    continue;
                                }
                            };
                            match valid::tag_value(&value) {
                                Ok(()) => args.tags.push((pair.key, value)),
                                Err(msg) => errors.push(pair.value.span(), msg),
                            }
                        }
                    }
                    Err(e) => errors.push(
                        e.span(),
                        "`tags` takes `key = \"value\"` pairs, as in `tags(component = \"billing\")`",
                    ),
                }
            }
            ("op" | "name" | "err" | "level" | "sample_rate", _) => errors.push(
                meta.span(),
                format!("`{key}` takes a value: `{key} = ...`"),
            ),
            ("skip" | "tags", _) => errors.push(
                meta.span(),
                format!("`{key}` takes a list: `{key}(...)`"),
            ),
            ("skip_all", _) => errors.push(meta.span(), "`skip_all` takes no value"),
            _ => errors.push(ident.span(), unknown(kind, &key)),
        }
    }
    if args.skip_all && !args.skip.is_empty() {
        errors.push(
            args.skip[0].span(),
            "`skip(...)` is redundant next to `skip_all`, which already skips every parameter",
        );
    }
    errors.finish()?;
    Ok(args)
}

fn unknown(kind: Kind, key: &str) -> String {
    format!(
        "unknown option `{key}` for {}; expected one of: {}",
        kind.attr_name(),
        kind.options()
    )
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

fn path_word(expr: &Expr) -> Option<String> {
    match expr {
        Expr::Path(p) if p.qself.is_none() => p.path.get_ident().map(|i| i.to_string()),
        _ => None,
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
