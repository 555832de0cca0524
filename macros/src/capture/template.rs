//! Message templates: `capture_message!("order {order_id} failed", order_id = 12)`.
//!
//! A string literal with `{name}` placeholders is a template. Each placeholder takes the
//! value of the `key = value` pair of that name, or else the variable of that name in scope
//! (as `format!` does). The event carries the template (`order %s failed`) and its
//! parameters as `logentry`, so Sentry groups every order's failure as one issue, and the
//! formatted text as its message. A placeholder whose name says secret is `[Filtered]`, its
//! value never formatted.

use proc_macro2::Span;
use syn::LitStr;

use crate::internals::rules;

/// One `{name}` or `{name:spec}` of a template.
pub(crate) struct Placeholder {
    pub(crate) name: String,
    /// The format spec after `:` (empty for `{name}`), as `format!` reads it.
    pub(crate) spec: String,
    /// The name says secret: shown as `[Filtered]`.
    pub(crate) sensitive: bool,
}

/// A parsed template.
pub(crate) struct Template {
    /// The template with each placeholder as `%s` (Sentry's `logentry.message`).
    pub(crate) logentry: String,
    pub(crate) placeholders: Vec<Placeholder>,
}

/// Parses the template in `lit`; `Ok(None)` when it has no placeholder.
pub(crate) fn parse(lit: &LitStr) -> syn::Result<Option<Template>> {
    let text = lit.value();
    let mut logentry = String::new();
    let mut placeholders = Vec::new();
    let mut chars = text.chars().peekable();
    let fail = |msg: String| syn::Error::new(lit.span(), msg);
    while let Some(c) = chars.next() {
        match c {
            '{' if chars.peek() == Some(&'{') => {
                chars.next();
                logentry.push('{');
            }
            '}' if chars.peek() == Some(&'}') => {
                chars.next();
                logentry.push('}');
            }
            '{' => {
                let mut inner = String::new();
                loop {
                    match chars.next() {
                        Some('}') => break,
                        Some(c) => inner.push(c),
                        None => {
                            return Err(fail(format!("unclosed `{{` in the template `{text}`")))
                        }
                    }
                }
                let (name, spec) = inner.split_once(':').unwrap_or((&inner, ""));
                let name = name.trim();
                let is_ident = name
                    .chars()
                    .next()
                    .is_some_and(|c| c.is_alphabetic() || c == '_')
                    && name.chars().all(|c| c.is_alphanumeric() || c == '_');
                if !is_ident {
                    return Err(fail(format!(
                        "template placeholders are named, as in `{{order_id}}`, so the value is known by its key: `{{{inner}}}` in `{text}` is not"
                    )));
                }
                logentry.push_str("%s");
                placeholders.push(Placeholder {
                    sensitive: rules::is_sensitive_name(name),
                    name: name.to_owned(),
                    spec: spec.to_owned(),
                });
            }
            '}' => {
                return Err(fail(format!(
                    "unmatched `}}` in the template `{text}`: write `}}}}` for a brace"
                )))
            }
            '%' => logentry.push_str("%%"),
            c => logentry.push(c),
        }
    }
    Ok((!placeholders.is_empty()).then_some(Template {
        logentry,
        placeholders,
    }))
}

/// The identifier a placeholder's value is taken from when no pair names it.
pub(crate) fn ident(name: &str, span: Span) -> syn::Ident {
    syn::Ident::new(name, span)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(text: &str) -> syn::Result<Option<Template>> {
        parse(&LitStr::new(text, Span::call_site()))
    }

    #[test]
    fn templates() {
        let t = parsed("order {order_id} failed for {user:?} at 100%")
            .unwrap()
            .unwrap();
        assert_eq!(t.logentry, "order %s failed for %s at 100%%");
        let names: Vec<_> = t
            .placeholders
            .iter()
            .map(|p| (p.name.as_str(), p.spec.as_str()))
            .collect();
        assert_eq!(names, [("order_id", ""), ("user", "?")]);
        assert!(parsed("no placeholder {{here}}").unwrap().is_none());
        let secret = parsed("login {password}").unwrap().unwrap();
        assert!(secret.placeholders[0].sensitive);
        assert!(parsed("positional {}").is_err());
        assert!(parsed("positional {0}").is_err());
        assert!(parsed("unclosed {name").is_err());
        assert!(parsed("stray } brace").is_err());
    }
}
