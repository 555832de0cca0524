//! Sentry's rules that both vigil crates apply: which names say "secret", and what a tag key
//! and a tag value may be.
//!
//! One file, compiled by both crates (`vigil-macros` reaches it through a symlink, as
//! `serde_derive_internals` shares serde_derive's `internals`), so the compile-time checks of
//! the macros and the run-time scrubber cannot drift apart. It depends on nothing but `core`
//! and `alloc`, and everything in it is `pub(crate)`.
#![allow(dead_code)] // each crate uses its own part

/// Key fragments that make a key sensitive (compared lowercase, with `-`, `_`, `.` and spaces
/// removed, as substrings). Sentry's data-collection spec (auth, token, secret, password,
/// passwd, pwd, key, jwt, bearer, sso, saml, csrf, xsrf, credentials, session, sid, identity),
/// sentry-python's denylist (which adds cookie, symfony), and payment data (card, cvv, ssn,
/// ccnumber).
pub(crate) const SENSITIVE_KEY_PARTS: &[&str] = &[
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

/// A key as it is compared: lowercase, without `-`, `_`, `.`, spaces and a raw identifier's
/// `r#`.
pub(crate) fn normalize(key: &str) -> String {
    key.trim_start_matches("r#")
        .chars()
        .filter(|c| !matches!(c, '-' | '_' | '.' | ' '))
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// Does a key, already [`normalize`]d, name a secret?
pub(crate) fn is_sensitive_normalized(normalized: &str) -> bool {
    SENSITIVE_KEY_PARTS
        .iter()
        .any(|part| normalized.contains(part))
}

/// Does `key` name a secret? Case-insensitive substring match, `-`, `_`, `.` and spaces
/// ignored.
pub(crate) fn is_sensitive_name(key: &str) -> bool {
    is_sensitive_normalized(&normalize(key))
}

/// Longest tag key Sentry accepts, in characters.
pub(crate) const MAX_TAG_KEY: usize = 32;

/// Longest tag value Sentry accepts, in characters.
pub(crate) const MAX_TAG_VALUE: usize = 200;

/// May `c` stand in a tag key? (`[A-Za-z0-9_.:-]`)
pub(crate) fn is_tag_key_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | ':' | '-')
}

/// What is wrong with a tag key, if anything: 1 to 32 characters of `[A-Za-z0-9_.:-]`.
pub(crate) fn tag_key_problem(key: &str) -> Option<TagKeyProblem> {
    if key.is_empty() {
        return Some(TagKeyProblem::Empty);
    }
    let len = key.chars().count();
    if len > MAX_TAG_KEY {
        return Some(TagKeyProblem::TooLong(len));
    }
    key.chars()
        .find(|c| !is_tag_key_char(*c))
        .map(TagKeyProblem::BadChar)
}

/// Why a tag key is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TagKeyProblem {
    /// No characters at all.
    Empty,
    /// This many characters: over [`MAX_TAG_KEY`].
    TooLong(usize),
    /// A character outside `[A-Za-z0-9_.:-]`.
    BadChar(char),
}

/// What is wrong with a tag value, if anything: at most 200 characters, no line break.
pub(crate) fn tag_value_problem(value: &str) -> Option<TagValueProblem> {
    if value.chars().count() > MAX_TAG_VALUE {
        Some(TagValueProblem::TooLong)
    } else if value.contains(['\n', '\r']) {
        Some(TagValueProblem::LineBreak)
    } else {
        None
    }
}

/// Why a tag value is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TagValueProblem {
    /// Over [`MAX_TAG_VALUE`] characters.
    TooLong,
    /// A `\n` or `\r`.
    LineBreak,
}

/// Longest number of trailing characters `#[sensitive(partial = N)]` may keep.
pub(crate) const MAX_PARTIAL: usize = 64;
