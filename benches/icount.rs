//! Instructions per operation, counted by valgrind rather than timed: deterministic, so a
//! change to the hot path can be judged on a busy machine (the `overhead` and `request`
//! benches time the same operations). Each case runs `n` operations; only `measure` and
//! `measure_request` are counted (named exactly: a pattern such as `*measure*` also matches
//! their closures, and entering one of those would toggle counting off), and two runs with
//! different `n` give the cost of one:
//!
//! ```sh
//! cargo bench --bench icount --features axum --no-run
//! valgrind --tool=callgrind --toggle-collect='icount::measure' \
//!     --toggle-collect='icount::request::measure_request' target/release/deps/icount-<hash> <case> <n>
//! ```
//!
//! Cases: `sync` (`#[vigil::monitored] fn -> Result` in a sampled transaction; and
//! `sync_unsampled`, `sync_no_transaction`), `async`
//! (the same as an `async fn`), `raw` (`sentry`'s `start_child` + status + `finish`), and with
//! the `axum` feature one request through a router: `req_bare` (no SDK), `req_disabled`,
//! `req0`, `req01`, `req1` (vigil at those rates) and `tower` (sentry-tower + sentry-tracing
//! at rate 1).
//!
//! What a request costs every thread of the process (vigil's worker too: building, scrubbing
//! and the transport's serializing of each transaction) is counted without the toggles, the
//! client flushed every 50 requests rather than after each (see `request::run`):
//!
//! ```sh
//! VIGIL_ICOUNT_FLUSH_EVERY=50 valgrind --tool=callgrind target/release/deps/icount-<hash> req1 <n>
//! ```

use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

#[allow(dead_code)]
mod support;
use support::functions::{bare_result, monitored_result, raw_child_result};
#[allow(unused_imports)] // the request cases' (feature `axum`)
use support::Serializing;

struct NullTransport;
impl sentry::Transport for NullTransport {
    fn send_envelope(&self, envelope: vigil::protocol::Envelope) {
        black_box(envelope);
    }
}

#[vigil::monitored]
async fn monitored_async_result(x: u64) -> Result<u64, std::io::Error> {
    bare_result(x)
}

#[vigil::transaction(op = "task", sample_rate = 0.0)]
fn in_unsampled<R>(f: impl FnOnce() -> R) -> R {
    f()
}

fn poll_once<F: std::future::Future>(fut: std::pin::Pin<&mut F>) -> F::Output {
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    match fut.poll(&mut cx) {
        std::task::Poll::Ready(v) => v,
        std::task::Poll::Pending => unreachable!(),
    }
}

/// The measured loop: `n` calls of `f`, 500 per transaction opened by `open` (not measured).
fn per_transaction<T>(n: u64, open: impl Fn() -> T, f: impl Fn(u64) -> u64) {
    let mut done = 0;
    while done < n {
        let k = (n - done).min(500);
        let tx = open();
        measure(k, &f);
        drop(tx);
        if let Some(client) = sentry::Hub::current().client() {
            client.flush(Some(Duration::from_secs(5)));
        }
        done += k;
    }
}

#[inline(never)]
fn measure(k: u64, f: &dyn Fn(u64) -> u64) {
    for i in 0..k {
        black_box(f(black_box(i)));
    }
}

fn sentry_transaction() -> sentry::Transaction {
    let mut ctx = sentry::TransactionContext::new("bench", "task");
    ctx.set_sampled(true);
    let tx = sentry::start_transaction(ctx);
    sentry::configure_scope(|s| s.set_span(Some(tx.clone().into())));
    tx
}

#[cfg(feature = "axum")]
mod request {
    use axum::body::Body;
    use axum::http::Request;
    use axum::Router;
    use tower::ServiceExt;

    use super::support::app::request;
    pub use super::support::app::{bare, with_sentry_tower, with_vigil};

    /// `n` requests; the measured part is `one` (callgrind: toggle on `measure_request`).
    ///
    /// The client is flushed every `flush_every` requests. With 1 (the request's thread
    /// measured alone), the worker sends each request's transaction before the next request:
    /// under valgrind threads take turns, and a worker left behind would drop transactions,
    /// or free on the next request's turn what the last one left (counted there). Counting
    /// every thread, flush less often: each flush also sends the request sessions counted
    /// so far, once a minute in a service, and every 50 requests stays well within the
    /// worker's queue. Not inlined: `--zero-before='icount::request::run'` names it.
    #[inline(never)]
    pub fn run(n: u64, router: &Router, flush_every: u64) {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        for i in 1..=n {
            let req = request();
            measure_request(&rt, router, req);
            if i % flush_every == 0 || i == n {
                if let Some(client) = sentry::Hub::current().client() {
                    client.flush(Some(std::time::Duration::from_secs(5)));
                }
            }
        }
    }

    #[inline(never)]
    fn measure_request(rt: &tokio::runtime::Runtime, router: &Router, req: Request<Body>) {
        rt.block_on(async {
            let response = router.clone().oneshot(req).await.expect("infallible");
            assert!(response.status().is_success());
            std::hint::black_box(response);
        })
    }
}

/// The `service` bench's service, in process: requests through its router without the
/// network, the two routes in turn (cases `svc_bare`, `svc_disabled`, `svc0`, `svc01`,
/// `svc1`, `svc_unsampled`, `svc_tower`). Meant to be counted whole (every thread: the
/// request's, SQLite's, vigil's worker): `--zero-before='icount::service::run'` leaves the
/// set-up out.
#[cfg(all(feature = "axum", feature = "sqlx"))]
mod service {
    use axum::body::Body;
    use axum::http::Request;
    use tower::ServiceExt;

    use super::support::service_app::{database, path, router, Instrumentation};

    /// Builds the service and sends it `n` requests, flushing the client every `flush_every`.
    pub fn serve(n: u64, instrumentation: Instrumentation, flush_every: u64) {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let app = router(instrumentation, rt.block_on(database()));
        run(n, &rt, &app, flush_every);
    }

    #[inline(never)]
    fn run(n: u64, rt: &tokio::runtime::Runtime, app: &axum::Router, flush_every: u64) {
        for i in 1..=n {
            let req = Request::get(path(i as usize))
                .header("host", "bench")
                .body(Body::empty())
                .expect("a valid request");
            rt.block_on(async {
                let response = app.clone().oneshot(req).await.expect("infallible");
                assert!(response.status().is_success());
                std::hint::black_box(response);
            });
            if i % flush_every == 0 || i == n {
                if let Some(client) = sentry::Hub::current().client() {
                    client.flush(Some(std::time::Duration::from_secs(5)));
                }
            }
        }
    }
}

/// vigil at sample rate `rate`, sending to the serializing transport (the request cases').
#[cfg(feature = "axum")]
fn vigil_at(rate: f32) -> vigil::Guard {
    vigil::init_with(
        vigil::Config::new()
            .transport(Arc::new(Serializing))
            .traces_sample_rate(rate),
    )
    .expect("valid config")
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let case = args.get(1).map(String::as_str).unwrap_or("sync");
    if case == "sink" {
        return support::serve_sink();
    }
    let n: u64 = args.get(2).and_then(|n| n.parse().ok()).unwrap_or(10_000);
    #[cfg(feature = "axum")]
    {
        // `VIGIL_ICOUNT_FLUSH_EVERY=50` when every thread is counted (see `request::run`).
        let flush_every: u64 = std::env::var("VIGIL_ICOUNT_FLUSH_EVERY")
            .ok()
            .and_then(|n| n.parse().ok())
            .filter(|&n| n > 0)
            .unwrap_or(1);
        #[cfg(feature = "sqlx")]
        {
            use support::service_app::Instrumentation;
            let vigil = |rate: Option<f32>| {
                let _guard = rate.map(vigil_at);
                service::serve(n, Instrumentation::Vigil, flush_every);
            };
            // Over HTTP: each SDK's own transport to a stand-in for Sentry in another process
            // (vigil's writes the envelope itself, the `sentry` crate's through `to_writer`).
            let over_http = || {
                let mut sink = std::process::Command::new(std::env::current_exe().expect("path"))
                    .arg("sink")
                    .stdin(std::process::Stdio::piped())
                    .stdout(std::process::Stdio::piped())
                    .spawn()
                    .expect("the sink");
                let mut port = String::new();
                std::io::BufRead::read_line(
                    &mut std::io::BufReader::new(sink.stdout.as_mut().expect("stdout")),
                    &mut port,
                )
                .expect("its port");
                (sink, format!("http://public@127.0.0.1:{}/1", port.trim()))
            };
            match case {
                "svc1_http" => {
                    let (_sink, dsn) = over_http();
                    let _guard = vigil::init_with(
                        vigil::Config::new()
                            .dsn(dsn.as_str())
                            .traces_sample_rate(1.0),
                    )
                    .expect("valid config");
                    return service::serve(n, Instrumentation::Vigil, flush_every);
                }
                "svc_tower_http" => {
                    let (_sink, dsn) = over_http();
                    let (_sentry, subscriber) = support::sentry_tracing_over_http(&dsn);
                    tracing::subscriber::set_global_default(subscriber).expect("one subscriber");
                    return service::serve(n, Instrumentation::SentryTower, flush_every);
                }
                "svc_bare" => return service::serve(n, Instrumentation::Bare, flush_every),
                "svc_disabled" => return vigil(None),
                "svc0" => return vigil(Some(0.0)),
                "svc01" => return vigil(Some(0.1)),
                // Tracing on, the request not sampled (what 90 % of requests at 0.1 cost).
                "svc_unsampled" => return vigil(Some(1e-9)),
                "svc1" => return vigil(Some(1.0)),
                "svc_tower" => {
                    let (_sentry, subscriber) = support::sentry_tracing_setup();
                    // Global, as the service sets it: SQLite's worker thread sees it too.
                    tracing::subscriber::set_global_default(subscriber).expect("one subscriber");
                    return service::serve(n, Instrumentation::SentryTower, flush_every);
                }
                _ => {}
            }
        }
        let rate = match case {
            "req_bare" => {
                request::run(n, &request::bare(), flush_every);
                return;
            }
            "req_disabled" => None,
            "req0" => Some(0.0),
            "req01" => Some(0.1),
            "req1" => Some(1.0),
            "tower" => {
                let (_sentry, subscriber) = support::sentry_tracing_setup();
                tracing::subscriber::with_default(subscriber, || {
                    request::run(n, &request::with_sentry_tower(), flush_every)
                });
                return;
            }
            _ => Some(-1.0),
        };
        if rate != Some(-1.0) {
            let guard = rate.map(vigil_at);
            request::run(n, &request::with_vigil(), flush_every);
            if let Some(guard) = guard {
                guard.flush(Duration::from_secs(5));
            }
            return;
        }
    }
    let _guard = vigil::init_with(
        vigil::Config::new()
            .transport(Arc::new(NullTransport))
            .traces_sample_rate(1.0),
    )
    .expect("valid config");
    let vigil_tx = || vigil::start_transaction("bench", "task");
    match case {
        "sync" => per_transaction(n, vigil_tx, |x| monitored_result(x).unwrap_or(0)),
        "sync_unsampled" => per_transaction(
            n,
            || in_unsampled(|| vigil::start_transaction("x", "task")),
            |x| monitored_result(x).unwrap_or(0),
        ),
        "sync_no_transaction" => per_transaction(n, || (), |x| monitored_result(x).unwrap_or(0)),
        "async" => per_transaction(n, vigil_tx, |x| {
            let mut fut = std::pin::pin!(monitored_async_result(x));
            poll_once(fut.as_mut()).unwrap_or(0)
        }),
        "raw" => per_transaction(n, sentry_transaction, raw_child_result),
        other => panic!("unknown case {other}"),
    }
}
