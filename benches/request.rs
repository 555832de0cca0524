//! One request through an axum router in process (tower `oneshot`, a current-thread runtime):
//! what each request costs with vigil against no instrumentation and against
//! `sentry-tower` + `sentry-tracing`, in one run. The handler awaits one
//! `async fn -> Result`.
//!
//! `cargo bench --bench request --features axum`; `python3 benches/report.py` adds the rows
//! to the table of BENCHMARKS.md. The whole-service view under load is `benches/service.rs`.
//!
//! The order matters: the rows without an SDK run first; then vigil is initialised at each
//! sample rate in turn, and last the `sentry` client for the `sentry-tower` row. Both send
//! to a transport that serializes each envelope and drops it.

use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use criterion::measurement::WallTime;
use criterion::{criterion_group, criterion_main, BenchmarkGroup, Criterion};
use tower::ServiceExt;

#[allow(dead_code)] // the other benches' part of it
mod support;
use support::app::{bare, request, with_sentry_tower, with_vigil};
use support::Serializing;

fn bench_router(
    g: &mut BenchmarkGroup<'_, WallTime>,
    rt: &tokio::runtime::Runtime,
    name: &str,
    router: &Router,
) {
    g.bench_function(name, |b| {
        b.iter(|| {
            rt.block_on(async {
                let response = router.clone().oneshot(request()).await.expect("infallible");
                assert!(response.status().is_success());
                black_box(response)
            })
        })
    });
}

fn benches(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");

    let mut g = c.benchmark_group("request");
    // ---- nothing initialised ------------------------------------------------------------
    bench_router(&mut g, &rt, "bare", &bare());
    bench_router(&mut g, &rt, "vigil_disabled", &with_vigil());

    // ---- vigil at each rate -----------------------------------------------------------------
    for (name, rate) in [
        ("vigil_rate_0", 0.0),
        ("vigil_rate_0.1", 0.1),
        ("vigil_rate_1", 1.0),
    ] {
        let guard = vigil::init_with(
            vigil::Config::new()
                .transport(Arc::new(Serializing))
                .traces_sample_rate(rate),
        )
        .expect("valid config");
        bench_router(&mut g, &rt, name, &with_vigil());
        assert!(guard.flush(Duration::from_secs(5)));
        drop(guard);
    }

    // ---- the alternative: sentry-tower + sentry-tracing ---------------------------------------
    let (_sentry, subscriber) = support::sentry_tracing_setup();
    tracing::subscriber::with_default(subscriber, || {
        bench_router(&mut g, &rt, "sentry_tower_rate_1", &with_sentry_tower());
    });
    g.finish();
}

criterion_group! {
    name = per_request;
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3))
        .sample_size(30);
    targets = benches
}
criterion_main!(per_request);
