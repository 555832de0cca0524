//! The reqwest middleware side by side with a bare client, in one run, against one keep-alive
//! HTTP/1.1 server on loopback (a minimal responder, so the server costs little).
//!
//! `cargo bench --bench http_client --features reqwest`. Rows: a bare `reqwest::Client`; a
//! `ClientWithMiddleware` with no middleware (what the middleware chain itself costs); with
//! vigil's middleware while vigil is disabled; then, vigil initialised with a transport that
//! drops envelopes: outside any transaction (a breadcrumb), and inside a sampled transaction
//! (span, headers, breadcrumb; the transaction itself is started and sent in each of those
//! rows, bare, with the same span written by hand, and with the middleware, so the
//! differences are the span's and the middleware's).

use std::hint::black_box;
use std::sync::Arc;

use criterion::{criterion_group, criterion_main, Criterion};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use vigil::protocol::Envelope;

struct NullTransport;
impl sentry::Transport for NullTransport {
    fn send_envelope(&self, envelope: Envelope) {
        black_box(envelope);
    }
}

/// Answers every request on every connection with `200 ok`, keeping connections open.
async fn serve(listener: tokio::net::TcpListener) {
    loop {
        let Ok((mut socket, _)) = listener.accept().await else {
            return;
        };
        tokio::spawn(async move {
            let mut buf = vec![0u8; 8192];
            let mut seen = Vec::new();
            loop {
                let Ok(n) = socket.read(&mut buf).await else {
                    return;
                };
                if n == 0 {
                    return;
                }
                seen.extend_from_slice(&buf[..n]);
                while let Some(end) = seen.windows(4).position(|w| w == b"\r\n\r\n") {
                    seen.drain(..end + 4);
                    let reply = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok";
                    if socket.write_all(reply).await.is_err() {
                        return;
                    }
                }
            }
        });
    }
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let url = format!("http://{}/orders/7?page=2", listener.local_addr().unwrap());
    rt.spawn(serve(listener));

    let bare = reqwest::Client::builder().no_proxy().build().unwrap();
    let chain = reqwest_middleware::ClientBuilder::new(bare.clone()).build();
    let with_vigil = reqwest_middleware::ClientBuilder::new(bare.clone())
        .with(vigil::reqwest::middleware())
        .build();

    let mut g = c.benchmark_group("http_client");
    g.bench_function("bare reqwest", |b| {
        b.iter(|| {
            let r = rt.block_on(bare.get(&url).send()).unwrap();
            black_box(r);
        })
    });
    g.bench_function("middleware chain, empty", |b| {
        b.iter(|| {
            let r = rt.block_on(chain.get(&url).send()).unwrap();
            black_box(r);
        })
    });
    g.bench_function("vigil middleware, disabled", |b| {
        b.iter(|| {
            let r = rt.block_on(with_vigil.get(&url).send()).unwrap();
            black_box(r);
        })
    });

    let _guard = vigil::init_with(
        vigil::Config::new()
            .transport(Arc::new(NullTransport))
            .traces_sample_rate(1.0),
    )
    .unwrap();
    g.bench_function("vigil middleware, no transaction", |b| {
        b.iter(|| {
            let r = rt.block_on(with_vigil.get(&url).send()).unwrap();
            black_box(r);
        })
    });
    g.bench_function("transaction + bare reqwest", |b| {
        b.iter(|| {
            let tx = vigil::start_transaction("call", "task");
            let r = rt.block_on(bare.get(&url).send()).unwrap();
            black_box(r);
            drop(tx);
        })
    });
    // The same span written by hand (`Transaction::start_child`) around a bare call: what
    // recording, scrubbing and sending such a span costs, whoever records it.
    let description = format!("GET {}", url.split('?').next().unwrap());
    g.bench_function("transaction + bare reqwest + the same span by hand", |b| {
        b.iter(|| {
            let tx = vigil::start_transaction("call", "task");
            let span = tx.start_child("http.client", &description);
            span.set_data("http.request.method", "GET");
            span.set_data("url", &description[4..]);
            span.set_data("server.address", "127.0.0.1");
            span.set_data("http.query", "page=2");
            let r = rt.block_on(bare.get(&url).send()).unwrap();
            span.set_data("http.response.status_code", r.status().as_u16());
            black_box(r);
            drop(span);
            drop(tx);
        })
    });
    g.bench_function("transaction + vigil middleware", |b| {
        b.iter(|| {
            let tx = vigil::start_transaction("call", "task");
            let r = rt.block_on(with_vigil.get(&url).send()).unwrap();
            black_box(r);
            drop(tx);
        })
    });
    g.finish();
}

criterion_group! {
    name = http_client;
    config = Criterion::default()
        .sample_size(50)
        .warm_up_time(std::time::Duration::from_millis(500))
        .measurement_time(std::time::Duration::from_secs(2));
    targets = bench
}
criterion_main!(http_client);
