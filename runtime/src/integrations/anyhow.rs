//! `anyhow::Error` (feature `anyhow`): the backtrace anyhow captured when the error was made
//! becomes the error's stack trace, its in-app frames marked and the capture machinery
//! trimmed like any other (`capture::frames`).
//!
//! anyhow captures a backtrace only when `RUST_BACKTRACE` or `RUST_LIB_BACKTRACE` asks for
//! one (`RUST_LIB_BACKTRACE=0` turns it off for errors alone). Without one, the event keeps
//! the frame of the monitored function or `capture_exception!` call it came through.
//!
//! The error's type: anyhow keeps none that can be read. The chain's layers are named by
//! the core as any `dyn Error` is (`capture::chain`): a `.context(...)` layer takes the
//! name of the error it wraps, an `anyhow!("...")` message is `anyhow::Error`.

use std::backtrace::BacktraceStatus;
use std::error::Error;

use sentry::protocol::Event;

use crate::capture::dispatch::ErrorHolder;

/// What `#[monitored]` and `capture_exception!` see of an `anyhow::Error` (the dispatch
/// picks this before the `Deref` to `dyn Error` it also has).
impl ErrorHolder for ::anyhow::Error {
    fn held_error(&self) -> &(dyn Error + 'static) {
        self.as_ref()
    }

    fn enrich(&self, event: &mut Event<'static>) {
        let backtrace = self.backtrace();
        if backtrace.status() != BacktraceStatus::Captured {
            return;
        }
        let text = format!("{backtrace:#}");
        let Some(trace) = crate::capture::frames::from_backtrace_text(&text) else {
            return;
        };
        // The backtrace was taken where the error became an `anyhow::Error`: the frames of
        // the error as it reached the caller, the outermost layer's.
        if let Some(top) = event.exception.values.last_mut() {
            top.stacktrace = Some(trace);
        }
    }
}
