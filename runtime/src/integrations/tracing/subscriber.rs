//! The subscriber wrapper: vigil's own subscriber when the process has none, or a wrapper
//! around the application's. It hands the `tracing` events integrations claim to them,
//! whatever the application's filters say, and lends vigil's current span as `tracing`'s
//! current span, so a library that carries `tracing::Span::current()` to another thread
//! (sqlx's SQLite worker) carries vigil's span there too.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::ThreadId;

use tracing_core::span::{Attributes, Current as CurrentSpan, Id, Record};
use tracing_core::subscriber::NoSubscriber;
use tracing_core::{callsite, Event as TracingEvent, Interest, Kind, Level, Metadata, Subscriber};

use crate::hooks;
use crate::span::{self, Current, TxShared};

static INSTALL_TRIED: AtomicBool = AtomicBool::new(false);

/// Installs `VigilSubscriber<NoSubscriber>` as the global `tracing` subscriber, once, unless
/// no integration takes `tracing` events, one is set already, or
/// [`Config::tracing_subscriber`](crate::Config::tracing_subscriber) said not to. Called when
/// a transaction starts: by then an application that sets up `tracing` has done so.
pub(super) fn install_once() {
    if INSTALL_TRIED.load(Ordering::Relaxed) || INSTALL_TRIED.swap(true, Ordering::Relaxed) {
        return;
    }
    if !hooks::any_wants_tracing_events()
        || !crate::state::auto_subscriber()
        || tracing_core::dispatcher::has_been_set()
    {
        return;
    }
    let _ = tracing_core::dispatcher::set_global_default(tracing_core::Dispatch::new(
        tracing_subscriber(NoSubscriber::default()),
    ));
}

/// Does an integration claim events of this callsite?
fn claimed(meta: &Metadata<'_>) -> bool {
    hooks::claimant(meta).is_some()
}

/// Wraps your `tracing` subscriber so sqlx's queries become spans wherever they run: install
/// the result instead of your subscriber (it matters with the feature `sqlx`, and does no
/// harm without).
///
/// Without it, vigil installs a minimal subscriber of its own when your application has
/// none (see [`Config::tracing_subscriber`](crate::Config::tracing_subscriber)). With a
/// subscriber of your own, [`tracing_layer`](crate::tracing_layer) in it records the queries
/// of PostgreSQL and MySQL, which run on the caller's task; SQLite runs its queries on sqlx's
/// worker thread, and only this wrapper carries vigil's current span over there. It also
/// hears sqlx's query events whatever your level filters say (at sqlx's levels: `DEBUG`,
/// `WARN` for slow ones, or anything up to `DEBUG` you set with `log_statements`), and
/// passes them on to your subscriber only if it wants them. Everything else goes straight
/// to your subscriber.
///
/// ```
/// # use vigil_runtime as vigil;
/// use tracing_subscriber::layer::SubscriberExt;
/// use tracing_subscriber::util::SubscriberInitExt;
///
/// let mine = tracing_subscriber::registry().with(vigil::tracing_layer()); // + your layers
/// vigil::tracing_subscriber(mine).set_default(); // or `.init()` in `main`
/// ```
pub fn tracing_subscriber<S: Subscriber>(inner: S) -> VigilSubscriber<S> {
    VigilSubscriber {
        inner,
        lent: Mutex::new(HashMap::new()),
    }
}

/// Your `tracing` subscriber, with sqlx's queries recorded by vigil: see [`tracing_subscriber()`].
pub struct VigilSubscriber<S> {
    inner: S,
    /// vigil spans lent out as `tracing` spans, by id.
    lent: Mutex<HashMap<u64, Lent>>,
}

impl<S> std::fmt::Debug for VigilSubscriber<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VigilSubscriber").finish_non_exhaustive()
    }
}

/// A vigil span lent as a `tracing` span: the wrapped subscriber's current span at the time
/// (which entering it enters too), how many handles to it are alive, and the thread that
/// lent it (entered on another one, it counts as its transaction's work elsewhere).
struct Lent {
    current: Current,
    inner: Option<Id>,
    refs: usize,
    home: ThreadId,
}

/// The ids of lent spans: the top bit set, so they never meet a `tracing_subscriber`
/// registry's (small slab indices).
const LENT: u64 = 1 << 63;
static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// A lent span entered on this thread: its id, what `span::enter` returned, the wrapped
/// subscriber's span entered with it, and the transaction whose count of work elsewhere it
/// holds (entered away from the thread that lent it).
type EnteredLent = (u64, span::Entered, Option<Id>, Option<Arc<TxShared>>);

/// What `current_span` offered on this thread, until `clone_span` takes it.
type Offered = (u64, Current, Option<Id>);

thread_local! {
    static OFFERED: RefCell<Option<Offered>> = const { RefCell::new(None) };
    /// Lent spans entered on this thread, innermost last.
    static ENTERED: RefCell<Vec<EnteredLent>> = const { RefCell::new(Vec::new()) };
    /// Set while a claimed event vigil handled is passed on to the wrapped subscriber, so a
    /// `tracing_layer()` in there does not hand it over again.
    static HANDLED: Cell<bool> = const { Cell::new(false) };
}

/// Did a [`VigilSubscriber`] around this layer handle the event already?
pub(super) fn handled_outside() -> bool {
    HANDLED.try_with(Cell::get).unwrap_or(false)
}

struct LentCallsite;
static LENT_CALLSITE: LentCallsite = LentCallsite;
static LENT_META: Metadata<'static> = Metadata::new(
    "vigil span",
    "vigil",
    Level::INFO,
    None,
    None,
    None,
    tracing_core::field::FieldSet::new(&[], callsite::Identifier(&LENT_CALLSITE)),
    Kind::SPAN,
);

impl callsite::Callsite for LentCallsite {
    fn set_interest(&self, _: Interest) {}
    fn metadata(&self) -> &Metadata<'_> {
        &LENT_META
    }
}

impl<S> VigilSubscriber<S> {
    fn lent(&self) -> std::sync::MutexGuard<'_, HashMap<u64, Lent>> {
        self.lent.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The wrapped subscriber's id behind a lent id (`None` if it had none); `Err` when `id`
    /// is not a lent one.
    fn inner_id(&self, id: &Id) -> Result<Option<Id>, ()> {
        if id.into_u64() & LENT == 0 {
            return Err(());
        }
        Ok(self
            .lent()
            .get(&id.into_u64())
            .and_then(|l| l.inner.clone()))
    }
}

impl<S: Subscriber> Subscriber for VigilSubscriber<S> {
    fn on_register_dispatch(&self, dispatch: &tracing_core::Dispatch) {
        self.inner.on_register_dispatch(dispatch);
    }

    fn register_callsite(&self, meta: &'static Metadata<'static>) -> Interest {
        let inner = self.inner.register_callsite(meta);
        if claimed(meta) {
            // Asked each time (`enabled`): the integration may not want the event here, and
            // the wrapped subscriber may not want it either (then it is never built).
            Interest::sometimes()
        } else {
            inner
        }
    }

    fn enabled(&self, meta: &Metadata<'_>) -> bool {
        hooks::claimant(meta).is_some_and(|c| c.wants_tracing_event_now(meta))
            || self.inner.enabled(meta)
    }

    fn max_level_hint(&self) -> Option<tracing_core::LevelFilter> {
        // sqlx logs queries at DEBUG (slow ones at WARN) unless told otherwise: at least
        // DEBUG, so a wrapped subscriber's INFO does not turn them off before they reach
        // vigil, while TRACE callsites stay off when the wrapped subscriber wants none.
        self.inner
            .max_level_hint()
            .map(|level| level.max(tracing_core::LevelFilter::DEBUG))
    }

    fn event_enabled(&self, event: &TracingEvent<'_>) -> bool {
        claimed(event.metadata()) || self.inner.event_enabled(event)
    }

    fn new_span(&self, attrs: &Attributes<'_>) -> Id {
        self.inner.new_span(attrs)
    }

    fn record(&self, id: &Id, values: &Record<'_>) {
        match self.inner_id(id) {
            Err(()) => self.inner.record(id, values),
            Ok(Some(inner)) => self.inner.record(&inner, values),
            Ok(None) => {}
        }
    }

    fn record_follows_from(&self, id: &Id, follows: &Id) {
        // A lent span stands for the wrapped subscriber's span it was lent with, if any.
        let map = |id: &Id| match self.inner_id(id) {
            Err(()) => Some(id.clone()),
            Ok(inner) => inner,
        };
        if let (Some(id), Some(follows)) = (map(id), map(follows)) {
            self.inner.record_follows_from(&id, &follows);
        }
    }

    fn event(&self, event: &TracingEvent<'_>) {
        let meta = event.metadata();
        let Some(claimant) = hooks::claimant(meta) else {
            self.inner.event(event);
            return;
        };
        // Built because the wrapped subscriber wants it, the integration may still have no
        // use for it here.
        if claimant.wants_tracing_event_now(meta) {
            claimant.tracing_event(event);
        }
        if self.inner.enabled(meta) && self.inner.event_enabled(event) {
            /// Clears `HANDLED` again, even if the wrapped subscriber panics.
            struct Handled;
            impl Drop for Handled {
                fn drop(&mut self) {
                    let _ = HANDLED.try_with(|h| h.set(false));
                }
            }
            let _ = HANDLED.try_with(|h| h.set(true));
            let _handled = Handled;
            self.inner.event(event);
        }
    }

    fn enter(&self, id: &Id) {
        if id.into_u64() & LENT == 0 {
            self.inner.enter(id);
            return;
        }
        let Some((current, inner, home)) = self
            .lent()
            .get(&id.into_u64())
            .map(|l| (l.current.clone(), l.inner.clone(), l.home))
        else {
            return;
        };
        if let Some(inner) = &inner {
            self.inner.enter(inner);
        }
        // Counted while the span is entered away from home (a worker thread runs a command
        // for the transaction): whoever needs that work's spans may wait for it.
        let worker = (std::thread::current().id() != home).then(|| Arc::clone(&current.tx));
        if let Some(tx) = &worker {
            tx.elsewhere.fetch_add(1, Ordering::AcqRel);
        }
        let entered = span::enter(current);
        let pushed = ENTERED.try_with(|e| match e.try_borrow_mut() {
            Ok(mut e) => {
                e.push((id.into_u64(), entered, inner, worker));
                None
            }
            Err(_) => Some(worker),
        });
        if let Ok(Some(Some(tx))) = pushed {
            tx.elsewhere.fetch_sub(1, Ordering::AcqRel);
        }
    }

    fn exit(&self, id: &Id) {
        if id.into_u64() & LENT == 0 {
            self.inner.exit(id);
            return;
        }
        let popped = ENTERED.try_with(|e| {
            let mut e = e.try_borrow_mut().ok()?;
            let at = e.iter().rposition(|(i, ..)| *i == id.into_u64())?;
            Some(e.remove(at))
        });
        if let Ok(Some((_, entered, inner, worker))) = popped {
            span::exit(entered);
            if let Some(tx) = worker {
                tx.elsewhere.fetch_sub(1, Ordering::AcqRel);
            }
            if let Some(inner) = inner {
                self.inner.exit(&inner);
            }
        }
    }

    fn current_span(&self) -> CurrentSpan {
        let inner = self.inner.current_span();
        let Some(current) = span::with_current(|c| c.cloned()) else {
            return inner;
        };
        let (inner_id, meta) = match inner.into_inner() {
            Some((id, meta)) => (Some(id), meta),
            None => (None, &LENT_META),
        };
        let id = LENT | NEXT_ID.fetch_add(1, Ordering::Relaxed);
        let _ = OFFERED.try_with(|o| {
            if let Ok(mut o) = o.try_borrow_mut() {
                *o = Some((id, current, inner_id));
            }
        });
        CurrentSpan::new(Id::from_u64(id), meta)
    }

    fn clone_span(&self, id: &Id) -> Id {
        let key = id.into_u64();
        if key & LENT == 0 {
            return self.inner.clone_span(id);
        }
        let mut lent = self.lent();
        if let Some(l) = lent.get_mut(&key) {
            l.refs += 1;
            return id.clone();
        }
        let offered = OFFERED
            .try_with(|o| {
                let mut o = o.try_borrow_mut().ok()?;
                match o.take() {
                    Some((i, current, inner)) if i == key => Some((current, inner)),
                    other => {
                        *o = other;
                        None
                    }
                }
            })
            .ok()
            .flatten();
        if let Some((current, inner)) = offered {
            // The lent span holds one reference to the wrapped subscriber's span.
            let inner = inner.map(|i| self.inner.clone_span(&i));
            lent.insert(
                key,
                Lent {
                    current,
                    inner,
                    refs: 1,
                    home: std::thread::current().id(),
                },
            );
        }
        id.clone()
    }

    fn try_close(&self, id: Id) -> bool {
        let key = id.into_u64();
        if key & LENT == 0 {
            return self.inner.try_close(id);
        }
        let closed = {
            let mut lent = self.lent();
            match lent.get_mut(&key) {
                Some(l) if l.refs > 1 => {
                    l.refs -= 1;
                    return false;
                }
                Some(_) => lent.remove(&key),
                None => return false,
            }
        };
        if let Some(inner) = closed.and_then(|l| l.inner) {
            self.inner.try_close(inner);
        }
        true
    }

    // Lets `dispatch.downcast_ref::<T>()` reach the wrapped subscriber and its layers (as
    // `tracing_subscriber`'s own `Layered` does): tracing-error, tracing-opentelemetry and
    // `reload` find their parts that way.
    #[allow(unsafe_code)]
    unsafe fn downcast_raw(&self, id: std::any::TypeId) -> Option<*const ()> {
        if id == std::any::TypeId::of::<Self>() {
            return Some(std::ptr::from_ref(self).cast());
        }
        // SAFETY: the wrapped subscriber upholds `downcast_raw`'s contract for its own
        // answer (a valid pointer to a value of the type `id` names); it is passed on as is.
        unsafe { self.inner.downcast_raw(id) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lent_spans_follow_to_other_threads_and_are_released() {
        let dispatch = tracing_core::Dispatch::new(tracing_subscriber(NoSubscriber::default()));
        let _captured = crate::testing::capture(|| {
            tracing_core::dispatcher::with_default(&dispatch, || {
                let tx = crate::start_transaction("job", "task");
                let here = span::with_current(|c| c.map(|c| c.span_id));
                assert!(here.is_some());
                let lent = tracing::Span::current();
                assert!(!lent.is_none());
                let copy = lent.clone();
                let there = std::thread::scope(|s| {
                    s.spawn(|| {
                        let before = span::with_current(|c| c.map(|c| c.span_id));
                        let during = {
                            let _entered = copy.enter();
                            span::with_current(|c| c.map(|c| c.span_id))
                        };
                        let after = span::with_current(|c| c.map(|c| c.span_id));
                        (before, during, after)
                    })
                    .join()
                    .unwrap()
                });
                assert_eq!(there, (None, here, None));
                drop((lent, copy));
                drop(tx);
            });
        });
        let subscriber = dispatch
            .downcast_ref::<VigilSubscriber<NoSubscriber>>()
            .expect("downcast to the wrapper itself");
        assert!(
            subscriber.lent().is_empty(),
            "a lent span was never released"
        );
        // Outside any vigil span, there is nothing to lend.
        tracing_core::dispatcher::with_default(&dispatch, || {
            assert!(tracing::Span::current().is_none());
        });
    }

    #[test]
    fn the_wrappers_level_hint_lets_sqlx_debug_through() {
        use tracing_core::LevelFilter;
        struct Hint(Option<LevelFilter>);
        impl Subscriber for Hint {
            fn enabled(&self, _: &Metadata<'_>) -> bool {
                false
            }
            fn max_level_hint(&self) -> Option<LevelFilter> {
                self.0
            }
            fn new_span(&self, _: &Attributes<'_>) -> Id {
                Id::from_u64(1)
            }
            fn record(&self, _: &Id, _: &Record<'_>) {}
            fn record_follows_from(&self, _: &Id, _: &Id) {}
            fn event(&self, _: &TracingEvent<'_>) {}
            fn enter(&self, _: &Id) {}
            fn exit(&self, _: &Id) {}
        }
        let hint = |inner| tracing_subscriber(Hint(inner)).max_level_hint();
        assert_eq!(hint(Some(LevelFilter::INFO)), Some(LevelFilter::DEBUG));
        assert_eq!(hint(Some(LevelFilter::OFF)), Some(LevelFilter::DEBUG));
        assert_eq!(hint(Some(LevelFilter::TRACE)), Some(LevelFilter::TRACE));
        assert_eq!(hint(None), None);
    }
}
