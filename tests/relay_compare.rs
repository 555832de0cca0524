//! vigil's scrubbing against Sentry's own server-side default scrubbing (Relay, installed
//! from PyPI by `.ci/setup-relay.sh`), on the same corpus: every value Relay filters, vigil
//! must filter too. vigil may filter more; the test prints where it does.
//!
//! The corpus goes through Relay as Sentry's ingest runs it: `StoreNormalizer` first, then
//! `pii_strip_event` with the default data-scrubbing config (scrub data, scrub defaults,
//! scrub IP addresses). A value counts as filtered by Relay when it is in the normalized event
//! and no longer in the stripped one.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use serde_json::{json, Value};

mod common;
use common::luhn_complete;

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

/// One corpus event (sentry protocol JSON) with secrets of every kind either side knows.
fn corpus_event(i: usize, rng: &mut Rng) -> Value {
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
    let (s1, s2, s3, s4, s5, s6, s7, s8, s9, s10) = (
        secret(rng),
        secret(rng),
        secret(rng),
        secret(rng),
        secret(rng),
        secret(rng),
        secret(rng),
        secret(rng),
        secret(rng),
        secret(rng),
    );
    let (w1, w2, w3, w4, w5) = (word(rng), word(rng), word(rng), word(rng), word(rng));
    json!({
        "event_id": format!("{:032x}", rng.next() as u128 * 7919 + i as u128),
        "level": "error",
        "message": match i % 4 {
            0 => format!("{w1} password={s1} {w2}"),
            1 => format!("{w1} sent Bearer {s1} to {w2}"),
            2 => format!("{w1} card {card} and {bad_card} for {w2}"),
            _ => format!("{w1} mail {name}@example.com ssn {ssn} iban {} {w2}", iban(rng)),
        },
        "exception": {"values": [{"type": "PayError", "value": format!("{w3} failed at https://app:{s2}@pay.example.com/x")}]},
        "tags": {key: s3.clone(), "region": w4.clone()},
        "extra": {
            key: s4.clone(),
            "note": format!("connect postgres://svc:{s5}@db.internal/main"),
            "client": format!("from {ip4} via {ip6}"),
            "path": format!("/Users/{name}/project/{w5}.txt"),
            "winpath": format!("C:\\Users\\{name}\\AppData\\{w5}"),
            "ref_note": format!("ssn {ssn}"),
            "payout": iban(rng),
            "pem": format!("-----BEGIN RSA PRIVATE KEY-----\nMIIE{s6}\n-----END RSA PRIVATE KEY-----"),
            "comment": format!("my password is {s7}"),
            "blob": jwt,
            "deep": {"a": {"b": {"c": {"d": {key: s8.clone(), "plain": w5.clone()}}}}},
            "plain": w2.clone(),
        },
        "user": {
            "id": format!("{i}"),
            "ip_address": ip4.clone(),
            "username": w3.clone(),
            "data": {key: s9.clone()},
        },
        "request": {
            "url": format!("https://api.example.com/v1/login?token={s10}&page=2"),
            "method": "POST",
            "query_string": format!("api_key={s1}&page=3"),
            "cookies": format!("sessionid={s2}; theme=dark"),
            "headers": {
                "Authorization": format!("Bearer {s3}"),
                "Cookie": format!("csrftoken={s4}"),
                "X-Api-Key": s5.clone(),
                "X-Forwarded-For": ip4.clone(),
                "Accept": "application/json",
            },
            "env": {"REMOTE_ADDR": ip4.clone(), "SERVER_NAME": w1.clone()},
            "data": format!("{{\"password\": \"{s6}\", \"name\": \"{w4}\"}}"),
        },
        "breadcrumbs": {"values": [{
            "message": format!("{w1} with token={s7}"),
            "category": "http",
            "data": {"authorization": s8.clone(), "url": format!("https://u:{s9}@h.example.com/"), "step": w2.clone()},
        }]},
        "contexts": {"custom": {"type": "unknown", key: s10.clone(), "peer": ip4, "plain": w4}},
    })
}

/// Every string in `value`, and the value itself for a few typed places.
fn leaf_strings(value: &Value, out: &mut Vec<(String, String)>, path: String) {
    match value {
        Value::String(s) => out.push((path, s.clone())),
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                leaf_strings(v, out, format!("{path}[{i}]"));
            }
        }
        Value::Object(map) => {
            for (k, v) in map {
                leaf_strings(v, out, format!("{path}.{k}"));
            }
        }
        _ => {}
    }
}

/// The pieces of a string worth searching for: the whole string, and its longer words.
fn needles(s: &str) -> Vec<String> {
    let mut out = vec![s.to_owned()];
    out.extend(
        s.split(|c: char| {
            c.is_whitespace() || matches!(c, '=' | '&' | ';' | '"' | '@' | ':' | '/' | '\\' | ',')
        })
        .filter(|w| w.len() >= 6)
        .map(str::to_owned),
    );
    out
}

fn contains(haystack: &str, needle: &str) -> bool {
    let escaped = serde_json::to_string(needle).unwrap();
    haystack.contains(&escaped[1..escaped.len() - 1])
}

fn relay_python() -> PathBuf {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let output = Command::new("bash")
        .arg(root.join(".ci/setup-relay.sh"))
        .stderr(Stdio::inherit())
        .output()
        .expect("run .ci/setup-relay.sh (needs bash and python3 with venv)");
    assert!(
        output.status.success(),
        ".ci/setup-relay.sh failed: Sentry's relay package is needed for this comparison"
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

#[test]
fn vigil_filters_everything_sentrys_default_scrubbing_filters() {
    let python = relay_python();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let corpus: Vec<Value> = (0..400).map(|i| corpus_event(i, &mut rng)).collect();

    let mut child = Command::new(&python)
        .arg(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/relay_strip.py"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("start relay_strip.py");
    // Feed the corpus from a thread while the output is read: one pipe filling up must not
    // block the other.
    let mut stdin = child.stdin.take().unwrap();
    let input: String = corpus.iter().map(|e| format!("{e}\n")).collect();
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let output = child.wait_with_output().unwrap();
    writer
        .join()
        .unwrap()
        .expect("write the corpus to relay_strip.py");
    assert!(output.status.success(), "relay_strip.py failed");
    let relay: Vec<Value> = String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(relay.len(), corpus.len());

    let mut relay_filtered = 0usize;
    let mut missed: Vec<String> = Vec::new();
    let mut vigil_more: BTreeMap<String, (usize, String)> = BTreeMap::new();
    for (input, relay) in corpus.iter().zip(&relay) {
        let event: vigil::protocol::Event<'static> =
            serde_json::from_value(input.clone()).expect("corpus events are valid sentry events");
        let captured = vigil::testing::capture(move || {
            sentry::Hub::current().capture_event(event);
        });
        let vigil_text = serde_json::to_string(captured.single_event()).unwrap();
        let normalized = relay["normalized"].to_string();
        let stripped = relay["stripped"].to_string();

        let mut leaves = Vec::new();
        leaf_strings(input, &mut leaves, String::new());
        for (path, leaf) in leaves {
            if path == ".event_id" || path == ".level" {
                continue;
            }
            for needle in needles(&leaf) {
                let in_normalized = contains(&normalized, &needle);
                let in_stripped = contains(&stripped, &needle);
                let in_vigil = contains(&vigil_text, &needle);
                if in_normalized && !in_stripped {
                    relay_filtered += 1;
                    if in_vigil {
                        missed.push(format!("{path}: `{needle}` (in `{leaf}`)"));
                    }
                } else if in_stripped && !in_vigil && needle == leaf {
                    let place = path
                        .split('.')
                        .map(|p| {
                            if p.chars().any(|c| c.is_ascii_digit()) {
                                "*"
                            } else {
                                p
                            }
                        })
                        .collect::<Vec<_>>()
                        .join(".");
                    let entry = vigil_more.entry(place).or_insert((0, leaf.clone()));
                    entry.0 += 1;
                }
            }
        }
    }
    println!(
        "values Relay filtered: {relay_filtered}; vigil let through: {}",
        missed.len()
    );
    println!("places where vigil filters more than Relay (count, example):");
    for (place, (count, example)) in &vigil_more {
        println!("  {place}: {count} ({example})");
    }
    assert!(
        relay_filtered > 1000,
        "the corpus must exercise Relay's rules: {relay_filtered}"
    );
    assert!(
        missed.is_empty(),
        "{} values Relay filters reached vigil's output, first ones:\n{}",
        missed.len(),
        missed
            .iter()
            .take(30)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}
