//! Parsing and checking the input of the capture and breadcrumb macros: a first expression,
//! then `key = value` pairs, some of which are the macro's options (`level`, `crate`, and for
//! breadcrumbs `category` and `type`) when written unquoted.

use proc_macro2::{Span, TokenStream};
use syn::parse::{ParseStream, Parser};
use syn::{Expr, Token};

use super::CallKind;
use crate::internals::key::Key;
use crate::internals::{rules, valid, Errors, Krate, Level, Once, Repeat};

/// A `key = value` pair after the first argument that is not an option.
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
    /// The first argument is a template with placeholders (messages and breadcrumbs).
    pub(crate) template: Option<(syn::LitStr, super::template::Template)>,
    pub(crate) level: Option<Level>,
    pub(crate) fingerprint: Option<Vec<String>>,
    pub(crate) category: Option<Expr>,
    pub(crate) ty: Option<Expr>,
    pub(crate) fields: Vec<Field>,
    pub(crate) krate: Krate,
}

/// What a `key = value` pair is to the macro.
enum Role {
    Crate,
    Level,
    /// Events only.
    Fingerprint,
    /// Breadcrumbs only.
    Category,
    /// Breadcrumbs only.
    Type,
    /// Anything else, and every quoted key: a tag or extra (data for a breadcrumb).
    Field,
}

impl Role {
    fn of(kind: CallKind, key: &Key) -> Role {
        let breadcrumb = kind == CallKind::Breadcrumb;
        match key.name.as_str() {
            _ if key.quoted => Role::Field,
            "crate" => Role::Crate,
            "level" => Role::Level,
            "fingerprint" if !breadcrumb => Role::Fingerprint,
            "category" if breadcrumb => Role::Category,
            "type" if breadcrumb => Role::Type,
            _ => Role::Field,
        }
    }
}

/// The input as written: the first expression and every pair.
fn parse_syntax(kind: CallKind, input: ParseStream) -> syn::Result<(Expr, Vec<(Key, Expr)>)> {
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
        let key: Key = input.parse().map_err(|e| {
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
                key.span,
                format!("`{}` needs a value: `{} = value`", key.name, key.name),
            ));
        }
        input.parse::<Token![=]>()?;
        let value: Expr = input.parse()?;
        pairs.push((key, value));
    }
    Ok((first, pairs))
}

pub(crate) fn parse(kind: CallKind, tokens: TokenStream) -> syn::Result<Call> {
    let (first, pairs) = (|input: ParseStream| parse_syntax(kind, input)).parse2(tokens)?;
    let mut errors = Errors::new();
    let template = match &first {
        Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Str(lit),
            ..
        }) if kind != CallKind::Exception && lit.value().contains('{') => {
            match super::template::parse(lit) {
                Ok(template) => template.map(|t| (lit.clone(), t)),
                Err(e) => {
                    errors.add(e);
                    None
                }
            }
        }
        _ => None,
    };
    let mut call = Call {
        first,
        template,
        level: None,
        fingerprint: None,
        category: None,
        ty: None,
        fields: Vec::new(),
        krate: Krate::default(),
    };
    // Options and fields apart: `crate = "vig"` and `"crate" = 1` are not a duplicate.
    let mut options = Once::new(Repeat::Field);
    let mut fields = Once::new(Repeat::Field);
    for (key, value) in pairs {
        let role = Role::of(kind, &key);
        let once = match role {
            Role::Field => &mut fields,
            _ => &mut options,
        };
        if !once.first(&mut errors, &key.name, key.span) {
            continue;
        }
        match role {
            Role::Crate => {
                if let Some(krate) = Krate::from_value(&mut errors, &value) {
                    call.krate = krate;
                }
            }
            Role::Level => match Level::parse(&value) {
                Ok(level) => call.level = Some(level),
                Err(e) => errors.add(e),
            },
            Role::Fingerprint => call.fingerprint = valid::fingerprint(&mut errors, &value),
            Role::Category => call.category = Some(value),
            Role::Type => call.ty = Some(value),
            Role::Field => match valid::tag_key(&key.name) {
                Ok(()) => call.fields.push(Field {
                    sensitive: rules::is_sensitive_name(&key.name),
                    key: key.name,
                    key_span: key.span,
                    value,
                }),
                Err(msg) => errors.push(key.span, msg),
            },
        }
    }
    errors.finish()?;
    Ok(call)
}
