//! The `tracing` bridge (always on): [`tracing_layer`] turns `tracing` events into
//! breadcrumbs and hands the events integrations claim to them; [`tracing_subscriber`]
//! wraps an application's subscriber to do the same whatever its filters say (see
//! `subscriber`).

mod logs;
mod subscriber;

pub use subscriber::{tracing_subscriber, VigilSubscriber};

use crate::hooks::{self, Integration};

/// The bridge at the core's seams: when a transaction starts, vigil's own subscriber is
/// installed if an integration takes `tracing` events and the application has none.
pub(crate) struct Tracing;

impl Integration for Tracing {
    fn transaction_starts(&self) {
        subscriber::install_once();
    }
}

/// A `tracing` layer that turns `tracing` events into what Sentry shows of logs:
///
/// - at `ERROR` (see [`Config::log_event_level`](crate::Config::log_event_level)), an error
///   event: the message, the logger (the event's target), the fields as `extra` (scrubbed by
///   name and value like everything else), inside the current span and transaction;
/// - at `INFO` and `WARN` (see [`Config::log_breadcrumb_level`](crate::Config::log_breadcrumb_level)),
///   a breadcrumb, so the log lines that led to an error arrive with it;
/// - below, nothing. `tracing` spans are left alone: vigil's attributes make spans.
///
/// An error logged at `ERROR` and then returned by a `#[vigil::monitored]` function is one
/// event (the log's), not two. With the `sqlx` feature it also turns sqlx's query events into
/// `db.sql.query` spans and `query` breadcrumbs, for the queries that run on the caller's
/// task (PostgreSQL, MySQL) and that a global level filter of yours lets through. Wrapping
/// your subscriber with `vigil::tracing_subscriber(..)` covers SQLite too, whatever your
/// filters say.
///
/// ```
/// # use vigil_runtime as vigil;
/// use tracing_subscriber::layer::SubscriberExt;
/// let subscriber = tracing_subscriber::registry().with(vigil::tracing_layer());
/// let captured = vigil::testing::capture(|| {
///     tracing::subscriber::with_default(subscriber, || {
///         tracing::info!(order = 7, "loading order");
///         tracing::error!(order = 7, "payment gateway unreachable");
///     });
/// });
/// let event = captured.single_event();
/// assert_eq!(event.message.as_deref(), Some("payment gateway unreachable"));
/// assert_eq!(event.extra["order"], 7);
/// assert_eq!(event.breadcrumbs[0].message.as_deref(), Some("loading order"));
/// ```
pub fn tracing_layer<S>() -> impl tracing_subscriber::Layer<S> + Send + Sync + 'static
where
    S: tracing_core::Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
{
    use tracing_subscriber::Layer as _;
    LogLayer.and_then(
        ClaimedLayer.with_filter(tracing_subscriber::filter::filter_fn(|meta| {
            hooks::claimant(meta).is_some_and(|c| c.wants_tracing_event_now(meta))
        })),
    )
}

/// The part of [`tracing_layer`] that makes events and breadcrumbs of log lines.
struct LogLayer;

impl<S: tracing_core::Subscriber> tracing_subscriber::Layer<S> for LogLayer {
    fn on_event(
        &self,
        event: &tracing_core::Event<'_>,
        _: tracing_subscriber::layer::Context<'_, S>,
    ) {
        if crate::state::enabled() && hooks::claimant(event.metadata()).is_none() {
            logs::on_event(event);
        }
    }
}

/// The part of [`tracing_layer`] that hands claimed events to their integration.
struct ClaimedLayer;

impl<S: tracing_core::Subscriber> tracing_subscriber::Layer<S> for ClaimedLayer {
    fn on_event(
        &self,
        event: &tracing_core::Event<'_>,
        _: tracing_subscriber::layer::Context<'_, S>,
    ) {
        if subscriber::handled_outside() {
            return;
        }
        if let Some(claimant) = hooks::claimant(event.metadata()) {
            claimant.tracing_event(event);
        }
    }
}
