//! What the benches share: the transport and the alternative's set-up of the HTTP benches
//! (`request`, `service`, `icount`), the service both `service` and `icount` run, and the
//! functions both `overhead` and `icount` measure.

#[cfg(feature = "axum")]
pub mod app;
pub mod functions;
#[cfg(all(feature = "axum", feature = "sqlx"))]
pub mod service_app;

/// Serializes every envelope, then drops it: the cost of a transport short of the network,
/// the same for vigil and for the `sentry` set-ups it is compared with.
pub struct Serializing;

impl sentry::Transport for Serializing {
    fn send_envelope(&self, envelope: vigil::protocol::Envelope) {
        let mut bytes = Vec::with_capacity(4096);
        let _ = envelope.to_writer(&mut bytes);
        std::hint::black_box(bytes);
    }
}

/// The alternative every HTTP bench compares vigil with, at rate 1.0 on the same transport:
/// the `sentry` client (its guard, to keep) and the `sentry-tracing` subscriber (spans as
/// Sentry spans, ERROR events as Sentry events, the rest as breadcrumbs) that
/// `sentry-tower` + `#[tracing::instrument]` run under.
pub fn sentry_tracing_setup() -> (
    sentry::ClientInitGuard,
    impl tracing::Subscriber + Send + Sync,
) {
    use tracing_subscriber::layer::SubscriberExt;
    let guard = sentry::init(
        sentry::ClientOptions::new()
            .dsn("http://public@127.0.0.1:9/1")
            .traces_sample_rate(1.0)
            .transport(std::sync::Arc::new(Serializing)),
    );
    let subscriber = tracing_subscriber::registry()
        .with(sentry_tracing::SpanLayer::new())
        .with(sentry_tracing::ErrorLayer::new())
        .with(sentry_tracing::BreadcrumbLayer::new());
    (guard, subscriber)
}
