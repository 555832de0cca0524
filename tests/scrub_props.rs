//! Generated inputs against the scrubber, through the real client and transport: random
//! events and transactions with secrets planted at random depths and places, some of them
//! percent- or plus-encoded in query strings, form bodies, URLs and cookies. Nothing secret
//! may reach the wire (as it is, or once decoded), and every non-secret value must arrive
//! unchanged.

use std::collections::BTreeMap;

use proptest::prelude::*;

mod common;
use common::luhn_complete;
use vigil::protocol::{
    Breadcrumb, Context, Envelope, Event, Exception, Map, Request, Span, Transaction, User, Value,
};

/// Words that cannot look secret: lowercase letters, none containing a sensitive fragment
/// or a word Sentry treats as a credential.
fn plain_word() -> impl Strategy<Value = String> {
    "[a-z]{3,9}".prop_filter("not secret-looking", |w| {
        !vigil::is_sensitive_key(w)
            && ![
                "auth",
                "secret",
                "passw",
                "token",
                "credential",
                "otp",
                "home",
                "users",
                "basic",
                "digest",
                "bearer",
            ]
            .iter()
            .any(|s| w.contains(s))
    })
}

fn plain_text() -> impl Strategy<Value = String> {
    prop::collection::vec(plain_word(), 1..6).prop_map(|w| w.join(" "))
}

fn plain_key() -> impl Strategy<Value = String> {
    (plain_word(), 0..100u32).prop_map(|(w, n)| format!("{w}_{n}"))
}

/// A secret core: distinctive, so its bytes can be searched for on the wire.
fn core() -> impl Strategy<Value = String> {
    "[A-Za-z0-9]{10,16}".prop_map(|s| format!("Zq{s}"))
}

fn luhn_card(prefix: u64, body: u64) -> String {
    luhn_complete(&format!(
        "{}{:011}",
        4000 + prefix % 1000,
        body % 100_000_000_000
    ))
}

/// Free text that carries a secret, and the secret's bytes.
#[derive(Debug, Clone)]
struct Planted {
    text: String,
    secret: String,
}

fn planted_text() -> impl Strategy<Value = Planted> {
    let kinds = prop_oneof![
        core().prop_map(|c| (format!("Authorization: Bearer {c}"), c)),
        core().prop_map(|c| (format!("password={c}"), c)),
        core().prop_map(|c| (format!("\"api_key\": \"{c}\""), c)),
        core().prop_map(|c| (format!("postgres://app:{c}@db.internal:5432/main"), c)),
        core().prop_map(|c| (
            format!("https://example.com/cb?session_token={c}&page=2"),
            c
        )),
        core().prop_map(|c| {
            let jwt = format!("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ{c}.sig{c}");
            (jwt.clone(), c)
        }),
        (0..1000u64, 0..100_000_000_000u64).prop_map(|(p, b)| {
            let card = luhn_card(p, b);
            (format!("card {card} declined"), card)
        }),
        core().prop_map(|c| {
            (
                format!("-----BEGIN PRIVATE KEY-----\nMIIE{c}\n-----END PRIVATE KEY-----"),
                c,
            )
        }),
    ];
    (plain_text(), kinds, plain_text()).prop_map(|(before, (secret_text, secret), after)| Planted {
        text: format!("{before} {secret_text} {after}"),
        secret,
    })
}

/// `text` percent-encoded as a form does (`+` for spaces when `plus`, `%XX` for everything but
/// letters, digits and `-_.~`).
fn encode(text: &str, plus: bool) -> String {
    let mut out = String::new();
    for b in text.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(char::from(b));
            }
            b' ' if plus => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// `text` with `%XX` escapes and `+` decoded: what a reader of the wire would see.
fn decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| char::from(b).to_digit(16);
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(if bytes[i] == b'+' { b' ' } else { bytes[i] });
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A JSON value nested `depth` levels deep, with a secret under a sensitive key at the bottom
/// and plain values on the way.
fn nested(depth: usize, secret_key: &str, secret: &str, plain: &[(String, String)]) -> Value {
    let mut value = Value::Object(serde_json::Map::from_iter([(
        secret_key.to_owned(),
        Value::from(secret),
    )]));
    for level in 0..depth {
        let mut map = serde_json::Map::new();
        if let Some((k, v)) = plain.get(level % plain.len().max(1)) {
            map.insert(format!("{k}_{level}"), Value::from(v.clone()));
        }
        map.insert(format!("level_{level}"), value);
        value = Value::Object(map);
    }
    value
}

#[derive(Debug, Clone)]
struct Case {
    secrets: Vec<String>,
    plain_tags: Vec<(String, String)>,
    plain_extra: Vec<(String, String)>,
    event: Event<'static>,
    transaction: Transaction<'static>,
}

const SENSITIVE_KEYS: &[&str] = &[
    "password",
    "api_key",
    "X-Api-Key",
    "client_secret",
    "access_token",
    "sessionid",
    "Authorization",
    "credit_card",
    "csrf",
    "private_key",
    "user_password",
];

fn case() -> impl Strategy<Value = Case> {
    (
        (
            prop::collection::vec(planted_text(), 8),
            prop::collection::vec(planted_text(), 6),
        ),
        prop::collection::vec(core(), 8),
        prop::collection::vec((plain_key(), plain_text()), 1..5),
        prop::collection::vec((plain_key(), plain_text()), 1..5),
        1..40usize,
        prop::sample::select(SENSITIVE_KEYS),
        plain_text(),
    )
        .prop_map(
            |((texts, encoded), cores, plain_tags, plain_extra, depth, key, filler)| {
                let mut secrets: Vec<String> = texts.iter().map(|p| p.secret.clone()).collect();
                secrets.extend(cores.iter().cloned());
                secrets.extend(encoded.iter().map(|p| p.secret.clone()));
                // Encoded secrets: plus-encoded in query strings and form bodies,
                // percent-encoded (spaces too) in URLs and cookies.
                let plus = |i: usize| encode(&encoded[i].text, true);
                let percent = |i: usize| encode(&encoded[i].text, false);
                let mut tags: Map<String, String> = plain_tags.iter().cloned().collect();
                tags.insert(key.to_owned(), cores[0].clone());
                let mut extra: Map<String, Value> = plain_extra
                    .iter()
                    .map(|(k, v)| (k.clone(), Value::from(v.clone())))
                    .collect();
                extra.insert("deep".into(), nested(depth, key, &cores[1], &plain_extra));
                extra.insert("note".into(), Value::from(texts[6].text.clone()));
                let request = Request {
                    url: format!(
                        "https://u:{}@api.example.com/v1/pay?token={}&page=1&ref={}",
                        cores[2],
                        cores[3],
                        percent(0)
                    )
                    .parse()
                    .ok(),
                    method: Some("POST".into()),
                    query_string: Some(format!("page=1&api_key={}&q={}", cores[4], plus(1))),
                    cookies: Some(format!(
                        "theme=dark; sessionid={}; pref={}",
                        cores[5],
                        percent(2)
                    )),
                    headers: Map::from([
                        ("Authorization".to_owned(), format!("Bearer {}", cores[6])),
                        ("Accept".to_owned(), "application/json".to_owned()),
                        ("Cookie".to_owned(), format!("sid={}", cores[7])),
                    ]),
                    data: Some(format!(
                        "{{\"password\": \"{}\", \"name\": \"x\"}}",
                        texts[7].secret
                    )),
                    ..Default::default()
                };
                let event = Event {
                    message: Some(texts[0].text.clone()),
                    exception: vec![Exception {
                        ty: "PayError".into(),
                        value: Some(texts[1].text.clone()),
                        ..Default::default()
                    }]
                    .into(),
                    tags,
                    extra,
                    user: Some(User {
                        id: Some("42".into()),
                        other: Map::from([(key.to_owned(), Value::from(cores[0].clone()))]),
                        ..Default::default()
                    }),
                    request: Some(request),
                    breadcrumbs: vec![Breadcrumb {
                        message: Some(texts[2].text.clone()),
                        data: Map::from([
                            (key.to_owned(), Value::from(cores[1].clone())),
                            ("step".to_owned(), Value::from(filler.clone())),
                            (
                                "url".to_owned(),
                                Value::from(format!("https://example.com/search?q={}", percent(3))),
                            ),
                        ]),
                        ..Default::default()
                    }]
                    .into(),
                    contexts: Map::from([(
                        "payment".to_owned(),
                        Context::Other(Map::from([
                            (key.to_owned(), Value::from(cores[2].clone())),
                            ("note".to_owned(), Value::from(texts[3].text.clone())),
                        ])),
                    )]),
                    ..Default::default()
                };
                let transaction = Transaction {
                    name: Some("checkout".into()),
                    request: Some(Request {
                        method: Some("POST".into()),
                        data: Some(format!("name={filler}&comment={}", plus(4))),
                        ..Default::default()
                    }),
                    spans: vec![Span {
                        description: Some(texts[4].text.clone()),
                        op: Some("db.query".into()),
                        data: Map::from([
                            (key.to_owned(), Value::from(cores[3].clone())),
                            (
                                "db.statement".to_owned(),
                                Value::from(texts[5].text.clone()),
                            ),
                            ("rows".to_owned(), Value::from(3)),
                            (
                                "http.query".to_owned(),
                                Value::from(format!("q={}", plus(5))),
                            ),
                        ]),
                        ..Default::default()
                    }],
                    tags: Map::from([(key.to_owned(), cores[4].clone())]),
                    ..Default::default()
                };
                Case {
                    secrets,
                    plain_tags,
                    plain_extra,
                    event,
                    transaction,
                }
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn no_secret_reaches_the_wire_and_plain_values_are_untouched(case in case()) {
        let before = format!("{:?}", case.event);
        let event = case.event.clone();
        let transaction = case.transaction.clone();
        let captured = vigil::testing::capture(move || {
            let hub = sentry::Hub::current();
            hub.capture_event(event);
            let mut envelope = Envelope::new();
            envelope.add_item(transaction);
            hub.client().unwrap().send_envelope(envelope);
        });
        // The caller's data is not modified (the scrubber works on the sent copy).
        prop_assert_eq!(format!("{:?}", case.event), before);
        let text = common::wire(&captured.envelopes);
        let decoded = decode(&text);
        for secret in &case.secrets {
            prop_assert!(!text.contains(secret.as_str()), "secret {} leaked:\n{}", secret, text);
            prop_assert!(
                !decoded.contains(secret.as_str()),
                "secret {} leaked encoded:\n{}",
                secret,
                text
            );
        }
        let event = captured.single_event();
        for (k, v) in &case.plain_tags {
            prop_assert_eq!(event.tags.get(k), Some(v));
        }
        for (k, v) in &case.plain_extra {
            prop_assert_eq!(event.extra.get(k), Some(&Value::from(v.clone())));
        }
        let tx = captured.single_transaction();
        prop_assert_eq!(tx.spans[0].data["rows"].clone(), Value::from(3));
        prop_assert_eq!(tx.spans[0].op.as_deref(), Some("db.query"));
        prop_assert_eq!(event.request.as_ref().unwrap().headers["Accept"].as_str(), "application/json");
        // Idempotent: scrubbing what was sent changes nothing more.
        let again = vigil::testing::capture({
            let event = event.clone();
            move || {
                sentry::Hub::current().capture_event(event);
            }
        });
        let once: BTreeMap<_, _> = event.extra.iter().collect();
        let twice: BTreeMap<_, _> = again.single_event().extra.iter().collect();
        prop_assert_eq!(once, twice);
        prop_assert_eq!(&again.single_event().message, &event.message);
    }
}
