//! `axum` and `sqlx` together, as a service uses them: real requests through a router with
//! `vigil::axum::layer()`, handlers querying a real SQLite database, nothing else wired.
//! Asserts on the transactions and events vigil sends.
//! Its own test binary: vigil installs its `tracing` subscriber process-wide.
#![cfg(all(feature = "axum", feature = "sqlx"))]

mod common;

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{Request, StatusCode};
use axum::routing::get;
use axum::Router;
use sqlx::SqlitePool;
use tower::ServiceExt;
use vigil::protocol::{Context, SpanStatus};

/// Bound with the query, never recorded.
const BOUND_NAME: &str = "name-bound-3c1e";

async fn user(State(pool): State<SqlitePool>, Path(id): Path<i64>) -> Result<String, StatusCode> {
    // Not monitored: the query span goes straight under the request's transaction.
    let name: Option<String> =
        sqlx::query_scalar("SELECT name FROM users WHERE id = ? AND name <> ?")
            .bind(id)
            .bind(BOUND_NAME)
            .fetch_optional(&pool)
            .await
            .map_err(|_| StatusCode::INTERNAL_SERVER_ERROR)?;
    name.ok_or(StatusCode::NOT_FOUND)
}

#[vigil::monitored(skip(pool))]
async fn load_invoice(pool: &SqlitePool, id: i64) -> Result<String, sqlx::Error> {
    sqlx::query_scalar("SELECT pdf FROM invoices WHERE id = ?")
        .bind(id)
        .fetch_one(pool)
        .await
}

async fn invoice(
    State(pool): State<SqlitePool>,
    Path(id): Path<i64>,
) -> Result<String, StatusCode> {
    load_invoice(&pool, id)
        .await
        .map_err(|_| StatusCode::INTERNAL_SERVER_ERROR)
}

async fn app() -> Router {
    let pool = common::sqlite_memory().await;
    sqlx::query("CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT)")
        .execute(&pool)
        .await
        .unwrap();
    sqlx::query("INSERT INTO users (name) VALUES ('ada')")
        .execute(&pool)
        .await
        .unwrap();
    Router::new()
        .route("/users/{id}", get(user))
        .route("/invoices/{id}", get(invoice))
        .with_state(pool)
        .layer(vigil::axum::layer())
}

async fn get_status(app: Router, uri: &str) -> StatusCode {
    let request = Request::get(uri).body(Body::empty()).unwrap();
    app.oneshot(request).await.unwrap().status()
}

#[test]
fn a_request_and_its_query() {
    let captured = vigil::testing::capture(|| {
        common::block_on(async {
            assert_eq!(get_status(app().await, "/users/1").await, StatusCode::OK);
        })
    });
    assert!(captured.events.is_empty(), "{:#?}", captured.events);
    let tx = captured.single_transaction();
    assert_eq!(tx.name.as_deref(), Some("GET /users/{id}"));
    let Some(Context::Trace(trace)) = tx.contexts.get("trace") else {
        panic!("no trace context");
    };
    let query = tx
        .spans
        .iter()
        .find(|s| s.op.as_deref() == Some("db.sql.query"))
        .unwrap_or_else(|| panic!("no query span: {:#?}", tx.spans));
    assert_eq!(
        query.description.as_deref(),
        Some("SELECT name FROM users WHERE id = ? AND name <> ?")
    );
    assert_eq!(query.parent_span_id, Some(trace.span_id));
    assert_eq!(query.data["db.system"], "sqlite");
    assert_eq!(query.data["db.rows_returned"], 1);
    assert!(!common::wire(&captured.envelopes).contains(BOUND_NAME));
}

#[test]
fn a_failing_query_is_one_event_with_its_sql_and_the_request() {
    let captured = vigil::testing::capture(|| {
        common::block_on(async {
            assert_eq!(
                get_status(app().await, "/invoices/4").await,
                StatusCode::INTERNAL_SERVER_ERROR
            );
        })
    });
    let event = captured.single_event();
    assert_eq!(event.tags["db.error_code"], "1"); // SQLITE_ERROR: no such table
    let Some(Context::Other(db)) = event.contexts.get("db") else {
        panic!("no db context: {:#?}", event.contexts);
    };
    assert_eq!(db["statement"], "SELECT pdf FROM invoices WHERE id = ?");
    assert_eq!(event.transaction.as_deref(), Some("GET /invoices/{id}"));
    assert_eq!(
        event.request.as_ref().unwrap().method.as_deref(),
        Some("GET")
    );
    let tx = captured.single_transaction();
    assert_eq!(tx.tags["http.status_code"], "500");
    let query = tx
        .spans
        .iter()
        .find(|s| s.op.as_deref() == Some("db.sql.query"))
        .unwrap();
    assert_eq!(query.status, Some(SpanStatus::InternalError));
}
