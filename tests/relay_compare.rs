//! vigil's scrubbing against Sentry's own, on the same events: Relay's server-side default
//! data scrubbing (the `sentry-relay` package from PyPI) and sentry-python's client-side
//! `EventScrubber` (the `sentry-sdk` package), both installed by `.ci/setup-relay.sh`.
//!
//! Two corpora:
//! - `tests/relay_corpus/*.json`: events built from the test inputs Sentry's engineers wrote
//!   (Relay's `relay-pii` tests, rule samples and SDK payload fixtures; sentry-python's
//!   scrubber, URL and integration tests), by `tests/relay_corpus/build.py`;
//! - events generated here, with secrets of every kind either side knows.
//!
//! Each event is sent through the `sentry` client with vigil (`vigil::testing::capture`).
//! What the Rust SDK would have sent without vigil goes to Relay and to sentry-python; every
//! event is then brought to the shape Sentry's ingest gives it (Relay's `StoreNormalizer`), so
//! a value stands at the same path in all of them (`tests/relay_strip.py`). For each value:
//!
//! - the text Relay removes (the ranges its output replaced with a marker such as
//!   `[Filtered]`, or the whole value when it went) must be gone from vigil's value too: a
//!   range of which vigil keeps a letter or digit is a miss; the same against sentry-python;
//! - a value both Relay and sentry-python send unchanged but vigil changes is over-scrubbing,
//!   and must be one of the deliberate cases listed in [`DELIBERATE`] (and in the README).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Command, Stdio};

use serde_json::{json, Value};

mod common;
use common::luhn_complete;
use vigil::protocol::{Envelope, Event, Transaction};

/// One event of a corpus and where it comes from.
struct Entry {
    source: String,
    event: Value,
}

fn sentry_corpus() -> Vec<Entry> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/relay_corpus");
    let mut out = Vec::new();
    for name in ["relay.json", "sentry_python.json"] {
        let text = std::fs::read_to_string(dir.join(name)).expect("read the corpus");
        let entries: Vec<Value> = serde_json::from_str(&text).expect("the corpus is JSON");
        for entry in entries {
            out.push(Entry {
                source: entry["source"].as_str().unwrap().to_owned(),
                event: entry["event"].clone(),
            });
        }
    }
    out
}

// ------------------------------------------------------------------------------------------
// Running the three scrubbers
// ------------------------------------------------------------------------------------------

/// The event as the Rust SDK sends it without vigil, and as vigil sends it.
fn through_vigil(entry: &Entry) -> (Value, Value) {
    let context = |e: serde_json::Error| format!("{}: not a sentry event: {e}", entry.source);
    if entry.event["type"] == "transaction" {
        let tx: Transaction<'static> = serde_json::from_value(entry.event.clone())
            .map_err(context)
            .unwrap();
        let sent = serde_json::to_value(&tx).unwrap();
        let captured = vigil::testing::capture(move || {
            let mut envelope = Envelope::new();
            envelope.add_item(tx);
            sentry::Hub::current()
                .client()
                .unwrap()
                .send_envelope(envelope);
        });
        (
            sent,
            serde_json::to_value(captured.single_transaction()).unwrap(),
        )
    } else {
        let event: Event<'static> = serde_json::from_value(entry.event.clone())
            .map_err(context)
            .unwrap();
        let sent = serde_json::to_value(&event).unwrap();
        let captured = vigil::testing::capture(move || {
            sentry::Hub::current().capture_event(event);
        });
        (sent, serde_json::to_value(captured.single_event()).unwrap())
    }
}

fn sentry_python() -> PathBuf {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let output = Command::new("bash")
        .arg(root.join(".ci/setup-relay.sh"))
        .stderr(Stdio::inherit())
        .output()
        .expect("run .ci/setup-relay.sh (needs bash and python3 with venv)");
    assert!(
        output.status.success(),
        ".ci/setup-relay.sh failed: Sentry's relay and sentry-sdk packages are needed here"
    );
    let stdout = String::from_utf8(output.stdout).unwrap();
    PathBuf::from(
        stdout
            .lines()
            .last()
            .expect("the script prints the python path")
            .trim(),
    )
}

/// Each pair through `tests/relay_strip.py`: `normalized`, `relay`, `python`, `vigil`.
fn through_sentry(pairs: &[(Value, Value)]) -> Vec<Value> {
    let mut child = Command::new(sentry_python())
        .arg(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/relay_strip.py"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("start relay_strip.py");
    // Feed the events from a thread while the output is read: one pipe filling up must not
    // block the other.
    let mut stdin = child.stdin.take().unwrap();
    let input: String = pairs
        .iter()
        .map(|(sent, vigil)| format!("{}\n", json!({"sent": sent, "vigil": vigil})))
        .collect();
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let out: Vec<Value> = BufReader::new(child.stdout.take().unwrap())
        .lines()
        .map(|l| serde_json::from_str(&l.unwrap()).unwrap())
        .collect();
    assert!(child.wait().unwrap().success(), "relay_strip.py failed");
    writer
        .join()
        .unwrap()
        .expect("write the events to relay_strip.py");
    assert_eq!(out.len(), pairs.len());
    out
}

// ------------------------------------------------------------------------------------------
// Comparing values
// ------------------------------------------------------------------------------------------

/// A value's place: object keys, array indexes, and the first element of a `[key, value]`
/// pair (headers, cookies, query strings, tags), so the same value has the same path whatever
/// the order of the pairs.
type Path = Vec<String>;

fn is_pair_list(items: &[Value]) -> bool {
    !items.is_empty()
        && items.iter().all(|item| {
            matches!(
                item.as_array().map(Vec::as_slice),
                Some([Value::String(_), _])
            )
        })
}

/// Every string and number of `value`, by path.
fn leaves(value: &Value, path: &mut Path, out: &mut BTreeMap<Path, String>) {
    match value {
        Value::String(s) => {
            out.insert(path.clone(), s.clone());
        }
        Value::Number(n) => {
            out.insert(path.clone(), n.to_string());
        }
        Value::Array(items) if is_pair_list(items) => {
            let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
            for item in items {
                let key = item[0].as_str().unwrap();
                let n = seen.entry(key).or_default();
                path.push(if *n == 0 {
                    key.to_owned()
                } else {
                    format!("{key}#{n}")
                });
                *n += 1;
                leaves(&item[1], path, out);
                path.pop();
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                path.push(i.to_string());
                leaves(item, path, out);
                path.pop();
            }
        }
        Value::Object(map) => {
            for (k, v) in map {
                if k == "_meta" {
                    continue;
                }
                path.push(k.clone());
                leaves(v, path, out);
                path.pop();
            }
        }
        Value::Null | Value::Bool(_) => {}
    }
}

fn leaf_map(value: &Value) -> BTreeMap<Path, String> {
    let mut out = BTreeMap::new();
    leaves(value, &mut Vec::new(), &mut out);
    out
}

/// Paths that hold what the event says, not what the SDK or the normalizer generated (ids,
/// timestamps, defaults).
fn is_content(path: &Path) -> bool {
    let top = [
        "logentry",
        "exception",
        "threads",
        "stacktrace",
        "extra",
        "tags",
        "contexts",
        "user",
        "request",
        "breadcrumbs",
        "spans",
        "transaction",
        "server_name",
        "modules",
    ];
    let generated = [
        "span_id",
        "trace_id",
        "parent_span_id",
        "timestamp",
        "start_timestamp",
        "exclusive_time",
    ];
    let last = path.last().map(String::as_str).unwrap_or("");
    top.contains(&path[0].as_str())
        && !generated.contains(&last)
        // Derived by the normalizer from the user's id, username, e-mail or address.
        && !(path[0] == "user" && last == "sentry_user")
        && !(path[0] == "contexts" && path.len() == 3 && last == "type")
}

/// What Sentry's scrubbers and vigil put in place of what they remove.
const MARKERS: &[&str] = &[
    "[Filtered]",
    "[ip]",
    "[email]",
    "[creditcard]",
    "[iban]",
    "[us-ssn]",
    "[token]",
    "[pemkey]",
    "[auth]",
    "[user]",
    "[password]",
];

/// What a scrubber did to a value.
#[derive(Debug)]
enum Removal {
    /// Sent unchanged.
    Nothing,
    /// These byte ranges of the original replaced by markers (the whole value when it went).
    Ranges(Vec<(usize, usize)>),
    /// Changed in a way that is not markers in place of ranges: the text sent.
    Other(String),
}

/// Lines `sent` up with `original`: the literal text between markers must stand in the
/// original in order, and what lies between two literals was removed.
fn removal(original: &str, sent: Option<&str>) -> Removal {
    let Some(sent) = sent else {
        return Removal::Ranges(vec![(0, original.len())]);
    };
    if sent == original {
        return Removal::Nothing;
    }
    // Split `sent` into literals, at markers.
    let mut literals = vec![String::new()];
    let mut rest = sent;
    while !rest.is_empty() {
        if let Some(marker) = MARKERS.iter().find(|m| rest.starts_with(*m)) {
            literals.push(String::new());
            rest = &rest[marker.len()..];
        } else {
            let c = rest.chars().next().unwrap();
            literals.last_mut().unwrap().push(c);
            rest = &rest[c.len_utf8()..];
        }
    }
    if literals.len() == 1 {
        return Removal::Other(sent.to_owned());
    }
    let (first, last) = (&literals[0], &literals[literals.len() - 1]);
    if !original.starts_with(first.as_str())
        || !original.ends_with(last.as_str())
        || first.len() + last.len() > original.len()
    {
        return Removal::Other(sent.to_owned());
    }
    let end_limit = original.len() - last.len();
    let mut pos = first.len();
    let mut ranges = Vec::new();
    for literal in &literals[1..literals.len() - 1] {
        match original[pos..end_limit].find(literal.as_str()) {
            Some(at) if !literal.is_empty() || at == 0 => {
                ranges.push((pos, pos + at));
                pos += at + literal.len();
            }
            Some(_) => ranges.push((pos, pos)),
            None => return Removal::Other(sent.to_owned()),
        }
    }
    ranges.push((pos, end_limit));
    ranges.retain(|(s, e)| e > s);
    Removal::Ranges(ranges)
}

/// The ranges of `reference` (what Sentry's scrubber removed) that `vigil` lets a letter or
/// digit of through.
fn missed<'a>(original: &'a str, reference: &Removal, vigil: &Removal) -> (usize, Vec<&'a str>) {
    let Removal::Ranges(removed) = reference else {
        return (0, Vec::new());
    };
    let mut misses = Vec::new();
    for &(start, end) in removed {
        let segment = &original[start..end];
        let kept = match vigil {
            Removal::Nothing => true,
            Removal::Ranges(gone) => original[start..end].char_indices().any(|(i, c)| {
                let at = start + i;
                c.is_alphanumeric() && !gone.iter().any(|&(s, e)| s <= at && at < e)
            }),
            Removal::Other(text) => {
                let trimmed = segment.trim_matches(|c: char| !c.is_alphanumeric());
                !trimmed.is_empty() && text.contains(trimmed)
            }
        };
        if kept && segment.chars().any(char::is_alphanumeric) {
            misses.push(segment);
        }
    }
    (removed.len(), misses)
}

#[derive(Default)]
struct Report {
    events: usize,
    values: usize,
    relay_removed: usize,
    relay_missed: Vec<String>,
    python_removed: usize,
    python_missed: Vec<String>,
    /// Values Relay and sentry-python both send unchanged that vigil changes: (where, before,
    /// after, the deliberate reason if there is one).
    over: Vec<(String, String, String, Option<&'static str>)>,
    /// Values Relay's output cannot be lined up with (a harness problem).
    unaligned: Vec<String>,
    /// Values of the corpus the Rust SDK's protocol types cannot carry (so no scrubber sees
    /// them).
    not_carried: Vec<String>,
}

fn display(path: &Path) -> String {
    path.join(".")
}

fn compare(corpus: &[Entry]) -> Report {
    let pairs: Vec<(Value, Value)> = corpus.iter().map(through_vigil).collect();
    let results = through_sentry(&pairs);
    let mut report = Report {
        events: corpus.len(),
        ..Report::default()
    };
    for (entry, (sent, _)) in corpus.iter().zip(&pairs) {
        let sent = sent.to_string();
        for (path, value) in leaf_map(&entry.event)
            .into_iter()
            .filter(|(p, _)| is_content(p))
        {
            let escaped = serde_json::to_string(&value).unwrap();
            if !sent.contains(&escaped[1..escaped.len() - 1]) {
                report
                    .not_carried
                    .push(format!("{} at {}", entry.source, display(&path)));
            }
        }
    }
    for (entry, result) in corpus.iter().zip(&results) {
        let normalized = leaf_map(&result["normalized"]);
        let relay = leaf_map(&result["relay"]);
        let python = leaf_map(&result["python"]);
        let vigil = leaf_map(&result["vigil"]);
        for (path, original) in normalized.iter().filter(|(p, _)| is_content(p)) {
            report.values += 1;
            let by_relay = removal(original, relay.get(path).map(String::as_str));
            let by_python = removal(original, python.get(path).map(String::as_str));
            let by_vigil = removal(original, vigil.get(path).map(String::as_str));
            let at = || format!("{} at {}", entry.source, display(path));
            if let Removal::Other(text) = &by_relay {
                report
                    .unaligned
                    .push(format!("{}: `{original}` -> `{text}`", at()));
            }
            let (n, misses) = missed(original, &by_relay, &by_vigil);
            report.relay_removed += n;
            for segment in misses {
                report.relay_missed.push(format!(
                    "{}: `{segment}` (in `{original}`, vigil sent {:?})",
                    at(),
                    vigil.get(path)
                ));
            }
            let (n, misses) = missed(original, &by_python, &by_vigil);
            report.python_removed += n;
            for segment in misses {
                report.python_missed.push(format!(
                    "{}: `{segment}` (in `{original}`, vigil sent {:?})",
                    at(),
                    vigil.get(path)
                ));
            }
            if matches!(by_relay, Removal::Nothing)
                && matches!(by_python, Removal::Nothing)
                && !matches!(by_vigil, Removal::Nothing)
            {
                let after = vigil.get(path).map(String::as_str);
                report.over.push((
                    at(),
                    original.clone(),
                    after.unwrap_or("<removed>").to_owned(),
                    deliberate(path, original, after),
                ));
            }
        }
    }
    report
}

fn print(report: &Report) {
    println!(
        "{} events, {} values; Relay removed {}, vigil let through {}; sentry-python removed {}, vigil let through {}",
        report.events,
        report.values,
        report.relay_removed,
        report.relay_missed.len(),
        report.python_removed,
        report.python_missed.len()
    );
    println!(
        "corpus values the Rust SDK's types do not carry (compared nowhere): {}",
        report.not_carried.len()
    );
    let mut by_field: BTreeMap<&str, usize> = BTreeMap::new();
    for at in &report.not_carried {
        *by_field.entry(at.rsplit('.').next().unwrap()).or_default() += 1;
    }
    for (field, n) in by_field {
        println!("  {field}: {n}");
    }
    println!(
        "values Relay and sentry-python both keep that vigil changes: {}",
        report.over.len()
    );
    let mut by_reason: BTreeMap<&str, usize> = BTreeMap::new();
    for (_, _, _, reason) in &report.over {
        *by_reason
            .entry(reason.unwrap_or("NOT DELIBERATE"))
            .or_default() += 1;
    }
    for (reason, n) in &by_reason {
        println!("  {reason}: {n}");
    }
    for (at, before, after, reason) in &report.over {
        println!(
            "  [{}] {at}: `{before}` -> `{after}`",
            reason.unwrap_or("NOT DELIBERATE")
        );
    }
}

fn first(list: &[String], n: usize) -> String {
    let mut out = String::new();
    for line in list.iter().take(n) {
        let _ = writeln!(out, "{line}");
    }
    out
}

// ------------------------------------------------------------------------------------------
// Where vigil removes more, on purpose
// ------------------------------------------------------------------------------------------

/// Why vigil may change a value that both Relay and sentry-python send unchanged. Every such
/// value must be explained by one of these, and the README's privacy section names each (in
/// bold), so what the test accepts is what the README says.
const DELIBERATE: &[(&str, &str)] = &[
    (
        "free text",
        "messages, exception values, span descriptions, transaction names and URLs are scrubbed \
         like data (Relay leaves exception values, descriptions and URLs alone, and looks only \
         for e-mails, cards, IBANs, SSNs and bearer tokens in messages)",
    ),
    (
        "sensitive keys",
        "a value under a sensitive key goes in every place, tags and typed contexts included, \
         and the keys include session, card, CSRF and sentry-python's names Relay does not know",
    ),
    (
        "key=value",
        "a `key=value` or `key: value` pair with a sensitive key in a text value loses its value",
    ),
    (
        "personal data",
        "e-mail and IP addresses and user names in home directories, unless send_default_pii",
    ),
    ("JWTs", "JSON Web Tokens wherever they stand"),
    (
        "Luhn numbers",
        "13 to 19 digits passing the Luhn check (cards of every network; IMEIs too)",
    ),
];

/// Is `key` sensitive by the rules the README's privacy section gives (written out again here,
/// apart from `rules.rs`, so the test does not take vigil's word for it)?
fn documented_sensitive_key(key: &str) -> bool {
    let lower = key.to_ascii_lowercase();
    let squeezed: String = lower.chars().filter(char::is_ascii_alphanumeric).collect();
    // Relay's key rule, vigil's fragments, personal-data keys, Relay's cookie names.
    let relay = [
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
    let fragments = [
        "passphrase",
        "credential",
        "cookie",
        "csrf",
        "xsrf",
        "jwt",
        "bearer",
        "sessionid",
        "symfony",
        "creditcard",
        "cardnumber",
        "ccnumber",
        "cvv",
        "accesskey",
        "forwardedfor",
        "realip",
        "remoteaddr",
        "ipaddress",
        "clientip",
    ];
    let cookies = [
        "sentrysid",
        "sudo",
        "su",
        "mysession",
        "__session",
        "_vercel_jwt",
    ];
    if relay.iter().any(|r| lower.contains(r))
        || ["otp", "two-factor", "two_factor"].contains(&lower.as_str())
        || fragments.iter().any(|f| squeezed.contains(f))
        || cookies.contains(&lower.as_str())
    {
        return true;
    }
    // Words: split at `_` `-` `.` `:` and spaces, and at camelCase humps.
    let mut words: Vec<String> = Vec::new();
    for part in key.split(|c: char| !c.is_alphanumeric()) {
        let mut word = String::new();
        let chars: Vec<char> = part.chars().collect();
        for (i, &c) in chars.iter().enumerate() {
            let hump = i > 0
                && c.is_uppercase()
                && (chars[i - 1].is_lowercase()
                    || (chars[i - 1].is_uppercase()
                        && chars.get(i + 1).is_some_and(|n| n.is_lowercase())));
            if hump && !word.is_empty() {
                words.push(std::mem::take(&mut word).to_lowercase());
            }
            word.push(c);
        }
        if !word.is_empty() {
            words.push(word.to_lowercase());
        }
    }
    let qualifiers = [
        "id", "key", "token", "secret", "cookie", "number", "num", "no", "nr", "code", "pin",
    ];
    words.iter().enumerate().any(|(i, w)| {
        let next = words.get(i + 1).map(String::as_str);
        ["sid", "sso", "saml", "ssn", "otp", "pwd", "cvc", "key"].contains(&w.as_str())
            || (["session", "card", "identity"].contains(&w.as_str())
                && next.is_none_or(|n| qualifiers.contains(&n)))
    })
}

/// Text fields where vigil runs its detectors and Relay does not (or only a few of its rules).
fn is_free_text(path: &Path) -> bool {
    let p: Vec<&str> = path.iter().map(String::as_str).collect();
    matches!(
        p.as_slice(),
        ["logentry", "formatted"]
            | ["exception", "values", _, "value"]
            | ["spans", _, "description"]
            | ["contexts", "trace", "description"]
            | ["request", "url"]
            | ["transaction"]
            | ["culprit"]
    )
}

fn luhn(digits: &str) -> bool {
    let digits: Vec<u32> = digits.chars().filter_map(|c| c.to_digit(10)).collect();
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| {
            if i % 2 == 1 {
                if d * 2 > 9 {
                    d * 2 - 9
                } else {
                    d * 2
                }
            } else {
                d
            }
        })
        .sum();
    (13..=19).contains(&digits.len()) && sum % 10 == 0
}

/// What a removed segment of `before` (at `start`) is, among the deliberate kinds.
fn segment_reason(before: &str, start: usize, segment: &str) -> Option<&'static str> {
    let seg = segment.trim();
    let prefix = &before[..start];
    let is_email = seg.split_once('@').is_some_and(|(user, host)| {
        !user.is_empty() && host.contains('.') && !host.contains(char::is_whitespace)
    });
    // `Chrome/103.0.0.0`: a version after a product name is not an address.
    let product = prefix
        .rsplit([' ', '(', ';', ','])
        .next()
        .and_then(|word| word.strip_suffix('/'))
        .is_some_and(|name| name.starts_with(|c: char| c.is_ascii_uppercase()));
    let is_ip = !product
        && (seg.parse::<std::net::IpAddr>().is_ok()
            || seg
                .split('%')
                .next()
                .unwrap_or("")
                .parse::<std::net::Ipv6Addr>()
                .is_ok());
    let home = ["/Users/", "\\Users\\", "/home/", "Documents and Settings\\"];
    if is_email || is_ip || home.iter().any(|h| prefix.ends_with(h)) {
        return Some("personal data");
    }
    if seg.starts_with("eyJ") && seg.matches('.').count() == 2 {
        return Some("JWTs");
    }
    if seg
        .chars()
        .all(|c| c.is_ascii_digit() || c == ' ' || c == '-')
        && luhn(seg)
    {
        return Some("Luhn numbers");
    }
    let key_end = prefix.trim_end_matches(['"', '\'', ' ']);
    if let Some(sep) = key_end.strip_suffix(['=', ':']) {
        let key = sep.trim_end_matches(['"', '\'', ' ']);
        let key = key
            .rsplit(|c: char| !(c.is_alphanumeric() || matches!(c, '_' | '-' | '.')))
            .next()
            .unwrap_or("");
        if documented_sensitive_key(key) {
            return Some("key=value");
        }
    }
    None
}

/// Is the removed `segment` of a text (at `prefix`) what one of vigil's value rules takes: a
/// card number, an IBAN, an SSN, a PEM key body, URL credentials, an auth scheme's credential?
fn is_value_rule_match(prefix: &str, segment: &str) -> bool {
    let seg = segment.trim();
    let digits = seg.chars().filter(char::is_ascii_digit).count();
    let card = (13..=19).contains(&digits)
        && seg
            .chars()
            .all(|c| c.is_ascii_digit() || c == ' ' || c == '-');
    let iban = seg.len() >= 15
        && seg.len() <= 34
        && seg[..2].chars().all(|c| c.is_ascii_uppercase())
        && seg[2..4].chars().all(|c| c.is_ascii_digit())
        && seg.chars().all(|c| c.is_ascii_alphanumeric());
    let ssn = seg.len() == 11
        && seg.char_indices().all(|(i, c)| {
            if i == 3 || i == 6 {
                c == '-'
            } else {
                c.is_ascii_digit()
            }
        });
    let pem_body = prefix.trim_end().ends_with("KEY-----");
    let url_credentials = prefix.ends_with("//");
    let scheme = ["Bearer", "Basic ", "Token ", "Digest "]
        .iter()
        .any(|s| seg.starts_with(s) || prefix.ends_with(s));
    card || iban || ssn || pem_body || url_credentials || scheme
}

/// The deliberate reason vigil changed `before` into `after` at `path`, if there is one.
fn deliberate(path: &Path, before: &str, after: Option<&str>) -> Option<&'static str> {
    let whole = matches!(after, None | Some("[Filtered]"));
    let key = path.last().map(String::as_str).unwrap_or("");
    if whole && documented_sensitive_key(key) {
        return Some("sensitive keys");
    }
    // What a `User-Agent` header says is not where the user is.
    let user_agent = key.eq_ignore_ascii_case("user-agent");
    let free_text = is_free_text(path);
    let ranges = match removal(before, after) {
        Removal::Ranges(ranges) => ranges,
        // A request URL loses its credentials (nothing marks the place): `user:pass@` out.
        Removal::Other(sent) if path.join(".") == "request.url" => {
            let at = before.find('@')?;
            let start = before.find("://")? + 3;
            return (before[..start].to_owned() + &before[at + 1..] == sent).then_some("free text");
        }
        _ => return None,
    };
    let mut reason = None;
    for (start, end) in ranges {
        let segment = &before[start..end];
        let found = match segment_reason(before, start, segment) {
            Some("personal data") if user_agent => return None,
            Some(found) => found,
            None if free_text && is_value_rule_match(&before[..start], segment) => "free text",
            None => return None,
        };
        // In a place Relay leaves alone, any of the value rules is the free-text reason.
        reason = Some(if free_text { "free text" } else { found });
    }
    reason
}

// ------------------------------------------------------------------------------------------
// The generated corpus
// ------------------------------------------------------------------------------------------

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[(self.next() % items.len() as u64) as usize]
    }
    fn digits(&mut self, n: usize) -> String {
        (0..n)
            .map(|_| char::from(b'0' + (self.next() % 10) as u8))
            .collect()
    }
    fn alnum(&mut self, n: usize) -> String {
        const CHARS: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
        (0..n)
            .map(|_| char::from(CHARS[(self.next() % CHARS.len() as u64) as usize]))
            .collect()
    }
}

const WORDS: &[&str] = &[
    "order",
    "shipped",
    "warehouse",
    "north",
    "blue",
    "invoice",
    "queue",
    "retry",
    "window",
    "green",
    "parcel",
    "label",
    "river",
    "stone",
    "paper",
    "quick",
    "lamp",
    "garden",
];
const SENSITIVE: &[&str] = &[
    "password",
    "api_key",
    "client_secret",
    "access_token",
    "sessionid",
    "authorization",
    "credit_card",
    "csrf_token",
    "private_key",
    "mysql_pwd",
    "credentials",
];

fn iban(rng: &mut Rng) -> String {
    let bban = rng.digits(18);
    // Check digits: 98 - (BBAN + "DE" as digits + "00") mod 97.
    let numeric = format!("{bban}131400");
    let rem = numeric.chars().fold(0u64, |acc, c| {
        (acc * 10 + c.to_digit(10).unwrap() as u64) % 97
    });
    format!("DE{:02}{bban}", 98 - rem)
}

/// One generated event (sentry protocol JSON) with secrets of every kind either side knows.
fn generated_event(i: usize, rng: &mut Rng) -> Value {
    let word = |rng: &mut Rng| format!("{}{}{}", rng.pick(WORDS), i, rng.alnum(3).to_lowercase());
    let secret = |rng: &mut Rng| format!("Zx{}", rng.alnum(14));
    let key = SENSITIVE[i % SENSITIVE.len()];
    let ip4 = format!(
        "{}.{}.{}.{}",
        11 + i % 200,
        rng.next() % 250,
        rng.next() % 250,
        1 + rng.next() % 250
    );
    let ip6 = format!(
        "2001:db8::{:x}:{:x}",
        rng.next() % 0xffff,
        1 + rng.next() % 0xffff
    );
    let card = luhn_complete(&format!("4{}", rng.digits(14)));
    let bad_card = {
        let good = luhn_complete(&format!("5{}{}", 1 + rng.next() % 5, rng.digits(13)));
        let last = good.chars().last().unwrap().to_digit(10).unwrap();
        format!("{}{}", &good[..15], (last + 1) % 10)
    };
    let ssn = format!(
        "{}-{}-{}",
        100 + rng.next() % 800,
        10 + rng.next() % 89,
        1000 + rng.next() % 8999
    );
    let name = word(rng);
    let jwt = format!(
        "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOi{}.{}",
        rng.alnum(16),
        rng.alnum(20)
    );
    let s: Vec<String> = (0..11).map(|_| secret(rng)).collect();
    let w: Vec<String> = (0..6).map(|_| word(rng)).collect();
    json!({
        "event_id": format!("{:032x}", rng.next() as u128 * 7919 + i as u128),
        "level": "error",
        "message": match i % 4 {
            0 => format!("{} password={} {}", w[1], s[1], w[2]),
            1 => format!("{} sent Bearer {} to {}", w[1], s[1], w[2]),
            2 => format!("{} card {card} and {bad_card} for {}", w[1], w[2]),
            _ => format!("{} mail {name}@example.com ssn {ssn} iban {} {}", w[1], iban(rng), w[2]),
        },
        "exception": {"values": [{"type": "PayError", "value": format!("{} failed at https://app:{}@pay.example.com/x", w[3], s[2])}]},
        "tags": {key: s[3].clone(), "region": w[4].clone()},
        "extra": {
            key: s[4].clone(),
            "note": format!("connect postgres://svc:{}@db.internal/main", s[5]),
            "client": format!("from {ip4} via {ip6}"),
            "path": format!("/Users/{name}/project/{}.txt", w[5]),
            "winpath": format!("C:\\Users\\{name}\\AppData\\{}", w[5]),
            "ref_note": format!("ssn {ssn}"),
            "payout": iban(rng),
            "pem": format!("-----BEGIN RSA PRIVATE KEY-----\nMIIE{}\n-----END RSA PRIVATE KEY-----", s[6]),
            "comment": format!("my password is {}", s[7]),
            "blob": jwt,
            "deep": {"a": {"b": {"c": {"d": {key: s[8].clone(), "plain": w[5].clone()}}}}},
            "plain": w[2].clone(),
        },
        "user": {
            "id": format!("{i}"),
            "ip_address": ip4.clone(),
            "username": w[3].clone(),
            "data": {key: s[9].clone()},
        },
        "request": {
            "url": format!("https://api.example.com/v1/login?token={}&page=2", s[10]),
            "method": "POST",
            "query_string": format!("api_key={}&page=3&q={}", s[1], percent_encode(&format!("card {card} mail {name}@example.com"))),
            "cookies": format!("sessionid={}; theme=dark", s[2]),
            "headers": {
                "Authorization": format!("Bearer {}", s[3]),
                "Cookie": format!("csrftoken={}", s[4]),
                "X-Api-Key": s[5].clone(),
                "X-Forwarded-For": ip4.clone(),
                "Accept": "application/json",
            },
            "env": {"REMOTE_ADDR": ip4.clone(), "SERVER_NAME": w[1].clone()},
            "data": format!("{{\"password\": \"{}\", \"name\": \"{}\"}}", s[6], w[4]),
        },
        "breadcrumbs": {"values": [{
            "message": format!("{} with token={}", w[1], s[7]),
            "category": "http",
            "data": {"authorization": s[8].clone(), "url": format!("https://u:{}@h.example.com/", s[9]), "step": w[2].clone()},
        }]},
        "contexts": {"custom": {"type": "unknown", key: s[10].clone(), "peer": ip4, "plain": w[4]}},
    })
}

/// Percent-encoding as a form does it (`+` for spaces).
fn percent_encode(text: &str) -> String {
    let mut out = String::new();
    for b in text.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(char::from(b));
            }
            b' ' => out.push('+'),
            _ => {
                let _ = write!(out, "%{b:02X}");
            }
        }
    }
    out
}

fn generated_corpus() -> Vec<Entry> {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    (0..400)
        .map(|i| Entry {
            source: format!("generated #{i}"),
            event: generated_event(i, &mut rng),
        })
        .collect()
}

// ------------------------------------------------------------------------------------------
// The tests
// ------------------------------------------------------------------------------------------

/// The over-scrubbed values that no deliberate reason explains; panics if the README does not
/// name every reason.
fn not_deliberate(report: &Report) -> Vec<String> {
    let readme =
        std::fs::read_to_string(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("README.md"))
            .expect("read README.md");
    let privacy = &readme[readme
        .find("## Privacy")
        .expect("the README has a privacy section")..];
    for (name, what) in DELIBERATE {
        assert!(
            privacy.contains(&format!("**{name}**")),
            "the README's privacy section does not list `{name}` ({what}) as deliberate"
        );
    }
    report
        .over
        .iter()
        .filter(|(_, _, _, reason)| reason.is_none())
        .map(|(at, before, after, _)| format!("{at}: `{before}` -> `{after}`"))
        .collect()
}

/// Nothing either of Sentry's scrubbers removes reaches vigil's output, and nothing both keep
/// is changed for a reason the README does not give.
fn assert_vigil_removes_what_sentry_removes(report: &Report) {
    print(report);
    assert!(
        report.unaligned.is_empty(),
        "Relay's output could not be lined up with its input:\n{}",
        first(&report.unaligned, 20)
    );
    assert!(
        report.relay_missed.is_empty(),
        "{} values Relay removes reached vigil's output:\n{}",
        report.relay_missed.len(),
        first(&report.relay_missed, 600)
    );
    assert!(
        report.relay_removed > 900,
        "the corpus must exercise Relay's rules: {}",
        report.relay_removed
    );
    assert!(
        report.python_missed.is_empty(),
        "{} values sentry-python removes reached vigil's output:\n{}",
        report.python_missed.len(),
        first(&report.python_missed, 60)
    );
    let unexplained = not_deliberate(report);
    assert!(
        unexplained.is_empty(),
        "{} values both Relay and sentry-python keep were changed by vigil for no reason the README gives:\n{}",
        unexplained.len(),
        first(&unexplained, 60)
    );
}

#[test]
fn vigil_removes_what_sentry_removes_on_sentrys_own_test_inputs() {
    assert_vigil_removes_what_sentry_removes(&compare(&sentry_corpus()));
}

#[test]
fn vigil_removes_what_sentry_removes_on_generated_events() {
    assert_vigil_removes_what_sentry_removes(&compare(&generated_corpus()));
}
