//! The span code is running in: a thread-local, set while a span's code runs (per poll, for
//! futures), and restored when it stops.

use std::cell::RefCell;
use std::sync::Arc;

use sentry::protocol::{TraceContext, TraceId};

use super::tx::TxShared;

/// The span code is currently running in.
#[derive(Clone)]
pub(crate) struct Current {
    pub(crate) tx: Arc<TxShared>,
    pub(crate) span_id: u64,
    /// How many spans enclose it on this thread (set when it becomes current).
    pub(super) depth: u32,
}

thread_local! {
    static CURRENT: RefCell<Option<Current>> = const { RefCell::new(None) };
}

impl Current {
    /// `span_id` of `tx`, not yet current anywhere.
    pub(crate) fn new(tx: Arc<TxShared>, span_id: u64) -> Self {
        Current {
            tx,
            span_id,
            depth: 0,
        }
    }

    /// The address of its transaction: an identity to compare, never followed.
    #[inline]
    pub(crate) fn tx_addr(&self) -> usize {
        Arc::as_ptr(&self.tx) as usize
    }

    /// The trace context put on events captured while this span is current.
    pub(crate) fn trace_context(&self) -> TraceContext {
        TraceContext {
            span_id: super::span_id(self.span_id),
            trace_id: self.tx.trace_id,
            op: Some(self.tx.op.to_string()),
            ..Default::default()
        }
    }
}

/// Runs `f` with the current span, if any. Never panics (thread teardown included).
pub(crate) fn with_current<R>(f: impl FnOnce(Option<&Current>) -> R) -> R {
    let mut f = Some(f);
    let out = CURRENT.try_with(|c| match c.try_borrow() {
        Ok(c) => (f.take().expect("called once"))(c.as_ref()),
        Err(_) => (f.take().expect("called once"))(None),
    });
    match out {
        Ok(r) => r,
        Err(_) => (f.take().expect("not called yet"))(None),
    }
}

/// Is the current span part of a sampled transaction? (`None`: no current span.)
#[inline]
pub(crate) fn current_sampled() -> Option<bool> {
    CURRENT
        .try_with(|c| {
            c.try_borrow()
                .ok()
                .and_then(|c| c.as_ref().map(|c| c.tx.sampled))
        })
        .ok()
        .flatten()
}

/// What [`enter`] returns, for [`exit`].
pub(crate) struct Entered {
    pub(super) id: u64,
    pub(super) depth: u32,
    pub(super) trace_id: TraceId,
    pub(super) prev: Option<Current>,
}

/// Makes `new` the current span of this thread.
pub(crate) fn enter(mut new: Current) -> Entered {
    let (id, trace_id) = (new.span_id, new.tx.trace_id);
    let entered = CURRENT.try_with(|c| match c.try_borrow_mut() {
        Ok(mut c) => {
            new.depth = c.as_ref().map_or(0, |p| p.depth.saturating_add(1));
            let depth = new.depth;
            Some((depth, c.replace(new)))
        }
        Err(_) => None,
    });
    let (depth, prev) = entered.ok().flatten().unwrap_or((0, None));
    Entered {
        id,
        depth,
        trace_id,
        prev,
    }
}

/// What [`enter_child`] found.
pub(crate) enum Opened {
    /// No current span.
    NoCurrent,
    /// The current transaction is not sampled: nothing below it is recorded.
    Unsampled,
    /// A new child span is current; `entered.prev` is its parent.
    Child { entered: Entered },
}

/// Who calls [`enter_child`] and [`exit_in_place`]: each its own inlined copy of them.
pub(crate) mod caller {
    /// [`exit`](super::exit), for every other span.
    pub(crate) const OTHER: u8 = 0;
    /// A sync function's child span.
    pub(crate) const SYNC: u8 = 1;
    /// An `async fn`'s child span.
    pub(crate) const ASYNC: u8 = 2;
}

/// Makes a new child span of the current span current, in one look at the thread's state.
///
/// `CALLER` (see [`caller`]) tells its callers apart (sync and async spans), so that each
/// gets its own copy of the thread-local access, inlined: one copy with two callers was left
/// a call of its own (80 instructions a span).
#[inline(always)]
pub(crate) fn enter_child<const CALLER: u8>() -> Opened {
    let opened = CURRENT.try_with(|c| {
        let Ok(mut c) = c.try_borrow_mut() else {
            return Opened::NoCurrent;
        };
        let (tx, depth) = match c.as_ref() {
            None => return Opened::NoCurrent,
            Some(p) if !p.tx.sampled => return Opened::Unsampled,
            Some(p) => (Arc::clone(&p.tx), p.depth.saturating_add(1)),
        };
        let id = crate::state::span_id();
        let trace_id = tx.trace_id;
        let prev = c.replace(Current {
            tx,
            span_id: id,
            depth,
        });
        Opened::Child {
            entered: Entered {
                id,
                depth,
                trace_id,
                prev,
            },
        }
    });
    opened.unwrap_or(Opened::NoCurrent)
}

/// Undoes [`enter`]: the previous span is current again. When something started inside this
/// span is still current (a guard dropped out of order), that goes too: it cannot outlive its
/// parent as the current span. When this span is no longer current at all (dropped on another
/// thread, or already popped), nothing changes.
pub(crate) fn exit(mut entered: Entered) {
    exit_in_place::<{ caller::OTHER }>(&mut entered);
}

/// [`exit`] through `&mut`, for an `Entered` kept inside something larger that is not to be
/// moved: afterwards `entered` holds no span. `CALLER` as for [`enter_child`]: each caller
/// its own inlined copy.
#[inline(always)]
pub(crate) fn exit_in_place<const CALLER: u8>(entered: &mut Entered) {
    let prev = entered.prev.take();
    let _ = CURRENT.try_with(|c| {
        if let Ok(mut c) = c.try_borrow_mut() {
            let ours_or_inside = c.as_ref().is_some_and(|cur| {
                cur.span_id == entered.id
                    || (cur.depth > entered.depth && cur.tx.trace_id == entered.trace_id)
            });
            if ours_or_inside {
                *c = prev;
            }
        }
    });
}

/// [`exit`] for a span that lives on after it stops being current (an `async fn`'s between
/// polls): its own current span comes back, to be entered again, rather than dropped. Taken
/// off the thread when it is still current (no reference count changes hands); otherwise
/// rebuilt from `entered.prev`, which a child span shares its transaction with, when that
/// is the transaction at `tx` (an address, compared, never followed). `None` when neither
/// is possible: the span is not on top (something started inside it is, or it is not
/// current at all) or the thread's state cannot be read, and it was entered from outside
/// its transaction (its caller keeps a reference for that case: `AsyncChild`).
pub(crate) fn exit_keep(entered: Entered, tx: usize) -> Option<Current> {
    let Entered {
        id,
        depth,
        trace_id,
        prev,
    } = entered;
    let same_tx = |p: &Current| p.tx_addr() == tx;
    // Taken when it goes back to the thread; otherwise still here afterwards.
    let mut prev = Some(prev);
    let taken = CURRENT.try_with(|c| {
        let mut c = c.try_borrow_mut().ok()?;
        match c.as_ref() {
            Some(cur) if cur.span_id == id => {
                Some(std::mem::replace(&mut *c, prev.take().flatten()))
            }
            // Something started inside is still current: it goes, as in `exit`, and this
            // span's transaction is its parent's (cloned: rare).
            Some(cur) if cur.depth > depth && cur.tx.trace_id == trace_id => {
                let back = prev.take().flatten();
                let mine = back
                    .as_ref()
                    .filter(|p| same_tx(p))
                    .map(|p| Current::new(Arc::clone(&p.tx), id));
                *c = back;
                Some(mine)
            }
            _ => None,
        }
    });
    match taken {
        Ok(Some(mine)) => mine,
        // Not current here, or the thread's state unreadable (nothing changes): rebuilt from
        // its parent, moved.
        _ => prev
            .flatten()
            .filter(same_tx)
            .map(|p| Current::new(p.tx, id)),
    }
}

/// Whether the current span belongs to the transaction at `tx` (an address, compared).
pub(crate) fn current_is_of(tx: usize) -> bool {
    CURRENT
        .try_with(|c| {
            c.try_borrow()
                .ok()
                .and_then(|c| c.as_ref().map(|c| c.tx_addr() == tx))
        })
        .ok()
        .flatten()
        .unwrap_or(false)
}
