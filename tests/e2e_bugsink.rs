//! End to end against a real Sentry-compatible server: Bugsink (from PyPI), set up and
//! started by `.ci/bugsink.sh`. What the server stored is read back through its REST API.
//! Bugsink keeps errors only (and rate-limits transactions for a day), so transactions go to
//! a separate loopback endpoint and are parsed with the `sentry` crate's own envelope parser.
//!
//! No silent skip: if the server cannot be set up or started, this test fails and says why.
//! Its own test binary: `init` binds a process-wide client.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;
use vigil::protocol::{Envelope, EnvelopeItem};

/// The server (`.ci/bugsink.sh`), with its DSN, TOKEN, URL and PROJECT.
struct Bugsink {
    server: common::CiServer,
}

impl Bugsink {
    fn start() -> Bugsink {
        Bugsink {
            server: common::CiServer::start("bugsink.sh", "Bugsink"),
        }
    }

    fn env(&self, key: &str) -> &str {
        &self.server.env[key]
    }

    /// The full event JSON as the server stored it.
    fn stored_event(&self, event_id: &str) -> Value {
        let url = format!(
            "{}/api/canonical/0/events/lookup/?project={}&event_id={event_id}",
            self.env("URL"),
            self.env("PROJECT")
        );
        common::bugsink_get(&url, self.env("TOKEN"))
    }
}

#[derive(Debug)]
struct Refused(&'static str);
impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "connection refused by {}", self.0)
    }
}
impl std::error::Error for Refused {}

#[derive(Debug)]
struct PaymentFailed(Refused);
impl std::fmt::Display for PaymentFailed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "payment failed for password=hunter2e2e")
    }
}
impl std::error::Error for PaymentFailed {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.0)
    }
}

#[derive(serde::Serialize)]
struct Cart {
    items: u32,
    total: u64,
}

#[vigil::monitored(op = "db.query")]
fn load(order: u64) -> u64 {
    order * 2
}

#[vigil::transaction(op = "task", name = "process_order")]
fn process_order(order: u64) -> u64 {
    load(order) + load(order + 1)
}

/// A loopback endpoint that keeps every envelope body it receives.
fn collector() -> (u16, Arc<Mutex<Vec<Vec<u8>>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let bodies: Arc<Mutex<Vec<Vec<u8>>>> = Arc::default();
    let kept = Arc::clone(&bodies);
    std::thread::spawn(move || {
        // Each connection on its own thread: a client may open a new one while an idle
        // kept-alive one is still open.
        for stream in listener.incoming().flatten() {
            let kept = Arc::clone(&kept);
            std::thread::spawn(move || serve_connection(stream, &kept));
        }
    });
    (port, bodies)
}

fn serve_connection(mut stream: std::net::TcpStream, kept: &Mutex<Vec<Vec<u8>>>) {
    let Ok(clone) = stream.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(clone);
    loop {
        let mut length = 0usize;
        let mut line = String::new();
        let mut ok = false;
        while reader.read_line(&mut line).unwrap_or(0) > 0 {
            let l = line.trim_end().to_owned();
            line.clear();
            if l.is_empty() {
                ok = true;
                break;
            }
            if let Some((k, v)) = l.split_once(':') {
                if k.eq_ignore_ascii_case("content-length") {
                    length = v.trim().parse().unwrap_or(0);
                }
            }
        }
        if !ok {
            break;
        }
        let mut body = vec![0; length];
        if reader.read_exact(&mut body).is_err() {
            break;
        }
        kept.lock().unwrap().push(body);
        let _ = stream.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}");
    }
}

#[test]
fn what_the_server_stores_is_intact_and_scrubbed() {
    let server = Bugsink::start();
    let guard = vigil::init_with(
        vigil::Config::new()
            .dsn(server.env("DSN").to_owned())
            .release("e2e@1.0.0")
            .environment(vigil::Environment::Staging),
    )
    .unwrap();
    vigil::set_user_context(vigil::User::new(42).username("ada"));
    vigil::add_breadcrumb!(
        "opened settings with Bearer abcdef0123456789",
        category = "ui",
        step = 3
    );
    let err = PaymentFailed(Refused("gateway.internal"));
    let id = vigil::capture_exception!(
        err,
        order = 7,
        api_key = "sk_live_e2e_secret",
        cart = Cart {
            items: 2,
            total: 4200
        }
    );
    // A log line at ERROR is an issue of its own: logger, message, fields (scrubbed).
    let log_event = {
        use tracing_subscriber::layer::SubscriberExt;
        let subscriber = tracing_subscriber::registry().with(vigil::tracing_layer());
        tracing::subscriber::with_default(subscriber, || {
            tracing::error!(
                order = 7,
                token = "e2e_log_secret_token",
                "payment gateway unreachable"
            );
        });
        sentry::Hub::current()
            .last_event_id()
            .expect("the ERROR log was captured")
    };
    #[cfg(feature = "axum")]
    let request_event = capture_inside_a_request();
    assert!(guard.flush(Duration::from_secs(10)));
    drop(guard);

    #[cfg(feature = "axum")]
    {
        let stored = server.stored_event(&request_event);
        let request = &stored["data"]["request"];
        assert_eq!(request["method"], "GET");
        assert!(
            request["url"].as_str().unwrap().ends_with("/orders/9"),
            "{request}"
        );
        let text = request.to_string();
        assert!(text.contains("[Filtered]"), "{text}");
        assert!(
            !text.contains("e2esecrettoken") && !text.contains("abc123token"),
            "{text}"
        );
        assert_eq!(stored["data"]["transaction"], "GET /orders/{id}");
    }

    let stored = server.stored_event(&log_event.simple().to_string());
    let data = &stored["data"];
    // `error` is the protocol's default level: the `sentry` crate leaves it out.
    assert!(
        data["level"].is_null() || data["level"] == "error",
        "{}",
        data["level"]
    );
    assert_eq!(data["logger"], "e2e_bugsink");
    assert_eq!(data["logentry"]["message"], "payment gateway unreachable");
    assert_eq!(data["extra"]["order"], 7);
    assert_eq!(data["extra"]["token"], "[Filtered]");
    assert!(!stored.to_string().contains("e2e_log_secret_token"));

    let stored = server.stored_event(&id.simple().to_string());
    let data = &stored["data"];
    let exceptions: Vec<(String, String)> = data["exception"]["values"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["type"].as_str().unwrap().to_owned(),
                e["value"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        exceptions,
        vec![
            (
                "Refused".to_owned(),
                "connection refused by gateway.internal".to_owned()
            ),
            (
                "PaymentFailed".to_owned(),
                "payment failed for password=[Filtered]".to_owned()
            ),
        ]
    );
    assert_eq!(data["tags"]["order"], "7");
    assert_eq!(data["extra"]["api_key"], "[Filtered]");
    assert_eq!(
        data["extra"]["cart"],
        serde_json::json!({"items": 2, "total": 4200})
    );
    assert_eq!(data["user"]["id"], "42");
    assert_eq!(data["user"]["username"], "ada");
    let crumb = &data["breadcrumbs"]["values"][0];
    assert_eq!(crumb["message"], "opened settings with [Filtered]");
    assert_eq!(crumb["category"], "ui");
    assert_eq!(crumb["data"]["step"], 3);
    assert_eq!(data["release"], "e2e@1.0.0");
    assert_eq!(data["environment"], "staging");
    let text = stored.to_string();
    for secret in ["hunter2e2e", "sk_live_e2e_secret", "abcdef0123456789"] {
        assert!(!text.contains(secret), "{secret} reached the server");
    }

    // Transactions, to a loopback endpoint, parsed as envelopes.
    let (port, bodies) = collector();
    let guard = vigil::init_with(
        vigil::Config::new()
            .dsn(format!("http://key@127.0.0.1:{port}/1"))
            .traces_sample_rate(1.0),
    )
    .unwrap();
    assert_eq!(process_order(5), 22);
    assert!(guard.flush(Duration::from_secs(10)));
    drop(guard);
    let transactions: Vec<_> = bodies
        .lock()
        .unwrap()
        .iter()
        .map(|b| Envelope::from_slice(b).expect("a valid envelope"))
        .flat_map(|e| e.into_items())
        .filter_map(|i| match i {
            EnvelopeItem::Transaction(t) => Some(t),
            _ => None,
        })
        .collect();
    assert_eq!(transactions.len(), 1);
    let tx = &transactions[0];
    assert_eq!(tx.name.as_deref(), Some("process_order"));
    let Some(vigil::protocol::Context::Trace(trace)) = tx.contexts.get("trace") else {
        panic!("no trace context")
    };
    assert_eq!(tx.spans.len(), 2);
    for span in &tx.spans {
        assert_eq!(span.op.as_deref(), Some("db.query"));
        assert_eq!(span.parent_span_id, Some(trace.span_id));
        assert_eq!(span.trace_id, trace.trace_id);
    }
    assert_eq!(tx.spans[0].data["order"], 5);
    assert_eq!(tx.spans[1].data["order"], 6);
}

/// An event captured inside a request served through `vigil::axum::layer()`; its id.
#[cfg(feature = "axum")]
fn capture_inside_a_request() -> String {
    use axum::body::Body;
    use axum::http::Request;
    use axum::routing::get;
    use tower::ServiceExt;

    static ID: Mutex<Option<String>> = Mutex::new(None);
    let app = axum::Router::new()
        .route(
            "/orders/{id}",
            get(|| async {
                let id = vigil::capture_message!("inside a request");
                *ID.lock().unwrap() = Some(id.simple().to_string());
                "ok"
            }),
        )
        .layer(vigil::axum::layer());
    let request = Request::builder()
        .uri("/orders/9?token=abc123token&page=1")
        .header("authorization", "Bearer e2esecrettoken")
        .body(Body::empty())
        .unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let response = runtime.block_on(app.oneshot(request)).unwrap();
    assert!(response.status().is_success());
    let id = ID.lock().unwrap().clone();
    id.expect("the handler ran")
}
