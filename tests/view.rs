//! The readable view (`VIGIL_SPOOL=pretty`, `Display for Captured`): snapshots on fixed
//! envelopes, written in Sentry's wire format as an SDK sends them, and the rules every
//! rendering keeps (widths, colours only when asked).
//!
//! The snapshots are in `tests/snapshots/view/`; after a deliberate change of the view,
//! `VIGIL_BLESS=1 cargo test --test view` rewrites them (then read the diff).

use std::path::PathBuf;

use serde_json::{json, Value};
use vigil::protocol::Envelope;
use vigil::view::Pretty;

/// 2026-11-30T04:16:50Z, in seconds.
const T0: f64 = 1_796_012_210.0;

/// `ms` milliseconds after `T0` (less than 10 s) as RFC 3339, as spans' end times are sent.
fn rfc3339(ms: f64) -> String {
    format!("2026-11-30T04:16:{:09.6}Z", 50.0 + ms / 1e3)
}

/// An envelope in Sentry's wire format: a header line, then a header and a payload per item.
fn envelope(items: &[(&str, Value)]) -> Envelope {
    let mut text = json!({"event_id": "5b54fcf786fe404687e7365e4e522677"}).to_string();
    for (ty, payload) in items {
        text.push('\n');
        text.push_str(&json!({ "type": ty }).to_string());
        text.push('\n');
        text.push_str(&payload.to_string());
    }
    text.push('\n');
    Envelope::from_slice(text.as_bytes()).expect("a valid envelope")
}

fn span(id: &str, parent: &str, op: &str, description: &str, from_ms: f64, to_ms: f64) -> Value {
    json!({
        "span_id": id,
        "parent_span_id": parent,
        "trace_id": "40e2d4051c12bf2fd324a56fe5ae6baf",
        "op": op,
        "description": description,
        "start_timestamp": T0 + from_ms / 1e3,
        "timestamp": rfc3339(to_ms),
        "status": "ok",
    })
}

/// `POST /checkout` in 120 ms: a query, a payment call with a nested failing step, a cache
/// write that started before the payment ended; a card number the scrubber filtered.
fn transaction() -> Envelope {
    let mut serialize = span(
        "3333333333333333",
        "2222222222222222",
        "serialize",
        "encode PaymentRequest",
        26.0,
        31.5,
    );
    serialize["status"] = json!("internal_error");
    let mut charge = span(
        "2222222222222222",
        "0000000000000001",
        "http.client",
        "POST https://pay.example.com/v1/charges",
        22.0,
        95.0,
    );
    charge["status"] = json!("internal_error");
    charge["data"] = json!({"http.response.status_code": 502});
    let retry = span(
        "4444444444444444",
        "2222222222222222",
        "http.client",
        "POST https://pay.example.com/v1/charges (retry)",
        40.0,
        94.0,
    );
    let query = span(
        "1111111111111111",
        "0000000000000001",
        "db.query",
        "SELECT * FROM carts WHERE id = ?",
        1.2,
        20.7,
    );
    let mut cache = span(
        "5555555555555555",
        "0000000000000001",
        "cache.put",
        "cart:42",
        90.0,
        118.0,
    );
    cache["data"] = json!({"card": "[Filtered]"});
    envelope(&[(
        "transaction",
        json!({
            "event_id": "5b54fcf786fe404687e7365e4e522677",
            "type": "transaction",
            "transaction": "POST /checkout",
            "start_timestamp": T0,
            "timestamp": rfc3339(120.0),
            "release": "shop@1.4.2",
            "environment": "staging",
            "contexts": {"trace": {
                "type": "trace",
                "trace_id": "40e2d4051c12bf2fd324a56fe5ae6baf",
                "span_id": "0000000000000001",
                "op": "http.server",
                "status": "internal_error",
                "data": {"cart_id": 42, "password": "[Filtered]"},
            }},
            "tags": {"component": "checkout", "http.status_code": "502"},
            "user": {"id": "123", "username": "john_doe"},
            "request": {"method": "POST", "url": "https://shop.example.com/checkout?step=pay", "headers": {"Cookie": "[Filtered]"}},
            // Out of start order on purpose: the tree sorts by start.
            "spans": [serialize, charge, cache, retry, query],
        }),
    )])
}

/// A declined payment, the error that caused it, frames of the application and of the
/// standard library, breadcrumbs, a database context.
fn error_with_chain() -> Envelope {
    let frame = |function: &str, path: &str, line: u64, in_app: bool| json!({"function": function, "abs_path": path, "lineno": line, "in_app": in_app});
    envelope(&[(
        "event",
        json!({
            "event_id": "5b54fcf786fe404687e7365e4e522677",
            "level": "error",
            "timestamp": T0 + 0.2,
            "platform": "native",
            "release": "shop@1.4.2",
            "environment": "staging",
            "culprit": "shop::payments::charge",
            "transaction": "POST /checkout",
            "exception": {"values": [
                {"type": "io::Error", "value": "connect timed out after 30s"},
                {"type": "PayError", "value": "card declined (code 51)", "stacktrace": {"frames": [
                    frame("std::rt::lang_start", "/rustc/abc/library/std/src/rt.rs", 205, false),
                    frame("shop::main", "/srv/shop/src/main.rs", 12, true),
                    frame("shop::checkout::submit", "/srv/shop/src/checkout.rs", 88, true),
                    frame("shop::payments::charge", "/srv/shop/src/payments.rs", 41, true),
                    frame("<shop::payments::PayError as core::convert::From<std::io::Error>>::from", "/srv/shop/src/payments.rs", 17, true),
                    frame("core::result::Result<T,E>::map_err", "/rustc/abc/library/core/src/result.rs", 860, false),
                ]}},
            ]},
            "contexts": {
                "trace": {"type": "trace", "trace_id": "40e2d4051c12bf2fd324a56fe5ae6baf", "span_id": "2222222222222222"},
                "os": {"type": "os", "name": "Linux"},
                "db": {"code": "23505", "statement": "INSERT INTO payments (cart_id) VALUES (?)"},
            },
            "tags": {"component": "billing", "function": "shop::payments::charge", "op": "http.client"},
            "user": {"id": "123", "username": "john_doe", "email": "john@example.com"},
            "request": {"method": "POST", "url": "https://shop.example.com/checkout"},
            "extra": {"amount": 4000, "api_key": "[Filtered]", "items": ["book", "pen"]},
            "breadcrumbs": {"values": [
                {"timestamp": T0 - 60.0, "category": "navigation", "message": "opened the cart"},
                {"timestamp": T0 - 3.0, "category": "navigation", "message": "User clicked checkout button", "data": {"user_id": 123}},
                {"timestamp": T0 - 0.5, "type": "log", "category": "shop::payments", "message": "charging card", "data": {"amount": 4000}},
                {"timestamp": T0 - 0.4, "type": "http", "category": "http", "data": {"method": "POST", "url": "https://pay.example.com/v1/charges", "status_code": 502}},
                {"timestamp": T0 - 0.1, "level": "warning", "category": "shop::payments", "message": "retrying with token=[Filtered]"},
            ]},
        }),
    )])
}

/// A panic as the `sentry` crate sends it: the hook's own frames are there, some of them
/// marked in-app; the view shows the application's.
fn panic() -> Envelope {
    let frame = |function: &str, package: &str, path: &str, line: u64, in_app: bool| json!({"function": function, "package": package, "abs_path": path, "lineno": line, "in_app": in_app});
    envelope(&[(
        "event",
        json!({
            "event_id": "4c9e820bef084ff7ae9043efa1a06f7d",
            "level": "fatal",
            "timestamp": T0 + 0.5,
            "release": "shop@1.4.2",
            "environment": "staging",
            "exception": {"values": [{
                "type": "panic",
                "value": "quantity must be a number: ParseIntError { kind: InvalidDigit }",
                "mechanism": {"type": "panic", "handled": false},
                "stacktrace": {"frames": [
                    frame("shop::main", "shop", "/srv/shop/src/main.rs", 30, true),
                    frame("shop::cart::parse_quantity", "shop", "/srv/shop/src/cart.rs", 81, true),
                    frame("vigil_runtime::instrument::call", "vigil_runtime", "/x/runtime/src/instrument/mod.rs", 16, true),
                    frame("shop::cart::parse_quantity::{{closure}}", "shop", "/srv/shop/src/cart.rs", 83, true),
                    frame("core::result::Result<T,E>::expect", "core", "/rustc/abc/library/core/src/result.rs", 1185, false),
                    frame("__rustc::rust_begin_unwind", "__rustc", "/rustc/abc/library/std/src/panicking.rs", 689, true),
                    frame("sentry_panic::panic_handler", "sentry_panic", "/r/sentry-panic-0.49.5/src/lib.rs", 34, true),
                    frame("sentry_panic::PanicIntegration::event_from_panic_info", "sentry_panic", "/r/sentry-panic-0.49.5/src/lib.rs", 127, true),
                    frame("sentry_backtrace::current_stacktrace", "sentry_backtrace", "/r/sentry-backtrace-0.49.5/src/lib.rs", 24, false),
                ]},
            }]},
            "contexts": {"trace": {"type": "trace", "trace_id": "5907daefa74a31ca1ff3b78e4753c1ee", "span_id": "2a54d65ea113d85a"}},
            "user": {"id": "123"},
        }),
    )])
}

fn message() -> Envelope {
    envelope(&[(
        "event",
        json!({
            "event_id": "a95a983f159c4b81afc2749094f8e93a",
            "level": "warning",
            "timestamp": T0 + 1.0,
            "release": "shop@1.4.2",
            "environment": "staging",
            "message": "User exceeded rate limit",
            "fingerprint": ["{{ default }}", "rate-limits"],
            "tags": {"user_id": "123"},
            "extra": {"api_key": "[Filtered]", "limit": 100},
            "user": {"id": "123", "ip_address": "{{auto}}"},
            "contexts": {"a_context_of_the_application_with_a_long_name": {
                "quota": 100,
                "window": "1 minute",
            }},
        }),
    )])
}

/// The items read at a glance.
fn one_liners() -> Envelope {
    envelope(&[
        (
            "check_in",
            json!({
                "check_in_id": "3c2ec61f2e7a4f6f8f2ab1d1f7d4f1aa",
                "monitor_slug": "nightly-report",
                "status": "error",
                "duration": 12.5,
                "environment": "production",
                "monitor_config": {"schedule": {"type": "crontab", "value": "0 3 * * *"}},
            }),
        ),
        (
            "session",
            json!({
                "sid": "7b4c1a36-8b8d-4a0c-9d5e-6f5a2b1c0d9e",
                "did": "123",
                "init": true,
                "started": "2026-11-30T04:16:50Z",
                "status": "exited",
                "errors": 1,
                "duration": 0.25,
                "attrs": {"release": "shop@1.4.2", "environment": "production"},
            }),
        ),
        (
            "sessions",
            json!({
                "aggregates": [
                    {"started": "2026-11-30T04:16:00Z", "exited": 120, "errored": 3},
                    {"started": "2026-11-30T04:17:00Z", "exited": 80, "crashed": 1},
                ],
                "attrs": {"release": "shop@1.4.2", "environment": "production"},
            }),
        ),
        (
            "client_report",
            json!({
                "timestamp": T0,
                "discarded_events": [
                    {"reason": "queue_overflow", "category": "error", "quantity": 3},
                    {"reason": "ratelimit_backoff", "category": "transaction", "quantity": 1},
                ],
            }),
        ),
    ])
}

fn logs() -> Envelope {
    let text = [
        json!({"event_id": "5b54fcf786fe404687e7365e4e522677"}).to_string(),
        json!({"type": "log", "item_count": 2, "content_type": "application/vnd.sentry.items.log+json"}).to_string(),
        json!({"items": [
            {"level": "info", "body": "order paid", "timestamp": T0, "trace_id": "40e2d4051c12bf2fd324a56fe5ae6baf",
             "attributes": {"order_id": {"value": 1, "type": "integer"}, "sentry.sdk.name": {"value": "sentry.rust", "type": "string"}}},
            {"level": "warn", "body": "slow query: SELECT * FROM orders", "timestamp": T0 + 1.0, "trace_id": "40e2d4051c12bf2fd324a56fe5ae6baf"},
        ]}).to_string(),
    ]
    .join("\n");
    Envelope::from_slice(text.as_bytes()).expect("a valid envelope")
}

fn fixtures() -> Vec<(&'static str, Envelope)> {
    vec![
        ("transaction", transaction()),
        ("error", error_with_chain()),
        ("panic", panic()),
        ("message", message()),
        ("one_liners", one_liners()),
        ("logs", logs()),
    ]
}

/// Compares `actual` with the snapshot `name`, or rewrites it under `VIGIL_BLESS=1`.
fn snapshot(name: &str, actual: &str) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/snapshots/view")
        .join(format!("{name}.txt"));
    if std::env::var_os("VIGIL_BLESS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (VIGIL_BLESS=1 writes it)", path.display()));
    assert!(
        expected == actual,
        "the view of `{name}` changed (VIGIL_BLESS=1 rewrites {}):\n--- expected\n{expected}\n--- actual\n{actual}",
        path.display()
    );
}

#[test]
fn a_transaction_is_a_waterfall_of_its_spans() {
    let text = Pretty::new().render(&transaction());
    snapshot("transaction", &text);
    // Start order, nesting and the failed spans (wide enough that no name is cut).
    let wide = Pretty::new().width(160).render(&transaction());
    let rows: Vec<&str> = wide.lines().skip(1).take(6).map(str::trim_start).collect();
    let expected = [
        "POST /checkout ✗ internal_error ",
        "├─ SELECT * FROM carts WHERE id = ? ",
        "├─ POST https://pay.example.com/v1/charges ✗ internal_error ",
        "│  ├─ encode PaymentRequest ✗ internal_error ",
        "│  └─ POST https://pay.example.com/v1/charges (retry) ",
        "└─ cart:42 ",
    ];
    for (row, start) in rows.iter().zip(expected) {
        assert!(
            row.starts_with(start),
            "{row:?} should start with {start:?}:\n{wide}"
        );
    }
}

#[test]
fn an_error_shows_its_causes_frames_and_breadcrumbs() {
    let text = Pretty::new().render(&error_with_chain());
    snapshot("error", &text);
    assert!(
        text.starts_with("ERROR PayError: card declined (code 51)\n"),
        "{text}"
    );
    assert!(
        text.contains("caused by   io::Error: connect timed out after 30s"),
        "{text}"
    );
    // The raising frame first (its place wraps under it), then its callers; the standard
    // library's frames left out.
    let at = |needle: &str| {
        text.find(needle)
            .unwrap_or_else(|| panic!("{needle:?} missing:\n{text}"))
    };
    let order = [
        at("  at          <shop::payments::PayError as core::convert::From<std::io::Error>>::from"),
        at("(/srv/shop/src/payments.rs:17)"),
        at("              shop::payments::charge (/srv/shop/src/payments.rs:41)"),
        at("              shop::checkout::submit (/srv/shop/src/checkout.rs:88)"),
    ];
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{text}");
    assert!(!text.contains("shop::main"), "three frames at most: {text}");
    assert!(
        !text.contains("map_err") && !text.contains("lang_start"),
        "{text}"
    );
    assert!(text.contains("last 3 of 5 breadcrumbs"), "{text}");
    assert!(!text.contains("opened the cart"), "{text}");
    assert!(
        text.contains("filtered    breadcrumbs[4].message, extra.api_key"),
        "{text}"
    );
}

#[test]
fn a_panic_points_at_the_application_not_the_panic_machinery() {
    let text = Pretty::new().render(&panic());
    snapshot("panic", &text);
    assert!(
        text.starts_with("FATAL panic: quantity must be a number"),
        "{text}"
    );
    assert!(text.contains("(unhandled)"), "{text}");
    assert!(
        text.contains(
            "  at          shop::cart::parse_quantity::{{closure}} (/srv/shop/src/cart.rs:83)"
        ),
        "{text}"
    );
    assert!(
        !text.contains("sentry_panic") && !text.contains("vigil_runtime"),
        "{text}"
    );
}

#[test]
fn a_message_shows_its_level_tags_and_what_was_filtered() {
    let text = Pretty::new().render(&message());
    snapshot("message", &text);
    assert!(
        text.starts_with("WARNING User exceeded rate limit\n"),
        "{text}"
    );
    assert!(
        text.contains("fingerprint {{ default }}, rate-limits"),
        "{text}"
    );
}

#[test]
fn check_ins_sessions_reports_and_logs_take_a_line_each() {
    let one_liners = Pretty::new().render(&one_liners());
    snapshot("one_liners", &one_liners);
    assert_eq!(one_liners.lines().count(), 4, "{one_liners}");
    let logs = Pretty::new().render(&logs());
    snapshot("logs", &logs);
    assert_eq!(logs.lines().count(), 2, "{logs}");
    assert!(!logs.contains("sentry.sdk.name"), "{logs}");
}

#[test]
fn no_line_is_wider_than_the_view() {
    for width in [40, 55, 72, 100, 160] {
        for (name, envelope) in fixtures() {
            let text = Pretty::new().width(width).render(&envelope);
            for line in text.lines() {
                let columns = unicode_columns(line);
                assert!(
                    columns <= width,
                    "{name} at {width} columns: a line of {columns}:\n{line}\n\n{text}"
                );
            }
        }
    }
}

/// Columns of text made of the characters the view uses and ASCII (all one column wide).
fn unicode_columns(line: &str) -> usize {
    line.chars().count()
}

#[test]
fn colours_only_when_asked() {
    for (name, envelope) in fixtures() {
        let plain = Pretty::new().render(&envelope);
        assert!(
            !plain.contains('\u{1b}'),
            "{name}: an escape code without colours"
        );
        let painted = Pretty::new().color(true).render(&envelope);
        assert!(
            painted.contains("\u{1b}["),
            "{name}: no colour with colours on"
        );
        assert_eq!(
            strip_ansi(&painted),
            plain,
            "{name}: colours changed the text"
        );
    }
}

/// `text` without its ANSI SGR sequences (`ESC [ ... m`).
fn strip_ansi(text: &str) -> String {
    let mut out = String::new();
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for c in chars.by_ref() {
                if c == 'm' {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[test]
fn captured_displays_every_envelope_in_order() {
    let captured = vigil::testing::capture(|| {
        vigil::capture_message!("first", level = info);
        let tx = vigil::start_transaction("job", "task");
        let child = tx.start_child("db.query", "SELECT 1");
        child.finish();
        drop(tx);
        vigil::capture_message!("second", level = warning, api_key = "sk_live_123");
    });
    let text = captured.to_string();
    let headings: Vec<&str> = text
        .lines()
        .filter(|l| !l.starts_with(' ') && !l.is_empty())
        .collect();
    assert_eq!(headings.len(), 3, "{text}");
    assert!(headings[0].starts_with("INFO first"), "{text}");
    assert!(
        headings[1].starts_with("TRANSACTION job · task · ok · "),
        "{text}"
    );
    assert!(headings[2].starts_with("WARNING second"), "{text}");
    assert!(text.contains("  └─ SELECT 1"), "{text}");
    assert!(text.contains("extra       api_key=[Filtered]"), "{text}");
    assert!(!text.contains("sk_live_123"), "{text}");
    assert!(!text.contains('\u{1b}'), "{text}");
    // The width is the format's.
    let narrow = format!("{captured:50}");
    assert!(narrow.lines().all(|l| unicode_columns(l) <= 50), "{narrow}");
    assert_ne!(narrow, text);
    let nothing = vigil::testing::capture(|| {});
    assert_eq!(nothing.to_string(), "nothing was captured\n");
}

#[vigil::monitor(slug = "nightly-export", schedule = "0 3 * * *")]
fn nightly_export(fail: bool) -> Result<u32, std::io::Error> {
    if fail {
        return Err(std::io::Error::other("disk full"));
    }
    Ok(3)
}

#[test]
fn a_monitored_jobs_check_ins_show_as_they_are_sent() {
    // Check-ins leave vigil written as bytes (with the fields the `sentry` crate's type
    // lacks); the view reads them back.
    let captured = vigil::testing::capture(|| {
        nightly_export(false).unwrap();
        let _ = nightly_export(true);
    });
    let text = captured.to_string();
    let check_ins: Vec<&str> = text.lines().filter(|l| l.starts_with("CHECK-IN")).collect();
    assert_eq!(check_ins.len(), 4, "{text}");
    for (line, status) in check_ins
        .iter()
        .zip(["in_progress", "ok", "in_progress", "error"])
    {
        assert!(line.contains("nightly-export"), "{text}");
        assert!(
            line.contains(&format!(" {status} ")) || line.ends_with(status),
            "{line}"
        );
        assert!(line.contains("schedule 0 3 * * *"), "{line}");
    }
}
