//! Runtime of [vigil](https://docs.rs/vigil): configuration, `init`, capture, spans and
//! transactions, scrubbing, and the test harness.
//!
//! Use it through the `vigil` crate, which re-exports everything here together with the
//! attribute macros. The examples below name it `vigil` for that reason.
//!
//! ```
//! # use vigil_runtime as vigil;
//! let _guard = vigil::init()?; // reads SENTRY_DSN & co.; disabled when it is unset
//! # Ok::<(), vigil::ConfigError>(())
//! ```
#![deny(missing_docs)]
#![deny(unsafe_code)] // one audited exception: `sqlx::VigilSubscriber::downcast_raw`

mod config;
mod init;
mod scrub;
mod span;
mod state;
mod transport;
mod user;

#[doc(hidden)]
#[path = "private.rs"]
pub mod __private;
#[cfg(feature = "async-graphql")]
#[path = "graphql.rs"]
pub mod async_graphql;
#[cfg(feature = "axum")]
pub mod axum;
pub mod propagation;
#[cfg(feature = "sqlx")]
mod sqlx;
#[cfg(feature = "sqlx")]
pub use sqlx::{tracing_subscriber, VigilSubscriber};
pub mod testing;

pub use config::{Config, ConfigError, Environment, Spool};
pub use init::{init, init_with, Guard};
pub use scrub::is_sensitive_key;
pub use span::{start_transaction, Span, Transaction};

/// The `sentry` protocol types (events, transactions, spans) that [`testing`] returns.
pub use sentry::protocol;
/// A span's status (`ok`, `internal_error`, `cancelled`, ...).
pub use sentry::protocol::SpanStatus;
/// The id of a captured event (nil when nothing was captured).
pub use sentry::types::Uuid as EventId;
/// Event and breadcrumb levels.
pub use sentry::Level;
pub use user::{clear_user_context, set_user_context, User};

/// `"<package>@<version>"` of the crate where it is written: the release name to give
/// [`Config::release`] in a binary, so deployed builds report the right release without
/// `SENTRY_RELEASE`.
///
/// ```
/// # use vigil_runtime as vigil;
/// # use vigil_runtime::release_name;
/// let config = vigil::Config::from_env()?.release(vigil::release_name!());
/// assert_eq!(vigil::release_name!(), concat!("vigil-runtime@", env!("CARGO_PKG_VERSION")));
/// # Ok::<(), vigil::ConfigError>(())
/// ```
#[macro_export]
macro_rules! release_name {
    () => {
        ::core::concat!(
            ::core::env!("CARGO_PKG_NAME"),
            "@",
            ::core::env!("CARGO_PKG_VERSION")
        )
    };
}

/// A `tracing` layer that turns `tracing` events into breadcrumbs, so the log lines that led
/// to an error arrive with it. `tracing` spans are left alone: vigil's attributes make spans.
///
/// Events at `INFO`, `WARN` and `ERROR` become breadcrumbs; `DEBUG` and `TRACE` are ignored.
/// With the `sqlx` feature it also turns sqlx's query events into `db.sql.query` spans and
/// `query` breadcrumbs, for the queries that run on the caller's task (PostgreSQL, MySQL)
/// and that a global level filter of yours lets through. Wrapping your subscriber with
/// `vigil::tracing_subscriber(..)` covers SQLite too, whatever your filters say.
///
/// ```
/// # use vigil_runtime as vigil;
/// use tracing_subscriber::layer::SubscriberExt;
/// let subscriber = tracing_subscriber::registry().with(vigil::tracing_layer());
/// let captured = vigil::testing::capture(|| {
///     tracing::subscriber::with_default(subscriber, || {
///         tracing::info!(order = 7, "loading order");
///         vigil::__private::EventBuilder::message("failed", vigil::Level::Error).capture();
///     });
/// });
/// let crumbs = &captured.single_event().breadcrumbs;
/// assert_eq!(crumbs[0].message.as_deref(), Some("loading order"));
/// ```
pub fn tracing_layer<S>() -> impl tracing_subscriber::Layer<S> + Send + Sync + 'static
where
    S: tracing_core::Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
{
    use tracing_subscriber::Layer as _;
    let breadcrumbs = sentry_tracing::BreadcrumbLayer::new().with_filter(
        tracing_subscriber::filter::filter_fn(|meta| {
            meta.is_event()
                && !(cfg!(feature = "sqlx") && meta.target() == "sqlx::query")
                && matches!(
                    *meta.level(),
                    tracing_core::Level::ERROR
                        | tracing_core::Level::WARN
                        | tracing_core::Level::INFO
                )
        }),
    );
    #[cfg(feature = "sqlx")]
    let breadcrumbs = breadcrumbs.and_then(
        QueryLayer.with_filter(tracing_subscriber::filter::filter_fn(sqlx::is_query_event)),
    );
    breadcrumbs
}

/// The part of [`tracing_layer`] that hands sqlx's query events to vigil.
#[cfg(feature = "sqlx")]
struct QueryLayer;

#[cfg(feature = "sqlx")]
impl<S: tracing_core::Subscriber> tracing_subscriber::Layer<S> for QueryLayer {
    fn on_event(
        &self,
        event: &tracing_core::Event<'_>,
        _: tracing_subscriber::layer::Context<'_, S>,
    ) {
        if !sqlx::handled_outside() {
            sqlx::on_query_event(event);
        }
    }
}
