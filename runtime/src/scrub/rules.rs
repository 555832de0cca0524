//! Sentry's rules that both vigil crates apply: which names say "secret" (keys, parameter
//! names, cookie names), and what a tag key, a tag value and a feature flag name may be.
//!
//! One file, compiled by both crates (`vigil-macros` reaches it through a symlink, as
//! `serde_derive_internals` shares serde_derive's `internals`), so the compile-time checks of
//! the macros and the run-time scrubber cannot drift apart. It depends on nothing but `core`
//! and `alloc`, and everything in it is `pub(crate)`.
#![allow(dead_code)] // each crate uses its own part

/// Relay's default key rule (`@password` in `relay-pii/src/regexes.rs`: `PASSWORD_KEY_REGEX`
/// and `TOKEN_KEY_REGEX`), the floor: a key containing one of these, case-insensitively and
/// as written, is sensitive.
pub(crate) const RELAY_KEY_PARTS: &[&str] = &[
    "password",
    "secret",
    "passwd",
    "api-key",
    "api_key",
    "apikey",
    "auth",
    "credentials",
    "mysql_pwd",
    "privatekey",
    "private-key",
    "private_key",
    "token",
];

/// Relay's default key rule: keys sensitive as a whole (`^otp$`, `^two[-_]factor$`).
pub(crate) const RELAY_KEYS: &[&str] = &["otp", "two-factor", "two_factor"];

/// vigil's additions that are sensitive wherever they stand in a key, compared on the key
/// lowercased with everything but letters and digits removed (`csrftoken`, `PHPSESSID`,
/// `x-xsrf-token`, `credit_card_number`): sentry-python's denylist, the session and card
/// names of web frameworks and payment forms.
pub(crate) const KEY_FRAGMENTS: &[&str] = &[
    "passphrase",
    "credential",
    "cookie",
    "csrf",
    "xsrf",
    "jwt",
    "bearer",
    "sessionid",
    "sessid",
    "symfony",
    "creditcard",
    "ccnumber",
    "cardnumber",
    "cvv",
    "accesskey",
    "twofactorcode",
    "twofactorsecret",
];

/// vigil's additions that are too short to be looked for inside words (`sid` is in
/// `inside`, `sso` in `processor`, `ssn` in `classname`, `key` in `keyboard`): sensitive when
/// they are a word of the key (`connect.sid`, `sso_ticket`, `SAMLResponse`, `user_ssn`,
/// `otp_code`, `db_pwd`, `signing.key`, `cache_key`).
pub(crate) const KEY_WORDS: &[&str] = &["sid", "sso", "saml", "ssn", "otp", "pwd", "cvc", "key"];

/// Nouns that name a secret when they are what the key is about, its last word or followed
/// by one of [`QUALIFIERS`]: `session`, `user_session`, `session_id` but not
/// `session_duration`; `card`, `credit_card`, `card_number` but not `card_type`.
pub(crate) const KEY_HEADS: &[&str] = &["session", "card", "identity"];

/// Words that, after a [`KEY_HEADS`] noun, still name the secret itself.
pub(crate) const QUALIFIERS: &[&str] = &[
    "id", "key", "token", "secret", "cookie", "number", "num", "no", "nr", "code", "pin",
];

/// The session and CSRF cookie names of web frameworks that Relay filters by name
/// (`SENSITIVE_COOKIE_NAMES` in `relay-pii/src/regexes.rs`), optionally followed by `__<n>`
/// (a cookie split in chunks).
pub(crate) const SENSITIVE_COOKIE_NAMES: &[&str] = &[
    "sentrysid",
    "sudo",
    "su",
    "session",
    "__session",
    "sessionid",
    "user_session",
    "symfony",
    "phpsessid",
    "fasthttpsessionid",
    "mysession",
    "irissessionid",
    "_vercel_jwt",
    "csrf",
    "xsrf",
    "_xsrf",
    "_csrf",
    "csrf-token",
    "csrf_token",
    "xsrf-token",
    "xsrf_token",
    "fastcsrf",
    "_iris_csrf",
];

/// A key as user additions and exemptions are compared: lowercase, without `-`, `_`, `.`,
/// spaces and a raw identifier's `r#`.
pub(crate) fn normalize(key: &str) -> String {
    key.trim_start_matches("r#")
        .chars()
        .filter(|c| !matches!(c, '-' | '_' | '.' | ' '))
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// Does `haystack` contain `needle` (ASCII, case-insensitive)?
fn contains_ignore_case(haystack: &str, needle: &str) -> bool {
    haystack
        .as_bytes()
        .windows(needle.len())
        .any(|w| w.eq_ignore_ascii_case(needle.as_bytes()))
}

/// Does Relay's default key rule call `key` sensitive?
pub(crate) fn is_relay_sensitive_name(key: &str) -> bool {
    RELAY_KEYS.iter().any(|k| key.eq_ignore_ascii_case(k))
        || RELAY_KEY_PARTS
            .iter()
            .any(|part| contains_ignore_case(key, part))
}

/// The words of a key: split at ASCII characters other than letters and digits, and at
/// camelCase humps (`sessionStats` is `session` `Stats`, `SAMLResponse` is `SAML`
/// `Response`). Other characters belong to words, so every split is at a character boundary.
fn words(key: &str) -> impl Iterator<Item = &str> {
    let bytes = key.as_bytes();
    let mut start = 0;
    let mut i = 0;
    std::iter::from_fn(move || {
        while i < bytes.len() {
            let b = bytes[i];
            if b.is_ascii() && !b.is_ascii_alphanumeric() {
                let word = &key[start..i];
                i += 1;
                start = i;
                if !word.is_empty() {
                    return Some(word);
                }
                continue;
            }
            let hump = i > start
                && b.is_ascii_uppercase()
                && (bytes[i - 1].is_ascii_lowercase()
                    || (bytes[i - 1].is_ascii_uppercase()
                        && bytes.get(i + 1).is_some_and(u8::is_ascii_lowercase)));
            if hump {
                let word = &key[start..i];
                start = i;
                i += 1;
                return Some(word);
            }
            i += 1;
        }
        let word = &key[start..];
        start = bytes.len();
        (!word.is_empty()).then_some(word)
    })
}

fn is_one_of(word: &str, list: &[&str]) -> bool {
    list.iter().any(|w| word.eq_ignore_ascii_case(w))
}

/// Do vigil's additions (fragments, words, heads) call `key` sensitive?
fn is_vigil_sensitive_name(key: &str) -> bool {
    let mut pending_head = false;
    for word in words(key) {
        if is_one_of(word, KEY_WORDS) || (pending_head && is_one_of(word, QUALIFIERS)) {
            return true;
        }
        pending_head = is_one_of(word, KEY_HEADS);
    }
    if pending_head {
        return true;
    }
    let squeezed: String = key
        .bytes()
        .filter(u8::is_ascii_alphanumeric)
        .map(|b| char::from(b.to_ascii_lowercase()))
        .collect();
    KEY_FRAGMENTS.iter().any(|f| squeezed.contains(f))
}

/// Is `name` a sensitive cookie: one of [`SENSITIVE_COOKIE_NAMES`] (optionally with a
/// `__<n>` chunk suffix), or a sensitive key?
pub(crate) fn is_sensitive_cookie(name: &str) -> bool {
    let name = name.trim();
    let base = match name.rfind("__") {
        Some(at)
            if at > 0
                && name[at + 2..].bytes().all(|b| b.is_ascii_digit())
                && at + 2 < name.len() =>
        {
            &name[..at]
        }
        _ => name,
    };
    is_one_of(base, SENSITIVE_COOKIE_NAMES) || is_sensitive_name(name)
}

/// Does `key` name a secret? Relay's default key rule (substrings such as `password`,
/// `secret`, `auth`, `token`, `api_key`), then vigil's additions: [`KEY_FRAGMENTS`] anywhere,
/// [`KEY_WORDS`] as words, [`KEY_HEADS`] as what the key is about. A key naming one cookie
/// (`http.request.header.cookie.<name>`) is sensitive when that cookie is.
pub(crate) fn is_sensitive_name(key: &str) -> bool {
    let key = key.trim_start_matches("r#");
    if let Some(at) = find_ignore_case(key, "cookie.") {
        let name = &key[at + "cookie.".len()..];
        if !name.is_empty() {
            return is_sensitive_cookie(name);
        }
    }
    is_relay_sensitive_name(key) || is_vigil_sensitive_name(key)
}

/// Where `needle` (ASCII, case-insensitive) last starts in `haystack`.
fn find_ignore_case(haystack: &str, needle: &str) -> Option<usize> {
    haystack
        .as_bytes()
        .windows(needle.len())
        .rposition(|w| w.eq_ignore_ascii_case(needle.as_bytes()))
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

/// Longest feature flag name, in characters: what Sentry's flag audit log keeps of a name
/// (it pairs flag changes with the evaluations events carry).
pub(crate) const MAX_FLAG_NAME: usize = 100;

/// What is wrong with a feature flag name, if anything: 1 to [`MAX_FLAG_NAME`] characters of
/// a tag key's `[A-Za-z0-9_.:-]` (a name is also a key: `flag.evaluation.<name>` on a span,
/// `flags[<name>]` in Sentry's search).
pub(crate) fn flag_name_problem(name: &str) -> Option<TagKeyProblem> {
    if name.is_empty() {
        return Some(TagKeyProblem::Empty);
    }
    let len = name.chars().count();
    if len > MAX_FLAG_NAME {
        return Some(TagKeyProblem::TooLong(len));
    }
    name.chars()
        .find(|c| !is_tag_key_char(*c))
        .map(TagKeyProblem::BadChar)
}

/// Longest number of trailing characters `#[sensitive(partial = N)]` may keep.
pub(crate) const MAX_PARTIAL: usize = 64;
