//! Release health of a program that is not a server (application mode): one session per
//! process, started by `init`, ended when the guard drops, crashed by an uncaught panic.
//!
//! Each test runs a small program (this test binary again, told so by an environment
//! variable) whose vigil sends through a transport writing each envelope to a file, as the
//! HTTP transport would send it, and reads what the program sent.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use vigil::protocol::{Envelope, EnvelopeItem, SessionStatus, SessionUpdate};

const CHILD: &str = "VIGIL_SESSION_PROGRAM";
const DIR: &str = "VIGIL_SESSION_DIR";

/// Writes every envelope, as bytes on the wire, to a file of its own.
struct ToFiles {
    dir: PathBuf,
    count: AtomicUsize,
}

impl sentry::Transport for ToFiles {
    fn send_envelope(&self, envelope: Envelope) {
        let n = self.count.fetch_add(1, Ordering::SeqCst);
        let mut bytes = Vec::new();
        envelope.to_writer(&mut bytes).unwrap();
        std::fs::write(self.dir.join(format!("{n:03}.envelope")), bytes).unwrap();
    }
}

/// The program: `init`, one error, then (`panic`) a panic, or (`exit`) a normal end.
fn program(how: &str) {
    let dir = PathBuf::from(std::env::var(DIR).unwrap());
    let config = vigil::Config::new()
        .transport(Arc::new(ToFiles {
            dir,
            count: AtomicUsize::new(0),
        }))
        .release("report-tool@3.0.0")
        .environment(vigil::Environment::Staging)
        // The test binary is built with the `axum` feature too.
        .session_mode(vigil::SessionMode::Application);
    let _guard = vigil::init_with(config).unwrap();
    vigil::capture_exception!(std::io::Error::other("input file missing"));
    if how == "panic" {
        panic!("report generator exploded");
    }
}

/// Runs `test` of this binary as the program, and returns every envelope it sent, in order,
/// read back from the wire format.
fn run_program(test: &str, how: &str) -> (std::process::ExitStatus, Vec<Envelope>) {
    let dir = std::env::temp_dir().join(format!("vigil-{how}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let out = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", test, "--nocapture", "--test-threads=1"])
        .env(CHILD, how)
        .env(DIR, &dir)
        .output()
        .unwrap();
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    let envelopes = files
        .iter()
        .map(|f| Envelope::from_slice(&std::fs::read(f).unwrap()).unwrap())
        .collect();
    read_with_sentry_sdk(&files);
    let _ = std::fs::remove_dir_all(&dir);
    (out.status, envelopes)
}

/// sentry-python's envelope parser reads every file, and finds the session items.
fn read_with_sentry_sdk(files: &[PathBuf]) {
    let out = Command::new(common::sentry_sdk_python())
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/sentry_sdk_sessions.py"))
        .args(files)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let parsed: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(parsed["vigil"]
        .as_array()
        .unwrap()
        .iter()
        .any(|item| item[0] == "session"));
}

fn sessions(envelopes: &[Envelope]) -> Vec<SessionUpdate<'static>> {
    envelopes
        .iter()
        .flat_map(|e| e.items())
        .filter_map(|item| match item {
            EnvelopeItem::SessionUpdate(s) => Some(s.clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn a_program_that_panics_reports_a_crashed_session() {
    if let Ok(how) = std::env::var(CHILD) {
        return program(&how);
    }
    let (status, envelopes) =
        run_program("a_program_that_panics_reports_a_crashed_session", "panic");
    assert!(!status.success(), "the program panicked");
    let sessions = sessions(&envelopes);
    let last = sessions.last().expect("a session was sent");
    assert_eq!(last.status, SessionStatus::Crashed, "{sessions:#?}");
    assert_eq!(last.errors, 2, "the error and the panic");
    assert_eq!(last.attributes.release, "report-tool@3.0.0");
    assert_eq!(last.attributes.environment.as_deref(), Some("staging"));
    assert!(sessions.iter().all(|s| s.session_id == last.session_id));
    // Sent with the panic's event: the crash is reported even if the process dies there.
    let crash = envelopes
        .iter()
        .find(|e| {
            e.items()
                .any(|i| matches!(i, EnvelopeItem::SessionUpdate(s) if s.status == SessionStatus::Crashed))
        })
        .unwrap();
    let Some(EnvelopeItem::Event(event)) = crash.items().next() else {
        panic!("{crash:?}")
    };
    let exception = event.exception.values.last().unwrap();
    assert_eq!(
        exception.value.as_deref(),
        Some("report generator exploded")
    );
    assert_eq!(exception.mechanism.as_ref().unwrap().handled, Some(false));
}

#[test]
fn a_program_that_ends_reports_its_session_ended_by_the_guard() {
    if let Ok(how) = std::env::var(CHILD) {
        return program(&how);
    }
    let (status, envelopes) = run_program(
        "a_program_that_ends_reports_its_session_ended_by_the_guard",
        "exit",
    );
    assert!(status.success());
    let sessions = sessions(&envelopes);
    let [with_error, end] = &sessions[..] else {
        panic!("{sessions:#?}")
    };
    assert_eq!(with_error.status, SessionStatus::Ok);
    assert!(with_error.init);
    assert_eq!(end.status, SessionStatus::Exited);
    assert_eq!(end.errors, 1);
    assert!(!end.init && end.duration.is_some());
    assert_eq!(end.session_id, with_error.session_id);
    assert_eq!(end.attributes.release, "report-tool@3.0.0");
}
