//! A small HTTP service with vigil, on axum, sqlx (SQLite) and reqwest:
//!
//! ```text
//! cargo run --example service --features axum,sqlx,reqwest            # serves on 127.0.0.1:3000
//! cargo run --example service --features axum,sqlx,reqwest -- --demo  # calls each endpoint once, exits
//! ```
//!
//! With no `SENTRY_DSN`, what would be sent is written to stderr (the development spool),
//! already scrubbed: as the readable view on a terminal, as JSON lines otherwise or with
//! `VIGIL_SPOOL=json`; `VIGIL_SPOOL=path` writes JSON lines to a file instead.
//! Nothing in this file calls Sentry: the layer, the attributes and the `sqlx` feature do it.
//!
//! | endpoint | what vigil reports |
//! |---|---|
//! | `GET /orders/{id}` | a transaction `GET /orders/{id}` with a `db.sql.query` span |
//! | `GET /reports/slow` | a slow query's span (its bound value is never recorded) |
//! | `GET /invoices/{id}` | a 500: the database error, with its code and the failing SQL |
//! | `POST /login` | a fake login that sets the user (the password is never recorded) |
//! | `GET /me` | the user, set by the app's own auth extractor through `Authenticated` |
//! | `GET /orders/summary` | a fan-out: one spawned task per order, bound with `vigil::bind`, each span under the request's transaction |
//! | `GET /dashboard` | a call to this service's own `GET /orders/{id}` through the reqwest middleware: one trace across both transactions |
//!
//! And a scheduled job, `cleanup_orders`, every ten minutes (once in `--demo`): a cron monitor's
//! check-ins around a transaction of its own.

use std::net::SocketAddr;

use axum::extract::{FromRef, FromRequestParts, Path, State};
use axum::http::{request::Parts, StatusCode};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use sqlx::sqlite::SqlitePoolOptions;
use sqlx::SqlitePool;
use vigil::axum::Authenticated;

/// What the handlers share: the database, and an HTTP client that reports its calls.
#[derive(Clone)]
struct AppState {
    pool: SqlitePool,
    client: reqwest_middleware::ClientWithMiddleware,
    /// This service's own address, for `GET /dashboard`.
    base: String,
}

impl FromRef<AppState> for SqlitePool {
    fn from_ref(state: &AppState) -> SqlitePool {
        state.pool.clone()
    }
}

/// The database: in memory, created at start.
async fn database() -> Result<SqlitePool, sqlx::Error> {
    let pool = SqlitePoolOptions::new()
        .max_connections(1) // one in-memory database, shared
        .connect("sqlite::memory:")
        .await?;
    sqlx::query("CREATE TABLE orders (id INTEGER PRIMARY KEY, item TEXT NOT NULL, total INTEGER)")
        .execute(&pool)
        .await?;
    for (item, total) in [("book", 12), ("lamp", 40), ("desk", 250)] {
        sqlx::query("INSERT INTO orders (item, total) VALUES (?, ?)")
            .bind(item)
            .bind(total)
            .execute(&pool)
            .await?;
    }
    Ok(pool)
}

/// A span per call; an `Err` is captured (with the database's code and the SQL for sqlx
/// errors). `pool` is skipped: nothing worth recording.
#[vigil::monitored(op = "db.task", skip(pool))]
async fn find_order(pool: &SqlitePool, id: i64) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar("SELECT item FROM orders WHERE id = ?")
        .bind(id)
        .fetch_optional(pool)
        .await
}

async fn order(State(pool): State<SqlitePool>, Path(id): Path<i64>) -> Result<String, StatusCode> {
    match find_order(&pool, id).await {
        Ok(Some(item)) => Ok(format!("order {id}: {item}\n")),
        Ok(None) => Err(StatusCode::NOT_FOUND),
        Err(_) => Err(StatusCode::INTERNAL_SERVER_ERROR),
    }
}

/// A slow query: counts to two million in SQL.
#[vigil::monitored(op = "db.task", skip(pool))]
async fn slow_report(pool: &SqlitePool) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < ?) \
         SELECT count(*) FROM n",
    )
    .bind(2_000_000)
    .fetch_one(pool)
    .await
}

async fn report(State(pool): State<SqlitePool>) -> Result<String, StatusCode> {
    let rows = slow_report(&pool)
        .await
        .map_err(|_| StatusCode::INTERNAL_SERVER_ERROR)?;
    Ok(format!("report over {rows} rows\n"))
}

/// Fails: the table does not exist. The handler answers 500; vigil reports the database
/// error once, with `db.error_code`, the SQL and the request.
#[vigil::monitored(op = "db.task", skip(pool))]
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

/// A fan-out: each order is loaded by a task of its own. `vigil::bind` keeps each task in the
/// request's span and scope, so every `find_order` span lands under `GET /orders/summary`.
async fn summary(State(pool): State<SqlitePool>) -> Result<String, StatusCode> {
    let tasks: Vec<_> = (1..=3)
        .map(|id| {
            let pool = pool.clone();
            tokio::spawn(vigil::bind(async move { find_order(&pool, id).await }))
        })
        .collect();
    let mut items = Vec::new();
    for task in tasks {
        let item = task.await.map_err(|_| StatusCode::INTERNAL_SERVER_ERROR)?;
        if let Ok(Some(item)) = item {
            items.push(item);
        }
    }
    Ok(format!("orders: {}\n", items.join(", ")))
}

/// Calls this service's own `GET /orders/2` over HTTP, as it would call another service: the
/// reqwest middleware records an `http.client` span and sends the trace headers, and the
/// called endpoint's transaction continues this request's trace.
async fn dashboard(State(state): State<AppState>) -> Result<String, StatusCode> {
    let response = state
        .client
        .get(format!("{}/orders/2", state.base))
        .send()
        .await
        .map_err(|_| StatusCode::BAD_GATEWAY)?;
    let body = response.text().await.map_err(|_| StatusCode::BAD_GATEWAY)?;
    Ok(format!("dashboard: {body}"))
}

/// The scheduled job: a cron monitor (check-ins to Sentry Crons) around a transaction, so the
/// check-ins carry the transaction's trace.
#[vigil::monitor(slug = "cleanup-orders", schedule = "*/10 * * * *", max_runtime = 5)]
#[vigil::transaction(op = "task", name = "cleanup_orders", skip(pool))]
async fn cleanup_orders(pool: &SqlitePool) -> Result<u64, sqlx::Error> {
    let done = sqlx::query("DELETE FROM orders WHERE total < 0")
        .execute(pool)
        .await?;
    Ok(done.rows_affected())
}

/// A login form. `Debug` and `Serialize` (from `Redact`) never show the password.
#[derive(Deserialize, vigil::Redact)]
struct Login {
    username: String,
    #[sensitive]
    password: String,
}

/// A fake login: any password of 8+ characters will do. Sets the user for this request.
#[vigil::monitored(op = "auth")]
async fn login(Json(form): Json<Login>) -> Result<String, StatusCode> {
    if form.password.len() < 8 {
        return Err(StatusCode::UNAUTHORIZED);
    }
    let id = form.username.len() as u64;
    vigil::set_user_context(vigil::User::new(id).username(&form.username));
    vigil::add_breadcrumb!("logged in", category = "auth", user_id = id);
    Ok(format!("token-{id}\n"))
}

/// The app's own auth extractor: `Authorization: Bearer token-<id>`.
struct CurrentUser(u64);

impl<S: Send + Sync> FromRequestParts<S> for CurrentUser {
    type Rejection = StatusCode;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, StatusCode> {
        parts
            .headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer token-"))
            .and_then(|id| id.parse().ok())
            .map(CurrentUser)
            .ok_or(StatusCode::UNAUTHORIZED)
    }
}

impl vigil::axum::ToUser for CurrentUser {
    fn to_user(&self) -> vigil::User {
        vigil::User::new(self.0)
    }
}

async fn me(Authenticated(user): Authenticated<CurrentUser>) -> String {
    vigil::capture_message!("profile viewed", level = info, user_id = user.0);
    format!("you are user {}\n", user.0)
}

fn app(state: AppState) -> Router {
    Router::new()
        .route("/orders/{id}", get(order))
        .route("/orders/summary", get(summary))
        .route("/reports/slow", get(report))
        .route("/invoices/{id}", get(invoice))
        .route("/login", post(login))
        .route("/me", get(me))
        .route("/dashboard", get(dashboard))
        .with_state(state)
        .layer(vigil::axum::layer())
}

/// `--demo`: one request to each endpoint, over loopback HTTP, and one run of the job.
async fn demo(base: &str, pool: &SqlitePool) -> Result<(), Box<dyn std::error::Error>> {
    // A plain client: the demo's own requests are not part of any trace.
    let client = reqwest::Client::builder().no_proxy().build()?;
    let requests = [
        client.get(format!("{base}/orders/2")),
        client.get(format!("{base}/orders/9")),
        client.get(format!("{base}/reports/slow")),
        client.get(format!("{base}/invoices/1")),
        client
            .post(format!("{base}/login"))
            .header("content-type", "application/json")
            .body(r#"{"username":"ada","password":"correct-horse-battery"}"#),
        client
            .get(format!("{base}/me"))
            .header("authorization", "Bearer token-3"),
        client.get(format!("{base}/orders/summary")),
        client.get(format!("{base}/dashboard")),
    ];
    for request in requests {
        let request = request.build()?;
        let line = format!("{} {}", request.method(), request.url().path());
        let response = client.execute(request).await?;
        println!("{line} -> {}", response.status());
    }
    match cleanup_orders(pool).await {
        Ok(rows) => println!("cleanup_orders -> {rows} rows"),
        Err(e) => println!("cleanup_orders -> {e}"),
    }
    Ok(())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut config = vigil::Config::from_env()?.release(vigil::release_name!());
    if !config.is_enabled() {
        config = config.spool(vigil::Spool::Stderr);
    }
    let guard = vigil::init_with(config)?;

    let is_demo = std::env::args().any(|a| a == "--demo");
    let addr: SocketAddr = if is_demo {
        "127.0.0.1:0".parse()?
    } else {
        std::env::var("ADDR")
            .unwrap_or_else(|_| "127.0.0.1:3000".into())
            .parse()?
    };
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let addr = listener.local_addr()?;
    let pool = database().await?;
    let client = reqwest::Client::builder().no_proxy().build()?;
    let state = AppState {
        pool: pool.clone(),
        client: reqwest_middleware::ClientBuilder::new(client)
            .with(vigil::reqwest::middleware())
            .build(),
        base: format!("http://{addr}"),
    };
    let app = app(state);
    if is_demo {
        tokio::spawn(async move { axum::serve(listener, app).await });
        demo(&format!("http://{addr}"), &pool).await?;
        guard.flush(std::time::Duration::from_secs(2));
        return Ok(());
    }
    // The scheduled job, every ten minutes (its cron monitor expects it then).
    tokio::spawn(async move {
        let mut every = tokio::time::interval(std::time::Duration::from_secs(600));
        loop {
            every.tick().await;
            let _ = cleanup_orders(&pool).await;
        }
    });
    println!("listening on http://{addr}; try:");
    println!("  curl -i http://{addr}/orders/2");
    println!("  curl -i http://{addr}/orders/summary");
    println!("  curl -i http://{addr}/dashboard");
    println!("  curl -i http://{addr}/reports/slow");
    println!("  curl -i http://{addr}/invoices/1");
    println!(
        "  curl -i -H 'content-type: application/json' -d '{{\"username\":\"ada\",\"password\":\"correct-horse\"}}' http://{addr}/login"
    );
    println!("  curl -i -H 'authorization: Bearer token-3' http://{addr}/me");
    axum::serve(listener, app).await?;
    Ok(())
}
