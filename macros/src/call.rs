//! Parsing and checking the input of `capture_exception!`, `capture_message!` and
//! `add_breadcrumb!`: a first expression, then `key = value` pairs.

use proc_macro2::{Span, TokenStream};
use syn::ext::IdentExt;
use syn::parse::{ParseStream, Parser};
use syn::spanned::Spanned;
use syn::{Expr, Ident, LitStr, Token};

use crate::valid;
use crate::Errors;

/// Which macro is being expanded.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum CallKind {
    Exception,
    Message,
    Breadcrumb,
}

impl CallKind {
    pub(crate) fn macro_name(self) -> &'static str {
        match self {
            CallKind::Exception => "capture_exception!",
            CallKind::Message => "capture_message!",
            CallKind::Breadcrumb => "add_breadcrumb!",
        }
    }

    fn first(self) -> &'static str {
        match self {
            CallKind::Exception => "an error",
            CallKind::Message | CallKind::Breadcrumb => "a message",
        }
    }

    fn example(self) -> &'static str {
        match self {
            CallKind::Exception => "capture_exception!(err, user_id = 123)",
            CallKind::Message => {
                "capture_message!(\"rate limited\", level = warning, user_id = 123)"
            }
            CallKind::Breadcrumb => "add_breadcrumb!(\"clicked checkout\", category = \"ui\")",
        }
    }
}

/// A `key = value` pair after the first argument.
pub(crate) struct Field {
    pub(crate) key: String,
    pub(crate) key_span: Span,
    pub(crate) value: Expr,
    /// The key names a secret: the value is never evaluated.
    pub(crate) sensitive: bool,
}

/// The checked input.
pub(crate) struct Call {
    pub(crate) first: Expr,
    pub(crate) level: Option<String>,
    pub(crate) category: Option<Expr>,
    pub(crate) ty: Option<Expr>,
    pub(crate) fields: Vec<Field>,
}

/// A key of a `key = value` pair: an identifier (keywords too, such as `type`), or a string
/// literal for keys an identifier cannot spell (`"http.method"`). The flag says it was quoted.
pub(crate) fn parse_key(input: ParseStream) -> syn::Result<(String, Span, bool)> {
    if input.peek(LitStr) {
        let lit: LitStr = input.parse()?;
        Ok((lit.value(), lit.span(), true))
    } else {
        let ident = Ident::parse_any(input)?;
        Ok((ident.unraw().to_string(), ident.span(), false))
    }
}

struct RawPair {
    key: String,
    key_span: Span,
    quoted: bool,
    value: Expr,
}

fn parse_raw(kind: CallKind, input: ParseStream) -> syn::Result<(Expr, Vec<RawPair>)> {
    if input.is_empty() {
        return Err(syn::Error::new(
            Span::call_site(),
            format!(
                "{} needs {} first, as in `{}`",
                kind.macro_name(),
                kind.first(),
                kind.example()
            ),
        ));
    }
    let first: Expr = input.parse()?;
    let mut pairs = Vec::new();
    while !input.is_empty() {
        input.parse::<Token![,]>()?;
        if input.is_empty() {
            break;
        }
        let (key, key_span, quoted) = parse_key(input).map_err(|e| {
            syn::Error::new(
                e.span(),
                format!(
                    "expected `key = value` after {}, as in `{}`",
                    kind.first(),
                    kind.example()
                ),
            )
        })?;
        if !input.peek(Token![=]) {
            return Err(syn::Error::new(
                key_span,
                format!("`{key}` needs a value: `{key} = value`"),
            ));
        }
        input.parse::<Token![=]>()?;
        let value: Expr = input.parse()?;
        pairs.push(RawPair {
            key,
            key_span,
            quoted,
            value,
        });
    }
    Ok((first, pairs))
}

pub(crate) fn parse(kind: CallKind, tokens: TokenStream) -> syn::Result<Call> {
    let (first, pairs) = (|input: ParseStream| parse_raw(kind, input)).parse2(tokens)?;
    let mut errors = Errors::default();
    let mut call = Call {
        first,
        level: None,
        category: None,
        ty: None,
        fields: Vec::new(),
    };
    let mut seen: Vec<String> = Vec::new();
    for pair in pairs {
        if seen.contains(&pair.key) {
            errors.push(pair.key_span, format!("`{}` is given twice", pair.key));
            continue;
        }
        seen.push(pair.key.clone());
        let reserved = !pair.quoted;
        match pair.key.as_str() {
            "level" if reserved => match word(&pair.value) {
                Some(level) => match valid::level(&level) {
                    Ok(()) => call.level = Some(level),
                    Err(msg) => errors.push(pair.value.span(), msg),
                },
                None => errors.push(
                    pair.value.span(),
                    format!("`level` is one of: {}", valid::LEVELS.join(", ")),
                ),
            },
            "category" if reserved && kind == CallKind::Breadcrumb => {
                call.category = Some(pair.value)
            }
            "type" if reserved && kind == CallKind::Breadcrumb => call.ty = Some(pair.value),
            key => match valid::tag_key(key) {
                Ok(()) => call.fields.push(Field {
                    sensitive: crate::keys::is_sensitive_name(key),
                    key: pair.key,
                    key_span: pair.key_span,
                    value: pair.value,
                }),
                Err(msg) => errors.push(pair.key_span, msg),
            },
        }
    }
    errors.finish()?;
    Ok(call)
}

fn word(expr: &Expr) -> Option<String> {
    match expr {
        Expr::Path(p) if p.qself.is_none() => p.path.get_ident().map(|i| i.to_string()),
        _ => None,
    }
}
