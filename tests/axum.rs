//! The `axum` feature: real requests through a router with `vigil::axum::layer()`, asserted on
//! the transactions and events vigil sends.
#![cfg(feature = "axum")]

mod common;

use axum::body::Body;
use axum::extract::Path;
use axum::http::{Request, StatusCode};
use axum::routing::get;
use axum::Router;
use tower::ServiceExt;
use vigil::protocol::{Context, SpanStatus, Transaction};

#[vigil::monitored(op = "db.query")]
async fn load_user(id: u64) -> Result<String, std::io::Error> {
    Ok(format!("user {id}"))
}

async fn user(Path(id): Path<u64>) -> String {
    // The handler's trace goes on to other services through these headers.
    let headers = vigil::propagation::headers();
    assert_eq!(headers.len(), 3);
    load_user(id).await.unwrap()
}

async fn fail() -> StatusCode {
    StatusCode::INTERNAL_SERVER_ERROR
}

async fn boom() -> &'static str {
    panic!("handler exploded")
}

async fn login() -> &'static str {
    vigil::set_user_context(vigil::User::new(7).username("ada"));
    vigil::capture_message!("logged in");
    "welcome"
}

async fn anonymous() -> &'static str {
    vigil::capture_message!("who am I");
    "?"
}

/// The app's own auth extractor: a header here, a session or JWT in real life.
struct CurrentUser(u64);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for CurrentUser {
    type Rejection = StatusCode;
    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _: &S,
    ) -> Result<Self, StatusCode> {
        let id = parts.headers.get("x-user-id").and_then(|v| v.to_str().ok());
        id.and_then(|id| id.parse().ok())
            .map(CurrentUser)
            .ok_or(StatusCode::UNAUTHORIZED)
    }
}

impl<S: Send + Sync> axum::extract::OptionalFromRequestParts<S> for CurrentUser {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Option<Self>, Self::Rejection> {
        Ok(
            <CurrentUser as axum::extract::FromRequestParts<S>>::from_request_parts(parts, state)
                .await
                .ok(),
        )
    }
}

impl vigil::axum::ToUser for CurrentUser {
    fn to_user(&self) -> vigil::User {
        vigil::User::new(self.0).username(format!("user{}", self.0))
    }
}

async fn me(vigil::axum::Authenticated(user): vigil::axum::Authenticated<CurrentUser>) -> String {
    vigil::capture_message!("who is it");
    format!("user {}", user.0)
}

#[vigil::monitored]
async fn load_invoice(id: u64) -> Result<String, std::io::Error> {
    Err(std::io::Error::other(format!("invoice {id} is corrupt")))
}

async fn invoice(Path(id): Path<u64>) -> Result<String, StatusCode> {
    load_invoice(id)
        .await
        .map_err(|_| StatusCode::INTERNAL_SERVER_ERROR)
}

async fn greeting(user: Option<vigil::axum::Authenticated<CurrentUser>>) -> String {
    vigil::capture_message!("greeted");
    match user {
        Some(vigil::axum::Authenticated(user)) => format!("hello {}", user.0),
        None => "hello stranger".into(),
    }
}

fn app() -> Router {
    Router::new()
        .route("/users/{id}", get(user))
        .route("/fail", get(fail))
        .route("/panic", get(boom))
        .route("/login", get(login))
        .route("/anonymous", get(anonymous))
        .route("/me", get(me))
        .route("/greeting", get(greeting))
        .route("/invoices/{id}", get(invoice))
        .layer(vigil::axum::layer())
}

async fn get_status(uri: &str, headers: &[(&str, &str)]) -> StatusCode {
    let mut req = Request::builder().uri(uri);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    app()
        .oneshot(req.body(Body::empty()).unwrap())
        .await
        .unwrap()
        .status()
}

fn trace(tx: &Transaction<'static>) -> vigil::protocol::TraceContext {
    match tx.contexts.get("trace") {
        Some(Context::Trace(t)) => (**t).clone(),
        _ => panic!("no trace context"),
    }
}

#[test]
fn one_transaction_per_request_named_by_the_route() {
    let captured = vigil::testing::capture(|| {
        let status = common::block_on(get_status(
            "/users/42?page=2&token=abc",
            &[
                ("authorization", "Bearer s3cr3t"),
                ("cookie", "session=xyz"),
                ("accept", "text/plain"),
            ],
        ));
        assert_eq!(status, StatusCode::OK);
    });
    assert!(captured.events.is_empty());
    let tx = captured.single_transaction();
    assert_eq!(tx.name.as_deref(), Some("GET /users/{id}"));
    let t = trace(tx);
    assert_eq!(t.op.as_deref(), Some("http.server"));
    assert_eq!(t.status, Some(SpanStatus::Ok));
    assert_eq!(tx.tags["http.status_code"], "200");
    // What Sentry's product reads: the integration that made it, the response's status.
    assert_eq!(t.origin.as_deref(), Some("auto.http.axum"));
    assert_eq!(t.data["http.response.status_code"], 200);
    assert_eq!(tx.spans.len(), 1);
    assert_eq!(tx.spans[0].op.as_deref(), Some("db.query"));
    assert_eq!(tx.spans[0].parent_span_id, Some(t.span_id));
    let request = tx.request.as_ref().unwrap();
    assert_eq!(request.method.as_deref(), Some("GET"));
    assert_eq!(
        request.query_string.as_deref(),
        Some("page=2&token=[Filtered]")
    );
    assert_eq!(request.headers["authorization"], "[Filtered]");
    assert_eq!(request.headers["cookie"], "[Filtered]");
    assert_eq!(request.headers["accept"], "text/plain");
    let wire = format!("{:?}", captured.envelopes);
    assert!(!wire.contains("s3cr3t") && !wire.contains("xyz") && !wire.contains("token=abc"));
}

#[test]
fn every_5xx_and_every_panic_is_one_error_event() {
    let captured = vigil::testing::capture(|| {
        assert_eq!(
            common::block_on(get_status("/fail", &[])),
            StatusCode::INTERNAL_SERVER_ERROR
        );
        assert_eq!(
            common::block_on(get_status("/panic", &[])),
            StatusCode::INTERNAL_SERVER_ERROR
        );
        assert_eq!(
            common::block_on(get_status("/users/1", &[])),
            StatusCode::OK
        );
    });
    assert_eq!(captured.events.len(), 2, "{:#?}", captured.events);
    let fail = &captured.events[0];
    assert_eq!(
        fail.message.as_deref(),
        Some("GET /fail responded 500 Internal Server Error")
    );
    assert_eq!(fail.tags["http.status_code"], "500");
    assert_eq!(
        fail.request.as_ref().unwrap().method.as_deref(),
        Some("GET")
    );
    let panic = &captured.events[1];
    assert_eq!(
        panic.exception.values.last().unwrap().value.as_deref(),
        Some("handler exploded")
    );
    assert_eq!(panic.transaction.as_deref(), Some("GET /panic"));
    let statuses: Vec<_> = captured
        .transactions
        .iter()
        .map(|t| trace(t).status)
        .collect();
    assert_eq!(
        statuses,
        vec![
            Some(SpanStatus::InternalError),
            Some(SpanStatus::InternalError),
            Some(SpanStatus::Ok)
        ]
    );
}

#[test]
fn user_context_stays_with_its_request() {
    let captured = vigil::testing::capture(|| {
        assert_eq!(common::block_on(get_status("/login", &[])), StatusCode::OK);
        assert_eq!(
            common::block_on(get_status("/anonymous", &[])),
            StatusCode::OK
        );
    });
    let [login, anonymous] = captured.events.as_slice() else {
        panic!("two events expected")
    };
    assert_eq!(login.user.as_ref().unwrap().id.as_deref(), Some("7"));
    assert!(
        anonymous.user.is_none(),
        "the user of one request leaked into the next"
    );
    let login_tx = &captured.transactions[0];
    assert_eq!(
        login_tx.user.as_ref().unwrap().username.as_deref(),
        Some("ada")
    );
}

#[test]
fn the_callers_trace_continues() {
    let trace_id = "771a43a4192642f0b136d5159a501700";
    let captured = vigil::testing::capture(|| {
        common::block_on(get_status(
            "/users/1",
            &[("sentry-trace", &format!("{trace_id}-1234567890abcdef-1"))],
        ));
        common::block_on(get_status(
            "/users/2",
            &[("traceparent", &format!("00-{trace_id}-fedcba0987654321-01"))],
        ));
        // The caller decided not to sample: nothing is recorded.
        common::block_on(get_status(
            "/users/3",
            &[("sentry-trace", &format!("{trace_id}-1234567890abcdef-0"))],
        ));
    });
    assert_eq!(captured.transactions.len(), 2);
    let a = trace(&captured.transactions[0]);
    assert_eq!(a.trace_id.to_string(), trace_id);
    assert_eq!(
        a.parent_span_id.map(|s| s.to_string()).as_deref(),
        Some("1234567890abcdef")
    );
    let b = trace(&captured.transactions[1]);
    assert_eq!(b.trace_id.to_string(), trace_id);
    assert_eq!(
        b.parent_span_id.map(|s| s.to_string()).as_deref(),
        Some("fedcba0987654321")
    );
}

#[test]
fn the_apps_auth_extractor_sets_the_user_for_its_request_only() {
    let captured = vigil::testing::capture(|| {
        assert_eq!(
            common::block_on(get_status("/me", &[("x-user-id", "42")])),
            StatusCode::OK
        );
        // Rejected by the app's extractor: its own rejection, and no user.
        assert_eq!(
            common::block_on(get_status("/me", &[])),
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(
            common::block_on(get_status("/anonymous", &[])),
            StatusCode::OK
        );
    });
    let [me, anonymous] = captured.events.as_slice() else {
        panic!("{:#?}", captured.events);
    };
    let user = me.user.as_ref().expect("the user of /me");
    assert_eq!(user.id.as_deref(), Some("42"));
    assert_eq!(user.username.as_deref(), Some("user42"));
    assert!(
        anonymous.user.is_none(),
        "the user leaked into the next request"
    );
    let me_tx = captured
        .transactions
        .iter()
        .find(|t| t.name.as_deref() == Some("GET /me") && t.user.is_some())
        .expect("the /me transaction, with its user");
    assert_eq!(me_tx.user.as_ref().unwrap().id.as_deref(), Some("42"));
}

#[test]
fn a_500_after_a_captured_error_is_that_one_event() {
    let captured = vigil::testing::capture(|| {
        assert_eq!(
            common::block_on(get_status("/invoices/3", &[])),
            StatusCode::INTERNAL_SERVER_ERROR
        );
    });
    // The monitored function's event, with the request's context: not a second, vaguer one.
    let event = captured.single_event();
    assert_eq!(
        event.exception.values[0].value.as_deref(),
        Some("invoice 3 is corrupt")
    );
    assert_eq!(event.transaction.as_deref(), Some("GET /invoices/{id}"));
    assert_eq!(
        event.request.as_ref().unwrap().method.as_deref(),
        Some("GET")
    );
    let tx = captured.single_transaction();
    assert_eq!(tx.tags["http.status_code"], "500");
}

#[test]
fn an_optional_user_is_set_when_there_is_one() {
    let captured = vigil::testing::capture(|| {
        assert_eq!(
            common::block_on(get_status("/greeting", &[("x-user-id", "5")])),
            StatusCode::OK
        );
        assert_eq!(
            common::block_on(get_status("/greeting", &[])),
            StatusCode::OK
        );
    });
    let [known, stranger] = captured.events.as_slice() else {
        panic!("{:#?}", captured.events);
    };
    assert_eq!(known.user.as_ref().unwrap().id.as_deref(), Some("5"));
    assert!(stranger.user.is_none());
}
