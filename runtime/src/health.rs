//! Release health in request mode: one session per request, counted per minute of its start
//! as Sentry's session aggregates (`exited`, `errored`, `crashed`), the way sentry-python
//! counts them (no `did`).
//!
//! A request pays one clock read and two atomic operations: no lock, no allocation. (The
//! `sentry` crate's own request sessions start a session on the request's hub, which copies
//! its scope, and end it under the client's session lock.) Each of a few slots counts one
//! minute; the first request of a new minute moves the slot's counts aside, under a lock
//! taken once a minute, and sends the minutes that are over. The rest is sent when the client
//! flushes or closes.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU32, AtomicU64, AtomicU8, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sentry::protocol::{
    Envelope, EnvelopeItem, Event, SessionAggregateItem, SessionAggregates, SessionAttributes,
};

/// Minutes counted at once (a request started this many minutes before the newest is
/// counted aside, under the lock).
const SLOTS: usize = 4;
/// No minute yet.
const NONE: u64 = u64::MAX;

/// How a request's session ended. Ordered: the worst one seen wins.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
#[repr(u8)]
pub(crate) enum Outcome {
    /// Healthy (whatever the status code: a 404 is not a failure of the service).
    Exited = 0,
    /// An error event was captured while handling it.
    Errored = 1,
    /// It panicked, or an unhandled error was captured.
    Crashed = 2,
}

/// Counts of one minute.
#[derive(Default)]
struct Counts {
    exited: u32,
    errored: u32,
    crashed: u32,
}

impl Counts {
    fn add(&mut self, outcome: Outcome, n: u32) {
        let count = match outcome {
            Outcome::Exited => &mut self.exited,
            Outcome::Errored => &mut self.errored,
            Outcome::Crashed => &mut self.crashed,
        };
        *count = count.saturating_add(n);
    }

    fn merge(&mut self, other: Counts) {
        self.add(Outcome::Exited, other.exited);
        self.add(Outcome::Errored, other.errored);
        self.add(Outcome::Crashed, other.crashed);
    }

    fn is_empty(&self) -> bool {
        self.exited == 0 && self.errored == 0 && self.crashed == 0
    }
}

/// One minute's counters.
struct Slot {
    /// The minute counted here (minutes since the Unix epoch), or [`NONE`].
    minute: AtomicU64,
    /// By [`Outcome`].
    counts: [AtomicU32; 3],
}

impl Slot {
    /// Moves the counts out (the slot keeps its minute).
    fn take(&self) -> Counts {
        let [exited, errored, crashed] = &self.counts;
        Counts {
            exited: exited.swap(0, Ordering::Relaxed),
            errored: errored.swap(0, Ordering::Relaxed),
            crashed: crashed.swap(0, Ordering::Relaxed),
        }
    }
}

/// A client's request sessions, counted until sent.
pub(crate) struct RequestSessions {
    release: String,
    environment: Option<String>,
    slots: [Slot; SLOTS],
    /// Counts moved out of their slot, by minute, until sent.
    pending: Mutex<BTreeMap<u64, Counts>>,
}

impl RequestSessions {
    /// Request sessions for a client of this release (Sentry needs one) and environment.
    pub(crate) fn new(release: &str, environment: Option<&str>) -> RequestSessions {
        RequestSessions {
            release: release.to_owned(),
            environment: environment.map(str::to_owned),
            slots: std::array::from_fn(|_| Slot {
                minute: AtomicU64::new(NONE),
                counts: Default::default(),
            }),
            pending: Mutex::new(BTreeMap::new()),
        }
    }

    /// Counts a session that started in `minute`; whether minutes that are over wait to be
    /// sent.
    fn record(&self, minute: u64, outcome: Outcome) -> bool {
        let slot = &self.slots[(minute % SLOTS as u64) as usize];
        if slot.minute.load(Ordering::Acquire) != minute {
            let mut pending = self.pending.lock().unwrap_or_else(PoisonError::into_inner);
            let current = slot.minute.load(Ordering::Acquire);
            if current != minute {
                if current != NONE && minute < current {
                    // A request older than the slot's minute (it ran for minutes).
                    pending.entry(minute).or_default().add(outcome, 1);
                    return true;
                }
                // A new minute in this slot. (A request counting in the instant between
                // these two lines lands in the new minute.)
                let counts = slot.take();
                slot.minute.store(minute, Ordering::Release);
                if current != NONE {
                    pending.entry(current).or_default().merge(counts);
                }
                // The minutes before it are over: their counts wait to be sent (requests
                // that started in them and end later add to their slots, taken next time).
                for other in &self.slots {
                    let at = other.minute.load(Ordering::Acquire);
                    if at != NONE && at < minute {
                        pending.entry(at).or_default().merge(other.take());
                    }
                }
                pending.retain(|_, counts| !counts.is_empty());
            }
            slot.counts[outcome as usize].fetch_add(1, Ordering::Relaxed);
            return !pending.is_empty();
        }
        slot.counts[outcome as usize].fetch_add(1, Ordering::Relaxed);
        false
    }

    /// The aggregates to send: the minutes moved aside, and with `all` the counting ones too
    /// (when flushing). `None` when there is nothing.
    pub(crate) fn take(&self, all: bool) -> Option<Envelope> {
        let mut pending =
            std::mem::take(&mut *self.pending.lock().unwrap_or_else(PoisonError::into_inner));
        if all {
            for slot in &self.slots {
                let minute = slot.minute.load(Ordering::Acquire);
                if minute != NONE {
                    pending.entry(minute).or_default().merge(slot.take());
                }
            }
        }
        let aggregates: Vec<SessionAggregateItem> = pending
            .into_iter()
            .filter(|(_, counts)| !counts.is_empty())
            .map(|(minute, counts)| SessionAggregateItem {
                started: UNIX_EPOCH + Duration::from_secs(minute.saturating_mul(60)),
                distinct_id: None,
                exited: counts.exited,
                errored: counts.errored,
                abnormal: 0,
                crashed: counts.crashed,
            })
            .collect();
        if aggregates.is_empty() {
            return None;
        }
        let mut envelope = Envelope::new();
        envelope.add_item(EnvelopeItem::SessionAggregates(SessionAggregates {
            aggregates,
            attributes: SessionAttributes {
                release: self.release.clone().into(),
                environment: self.environment.clone().map(Into::into),
                ip_address: None,
                user_agent: None,
            },
        }));
        Some(envelope)
    }
}

/// The request sessions of `client`, when it counts them.
fn of(client: &sentry::Client) -> Option<&Arc<RequestSessions>> {
    crate::init::vigil_integration(client)?
        .request_sessions
        .as_ref()
}

/// A request's session, from [`start`] to [`RequestSession::end`].
pub(crate) struct RequestSession {
    sessions: Arc<RequestSessions>,
    /// Where the minutes that are over go.
    client: Arc<sentry::Client>,
    minute: u64,
}

/// Starts a session for a request about to be handled with `client`, when it counts
/// sessions per request.
pub(crate) fn start(client: Arc<sentry::Client>) -> Option<RequestSession> {
    let sessions = Arc::clone(of(&client)?);
    let minute = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() / 60);
    Some(RequestSession {
        sessions,
        client,
        minute,
    })
}

impl RequestSession {
    /// Counts the session, ended with `outcome`; sends the minutes that are over.
    pub(crate) fn end(self, outcome: Outcome) {
        if self.sessions.record(self.minute, outcome) {
            if let Some(envelope) = self.sessions.take(false) {
                self.client.send_envelope(envelope);
            }
        }
    }
}

/// The worst outcome seen for a request so far: what its captured events make of it.
#[derive(Default)]
pub(crate) struct Mark(AtomicU8);

impl Mark {
    /// Takes `event`, about to be sent from the request's scope, into account as Sentry
    /// does: an error-level event or one with an exception errors the session, an
    /// unhandled exception crashes it. (Not for an error the client ignores.)
    pub(crate) fn saw(&self, event: &Event<'static>) {
        let mut outcome = if event.level >= sentry::Level::Error {
            Outcome::Errored
        } else {
            Outcome::Exited
        };
        for exception in &event.exception.values {
            outcome = outcome.max(Outcome::Errored);
            if exception.mechanism.as_ref().and_then(|m| m.handled) == Some(false) {
                outcome = Outcome::Crashed;
            }
        }
        self.raise(outcome);
    }

    /// At least `outcome` from now on.
    pub(crate) fn raise(&self, outcome: Outcome) {
        self.0.fetch_max(outcome as u8, Ordering::Relaxed);
    }

    /// The worst outcome seen.
    pub(crate) fn outcome(&self) -> Outcome {
        match self.0.load(Ordering::Relaxed) {
            0 => Outcome::Exited,
            1 => Outcome::Errored,
            _ => Outcome::Crashed,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn totals(sessions: &RequestSessions, all: bool) -> Vec<(u64, u32, u32, u32)> {
        let Some(envelope) = sessions.take(all) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for item in envelope.items() {
            if let EnvelopeItem::SessionAggregates(a) = item {
                assert_eq!(a.attributes.release, "app@1");
                for b in &a.aggregates {
                    let minute = b.started.duration_since(UNIX_EPOCH).unwrap().as_secs() / 60;
                    out.push((minute, b.exited, b.errored, b.crashed));
                }
            }
        }
        out
    }

    #[test]
    fn counts_by_minute_and_outcome_and_sends_minutes_that_are_over() {
        let s = RequestSessions::new("app@1", Some("production"));
        assert!(!s.record(100, Outcome::Exited));
        assert!(!s.record(100, Outcome::Errored));
        assert!(!s.record(100, Outcome::Exited));
        // Nothing is over yet.
        assert!(totals(&s, false).is_empty());
        // Minute 101 starts: 100 is over and waits.
        assert!(s.record(101, Outcome::Crashed));
        assert_eq!(totals(&s, false), vec![(100, 2, 1, 0)]);
        // Minute 104 (in 100's slot) starts: 101 is over.
        assert!(s.record(104, Outcome::Exited));
        assert_eq!(totals(&s, false), vec![(101, 0, 0, 1)]);
        // A request that started in 100 and ends now is counted in 100.
        assert!(s.record(100, Outcome::Errored));
        assert_eq!(totals(&s, false), vec![(100, 0, 1, 0)]);
        // One that started in 103 and ends in 104: counted in 103, sent with the next minute.
        assert!(!s.record(103, Outcome::Exited));
        assert!(s.record(105, Outcome::Exited));
        assert_eq!(totals(&s, false), vec![(103, 1, 0, 0), (104, 1, 0, 0)]);
        // Flushing sends everything, the counting minute too, once.
        assert!(!s.record(105, Outcome::Errored));
        assert_eq!(totals(&s, true), vec![(105, 1, 1, 0)]);
        assert!(totals(&s, true).is_empty());
    }

    #[test]
    fn concurrent_requests_are_all_counted() {
        let s = Arc::new(RequestSessions::new("app@1", None));
        std::thread::scope(|scope| {
            for t in 0..4u64 {
                let s = Arc::clone(&s);
                scope.spawn(move || {
                    for i in 0..10_000u64 {
                        // Minutes move forward as the threads go, each at its own pace.
                        let minute = 1_000 + i / 1_000 + t % 2;
                        s.record(
                            minute,
                            if i % 10 == 0 {
                                Outcome::Errored
                            } else {
                                Outcome::Exited
                            },
                        );
                    }
                });
            }
        });
        let all = totals(&s, true);
        let exited: u32 = all.iter().map(|t| t.1).sum();
        let errored: u32 = all.iter().map(|t| t.2).sum();
        assert_eq!((exited, errored), (36_000, 4_000));
    }

    #[test]
    fn a_new_minute_sends_the_last_through_the_client_and_a_flush_the_rest() {
        let config = crate::Config::new()
            .release("app@1")
            .session_mode(crate::SessionMode::Request)
            .release_health(true);
        let captured = crate::testing::capture_with(config, || {
            let client = sentry::Hub::current().client().expect("a client");
            for (minute, outcome) in [
                (100, Outcome::Exited),
                (100, Outcome::Errored),
                (101, Outcome::Exited),
            ] {
                let mut session = start(Arc::clone(&client)).expect("request mode counts sessions");
                session.minute = minute;
                session.end(outcome);
            }
        })
        .unwrap();
        // Minute 100 went when 101's first request ended; 101 with the capture's flush.
        let sent: Vec<Vec<(u64, u32, u32)>> = captured
            .session_aggregates
            .iter()
            .map(|a| {
                a.aggregates
                    .iter()
                    .map(|b| {
                        let minute = b.started.duration_since(UNIX_EPOCH).unwrap().as_secs() / 60;
                        (minute, b.exited, b.errored)
                    })
                    .collect()
            })
            .collect();
        assert_eq!(sent, vec![vec![(100, 1, 1)], vec![(101, 1, 0)]]);
    }

    #[test]
    fn the_worst_outcome_wins() {
        let mark = Mark::default();
        assert_eq!(mark.outcome(), Outcome::Exited);
        mark.raise(Outcome::Crashed);
        mark.raise(Outcome::Errored);
        assert_eq!(mark.outcome(), Outcome::Crashed);
    }
}
