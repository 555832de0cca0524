//! The `sqlx` feature when the application has its own `tracing` subscriber, wrapped with
//! `vigil::tracing_subscriber(..)` and installed globally, as `main` would: query spans for
//! SQLite (whose queries run on sqlx's worker thread) and PostgreSQL, each recorded once,
//! and the application's layers still get everything they asked for.
//! Its own test binary: the global subscriber is process-wide.
#![cfg(feature = "sqlx")]

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Once};

use tracing_subscriber::filter::LevelFilter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::Layer;

/// The application's own layer: counts the events it gets (sqlx's and its own).
struct Counting(Arc<AtomicUsize>, Arc<AtomicUsize>);

impl<S: tracing::Subscriber> Layer<S> for Counting {
    fn on_event(&self, event: &tracing::Event<'_>, _: tracing_subscriber::layer::Context<'_, S>) {
        if event.metadata().target() == "sqlx::query" {
            self.0.fetch_add(1, Ordering::Relaxed);
        } else {
            self.1.fetch_add(1, Ordering::Relaxed);
        }
    }
}

static SQLX_SEEN: std::sync::LazyLock<Arc<AtomicUsize>> =
    std::sync::LazyLock::new(Default::default);
static APP_SEEN: std::sync::LazyLock<Arc<AtomicUsize>> = std::sync::LazyLock::new(Default::default);

fn install() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // vigil's layer (breadcrumbs; queries too, were they not recorded already) and the
        // app's own, which wants INFO and up only.
        let mine = tracing_subscriber::registry()
            .with(vigil::tracing_layer())
            .with(Counting(SQLX_SEEN.clone(), APP_SEEN.clone()).with_filter(LevelFilter::INFO));
        tracing::subscriber::set_global_default(vigil::tracing_subscriber(mine)).unwrap();
    });
}

fn query_spans(captured: &vigil::testing::Captured) -> Vec<&vigil::protocol::Span> {
    captured
        .single_transaction()
        .spans
        .iter()
        .filter(|s| s.op.as_deref() == Some("db.sql.query"))
        .collect()
}

#[test]
fn sqlite_queries_on_the_worker_thread_are_recorded_once() {
    install();
    let captured = vigil::testing::capture(|| {
        common::block_on(async {
            let pool = common::sqlite_memory().await;
            #[vigil::transaction(op = "task", skip(pool))]
            async fn job(pool: &sqlx::SqlitePool) -> Result<i64, sqlx::Error> {
                tracing::info!("counting");
                sqlx::query_scalar("SELECT ? + 1")
                    .bind(41)
                    .fetch_one(pool)
                    .await
            }
            assert_eq!(job(&pool).await.unwrap(), 42);
        })
    });
    let spans = query_spans(&captured);
    assert_eq!(spans.len(), 1, "{spans:#?}");
    assert_eq!(spans[0].description.as_deref(), Some("SELECT ? + 1"));
    assert_eq!(spans[0].data["db.system"], "sqlite");
    // The app's layer got its own INFO event, and no sqlx DEBUG event (it asked for INFO+).
    assert!(APP_SEEN.load(Ordering::Relaxed) >= 1);
    assert_eq!(SQLX_SEEN.load(Ordering::Relaxed), 0);
}

#[test]
fn postgres_queries_are_recorded_once() {
    install();
    let postgres = common::CiServer::postgres();
    let url = postgres.env["URL"].clone();
    let captured = vigil::testing::capture(|| {
        common::block_on(async {
            let pool = sqlx::PgPool::connect(&url).await.unwrap();
            #[vigil::transaction(op = "task", skip(pool))]
            async fn report(pool: &sqlx::PgPool) -> Result<i32, sqlx::Error> {
                sqlx::query_scalar("SELECT $1::int + 1")
                    .bind(41)
                    .fetch_one(pool)
                    .await
            }
            assert_eq!(report(&pool).await.unwrap(), 42);
            pool.close().await;
        })
    });
    let spans = query_spans(&captured);
    assert_eq!(spans.len(), 1, "{spans:#?}");
    assert_eq!(spans[0].description.as_deref(), Some("SELECT $1::int + 1"));
    assert_eq!(spans[0].data["db.system"], "postgresql");
    assert_eq!(spans[0].data["db.rows_returned"], 1);
}

#[test]
fn downcasts_reach_the_wrapped_subscriber() {
    install();
    // tracing-error, tracing-opentelemetry and `reload` find their parts this way.
    tracing::dispatcher::get_default(|d| {
        assert!(d.downcast_ref::<tracing_subscriber::Registry>().is_some());
        assert!(d.downcast_ref::<String>().is_none());
    });
}
