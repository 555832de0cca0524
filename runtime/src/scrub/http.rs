//! The structured strings of HTTP: query strings and form bodies (decoded before the value
//! rules run, so a percent- or plus-encoded secret is found, and re-encoded where something
//! was filtered, so the rest stays a valid query string), cookie strings (each cookie by its
//! name, as Relay does), and URLs (credentials out, the query as a query string, the host
//! kept: it is the server's address, not the user's).

use std::borrow::Cow;
use std::fmt::Write as _;

use sentry::protocol::Url;

use super::limits::{truncate, MAX_STRING};
use super::text::mentions_credentials;
use super::{rules, Scrubber, FILTERED};

/// Keys whose value is a query string (span and breadcrumb data of Sentry's conventions).
const QUERY_KEYS: &[&str] = &[
    "http.query",
    "url.query",
    "http.fragment",
    "url.fragment",
    "query_string",
];

/// Keys whose value is a URL (span and breadcrumb data of Sentry's conventions).
const URL_KEYS: &[&str] = &["url", "http.url", "url.full", "http.target"];

/// Is the value under `key` a query string?
pub(crate) fn is_query_key(key: &str) -> bool {
    QUERY_KEYS.iter().any(|k| key.eq_ignore_ascii_case(k))
}

/// Is the value under `key` a URL?
pub(crate) fn is_url_key(key: &str) -> bool {
    URL_KEYS.iter().any(|k| key.eq_ignore_ascii_case(k))
}

/// Does `b` stand for itself in a form-encoded string?
fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~' | b'*')
}

/// Decodes `%XX` escapes (and `+` as a space when `plus`); an invalid escape stays as it is,
/// bytes that are not UTF-8 become U+FFFD.
pub(crate) fn decode(text: &str, plus: bool) -> Cow<'_, str> {
    let escaped = text.contains('%') || (plus && text.contains('+'));
    if !escaped {
        return Cow::Borrowed(text);
    }
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| char::from(b).to_digit(16);
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push((h * 16 + l) as u8);
                    i += 3;
                    continue;
                }
                _ => out.push(b'%'),
            },
            b'+' if plus => out.push(b' '),
            b => out.push(b),
        }
        i += 1;
    }
    Cow::Owned(String::from_utf8_lossy(&out).into_owned())
}

/// Encodes as a form does (`+` for a space when `plus`, `%XX` for the rest), leaving each
/// `[Filtered]` as it is so the reader sees what went.
fn encode(text: &str, plus: bool) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 4);
    let mut rest = text;
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix(FILTERED) {
            out.push_str(FILTERED);
            rest = after;
            continue;
        }
        let b = rest.as_bytes()[0];
        if is_unreserved(b) {
            out.push(char::from(b));
        } else if b == b' ' && plus {
            out.push('+');
        } else {
            let _ = write!(out, "%{b:02X}");
        }
        rest = &rest[1..];
        // Keep to character boundaries: the bytes of a multi-byte character are escaped one
        // by one above, and `rest` moves one byte at a time over them.
        while !rest.is_char_boundary(0) {
            let b = rest.as_bytes()[0];
            let _ = write!(out, "%{b:02X}");
            rest = &rest[1..];
        }
    }
    out
}

impl Scrubber {
    /// A query string or form body, `key=value` pairs joined by `&`: a pair with a sensitive
    /// key loses its value; every other value is decoded, scrubbed as a data value, and
    /// re-encoded if that changed it. A part without `=` is scrubbed as text.
    pub(crate) fn query(&self, query: &str) -> Option<String> {
        let mut out = String::with_capacity(query.len());
        let mut changed = false;
        for (i, part) in query.split('&').enumerate() {
            if i > 0 {
                out.push('&');
            }
            let Some((raw_key, raw_value)) = part.split_once('=') else {
                let mut text = decode(part, true).into_owned();
                if self.text_changed(&mut text) {
                    out.push_str(&encode(&text, true));
                    changed = true;
                } else {
                    out.push_str(part);
                }
                continue;
            };
            out.push_str(raw_key);
            out.push('=');
            if raw_value.is_empty() || raw_value == FILTERED {
                out.push_str(raw_value);
            } else if self.key_is_sensitive(&decode(raw_key, true)) {
                out.push_str(FILTERED);
                changed = true;
            } else {
                let mut value = decode(raw_value, true).into_owned();
                if self.data_text_changed(&mut value) {
                    out.push_str(&encode(&value, true));
                    changed = true;
                } else {
                    out.push_str(raw_value);
                }
            }
        }
        changed.then_some(out)
    }

    /// Is the cookie called `name` sensitive: one of the session and CSRF cookies Relay knows,
    /// or a sensitive key?
    fn cookie_is_sensitive(&self, name: &str) -> bool {
        let name = name.trim();
        !self.key_is_allowed(name)
            && (rules::is_sensitive_cookie(name) || self.key_is_sensitive(name))
    }

    /// A cookie string (`a=1; b=2`, a `Set-Cookie` line): each sensitive cookie loses its
    /// value, every other value is scrubbed as a data value (percent-decoded first); with
    /// `scrub_all_cookies`, the whole string goes.
    pub(crate) fn cookies(&self, cookies: &str) -> Option<String> {
        if cookies.is_empty() || cookies == FILTERED {
            return None;
        }
        if self.all_cookies {
            return Some(FILTERED.to_owned());
        }
        let mut out = String::with_capacity(cookies.len());
        let mut changed = false;
        for (i, part) in cookies.split(';').enumerate() {
            if i > 0 {
                out.push(';');
            }
            let Some((name, raw_value)) = part.split_once('=') else {
                out.push_str(part);
                continue;
            };
            out.push_str(name);
            out.push('=');
            if raw_value.trim().is_empty() || raw_value == FILTERED {
                out.push_str(raw_value);
            } else if self.cookie_is_sensitive(name) {
                out.push_str(FILTERED);
                changed = true;
            } else {
                let mut value = decode(raw_value, false).into_owned();
                if self.data_text_changed(&mut value) {
                    out.push_str(&encode(&value, false));
                    changed = true;
                } else {
                    out.push_str(raw_value);
                }
            }
        }
        changed.then_some(out)
    }

    /// A data value that is a cookie string (`HTTP_COOKIE`, `http.request.header.cookie`):
    /// Relay's rule for a value that mentions credentials on the whole, then cookie by cookie.
    pub(crate) fn data_cookies(&self, text: &mut String) {
        truncate(text, MAX_STRING);
        if mentions_credentials(text) {
            *text = FILTERED.to_owned();
        } else if let Some(clean) = self.cookies(text) {
            *text = clean;
        }
    }

    /// A data value that is a query string (`http.query`): Relay's rule for a value that
    /// mentions credentials on the whole, then pair by pair.
    pub(crate) fn data_query(&self, text: &mut String) {
        truncate(text, MAX_STRING);
        if mentions_credentials(text) {
            *text = FILTERED.to_owned();
        } else if let Some(clean) = self.query(text) {
            *text = clean;
        }
    }

    /// A data value that is a URL (`url.full`, an HTTP breadcrumb's `url`): Relay's rule on the
    /// whole, then the query and the fragment as query strings and the rest as text.
    pub(crate) fn data_url(&self, text: &mut String) {
        truncate(text, MAX_STRING);
        if mentions_credentials(text) {
            *text = FILTERED.to_owned();
            return;
        }
        let head_end = text.find(['?', '#']).unwrap_or(text.len());
        let mut head = text[..head_end].to_owned();
        let mut changed = self.text_changed(&mut head);
        let mut tail = String::new();
        let mut rest = &text[head_end..];
        while let Some(mark) = rest.chars().next() {
            let end = if mark == '?' {
                rest.find('#').unwrap_or(rest.len())
            } else {
                rest.len()
            };
            let part = &rest[1..end];
            tail.push(mark);
            match self.query(part) {
                Some(clean) => {
                    tail.push_str(&clean);
                    changed = true;
                }
                None => tail.push_str(part),
            }
            rest = &rest[end..];
        }
        if changed {
            head.push_str(&tail);
            *text = head;
        }
    }

    /// A request URL: credentials (`user:password@`) out, the query and the fragment as query
    /// strings, the path as text; the host as it is.
    pub(crate) fn url(&self, url: &mut Url) {
        if !url.username().is_empty() || url.password().is_some() {
            // Both setters only fail for URLs that cannot have credentials.
            let _ = url.set_password(None);
            let _ = url.set_username("");
        }
        if let Some(query) = url.query() {
            if let Some(clean) = self.query(query) {
                url.set_query(Some(&clean));
            }
        }
        if let Some(fragment) = url.fragment() {
            if let Some(clean) = self.query(fragment) {
                url.set_fragment(Some(&clean));
            }
        }
        let mut path = decode(url.path(), false).into_owned();
        if self.text_changed(&mut path) {
            url.set_path(&path);
        }
    }
}
