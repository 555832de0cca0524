//! Names that say "secret", decided at compile time.
//!
//! Kept in step with `vigil_runtime::is_sensitive_key` (same fragments, same matching); the
//! test `sensitive_names_agree` in the facade checks both on the same inputs.

const SENSITIVE_KEY_PARTS: &[&str] = &[
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

/// Case-insensitive substring match with `-` and `_` ignored.
pub(crate) fn is_sensitive_name(name: &str) -> bool {
    let normalized: String = name
        .trim_start_matches("r#")
        .chars()
        .filter(|c| *c != '-' && *c != '_')
        .map(|c| c.to_ascii_lowercase())
        .collect();
    SENSITIVE_KEY_PARTS
        .iter()
        .any(|part| normalized.contains(part))
}
