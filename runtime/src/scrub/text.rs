//! Secrets in free text: credentials after an auth scheme, JWTs, card numbers, IBANs, SSNs,
//! the bodies of PEM key blocks, passwords in URLs, `key=value` pairs with a sensitive key; and
//! Relay's rule for data values that mention credentials. Each detector is at least what
//! Relay's rule of the same name (`relay-pii/src/regexes.rs`) finds.

use std::sync::LazyLock;

use super::memo::is_sensitive_name as is_sensitive_key;
use super::FILTERED;

/// Scrubs secrets that stand in free text; `None` when there is nothing to change.
pub(crate) fn scrub_text(text: &str) -> Option<String> {
    if text.len() < 6 {
        return None;
    }
    let mut current: Option<String> = None;
    for pass in [
        pem_keys as fn(&str) -> Option<String>,
        auth_schemes,
        jwts,
        url_passwords,
        key_values,
        card_numbers,
        card_by_network,
        ibans,
        us_ssns,
    ] {
        let source = current.as_deref().unwrap_or(text);
        if let Some(out) = pass(source) {
            current = Some(out);
        }
    }
    current
}

/// Replaces the byte ranges `spans` (sorted, disjoint) of `text` with `[Filtered]`.
pub(super) fn replace_spans(text: &str, spans: &[(usize, usize)]) -> Option<String> {
    if spans.is_empty() {
        return None;
    }
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for &(start, end) in spans {
        out.push_str(&text[last..start]);
        out.push_str(FILTERED);
        last = end;
    }
    out.push_str(&text[last..]);
    (out != text).then_some(out)
}

fn is_token_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'=' | b'+' | b'/' | b'~')
}

/// The end of the token that starts at `start`, with `[Filtered]` counting as one token.
fn token_end(bytes: &[u8], start: usize) -> usize {
    if bytes[start..].starts_with(FILTERED.as_bytes()) {
        return start + FILTERED.len();
    }
    let mut end = start;
    while end < bytes.len() && is_token_byte(bytes[end]) {
        end += 1;
    }
    end
}

/// The body of PEM key blocks, private and public of any type (`-----BEGIN RSA PRIVATE
/// KEY-----`, `-----BEGIN PUBLIC KEY-----`, ...): the BEGIN and END lines stay, as with
/// Relay's `@pemkey`. A block cut before its END line is filtered to the end.
fn pem_keys(text: &str) -> Option<String> {
    if !text.contains("-----BEGIN") {
        return None;
    }
    let bytes = text.as_bytes();
    let mut spans = Vec::new();
    let mut from = 0;
    while let Some(pos) = text[from..].find("-----BEGIN") {
        let start = from + pos;
        let header_end = match text[start + 10..].find("-----") {
            Some(p) => start + 10 + p + 5,
            None => break,
        };
        let label = &text[start + 10..header_end - 5];
        if !(label.contains("PRIVATE KEY") || label.contains("PUBLIC KEY")) {
            from = header_end;
            continue;
        }
        let mut body_start = header_end;
        while body_start < bytes.len() && matches!(bytes[body_start], b' ' | b'\t') {
            body_start += 1;
        }
        if bytes[body_start..].starts_with(b"\r\n") {
            body_start += 2;
        } else if body_start < bytes.len() && bytes[body_start] == b'\n' {
            body_start += 1;
        }
        let (body_end, next) = match text[body_start..].find("-----END") {
            Some(p) => {
                let footer = body_start + p;
                let mut body_end = footer;
                if body_end > body_start && bytes[body_end - 1] == b'\n' {
                    body_end -= 1;
                }
                if body_end > body_start && bytes[body_end - 1] == b'\r' {
                    body_end -= 1;
                }
                let close = text[footer + 8..]
                    .find("-----")
                    .map_or(text.len(), |q| footer + 8 + q + 5);
                (body_end, close)
            }
            None => (text.len(), text.len()),
        };
        if body_end > body_start {
            spans.push((body_start, body_end));
        }
        from = next.max(header_end);
    }
    replace_spans(text, &spans)
}

fn eq_ignore_case_at(bytes: &[u8], at: usize, word: &[u8]) -> bool {
    bytes.len() >= at + word.len() && bytes[at..at + word.len()].eq_ignore_ascii_case(word)
}

/// `Bearer <token>` (whole), and the credential of `Basic <token>`, `Token <token>`,
/// `Digest <...>`.
fn auth_schemes(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut spans = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let at_word_start = i == 0 || !bytes[i - 1].is_ascii_alphanumeric();
        if at_word_start {
            for scheme in [&b"bearer"[..], b"basic", b"token", b"digest"] {
                let after = i + scheme.len();
                if eq_ignore_case_at(bytes, i, scheme)
                    && after < bytes.len()
                    && (bytes[after] == b' '
                        || bytes[after] == b'\t'
                        || (scheme == b"bearer" && bytes[after].is_ascii_whitespace()))
                {
                    let mut start = after;
                    while start < bytes.len() && bytes[start].is_ascii_whitespace() {
                        start += 1;
                    }
                    if scheme == b"bearer" {
                        // `Bearer <token>` goes whole, scheme included, as with Relay's
                        // `@bearer`; the token is everything up to a space or a quote.
                        let mut end = start;
                        while end < bytes.len()
                            && !bytes[end].is_ascii_whitespace()
                            && !matches!(bytes[end], b'"' | b'\'' | b'<' | b'>')
                        {
                            end += 1;
                        }
                        if end > start {
                            spans.push((i, end));
                            i = end;
                        }
                        break;
                    }
                    let end = if scheme == b"digest" {
                        // Digest parameters run to the end of the line.
                        text[start..]
                            .find(['\n', '\r'])
                            .map_or(text.len(), |p| start + p)
                    } else {
                        token_end(bytes, start)
                    };
                    // A short word after "token" or "basic" is prose, not a credential.
                    let long_enough = end - start >= 8;
                    if end > start && long_enough {
                        spans.push((start, end));
                        i = end;
                    }
                    break;
                }
            }
        }
        i += 1;
    }
    replace_spans(text, &spans)
}

/// `eyJ...` `.` `...` `.` `...`: JSON Web Tokens.
fn jwts(text: &str) -> Option<String> {
    if !text.contains("eyJ") {
        return None;
    }
    let bytes = text.as_bytes();
    let is_b64 = |b: u8| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'=';
    let mut spans = Vec::new();
    let mut from = 0;
    while let Some(pos) = text[from..].find("eyJ") {
        let start = from + pos;
        if start > 0 && is_b64(bytes[start - 1]) {
            from = start + 3;
            continue;
        }
        let mut end = start;
        let mut dots = 0;
        while end < bytes.len() && (is_b64(bytes[end]) || bytes[end] == b'.') {
            if bytes[end] == b'.' {
                dots += 1;
            }
            end += 1;
        }
        while end > start && bytes[end - 1] == b'.' {
            end -= 1;
            dots -= 1;
        }
        if dots == 2 && end - start >= 20 && !text[start..end].contains("..") {
            spans.push((start, end));
        }
        from = end.max(start + 3);
    }
    replace_spans(text, &spans)
}

/// `scheme://user:password@host` and `//user:password@host` → `scheme://[Filtered]@host`
/// (the user name goes too: it is often an account).
fn url_passwords(text: &str) -> Option<String> {
    if !text.contains("//") || !text.contains('@') {
        return None;
    }
    let bytes = text.as_bytes();
    let mut spans = Vec::new();
    let mut from = 0;
    while let Some(pos) = text[from..].find("//") {
        let slashes = from + pos;
        let auth_start = slashes + 2;
        from = auth_start;
        // After a scheme (`https://`) or standing alone (`//host`), not inside a path.
        if slashes > 0 && (bytes[slashes - 1].is_ascii_alphanumeric() || bytes[slashes - 1] == b'/')
        {
            continue;
        }
        let mut auth_end = auth_start;
        while auth_end < bytes.len()
            && !matches!(
                bytes[auth_end],
                b'/' | b'?' | b'#' | b' ' | b'\t' | b'\n' | b'\r' | b'"' | b'\'' | b'<' | b'>'
            )
        {
            auth_end += 1;
        }
        let authority = &text[auth_start..auth_end];
        if let Some(at) = authority.rfind('@') {
            if at > 0 && &authority[..at] != FILTERED {
                spans.push((auth_start, auth_start + at));
            }
        }
        from = auth_end.max(auth_start);
    }
    replace_spans(text, &spans)
}

/// `key=value`, `key: value`, `"key": "value"` where the key is sensitive.
fn key_values(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    if !bytes.iter().any(|b| *b == b'=' || *b == b':') {
        return None;
    }
    let is_key_byte = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.');
    let mut spans: Vec<(usize, usize)> = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let sep = bytes[i];
        if sep != b'=' && sep != b':' {
            i += 1;
            continue;
        }
        // `://` is a URL, not a pair.
        if sep == b':' && bytes[i + 1..].starts_with(b"//") {
            i += 3;
            continue;
        }
        // The key: back over spaces and an optional closing quote.
        let mut k_end = i;
        while k_end > 0 && bytes[k_end - 1] == b' ' {
            k_end -= 1;
        }
        let quote =
            (k_end > 0 && matches!(bytes[k_end - 1], b'"' | b'\'')).then(|| bytes[k_end - 1]);
        if quote.is_some() {
            k_end -= 1;
        }
        let mut k_start = k_end;
        while k_start > 0 && is_key_byte(bytes[k_start - 1]) {
            k_start -= 1;
        }
        if k_start == k_end || !is_sensitive_key(&text[k_start..k_end]) {
            i += 1;
            continue;
        }
        // The value: after spaces; quoted, or up to a delimiter.
        let mut v_start = i + 1;
        while v_start < bytes.len() && bytes[v_start] == b' ' {
            v_start += 1;
        }
        if v_start >= bytes.len() {
            break;
        }
        let v_end = match bytes[v_start] {
            q @ (b'"' | b'\'') => {
                let mut j = v_start + 1;
                while j < bytes.len() && bytes[j] != q {
                    if bytes[j] == b'\\' && j + 1 < bytes.len() {
                        // Skip the escaped character whole (it may be several bytes).
                        j += 1 + text[j + 1..].chars().next().map_or(1, char::len_utf8);
                    } else {
                        j += 1;
                    }
                }
                let inner_start = v_start + 1;
                let inner_end = j.min(bytes.len());
                if inner_end > inner_start {
                    spans.push((inner_start, inner_end));
                }
                i = inner_end + 1;
                continue;
            }
            b'{' | b'[' => {
                // A structured value: leave it to the key scan of its own content.
                i = v_start;
                continue;
            }
            _ => {
                let mut j = v_start;
                while j < bytes.len()
                    && !matches!(
                        bytes[j],
                        b' ' | b'\t'
                            | b'\n'
                            | b'\r'
                            | b'&'
                            | b';'
                            | b','
                            | b'"'
                            | b'\''
                            | b')'
                            | b'}'
                            | b']'
                            | b'<'
                            | b'>'
                    )
                {
                    j += 1;
                }
                // `Authorization: Bearer abc`: the scheme and the credential both go.
                let word = &text[v_start..j];
                if (word.eq_ignore_ascii_case("bearer") || word.eq_ignore_ascii_case("basic"))
                    && j < bytes.len()
                    && bytes[j] == b' '
                {
                    j = token_end(bytes, j + 1);
                }
                j
            }
        };
        // `"session:duration": 3397`: the colon is inside a quoted JSON key, not a separator.
        let inside_json_key = sep == b':'
            && quote.is_none()
            && k_start > 0
            && bytes[k_start - 1] == b'"'
            && bytes.get(v_end) == Some(&b'"')
            && text[v_end + 1..].trim_start().starts_with(':');
        if v_end > v_start && !inside_json_key {
            spans.push((v_start, v_end));
        }
        i = v_end.max(i + 1);
    }
    spans.sort_unstable();
    spans.dedup();
    // Merge overlaps (a value found twice).
    let mut merged: Vec<(usize, usize)> = Vec::new();
    for (s, e) in spans {
        match merged.last_mut() {
            Some(last) if s <= last.1 => last.1 = last.1.max(e),
            _ => merged.push((s, e)),
        }
    }
    let merged: Vec<_> = merged
        .into_iter()
        .filter(|&(s, e)| &text[s..e] != FILTERED)
        .collect();
    replace_spans(text, &merged)
}

fn luhn_valid(digits: &[u8]) -> bool {
    let mut sum = 0u32;
    for (i, d) in digits.iter().rev().enumerate() {
        let mut v = u32::from(*d);
        if i % 2 == 1 {
            v *= 2;
            if v > 9 {
                v -= 9;
            }
        }
        sum += v;
    }
    sum % 10 == 0
}

/// 13 to 19 digits, optionally grouped by single spaces or dashes, passing the Luhn check.
fn card_numbers(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    if bytes.iter().filter(|b| b.is_ascii_digit()).count() < 13 {
        return None;
    }
    let mut spans = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if !bytes[i].is_ascii_digit() || (i > 0 && bytes[i - 1].is_ascii_alphanumeric()) {
            i += 1;
            continue;
        }
        let start = i;
        let mut digits = Vec::with_capacity(19);
        let mut j = i;
        let mut last_digit_end = i;
        while j < bytes.len() {
            if bytes[j].is_ascii_digit() {
                digits.push(bytes[j] - b'0');
                j += 1;
                last_digit_end = j;
            } else if matches!(bytes[j], b' ' | b'-')
                && j + 1 < bytes.len()
                && bytes[j + 1].is_ascii_digit()
                && j > start
                && bytes[j - 1].is_ascii_digit()
            {
                j += 1;
            } else {
                break;
            }
            if digits.len() > 19 {
                break;
            }
        }
        let end = last_digit_end;
        let bounded = end >= bytes.len() || !bytes[end].is_ascii_alphanumeric();
        if bounded && (13..=19).contains(&digits.len()) && luhn_valid(&digits) {
            spans.push((start, end));
        }
        i = end.max(start + 1);
    }
    replace_spans(text, &spans)
}

pub(super) fn regex(pattern: &str) -> regex::Regex {
    regex::Regex::new(pattern).unwrap_or_else(|e| unreachable!("built-in pattern {pattern}: {e}"))
}

/// Replaces every match of `re` (its group `group`) with `[Filtered]`, where `keep` agrees.
pub(super) fn replace_matches(
    text: &str,
    re: &regex::Regex,
    group: usize,
    keep: impl Fn(&str) -> bool,
) -> Option<String> {
    let spans: Vec<(usize, usize)> = re
        .captures_iter(text)
        .filter_map(|c| c.get(group))
        .filter(|m| m.as_str() != FILTERED && keep(m.as_str()))
        .map(|m| (m.start(), m.end()))
        .collect();
    replace_spans(text, &spans)
}

/// Card numbers by card network prefix (Visa, Mastercard, Amex, Discover), Luhn or not: a
/// mistyped card number is still a card number.
fn card_by_network(text: &str) -> Option<String> {
    static RE: LazyLock<regex::Regex> = LazyLock::new(|| {
        regex(r"\b(?:3[47]\d|4\d{3}|5[1-5]\d\d|65\d\d|6011)(?:[-\s]?\d){11,12}\b")
    });
    if text.bytes().filter(u8::is_ascii_digit).count() < 15 {
        return None;
    }
    replace_matches(text, &RE, 0, |_| true)
}

/// The countries of Relay's `@iban` rule (`IBAN_REGEX`).
const IBAN_COUNTRIES: &str = "AT AD AE AL AZ BA BE BG BH BR BY CH CR CY CZ DE DK DO EE EG ES FI FO FR GB GE GI GL GR GT HR HU IE IL IQ IS IT JO KW KZ LB LC LI LT LU LV LY MC MD ME MK MR MT MU NL NO PK PL PS PT QA RO RU RS SA SC SE SI SK SM ST SV TL TN TR UA VA VG XK DZ AO BJ BF BI CV CM CF TD KM CG CI DJ GQ GA GW HN IR MG ML MA MZ NI NE SN TG";

/// IBANs: a country code, two check digits and 11 to 30 letters and digits, as one word. By
/// format for the countries Relay knows (a mistyped or test IBAN is still a bank account
/// written by a person), and for any other two letters when the mod-97 check passes.
fn ibans(text: &str) -> Option<String> {
    static RE: LazyLock<regex::Regex> =
        LazyLock::new(|| regex(r"\b[A-Z]{2}\d{2}[A-Za-z0-9]{11,30}\b"));
    let bytes = text.as_bytes();
    let candidate = bytes.windows(4).any(|w| {
        w[0].is_ascii_uppercase()
            && w[1].is_ascii_uppercase()
            && w[2].is_ascii_digit()
            && w[3].is_ascii_digit()
    });
    if !candidate {
        return None;
    }
    replace_matches(text, &RE, 0, |m| {
        let known = m.len() <= 33 && IBAN_COUNTRIES.split(' ').any(|c| c == &m[..2]);
        known || iban_valid(m)
    })
}

fn iban_valid(iban: &str) -> bool {
    let rearranged = iban[4..].bytes().chain(iban[..4].bytes());
    let mut rem: u32 = 0;
    for b in rearranged {
        let v = match b {
            b'0'..=b'9' => u32::from(b - b'0'),
            b'A'..=b'Z' => u32::from(b - b'A') + 10,
            b'a'..=b'z' => u32::from(b - b'a') + 10,
            _ => return false,
        };
        rem = if v < 10 {
            (rem * 10 + v) % 97
        } else {
            (rem * 100 + v) % 97
        };
    }
    rem == 1
}

/// US social security numbers: `ddd-dd-dddd`.
fn us_ssns(text: &str) -> Option<String> {
    static RE: LazyLock<regex::Regex> = LazyLock::new(|| regex(r"\b\d{3}-\d{2}-\d{4}\b"));
    if !text.contains('-') {
        return None;
    }
    replace_matches(text, &RE, 0, |_| true)
}

/// Whether a data value mentions credentials (Sentry's server filters such values whole):
/// `password`, `secret`, `passwd`, `api_key`, `apikey`, `auth`, `credentials`, `mysql_pwd`,
/// `private_key`, `privatekey`, a `token...=` / `token...:` pair, or is `otp` / `two_factor`.
pub(crate) fn mentions_credentials(text: &str) -> bool {
    static RE: LazyLock<regex::Regex> = LazyLock::new(|| {
        regex(
            r"(?i)password|secret|passwd|api[_-]?key|auth|credentials|mysql_pwd|private[_-]?key|token[^\s]*[:=]|^otp$|^two[_-]factor$",
        )
    });
    text.len() >= 3 && text != FILTERED && RE.is_match(text)
}
