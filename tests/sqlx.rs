//! The `sqlx` feature: real queries on a real SQLite database and a real PostgreSQL server
//! (started by `.ci/postgres.sh` from PyPI's `pgserver` wheel), with nothing wired but
//! vigil itself. Asserts on the spans and events vigil sends.
//!
//! Its own test binary on purpose: vigil installs its `tracing` subscriber process-wide, and
//! this binary sets none of its own, as an application without one would.
#![cfg(feature = "sqlx")]

mod common;

use sqlx::{PgPool, SqlitePool};
use vigil::protocol::{Context, Event, SpanStatus, Transaction};

/// A secret that only ever travels as a bound value: it must never reach a span or event.
const BOUND_SECRET: &str = "bound-value-7f3a9c";

async fn sqlite() -> SqlitePool {
    let pool = common::sqlite_memory().await;
    sqlx::query(
        "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, note TEXT)",
    )
    .execute(&pool)
    .await
    .unwrap();
    pool
}

#[vigil::monitored(op = "db.task", skip(pool))]
async fn add_user(pool: &SqlitePool, name: &str) -> Result<u64, sqlx::Error> {
    let done = sqlx::query("INSERT INTO users (name, note) VALUES (?, ?)")
        .bind(name)
        .bind(BOUND_SECRET)
        .execute(pool)
        .await?;
    Ok(done.rows_affected())
}

#[vigil::monitored(op = "db.task", skip(pool))]
async fn count_users(pool: &SqlitePool) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT count(*) FROM users WHERE note = ?")
        .bind(BOUND_SECRET)
        .fetch_one(pool)
        .await
}

fn query_spans<'a>(tx: &'a Transaction<'static>) -> Vec<&'a vigil::protocol::Span> {
    tx.spans
        .iter()
        .filter(|s| s.op.as_deref() == Some("db.sql.query"))
        .collect()
}

fn db_context<'a>(
    event: &'a Event<'static>,
) -> &'a vigil::protocol::Map<String, serde_json::Value> {
    match event.contexts.get("db") {
        Some(Context::Other(map)) => map,
        other => panic!("no db context: {other:?}"),
    }
}

fn assert_no_bound_values(captured: &vigil::testing::Captured) {
    assert!(
        !common::wire(&captured.envelopes).contains(BOUND_SECRET),
        "a bound value reached the wire"
    );
}

#[test]
fn sqlite_queries_become_spans_under_the_current_span() {
    let captured = vigil::testing::capture(|| {
        common::block_on(async {
            let pool = sqlite().await;
            #[vigil::transaction(op = "task")]
            async fn signup(pool: &SqlitePool) -> Result<(), sqlx::Error> {
                assert_eq!(add_user(pool, "ada").await?, 1);
                assert_eq!(count_users(pool).await?, 1);
                Ok(())
            }
            signup(&pool).await.unwrap();
        })
    });
    assert!(captured.events.is_empty(), "{:#?}", captured.events);
    let tx = captured.single_transaction();
    let queries = query_spans(tx);
    assert_eq!(queries.len(), 2, "{:#?}", tx.spans);

    let by_name = |name: &str| {
        tx.spans
            .iter()
            .find(|s| s.description.as_deref().is_some_and(|d| d.ends_with(name)))
            .unwrap_or_else(|| panic!("no span {name}: {:#?}", tx.spans))
    };
    let insert = queries[0];
    assert_eq!(
        insert.description.as_deref(),
        Some("INSERT INTO users (name, note) VALUES (?, ?)")
    );
    // Under the monitored function that ran it, in the same trace.
    assert_eq!(insert.parent_span_id, Some(by_name("add_user").span_id));
    assert_eq!(insert.trace_id, tx.spans[0].trace_id);
    assert_eq!(insert.data["db.system"], "sqlite");
    assert_eq!(insert.data["db.operation"], "INSERT");
    assert_eq!(insert.data["db.rows_affected"], 1);
    assert_eq!(insert.status, Some(SpanStatus::Ok));
    let took = insert
        .timestamp
        .unwrap()
        .duration_since(insert.start_timestamp);
    assert!(took.is_ok(), "a query span ends after it starts");

    let select = queries[1];
    assert_eq!(
        select.description.as_deref(),
        Some("SELECT count(*) FROM users WHERE note = ?")
    );
    assert_eq!(select.parent_span_id, Some(by_name("count_users").span_id));
    assert_eq!(select.data["db.rows_returned"], 1);
    assert_eq!(select.data["db.operation"], "SELECT");
    assert_no_bound_values(&captured);
}

#[test]
fn a_failing_sqlite_query_is_captured_with_its_sql_and_code() {
    let captured = vigil::testing::capture(|| {
        common::block_on(async {
            let pool = sqlite().await;
            #[vigil::transaction(op = "task")]
            async fn signup_twice(pool: &SqlitePool) -> Result<(), sqlx::Error> {
                add_user(pool, "ada").await?;
                add_user(pool, "ada").await?;
                Ok(())
            }
            assert!(signup_twice(&pool).await.is_err());
        })
    });
    // One event, by the innermost monitored function.
    let event = captured.single_event();
    assert!(event.tags["function"].ends_with("add_user"));
    // SQLITE_CONSTRAINT_UNIQUE (an extended result code)
    assert_eq!(event.tags["db.error_code"], "2067");
    let db = db_context(event);
    assert_eq!(
        db["statement"],
        "INSERT INTO users (name, note) VALUES (?, ?)"
    );
    assert_eq!(db["system"], "sqlite");
    assert_eq!(db["error_code"], "2067");
    assert!(
        event.exception.values[0]
            .value
            .as_deref()
            .unwrap_or("")
            .contains("UNIQUE"),
        "{:?}",
        event.exception
    );
    // The failing query's span is marked failed; the first insert's is not.
    let tx = captured.single_transaction();
    let statuses: Vec<_> = query_spans(tx).iter().map(|s| s.status).collect();
    assert_eq!(
        statuses,
        [Some(SpanStatus::Ok), Some(SpanStatus::InternalError)]
    );
    assert_no_bound_values(&captured);
}

#[test]
fn queries_become_breadcrumbs_of_later_events() {
    let captured = vigil::testing::capture(|| {
        common::block_on(async {
            let pool = sqlite().await;
            #[vigil::transaction(op = "task")]
            async fn job(pool: &SqlitePool) {
                count_users(pool).await.unwrap();
                vigil::capture_message!("after the query");
            }
            job(&pool).await;
        })
    });
    let crumbs = &captured.single_event().breadcrumbs;
    let query = crumbs
        .iter()
        .find(|c| c.category.as_deref() == Some("query"))
        .unwrap_or_else(|| panic!("no query breadcrumb: {crumbs:#?}"));
    assert_eq!(
        query.message.as_deref(),
        Some("SELECT count(*) FROM users WHERE note = ?")
    );
    assert_eq!(query.data["db.system"], "sqlite");
}

#[test]
fn unsampled_transactions_record_no_query_spans() {
    let config = vigil::Config::new().traces_sample_rate(1.0);
    let captured = vigil::testing::capture_with(config, || {
        common::block_on(async {
            let pool = sqlite().await;
            #[vigil::transaction(op = "task", sample_rate = 0.0)]
            async fn quiet(pool: &SqlitePool) {
                count_users(pool).await.unwrap();
            }
            quiet(&pool).await;
        })
    })
    .unwrap();
    assert!(captured.transactions.is_empty());
}

// --- PostgreSQL ---------------------------------------------------------------------------

#[vigil::monitored(op = "db.task", skip(pool))]
async fn pg_add_order(pool: &PgPool, table: &str, item: &str) -> Result<i64, sqlx::Error> {
    // The table name is ours (a test-unique name), the item a bound value.
    let sql = format!("INSERT INTO {table} (item, note) VALUES ($1, $2) RETURNING id");
    sqlx::query_scalar(&sql)
        .bind(item)
        .bind(BOUND_SECRET)
        .fetch_one(pool)
        .await
}

#[test]
fn postgres_queries_and_errors() {
    let postgres = common::CiServer::postgres();
    let url = postgres.env["URL"].clone();
    let table = format!("orders_{}", std::process::id());
    let captured = vigil::testing::capture(|| {
        common::block_on(async {
            let pool = PgPool::connect(&url).await.unwrap();
            sqlx::query(&format!(
                "CREATE TABLE {table} (id BIGSERIAL PRIMARY KEY, item TEXT NOT NULL UNIQUE, note TEXT)"
            ))
            .execute(&pool)
            .await
            .unwrap();
            #[vigil::transaction(op = "task", skip(pool))]
            async fn checkout(pool: &PgPool, table: &str) -> Result<(), sqlx::Error> {
                pg_add_order(pool, table, "book").await?;
                pg_add_order(pool, table, "book").await?;
                Ok(())
            }
            assert!(checkout(&pool, &table).await.is_err());
            sqlx::query(&format!("DROP TABLE {table}"))
                .execute(&pool)
                .await
                .unwrap();
            pool.close().await;
        })
    });
    let insert_sql = format!("INSERT INTO {table} (item, note) VALUES ($1, $2) RETURNING id");

    let event = captured.single_event();
    assert!(event.tags["function"].ends_with("pg_add_order"));
    assert_eq!(event.tags["db.error_code"], "23505"); // unique_violation
    let db = db_context(event);
    assert_eq!(db["statement"], insert_sql.as_str());
    assert_eq!(db["system"], "postgresql");
    assert_eq!(db["constraint"], format!("{table}_item_key").as_str());
    assert_eq!(db["table"], table.as_str());

    let tx = captured.single_transaction();
    let queries = query_spans(tx);
    assert_eq!(queries.len(), 2, "{:#?}", tx.spans);
    for q in &queries {
        assert_eq!(q.description.as_deref(), Some(insert_sql.as_str()));
        assert_eq!(q.data["db.system"], "postgresql");
    }
    assert_eq!(queries[0].data["db.rows_returned"], 1);
    assert_eq!(queries[0].status, Some(SpanStatus::Ok));
    assert_eq!(queries[1].status, Some(SpanStatus::InternalError));
    assert_no_bound_values(&captured);
}

/// An application error that wraps sqlx's, as most services have.
#[derive(Debug)]
enum AppError {
    Db(sqlx::Error),
}

impl std::fmt::Display for AppError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("could not save the user")
    }
}

impl std::error::Error for AppError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            AppError::Db(e) => Some(e),
        }
    }
}

#[vigil::monitored(skip(pool))]
async fn save_user(pool: &SqlitePool, name: &str) -> Result<(), AppError> {
    sqlx::query("INSERT INTO users (name) VALUES (?)")
        .bind(name)
        .execute(pool)
        .await
        .map_err(AppError::Db)?;
    Ok(())
}

#[test]
fn a_wrapped_sqlx_error_is_read_through_its_api() {
    let captured = vigil::testing::capture(|| {
        common::block_on(async {
            let pool = sqlite().await;
            #[vigil::transaction(op = "task", skip(pool))]
            async fn twice(pool: &SqlitePool) -> Result<(), AppError> {
                save_user(pool, "grace").await?;
                save_user(pool, "grace").await
            }
            assert!(twice(&pool).await.is_err());
        })
    });
    let event = captured.single_event();
    assert_eq!(event.exception.values.len(), 3, "{:#?}", event.exception);
    assert_eq!(event.tags["db.error_code"], "2067");
    let db = db_context(event);
    assert_eq!(db["statement"], "INSERT INTO users (name) VALUES (?)");
    // SQLite names no table or constraint in its errors (PostgreSQL does: see below).
    assert!(!db.contains_key("table"));
}
