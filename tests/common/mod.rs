//! Helpers shared by the integration tests (each test binary uses some of them).
#![allow(dead_code)]

/// An error with a message, for capture tests.
#[derive(Debug)]
pub struct RateLimited {
    pub limit: u32,
}

impl std::fmt::Display for RateLimited {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "rate limited at {}/min", self.limit)
    }
}

impl std::error::Error for RateLimited {}

/// `body` followed by its Luhn check digit: a valid card number for tests.
pub fn luhn_complete(body: &str) -> String {
    let mut sum = 0;
    for (i, d) in body.chars().rev().enumerate() {
        let mut v = d.to_digit(10).expect("digits only");
        if i % 2 == 0 {
            v *= 2;
            if v > 9 {
                v -= 9;
            }
        }
        sum += v;
    }
    format!("{body}{}", (10 - sum % 10) % 10)
}

/// Everything the envelopes would send, as text: what "never reaches the wire" is checked on.
pub fn wire(envelopes: &[vigil::protocol::Envelope]) -> String {
    let mut out = Vec::new();
    for envelope in envelopes {
        envelope.to_writer(&mut out).unwrap();
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Runs a future to completion on a current-thread tokio runtime (with timers and I/O).
pub fn block_on<T>(f: impl std::future::Future<Output = T>) -> T {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(f)
}

/// An in-memory SQLite database behind a pool of one connection (each in-memory connection
/// is a database of its own), opened now, so its set-up statements run before the test's.
pub async fn sqlite_memory() -> sqlx::SqlitePool {
    sqlx::sqlite::SqlitePoolOptions::new()
        .max_connections(1)
        .connect("sqlite::memory:")
        .await
        .unwrap()
}

/// A local server run by `.ci/<script> start|stop` (Bugsink, PostgreSQL), started if it is
/// not running, and stopped on drop by whoever started it. `start` prints `started` or
/// `running`, then `KEY=value` lines, kept in `env`. No silent skip: when the server cannot
/// be set up or started, the test fails with the script's output.
pub struct CiServer {
    script: std::path::PathBuf,
    pub env: std::collections::HashMap<String, String>,
    started: bool,
}

impl CiServer {
    pub fn start(script: &str, what: &str) -> CiServer {
        let script = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join(".ci")
            .join(script);
        let out = std::process::Command::new("bash")
            .arg(&script)
            .arg("start")
            .output()
            .unwrap_or_else(|e| {
                panic!(
                    "run {} (needs bash and python3 with venv): {e}",
                    script.display()
                )
            });
        assert!(
            out.status.success(),
            "{what} could not be set up or started:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let stdout = String::from_utf8(out.stdout).unwrap();
        let mut lines = stdout.lines();
        let started = lines.next() == Some("started");
        let env = lines
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        CiServer {
            script,
            env,
            started,
        }
    }

    /// The local PostgreSQL of `.ci/postgres.sh` (PyPI's `pgserver` binaries).
    pub fn postgres() -> CiServer {
        CiServer::start("postgres.sh", "PostgreSQL")
    }
}

impl Drop for CiServer {
    fn drop(&mut self) {
        if self.started {
            let _ = std::process::Command::new("bash")
                .arg(&self.script)
                .arg("stop")
                .status();
        }
    }
}

/// A future that is pending once (waking itself), so a span must live across an `.await`.
pub fn yield_now() -> impl std::future::Future<Output = ()> {
    let mut yielded = false;
    std::future::poll_fn(move |cx| {
        if yielded {
            std::task::Poll::Ready(())
        } else {
            yielded = true;
            cx.waker().wake_by_ref();
            std::task::Poll::Pending
        }
    })
}

/// `GET url` on Bugsink's REST API with `token`, as JSON (through python3's standard
/// library, which `.ci/bugsink.sh` needs anyway).
pub fn bugsink_get(url: &str, token: &str) -> serde_json::Value {
    let out = std::process::Command::new("python3")
        .args([
            "-c",
            "import sys, urllib.request; \
             r = urllib.request.Request(sys.argv[1], headers={'Authorization': 'Bearer ' + sys.argv[2]}); \
             print(urllib.request.urlopen(r, timeout=10).read().decode())",
            url,
            token,
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "GET {url} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// An error type for the tests of ignored errors (`Config::ignore_errors(["NotFound"])`).
#[derive(Debug)]
pub struct NotFound;

impl std::fmt::Display for NotFound {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("no such order")
    }
}

impl std::error::Error for NotFound {}

/// A monitored function that fails with [`NotFound`].
#[vigil::monitored]
pub fn lookup() -> Result<(), NotFound> {
    Err(NotFound)
}

/// The python of a virtualenv with Sentry's Python SDK (`.ci/sentry-sdk.sh` installs it), for
/// the tests that read vigil's envelopes with sentry-python's parser and compare them with
/// what sentry-python sends. No silent skip: the test fails when it cannot be set up.
pub fn sentry_sdk_python() -> std::path::PathBuf {
    let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let out = std::process::Command::new("bash")
        .arg(root.join(".ci/sentry-sdk.sh"))
        .output()
        .expect("run .ci/sentry-sdk.sh (needs bash and python3 with venv)");
    assert!(
        out.status.success(),
        ".ci/sentry-sdk.sh failed: sentry-python is needed for this comparison:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    std::path::PathBuf::from(stdout.lines().last().unwrap().trim())
}

/// Runs `tests/<script>` (a sentry-python comparison script, see `tests/sentry_sdk_side.py`)
/// on `envelopes`, written to files as the `sentry` crate puts them on the wire; the JSON it
/// prints.
#[allow(dead_code)] // not every test binary compares with sentry-python
pub fn through_sentry_sdk(
    script: &str,
    envelopes: &[vigil::protocol::Envelope],
) -> serde_json::Value {
    static RUNS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "vigil-{script}-{}-{}",
        std::process::id(),
        RUNS.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let mut paths = Vec::new();
    for (i, envelope) in envelopes.iter().enumerate() {
        let path = dir.join(format!("{i}.envelope"));
        let mut bytes = Vec::new();
        envelope.to_writer(&mut bytes).unwrap();
        // The wire format reads back as the `sentry` crate wrote it.
        assert!(vigil::protocol::Envelope::from_slice(&bytes).is_ok());
        std::fs::write(&path, bytes).unwrap();
        paths.push(path);
    }
    let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let out = std::process::Command::new(sentry_sdk_python())
        .arg(root.join("tests").join(script))
        .args(&paths)
        .output()
        .unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        out.status.success(),
        "{script} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// One HTTP/1.1 request read off `stream` (a loopback stand-in for Sentry): its body, by its
/// `Content-Length`; `None` when the client closed the connection.
pub fn read_http_request(stream: &mut std::net::TcpStream) -> Option<Vec<u8>> {
    let mut reader = std::io::BufReader::new(stream.try_clone().ok()?);
    let mut length = 0usize;
    loop {
        let mut line = String::new();
        if std::io::BufRead::read_line(&mut reader, &mut line).ok()? == 0 {
            return None;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            if name.eq_ignore_ascii_case("content-length") {
                length = value.trim().parse().ok()?;
            }
        }
    }
    let mut body = vec![0u8; length];
    std::io::Read::read_exact(&mut reader, &mut body).ok()?;
    Some(body)
}

/// A loopback stand-in for Sentry on a port of its own: each connection on its own thread (a
/// client may open a new one while a kept-alive one is idle), each request's body handed to
/// `respond` with its number (1 for the first, over all connections), which gives the bytes
/// to answer and whether to drop the connection after them.
pub fn loopback_sentry(
    respond: impl Fn(usize, Vec<u8>) -> (&'static [u8], bool) + Send + Sync + 'static,
) -> u16 {
    use std::io::Write;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let respond = Arc::new(respond);
    let count = Arc::new(AtomicUsize::new(0));
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let (respond, count) = (Arc::clone(&respond), Arc::clone(&count));
            std::thread::spawn(move || {
                let mut stream = stream;
                let _ = stream.set_read_timeout(Some(std::time::Duration::from_secs(5)));
                while let Some(body) = read_http_request(&mut stream) {
                    let n = count.fetch_add(1, Ordering::SeqCst) + 1;
                    let (response, close) = respond(n, body);
                    let _ = stream.write_all(response);
                    if close {
                        break;
                    }
                }
            });
        }
    });
    port
}

/// vigil, sending to a [`loopback_sentry`] on `port`, every transaction sampled.
pub fn init_for_loopback(port: u16) -> vigil::Guard {
    vigil::init_with(
        vigil::Config::new()
            .dsn(format!("http://key@127.0.0.1:{port}/1"))
            .traces_sample_rate(1.0)
            .shutdown_timeout(std::time::Duration::from_secs(2)),
    )
    .unwrap()
}
