//! vigil's background worker: finished transactions are built, scrubbed and handed to their
//! sink here, and captured events scrubbed and forwarded, off the caller's thread.
//!
//! Bounded: at most [`CAPACITY`] jobs wait; when the worker is behind, new work is dropped
//! and counted (Sentry's client reports, `queue_overflow`), never queued without limit. The
//! caller never waits: a push takes one uncontended lock and wakes the worker only when it
//! sleeps, the queue fills, or someone is flushing. While work keeps coming the worker looks
//! for it every [`POLL`] by itself, so a steady stream of transactions costs no wake-up
//! (a system call) per transaction; after a while with nothing to do it sleeps until woken.

use std::cell::Cell;
use std::collections::VecDeque;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Condvar, Mutex, MutexGuard, OnceLock, PoisonError};
use std::time::{Duration, Instant};

use sentry::protocol::Envelope;

/// Jobs waiting at most (a transaction keeps at most 1,000 spans: this bounds memory too).
pub(crate) const CAPACITY: usize = 100;
/// How often a worker that had work recently looks for more without being woken.
const POLL: Duration = Duration::from_millis(10);
/// Empty looks after which the worker sleeps until a push wakes it (about half a second).
const WARM_ROUNDS: u32 = 50;

/// Work for the worker. Not boxed: the queue's slots are allocated once, a push moves the
/// job into one (boxing would allocate per transaction).
#[allow(clippy::large_enum_variant)]
pub(crate) enum Job {
    /// A finished, sampled transaction to build and send.
    Transaction(crate::span::Finished),
    /// An envelope to scrub and forward to its sinks.
    Envelope(Envelope, std::sync::Arc<crate::transport::Sinks>),
}

impl Job {
    /// Runs the job here (on the worker, or on the caller when it must not wait for one).
    pub(crate) fn run(self) {
        match self {
            Job::Transaction(finished) => finished.send(),
            Job::Envelope(envelope, sinks) => sinks.forward(envelope),
        }
    }
}

struct State {
    jobs: VecDeque<Job>,
    /// The worker is running a job it took.
    busy: bool,
    /// The worker waits on `work` (with or without a timeout).
    waiting: bool,
    /// The worker waits without a timeout: only a push wakes it.
    asleep: bool,
    /// Callers waiting in [`drain`].
    draining: usize,
}

struct Worker {
    state: Mutex<State>,
    /// The worker waits here for jobs.
    work: Condvar,
    /// [`drain`] waits here for the queue to empty.
    idle: Condvar,
}

thread_local! {
    static IS_WORKER: Cell<bool> = const { Cell::new(false) };
}

impl Worker {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn run(&self) {
        IS_WORKER.with(|w| w.set(true));
        let mut empty_rounds = 0u32;
        loop {
            let job = {
                let mut state = self.lock();
                loop {
                    if let Some(job) = state.jobs.pop_front() {
                        state.busy = true;
                        break job;
                    }
                    state.busy = false;
                    if state.draining > 0 {
                        self.idle.notify_all();
                    }
                    state.waiting = true;
                    if empty_rounds < WARM_ROUNDS {
                        empty_rounds += 1;
                        state = self
                            .work
                            .wait_timeout(state, POLL)
                            .unwrap_or_else(PoisonError::into_inner)
                            .0;
                    } else {
                        state.asleep = true;
                        state = self
                            .work
                            .wait(state)
                            .unwrap_or_else(PoisonError::into_inner);
                        state.asleep = false;
                    }
                    state.waiting = false;
                }
            };
            empty_rounds = 0;
            // A job that panics (a user's transport, a hook) loses itself, not the worker.
            let _ = catch_unwind(AssertUnwindSafe(|| job.run()));
        }
    }
}

/// The worker once started; `None` inside if its thread could not be started.
static WORKER: OnceLock<Option<&'static Worker>> = OnceLock::new();

/// The worker, started on first use; `None` if its thread could not be started.
fn worker() -> Option<&'static Worker> {
    *WORKER.get_or_init(|| {
        let worker: &'static Worker = Box::leak(Box::new(Worker {
            state: Mutex::new(State {
                jobs: VecDeque::with_capacity(CAPACITY),
                busy: false,
                waiting: false,
                asleep: false,
                draining: 0,
            }),
            work: Condvar::new(),
            idle: Condvar::new(),
        }));
        std::thread::Builder::new()
            .name("vigil-worker".into())
            .spawn(move || worker.run())
            .ok()
            .map(|_| worker)
    })
}

/// Whether the calling thread is the worker (which runs what it would queue at once).
pub(crate) fn on_worker() -> bool {
    IS_WORKER.try_with(Cell::get).unwrap_or(false)
}

/// Queues `job`; gives it back when the queue is full. The job runs here instead on the
/// worker itself, for the development spool (see `state::send_inline`), and when the
/// worker's thread could not be started.
#[allow(clippy::result_large_err)] // the job given back, moved as it came
pub(crate) fn push(job: Job) -> Result<(), Job> {
    if on_worker() || crate::state::send_inline() {
        job.run();
        return Ok(());
    }
    let Some(worker) = worker() else {
        job.run();
        return Ok(());
    };
    let mut state = worker.lock();
    if state.jobs.len() >= CAPACITY {
        return Err(job);
    }
    state.jobs.push_back(job);
    let wake =
        state.waiting && (state.asleep || state.draining > 0 || state.jobs.len() >= CAPACITY / 4);
    drop(state);
    if wake {
        worker.work.notify_one();
    }
    Ok(())
}

/// Waits until every queued job has run, at most `timeout`; whether they all did.
pub(crate) fn drain(timeout: Duration) -> bool {
    if on_worker() {
        return true;
    }
    // Never started (nothing was ever queued): nothing to wait for, and no thread to start.
    let Some(&Some(worker)) = WORKER.get() else {
        return true;
    };
    // A timeout too large for a deadline (`Duration::MAX`: "wait for ever") waits a day.
    let deadline = deadline_in(timeout);
    let mut state = worker.lock();
    if state.jobs.is_empty() && !state.busy {
        return true;
    }
    state.draining += 1;
    if state.waiting {
        worker.work.notify_one();
    }
    let done = loop {
        if state.jobs.is_empty() && !state.busy {
            break true;
        }
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            break false;
        }
        state = worker
            .idle
            .wait_timeout(state, left)
            .unwrap_or_else(PoisonError::into_inner)
            .0;
    };
    state.draining -= 1;
    done
}

/// `timeout` from now, at most a day (`Instant + Duration::MAX` would panic).
pub(crate) fn deadline_in(timeout: Duration) -> Instant {
    let now = Instant::now();
    now.checked_add(timeout)
        .unwrap_or_else(|| now + Duration::from_secs(86_400))
}
