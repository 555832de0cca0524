//! Keys and values the walker treats apart from the general rules: personal-data key
//! fragments, the span data keys that name where code ran, cookie strings, the masks an
//! application made itself, and values that say nothing.

/// Key fragments that name personal data, filtered unless `send_default_pii` is on
/// (sentry-python's PII denylist).
pub(super) const PII_KEY_PARTS: &[&str] = &[
    "forwardedfor",
    "realip",
    "remoteaddr",
    "ipaddress",
    "clientip",
];

/// Span data keys of Sentry's conventions that Relay leaves to explicit rules
/// (`apply_scrubbing: manual` in `relay-conventions`): where the code ran and what it talked
/// to. Their values are file and function names, database and host names: vigil's detectors
/// run on them, but not the rule that filters a value for mentioning credentials
/// (`src/api/authentication.py` is a file name, not a secret).
pub(super) const LOCATION_KEYS: &[&str] = &[
    "code.filepath",
    "code.file.path",
    "code.function",
    "code.function.name",
    "code.namespace",
    "db.system",
    "db.system.name",
    "db.name",
    "db.namespace",
    "db.collection.name",
    "db.operation",
    "db.operation.name",
    "db.stored_procedure.name",
    "server.address",
    "thread.name",
];

/// Keys whose value is a whole cookie string, filtered cookie by cookie (a `Cookie` header
/// goes whole, as sentry-python sends it).
const COOKIE_STRING_KEYS: &[&str] = &[
    "http.request.header.cookie",
    "http.response.header.set-cookie",
    "http_cookie",
];

/// A mask the application made of a secret, as `#[sensitive(partial = 4)]` does
/// (`************1111`) or a `#[sensitive(with = f)]` function that hides most of a value
/// with `*` (`**** **** **** 1111`): at least half its characters are `*` (at least three,
/// unless it is nothing but `*`), and at most [`super::rules::MAX_PARTIAL`] are not. Under a
/// sensitive key it is kept as the application wrote it.
pub(super) fn is_user_mask(text: &str) -> bool {
    let stars = text.chars().filter(|c| *c == '*').count();
    let others = text.chars().count() - stars;
    stars > 0
        && stars >= others
        && others <= super::rules::MAX_PARTIAL
        && (stars >= 3 || others == 0)
}

/// Strings Relay never scrubs: they say nothing (`"null"` under `password`).
pub(super) fn says_nothing(text: &str) -> bool {
    matches!(text, "" | "true" | "false" | "null" | "undefined")
}

pub(super) fn is_cookie_string_key(key: &str) -> bool {
    COOKIE_STRING_KEYS
        .iter()
        .any(|k| key.eq_ignore_ascii_case(k))
}
