//! The child span of a monitored `async fn`: opened and made current in one step at its
//! future's first poll, made current again at each later poll, recorded into its transaction
//! when the future is ready. Like a sync function's [`ChildSpan`](super::ChildSpan) it holds
//! no reference to its transaction while it runs: the thread's current span does. Between
//! polls it keeps that current span itself ([`AsyncChild::park`]), so a poll moves it in and
//! out and no reference count changes hands per poll.

use std::sync::Arc;

use sentry::protocol::{SpanStatus, Value};

use super::clock;
use super::current::{self, Current, Entered, Opened};
use super::record::{thread_off, Args, Timing};
use super::tx::TxShared;
use crate::callsite::Callsite;

/// The span of a monitored `async fn` inside a sampled transaction.
pub(crate) struct AsyncChild {
    cs: &'static Callsite,
    /// Its arguments, recorded before the first poll.
    data: Args,
    /// Whether its first poll came (it is opened then, or never).
    opened: bool,
    id: u64,
    parent: u64,
    start_raw: u64,
    /// The thread it opened on, when not its transaction's (0: its transaction's).
    thread: u32,
    /// Its own current span while no poll of it runs.
    parked: Option<Current>,
    /// Its transaction, as an address: compared, never followed (see `current::exit_keep`).
    tx: usize,
}

impl AsyncChild {
    /// A span for `cs`, opened at its first poll ([`enter`](Self::enter)).
    pub(crate) fn new(cs: &'static Callsite) -> Self {
        AsyncChild {
            cs,
            data: Args::default(),
            opened: false,
            id: 0,
            parent: 0,
            start_raw: 0,
            thread: 0,
            parked: None,
            tx: 0,
        }
    }

    #[inline]
    pub(crate) fn set_data(&mut self, key: &'static str, value: Value) {
        self.data.set(key, value);
    }

    /// Makes the span current for a poll: at the first, opened as a child of the current
    /// span; later, moved back from where [`park`](Self::park) left it. `None`: nothing to
    /// record (at the first poll no sampled span was current; later, the span was lost).
    #[inline]
    pub(crate) fn enter(&mut self) -> Option<Entered> {
        if let Some(mine) = self.parked.take() {
            return Some(current::enter(mine));
        }
        if self.opened {
            return None;
        }
        self.opened = true;
        self.open()
    }

    #[inline(never)]
    fn open(&mut self) -> Option<Entered> {
        let Opened::Child { entered } = current::enter_child::<1>() else {
            return None;
        };
        let parent = entered.prev.as_ref()?;
        self.id = entered.id;
        self.parent = parent.span_id;
        self.tx = Arc::as_ptr(&parent.tx) as usize;
        self.thread = thread_off(parent.tx.thread);
        self.start_raw = clock::now_raw();
        Some(entered)
    }

    /// The poll is over and the future not ready: the span stops being current and is kept
    /// for the next poll.
    #[inline]
    pub(crate) fn park(&mut self, entered: Entered) {
        self.parked = current::exit_keep(entered, self.tx);
    }

    /// Records the span with `status` (the future is ready, its poll panicked, or it was
    /// dropped before): `entered` when a poll of it runs. Afterwards it records nothing more.
    pub(crate) fn finish(&mut self, entered: Option<Entered>, status: SpanStatus) {
        let timing = Timing {
            start_raw: self.start_raw,
            end_raw: clock::now_raw(),
            thread: self.thread,
        };
        match entered {
            // Current, entered from its parent (always so when the first poll is the last):
            // recorded through the parent, which shares its transaction, as a sync
            // function's span is.
            Some(mut entered)
                if entered
                    .prev
                    .as_ref()
                    .is_some_and(|p| Arc::as_ptr(&p.tx) as usize == self.tx) =>
            {
                if let Some(parent) = &entered.prev {
                    self.record(&parent.tx, timing, status);
                }
                current::exit_in_place::<2>(&mut entered);
            }
            entered => {
                let mine = match entered {
                    Some(entered) => current::exit_keep(entered, self.tx),
                    None => self.parked.take(),
                };
                if let Some(mine) = mine {
                    self.record(&mine.tx, timing, status);
                }
            }
        }
        self.data.clear();
    }

    fn record(&mut self, tx: &TxShared, timing: Timing, status: SpanStatus) {
        tx.push_callsite(
            self.id,
            self.parent,
            self.cs,
            timing,
            status,
            &mut self.data,
        );
    }
}
