//! A local HTTP server that misbehaves on purpose: rate limits are honoured per category,
//! and server errors or cut-off responses cost nothing but the lost envelope. Its own test
//! binary: `init` binds a process-wide client.

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

#[derive(Clone, Copy)]
enum Mode {
    /// 429 with a transaction rate limit on the first envelope, then 200.
    RateLimitTransactions,
    /// Always 500.
    ServerError,
    /// Closes the connection halfway through the response.
    Truncated,
    /// Stalls 500 ms on the first request (the client's queue overflows), then answers.
    StallThenOk,
}

/// The item types of every envelope received, in order.
type Received = Arc<Mutex<Vec<Vec<String>>>>;

fn item_types(body: &[u8]) -> Vec<String> {
    // Envelope: a header line, then for each item a header line and a payload line.
    let text = String::from_utf8_lossy(body);
    text.lines()
        .skip(1)
        .step_by(2)
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter_map(|h| h["type"].as_str().map(str::to_owned))
        .collect()
}

fn serve(mode: Mode) -> (u16, Received) {
    let received: Received = Arc::default();
    let seen = Arc::clone(&received);
    let port = common::loopback_sentry(move |n, body| {
        seen.lock().unwrap().push(item_types(&body));
        let first = n == 1;
        let response: &[u8] = match mode {
            Mode::RateLimitTransactions if first => b"HTTP/1.1 429 Too Many Requests\r\nRetry-After: 60\r\nX-Sentry-Rate-Limits: 60:transaction:organization\r\nContent-Length: 0\r\n\r\n",
            Mode::RateLimitTransactions => b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}",
            Mode::ServerError => b"HTTP/1.1 500 Internal Server Error\r\nContent-Length: 5\r\n\r\noops!",
            Mode::Truncated => b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{\"id\":",
            Mode::StallThenOk => {
                if first {
                    std::thread::sleep(Duration::from_millis(500));
                }
                b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}"
            }
        };
        // A truncated answer: the connection is dropped mid-response.
        (response, matches!(mode, Mode::Truncated))
    });
    (port, received)
}

/// `init` binds one client for the whole process: the tests of this file take turns.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

#[test]
fn rate_limits_are_per_category_and_bad_responses_are_survived() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    // 429 for transactions: nothing of that category is sent in the window; errors still are.
    let (port, received) = serve(Mode::RateLimitTransactions);
    let guard = common::init_for_loopback(port);
    vigil::capture_message!("first, answered with a rate limit");
    assert!(guard.flush(Duration::from_secs(2)));
    for i in 0..3 {
        vigil::capture_message!("after the limit", i = i);
        drop(vigil::start_transaction("limited", "task"));
    }
    assert!(guard.flush(Duration::from_secs(2)));
    drop(guard);
    let got = received.lock().unwrap().clone();
    println!("received: {got:?}");
    let after: Vec<String> = got.iter().skip(1).flatten().cloned().collect();
    assert_eq!(
        after.iter().filter(|t| *t == "event").count(),
        3,
        "errors still flow during a transaction rate limit: {got:?}"
    );
    assert!(
        !after.iter().any(|t| t == "transaction"),
        "no transaction may be sent during its rate limit: {got:?}"
    );

    // 500s and cut-off responses: every capture returns, nothing panics, the next one works.
    for mode in [Mode::ServerError, Mode::Truncated] {
        let (port, received) = serve(mode);
        let guard = common::init_for_loopback(port);
        for i in 0..5 {
            let id = vigil::capture_message!("into a broken server", i = i);
            assert!(!id.is_nil());
            let _ = guard.flush(Duration::from_secs(2));
        }
        drop(guard);
        assert!(
            !received.lock().unwrap().is_empty(),
            "the server was reached at least once"
        );
    }
}

#[test]
fn a_server_that_was_away_hears_what_was_dropped_and_a_down_one_costs_nothing() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    // Down: connection refused. Captures return at once; the guard drops promptly.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    }; // closed again: nothing listens there
    let guard = common::init_for_loopback(port);
    let start = std::time::Instant::now();
    for i in 0..200 {
        assert!(!vigil::capture_message!("to nobody", i = i).is_nil());
    }
    assert!(start.elapsed() < Duration::from_secs(2));
    drop(guard);

    // Away, then back: the queue overflows while the first request stalls; what was dropped
    // is reported to the server as a client report once it answers again.
    let (port, received) = serve(Mode::StallThenOk);
    let guard = common::init_for_loopback(port);
    for i in 0..200 {
        vigil::capture_message!("burst", i = i);
    }
    assert!(guard.flush(Duration::from_secs(5)));
    vigil::capture_message!("after the burst");
    assert!(guard.flush(Duration::from_secs(5)));
    drop(guard);
    let got = received.lock().unwrap().clone();
    let events = got.iter().flatten().filter(|t| *t == "event").count();
    assert!(
        events < 201,
        "the queue is bounded: {events} events arrived"
    );
    assert!(
        got.iter().flatten().any(|t| t == "client_report"),
        "the drops are reported: {got:?}"
    );
}
