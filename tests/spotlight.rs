//! Spotlight on the loopback: a stand-in for Spotlight's sidecar that records each request
//! and checks it as the sidecar does (`POST /stream`, `Content-Type:
//! application/x-sentry-envelope`, the body an envelope). `init` binds a process-wide client,
//! so this file is its own test binary and its tests take turns.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use vigil::protocol::{Envelope, EnvelopeItem};

/// One request as the server saw it.
#[derive(Clone, Debug)]
struct Request {
    method: Method,
    path: String,
    content_type: Option<String>,
    body: Vec<u8>,
}

type Seen = Arc<Mutex<Vec<Request>>>;

/// A server on 127.0.0.1 recording every request; `stall` makes it never answer.
fn serve(stall: bool) -> (SocketAddr, Seen) {
    let seen: Seen = Arc::default();
    let recorded = Arc::clone(&seen);
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            let app = axum::Router::new().fallback(
                move |method: Method, uri: Uri, headers: HeaderMap, body: Bytes| {
                    let recorded = Arc::clone(&recorded);
                    async move {
                        let content_type = headers
                            .get("content-type")
                            .and_then(|v| v.to_str().ok())
                            .map(str::to_owned);
                        recorded.lock().unwrap().push(Request {
                            method,
                            path: uri.path().to_owned(),
                            content_type,
                            body: body.to_vec(),
                        });
                        if stall {
                            tokio::time::sleep(Duration::from_secs(3600)).await;
                        }
                        // What the sidecar answers.
                        StatusCode::OK
                    }
                },
            );
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            tx.send(listener.local_addr().unwrap()).unwrap();
            axum::serve(listener, app).await.unwrap();
        });
    });
    (rx.recv().unwrap(), seen)
}

/// Waits (at most 10 s) until `seen` holds `n` requests for `path`.
fn wait_for(seen: &Seen, path: &str, n: usize) -> Vec<Request> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let got: Vec<Request> = seen
            .lock()
            .unwrap()
            .iter()
            .filter(|r| r.path == path)
            .cloned()
            .collect();
        if got.len() >= n || Instant::now() > deadline {
            return got;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

#[test]
fn every_envelope_goes_to_the_sidecar_scrubbed_as_spotlight_expects() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let (addr, seen) = serve(false);
    // SENTRY_SPOTLIGHT holds the sidecar's URL; no DSN: Spotlight is the only destination.
    let url = format!("http://{addr}/stream");
    let config = vigil::Config::from_lookup(|k| (k == "SENTRY_SPOTLIGHT").then(|| url.clone()))
        .unwrap()
        .release("spotlight-test@1.0.0")
        // No session envelope (the application session of a build without an HTTP server
        // integration): this test counts the envelopes it made.
        .release_health(false);
    assert_eq!(config.effective_spotlight_url(), Some(url.as_str()));
    let guard = vigil::init_with(config).unwrap();
    assert!(guard.is_enabled(), "Spotlight alone enables vigil");

    let id = vigil::capture_message!(
        "login for token Bearer abc.def.ghi",
        level = warning,
        api_key = "sk_live_123"
    );
    {
        let tx = vigil::start_transaction("spotlit", "task");
        tx.set_data("password", "hunter2");
        let child = tx.start_child("db.query", "SELECT 1");
        child.finish();
    }
    assert!(guard.flush(Duration::from_secs(5)));
    let requests = wait_for(&seen, "/stream", 2);
    drop(guard);

    let all = seen.lock().unwrap().clone();
    assert_eq!(
        all.len(),
        2,
        "one request per envelope, nothing else: {all:#?}"
    );
    let mut kinds = Vec::new();
    for request in &requests {
        assert_eq!(request.method, Method::POST);
        assert_eq!(request.path, "/stream");
        assert_eq!(
            request.content_type.as_deref(),
            Some("application/x-sentry-envelope")
        );
        let text = String::from_utf8_lossy(&request.body);
        assert!(!text.contains("__vigil_wire"), "{text}");
        for secret in ["abc.def.ghi", "sk_live_123", "hunter2"] {
            assert!(!text.contains(secret), "{secret} reached Spotlight: {text}");
        }
        let envelope = Envelope::from_slice(&request.body).expect("the body is an envelope");
        for item in envelope.items() {
            match item {
                EnvelopeItem::Event(event) => {
                    kinds.push("event");
                    assert_eq!(event.event_id, id);
                    assert_eq!(event.message.as_deref(), Some("login for token [Filtered]"));
                    assert_eq!(event.extra["api_key"], "[Filtered]");
                    assert_eq!(event.release.as_deref(), Some("spotlight-test@1.0.0"));
                }
                EnvelopeItem::Transaction(tx) => {
                    kinds.push("transaction");
                    assert_eq!(tx.name.as_deref(), Some("spotlit"));
                    assert_eq!(tx.spans.len(), 1);
                    // What the typed protocol lacks is written too (see tests/wire.rs).
                    for field in [
                        r#""transaction_info":{"source":"custom"}"#,
                        r#""origin":"manual""#,
                    ] {
                        assert!(text.contains(field), "no {field}: {text}");
                    }
                }
                other => panic!("unexpected item {other:?}"),
            }
        }
    }
    assert_eq!(kinds, ["event", "transaction"]);
}

#[test]
fn spotlight_gets_a_copy_of_what_goes_to_sentry() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    // The same server plays Sentry (the DSN) and the sidecar (Config::spotlight).
    let (addr, seen) = serve(false);
    let guard = vigil::init_with(
        vigil::Config::new()
            .dsn(format!("http://key@{addr}/1"))
            .spotlight(format!("http://{addr}/stream")),
    )
    .unwrap();
    vigil::capture_message!("to both", password = "hunter2");
    assert!(guard.flush(Duration::from_secs(5)));
    let to_sentry = wait_for(&seen, "/api/1/envelope/", 1);
    let to_spotlight = wait_for(&seen, "/stream", 1);
    drop(guard);
    assert_eq!(to_sentry.len(), 1, "{:#?}", seen.lock().unwrap());
    assert_eq!(to_spotlight.len(), 1, "{:#?}", seen.lock().unwrap());
    let sentry = Envelope::from_slice(&to_sentry[0].body).unwrap();
    let spotlight = Envelope::from_slice(&to_spotlight[0].body).unwrap();
    assert_eq!(spotlight, sentry, "Spotlight sees exactly what Sentry gets");
    assert_eq!(
        spotlight.event().unwrap().extra["password"],
        "[Filtered]",
        "scrubbed"
    );
    assert_eq!(
        to_spotlight[0].content_type.as_deref(),
        Some("application/x-sentry-envelope")
    );
}

#[test]
fn a_stalled_sidecar_never_blocks_the_caller() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let (addr, seen) = serve(true);
    let guard = vigil::init_with(
        vigil::Config::new()
            .spotlight(format!("http://{addr}/stream"))
            .shutdown_timeout(Duration::from_millis(500)),
    )
    .unwrap();
    // The first request hangs; the queue fills; every capture still returns at once.
    let started = Instant::now();
    for i in 0..500 {
        vigil::capture_message!("while Spotlight hangs", i = i);
    }
    let took = started.elapsed();
    assert!(
        took < Duration::from_secs(2),
        "500 captures took {took:?} with a stalled sidecar"
    );
    assert!(
        !guard.flush(Duration::from_millis(200)),
        "nothing drains while the sidecar hangs"
    );
    let dropping = Instant::now();
    drop(guard);
    assert!(
        dropping.elapsed() < Duration::from_secs(2),
        "dropping the guard took {:?}",
        dropping.elapsed()
    );
    assert_eq!(
        wait_for(&seen, "/stream", 1).len(),
        1,
        "the one stalled request"
    );
}
