//! What goes on the wire beyond the `sentry` crate's typed protocol: `transaction_info.source`
//! on transactions and on the events captured inside them, and `origin` on every span, as
//! vigil's HTTP transport writes them (to a loopback "Sentry"), as the test capture and the
//! JSON spool show them; never vigil's reserved context entry, which carries them to the
//! writer; a user's own transport gets typed items without either. And the point of carrying
//! them inside the typed items: Sentry's `transaction` rate limit still holds transactions
//! back while events go on.
//!
//! `init` binds a process-wide client: the tests of this file take turns.

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;
use vigil::protocol::{Envelope, EnvelopeItem};

/// The reserved entry's key (vigil's `wire::KEY`): it must never reach a sink's output.
const RESERVED: &str = "__vigil_wire";

/// Does a typed item's `contexts` hold vigil's entry (its key is [`RESERVED`] and a number)?
fn has_entry(contexts: &vigil::protocol::Map<String, vigil::protocol::Context>) -> bool {
    contexts
        .keys()
        .any(|k| k.starts_with(RESERVED) && k != RESERVED)
}

static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

fn turn() -> std::sync::MutexGuard<'static, ()> {
    ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner())
}

/// The bodies of every request a loopback "Sentry" received.
type Bodies = Arc<Mutex<Vec<Vec<u8>>>>;

/// A loopback "Sentry": answers the first request with `first`, the others with 200.
fn serve(first: &'static [u8]) -> (u16, Bodies) {
    let bodies: Bodies = Arc::default();
    let seen = Arc::clone(&bodies);
    let port = common::loopback_sentry(move |n, body| {
        seen.lock().unwrap().push(body);
        let response: &[u8] = if n == 1 {
            first
        } else {
            b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}"
        };
        (response, false)
    });
    (port, bodies)
}

const OK: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}";

/// The items of an envelope as sent: (type, payload).
fn items(body: &[u8]) -> Vec<(String, Value)> {
    let envelope = Envelope::from_slice(body).expect("a valid envelope");
    let mut out = Vec::new();
    // Parsed by hand too: the typed parser would drop the fields under test.
    let mut rest = body;
    let mut line = || {
        let end = rest.iter().position(|&b| b == b'\n').unwrap_or(rest.len());
        let l = &rest[..end];
        rest = rest.get(end + 1..).unwrap_or_default();
        l
    };
    line(); // headers
    for _ in envelope.items() {
        let header: Value = serde_json::from_slice(line()).unwrap();
        let payload = line();
        assert_eq!(header["length"].as_u64(), Some(payload.len() as u64));
        let ty = header["type"].as_str().unwrap().to_owned();
        out.push((ty, serde_json::from_slice(payload).unwrap_or(Value::Null)));
    }
    out
}

#[vigil::monitored]
fn step() {}

/// Op `task` (the default), named after the function: `task`.
#[vigil::transaction]
fn nightly_report() {
    step();
    vigil::capture_message!("inside the report");
}

/// Another op, named after the function: `component`.
#[vigil::transaction(op = "queue.process")]
fn consume() {
    step();
}

/// A name of the user's: `custom`.
#[vigil::transaction(op = "queue.process", name = "consume orders")]
fn consume_named() {}

fn run_scenario() {
    nightly_report();
    consume();
    consume_named();
    let tx = vigil::start_transaction("by hand", "job");
    let span = tx.start_child("db", "select 1");
    span.finish();
    drop(tx);
    vigil::capture_message!("outside any transaction");
}

/// The transactions and events of `payloads`, transactions by name.
fn check_scenario(transactions: &[&Value], events: &[&Value], raw: &str) {
    assert!(!raw.contains(RESERVED), "the reserved entry leaked: {raw}");
    let source = |name: &str| {
        let tx = transactions
            .iter()
            .find(|t| t["transaction"] == name)
            .unwrap_or_else(|| panic!("no transaction {name}: {transactions:#?}"));
        assert_eq!(tx["contexts"]["trace"]["origin"], "manual", "{tx:#}");
        let spans = tx["spans"].as_array().unwrap();
        assert!(spans.iter().all(|s| s["origin"] == "manual"), "{tx:#}");
        (tx["transaction_info"]["source"].clone(), spans.len())
    };
    assert_eq!(
        source("wire::nightly_report"),
        (Value::from("task"), 1),
        "op task"
    );
    assert_eq!(source("wire::consume"), (Value::from("component"), 1));
    assert_eq!(source("consume orders"), (Value::from("custom"), 0));
    assert_eq!(source("by hand"), (Value::from("custom"), 1));
    let event = |message: &str| {
        *events
            .iter()
            .find(|e| e["message"] == message || e["logentry"]["message"] == message)
            .unwrap_or_else(|| panic!("no event {message}: {events:#?}"))
    };
    let inside = event("inside the report");
    assert_eq!(inside["transaction"], "wire::nightly_report");
    assert_eq!(inside["transaction_info"]["source"], "task", "{inside:#}");
    // sentry-python's scope has no transaction info outside a transaction: none here either.
    let outside = event("outside any transaction");
    assert!(outside.get("transaction_info").is_none(), "{outside:#}");
}

#[test]
fn the_http_transport_writes_transaction_info_and_span_origins() {
    let _turn = turn();
    let (port, bodies) = serve(OK);
    let guard = common::init_for_loopback(port);
    run_scenario();
    assert!(guard.flush(Duration::from_secs(5)));
    drop(guard);
    let bodies = bodies.lock().unwrap().clone();
    let raw: String = bodies
        .iter()
        .map(|b| String::from_utf8_lossy(b).into_owned())
        .collect();
    let all: Vec<(String, Value)> = bodies.iter().flat_map(|b| items(b)).collect();
    let of = |ty: &str| -> Vec<&Value> {
        all.iter()
            .filter(|(t, _)| t == ty)
            .map(|(_, p)| p)
            .collect()
    };
    check_scenario(&of("transaction"), &of("event"), &raw);
}

#[test]
fn a_transaction_rate_limit_holds_transactions_back_while_events_go() {
    let _turn = turn();
    // No `Retry-After`: the limit is for transactions only, as Sentry says it.
    let (port, bodies) = serve(
        b"HTTP/1.1 429 Too Many Requests\r\nX-Sentry-Rate-Limits: 60:transaction:organization\r\nContent-Length: 0\r\n\r\n",
    );
    let guard = common::init_for_loopback(port);
    vigil::capture_message!("first, answered with a rate limit");
    assert!(guard.flush(Duration::from_secs(5)));
    for i in 0..3 {
        nightly_report();
        vigil::capture_message!("after the limit", i = i);
    }
    assert!(guard.flush(Duration::from_secs(5)));
    // The client report of what the limit held back goes with the client's next envelope.
    vigil::capture_message!("the last one");
    assert!(guard.flush(Duration::from_secs(5)));
    drop(guard);
    let bodies = bodies.lock().unwrap().clone();
    let after: Vec<(String, Value)> = bodies.iter().skip(1).flat_map(|b| items(b)).collect();
    let count = |ty: &str| after.iter().filter(|(t, _)| t == ty).count();
    // Each report's event inside, the message after it, the last one: no transaction.
    assert_eq!(count("event"), 7, "events still flow: {after:#?}");
    assert_eq!(count("transaction"), 0, "held back: {after:#?}");
    // And counted as such in the client reports Sentry receives.
    let limited: u64 = after
        .iter()
        .filter(|(t, _)| t == "client_report")
        .flat_map(|(_, report)| {
            report["discarded_events"]
                .as_array()
                .cloned()
                .unwrap_or_default()
        })
        .filter(|d| d["reason"] == "ratelimit_backoff" && d["category"] == "transaction")
        .map(|d| d["quantity"].as_u64().unwrap_or(0))
        .sum();
    assert_eq!(limited, 3, "{after:#?}");
}

#[test]
fn the_test_capture_shows_the_fields_and_its_typed_items_no_entry() {
    let _turn = turn();
    let captured = vigil::testing::capture(run_scenario);
    let raw = serde_json::to_string(&captured.json).unwrap();
    check_scenario(
        &captured.payloads("transaction"),
        &captured.payloads("event"),
        &raw,
    );
    for tx in &captured.transactions {
        assert!(!has_entry(&tx.contexts));
    }
    for event in &captured.events {
        assert!(!has_entry(&event.contexts));
    }
    assert!(!common::wire(&captured.envelopes).contains(RESERVED));
    assert!(!captured.to_string().contains(RESERVED), "{captured}");
}

#[test]
fn the_json_spool_writes_the_fields() {
    let _turn = turn();
    let path = std::env::temp_dir().join(format!("vigil-wire-{}.jsonl", std::process::id()));
    let _ = std::fs::remove_file(&path);
    let guard = vigil::init_with(
        vigil::Config::new()
            .spool(vigil::Spool::File(path.clone()))
            .traces_sample_rate(1.0),
    )
    .unwrap();
    run_scenario();
    assert!(guard.flush(Duration::from_secs(5)));
    drop(guard);
    let text = std::fs::read_to_string(&path).unwrap();
    let _ = std::fs::remove_file(&path);
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let of = |ty: &str| -> Vec<&Value> {
        lines
            .iter()
            .filter_map(|e| e["items"].as_array())
            .flatten()
            .filter(|i| i["type"] == ty)
            .map(|i| &i["payload"])
            .collect()
    };
    check_scenario(&of("transaction"), &of("event"), &text);
}

/// A user's own transport: keeps what it is given.
struct Keep(Mutex<Vec<Envelope>>);

impl sentry::Transport for Keep {
    fn send_envelope(&self, envelope: Envelope) {
        self.0.lock().unwrap().push(envelope);
    }
}

#[test]
fn a_custom_transport_gets_typed_items_without_the_entry_and_user_contexts_stay_contexts() {
    let _turn = turn();
    let kept = Arc::new(Keep(Mutex::new(Vec::new())));
    let guard = vigil::init_with(
        vigil::Config::new()
            .transport(kept.clone())
            .traces_sample_rate(1.0),
    )
    .unwrap();
    run_scenario();
    assert!(guard.flush(Duration::from_secs(5)));
    drop(guard);
    let kept = kept.0.lock().unwrap();
    let mut transactions = 0;
    for envelope in kept.iter() {
        for item in envelope.items() {
            match item {
                EnvelopeItem::Transaction(t) => {
                    transactions += 1;
                    assert!(!has_entry(&t.contexts), "{t:#?}");
                }
                EnvelopeItem::Event(e) => assert!(!has_entry(&e.contexts), "{e:#?}"),
                _ => {}
            }
        }
    }
    assert_eq!(transactions, 4);
    assert!(!common::wire(&kept).contains(RESERVED));
    drop(kept);

    // A context a user names like the reserved entry is theirs: scrubbed like any other,
    // never turned into wire fields.
    let captured = vigil::testing::capture(|| {
        sentry::configure_scope(|scope| {
            let mut map = std::collections::BTreeMap::new();
            map.insert("source".to_owned(), Value::from("route"));
            map.insert("password".to_owned(), Value::from("hunter2"));
            scope.set_context(RESERVED, vigil::protocol::Context::Other(map));
        });
        vigil::capture_message!("outside, with the user's context");
    });
    let [event] = &captured.payloads("event")[..] else {
        panic!("{captured}")
    };
    assert!(event.get("transaction_info").is_none(), "{event:#}");
    assert_eq!(event["contexts"][RESERVED]["source"], "route");
    assert_eq!(event["contexts"][RESERVED]["password"], "[Filtered]");

    // Inside a transaction too: the user's context stays theirs beside vigil's entry, and the
    // fields come from vigil's.
    let captured = vigil::testing::capture(|| {
        let _tx = vigil::start_transaction("job", "queue.process");
        sentry::configure_scope(|scope| {
            let mut map = std::collections::BTreeMap::new();
            map.insert("source".to_owned(), Value::from("route"));
            scope.set_context(RESERVED, vigil::protocol::Context::Other(map));
        });
        vigil::capture_message!("inside, with the user's context");
    });
    let [event] = &captured.payloads("event")[..] else {
        panic!("{captured}")
    };
    let [tx] = &captured.payloads("transaction")[..] else {
        panic!("{captured}")
    };
    for payload in [event, tx] {
        assert_eq!(
            payload["transaction_info"]["source"], "custom",
            "{payload:#}"
        );
        assert_eq!(
            payload["contexts"][RESERVED]["source"], "route",
            "{payload:#}"
        );
        let keys: Vec<&String> = payload["contexts"].as_object().unwrap().keys().collect();
        assert!(
            keys.iter()
                .all(|k| !k.starts_with(RESERVED) || *k == RESERVED),
            "{keys:?}"
        );
    }
}

/// The python of the virtualenv with Sentry's Relay (`.ci/setup-relay.sh` installs it, as for
/// `tests/relay_compare.rs`). No silent skip: the test fails when it cannot be set up.
fn relay_python() -> std::path::PathBuf {
    let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let output = std::process::Command::new("bash")
        .arg(root.join(".ci/setup-relay.sh"))
        .stderr(std::process::Stdio::inherit())
        .output()
        .expect("run .ci/setup-relay.sh (needs bash and python3 with venv)");
    assert!(output.status.success(), ".ci/setup-relay.sh failed");
    let stdout = String::from_utf8(output.stdout).unwrap();
    stdout.lines().last().expect("a python path").trim().into()
}

/// Normalizes each payload as Sentry's ingest does (Relay's `StoreNormalizer`): what it
/// keeps of `transaction_info` and the spans' origins, and the errors it found.
const NORMALIZE: &str = r#"
import json, sys
from sentry_relay.processing import StoreNormalizer
normalizer = StoreNormalizer(project_id=1)
out = []
for payload in json.load(sys.stdin):
    n = normalizer.normalize_event(payload)
    out.append({
        "transaction_info": n.get("transaction_info"),
        "origins": [s.get("origin") for s in n.get("spans") or []],
        "errors": n.get("errors") or [],
    })
json.dump(out, sys.stdout)
"#;

#[test]
fn relay_keeps_the_fields_as_sent() {
    let _turn = turn();
    let captured = vigil::testing::capture(run_scenario);
    let mut payloads = captured.payloads("transaction");
    payloads.extend(captured.payloads("event"));
    let mut child = std::process::Command::new(relay_python())
        .args(["-c", NORMALIZE])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    serde_json::to_writer(child.stdin.take().unwrap(), &payloads).unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success());
    let normalized: Vec<Value> = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(normalized.len(), payloads.len());
    for (sent, kept) in payloads.iter().zip(&normalized) {
        assert_eq!(kept["errors"], Value::Array(vec![]), "{sent:#}");
        let info = sent.get("transaction_info").cloned().unwrap_or(Value::Null);
        assert_eq!(kept["transaction_info"], info, "{sent:#}");
        let origins: Vec<Value> = sent["spans"]
            .as_array()
            .map(|spans| spans.iter().map(|s| s["origin"].clone()).collect())
            .unwrap_or_default();
        assert_eq!(kept["origins"], Value::Array(origins), "{sent:#}");
    }
}

/// The integrations' sources and origins, with every integration of the build.
#[cfg(all(
    feature = "axum",
    feature = "sqlx",
    feature = "reqwest",
    feature = "async-graphql"
))]
mod integrations {
    use super::*;
    use async_graphql::{EmptyMutation, EmptySubscription, Object, Schema};
    use axum::body::Body;
    use axum::http::Request;
    use axum::routing::get;
    use axum::Router;
    use tower::ServiceExt;

    async fn user() -> &'static str {
        vigil::capture_message!("in the handler");
        "ok"
    }

    async fn nothing_here() -> &'static str {
        "fallback"
    }

    fn capture(f: impl FnOnce()) -> vigil::testing::Captured {
        // Loopback URLs hold an IP address, which vigil scrubs unless allowed.
        let config = vigil::Config::new()
            .traces_sample_rate(1.0)
            .send_default_pii(true);
        vigil::testing::capture_with(config, f).unwrap()
    }

    fn named<'a>(txs: &[&'a Value], name: &str) -> &'a Value {
        txs.iter()
            .find(|t| t["transaction"] == name)
            .unwrap_or_else(|| panic!("no transaction {name}: {txs:#?}"))
    }

    fn origins(tx: &Value) -> Vec<(String, String)> {
        tx["spans"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| {
                (
                    s["op"].as_str().unwrap().to_owned(),
                    s["origin"].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    }

    #[test]
    fn axum_names_by_route_or_by_url_and_events_inside_say_so() {
        let _turn = turn();
        let captured = capture(|| {
            common::block_on(async {
                let app = Router::new()
                    .route("/users/{id}", get(user))
                    .fallback(nothing_here)
                    .layer(vigil::axum::layer());
                for uri in ["/users/7", "/nowhere/8"] {
                    let request = Request::get(uri).body(Body::empty()).unwrap();
                    app.clone().oneshot(request).await.unwrap();
                }
            })
        });
        let txs = captured.payloads("transaction");
        let routed = named(&txs, "GET /users/{id}");
        assert_eq!(routed["transaction_info"]["source"], "route");
        assert_eq!(routed["contexts"]["trace"]["origin"], "auto.http.axum");
        let raw = named(&txs, "GET /nowhere/8");
        assert_eq!(raw["transaction_info"]["source"], "url");
        let [event] = &captured.payloads("event")[..] else {
            panic!("{captured}")
        };
        assert_eq!(event["transaction"], "GET /users/{id}");
        assert_eq!(event["transaction_info"]["source"], "route");
    }

    /// Under a monitored function, a query, an outgoing call and a GraphQL operation: the
    /// spans of integrations name theirs, the rest are `manual`.
    #[vigil::transaction(op = "task", name = "mixed", skip_all)]
    async fn mixed(url: String) {
        let pool = common::sqlite_memory().await;
        sqlx::query("SELECT 1").execute(&pool).await.unwrap();
        let client = reqwest_middleware::ClientBuilder::new(
            reqwest::Client::builder().no_proxy().build().unwrap(),
        )
        .with(vigil::reqwest::middleware())
        .build();
        client.get(url).send().await.unwrap();
        schema().execute("{ version }").await;
        step();
    }

    struct Query;

    #[Object]
    impl Query {
        async fn version(&self) -> &'static str {
            "1.0"
        }
    }

    fn schema() -> Schema<Query, EmptyMutation, EmptySubscription> {
        Schema::build(Query, EmptyMutation, EmptySubscription)
            .extension(vigil::async_graphql::extension())
            .finish()
    }

    #[test]
    fn each_integration_names_its_spans_and_graphql_its_transaction() {
        let _turn = turn();
        let captured = capture(|| {
            common::block_on(async {
                let app = Router::new()
                    .route("/users/{id}", get(user))
                    .layer(vigil::axum::layer());
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                let addr = listener.local_addr().unwrap();
                tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
                mixed(format!("http://{addr}/users/1")).await;
                // An operation outside any transaction is one of its own.
                schema().execute("query Version { version }").await;
            })
        });
        let txs = captured.payloads("transaction");
        // Each kind once (opening the database runs queries of its own).
        let mut got = origins(named(&txs, "mixed"));
        got.sort();
        got.dedup();
        let want = [
            ("db.sql.query", "auto.db.sqlx"),
            ("function", "manual"),
            ("graphql.query", "auto.graphql.async_graphql"),
            ("http.client", "auto.http.reqwest"),
        ];
        let want: Vec<(String, String)> = want
            .iter()
            .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
            .collect();
        assert_eq!(got, want);
        let operation = named(&txs, "Version");
        assert_eq!(operation["transaction_info"]["source"], "component");
        assert_eq!(
            operation["contexts"]["trace"]["origin"],
            "auto.graphql.async_graphql"
        );
        let server = named(&txs, "GET /users/{id}");
        assert_eq!(server["contexts"]["trace"]["origin"], "auto.http.axum");
    }
}
