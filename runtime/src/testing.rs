//! Assert your own instrumentation: run code and get back exactly what vigil would have sent.
//!
//! [`capture`] binds a fresh client to the current thread for the duration of a closure; the
//! events and transactions it produces are returned, scrubbed, as they would go to Sentry.
//! Code the closure runs on other threads (spawned threads, multi-threaded executors) is not
//! seen; drive futures with a current-thread executor inside the closure.
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

use sentry::protocol::{Envelope, EnvelopeItem, Event, Transaction};
use sentry::{Client, Hub, Scope};

use crate::config::{Config, ConfigError};
use crate::init::client_options;
use crate::state::Listener;
use crate::transport::Sink;
use crate::view::Pretty;

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
    /// Every envelope, as handed to the transport.
    pub envelopes: Vec<Envelope>,
}

impl Captured {
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
                "expected exactly one event, got {}: {events:#?}",
                events.len()
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
                "expected exactly one transaction, got {}: {txs:#?}",
                txs.len()
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
    let options = client_options(&config, Some(Sink::Capture(Arc::clone(&store))))?
        .unwrap_or_else(|| unreachable!("a capture sink always yields options"));
    let client = Arc::new(Client::from(sentry::apply_defaults(options)));
    let hub = Arc::new(Hub::new(
        Some(Arc::clone(&client)),
        Arc::new(Scope::default()),
    ));
    {
        let _listener = Listener::new();
        Hub::run(hub, f);
    }
    client.flush(None);
    let envelopes = std::mem::take(&mut *store.lock().unwrap_or_else(PoisonError::into_inner));
    let mut captured = Captured::default();
    for envelope in &envelopes {
        for item in envelope.items() {
            match item {
                EnvelopeItem::Event(e) => captured.events.push((**e).clone()),
                EnvelopeItem::Transaction(t) => captured.transactions.push((**t).clone()),
                _ => {}
            }
        }
    }
    captured.envelopes = envelopes;
    Ok(captured)
}
