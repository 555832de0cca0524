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
    id: u64,
    parent: u64,
    start_raw: u64,
    /// The thread it opened on, when not its transaction's (0: its transaction's).
    thread: u32,
    /// Its transaction, as an address: compared, never followed (see `current::exit_keep`).
    tx: usize,
    state: State,
}

enum State {
    /// Before its first poll.
    New,
    /// A poll of it runs: it is current, and leaves as `entered` says. `keep`: its
    /// transaction, when this poll entered it from outside that transaction (the thread
    /// cannot always give its span back then: see `current::exit_keep`).
    Running {
        entered: Entered,
        keep: Option<Arc<TxShared>>,
    },
    /// Between polls: its own current span, to be entered again.
    Parked(Current),
    /// Recorded, or nothing to record.
    Done,
}

impl AsyncChild {
    /// A span for `cs`, opened at its first poll ([`enter`](Self::enter)).
    pub(crate) fn new(cs: &'static Callsite) -> Self {
        AsyncChild {
            cs,
            data: Args::default(),
            id: 0,
            parent: 0,
            start_raw: 0,
            thread: 0,
            tx: 0,
            state: State::New,
        }
    }

    #[inline]
    pub(crate) fn set_data(&mut self, key: &'static str, value: Value) {
        self.data.set(key, value);
    }

    /// Makes the span current for a poll: at the first, opened as a child of the current
    /// span (nothing is recorded when no sampled span is current then); later, moved back
    /// from where [`park`](Self::park) left it.
    #[inline]
    pub(crate) fn enter(&mut self) {
        match self.state {
            State::New => self.open(),
            State::Parked(_) => self.resume(),
            State::Running { .. } | State::Done => {}
        }
    }

    fn resume(&mut self) {
        if let State::Parked(mine) = std::mem::replace(&mut self.state, State::Done) {
            // Under its own transaction (its parent, or a span carrying it) the thread gives
            // the span back whatever happens inside; from elsewhere, it keeps a reference.
            let keep = (!current::current_is_of(self.tx)).then(|| Arc::clone(&mine.tx));
            self.state = State::Running {
                entered: current::enter(mine),
                keep,
            };
        }
    }

    #[inline(never)]
    fn open(&mut self) {
        let Opened::Child { entered } = current::enter_child::<{ current::caller::ASYNC }>() else {
            // Nothing sampled is current at the first poll: nothing is recorded, ever.
            self.state = State::Done;
            return;
        };
        if let Some(parent) = &entered.prev {
            self.id = entered.id;
            self.parent = parent.span_id;
            self.tx = parent.tx_addr();
            self.thread = thread_off(parent.tx.thread);
            self.start_raw = clock::now_raw();
        }
        self.state = State::Running {
            entered,
            keep: None,
        };
    }

    /// The poll is over and the future not ready: the span stops being current and is kept
    /// for the next poll.
    #[inline]
    pub(crate) fn park(&mut self) {
        if matches!(self.state, State::Running { .. }) {
            self.leave();
        }
    }

    #[inline(never)]
    fn leave(&mut self) {
        if let State::Running { entered, keep } = std::mem::replace(&mut self.state, State::Done) {
            if let Some(mine) = self.take_back(entered, keep) {
                self.state = State::Parked(mine);
            }
        }
    }

    /// Its own current span, back from the thread (see `current::exit_keep`), or rebuilt
    /// from the reference `keep` when the thread cannot give it.
    fn take_back(&self, entered: Entered, keep: Option<Arc<TxShared>>) -> Option<Current> {
        current::exit_keep(entered, self.tx).or_else(|| keep.map(|tx| Current::new(tx, self.id)))
    }

    /// Records the span with `status`: the future is ready, its poll panicked, or it was
    /// dropped before. Afterwards it records nothing more.
    pub(crate) fn finish(&mut self, status: SpanStatus) {
        let (id, parent, cs) = (self.id, self.parent, self.cs);
        let (start_raw, thread) = (self.start_raw, self.thread);
        let record = move |tx: &TxShared, data: &mut Args| {
            let end_raw = clock::now_raw();
            let timing = Timing {
                start_raw,
                end_raw,
                thread,
            };
            tx.push_callsite(id, parent, cs, timing, status, data);
        };
        match &mut self.state {
            // Current, entered from its parent (always so when the first poll is the last):
            // recorded through the parent, which shares its transaction, as a sync
            // function's span is, and left in place.
            State::Running { entered, .. }
                if entered
                    .prev
                    .as_ref()
                    .is_some_and(|p| p.tx_addr() == self.tx) =>
            {
                if let Some(parent) = &entered.prev {
                    record(&parent.tx, &mut self.data);
                }
                current::exit_in_place::<{ current::caller::ASYNC }>(entered);
            }
            _ => {
                let mine = match std::mem::replace(&mut self.state, State::Done) {
                    State::Running { entered, keep } => self.take_back(entered, keep),
                    State::Parked(mine) => Some(mine),
                    State::New | State::Done => None,
                };
                if let Some(mine) = mine {
                    record(&mine.tx, &mut self.data);
                }
            }
        }
        self.state = State::Done;
        self.data.clear();
    }
}
