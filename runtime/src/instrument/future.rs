//! The one instrumented future: a future that runs in a span (and, for a transaction of its
//! own, in a hub of its own). Monitored `async fn`s, the HTTP layer and GraphQL operations
//! all use it; what differs between them is a [`Drive`].
//!
//! During each poll the span is current and the hub bound; both are restored when the poll
//! ends, by a guard, so a panic inside the poll cannot leave them behind. When the future is
//! ready its [`Drive`] says how the span ends; a span whose poll panicked ends as
//! `internal_error`; a future dropped before it is ready ends its span as `cancelled`.

use std::borrow::BorrowMut;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use sentry::protocol::SpanStatus;
use sentry::Hub;

use crate::span::{self, AsyncChild, Entered, OpenSpan};

/// What an instrumented future runs in: its span (nothing recorded when there is none) and
/// the hub to bind while it is polled (`None`: the caller's).
#[derive(Default)]
pub(crate) struct InScope {
    pub(crate) hub: Option<Arc<Hub>>,
    pub(crate) span: ScopeSpan,
}

/// An instrumented future's span.
#[derive(Default)]
pub(crate) enum ScopeSpan {
    /// Nothing recorded.
    #[default]
    None,
    /// A transaction's root or a child span of an integration (a request, an operation).
    Open(OpenSpan),
    /// A monitored `async fn`'s child span: lighter, opened at the first poll.
    Child(AsyncChild),
}

impl InScope {
    /// Runs in `span` (when recorded), with `hub` bound while polled.
    pub(crate) fn new(hub: Option<Arc<Hub>>, span: Option<OpenSpan>) -> Self {
        InScope {
            hub,
            span: span.map_or(ScopeSpan::None, ScopeSpan::Open),
        }
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
    ///
    /// `S` holds the span: an [`InScope`] of its own (the integrations'), or a borrow of one
    /// kept by the caller (a monitored `async fn`'s, whose span stays where the function's
    /// future keeps it instead of being moved in).
    pub(crate) struct Instrumented<F, D, S>
    where
        S: BorrowMut<InScope>,
    {
        #[pin]
        fut: F,
        scope: S,
        // `None` once the future is ready.
        drive: Option<D>,
    }

    impl<F, D, S> PinnedDrop for Instrumented<F, D, S>
    where
        S: BorrowMut<InScope>,
    {
        fn drop(this: Pin<&mut Self>) {
            let this = this.project();
            if this.drive.is_some() {
                let scope = this.scope.borrow_mut();
                match &mut scope.span {
                    ScopeSpan::Child(child) => child.finish(SpanStatus::Cancelled),
                    ScopeSpan::Open(_) => {
                        if let ScopeSpan::Open(span) = std::mem::take(&mut scope.span) {
                            span.finish(SpanStatus::Cancelled);
                        }
                    }
                    ScopeSpan::None => {}
                }
            }
        }
    }
}

impl<F, D, S: BorrowMut<InScope>> Instrumented<F, D, S> {
    pub(crate) fn new(fut: F, scope: S, drive: D) -> Self {
        Instrumented {
            fut,
            scope,
            drive: Some(drive),
        }
    }
}

impl<F: Future, D: Drive<F>, S: BorrowMut<InScope>> Future for Instrumented<F, D, S> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        let mut polling = Polling::enter(this.scope.borrow_mut());
        let poll = match this.drive.as_mut() {
            Some(drive) => drive.poll(this.fut, cx),
            None => this.fut.poll(cx),
        };
        if let Poll::Ready(output) = &poll {
            if let Some(drive) = this.drive.take() {
                let span = match &mut polling.scope.span {
                    ScopeSpan::Open(span) => Some(span),
                    _ => None,
                };
                let status = drive.ready(output, span);
                polling.finish(status);
            }
        }
        poll
    }
}

/// One poll in progress: the span current and the hub bound until it is dropped, on every
/// way out of the poll.
struct Polling<'a> {
    scope: &'a mut InScope,
    entered: Option<Entered>,
    // Dropped after `Drop::drop` has run: the hub stays bound while the span is closed.
    _hub: Option<sentry_core::HubSwitchGuard>,
}

impl<'a> Polling<'a> {
    #[inline]
    fn enter(scope: &'a mut InScope) -> Self {
        let _hub = scope
            .hub
            .as_ref()
            .map(|h| sentry_core::HubSwitchGuard::new(Arc::clone(h)));
        let entered = match &mut scope.span {
            ScopeSpan::Open(s) => Some(span::enter(s.as_current())),
            // A child keeps what it needs to leave in itself.
            ScopeSpan::Child(child) => {
                child.enter();
                None
            }
            ScopeSpan::None => None,
        };
        Polling {
            scope,
            entered,
            _hub,
        }
    }

    /// The span is no longer current, then finishes with `status`.
    fn finish(&mut self, status: SpanStatus) {
        match &mut self.scope.span {
            // In place: a child is not moved out to be recorded, and records nothing after.
            ScopeSpan::Child(child) => child.finish(status),
            ScopeSpan::Open(_) => {
                if let Some(entered) = self.entered.take() {
                    span::exit(entered);
                }
                if let ScopeSpan::Open(span) = std::mem::take(&mut self.scope.span) {
                    span.finish(status);
                }
            }
            ScopeSpan::None => {
                if let Some(entered) = self.entered.take() {
                    span::exit(entered);
                }
            }
        }
    }
}

impl Drop for Polling<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.finish(SpanStatus::InternalError);
        } else if let ScopeSpan::Child(child) = &mut self.scope.span {
            child.park();
        } else if let Some(entered) = self.entered.take() {
            span::exit(entered);
        }
    }
}
