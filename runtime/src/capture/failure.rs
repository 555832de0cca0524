//! The failure of a monitored function: what its return value says ([`Verdict`]), the status
//! its span gets, and the event captured for it, once per error however many monitored
//! functions pass it up with `?`.

use std::cell::Cell;
use std::hash::{Hash, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};

use sentry::protocol::{Event, SpanStatus};
use sentry::types::Uuid;
use sentry::Hub;

use crate::callsite::Callsite;

/// What a function's return value says.
pub enum Verdict {
    /// Success (or not a `Result`).
    Ok,
    /// An `Err`, with the event to capture when capturing was asked for and possible.
    Failed(Option<Box<Event<'static>>>),
}

/// Counts failure captures, so a function can tell whether one happened during its call.
static FAILURES: AtomicU64 = AtomicU64::new(0);

thread_local! {
    /// The fingerprint of the last failure captured on this thread, and its sequence number.
    static LAST_FAILURE: Cell<(u64, u64)> = const { Cell::new((0, 0)) };
}

#[inline]
pub(crate) fn failure_seq() -> u64 {
    FAILURES.load(Ordering::Relaxed)
}

/// Counts a report that is not a monitored function's failure (an error logged at
/// `ERROR`), so functions can tell it happened during their call; its sequence number.
pub(crate) fn bump_seq() -> u64 {
    FAILURES.fetch_add(1, Ordering::Relaxed) + 1
}

/// What identifies an error for deduplication: its chain of types and messages.
fn fingerprint(event: &Event<'static>) -> u64 {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    for exception in event.exception.values.iter() {
        exception.ty.hash(&mut hasher);
        exception.value.hash(&mut hasher);
    }
    hasher.finish() | 1
}

/// Captures the failure of a function entered at failure sequence `entered`, unless a call
/// nested inside it already captured the same error (an `Err` passed up with `?` through
/// several monitored functions is reported once, by the innermost).
fn capture_failure_once(cs: &'static Callsite, entered: u64, event: Event<'static>) {
    let fp = fingerprint(&event);
    let (last_fp, last_seq) = LAST_FAILURE.try_with(Cell::get).unwrap_or((0, 0));
    if last_fp == fp && last_seq > entered {
        return;
    }
    // Reported during the call already, as an error logged on the way out.
    if super::logs::logged_since(&event, entered) {
        return;
    }
    let seq = FAILURES.fetch_add(1, Ordering::Relaxed) + 1;
    let _ = LAST_FAILURE.try_with(|c| c.set((fp, seq)));
    capture_failure(cs, event);
}

/// Tags and level of `cs` on a failure event, then capture into the current hub.
fn capture_failure(cs: &'static Callsite, mut event: Event<'static>) -> Uuid {
    event.level = cs.level;
    event.tags.insert("function".into(), cs.name.into());
    event.tags.insert("op".into(), cs.op.into());
    for (k, v) in cs.tags {
        event.tags.insert((*k).into(), (*v).into());
    }
    event.culprit = Some(cs.name.into());
    if !cs.fingerprint.is_empty() {
        event.fingerprint = super::event::fingerprint(cs.fingerprint);
    }
    super::frames::attach(&mut event, super::frames::callsite_frame(cs));
    crate::hooks::failure_captured(&event);
    Hub::current().capture_event(event)
}

/// The span status a verdict gives; a failure's event is captured on the way (once: see
/// `capture_failure_once`).
#[inline]
pub(crate) fn settle(cs: &'static Callsite, entered: u64, verdict: Verdict) -> SpanStatus {
    match verdict {
        Verdict::Ok => SpanStatus::Ok,
        Verdict::Failed(event) => failed(cs, entered, event),
    }
}

#[cold]
#[inline(never)]
fn failed(cs: &'static Callsite, entered: u64, event: Option<Box<Event<'static>>>) -> SpanStatus {
    if let Some(event) = event {
        capture_failure_once(cs, entered, *event);
    }
    SpanStatus::InternalError
}
