//! The `sqlx` feature when the application installs its own `tracing` subscriber: adding
//! `vigil::tracing_layer()` to it is all it takes for query spans (PostgreSQL, whose queries
//! run on the caller's task), and vigil does not install a subscriber of its own.
//! Its own test binary: the global subscriber is process-wide.
#![cfg(feature = "sqlx")]

mod common;

use tracing_subscriber::layer::SubscriberExt;

#[test]
fn the_applications_subscriber_with_vigils_layer() {
    // The application's own subscriber, set before anything else, as `main` would.
    let subscriber = tracing_subscriber::registry().with(vigil::tracing_layer());
    tracing::subscriber::set_global_default(subscriber).unwrap();

    let postgres = common::Postgres::start();
    let url = postgres.url.clone();
    let captured = vigil::testing::capture(|| {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(async {
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
    let tx = captured.single_transaction();
    let query = tx
        .spans
        .iter()
        .find(|s| s.op.as_deref() == Some("db.sql.query"))
        .unwrap_or_else(|| panic!("no query span: {:#?}", tx.spans));
    assert_eq!(query.description.as_deref(), Some("SELECT $1::int + 1"));
    assert_eq!(query.data["db.system"], "postgresql");
    assert_eq!(query.data["db.rows_returned"], 1);
}
