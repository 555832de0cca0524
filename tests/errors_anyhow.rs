//! `anyhow::Error` in Sentry (feature `anyhow`): the error inside named, a `.context(...)`
//! layer named as the error it wraps, the backtrace anyhow captured as the frames (its
//! in-app frames marked, the capture machinery trimmed), and without one, the frame of the
//! monitored function or `capture_exception!` call.
//!
//! Whether anyhow captures a backtrace is read from the environment once per process, so
//! each case runs in a child process of this test binary with its own
//! `RUST_LIB_BACKTRACE` (the `child_*` tests, ignored in a plain run).

use anyhow::Context as _;
use vigil::protocol::{Event, Exception, Frame};
use vigil::testing::capture;

#[derive(Debug)]
struct PayError {
    code: u32,
}

impl std::fmt::Display for PayError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "card declined (code {})", self.code)
    }
}

impl std::error::Error for PayError {}

fn charge(code: u32) -> Result<(), PayError> {
    Err(PayError { code })
}

const PAY_LINE: u32 = line!() + 2;
#[vigil::monitored]
fn pay(code: u32) -> anyhow::Result<()> {
    charge(code).context("charging card")?;
    Ok(())
}

fn top<'a>(event: &'a Event<'static>) -> &'a Exception {
    event.exception.values.last().expect("an exception")
}

fn frames_of(exception: &Exception) -> &[Frame] {
    &exception.stacktrace.as_ref().expect("a stack trace").frames
}

/// The event of `pay(51)`: the chain, root cause first, each named.
fn pay_event() -> Event<'static> {
    let captured = capture(|| assert!(pay(51).is_err()));
    let event = captured.single_event().clone();
    let chain: Vec<_> = event
        .exception
        .values
        .iter()
        .map(|e| (e.ty.as_str(), e.value.as_deref().unwrap_or("")))
        .collect();
    // The `sentry` crate alone names the context layer `Error` (its `Debug` text).
    assert_eq!(
        chain,
        [
            ("PayError", "card declined (code 51)"),
            ("PayError", "charging card"),
        ]
    );
    event
}

/// What `with_a_backtrace` checks, in its child process.
fn child_with_backtrace() {
    let event = pay_event();
    let frames = frames_of(top(&event));
    let names: Vec<&str> = frames
        .iter()
        .map(|f| f.function.as_deref().unwrap_or("?"))
        .collect();
    assert!(frames.len() > 1, "the real backtrace: {names:#?}");
    // Innermost: the function whose `.context(...)` made the anyhow error; the capture
    // machinery (anyhow's constructor, std's backtrace) trimmed off.
    let innermost = frames.last().unwrap();
    assert!(
        innermost
            .function
            .as_deref()
            .is_some_and(|f| f.starts_with("errors_anyhow::pay")),
        "{names:#?}"
    );
    assert_eq!(innermost.in_app, Some(true));
    assert!(innermost.lineno.is_some_and(|l| l > u64::from(PAY_LINE)));
    for name in &names {
        assert!(
            !name.contains("Backtrace>::capture") && !name.starts_with("anyhow::"),
            "{name} in {names:#?}"
        );
    }
    // In-app: the test's own code only (not std, anyhow, sentry, nor vigil's own sources),
    // whatever the symbol names (inlined frames' names come without their path).
    let in_app: Vec<&Frame> = frames.iter().filter(|f| f.in_app == Some(true)).collect();
    assert!(in_app.len() >= 3, "{names:#?}");
    for frame in in_app {
        let path = frame.abs_path.as_deref().unwrap_or("");
        assert!(path.ends_with("tests/errors_anyhow.rs"), "{frame:?}");
    }
    assert!(frames.iter().any(|f| f.in_app == Some(false)));
}

/// What `without_a_backtrace` checks, in its child process.
fn child_without_backtrace() {
    let event = pay_event();
    // No backtrace: the monitored function's own frame.
    let frames = frames_of(top(&event));
    assert_eq!(frames.len(), 1);
    assert_eq!(frames[0].function.as_deref(), Some("errors_anyhow::pay"));
    assert_eq!(frames[0].lineno, Some(u64::from(PAY_LINE)));
    assert_eq!(frames[0].in_app, Some(true));

    // `capture_exception!` on an anyhow message: named by its container, framed where it
    // was called.
    let line = line!() + 2;
    let captured = capture(|| {
        vigil::capture_exception!(anyhow::anyhow!("db down"));
        let borrowed = anyhow::anyhow!("cache down");
        vigil::capture_exception!(&borrowed);
    });
    assert_eq!(top(&captured.events[1]).ty, "anyhow::Error");
    let event = &captured.events[0];
    let exception = top(event);
    assert_eq!(exception.ty, "anyhow::Error");
    assert_eq!(exception.module.as_deref(), Some("anyhow"));
    assert_eq!(exception.value.as_deref(), Some("db down"));
    let frames = frames_of(exception);
    assert_eq!(frames.len(), 1);
    assert_eq!(
        frames[0].function.as_deref(),
        Some("errors_anyhow::child_without_backtrace")
    );
    assert_eq!(frames[0].lineno, Some(u64::from(line)));
}

/// Set in the child process a test runs itself in (`RUST_LIB_BACKTRACE` is read once per
/// process, so each setting needs a process of its own).
const CHILD: &str = "VIGIL_ANYHOW_CHILD";

/// Runs the test `name` of this binary again, alone, in a child process with [`CHILD`] set
/// and `RUST_LIB_BACKTRACE=backtraces`; panics with its output when it fails.
fn run_child(name: &str, backtraces: &str) {
    let exe = std::env::current_exe().expect("the test binary");
    let output = std::process::Command::new(exe)
        .args([name, "--exact", "--test-threads=1"])
        .env(CHILD, "1")
        .env("RUST_LIB_BACKTRACE", backtraces)
        .output()
        .expect("the child runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success() && stdout.contains("1 passed"),
        "{name} failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn with_a_backtrace() {
    if std::env::var_os(CHILD).is_some() {
        return child_with_backtrace();
    }
    run_child("with_a_backtrace", "1");
}

#[test]
fn without_a_backtrace() {
    if std::env::var_os(CHILD).is_some() {
        return child_without_backtrace();
    }
    run_child("without_a_backtrace", "0");
}
