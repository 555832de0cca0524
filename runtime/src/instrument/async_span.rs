//! The span of a monitored `async fn`: opened when the function is called, then carried by
//! the [instrumented future](super::future) around the function's body.

use std::future::Future;
use std::sync::Arc;

use sentry::protocol::{SpanStatus, Value};
use sentry::Hub;

use super::future::{close, Drive, Instrumented, Scope};
use crate::callsite::Callsite;
use crate::capture::{failure_seq, settle, Verdict};
use crate::span::{self, AsyncChild, Entered, OpenSpan, SpanName, TraceParent};
use crate::state;

/// The span of a monitored async function, before it is attached to its future.
pub struct AsyncSpan {
    cs: &'static Callsite,
    scope: FnScope,
    active: bool,
    /// The failure sequence number at entry (see `capture::failure`).
    entered: u64,
}

/// Opens the span of an async function (at its first poll, under the caller's span).
#[inline]
pub fn enter_async(cs: &'static Callsite) -> AsyncSpan {
    if !state::enabled() {
        return AsyncSpan {
            cs,
            scope: FnScope::default(),
            active: false,
            entered: 0,
        };
    }
    enter_async_enabled(cs)
}

/// What a monitored async function's future runs in: its span, and for a transaction of
/// its own a hub of its own.
#[derive(Default)]
struct FnScope {
    hub: Option<Arc<Hub>>,
    span: FnSpan,
}

#[derive(Default)]
enum FnSpan {
    /// Nothing recorded.
    #[default]
    None,
    /// A transaction of its own (`#[transaction]`).
    Open(OpenSpan),
    /// A child span of the caller's (see `AsyncChild`).
    Child(AsyncChild),
}

impl Scope for FnScope {
    fn hub(&self) -> Option<&Arc<Hub>> {
        self.hub.as_ref()
    }

    #[inline]
    fn enter(&mut self) -> Option<Entered> {
        match &mut self.span {
            // A child keeps what it needs to leave in itself.
            FnSpan::Child(child) => {
                child.enter();
                None
            }
            FnSpan::Open(span) => Some(span::enter(span.as_current())),
            FnSpan::None => None,
        }
    }

    #[inline]
    fn leave(&mut self, entered: Option<Entered>) {
        if let FnSpan::Child(child) = &mut self.span {
            child.park();
        } else if let Some(entered) = entered {
            span::exit(entered);
        }
    }

    fn finish(&mut self, entered: Option<Entered>, status: SpanStatus) {
        if let FnSpan::Child(child) = &mut self.span {
            // In place: a child is not moved out to be recorded, and records nothing after.
            return child.finish(status);
        }
        let span = match std::mem::take(&mut self.span) {
            FnSpan::Open(span) => Some(span),
            FnSpan::None | FnSpan::Child(_) => None,
        };
        close(entered, span, status);
    }

    fn open_span(&mut self) -> Option<&mut OpenSpan> {
        None
    }
}

/// Each outcome writes its own span: built once where it is returned, not built and copied.
#[inline(never)]
fn enter_async_enabled(cs: &'static Callsite) -> AsyncSpan {
    match span::current_sampled() {
        // Under a sampled span: a child, opened at the first poll (see `AsyncChild`).
        Some(true) => AsyncSpan {
            cs,
            scope: FnScope {
                hub: None,
                span: FnSpan::Child(AsyncChild::new(cs)),
            },
            active: true,
            entered: failure_seq(),
        },
        None if cs.transaction => enter_transaction(cs),
        Some(false) | None => AsyncSpan {
            cs,
            scope: FnScope::default(),
            active: true,
            entered: failure_seq(),
        },
    }
}

/// A `#[transaction]` async function called outside any span: a transaction in a hub of its
/// own, so that its user, tags and breadcrumbs do not leak into concurrent tasks.
#[cold]
#[inline(never)]
fn enter_transaction(cs: &'static Callsite) -> AsyncSpan {
    let hub = Arc::new(Hub::new_from_top(Hub::current()));
    // No current span (just looked): the transaction directly.
    let span = Hub::run(Arc::clone(&hub), || {
        span::open_root(SpanName::Callsite(cs), cs.sample_rate, TraceParent::New)
    });
    AsyncSpan {
        cs,
        scope: FnScope {
            hub: Some(hub),
            span: span.map_or(FnSpan::None, FnSpan::Open),
        },
        active: true,
        entered: failure_seq(),
    }
}

impl AsyncSpan {
    /// Whether vigil is off: the future then runs unwrapped.
    #[inline]
    pub fn is_off(&self) -> bool {
        !self.active
    }

    /// Whether argument values would be kept.
    #[inline]
    pub fn is_recording(&self) -> bool {
        match &self.scope.span {
            FnSpan::Open(span) => span.is_recording(),
            FnSpan::Child(_) => true,
            FnSpan::None => false,
        }
    }

    /// Records an argument.
    pub fn record(&mut self, key: &'static str, value: Option<Value>) {
        let Some(value) = value else { return };
        match &mut self.scope.span {
            FnSpan::Open(span) => span.set_data(key, value),
            FnSpan::Child(child) => child.set_data(key, value),
            FnSpan::None => {}
        }
    }

    /// Attaches the span to `fut`; `classify` reads the output when it is ready. The span
    /// stays here, borrowed by the future, rather than being moved into it.
    pub fn instrument<'a, F, C>(
        &'a mut self,
        fut: F,
        classify: C,
    ) -> impl Future<Output = F::Output> + use<'a, F, C>
    where
        F: Future,
        C: FnOnce(&F::Output, bool) -> Verdict,
    {
        let settle = Settle {
            cs: self.cs,
            entered: self.entered,
            classify,
        };
        Instrumented::new(fut, &mut self.scope, settle)
    }
}

/// How a monitored function's future ends: its output classified, a failure captured.
struct Settle<C> {
    cs: &'static Callsite,
    entered: u64,
    classify: C,
}

impl<F, C> Drive<F> for Settle<C>
where
    F: Future,
    C: FnOnce(&F::Output, bool) -> Verdict,
{
    fn ready(self, output: &F::Output, _: Option<&mut OpenSpan>) -> SpanStatus {
        let verdict = (self.classify)(output, self.cs.capture_errors);
        settle(self.cs, self.entered, verdict)
    }
}
