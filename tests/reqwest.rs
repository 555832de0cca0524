//! The `reqwest` feature: calls through `vigil::reqwest::middleware()` to a service on
//! loopback that runs `vigil::axum::layer()`, asserted on what both sides send.
#![cfg(all(feature = "reqwest", feature = "axum"))]

mod common;

use std::net::SocketAddr;

use axum::extract::Path;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::get;
use axum::Router;
use reqwest_middleware::ClientWithMiddleware;
use vigil::protocol::{Breadcrumb, Context, Span, SpanStatus, TraceContext, Transaction};

/// The downstream service: echoes the trace headers it received.
async fn echo(headers: HeaderMap) -> String {
    ["sentry-trace", "baggage", "traceparent"]
        .iter()
        .map(|h| {
            let value = headers.get(*h).and_then(|v| v.to_str().ok()).unwrap_or("");
            format!("{h}={value}\n")
        })
        .collect()
}

async fn status(Path(code): Path<u16>) -> StatusCode {
    StatusCode::from_u16(code).unwrap()
}

/// Serves the downstream service on a loopback port, on the current runtime.
async fn serve() -> SocketAddr {
    let app = Router::new()
        .route("/echo", get(echo))
        .route("/status/{code}", get(status))
        .layer(vigil::axum::layer());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    addr
}

fn client() -> ClientWithMiddleware {
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    reqwest_middleware::ClientBuilder::new(client)
        .with(vigil::reqwest::middleware())
        .build()
}

/// A monitored function that makes the call: the `http.client` span is its child.
#[vigil::monitored(skip_all)]
async fn fetch(
    client: &ClientWithMiddleware,
    url: String,
) -> Result<String, reqwest_middleware::Error> {
    Ok(client.get(url).send().await?.text().await?)
}

#[vigil::transaction(op = "task", name = "caller", skip_all)]
async fn caller(client: &ClientWithMiddleware, url: String) -> Option<String> {
    let body = fetch(client, url).await.ok();
    vigil::capture_message!("after the call", level = warning);
    body
}

/// Loopback URLs hold an IP address, which vigil scrubs as personal data unless allowed.
fn capture(f: impl FnOnce()) -> vigil::testing::Captured {
    let config = vigil::Config::new()
        .traces_sample_rate(1.0)
        .send_default_pii(true);
    vigil::testing::capture_with(config, f).unwrap()
}

fn trace(tx: &Transaction<'static>) -> TraceContext {
    match &tx.contexts["trace"] {
        Context::Trace(t) => (**t).clone(),
        other => panic!("{other:?}"),
    }
}

fn http_span<'a>(tx: &'a Transaction<'static>) -> &'a Span {
    let spans: Vec<&Span> = tx
        .spans
        .iter()
        .filter(|s| s.op.as_deref() == Some("http.client"))
        .collect();
    assert_eq!(spans.len(), 1, "{:#?}", tx.spans);
    spans[0]
}

/// The message event captured after the call.
fn after(captured: &vigil::testing::Captured) -> &vigil::protocol::Event<'static> {
    let events: Vec<_> = captured
        .events
        .iter()
        .filter(|e| e.message.as_deref().is_some_and(|m| m.starts_with("after")))
        .collect();
    assert_eq!(events.len(), 1, "{:#?}", captured.events);
    events[0]
}

fn http_breadcrumbs(event: &vigil::protocol::Event<'static>) -> Vec<Breadcrumb> {
    event
        .breadcrumbs
        .values
        .iter()
        .filter(|b| b.ty == "http")
        .cloned()
        .collect()
}

#[test]
fn the_call_is_a_child_span_and_the_downstream_transaction_continues_the_trace() {
    let mut echoed = None;
    let mut port = 0;
    let captured = capture(|| {
        common::block_on(async {
            let addr = serve().await;
            port = addr.port();
            echoed = caller(
                &client(),
                format!("http://{addr}/echo?token=abc123&page=2#top"),
            )
            .await;
        });
    });
    let echoed = echoed.expect("the call succeeded");
    let (upstream, downstream): (Vec<_>, Vec<_>) = captured
        .transactions
        .iter()
        .partition(|t| t.name.as_deref() == Some("caller"));
    let (upstream, downstream) = (upstream[0], downstream[0]);
    assert_eq!(downstream.name.as_deref(), Some("GET /echo"));

    // The span: under the monitored function's span, described `METHOD url` without query.
    let fetch_span = upstream
        .spans
        .iter()
        .find(|s| s.description.as_deref() == Some("reqwest::fetch"))
        .unwrap();
    let span = http_span(upstream);
    assert_eq!(span.parent_span_id, Some(fetch_span.span_id));
    let url = format!("http://127.0.0.1:{port}/echo");
    assert_eq!(
        span.description.as_deref(),
        Some(format!("GET {url}").as_str())
    );
    assert_eq!(span.data["http.request.method"], "GET");
    assert_eq!(span.data["url"], url.as_str());
    assert_eq!(span.data["server.address"], "127.0.0.1");
    assert_eq!(span.data["http.response.status_code"], 200);
    assert_eq!(span.data["http.fragment"], "top");
    // The query's secret is scrubbed like any other value (a value holding `token=` is
    // filtered whole, as Sentry's server does).
    let query = span.data["http.query"].as_str().unwrap();
    assert!(!query.contains("abc123"), "{query}");
    assert_eq!(span.status, Some(SpanStatus::Ok));

    // The server received the headers of the request's own span, in the caller's trace...
    let up = trace(upstream);
    let span_id = span.span_id.to_string();
    assert!(
        echoed.contains(&format!("sentry-trace={}-{span_id}-1\n", up.trace_id)),
        "{echoed}"
    );
    assert!(echoed.contains(&format!("traceparent=00-{}-{span_id}-01\n", up.trace_id)));
    assert!(echoed.contains(&format!("baggage=sentry-trace_id={},", up.trace_id)));
    // ... and its transaction continues that trace, under the call's span.
    let down = trace(downstream);
    assert_eq!(down.trace_id, up.trace_id);
    assert_eq!(down.parent_span_id, Some(span.span_id));

    // A breadcrumb for the call goes with the next event.
    let crumbs = http_breadcrumbs(after(&captured));
    assert_eq!(crumbs.len(), 1);
    assert_eq!(crumbs[0].category.as_deref(), Some("http"));
    assert_eq!(crumbs[0].data["method"], "GET");
    assert_eq!(crumbs[0].data["url"], url.as_str());
    assert_eq!(crumbs[0].data["status_code"], 200);
}

#[test]
fn the_status_code_is_the_span_status() {
    let captured = capture(|| {
        common::block_on(async {
            let addr = serve().await;
            caller(&client(), format!("http://{addr}/status/404")).await;
        });
    });
    let upstream = captured
        .transactions
        .iter()
        .find(|t| t.name.as_deref() == Some("caller"))
        .unwrap();
    let span = http_span(upstream);
    assert_eq!(span.status, Some(SpanStatus::NotFound));
    assert_eq!(span.data["http.response.status_code"], 404);
    let crumbs = http_breadcrumbs(after(&captured));
    assert_eq!(crumbs[0].level, vigil::Level::Warning);
}

#[test]
fn a_refused_connection_is_a_failed_span_and_no_panic() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let mut body = Some(String::new());
    let captured = capture(|| {
        body = common::block_on(caller(
            &client(),
            format!("http://127.0.0.1:{port}/nothing"),
        ));
    });
    assert_eq!(body, None, "the call failed");
    let span = http_span(captured.single_transaction());
    assert_eq!(span.status, Some(SpanStatus::InternalError));
    assert!(!span.data.contains_key("http.response.status_code"));
    let crumbs = http_breadcrumbs(after(&captured));
    assert_eq!(crumbs.len(), 1);
    assert_eq!(crumbs[0].level, vigil::Level::Error);
    assert!(!crumbs[0].data.contains_key("status_code"));
    assert_eq!(
        crumbs[0].data["url"],
        format!("http://127.0.0.1:{port}/nothing").as_str()
    );

    // Without `send_default_pii`, the IP address in the URL is scrubbed like any other.
    let captured = vigil::testing::capture(|| {
        common::block_on(caller(
            &client(),
            format!("http://127.0.0.1:{port}/nothing"),
        ));
    });
    let span = http_span(captured.single_transaction());
    assert!(!span.description.as_deref().unwrap().contains("127.0.0.1"));
}

#[test]
fn no_headers_for_urls_outside_the_propagation_targets() {
    let mut echoed = None;
    let config = vigil::Config::new()
        .traces_sample_rate(1.0)
        .trace_propagation_targets(["^https://api\\.example\\.com/"]);
    let captured = vigil::testing::capture_with(config, || {
        common::block_on(async {
            let addr = serve().await;
            echoed = caller(&client(), format!("http://{addr}/echo")).await;
        });
    })
    .unwrap();
    assert_eq!(
        echoed.as_deref(),
        Some("sentry-trace=\nbaggage=\ntraceparent=\n")
    );
    let upstream = captured
        .transactions
        .iter()
        .find(|t| t.name.as_deref() == Some("caller"))
        .unwrap();
    http_span(upstream); // still recorded
    let downstream = captured
        .transactions
        .iter()
        .find(|t| t.name.as_deref() == Some("GET /echo"))
        .unwrap();
    assert_ne!(trace(downstream).trace_id, trace(upstream).trace_id);
}

#[test]
fn outside_a_transaction_no_span_and_no_header() {
    let mut echoed = None;
    let captured = vigil::testing::capture(|| {
        common::block_on(async {
            let addr = serve().await;
            echoed = client()
                .get(format!("http://{addr}/echo"))
                .send()
                .await
                .unwrap()
                .text()
                .await
                .ok();
            vigil::capture_message!("after", level = warning);
        });
    });
    assert_eq!(
        echoed.as_deref(),
        Some("sentry-trace=\nbaggage=\ntraceparent=\n")
    );
    // The breadcrumb is still there: it does not need a span.
    assert_eq!(http_breadcrumbs(after(&captured)).len(), 1);
}

#[test]
fn disabled_the_middleware_passes_requests_through() {
    common::block_on(async {
        let addr = serve().await;
        let _tx = vigil::start_transaction("off", "task");
        let echoed = client()
            .get(format!("http://{addr}/echo"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert_eq!(echoed, "sentry-trace=\nbaggage=\ntraceparent=\n");
    });
}
