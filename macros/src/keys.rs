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
    "key",
    "auth",
    "credential",
    "cookie",
    "session",
    "sid",
    "csrf",
    "xsrf",
    "jwt",
    "bearer",
    "sso",
    "saml",
    "identity",
    "symfony",
    "card",
    "ccnumber",
    "cvv",
    "ssn",
];

/// Case-insensitive substring match with `-`, `_`, `.` and spaces ignored.
pub(crate) fn is_sensitive_name(name: &str) -> bool {
    let normalized: String = name
        .trim_start_matches("r#")
        .chars()
        .filter(|c| !matches!(c, '-' | '_' | '.' | ' '))
        .map(|c| c.to_ascii_lowercase())
        .collect();
    SENSITIVE_KEY_PARTS
        .iter()
        .any(|part| normalized.contains(part))
}
