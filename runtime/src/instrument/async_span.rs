//! The span of a monitored `async fn`: opened when the function is called, then carried by
//! the [instrumented future](super::future) around the function's body.

use std::future::Future;
use std::sync::Arc;

use sentry::protocol::{SpanStatus, Value};
use sentry::Hub;

use super::future::{Drive, InScope, Instrumented, ScopeSpan};
use crate::callsite::Callsite;
use crate::capture::{failure_seq, settle, Verdict};
use crate::span::{self, AsyncChild, OpenSpan, SpanName, TraceParent};
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

/// Each outcome writes its own span: built once where it is returned, not built and copied.
#[inline(never)]
fn enter_async_enabled(cs: &'static Callsite) -> AsyncSpan {
    match span::current_sampled() {
        // Under a sampled span: a child, opened at the first poll (see `AsyncChild`).
        Some(true) => AsyncSpan {
            cs,
            scope: InScope {
                hub: None,
                span: ScopeSpan::Child(AsyncChild::new(cs)),
            },
            active: true,
            entered: failure_seq(),
        },
        None if cs.transaction => enter_transaction(cs),
        Some(false) | None => AsyncSpan {
            cs,
            scope: InScope::default(),
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
        scope: InScope::new(Some(hub), span),
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
            ScopeSpan::Open(span) => span.is_recording(),
            ScopeSpan::Child(_) => true,
            ScopeSpan::None => false,
        }
    }

    /// Records an argument.
    pub fn record(&mut self, key: &'static str, value: Option<Value>) {
        let Some(value) = value else { return };
        match &mut self.scope.span {
            ScopeSpan::Open(span) => span.set_data(key, value),
            ScopeSpan::Child(child) => child.set_data(key, value),
            ScopeSpan::None => {}
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
