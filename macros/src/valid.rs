//! Checks shared by the attribute and function-like macros. Each returns the message to
//! report at the offending token.

/// Sentry tag keys: 1 to 32 characters of `[A-Za-z0-9_.:-]`.
pub(crate) fn tag_key(key: &str) -> Result<(), String> {
    if key.is_empty() {
        return Err("a tag key cannot be empty".into());
    }
    if key.chars().count() > 32 {
        return Err(format!(
            "tag key `{key}` is {} characters long; Sentry allows at most 32",
            key.chars().count()
        ));
    }
    if let Some(bad) = key
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | ':' | '-')))
    {
        return Err(format!(
            "tag key `{key}` contains `{bad}`; Sentry tag keys use only letters, digits, `_`, `.`, `:` and `-`"
        ));
    }
    Ok(())
}

/// Sentry tag values: at most 200 characters, no line breaks.
pub(crate) fn tag_value(value: &str) -> Result<(), String> {
    if value.chars().count() > 200 {
        return Err("a tag value is at most 200 characters".into());
    }
    if value.contains(['\n', '\r']) {
        return Err("a tag value cannot contain a line break".into());
    }
    Ok(())
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

/// The levels of Sentry events and breadcrumbs.
pub(crate) const LEVELS: &[&str] = &["debug", "info", "warning", "error", "fatal"];

pub(crate) fn level(level: &str) -> Result<(), String> {
    if LEVELS.contains(&level) {
        Ok(())
    } else {
        Err(format!(
            "unknown level `{level}`; expected one of: {}",
            LEVELS.join(", ")
        ))
    }
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
        assert!(tag_key(&"k".repeat(33)).is_err());
        assert!(tag_key("user id").is_err());
        assert!(tag_key("").is_err());
        assert!(tag_key("ключ").is_err());
    }

    #[test]
    fn rates_and_levels() {
        assert!(sample_rate(0.0).is_ok() && sample_rate(1.0).is_ok() && sample_rate(0.5).is_ok());
        assert!(sample_rate(1.01).is_err() && sample_rate(-0.1).is_err());
        assert!(level("warning").is_ok() && level("warn").is_err());
    }
}
