//! The request being served on this thread when no span carries it (tracing off): made
//! current by the instrumented future around each poll of a request, and by bound work;
//! read by vigil's event integration for the events captured meanwhile. (With tracing on,
//! the request's transaction carries it, `TxShared::request`.)

use std::cell::RefCell;
use std::sync::Arc;

use super::RequestView;

thread_local! {
    static REQUEST: RefCell<Option<Arc<dyn RequestView>>> = const { RefCell::new(None) };
}

fn replace(request: Option<Arc<dyn RequestView>>) -> Option<Arc<dyn RequestView>> {
    REQUEST
        .try_with(|current| current.replace(request))
        .unwrap_or(None)
}

/// Makes `request` this thread's current request until the guard is dropped (a panic
/// included), when the one it replaced is current again.
pub(crate) fn enter_request(request: Arc<dyn RequestView>) -> RequestGuard {
    RequestGuard {
        previous: replace(Some(request)),
    }
}

/// What [`enter_request`] returns: puts the previous current request back when dropped.
pub(crate) struct RequestGuard {
    previous: Option<Arc<dyn RequestView>>,
}

impl Drop for RequestGuard {
    fn drop(&mut self) {
        replace(self.previous.take());
    }
}

/// This thread's current request, if one is made current.
pub(crate) fn current_request() -> Option<Arc<dyn RequestView>> {
    REQUEST
        .try_with(|current| current.borrow().clone())
        .unwrap_or(None)
}
