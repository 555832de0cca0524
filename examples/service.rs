//! A small HTTP service with vigil, on axum and sqlx (SQLite):
//!
//! ```text
//! cargo run --example service --features axum,sqlx            # serves on 127.0.0.1:3000
//! cargo run --example service --features axum,sqlx -- --demo  # calls each endpoint once, exits
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

use std::net::SocketAddr;

use axum::extract::{FromRequestParts, Path, State};
use axum::http::{request::Parts, StatusCode};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use sqlx::sqlite::SqlitePoolOptions;
use sqlx::SqlitePool;
use vigil::axum::Authenticated;

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

fn app(pool: SqlitePool) -> Router {
    Router::new()
        .route("/orders/{id}", get(order))
        .route("/reports/slow", get(report))
        .route("/invoices/{id}", get(invoice))
        .route("/login", post(login))
        .route("/me", get(me))
        .with_state(pool)
        .layer(vigil::axum::layer())
}

/// `--demo`: one request to each endpoint through the router, without a network.
async fn demo(app: Router) {
    use axum::body::Body;
    use axum::http::Request;
    use tower::ServiceExt;

    let requests = [
        Request::get("/orders/2").body(Body::empty()),
        Request::get("/orders/9").body(Body::empty()),
        Request::get("/reports/slow").body(Body::empty()),
        Request::get("/invoices/1").body(Body::empty()),
        Request::post("/login")
            .header("content-type", "application/json")
            .body(Body::from(
                r#"{"username":"ada","password":"correct-horse-battery"}"#,
            )),
        Request::get("/me")
            .header("authorization", "Bearer token-3")
            .body(Body::empty()),
    ];
    for request in requests {
        let request = request.expect("a valid request");
        let line = format!("{} {}", request.method(), request.uri());
        match app.clone().oneshot(request).await {
            Ok(response) => println!("{line} -> {}", response.status()),
            Err(never) => match never {},
        }
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut config = vigil::Config::from_env()?.release(vigil::release_name!());
    if !config.is_enabled() {
        config = config.spool(vigil::Spool::Stderr);
    }
    let guard = vigil::init_with(config)?;

    let app = app(database().await?);
    if std::env::args().any(|a| a == "--demo") {
        demo(app).await;
        guard.flush(std::time::Duration::from_secs(2));
        return Ok(());
    }
    let addr: SocketAddr = std::env::var("ADDR")
        .unwrap_or_else(|_| "127.0.0.1:3000".into())
        .parse()?;
    let listener = tokio::net::TcpListener::bind(addr).await?;
    println!("listening on http://{addr}; try:");
    println!("  curl -i http://{addr}/orders/2");
    println!("  curl -i http://{addr}/reports/slow");
    println!("  curl -i http://{addr}/invoices/1");
    println!(
        "  curl -i -H 'content-type: application/json' -d '{{\"username\":\"ada\",\"password\":\"correct-horse\"}}' http://{addr}/login"
    );
    println!("  curl -i -H 'authorization: Bearer token-3' http://{addr}/me");
    axum::serve(listener, app).await?;
    Ok(())
}
