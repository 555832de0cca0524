//! A whole service under load: requests per second and latency percentiles of one small axum
//! service, instrumented five ways, driven over loopback by a load generator written for the
//! bench.
//!
//! ```text
//! cargo bench --bench service --features axum,sqlx
//! VIGIL_BENCH_SECS=4 VIGIL_BENCH_ROUNDS=10 cargo bench --bench service --features axum,sqlx
//! VIGIL_BENCH_ONLY=bare,vigil_1.0 cargo bench --bench service --features axum,sqlx
//! ```
//!
//! The service has two routes: `GET /hello` (text) and `GET /orders/{id}` (a query on an
//! in-memory SQLite database through sqlx). Each handler awaits one `async fn -> Result`:
//!
//! | set-up | handlers' function | around the router |
//! |---|---|---|
//! | `bare` | plain | nothing |
//! | `vigil_disabled` | `#[vigil::monitored]` | `vigil::axum::layer()`, vigil not initialised |
//! | `vigil_0.1`, `vigil_1.0` | `#[vigil::monitored]` | `vigil::axum::layer()`, that sample rate |
//! | `sentry_tower_1.0` | `#[tracing::instrument(err)]` | `sentry-tower`'s `NewSentryLayer` + `SentryHttpLayer` with transactions, `sentry-tracing`'s layer, rate 1.0 |
//!
//! Both SDKs send to a transport that serializes each envelope and drops it (what an HTTP
//! transport does before the network). Each set-up runs in its own process (the server);
//! this process is the load generator: `VIGIL_BENCH_CONNECTIONS` keep-alive connections
//! (default 8), each a thread sending requests one after another for `VIGIL_BENCH_SECS`
//! seconds (default 2) and at most 200,000 requests, after one second of warm-up. The
//! set-ups take turns, `VIGIL_BENCH_ROUNDS` rounds (default 6). A set-up's throughput lost is
//! the median over rounds of its loss against the uninstrumented run of the same round (the
//! machine's speed drifts over minutes by more than the SDKs cost; a round takes seconds);
//! the table shows the rounds' range too, and the median throughput and latencies. Results
//! are also written to `target/service-bench.json`.
//!
//! What every set-up costs in instructions, which no drift moves, is `benches/icount.py
//! service` (the same service in process under callgrind).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[allow(dead_code)] // what the other benches use of it
mod support;
use support::service_app::{database, path, router, Instrumentation};
use support::Serializing;

const SETUPS: &[&str] = &[
    "bare",
    "vigil_disabled",
    "vigil_0.1",
    "vigil_1.0",
    "sentry_tower_1.0",
];

/// Serves `setup` on a loopback port, printed on stdout, until stdin closes.
fn serve(setup: &str) {
    let rate = |s: &str| s.rsplit('_').next().and_then(|r| r.parse::<f32>().ok());
    let mut _vigil = None;
    let mut _sentry = None;
    match setup {
        "vigil_0.1" | "vigil_1.0" => {
            let config = vigil::Config::new()
                .transport(Arc::new(Serializing))
                .traces_sample_rate(rate(setup).unwrap_or(1.0));
            _vigil = Some(vigil::init_with(config).expect("valid config"));
        }
        "sentry_tower_1.0" => {
            let (guard, subscriber) = support::sentry_tracing_setup();
            _sentry = Some(guard);
            tracing::subscriber::set_global_default(subscriber).expect("one subscriber");
        }
        _ => {}
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let pool = database().await;
        let app = router(
            match setup {
                "bare" => Instrumentation::Bare,
                "vigil_disabled" | "vigil_0.1" | "vigil_1.0" => Instrumentation::Vigil,
                _ => Instrumentation::SentryTower,
            },
            pool,
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        println!("{}", listener.local_addr().expect("address").port());
        // The driver closes stdin when it is done with this set-up.
        let stop = async {
            let _ = tokio::task::spawn_blocking(|| {
                let mut sink = Vec::new();
                let _ = std::io::stdin().read_to_end(&mut sink);
            })
            .await;
        };
        axum::serve(listener, app)
            .with_graceful_shutdown(stop)
            .await
            .expect("serve");
    });
}

// ---- the load generator -----------------------------------------------------------------

/// One keep-alive HTTP/1.1 connection: sends requests one after another, alternating the two
/// routes, until `until` or `max` requests; the latency of each in microseconds.
fn connection(port: u16, until: Instant, max: usize, n: usize) -> Vec<u32> {
    let stream = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    stream.set_nodelay(true).expect("nodelay");
    let mut writer = stream.try_clone().expect("clone");
    let mut reader = BufReader::new(stream);
    let mut latencies = Vec::with_capacity(max.min(1 << 16));
    let mut line = String::new();
    let mut i = n;
    while Instant::now() < until && latencies.len() < max {
        let path = path(i);
        i += 1;
        let start = Instant::now();
        write!(writer, "GET {path} HTTP/1.1\r\nHost: bench\r\n\r\n").expect("write");
        let mut length = 0usize;
        let mut status_ok = false;
        loop {
            line.clear();
            if reader.read_line(&mut line).expect("read") == 0 {
                panic!("the server closed the connection");
            }
            if line.starts_with("HTTP/1.1 ") {
                status_ok = line.starts_with("HTTP/1.1 200");
            }
            let lower = line.to_ascii_lowercase();
            if let Some(v) = lower.strip_prefix("content-length:") {
                length = v.trim().parse().expect("content-length");
            }
            if line == "\r\n" {
                break;
            }
        }
        let mut body = vec![0; length];
        reader.read_exact(&mut body).expect("body");
        assert!(
            status_ok,
            "{path}: not 200: {}",
            String::from_utf8_lossy(&body)
        );
        latencies.push(start.elapsed().as_micros().min(u32::MAX as u128) as u32);
    }
    latencies
}

struct Run {
    rps: f64,
    p50: u32,
    p99: u32,
    requests: usize,
}

fn start(setup: &str) -> (Child, u16) {
    let mut child = Command::new(std::env::current_exe().expect("own path"))
        .env("VIGIL_BENCH_SERVE", setup)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("start the server");
    let mut port = String::new();
    BufReader::new(child.stdout.as_mut().expect("stdout"))
        .read_line(&mut port)
        .expect("port");
    (child, port.trim().parse().expect("a port"))
}

fn load(port: u16, connections: usize, secs: f64) -> Run {
    // Warm-up: connections, pools, caches, the first transactions.
    let warm = Instant::now() + Duration::from_secs(1);
    std::thread::scope(|s| {
        for n in 0..connections {
            s.spawn(move || connection(port, warm, usize::MAX, n));
        }
    });
    let max = 200_000 / connections;
    let begin = Instant::now();
    let until = begin + Duration::from_secs_f64(secs);
    let mut all: Vec<u32> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..connections)
            .map(|n| s.spawn(move || connection(port, until, max, n)))
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("a connection failed"))
            .collect()
    });
    let elapsed = begin.elapsed().as_secs_f64();
    all.sort_unstable();
    let at = |q: f64| all[((all.len() as f64 * q) as usize).min(all.len() - 1)];
    Run {
        rps: all.len() as f64 / elapsed,
        p50: at(0.50),
        p99: at(0.99),
        requests: all.len(),
    }
}

fn env<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    if let Ok(setup) = std::env::var("VIGIL_BENCH_SERVE") {
        serve(&setup);
        return;
    }
    // `cargo bench` passes `--bench`; `cargo test --benches` passes nothing of ours either:
    // under `cargo test` this bench only checks that every set-up serves.
    let quick = !std::env::args().any(|a| a == "--bench");
    let secs: f64 = if quick {
        0.3
    } else {
        env("VIGIL_BENCH_SECS", 2.0)
    };
    let rounds: usize = if quick {
        1
    } else {
        env("VIGIL_BENCH_ROUNDS", 6)
    };
    let connections: usize = env("VIGIL_BENCH_CONNECTIONS", 8);

    // `VIGIL_BENCH_ONLY=vigil_1.0,bare` runs only those set-ups (to profile one of them).
    let only: Option<Vec<String>> = std::env::var("VIGIL_BENCH_ONLY")
        .ok()
        .map(|v| v.split(',').map(|s| s.trim().to_owned()).collect());
    let runs = |setup: &str| only.as_ref().is_none_or(|o| o.iter().any(|s| s == setup));
    // Each set-up's runs, one per round.
    let mut all: Vec<Vec<Run>> = SETUPS.iter().map(|_| Vec::new()).collect();
    for round in 0..rounds {
        for (i, setup) in SETUPS.iter().enumerate() {
            if !runs(setup) {
                continue;
            }
            let (mut child, port) = start(setup);
            let run = load(port, connections, secs);
            drop(child.stdin.take());
            let _ = child.wait();
            eprintln!(
                "round {} {setup:>18}: {:>8.0} req/s  p50 {:>5} µs  p99 {:>6} µs  ({} requests)",
                round + 1,
                run.rps,
                run.p50,
                run.p99,
                run.requests
            );
            all[i].push(run);
        }
    }
    // The throughput lost in each round, against that round's uninstrumented run: the
    // machine's speed drifts by more than the SDKs cost over a few minutes, and a round
    // takes seconds.
    let losses: Vec<Vec<f64>> = all
        .iter()
        .map(|runs| {
            runs.iter()
                .zip(&all[0])
                .map(|(run, bare)| 1.0 - run.rps / bare.rps)
                .collect()
        })
        .collect();
    println!(
        "\nMedians over rounds; a round's loss is against that round's `bare` run.\n\n\
         | set-up | requests/s | p50 | p99 | throughput lost | rounds' range |"
    );
    println!("|---|---:|---:|---:|---:|---:|");
    let mut summary = serde_json::Map::new();
    for ((setup, runs), lost) in SETUPS.iter().zip(&all).zip(&losses) {
        if runs.is_empty() {
            continue; // left out (`VIGIL_BENCH_ONLY`)
        }
        let rps = median(runs.iter().map(|r| r.rps));
        let p50 = median(runs.iter().map(|r| f64::from(r.p50)));
        let p99 = median(runs.iter().map(|r| f64::from(r.p99)));
        let loss = median(lost.iter().copied());
        let (low, high) = lost
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), &x| {
                (l.min(x), h.max(x))
            });
        if *setup == SETUPS[0] || lost.is_empty() {
            // The uninstrumented set-up itself, or nothing to compare with (it was left out).
            println!("| {setup} | {rps:.0} | {p50:.0} µs | {p99:.0} µs | | |");
        } else {
            println!(
                "| {setup} | {rps:.0} | {p50:.0} µs | {p99:.0} µs | {:.1} % | {:.1} to {:.1} % |",
                loss * 100.0,
                low * 100.0,
                high * 100.0
            );
        }
        summary.insert(
            setup.to_string(),
            serde_json::json!({
                "rps": rps, "p50_us": p50, "p99_us": p99, "lost": loss,
                "lost_min": low, "lost_max": high,
                "rounds": runs.iter().map(|r| serde_json::json!({
                    "rps": r.rps, "p50_us": r.p50, "p99_us": r.p99, "requests": r.requests
                })).collect::<Vec<_>>(),
            }),
        );
    }
    let vigil = median(losses[3].iter().copied());
    let sentry = median(losses[4].iter().copied());
    if vigil.is_finite() && sentry > 0.0 {
        println!(
            "\nAt rate 1.0, vigil's overhead is {:.2}x sentry-tower + sentry-tracing's.",
            vigil / sentry
        );
    }
    let dir = std::env::var("CARGO_TARGET_DIR").unwrap_or_else(|_| "target".into());
    let _ = std::fs::write(
        format!("{dir}/service-bench.json"),
        serde_json::Value::Object(summary).to_string(),
    );
}

/// The median of `values` (NaN when there are none).
fn median(values: impl Iterator<Item = f64>) -> f64 {
    let mut v: Vec<f64> = values.filter(|x| !x.is_nan()).collect();
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(f64::total_cmp);
    let mid = v.len() / 2;
    if v.len() % 2 == 1 {
        v[mid]
    } else {
        (v[mid - 1] + v[mid]) / 2.0
    }
}
