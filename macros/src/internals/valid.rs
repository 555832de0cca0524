//! The checks of option values against Sentry's rules: operations, names, sample rates, tag
//! keys and tag values. Each returns the message to report at the offending token.
//!
//! Tag rules come from [`rules`](super::rules), the file the runtime's scrubber compiles too.

use super::rules::{self, TagKeyProblem, TagValueProblem};

/// Sentry tag keys: 1 to 32 characters of `[A-Za-z0-9_.:-]`.
pub(crate) fn tag_key(key: &str) -> Result<(), String> {
    match rules::tag_key_problem(key) {
        None => Ok(()),
        Some(TagKeyProblem::Empty) => Err("a tag key cannot be empty".into()),
        Some(TagKeyProblem::TooLong(len)) => Err(format!(
            "tag key `{key}` is {len} characters long; Sentry allows at most {}",
            rules::MAX_TAG_KEY
        )),
        Some(TagKeyProblem::BadChar(bad)) => Err(format!(
            "tag key `{key}` contains `{bad}`; Sentry tag keys use only letters, digits, `_`, `.`, `:` and `-`"
        )),
    }
}

/// Sentry tag values: at most 200 characters, no line breaks.
pub(crate) fn tag_value(value: &str) -> Result<(), String> {
    match rules::tag_value_problem(value) {
        None => Ok(()),
        Some(TagValueProblem::TooLong) => Err(format!(
            "a tag value is at most {} characters",
            rules::MAX_TAG_VALUE
        )),
        Some(TagValueProblem::LineBreak) => Err("a tag value cannot contain a line break".into()),
    }
}

/// Feature flag names (`flag!`): 1 to 100 characters of `[A-Za-z0-9_.:-]`.
pub(crate) fn flag_name(name: &str) -> Result<(), String> {
    match rules::flag_name_problem(name) {
        None => Ok(()),
        Some(TagKeyProblem::Empty) => Err("a flag name cannot be empty".into()),
        Some(TagKeyProblem::TooLong(len)) => Err(format!(
            "this flag name is {len} characters long; Sentry keeps at most {} of a flag name",
            rules::MAX_FLAG_NAME
        )),
        Some(TagKeyProblem::BadChar(bad)) => Err(format!(
            "flag name `{name}` contains `{}`; a flag name is also a key in Sentry (`flag.evaluation.<name>` on spans): use only letters, digits, `_`, `.`, `:` and `-`",
            bad.escape_debug()
        )),
    }
}

/// Sentry operations: lowercase words joined by dots, such as `db.query` or `http.client`.
pub(crate) fn op(op: &str) -> Result<(), String> {
    let word_ok = |w: &str| {
        let mut chars = w.chars();
        matches!(chars.next(), Some(c) if c.is_ascii_lowercase())
            && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
    };
    if !op.is_empty() && op.len() <= 64 && op.split('.').all(word_ok) {
        Ok(())
    } else {
        Err(format!(
            "`{op}` is not a Sentry operation: use lowercase words joined by dots, such as `db.query`, `http.client` or `task`"
        ))
    }
}

/// Span and transaction names: not empty, at most 200 characters, one line.
pub(crate) fn name(name: &str) -> Result<(), String> {
    if name.trim().is_empty() {
        return Err("the name cannot be empty".into());
    }
    if name.chars().count() > 200 {
        return Err("a name is at most 200 characters".into());
    }
    if name.contains(['\n', '\r']) {
        return Err("a name cannot contain a line break".into());
    }
    Ok(())
}

/// Sample rates: a number in `[0, 1]`.
pub(crate) fn sample_rate(rate: f64) -> Result<(), String> {
    if (0.0..=1.0).contains(&rate) {
        Ok(())
    } else {
        Err(format!(
            "sample rate {rate} is out of range: use a number from 0.0 (never) to 1.0 (always)"
        ))
    }
}

/// `#[sensitive(partial = n)]`: at least one trailing character, at most
/// [`rules::MAX_PARTIAL`].
pub(crate) fn partial(n: u64) -> Result<usize, String> {
    match usize::try_from(n) {
        Ok(0) => Err(
            "`partial` keeps at least one character: use `#[sensitive]` to hide all of it".into(),
        ),
        Ok(n) if n <= rules::MAX_PARTIAL => Ok(n),
        _ => Err(partial_too_many()),
    }
}

/// The message for a `partial` above [`rules::MAX_PARTIAL`] (or past `u64`).
pub(crate) fn partial_too_many() -> String {
    format!(
        "`partial` keeps at most {} trailing characters; for a custom mask use `with = path::to_fn`, a `fn(&T) -> String`",
        rules::MAX_PARTIAL
    )
}

/// `fingerprint = ["{{ default }}", "payments"]`: Sentry's grouping fingerprint, string
/// literals (`{{ default }}` stands for Sentry's own grouping). Problems go to `errors`.
pub(crate) fn fingerprint(errors: &mut super::Errors, expr: &syn::Expr) -> Option<Vec<String>> {
    use syn::spanned::Spanned;
    const EXAMPLE: &str = "`fingerprint = [\"{{ default }}\", \"payments\"]`";
    let syn::Expr::Array(array) = expr else {
        errors.push(
            expr.span(),
            format!("`fingerprint` takes a list of string literals, as in {EXAMPLE}"),
        );
        return None;
    };
    if array.elems.is_empty() {
        errors.push(
            array.span(),
            format!("`fingerprint = []` groups nothing: list at least one string, as in {EXAMPLE}, or remove it"),
        );
        return None;
    }
    let mut parts = Vec::new();
    for elem in &array.elems {
        match elem {
            syn::Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Str(lit),
                ..
            }) if !lit.value().trim().is_empty() => parts.push(lit.value()),
            syn::Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Str(lit),
                ..
            }) => errors.push(lit.span(), "a fingerprint entry cannot be empty"),
            other => errors.push(
                other.span(),
                format!("a fingerprint entry is a string literal, as in {EXAMPLE}"),
            ),
        }
    }
    (parts.len() == array.elems.len()).then_some(parts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ops() {
        for good in [
            "function",
            "db.query",
            "http.client",
            "db.sql.query",
            "cache.get_item",
            "task2",
        ] {
            assert!(op(good).is_ok(), "{good}");
        }
        for bad in [
            "",
            "DB.query",
            "db..query",
            ".db",
            "db.",
            "http client",
            "db-query",
            "1db",
        ] {
            assert!(op(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn tag_keys() {
        assert!(tag_key("user_id").is_ok());
        assert!(tag_key("http.method:x-y").is_ok());
        assert!(tag_key(&"k".repeat(32)).is_ok());
        assert_eq!(
            tag_key(&"k".repeat(33)).unwrap_err(),
            format!(
                "tag key `{}` is 33 characters long; Sentry allows at most 32",
                "k".repeat(33)
            )
        );
        assert_eq!(
            tag_key("user id").unwrap_err(),
            "tag key `user id` contains ` `; Sentry tag keys use only letters, digits, `_`, `.`, `:` and `-`"
        );
        assert_eq!(tag_key("").unwrap_err(), "a tag key cannot be empty");
        assert!(tag_key("ключ").is_err());
    }

    #[test]
    fn flag_names() {
        for good in [
            "new_checkout",
            "checkout.v2",
            "team:billing-beta",
            &"f".repeat(100),
        ] {
            assert!(flag_name(good).is_ok(), "{good}");
        }
        assert_eq!(flag_name("").unwrap_err(), "a flag name cannot be empty");
        assert!(flag_name(&"f".repeat(101))
            .unwrap_err()
            .starts_with("this flag name is 101 characters long"));
        assert!(flag_name("new checkout")
            .unwrap_err()
            .contains("contains ` `"));
        assert!(flag_name("a\nb").unwrap_err().contains("contains `\\n`"));
    }

    #[test]
    fn tag_values() {
        assert!(tag_value("billing").is_ok());
        assert!(tag_value(&"v".repeat(200)).is_ok());
        assert_eq!(
            tag_value(&"v".repeat(201)).unwrap_err(),
            "a tag value is at most 200 characters"
        );
        assert_eq!(
            tag_value("a\nb").unwrap_err(),
            "a tag value cannot contain a line break"
        );
    }

    #[test]
    fn names_and_rates() {
        assert!(name("load_user").is_ok());
        assert!(name(" ").is_err() && name("a\nb").is_err() && name(&"n".repeat(201)).is_err());
        assert!(sample_rate(0.0).is_ok() && sample_rate(1.0).is_ok() && sample_rate(0.5).is_ok());
        assert!(sample_rate(1.01).is_err() && sample_rate(-0.1).is_err());
    }

    #[test]
    fn partial_bounds() {
        assert_eq!(partial(1), Ok(1));
        assert_eq!(partial(64), Ok(64));
        assert!(partial(0).is_err());
        assert_eq!(partial(65), Err(partial_too_many()));
        assert_eq!(partial(u64::MAX), Err(partial_too_many()));
    }
}
