//! The span of a monitored `async fn`: opened when the function is called, then carried by
//! the [instrumented future](super::future) around the function's body.

use std::future::Future;
use std::sync::Arc;

use sentry::protocol::{SpanStatus, Value};
use sentry::Hub;

use super::future::{Drive, InScope, Instrumented};
use crate::callsite::Callsite;
use crate::capture::{failure_seq, settle, Verdict};
use crate::span::{self, OpenSpan, SpanName, TraceParent};
use crate::state;

/// The span of a monitored async function, before it is attached to its future.
pub struct AsyncSpan {
    cs: &'static Callsite,
    scope: InScope,
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
            scope: InScope::default(),
            active: false,
            entered: 0,
        };
    }
    enter_async_enabled(cs)
}

#[inline(never)]
fn enter_async_enabled(cs: &'static Callsite) -> AsyncSpan {
    // A root transaction gets a hub of its own, so that its user, tags and breadcrumbs do
    // not leak into concurrent tasks.
    let root = cs.transaction && span::current_sampled().is_none();
    let hub = root.then(|| Arc::new(Hub::new_from_top(Hub::current())));
    let open = || {
        if root {
            // No current span (just looked): the transaction directly.
            span::open_root(SpanName::Callsite(cs), cs.sample_rate, TraceParent::New)
        } else {
            span::map_current(|c| OpenSpan::start_child(c, SpanName::Callsite(cs)))
        }
    };
    let span = match &hub {
        Some(hub) => Hub::run(Arc::clone(hub), open),
        None => open(),
    };
    AsyncSpan {
        cs,
        scope: InScope { hub, span },
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
        self.scope.span.as_ref().is_some_and(OpenSpan::is_recording)
    }

    /// Records an argument.
    pub fn record(&mut self, key: &'static str, value: Option<Value>) {
        if let (Some(span), Some(value)) = (&mut self.scope.span, value) {
            span.set_data(key, value);
        }
    }

    /// Attaches the span to `fut`; `classify` reads the output when it is ready.
    pub fn instrument<F, C>(self, fut: F, classify: C) -> impl Future<Output = F::Output>
    where
        F: Future,
        C: FnOnce(&F::Output, bool) -> Verdict,
    {
        let settle = Settle {
            cs: self.cs,
            entered: self.entered,
            classify,
        };
        Instrumented::new(fut, self.scope, settle)
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
