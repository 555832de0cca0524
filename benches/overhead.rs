//! vigil side by side with the alternatives, in one run, on the same function body.
//!
//! `cargo bench --bench overhead`; `python3 benches/report.py` turns the results into the
//! table of BENCHMARKS.md (times and ratios).
//!
//! The order matters: the "disabled" rows run before anything is initialised; then vigil is
//! initialised with a transport that drops envelopes (so sending costs only what the client
//! does before the network), and the `sentry` / `tracing` rows run against that same client.

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion};
use tracing_subscriber::layer::SubscriberExt;
use vigil::protocol::Envelope;

#[allow(dead_code)] // the HTTP benches' part of it
mod support;
use support::functions::{bare_result, body, monitored_result, raw_child_result};

/// Query spans seen in sent transactions (the `sql` group checks its real queries count).
static QUERY_SPANS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

struct NullTransport;
impl sentry::Transport for NullTransport {
    fn send_envelope(&self, envelope: Envelope) {
        if cfg!(feature = "sqlx") {
            for item in envelope.items() {
                if let vigil::protocol::EnvelopeItem::Transaction(tx) = item {
                    let n = tx
                        .spans
                        .iter()
                        .filter(|s| s.op.as_deref() == Some("db.sql.query"));
                    QUERY_SPANS.fetch_add(n.count(), std::sync::atomic::Ordering::Relaxed);
                }
            }
        }
        black_box(envelope);
    }
}

#[inline(never)]
fn bare(x: u64) -> u64 {
    body(x)
}

#[vigil::monitored]
#[inline(never)]
fn monitored(x: u64) -> u64 {
    body(x)
}

/// The Err path: every call fails and its error is captured (and scrubbed).
#[vigil::monitored]
#[inline(never)]
fn monitored_failing(x: u64) -> Result<u64, std::io::Error> {
    Err(std::io::Error::other(format!(
        "card declined by issuer, code {}",
        body(x) % 100
    )))
}

#[vigil::monitored]
async fn monitored_async_result(x: u64) -> Result<u64, std::io::Error> {
    monitored_result_body(x)
}

#[inline(never)]
fn monitored_result_body(x: u64) -> Result<u64, std::io::Error> {
    bare_result(x)
}

#[tracing::instrument]
#[inline(never)]
fn instrumented(x: u64) -> u64 {
    body(x)
}

#[vigil::transaction(op = "task", sample_rate = 0.0)]
fn in_unsampled<R>(f: impl FnOnce() -> R) -> R {
    f()
}

#[vigil::transaction(op = "task", sample_rate = 0.0)]
#[inline(never)]
fn tx_unsampled(x: u64) -> u64 {
    body(x)
}

#[vigil::transaction(op = "task", sample_rate = 1.0)]
#[inline(never)]
fn tx_sampled(x: u64) -> u64 {
    body(x)
}

#[vigil::monitored]
async fn monitored_async(x: u64) -> u64 {
    body(x)
}

async fn bare_async(x: u64) -> u64 {
    body(x)
}

/// Times `iters` calls of `f`, 500 per transaction opened by `open` (so every span is really
/// recorded: a transaction keeps at most 1,000); opening and sending are not timed.
fn per_transaction<T>(iters: u64, open: impl Fn() -> T, f: impl Fn(u64) -> u64) -> Duration {
    let mut total = Duration::ZERO;
    let mut done = 0;
    while done < iters {
        let n = (iters - done).min(500);
        let tx = open();
        let start = Instant::now();
        for i in 0..n {
            black_box(f(i));
        }
        total += start.elapsed();
        drop(tx);
        // Sent before the next batch is timed: vigil builds and scrubs a transaction on its
        // worker, which on a 2-core machine would otherwise run beside the timed loop (the
        // `transaction` rows and `benches/service.rs` show that cost).
        if let Some(client) = sentry::Hub::current().client() {
            client.flush(Some(Duration::from_secs(5)));
        }
        done += n;
    }
    total
}

/// A raw `sentry` transaction, made the scope's span (where `start_child` finds its parent).
fn sentry_transaction(sampled: bool) -> sentry::Transaction {
    let mut ctx = sentry::TransactionContext::new("bench", "task");
    ctx.set_sampled(sampled);
    let tx = sentry::start_transaction(ctx);
    sentry::configure_scope(|s| s.set_span(Some(tx.clone().into())));
    tx
}

#[derive(Debug)]
struct PayError {
    detail: String,
}
impl std::fmt::Display for PayError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.detail)
    }
}
impl std::error::Error for PayError {}

/// A realistic error event of about 10 KB: stack trace, breadcrumbs, request, extra.
fn realistic_event() -> vigil::protocol::Event<'static> {
    use vigil::protocol::*;
    let frames = (0..40)
        .map(|i| Frame {
            function: Some(format!("billing::service::handler::step_{i}")),
            filename: Some(format!("src/service/handler_{i}.rs")),
            lineno: Some(100 + i),
            in_app: Some(i % 2 == 0),
            vars: Map::from([("attempt".to_owned(), Value::from(i))]),
            ..Default::default()
        })
        .collect();
    let breadcrumbs = (0..30)
        .map(|i| Breadcrumb {
            category: Some("http".into()),
            message: Some(format!("GET /api/v1/orders/{i}?page=2 returned 200")),
            data: Map::from([
                ("status".to_owned(), Value::from(200)),
                (
                    "url".to_owned(),
                    Value::from(format!("https://api.example.com/orders/{i}")),
                ),
            ]),
            ..Default::default()
        })
        .collect::<Vec<_>>();
    Event {
        message: Some("payment failed for order 1234: card declined by issuer".into()),
        exception: vec![Exception {
            ty: "PayError".into(),
            value: Some("card declined (code 51), retry later".into()),
            stacktrace: Some(Stacktrace {
                frames,
                ..Default::default()
            }),
            ..Default::default()
        }]
        .into(),
        breadcrumbs: breadcrumbs.into(),
        tags: (0..10)
            .map(|i| (format!("tag_{i}"), format!("value-{i}")))
            .collect(),
        extra: Map::from([
            (
                "order".to_owned(),
                serde_json::json!({"id": 1234, "items": [{"sku": "A-1", "qty": 2}, {"sku": "B-7", "qty": 1}], "total": 4200, "currency": "EUR"}),
            ),
            (
                "customer".to_owned(),
                serde_json::json!({"id": 77, "plan": "pro", "country": "DE"}),
            ),
        ]),
        request: Some(Request {
            url: "https://api.example.com/v1/checkout?step=2".parse().ok(),
            method: Some("POST".into()),
            headers: Map::from([
                ("Accept".to_owned(), "application/json".to_owned()),
                ("Content-Type".to_owned(), "application/json".to_owned()),
                (
                    "User-Agent".to_owned(),
                    "Mozilla/5.0 (X11; Linux x86_64)".to_owned(),
                ),
            ]),
            ..Default::default()
        }),
        ..Default::default()
    }
}

fn benches(c: &mut Criterion) {
    // ---- nothing initialised ------------------------------------------------------------
    let mut g = c.benchmark_group("call");
    g.bench_function("bare", |b| b.iter(|| bare(black_box(7))));
    g.bench_function("vigil_monitored_disabled", |b| {
        b.iter(|| monitored(black_box(7)))
    });
    g.bench_function("tracing_instrument_no_subscriber", |b| {
        b.iter(|| instrumented(black_box(7)))
    });
    g.bench_function("result_bare", |b| b.iter(|| bare_result(black_box(7))));
    g.bench_function("vigil_monitored_result_disabled", |b| {
        b.iter(|| monitored_result(black_box(7)))
    });
    g.finish();

    // ---- vigil initialised, a transport that drops ------------------------------------------
    let _guard = vigil::init_with(
        vigil::Config::new()
            .transport(Arc::new(NullTransport))
            .traces_sample_rate(1.0),
    )
    .expect("valid config");

    let mut g = c.benchmark_group("span");
    g.bench_function("vigil_monitored_no_transaction", |b| {
        b.iter(|| monitored(black_box(7)))
    });
    g.bench_function("vigil_monitored_unsampled", |b| {
        b.iter_custom(|iters| {
            per_transaction(
                iters,
                || in_unsampled(|| vigil::start_transaction("x", "task")),
                monitored,
            )
        })
    });
    g.bench_function("vigil_monitored_sampled", |b| {
        b.iter_custom(|iters| {
            per_transaction(
                iters,
                || vigil::start_transaction("bench", "task"),
                monitored,
            )
        })
    });
    let sentry_tx = |sampled: bool| move || sentry_transaction(sampled);
    let raw_child = |x: u64| {
        let span = sentry::configure_scope(|s| s.get_span())
            .map(|parent| parent.start_child("function", "raw"));
        let out = body(x);
        if let Some(span) = span {
            span.finish();
        }
        out
    };
    g.bench_function("vigil_monitored_result_unsampled", |b| {
        b.iter_custom(|iters| {
            per_transaction(
                iters,
                || in_unsampled(|| vigil::start_transaction("x", "task")),
                |x| monitored_result(x).unwrap_or(0),
            )
        })
    });
    g.bench_function("vigil_monitored_result_sampled", |b| {
        b.iter_custom(|iters| {
            per_transaction(
                iters,
                || vigil::start_transaction("bench", "task"),
                |x| monitored_result(x).unwrap_or(0),
            )
        })
    });
    g.bench_function("vigil_monitored_result_err_sampled", |b| {
        b.iter_custom(|iters| {
            per_transaction(
                iters,
                || vigil::start_transaction("bench", "task"),
                |x| monitored_failing(x).unwrap_or(0),
            )
        })
    });
    // The same by hand with `sentry`: a child span, the error captured, the span failed.
    let raw_child_failing = |x: u64| {
        let span = sentry::configure_scope(|s| s.get_span())
            .map(|parent| parent.start_child("function", "raw"));
        let err = std::io::Error::other(format!("card declined by issuer, code {}", body(x) % 100));
        sentry::capture_error(&err);
        if let Some(span) = span {
            span.set_status(vigil::SpanStatus::InternalError);
            span.finish();
        }
        black_box(err);
        0
    };
    g.bench_function("sentry_start_child_result_sampled", |b| {
        b.iter_custom(|iters| per_transaction(iters, sentry_tx(true), raw_child_result))
    });
    g.bench_function("sentry_start_child_capture_error_sampled", |b| {
        b.iter_custom(|iters| per_transaction(iters, sentry_tx(true), raw_child_failing))
    });
    g.bench_function("sentry_start_child_unsampled", |b| {
        b.iter_custom(|iters| per_transaction(iters, sentry_tx(false), raw_child))
    });
    g.bench_function("sentry_start_child_sampled", |b| {
        b.iter_custom(|iters| per_transaction(iters, sentry_tx(true), raw_child))
    });
    let sentry_layer = || tracing_subscriber::registry().with(sentry_tracing::SpanLayer::new());
    g.bench_function("tracing_instrument_sentry_tracing_unsampled", |b| {
        tracing::subscriber::with_default(sentry_layer(), || {
            b.iter_custom(|iters| per_transaction(iters, sentry_tx(false), instrumented))
        })
    });
    g.bench_function("tracing_instrument_sentry_tracing_sampled", |b| {
        tracing::subscriber::with_default(sentry_layer(), || {
            b.iter_custom(|iters| per_transaction(iters, sentry_tx(true), instrumented))
        })
    });
    g.finish();

    let mut g = c.benchmark_group("transaction");
    g.bench_function("vigil_transaction_unsampled", |b| {
        b.iter(|| tx_unsampled(black_box(7)))
    });
    g.bench_function("vigil_transaction_sampled", |b| {
        b.iter(|| tx_sampled(black_box(7)))
    });
    g.bench_function("sentry_transaction_unsampled", |b| {
        b.iter(|| {
            let mut ctx = sentry::TransactionContext::new("bench", "task");
            ctx.set_sampled(false);
            let tx = sentry::start_transaction(ctx);
            black_box(body(7));
            tx.finish();
        })
    });
    g.bench_function("sentry_transaction_sampled", |b| {
        b.iter(|| {
            let mut ctx = sentry::TransactionContext::new("bench", "task");
            ctx.set_sampled(true);
            let tx = sentry::start_transaction(ctx);
            black_box(body(7));
            tx.finish();
        })
    });
    g.finish();

    let mut g = c.benchmark_group("capture");
    let plain = PayError {
        detail: "card declined by issuer, code 51".into(),
    };
    let secret = PayError {
        detail: "declined: Authorization: Bearer abcdef123456 for password=hunter2 card 4111111111111111".into(),
    };
    g.bench_function("sentry_capture_error", |b| {
        b.iter(|| sentry::capture_error(black_box(&plain)))
    });
    g.bench_function("vigil_capture_exception", |b| {
        b.iter(|| vigil::capture_exception!(black_box(&plain)))
    });
    g.bench_function("vigil_capture_exception_with_secrets", |b| {
        b.iter(|| vigil::capture_exception!(black_box(&secret), user_id = 7, password = "x"))
    });
    g.finish();

    let mut g = c.benchmark_group("scrub");
    let event = realistic_event();
    let size = serde_json::to_vec(&event).unwrap().len();
    println!("realistic event: {size} bytes of JSON");
    g.throughput(criterion::Throughput::Elements(1));
    g.bench_function("clone_event", |b| b.iter(|| black_box(event.clone())));
    g.bench_function("serialize_event_json", |b| {
        b.iter(|| black_box(serde_json::to_vec(black_box(&event)).unwrap()))
    });
    g.bench_function("vigil_scrub_event", |b| {
        b.iter_batched_ref(
            || event.clone(),
            vigil::__private::scrub_event,
            criterion::BatchSize::SmallInput,
        )
    });
    g.finish();

    let mut g = c.benchmark_group("async");
    let waker = std::task::Waker::noop();
    let poll_once = |fut: std::pin::Pin<&mut dyn std::future::Future<Output = u64>>| {
        let mut cx = std::task::Context::from_waker(waker);
        match fut.poll(&mut cx) {
            std::task::Poll::Ready(v) => v,
            std::task::Poll::Pending => unreachable!(),
        }
    };
    let poll_once_result =
        |fut: std::pin::Pin<&mut dyn std::future::Future<Output = Result<u64, std::io::Error>>>| {
            let mut cx = std::task::Context::from_waker(waker);
            match fut.poll(&mut cx) {
                std::task::Poll::Ready(v) => v.unwrap_or(0),
                std::task::Poll::Pending => unreachable!(),
            }
        };
    g.bench_function("bare_async", |b| {
        b.iter(|| {
            let mut fut = std::pin::pin!(bare_async(black_box(7)));
            poll_once(fut.as_mut())
        })
    });
    g.bench_function("vigil_monitored_async_result_sampled", |b| {
        b.iter_custom(|iters| {
            per_transaction(
                iters,
                || vigil::start_transaction("bench", "task"),
                |x| {
                    let mut fut = std::pin::pin!(monitored_async_result(x));
                    poll_once_result(fut.as_mut())
                },
            )
        })
    });
    g.bench_function("vigil_monitored_async_sampled", |b| {
        b.iter_custom(|iters| {
            per_transaction(
                iters,
                || vigil::start_transaction("bench", "task"),
                |x| {
                    let mut fut = std::pin::pin!(monitored_async(x));
                    poll_once(fut.as_mut())
                },
            )
        })
    });
    g.finish();

    #[cfg(feature = "sqlx")]
    sql(c);
}

/// What sqlx reports per query (target `sqlx::query`, the fields its query logger records).
#[cfg(feature = "sqlx")]
fn sqlx_query_event() {
    tracing::event!(
        target: "sqlx::query",
        tracing::Level::DEBUG,
        summary = "SELECT item FROM orders …",
        db.statement = "\n\nSELECT item FROM orders\nWHERE id = ?\n",
        rows_affected = 0u64,
        rows_returned = 1u64,
        elapsed = ?Duration::from_micros(40),
        elapsed_secs = 0.000_04f64,
        ""
    );
}

/// The `sqlx` feature: what turning one query into a span and a breadcrumb costs, against
/// doing the same by hand with the `sentry` crate, and against a real query for scale.
#[cfg(feature = "sqlx")]
fn sql(c: &mut Criterion) {
    let mut g = c.benchmark_group("sql");
    // A real query on an in-memory SQLite database, recorded by vigil, for scale. First in
    // the group: vigil installs its subscriber when the first transaction starts, unless a
    // subscriber (even a scoped one, as below) was set before.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let pool = rt.block_on(async {
        let pool = sqlx::sqlite::SqlitePoolOptions::new()
            .max_connections(1)
            .connect("sqlite::memory:")
            .await
            .expect("an in-memory database");
        sqlx::query("CREATE TABLE orders (id INTEGER PRIMARY KEY, item TEXT)")
            .execute(&pool)
            .await
            .expect("a table");
        pool
    });
    let select = |x: u64| {
        rt.block_on(async {
            let row: Option<String> = sqlx::query_scalar("SELECT item FROM orders WHERE id = ?")
                .bind(x as i64)
                .fetch_optional(&pool)
                .await
                .expect("a query");
            black_box(row);
        });
        x
    };
    // Checked once up front, whichever rows a filter selects: these queries are recorded.
    per_transaction(1, || vigil::start_transaction("bench", "task"), select);
    assert!(
        QUERY_SPANS.load(std::sync::atomic::Ordering::Relaxed) > 0,
        "a real query was not recorded as a span"
    );
    g.bench_function("sqlite_select_in_sampled_transaction", |b| {
        b.iter_custom(|iters| {
            per_transaction(iters, || vigil::start_transaction("bench", "task"), select)
        })
    });
    g.bench_function("sqlx_event_nobody_listening", |b| {
        tracing::subscriber::with_default(tracing::subscriber::NoSubscriber::default(), || {
            b.iter(sqlx_query_event)
        })
    });
    let vigil_layer = || tracing_subscriber::registry().with(vigil::tracing_layer());
    g.bench_function("vigil_query_span_sampled", |b| {
        tracing::subscriber::with_default(vigil_layer(), || {
            b.iter_custom(|iters| {
                per_transaction(
                    iters,
                    || vigil::start_transaction("bench", "task"),
                    |x| {
                        sqlx_query_event();
                        x
                    },
                )
            })
        })
    });
    g.bench_function("sentry_span_and_breadcrumb_by_hand", |b| {
        b.iter_custom(|iters| {
            per_transaction(
                iters,
                || sentry_transaction(true),
                |x| {
                    let sql = "SELECT item FROM orders\nWHERE id = ?";
                    if let Some(parent) = sentry::configure_scope(|s| s.get_span()) {
                        let span = parent.start_child("db.sql.query", sql);
                        span.set_data("db.system", "sqlite".into());
                        span.set_data("db.rows_returned", 1.into());
                        span.finish();
                    }
                    sentry::add_breadcrumb(sentry::Breadcrumb {
                        ty: "query".into(),
                        category: Some("query".into()),
                        message: Some(sql.into()),
                        ..Default::default()
                    });
                    x
                },
            )
        })
    });
    g.finish();
}

criterion_group! {
    name = overhead;
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(2))
        .sample_size(30);
    targets = benches
}
criterion_main!(overhead);
