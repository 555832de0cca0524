//! Work that leaves the current task or thread ([`bind`], [`bind_fn`]): it takes the current
//! span and scope along, so what it records lands in the same transaction and what it
//! captures carries the same user and tags.
//!
//! Nothing is opened here: the current span is *carried*, as the [instrumented
//! future](super::future) carries its own, and made current during each poll (or while the
//! closure runs), restored by a guard on every way out. Spans opened inside (a monitored
//! function, an HTTP call) are children of the carried span and end as the instrumented
//! future says: `cancelled` when dropped unfinished. A bound future that outlives its
//! transaction records nothing (a finished transaction takes no more spans) and never panics.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use sentry::Hub;

use crate::span::{self, Current, Entered, RequestGuard, RequestView};
use crate::state;

/// What bound work runs in: the span current where it was bound (if any), a hub forked
/// from the one current there (its user, tags and breadcrumbs as they were then), and the
/// request current there when no span carries it (tracing off).
struct Carried {
    span: Option<Current>,
    hub: Arc<Hub>,
    request: Option<Arc<dyn RequestView>>,
}

impl Carried {
    /// The current span and scope, or `None` when vigil is disabled (nothing to carry).
    #[inline]
    fn here() -> Option<Carried> {
        if !state::enabled() {
            return None;
        }
        Some(Carried {
            span: span::with_current(|c| c.cloned()),
            // A hub of its own: a user or tag the bound work sets stays with it, as in a
            // task of its own; what it sees is what was set where it was bound.
            hub: Arc::new(Hub::new_from_top(Hub::current())),
            request: span::current_request(),
        })
    }

    /// Makes the carried span current and binds the hub until the guard is dropped.
    fn enter(&self) -> Entering {
        let hub = sentry_core::HubSwitchGuard::new(Arc::clone(&self.hub));
        let entered = self.span.as_ref().map(|s| span::enter(s.clone()));
        let request = self
            .request
            .as_ref()
            .map(|r| span::enter_request(Arc::clone(r)));
        Entering {
            entered,
            _request: request,
            _hub: hub,
        }
    }
}

/// The carried span current and the hub bound, until dropped (a panic included).
struct Entering {
    entered: Option<Entered>,
    /// The carried request current (when there is one), until dropped.
    _request: Option<RequestGuard>,
    // Dropped after `Drop::drop` has run: the hub is unbound once the span is no longer
    // current.
    _hub: sentry_core::HubSwitchGuard,
}

impl Drop for Entering {
    fn drop(&mut self) {
        if let Some(entered) = self.entered.take() {
            span::exit(entered);
        }
    }
}

/// Runs `future` inside the span and scope current here, wherever it is polled: for
/// `tokio::spawn` and other executors, whose tasks otherwise start with no span and the
/// thread's default scope.
///
/// The monitored functions it calls record their spans as children of the current span,
/// concurrently with their siblings; errors it captures carry the user, tags and breadcrumbs
/// set here (changes it makes to them stay with it). When vigil is disabled it is the future
/// itself, polled through one branch.
///
/// ```
/// # use vigil_runtime as vigil;
/// # let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
/// let captured = vigil::testing::capture(|| {
///     rt.block_on(async {
///         let _tx = vigil::start_transaction("fan_out", "task");
///         vigil::set_user_context(vigil::User::new(7));
///         let task = tokio::spawn(vigil::bind(async {
///             vigil::__private::EventBuilder::message("in a spawned task", vigil::Level::Info).capture();
///         }));
///         task.await.unwrap();
///     });
/// });
/// let event = captured.single_event();
/// assert_eq!(event.user.as_ref().unwrap().id.as_deref(), Some("7")); // the scope came along
/// assert!(event.contexts.contains_key("trace")); // and so did the span
/// ```
///
/// Without `bind`, `tokio::spawn(child(2))` runs `child` with no current span: its span is
/// not recorded, and its errors carry none of the request's user and tags.
pub fn bind<F: Future>(future: F) -> Bound<F> {
    Bound {
        future,
        carried: Carried::here(),
    }
}

pin_project_lite::pin_project! {
    /// A future bound to the span and scope current where [`bind`] was called.
    ///
    /// ```
    /// # use vigil_runtime as vigil;
    /// let bound: vigil::Bound<_> = vigil::bind(async { 1 + 1 });
    /// # let _ = bound;
    /// ```
    #[must_use = "futures do nothing unless polled"]
    pub struct Bound<F> {
        #[pin]
        future: F,
        carried: Option<Carried>,
    }
}

impl<F: Future> Future for Bound<F> {
    type Output = F::Output;

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        match this.carried {
            None => this.future.poll(cx),
            Some(carried) => {
                let _entering = carried.enter();
                this.future.poll(cx)
            }
        }
    }
}

impl<F> std::fmt::Debug for Bound<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Bound")
            .field(
                "carries_span",
                &self.carried.as_ref().is_some_and(|c| c.span.is_some()),
            )
            .finish_non_exhaustive()
    }
}

/// Runs `f` inside the span and scope current here, on whatever thread calls it: for
/// `std::thread::spawn`, `tokio::task::spawn_blocking`, thread pools.
///
/// As with [`bind`], the monitored functions it calls are children of the current span, and
/// its errors carry the user and tags set here.
///
/// ```
/// # use vigil_runtime as vigil;
/// let captured = vigil::testing::capture(|| {
///     let _tx = vigil::start_transaction("import", "task");
///     vigil::set_user_context(vigil::User::new(7));
///     let worker = std::thread::spawn(vigil::bind_fn(|| {
///         vigil::__private::EventBuilder::message("on a worker thread", vigil::Level::Info).capture();
///     }));
///     worker.join().unwrap();
/// });
/// assert_eq!(captured.single_event().user.as_ref().unwrap().id.as_deref(), Some("7"));
/// ```
pub fn bind_fn<F, R>(f: F) -> impl FnOnce() -> R
where
    F: FnOnce() -> R,
{
    let carried = Carried::here();
    move || match carried {
        None => f(),
        Some(carried) => {
            let _entering = carried.enter();
            f()
        }
    }
}
