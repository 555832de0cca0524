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
    let guard = sentry::init(
        sentry::ClientOptions::new()
            .dsn("http://public@127.0.0.1:9/1")
            .traces_sample_rate(1.0)
            .transport(std::sync::Arc::new(Serializing)),
    );
    (guard, sentry_tracing_subscriber())
}

/// The same set-up with the `sentry` crate's own HTTP transport, sending to `dsn`.
#[allow(dead_code)] // icount's
pub fn sentry_tracing_over_http(
    dsn: &str,
) -> (
    sentry::ClientInitGuard,
    impl tracing::Subscriber + Send + Sync,
) {
    let guard = sentry::init(
        sentry::ClientOptions::new()
            .dsn(dsn)
            .traces_sample_rate(1.0),
    );
    (guard, sentry_tracing_subscriber())
}

/// `sentry-tracing`'s layers as its documentation sets them up to do what its combined layer
/// did by default (`SentryLayer`'s migration guide): `INFO` and above spans as Sentry spans,
/// `ERROR` events as Sentry events, `WARN` and `INFO` events as breadcrumbs. The layers do
/// not filter by level themselves: without these filters every `DEBUG` event (sqlx logs each
/// query at `DEBUG`) would become a Sentry event of its own.
fn sentry_tracing_subscriber() -> impl tracing::Subscriber + Send + Sync {
    use tracing::Level;
    use tracing_subscriber::filter::{filter_fn, LevelFilter};
    use tracing_subscriber::layer::{Layer, SubscriberExt};
    tracing_subscriber::registry()
        .with(sentry_tracing::SpanLayer::new().with_filter(LevelFilter::INFO))
        .with(
            sentry_tracing::BreadcrumbLayer::new().with_filter(filter_fn(|metadata| {
                matches!(*metadata.level(), Level::WARN | Level::INFO)
            })),
        )
        .with(sentry_tracing::ErrorLayer::new().with_filter(LevelFilter::ERROR))
}

/// A stand-in for Sentry on loopback: answers every HTTP request `200 OK` and keeps nothing,
/// until its standard input closes. Run in a process of its own (`icount sink`), so that
/// what it costs is not counted with the SDK it serves; prints its port.
#[allow(dead_code)] // icount's
pub fn serve_sink() {
    use std::io::{BufRead, BufReader, Read, Write};
    use std::sync::atomic::{AtomicUsize, Ordering};
    static SERVED: AtomicUsize = AtomicUsize::new(0);
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    println!("{}", listener.local_addr().expect("address").port());
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            std::thread::spawn(move || {
                let mut writer = stream.try_clone().expect("clone");
                let mut reader = BufReader::new(stream);
                let mut line = String::new();
                loop {
                    // A request: its head, then a body of `Content-Length` bytes.
                    let mut length = 0usize;
                    loop {
                        line.clear();
                        match reader.read_line(&mut line) {
                            Ok(0) | Err(_) => return,
                            Ok(_) => {}
                        }
                        let lower = line.to_ascii_lowercase();
                        if let Some(v) = lower.strip_prefix("content-length:") {
                            length = v.trim().parse().unwrap_or(0);
                        }
                        if line == "\r\n" {
                            break;
                        }
                    }
                    let mut body = vec![0; length];
                    SERVED.fetch_add(1, Ordering::Relaxed);
                    if reader.read_exact(&mut body).is_err()
                        || writer
                            .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}")
                            .is_err()
                    {
                        return;
                    }
                }
            });
        }
    });
    let _ = std::io::stdin().read_to_end(&mut Vec::new());
    eprintln!("sink: {} requests", SERVED.load(Ordering::Relaxed));
}
