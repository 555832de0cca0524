//! The runtime scrubber: the second line of defence, run on every outgoing envelope item.
//!
//! Values under sensitive keys, and sensitive-looking values anywhere (bearer credentials,
//! JWTs, passwords in URLs), are replaced by `[Filtered]` before anything leaves the process.

use serde_json::{Map, Value};

/// What replaces a secret.
pub const FILTERED: &str = "[Filtered]";

/// Deeper values than this are replaced whole: nothing is sent that was not looked at.
const MAX_DEPTH: usize = 128;

/// Key fragments that make a key sensitive (compared lowercase, with `-` and `_` removed).
pub(crate) const SENSITIVE_KEY_PARTS: &[&str] = &[
    "password",
    "passwd",
    "pwd",
    "secret",
    "token",
    "apikey",
    "accesskey",
    "privatekey",
    "auth",
    "credential",
    "cookie",
    "session",
    "csrf",
    "xsrf",
    "jwt",
    "bearer",
    "card",
    "ccnumber",
    "cvv",
    "ssn",
];

/// Keys of Sentry's own protocol that must keep their values even where a fragment matches.
const PROTOCOL_KEYS: &[&str] = &["session_id", "sid"];

/// Is `key` sensitive by name? Case-insensitive substring match, `-`/`_` ignored.
///
/// ```
/// # use vigil_runtime as vigil;
/// assert!(vigil::is_sensitive_key("X-Api-Key"));
/// assert!(vigil::is_sensitive_key("user_password"));
/// assert!(!vigil::is_sensitive_key("user_id"));
/// ```
pub fn is_sensitive_key(key: &str) -> bool {
    let mut normalized = String::with_capacity(key.len());
    normalized.extend(
        key.chars()
            .filter(|c| *c != '-' && *c != '_')
            .map(|c| c.to_ascii_lowercase()),
    );
    SENSITIVE_KEY_PARTS
        .iter()
        .any(|part| normalized.contains(part))
}

/// The scrubber, with the user's extra keys.
#[derive(Clone, Debug, Default)]
pub(crate) struct Scrubber {
    extra_keys: Vec<String>,
}

impl Scrubber {
    fn key_is_sensitive(&self, key: &str) -> bool {
        if PROTOCOL_KEYS.contains(&key) {
            return false;
        }
        is_sensitive_key(key)
            || self
                .extra_keys
                .iter()
                .any(|k| key.to_ascii_lowercase().contains(k.as_str()))
    }

    /// Scrubs a JSON value in place.
    pub(crate) fn scrub_value(&self, value: &mut Value) {
        self.walk(value, 0);
    }

    fn walk(&self, value: &mut Value, depth: usize) {
        if depth > MAX_DEPTH {
            *value = Value::String(FILTERED.into());
            return;
        }
        match value {
            Value::String(s) => {
                if let Some(clean) = scrub_text(s) {
                    *s = clean;
                }
            }
            Value::Array(items) => {
                // `[["Authorization", "..."], ...]`: header and cookie pair lists.
                if items.len() == 2 {
                    if let (Some(Value::String(k)), Some(Value::String(_))) =
                        (items.first(), items.get(1))
                    {
                        if self.key_is_sensitive(k) {
                            items[1] = Value::String(FILTERED.into());
                            return;
                        }
                    }
                }
                for item in items {
                    self.walk(item, depth + 1);
                }
            }
            Value::Object(map) => self.walk_map(map, depth),
            Value::Null | Value::Bool(_) | Value::Number(_) => {}
        }
    }

    fn walk_map(&self, map: &mut Map<String, Value>, depth: usize) {
        for (key, value) in map.iter_mut() {
            if self.key_is_sensitive(key) && !matches!(value, Value::Null) {
                *value = Value::String(FILTERED.into());
            } else {
                self.walk(value, depth + 1);
            }
        }
    }
}

/// Scrubs secrets that stand in free text; `None` when there is nothing to change.
pub(crate) fn scrub_text(text: &str) -> Option<String> {
    let lower_hit = text.len() >= 8
        && (text.contains("earer ")
            || text.contains("asic ")
            || text.contains("eyJ")
            || text.contains("://"));
    if !lower_hit {
        return None;
    }
    let mut out = String::with_capacity(text.len());
    let mut changed = false;
    let mut words = text.split_inclusive(char::is_whitespace).peekable();
    while let Some(word) = words.next() {
        let trimmed = word.trim_end();
        let lower = trimmed.to_ascii_lowercase();
        if lower == "bearer" || lower == "basic" {
            out.push_str(word);
            if let Some(secret) = words.next() {
                let tail = &secret[secret.trim_end().len()..];
                out.push_str(FILTERED);
                out.push_str(tail);
                changed = true;
            }
            continue;
        }
        if let Some((start, end)) = jwt_bounds(trimmed) {
            out.push_str(&word[..start]);
            out.push_str(FILTERED);
            out.push_str(&word[end..]);
            changed = true;
            continue;
        }
        if let Some(clean) = scrub_url_password(word) {
            out.push_str(&clean);
            changed = true;
            continue;
        }
        out.push_str(word);
    }
    changed.then_some(out)
}

/// The byte range of a JWT within `word` (punctuation around it excluded).
fn jwt_bounds(word: &str) -> Option<(usize, usize)> {
    let is_token_char = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '=');
    let start = word.find(|c: char| is_token_char(c) && c != '.')?;
    let end = word.rfind(|c: char| is_token_char(c) && c != '.')? + 1;
    if start >= end {
        return None;
    }
    looks_like_jwt(&word[start..end]).then_some((start, end))
}

fn looks_like_jwt(word: &str) -> bool {
    let mut parts = word.split('.');
    let (Some(a), Some(b), Some(c), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return false;
    };
    let b64 = |s: &str| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'=')
    };
    a.starts_with("eyJ") && b64(a) && b64(b) && b64(c) && a.len() + b.len() + c.len() >= 20
}

/// `scheme://user:password@host` → `scheme://user:[Filtered]@host`.
fn scrub_url_password(word: &str) -> Option<String> {
    let scheme_end = word.find("://")?;
    let rest_start = scheme_end + 3;
    let rest = &word[rest_start..];
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..authority_end];
    let at = authority.rfind('@')?;
    let userinfo = &authority[..at];
    let colon = userinfo.find(':')?;
    if colon + 1 == userinfo.len() {
        return None;
    }
    let mut out = String::with_capacity(word.len());
    out.push_str(&word[..rest_start + colon + 1]);
    out.push_str(FILTERED);
    out.push_str(&word[rest_start + at..]);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn sensitive_keys() {
        for key in [
            "password",
            "Password",
            "user_password",
            "passwd",
            "X-Api-Key",
            "api_key",
            "apiKey",
            "Authorization",
            "Cookie",
            "set-cookie",
            "sessionid",
            "csrf_token",
            "access_token",
            "client_secret",
            "credit_card",
            "cvv",
        ] {
            assert!(is_sensitive_key(key), "{key}");
        }
        for key in ["user_id", "amount", "operation", "name", "email"] {
            assert!(!is_sensitive_key(key), "{key}");
        }
    }

    #[test]
    fn scrubs_values_under_sensitive_keys_at_any_depth() {
        let s = Scrubber::default();
        let mut v = json!({
            "user_id": 7,
            "nested": {"password": "hunter2", "list": [{"token": "abc"}, "plain"]},
            "headers": [["Authorization", "Basic Zm9vOmJhcg=="], ["Accept", "*/*"]],
        });
        s.scrub_value(&mut v);
        assert_eq!(
            v,
            json!({
                "user_id": 7,
                "nested": {"password": "[Filtered]", "list": [{"token": "[Filtered]"}, "plain"]},
                "headers": [["Authorization", "[Filtered]"], ["Accept", "*/*"]],
            })
        );
    }

    #[test]
    fn scrubs_secrets_in_free_text() {
        assert_eq!(
            scrub_text("sent Authorization: Bearer abc.def.ghi to upstream").as_deref(),
            Some("sent Authorization: Bearer [Filtered] to upstream")
        );
        assert_eq!(
            scrub_text("connect postgres://app:s3cret@db:5432/main failed").as_deref(),
            Some("connect postgres://app:[Filtered]@db:5432/main failed")
        );
        let jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U";
        assert_eq!(
            scrub_text(&format!("token {jwt}, rejected")).as_deref(),
            Some("token [Filtered], rejected")
        );
        assert_eq!(scrub_text("nothing to see here, move along"), None);
        assert_eq!(scrub_text("see https://example.com/docs"), None);
    }

    #[test]
    fn deep_values_are_cut_not_overflowed() {
        let mut v = json!("leaf");
        for _ in 0..1000 {
            v = json!([v]);
        }
        Scrubber::default().scrub_value(&mut v);
        let mut depth = 0;
        let mut cur = &v;
        while let Value::Array(a) = cur {
            cur = &a[0];
            depth += 1;
        }
        assert!(depth <= MAX_DEPTH + 1);
        assert_eq!(cur, &json!(FILTERED));
    }

    #[test]
    fn scrubbing_is_idempotent() {
        let s = Scrubber::default();
        let mut v = json!({"msg": "Bearer abc", "password": "x", "url": "https://u:p@h/x"});
        s.scrub_value(&mut v);
        let once = v.clone();
        s.scrub_value(&mut v);
        assert_eq!(v, once);
    }
}
