//! The service the `service` bench serves over loopback and `icount` counts in process: two
//! routes, `GET /hello` (text) and `GET /orders/{id}` (a query on an in-memory SQLite
//! database through sqlx), each handler awaiting one `async fn -> Result`: plain, under
//! `#[vigil::monitored]`, or under `#[tracing::instrument(err)]`.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::Router;
use sqlx::SqlitePool;

#[derive(Debug)]
pub struct AppError(String);
impl std::fmt::Display for AppError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}
impl std::error::Error for AppError {}

fn status(e: impl std::fmt::Display) -> (StatusCode, String) {
    (StatusCode::INTERNAL_SERVER_ERROR, e.to_string())
}

mod bare {
    use super::*;
    pub async fn greet(name: &str) -> Result<String, AppError> {
        Ok(format!("hello {name}"))
    }
    pub async fn order_total(pool: &SqlitePool, id: i64) -> Result<i64, sqlx::Error> {
        sqlx::query_scalar("SELECT total FROM orders WHERE id = ?")
            .bind(id)
            .fetch_one(pool)
            .await
    }
}

mod monitored {
    use super::*;
    #[vigil::monitored]
    pub async fn greet(name: &str) -> Result<String, AppError> {
        Ok(format!("hello {name}"))
    }
    #[vigil::monitored(skip(pool))]
    pub async fn order_total(pool: &SqlitePool, id: i64) -> Result<i64, sqlx::Error> {
        sqlx::query_scalar("SELECT total FROM orders WHERE id = ?")
            .bind(id)
            .fetch_one(pool)
            .await
    }
}

mod instrumented {
    use super::*;
    #[tracing::instrument(err)]
    pub async fn greet(name: &str) -> Result<String, AppError> {
        Ok(format!("hello {name}"))
    }
    #[tracing::instrument(err, skip(pool))]
    pub async fn order_total(pool: &SqlitePool, id: i64) -> Result<i64, sqlx::Error> {
        sqlx::query_scalar("SELECT total FROM orders WHERE id = ?")
            .bind(id)
            .fetch_one(pool)
            .await
    }
}

/// The router of one set-up, its handlers calling `greet` and `order_total` of `$m`.
macro_rules! router {
    ($m:ident, $pool:expr) => {
        Router::new()
            .route(
                "/hello",
                get(|| async { $m::greet("world").await.map_err(status) }),
            )
            .route(
                "/orders/{id}",
                get(
                    |State(pool): State<SqlitePool>, Path(id): Path<i64>| async move {
                        $m::order_total(&pool, row(id))
                            .await
                            .map(|t| t.to_string())
                            .map_err(status)
                    },
                ),
            )
            .with_state($pool)
    };
}

/// What is around the router and in its handlers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Instrumentation {
    /// Nothing.
    Bare,
    /// `#[vigil::monitored]` handlers' functions, `vigil::axum::layer()` around the router.
    Vigil,
    /// `#[tracing::instrument(err)]`, `sentry-tower`'s `NewSentryLayer` + `SentryHttpLayer`
    /// with transactions (the `sentry-tracing` subscriber is the caller's to install).
    SentryTower,
}

/// The service's router, instrumented so.
pub fn router(instrumentation: Instrumentation, pool: SqlitePool) -> Router {
    match instrumentation {
        Instrumentation::Bare => router!(bare, pool),
        Instrumentation::Vigil => router!(monitored, pool).layer(vigil::axum::layer()),
        Instrumentation::SentryTower => router!(instrumented, pool)
            .layer(sentry::integrations::tower::SentryHttpLayer::new().enable_transaction())
            .layer(sentry::integrations::tower::NewSentryLayer::<
                axum::extract::Request,
            >::new_from_top()),
    }
}

/// The in-memory database: one connection, 100 orders.
pub async fn database() -> SqlitePool {
    let pool = sqlx::sqlite::SqlitePoolOptions::new()
        .max_connections(1)
        .connect("sqlite::memory:")
        .await
        .expect("in-memory SQLite");
    sqlx::query("CREATE TABLE orders (id INTEGER PRIMARY KEY, total INTEGER NOT NULL)")
        .execute(&pool)
        .await
        .expect("create table");
    for id in 1..=100 {
        sqlx::query("INSERT INTO orders (id, total) VALUES (?, ?)")
            .bind(id)
            .bind(id * 10)
            .execute(&pool)
            .await
            .expect("insert");
    }
    pool
}

/// The path of the `i`th request the load generator sends: the two routes in turn, the
/// orders' ids spread over a million, as a real service's URLs are (so no SDK can keep what
/// it made of one URL for the next: vigil's scrubber remembers the texts it found clean).
pub fn path(i: usize) -> String {
    if i % 2 == 0 {
        "/hello".to_owned()
    } else {
        format!("/orders/{}", (i * 7919) % 1_000_000 + 1)
    }
}

/// The row an order's id reads: the table holds 100.
fn row(id: i64) -> i64 {
    id % 100 + 1
}
