//! The one instrumented future: a future that runs in a span (and, for a transaction of its
//! own, in a hub of its own). Monitored `async fn`s, the HTTP layer and GraphQL operations
//! all use it; what differs between them is a [`Drive`].
//!
//! During each poll the span is current and the hub bound; both are restored when the poll
//! ends, by a guard, so a panic inside the poll cannot leave them behind. When the future is
//! ready its [`Drive`] says how the span ends; a span whose poll panicked ends as
//! `internal_error`; a future dropped before it is ready ends its span as `cancelled`.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use sentry::protocol::SpanStatus;
use sentry::Hub;

use crate::span::{self, Entered, OpenSpan};

/// What an instrumented future runs in, and how a poll enters and leaves its span: an
/// integration's [`InScope`], or a monitored `async fn`'s (`async_span::FnScope`, borrowed
/// from the function's future, where it stays).
pub(crate) trait Scope {
    /// The hub to bind while the future is polled (`None`: the caller's).
    fn hub(&self) -> Option<&Arc<Hub>>;

    /// Makes the span current for a poll; what leaving it takes (`None`: nothing, or the
    /// scope keeps that itself).
    fn enter(&mut self) -> Option<Entered>;

    /// The poll is over and the future not ready.
    fn leave(&mut self, entered: Option<Entered>);

    /// The span ends with `status`: the future is ready or its poll panicked (`entered`:
    /// what this poll's [`enter`](Self::enter) gave), or it was dropped before (`None`).
    fn finish(&mut self, entered: Option<Entered>, status: SpanStatus);

    /// The open span a [`Drive`] may read when the future is ready (integrations').
    fn open_span(&mut self) -> Option<&mut OpenSpan>;
}

impl<S: Scope> Scope for &mut S {
    fn hub(&self) -> Option<&Arc<Hub>> {
        (**self).hub()
    }

    #[inline]
    fn enter(&mut self) -> Option<Entered> {
        (**self).enter()
    }

    #[inline]
    fn leave(&mut self, entered: Option<Entered>) {
        (**self).leave(entered)
    }

    fn finish(&mut self, entered: Option<Entered>, status: SpanStatus) {
        (**self).finish(entered, status)
    }

    fn open_span(&mut self) -> Option<&mut OpenSpan> {
        (**self).open_span()
    }
}

/// An integration's scope: its span (`None`: nothing recorded) and the hub to bind while it
/// is polled (`None`: the caller's).
#[derive(Default)]
#[allow(dead_code)] // for integrations (HTTP server and client, GraphQL)
pub(crate) struct InScope {
    pub(crate) hub: Option<Arc<Hub>>,
    pub(crate) span: Option<OpenSpan>,
}

impl Scope for InScope {
    fn hub(&self) -> Option<&Arc<Hub>> {
        self.hub.as_ref()
    }

    fn enter(&mut self) -> Option<Entered> {
        self.span.as_ref().map(|s| span::enter(s.as_current()))
    }

    fn leave(&mut self, entered: Option<Entered>) {
        if let Some(entered) = entered {
            span::exit(entered);
        }
    }

    fn finish(&mut self, entered: Option<Entered>, status: SpanStatus) {
        close(entered, self.span.take(), status);
    }

    fn open_span(&mut self) -> Option<&mut OpenSpan> {
        self.span.as_mut()
    }
}

/// An open span's end, for a [`Scope`]: it stops being current (as `entered` says), then
/// finishes with `status`.
pub(crate) fn close(entered: Option<Entered>, span: Option<OpenSpan>, status: SpanStatus) {
    if let Some(entered) = entered {
        span::exit(entered);
    }
    if let Some(span) = span {
        span.finish(status);
    }
}

/// What a user of [`Instrumented`] decides: how each poll runs, and how the span ends.
pub(crate) trait Drive<F: Future>: Sized {
    /// Runs one poll of `fut`, inside the span. The default polls it.
    fn poll(&mut self, fut: Pin<&mut F>, cx: &mut Context<'_>) -> Poll<F::Output> {
        fut.poll(cx)
    }

    /// The future is ready with `output`: say how the span ends. The span is still current
    /// and the hub bound, so events captured here belong to it.
    fn ready(self, output: &F::Output, span: Option<&mut OpenSpan>) -> SpanStatus;
}

pin_project_lite::pin_project! {
    /// A future with its span: current during each poll, finished when the future is ready,
    /// as `internal_error` when a poll panics, or as `cancelled` when dropped before.
    pub(crate) struct Instrumented<F, D, S>
    where
        S: Scope,
    {
        #[pin]
        fut: F,
        scope: S,
        // `None` once the future is ready.
        drive: Option<D>,
    }

    impl<F, D, S> PinnedDrop for Instrumented<F, D, S>
    where
        S: Scope,
    {
        fn drop(this: Pin<&mut Self>) {
            let this = this.project();
            if this.drive.is_some() {
                this.scope.finish(None, SpanStatus::Cancelled);
            }
        }
    }
}

impl<F, D, S: Scope> Instrumented<F, D, S> {
    pub(crate) fn new(fut: F, scope: S, drive: D) -> Self {
        Instrumented {
            fut,
            scope,
            drive: Some(drive),
        }
    }
}

impl<F: Future, D: Drive<F>, S: Scope> Future for Instrumented<F, D, S> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        let mut polling = Polling::enter(this.scope);
        let poll = match this.drive.as_mut() {
            Some(drive) => drive.poll(this.fut, cx),
            None => this.fut.poll(cx),
        };
        if let Poll::Ready(output) = &poll {
            if let Some(drive) = this.drive.take() {
                let status = drive.ready(output, polling.scope.open_span());
                polling.finish(status);
            }
        }
        poll
    }
}

/// One poll in progress: the span current and the hub bound until it is dropped, on every
/// way out of the poll.
struct Polling<'a, S: Scope> {
    scope: &'a mut S,
    entered: Option<Entered>,
    // Dropped after `Drop::drop` has run: the hub stays bound while the span is closed.
    _hub: Option<sentry_core::HubSwitchGuard>,
}

impl<'a, S: Scope> Polling<'a, S> {
    #[inline]
    fn enter(scope: &'a mut S) -> Self {
        let _hub = scope
            .hub()
            .map(|h| sentry_core::HubSwitchGuard::new(Arc::clone(h)));
        let entered = scope.enter();
        Polling {
            scope,
            entered,
            _hub,
        }
    }

    /// The span is no longer current, then finishes with `status`.
    fn finish(&mut self, status: SpanStatus) {
        self.scope.finish(self.entered.take(), status);
    }
}

impl<S: Scope> Drop for Polling<'_, S> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.finish(SpanStatus::InternalError);
        } else {
            self.scope.leave(self.entered.take());
        }
    }
}
