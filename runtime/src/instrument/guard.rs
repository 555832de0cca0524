//! The span of a monitored sync function: a guard on the caller's stack, current while it
//! lives. Tuned for the hot path: one tag when vigil is off, no allocation and one look at
//! the thread's state for a child span.

use std::mem::ManuallyDrop;

use sentry::protocol::{SpanStatus, Value};

use crate::callsite::Callsite;
use crate::capture::{failure_seq, settle, Verdict};
use crate::span::{self, Child, ChildSpan, Entered, OpenSpan, SpanName, TraceParent};
use crate::state;

/// The guard of a monitored sync function: the span is current while it lives.
pub struct SpanGuard {
    // `ManuallyDrop`: the compiler emits no drop glue call for the state, which it cannot
    // inline and would pay on every call, disabled ones included. `Off` and a `Bare` state own
    // nothing; `Drop` moves a recorded state out and drops it (see `close`).
    inner: ManuallyDrop<Guard>,
}

// Like `GuardState`: on the caller's stack, never moved; `Off` must stay a single tag.
#[allow(clippy::large_enum_variant)]
enum Guard {
    /// vigil is disabled: one tag, nothing else written.
    Off,
    On {
        cs: &'static Callsite,
        /// The failure sequence number at entry (see `capture::failure`).
        entered: u64,
        state: GuardState,
    },
}

// The guard lives on the caller's stack and is never moved; boxing the recorded state would
// cost an allocation per recorded span.
#[allow(clippy::large_enum_variant)]
enum GuardState {
    /// Nothing recorded (no transaction, or not sampled); errors are still captured.
    Bare,
    /// A child span of a sampled transaction (the common recorded case).
    Child {
        span: ChildSpan,
        status: Option<SpanStatus>,
    },
    /// A transaction of its own.
    Open {
        span: OpenSpan,
        entered: Entered,
        status: Option<SpanStatus>,
    },
}

/// Enters the span of a sync function.
#[inline]
pub fn enter(cs: &'static Callsite) -> SpanGuard {
    if !state::enabled() {
        return SpanGuard {
            inner: ManuallyDrop::new(Guard::Off),
        };
    }
    enter_enabled(cs)
}

/// The span of a sync function once vigil is on, decided by a read of the thread's current
/// span: under a sampled one a child (`enter_child`), under an unsampled one nothing, and
/// with none a transaction for `#[transaction]` or nothing. Each outcome writes its own
/// guard.
#[inline(never)]
fn enter_enabled(cs: &'static Callsite) -> SpanGuard {
    match span::current_sampled() {
        Some(true) => enter_child(cs),
        None if cs.transaction => enter_transaction(cs),
        // Inside an unsampled transaction, or outside any: nothing to record. Only a few
        // words of the guard are written here (the recording states are large, and a shared
        // exit would copy all of it).
        Some(false) | None => SpanGuard::bare(cs),
    }
}

impl SpanGuard {
    #[inline(always)]
    fn bare(cs: &'static Callsite) -> SpanGuard {
        SpanGuard {
            inner: ManuallyDrop::new(Guard::On {
                cs,
                entered: failure_seq(),
                state: GuardState::Bare,
            }),
        }
    }
}

/// The span of a sync function under a sampled span: a child, made current in the same look
/// at the thread's state as it is created.
#[inline(never)]
fn enter_child(cs: &'static Callsite) -> SpanGuard {
    match ChildSpan::enter(cs) {
        Child::Open(span) => SpanGuard {
            inner: ManuallyDrop::new(Guard::On {
                cs,
                entered: failure_seq(),
                state: GuardState::Child { span, status: None },
            }),
        },
        Child::NoCurrent | Child::Unsampled => SpanGuard::bare(cs),
    }
}

/// The span of a `#[transaction]` sync function called outside any span: a transaction of
/// its own (or nothing, when it is not started).
#[cold]
#[inline(never)]
fn enter_transaction(cs: &'static Callsite) -> SpanGuard {
    let state = match span::open_root(SpanName::Callsite(cs), cs.sample_rate, TraceParent::New) {
        Some(span) => {
            let entered = span::enter(span.as_current());
            GuardState::Open {
                span,
                entered,
                status: None,
            }
        }
        None => GuardState::Bare,
    };
    SpanGuard {
        inner: ManuallyDrop::new(Guard::On {
            cs,
            entered: failure_seq(),
            state,
        }),
    }
}

impl SpanGuard {
    fn state_mut(&mut self) -> Option<&mut GuardState> {
        match &mut *self.inner {
            Guard::On { state, .. } => Some(state),
            Guard::Off => None,
        }
    }

    /// Whether argument values would be kept (enabled and sampled).
    #[inline]
    pub fn is_recording(&self) -> bool {
        match &*self.inner {
            Guard::On { state, .. } => match state {
                GuardState::Open { span, .. } => span.is_recording(),
                GuardState::Child { .. } => true,
                GuardState::Bare => false,
            },
            Guard::Off => false,
        }
    }

    /// Whether the outcome matters (vigil enabled).
    #[inline]
    pub fn is_active(&self) -> bool {
        matches!(*self.inner, Guard::On { .. })
    }

    /// Whether errors are to be captured.
    #[inline]
    pub fn captures_errors(&self) -> bool {
        matches!(&*self.inner, Guard::On { cs, .. } if cs.capture_errors)
    }

    /// Records an argument.
    pub fn record(&mut self, key: &'static str, value: Option<Value>) {
        let Some(value) = value else { return };
        match self.state_mut() {
            Some(GuardState::Open { span, .. }) => span.set_data(key, value),
            Some(GuardState::Child { span, .. }) => span.set_data(key, value),
            Some(GuardState::Bare) | None => {}
        }
    }

    /// Applies the function's outcome: status, and the error event.
    #[inline]
    pub fn finish(&mut self, verdict: Verdict) {
        // Success changes nothing: a span's status is `ok` unless told otherwise. Decided
        // here, inlined into the caller: the `Ok` path of a `Result` costs no call.
        if let Verdict::Failed(_) = verdict {
            self.failed(verdict);
        }
    }

    #[inline(never)]
    fn failed(&mut self, verdict: Verdict) {
        let Guard::On { cs, entered, state } = &mut *self.inner else {
            return;
        };
        let status = settle(cs, *entered, verdict);
        if let GuardState::Open { status: s, .. } | GuardState::Child { status: s, .. } = state {
            *s = Some(status);
        }
    }
}

impl Drop for SpanGuard {
    #[inline]
    fn drop(&mut self) {
        if let Guard::On {
            state: GuardState::Open { .. } | GuardState::Child { .. },
            ..
        } = *self.inner
        {
            self.close();
        }
    }
}

impl SpanGuard {
    #[inline(never)]
    fn close(&mut self) {
        let Some(state) = self.state_mut() else {
            return;
        };
        let exit = |status: Option<SpanStatus>| {
            if std::thread::panicking() {
                SpanStatus::InternalError
            } else {
                status.unwrap_or(SpanStatus::Ok)
            }
        };
        match state {
            // In place: the child span is recorded where it is, not moved out first. It
            // owns nothing afterwards, and the guard is not dropped again.
            GuardState::Child { span, status } => span.finish(exit(*status)),
            GuardState::Open { .. } => {
                if let GuardState::Open {
                    span,
                    entered,
                    status,
                } = std::mem::replace(state, GuardState::Bare)
                {
                    span::exit(entered);
                    span.finish(exit(status));
                }
            }
            GuardState::Bare => {}
        }
    }
}
