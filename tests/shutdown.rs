//! A server that accepts connections and never answers: capturing stays immediate, and
//! dropping the guard returns within its shutdown timeout (+100 ms). The `sentry` crate alone
//! blocks forever here. Its own test binary: `init` binds a process-wide client.

use std::io::Read;
use std::net::TcpListener;
use std::time::{Duration, Instant};

#[test]
fn a_server_that_never_answers_cannot_hang_the_program() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for conn in listener.incoming().flatten() {
            // Read the request, answer nothing, keep the connection open.
            let mut conn = conn;
            let _ = conn.set_read_timeout(Some(Duration::from_millis(50)));
            let _ = conn.read(&mut [0u8; 4096]);
            held.push(conn);
        }
    });

    let timeout = Duration::from_millis(400);
    let guard = vigil::init_with(
        vigil::Config::new()
            .dsn(format!("http://key@127.0.0.1:{port}/1"))
            .shutdown_timeout(timeout),
    )
    .unwrap();

    // Far more than the transport queue holds: the surplus is dropped, nothing blocks.
    let start = Instant::now();
    for i in 0..500 {
        let id = vigil::capture_message!("while the server hangs", i = i);
        assert!(!id.is_nil());
    }
    let capturing = start.elapsed();
    assert!(
        capturing < Duration::from_secs(2),
        "500 captures took {capturing:?}"
    );

    let start = Instant::now();
    assert!(
        !guard.flush(Duration::from_millis(100)),
        "nothing can be flushed to this server"
    );
    let flushing = start.elapsed();
    assert!(
        flushing <= Duration::from_millis(200),
        "flush took {flushing:?}"
    );

    let start = Instant::now();
    drop(guard);
    let dropping = start.elapsed();
    assert!(
        dropping <= timeout + Duration::from_millis(100),
        "dropping the guard took {dropping:?} (shutdown timeout {timeout:?})"
    );
}
