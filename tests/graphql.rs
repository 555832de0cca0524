//! The `async-graphql` feature: real GraphQL requests through an axum router with
//! `vigil::axum::layer()` and a schema with `vigil::async_graphql::extension()`, asserted on
//! the transactions and events vigil sends.
#![cfg(all(feature = "async-graphql", feature = "axum"))]

mod common;

use async_graphql::{EmptySubscription, Object, Schema};
use axum::body::Body;
use axum::http::Request;
use axum::routing::post;
use axum::{Json, Router};
use http_body_util::BodyExt;
use tower::ServiceExt;
use vigil::protocol::{Context, Event, SpanStatus};

const PASSWORD: &str = "correct-horse-battery-staple-42";

#[derive(Debug)]
struct NotFound(u64);

impl std::fmt::Display for NotFound {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "no order {}", self.0)
    }
}

impl std::error::Error for NotFound {}

#[vigil::monitored(op = "db.query")]
async fn load_order(id: u64) -> Result<String, NotFound> {
    if id == 7 {
        Ok("order 7".into())
    } else {
        Err(NotFound(id))
    }
}

struct Query;

#[Object]
impl Query {
    async fn order(&self, id: u64) -> async_graphql::Result<String> {
        Ok(load_order(id).await?)
    }

    async fn version(&self) -> &'static str {
        "1.0"
    }
}

struct Mutation;

#[Object]
impl Mutation {
    async fn login(&self, email: String, password: String) -> async_graphql::Result<bool> {
        let _ = password;
        Err(format!("no account for {email}").into())
    }
}

type AppSchema = Schema<Query, Mutation, EmptySubscription>;

async fn graphql(
    axum::extract::State(schema): axum::extract::State<AppSchema>,
    Json(request): Json<async_graphql::Request>,
) -> Json<async_graphql::Response> {
    Json(schema.execute(request).await)
}

fn app() -> Router {
    let schema = Schema::build(Query, Mutation, EmptySubscription)
        .extension(vigil::async_graphql::extension())
        .finish();
    Router::new()
        .route("/graphql", post(graphql))
        .with_state(schema)
        .layer(vigil::axum::layer())
}

fn post_graphql(body: serde_json::Value) -> serde_json::Value {
    common::block_on(async {
        let request = Request::post("/graphql")
            .header("content-type", "application/json")
            .body(Body::from(body.to_string()))
            .unwrap();
        let response = app().oneshot(request).await.unwrap();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        serde_json::from_slice(&bytes).unwrap()
    })
}

fn graphql_context<'a>(
    event: &'a Event<'static>,
) -> &'a vigil::protocol::Map<String, serde_json::Value> {
    match event.contexts.get("graphql") {
        Some(Context::Other(map)) => map,
        other => panic!("no graphql context: {other:?}"),
    }
}

#[test]
fn a_resolver_error_is_captured_with_path_operation_and_scrubbed_variables() {
    let captured = vigil::testing::capture(|| {
        let response = post_graphql(serde_json::json!({
            "query": "mutation Login($email: String!, $password: String!) { login(email: $email, password: $password) }",
            "operationName": "Login",
            "variables": { "email": "ada@example.com", "password": PASSWORD },
        }));
        assert_eq!(
            response["errors"][0]["message"],
            "no account for ada@example.com"
        );
    });

    let event = captured.single_event();
    assert_eq!(event.exception.values[0].ty, "GraphQLError");
    assert_eq!(event.tags["graphql.operation_name"], "Login");
    assert_eq!(event.tags["graphql.operation_type"], "mutation");
    assert_eq!(event.tags["graphql.path"], "login");
    let graphql = graphql_context(event);
    assert_eq!(graphql["path"], serde_json::json!(["login"]));
    assert_eq!(graphql["locations"][0]["line"], 1);
    assert_eq!(graphql["variables"]["password"], "[Filtered]");
    // The request it came with (the HTTP layer's context) and the trace it belongs to.
    assert_eq!(
        event.request.as_ref().unwrap().method.as_deref(),
        Some("POST")
    );
    let tx = captured.single_transaction();
    assert_eq!(tx.name.as_deref(), Some("POST /graphql"));
    let Some(Context::Trace(trace)) = event.contexts.get("trace") else {
        panic!("no trace context");
    };
    assert_eq!(
        Some(trace.trace_id),
        tx.contexts.get("trace").and_then(|c| match c {
            Context::Trace(t) => Some(t.trace_id),
            _ => None,
        })
    );

    // The operation is a span of the request's transaction, failed.
    let span = tx
        .spans
        .iter()
        .find(|s| s.op.as_deref() == Some("graphql.mutation"))
        .unwrap_or_else(|| panic!("no operation span: {:#?}", tx.spans));
    assert_eq!(span.description.as_deref(), Some("Login"));
    assert_eq!(span.status, Some(SpanStatus::InternalError));
    // A document that mentions a password may carry one inline: filtered whole, as
    // Sentry's server does with such data values.
    assert_eq!(span.data["graphql.document"], "[Filtered]");

    // The password never reaches the wire, wherever it might have gone.
    assert!(!common::wire(&captured.envelopes).contains(PASSWORD));
}

#[test]
fn an_error_a_monitored_resolver_captured_is_not_captured_twice() {
    let captured = vigil::testing::capture(|| {
        let response = post_graphql(serde_json::json!({ "query": "{ order(id: 9) }" }));
        assert_eq!(response["errors"][0]["message"], "no order 9");
    });
    // One event: the monitored function's, with the Rust error and its function.
    let event = captured.single_event();
    assert_eq!(event.exception.values[0].ty, "NotFound");
    assert!(event.tags["function"].ends_with("load_order"));
    let tx = captured.single_transaction();
    let operation = tx
        .spans
        .iter()
        .find(|s| s.op.as_deref() == Some("graphql.query"))
        .unwrap();
    assert_eq!(operation.description.as_deref(), Some("anonymous query"));
    // The resolver's monitored function ran under the operation's span.
    let load = tx
        .spans
        .iter()
        .find(|s| s.op.as_deref() == Some("db.query"))
        .unwrap();
    assert_eq!(load.parent_span_id, Some(operation.span_id));
}

#[test]
fn a_successful_operation_is_an_ok_span_and_no_event() {
    let captured = vigil::testing::capture(|| {
        let response = post_graphql(serde_json::json!({
            "query": "query Both { version order(id: 7) }",
        }));
        assert_eq!(response["data"]["order"], "order 7");
    });
    assert!(captured.events.is_empty(), "{:#?}", captured.events);
    let tx = captured.single_transaction();
    let operation = tx
        .spans
        .iter()
        .find(|s| s.op.as_deref() == Some("graphql.query"))
        .unwrap();
    assert_eq!(operation.description.as_deref(), Some("Both"));
    assert_eq!(operation.status, Some(SpanStatus::Ok));
    assert_eq!(
        operation.data["graphql.document"],
        "query Both { version order(id: 7) }"
    );
}

#[test]
fn a_query_the_client_got_wrong_is_not_an_error_event() {
    let captured = vigil::testing::capture(|| {
        let response = post_graphql(serde_json::json!({ "query": "{ nosuchfield }" }));
        assert!(response["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("nosuchfield"));
    });
    assert!(captured.events.is_empty(), "{:#?}", captured.events);
}

#[test]
fn with_tracing_off_errors_are_still_captured_once() {
    let config = vigil::Config::new().traces_sample_rate(0.0);
    let captured = vigil::testing::capture_with(config, || {
        let response = post_graphql(serde_json::json!({ "query": "{ order(id: 9) }" }));
        assert_eq!(response["errors"][0]["message"], "no order 9");
        let response = post_graphql(serde_json::json!({
            "query": "mutation { login(email: \"a@b.c\", password: \"x\") }",
        }));
        assert!(response["errors"][0]["message"].is_string());
    })
    .unwrap();
    assert!(captured.transactions.is_empty());
    // The monitored function's error once, and the login error (nobody else captured it).
    let types: Vec<&str> = captured
        .events
        .iter()
        .map(|e| e.exception.values[0].ty.as_str())
        .collect();
    assert_eq!(types, ["NotFound", "GraphQLError"]);
}

struct Slow;

#[Object]
impl Slow {
    /// Never answers: the operation is abandoned while it waits.
    async fn forever(&self) -> i32 {
        std::future::pending::<i32>().await
    }
}

#[test]
fn an_operation_dropped_before_it_completes_ends_its_span_as_cancelled() {
    use std::future::Future as _;
    let schema = Schema::build(Slow, async_graphql::EmptyMutation, EmptySubscription)
        .extension(vigil::async_graphql::extension())
        .finish();
    let captured = vigil::testing::capture(|| {
        let mut operation = std::pin::pin!(schema.execute("query Abandoned { forever }"));
        let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
        for _ in 0..3 {
            assert!(operation.as_mut().poll(&mut cx).is_pending());
        }
        // Dropped here, mid-way (a client that went away, a timeout).
    });
    let tx = captured.single_transaction();
    assert_eq!(tx.name.as_deref(), Some("Abandoned"));
    let trace = match tx.contexts.get("trace") {
        Some(Context::Trace(trace)) => trace,
        other => panic!("no trace context: {other:?}"),
    };
    assert_eq!(trace.status, Some(SpanStatus::Cancelled));
    assert!(captured.events.is_empty(), "{:?}", captured.events);
}
