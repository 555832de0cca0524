//! Assert your own instrumentation: run code and get back exactly what vigil would have sent.
//!
//! [`capture`] binds a fresh client to the current thread for the duration of a closure; the
//! events and transactions it produces are returned, scrubbed, as they would go to Sentry.
//! Code the closure runs on other threads (spawned threads, multi-threaded executors) is seen
//! when it is bound to the current span and scope with [`bind`](crate::bind) or
//! [`bind_fn`](crate::bind_fn), and not otherwise; or drive futures with a current-thread
//! executor inside the closure.
//!
//! ```
//! # use vigil_runtime as vigil;
//! let captured = vigil::testing::capture(|| {
//!     vigil::set_user_context(vigil::User::new(7));
//!     let tx = vigil::start_transaction("job", "task");
//!     tx.set_tag("queue", "emails");
//! });
//! assert_eq!(captured.transactions.len(), 1);
//! let tx = &captured.transactions[0];
//! assert_eq!(tx.user.as_ref().unwrap().id.as_deref(), Some("7"));
//! assert_eq!(tx.environment.as_deref(), Some("development"));
//! ```

use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};

use sentry::protocol::{
    Envelope, EnvelopeItem, Event, ItemContainer, Log, MonitorCheckIn, SessionAggregates,
    SessionUpdate, TraceId, Transaction,
};
use sentry::{Client, Hub, Scope};

use crate::config::{Config, ConfigError};
use crate::init::client_options;
use crate::monitor::Payload;
use crate::state::Listener;
use crate::transport::{raw_items, Sink};
use crate::view::Pretty;

/// The likeliest reason for nothing captured: work spawned without its span and scope.
const FORGOT_BIND: &str =
    "\n(work run on another thread or task is captured only when it is bound \
to the current span and scope: `tokio::spawn(vigil::bind(future))`, \
`std::thread::spawn(vigil::bind_fn(closure))`)";

/// What a [`capture`] run produced, in the order it was sent.
///
/// Its `Display` is the readable view of every envelope (as `VIGIL_SPOOL=pretty` prints
/// them, without colours, 100 columns wide or as wide as the format asks: `{captured:120}`),
/// so a failing assertion can show what was sent:
///
/// ```
/// # use vigil_runtime as vigil;
/// # use vigil::__private::{EventBuilder, Level};
/// let captured = vigil::testing::capture(|| {
///     EventBuilder::message("disk almost full", Level::Warning).capture();
///     let _tx = vigil::start_transaction("job", "task");
/// });
/// assert_eq!(captured.events.len(), 1, "{captured}");
/// let text = captured.to_string();
/// assert!(text.starts_with("WARNING disk almost full\n"));
/// assert!(text.contains("\nTRANSACTION job · task · ok"));
/// ```
#[derive(Debug, Default)]
#[non_exhaustive]
pub struct Captured {
    /// Error and message events.
    pub events: Vec<Event<'static>>,
    /// Transactions, each with its child spans.
    pub transactions: Vec<Transaction<'static>>,
    /// Cron check-ins of `#[vigil::monitor]` functions.
    pub check_ins: Vec<CheckIn>,
    /// Session updates (release health in application mode; see
    /// [`Config::release_health`]).
    pub sessions: Vec<SessionUpdate<'static>>,
    /// Session counts per minute (release health in request mode).
    pub session_aggregates: Vec<SessionAggregates<'static>>,
    /// Structured logs (see [`Config::enable_logs`]).
    pub logs: Vec<Log>,
    /// Every envelope, as handed to the transport (typed, so without the fields the
    /// `sentry` crate's protocol types have no place for: see [`Captured::json`]).
    pub envelopes: Vec<Envelope>,
    /// Every envelope as JSON, as the JSON spool writes it (`{"headers": .., "items":
    /// [{"type": .., "payload": ..}]}`): events and transactions as they go on the wire,
    /// with `transaction_info.source` and each span's `origin`. See [`Captured::payloads`].
    pub json: Vec<serde_json::Value>,
}

/// A cron check-in, as sent (see `#[vigil::monitor]`).
///
/// ```
/// # use vigil_runtime as vigil;
/// use vigil::__private::{checkin, Monitor, Schedule};
/// static NIGHTLY: Monitor = Monitor {
///     slug: "nightly-report",
///     schedule: Schedule::Crontab("0 3 * * *"),
///     checkin_margin: None,
///     max_runtime: None,
///     timezone: None,
///     failure_issue_threshold: None,
///     recovery_threshold: None,
/// };
/// let captured = vigil::testing::capture(|| {
///     let mut run = checkin(&NIGHTLY);
///     run.finish(vigil::__private::Verdict::Ok);
/// });
/// let [start, end] = &captured.check_ins[..] else { panic!() };
/// assert_eq!(start.check_in.status, vigil::protocol::MonitorCheckInStatus::InProgress);
/// assert_eq!(end.check_in.status, vigil::protocol::MonitorCheckInStatus::Ok);
/// assert_eq!(start.check_in.check_in_id, end.check_in.check_in_id);
/// assert_eq!(end.check_in.monitor_slug, "nightly-report");
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct CheckIn {
    /// What the `sentry` crate's check-in type holds: id, slug, status, duration,
    /// environment and the monitor's configuration.
    pub check_in: MonitorCheckIn,
    /// The release.
    pub release: Option<String>,
    /// The trace the check-in is linked to (`contexts.trace.trace_id`).
    pub trace_id: Option<TraceId>,
}

impl Captured {
    /// The payloads of every item of type `ty` (`"event"`, `"transaction"`, ...) as they go
    /// on the wire, in the order sent: the fields the typed items lack are there.
    ///
    /// ```
    /// # use vigil_runtime as vigil;
    /// let captured = vigil::testing::capture(|| {
    ///     let _tx = vigil::start_transaction("job", "task");
    /// });
    /// let [tx] = &captured.payloads("transaction")[..] else { panic!("{captured}") };
    /// assert_eq!(tx["transaction_info"]["source"], "custom");
    /// assert_eq!(tx["contexts"]["trace"]["origin"], "manual");
    /// ```
    pub fn payloads(&self, ty: &str) -> Vec<&serde_json::Value> {
        self.json
            .iter()
            .filter_map(|envelope| envelope["items"].as_array())
            .flatten()
            .filter(|item| item["type"] == ty)
            .map(|item| &item["payload"])
            .collect()
    }

    /// The one event captured; panics (with the events seen) if there is not exactly one.
    ///
    /// ```
    /// # use vigil_runtime as vigil;
    /// # use vigil::__private::{EventBuilder, Level};
    /// let captured = vigil::testing::capture(|| {
    ///     EventBuilder::message("hello", Level::Info).capture();
    /// });
    /// assert_eq!(captured.single_event().message.as_deref(), Some("hello"));
    /// ```
    pub fn single_event(&self) -> &Event<'static> {
        match self.events.as_slice() {
            [event] => event,
            events => panic!(
                "expected exactly one event, got {}: {events:#?}{}",
                events.len(),
                if events.is_empty() { FORGOT_BIND } else { "" }
            ),
        }
    }

    /// The one transaction captured; panics if there is not exactly one.
    ///
    /// ```
    /// # use vigil_runtime as vigil;
    /// let captured = vigil::testing::capture(|| {
    ///     let _tx = vigil::start_transaction("job", "task");
    /// });
    /// assert_eq!(captured.single_transaction().name.as_deref(), Some("job"));
    /// ```
    pub fn single_transaction(&self) -> &Transaction<'static> {
        match self.transactions.as_slice() {
            [tx] => tx,
            txs => panic!(
                "expected exactly one transaction, got {}: {txs:#?}{}",
                txs.len(),
                if txs.is_empty() { FORGOT_BIND } else { "" }
            ),
        }
    }
}

impl fmt::Display for Captured {
    /// Every envelope in the order it was sent, a blank line between two; `nothing was
    /// captured` when there is none. The width (at least 40) is the format's: `{:120}`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.envelopes.is_empty() {
            return f.write_str("nothing was captured\n");
        }
        let mut view = Pretty::new();
        if let Some(width) = f.width() {
            view = view.width(width);
        }
        for (i, envelope) in self.envelopes.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            f.write_str(&view.render(envelope))?;
        }
        Ok(())
    }
}

/// Runs `f` with vigil enabled (traces sample rate 1.0) and returns what it sent.
///
/// Nothing is lost to load: a transaction that finds vigil's worker queue full (many tests
/// at once share one worker) is built on the caller instead of being dropped and counted, as
/// it would be with a real transport.
///
/// ```
/// # use vigil_runtime as vigil;
/// let captured = vigil::testing::capture(|| {
///     let _tx = vigil::start_transaction("job", "task");
/// });
/// assert_eq!(captured.transactions[0].name.as_deref(), Some("job"));
/// ```
pub fn capture(f: impl FnOnce()) -> Captured {
    capture_with(Config::new().traces_sample_rate(1.0), f)
        .unwrap_or_else(|e| unreachable!("the default test config is valid: {e}"))
}

/// Like [`capture`], with your own configuration (its DSN, spool and Spotlight are ignored:
/// nothing leaves the process).
///
/// ```
/// # use vigil_runtime as vigil;
/// let config = vigil::Config::new()
///     .environment(vigil::Environment::Production)
///     .release("api@1.0.0")
///     .traces_sample_rate(0.0);
/// let captured = vigil::testing::capture_with(config, || {
///     let _tx = vigil::start_transaction("job", "task");
/// })?;
/// assert!(captured.transactions.is_empty()); // rate 0: nothing sampled
/// # Ok::<(), vigil::ConfigError>(())
/// ```
pub fn capture_with(config: Config, f: impl FnOnce()) -> Result<Captured, ConfigError> {
    let store = Arc::new(Mutex::new(Vec::new()));
    let (event, breadcrumb) = config.log_levels();
    crate::state::set_log_levels(event, breadcrumb);
    let targets = crate::propagation::compile_targets(config.trace_propagation_targets.as_deref())?;
    let options = client_options(&config, Some(Sink::Capture(Arc::clone(&store))))?
        .unwrap_or_else(|| unreachable!("a capture sink always yields options"));
    let client = Arc::new(Client::from(sentry::apply_defaults(options)));
    crate::propagation::register_targets(&client, targets);
    let options = client.options();
    // The closure stands for a process: its session, in application mode.
    let session =
        options.auto_session_tracking && options.session_mode == sentry::SessionMode::Application;
    let hub = Arc::new(Hub::new(
        Some(Arc::clone(&client)),
        Arc::new(Scope::default()),
    ));
    {
        let _listener = Listener::new();
        if session {
            hub.start_session();
        }
        Hub::run(Arc::clone(&hub), f);
        if session {
            hub.end_session();
        }
    }
    // Sends the sessions and logs still queued too.
    client.flush(None);
    let sent = std::mem::take(&mut *store.lock().unwrap_or_else(PoisonError::into_inner));
    let (envelopes, json): (Vec<Envelope>, Vec<serde_json::Value>) = sent.into_iter().unzip();
    let mut captured = Captured::default();
    for envelope in &envelopes {
        if envelope.items().next().is_none() {
            let (_, items) = raw_items(envelope);
            for (ty, payload) in items {
                if ty != "check_in" {
                    continue;
                }
                if let Ok(p) = serde_json::from_value::<Payload>(payload) {
                    captured.check_ins.push(CheckIn {
                        check_in: p.check_in,
                        release: p.release,
                        trace_id: p.contexts.trace.map(|t| t.trace_id),
                    });
                }
            }
        }
        for item in envelope.items() {
            match item {
                EnvelopeItem::Event(e) => captured.events.push((**e).clone()),
                EnvelopeItem::Transaction(t) => captured.transactions.push((**t).clone()),
                EnvelopeItem::SessionUpdate(s) => captured.sessions.push(s.clone()),
                EnvelopeItem::SessionAggregates(s) => captured.session_aggregates.push(s.clone()),
                EnvelopeItem::ItemContainer(ItemContainer::Logs(logs)) => {
                    captured.logs.extend(logs.iter().cloned());
                }
                _ => {}
            }
        }
    }
    captured.envelopes = envelopes;
    captured.json = json;
    Ok(captured)
}
