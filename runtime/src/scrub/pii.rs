//! Personal data in free text, filtered unless `send_default_pii` is on: IP addresses (at
//! least what Relay's `@ip` finds, compressed IPv6 included), e-mail addresses (at least what
//! Relay's `@email` finds), and user names in home-directory paths.

use std::sync::LazyLock;

use super::text::{regex, replace_matches, replace_spans};

/// Which kinds of personal data to look for.
#[derive(Clone, Copy)]
pub(crate) struct Pii {
    /// IP addresses; off in a `User-Agent` header, which describes the client, not where it
    /// is (Relay leaves that header alone).
    pub(crate) ips: bool,
    /// E-mail addresses; off in `user.email`, which the user set on purpose.
    pub(crate) emails: bool,
    /// In a message, the host after credentials taken out of a URL (`https://[Filtered]@host`)
    /// reads as an e-mail address, as Relay's `@email` reads `password@host` there; in data
    /// values the host stays.
    pub(crate) message: bool,
}

impl Pii {
    /// Everything, in a data value or free text.
    pub(crate) const DATA: Pii = Pii {
        ips: true,
        emails: true,
        message: false,
    };
    /// Everything, in a message.
    pub(crate) const MESSAGE: Pii = Pii {
        message: true,
        ..Pii::DATA
    };
    /// All but IP addresses (a `User-Agent` header).
    pub(crate) const NO_IPS: Pii = Pii {
        ips: false,
        ..Pii::DATA
    };
    /// All but e-mail addresses (`user.email`).
    pub(crate) const NO_EMAILS: Pii = Pii {
        emails: false,
        ..Pii::DATA
    };
}

/// Relay's IPv4 octet (`ip!(v4s)` in `relay-pii/src/regexes.rs`): leading zeros allowed.
macro_rules! v4s {
    () => {
        "(?:25[0-5]|2[0-4][0-9]|[01]?[0-9][0-9]?)"
    };
}
macro_rules! v4a {
    () => {
        concat!(v4s!(), r"\.", v4s!(), r"\.", v4s!(), r"\.", v4s!())
    };
}
macro_rules! v6s {
    () => {
        "[0-9a-fA-F]{1,4}"
    };
}

/// Relay's `IPV6_REGEX`, as written there (the address is group 1).
const RELAY_IPV6: &str = concat!(
    r"(?i)(?:[\s]|[[:punct:]]|^)(",
    "(",
    v6s!(),
    ":){7}",
    v6s!(),
    "|",
    "(",
    v6s!(),
    ":){1,7}:|",
    "(",
    v6s!(),
    ":){1,6}::",
    v6s!(),
    "|",
    "(",
    v6s!(),
    ":){1,5}:(:",
    v6s!(),
    "){1,2}|",
    "(",
    v6s!(),
    ":){1,4}:(:",
    v6s!(),
    "){1,3}|",
    "(",
    v6s!(),
    ":){1,3}:(:",
    v6s!(),
    "){1,4}|",
    "(",
    v6s!(),
    ":){1,2}:(:",
    v6s!(),
    "){1,5}|",
    v6s!(),
    ":((:",
    v6s!(),
    "){1,6})|",
    ":((:",
    v6s!(),
    "){1,7}|:)|",
    "fe80:(:",
    v6s!(),
    "){0,4}%[0-9a-zA-Z]{1,}",
    "::(ffff(:0{1,4}){0,1}:){0,1}",
    v4a!(),
    "|",
    "(",
    v6s!(),
    ":){1,4}:",
    v4a!(),
    r")([\s]|[[:punct:]]|$)",
);

/// Personal data in free text; `None` when there is nothing to change.
pub(crate) fn scrub_pii(text: &str, kinds: Pii) -> Option<String> {
    static EMAIL: LazyLock<regex::Regex> = LazyLock::new(|| {
        regex(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
    });
    static HOST_AFTER_CREDENTIALS: LazyLock<regex::Regex> =
        LazyLock::new(|| regex(r"\[Filtered\]@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"));
    static USER_PATH: LazyLock<regex::Regex> = LazyLock::new(|| {
        // Home directories as operating systems spell them (`/Users/` on macOS, `/home/`,
        // `C:\Users\`), case-sensitive: a web route such as `/users/{id}` is not one.
        regex(
            r"(?:\b[A-Za-z]:[\\/]Users[\\/]|/Users/|/home/|\bDocuments and Settings[\\/])([^/\\\r\n\x00\s]+)",
        )
    });
    let mut current: Option<String> = None;
    let bytes = text.as_bytes();
    let has = |b: u8| bytes.contains(&b);
    if kinds.ips {
        if bytes.iter().filter(|b| **b == b'.').count() >= 3 {
            current = ipv4s(text);
        }
        if has(b':') {
            let source = current.as_deref().unwrap_or(text);
            if let Some(out) = ipv6s(source) {
                current = Some(out);
            }
        }
    }
    if kinds.emails && has(b'@') {
        let source = current.as_deref().unwrap_or(text);
        if let Some(out) = replace_matches(source, &EMAIL, 0, |_| true) {
            current = Some(out);
        }
        let source = current.as_deref().unwrap_or(text);
        if kinds.message && source.contains("[Filtered]@") {
            if let Some(out) = replace_matches(source, &HOST_AFTER_CREDENTIALS, 0, |_| true) {
                current = Some(out);
            }
        }
    }
    let mentions_home = || {
        bytes
            .windows(4)
            .any(|w| w == b"sers" || w == b"home" || w == b"ings")
    };
    if (has(b'/') || has(b'\\')) && mentions_home() {
        let source = current.as_deref().unwrap_or(text);
        if let Some(out) = replace_matches(source, &USER_PATH, 1, |_| true) {
            current = Some(out);
        }
    }
    current
}

/// IPv4 addresses, except a version after a product name (`Chrome/103.0.0.0`,
/// `Version/1.2.3.4`): a capitalized word and a slash at the start of a word.
fn ipv4s(text: &str) -> Option<String> {
    static RE: LazyLock<regex::Regex> = LazyLock::new(|| regex(concat!(r"\b", v4a!(), r"\b")));
    let bytes = text.as_bytes();
    let is_version = |start: usize| {
        if start == 0 || bytes[start - 1] != b'/' {
            return false;
        }
        let mut i = start - 1;
        while i > 0
            && (bytes[i - 1].is_ascii_alphanumeric() || matches!(bytes[i - 1], b'_' | b'-' | b'.'))
        {
            i -= 1;
        }
        let product_start = i == 0 || matches!(bytes[i - 1], b' ' | b'\t' | b'(' | b',' | b';');
        product_start && i < start - 1 && bytes[i].is_ascii_uppercase()
    };
    let spans: Vec<(usize, usize)> = RE
        .find_iter(text)
        .filter(|m| !is_version(m.start()))
        .map(|m| (m.start(), m.end()))
        .collect();
    replace_spans(text, &spans)
}

/// IPv6 addresses: what Relay's pattern finds (with at least one hex digit: a lone `::` is
/// punctuation), and what parses as an address, zone included (`fe80::1%eth0`).
fn ipv6s(text: &str) -> Option<String> {
    static RELAY: LazyLock<regex::Regex> = LazyLock::new(|| regex(RELAY_IPV6));
    static PARSED: LazyLock<regex::Regex> = LazyLock::new(|| {
        regex(r"(?:^|[^0-9A-Za-z:])([0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}(?:%[0-9A-Za-z]+)?)")
    });
    if !text.contains("::") && text.bytes().filter(|b| *b == b':').count() < 7 {
        return None;
    }
    let mut spans: Vec<(usize, usize)> = RELAY
        .captures_iter(text)
        .filter_map(|c| c.get(1))
        .filter(|m| m.as_str().bytes().any(|b| b.is_ascii_hexdigit()))
        .map(|m| (m.start(), m.end()))
        .collect();
    spans.extend(
        PARSED
            .captures_iter(text)
            .filter_map(|c| c.get(1))
            .filter(|m| {
                let addr = m.as_str().split('%').next().unwrap_or("");
                m.as_str().matches(':').count() >= 2
                    && m.as_str().bytes().filter(u8::is_ascii_hexdigit).count() >= 2
                    && addr.parse::<std::net::Ipv6Addr>().is_ok()
            })
            .map(|m| (m.start(), m.end())),
    );
    if spans.is_empty() {
        return None;
    }
    spans.sort_unstable();
    let mut merged: Vec<(usize, usize)> = Vec::with_capacity(spans.len());
    for (s, e) in spans {
        match merged.last_mut() {
            Some(last) if s <= last.1 => last.1 = last.1.max(e),
            _ => merged.push((s, e)),
        }
    }
    replace_spans(text, &merged)
}
