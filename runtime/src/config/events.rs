//! What happens to events before they leave: the scrubber's keys and patterns, the hooks,
//! ignored error types, the levels at which log records become events or breadcrumbs, and a
//! transport of the user's own.

use std::sync::Arc;

use sentry::protocol::{Event, Transaction};

use super::{Config, ConfigError};
use crate::scrub::Scrubber;

impl Config {
    /// Adds keys to scrub, on top of the built-in list (case-insensitive substrings, `-`,
    /// `_`, `.` and spaces ignored: `tax_id` also covers `TaxId` and `user-tax-id`).
    ///
    /// ```
    /// # use vigil_runtime as vigil;
    /// let config = vigil::Config::new().scrub_keys(["iban", "tax_id"]);
    /// ```
    #[must_use]
    pub fn scrub_keys<I, S>(mut self, keys: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        self.scrub_keys.extend(
            keys.into_iter()
                .map(|k| crate::scrub::normalize(k.as_ref())),
        );
        self
    }

    /// Keys kept even though they match the list (exact names, compared the same way), such
    /// as `token_count` or `cache_key`.
    ///
    /// ```
    /// # use vigil_runtime as vigil;
    /// let config = vigil::Config::new().allow_keys(["token_count"]);
    /// ```
    #[must_use]
    pub fn allow_keys<I, S>(mut self, keys: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        self.allow_keys.extend(
            keys.into_iter()
                .map(|k| crate::scrub::normalize(k.as_ref())),
        );
        self
    }

    /// Filters every cookie, not only the session, CSRF and otherwise sensitive ones (by
    /// default a cookie string keeps its other cookies: `language=en; sessionid=[Filtered]`).
    ///
    /// ```
    /// # use vigil_runtime as vigil;
    /// let config = vigil::Config::new().scrub_all_cookies(true);
    /// ```
    #[must_use]
    pub fn scrub_all_cookies(mut self, all: bool) -> Self {
        self.scrub_all_cookies = all;
        self
    }

    /// Adds a regular expression (the `regex` crate's syntax); every match in any text value
    /// becomes `[Filtered]`. An invalid expression is a [`ConfigError`] at `init`.
    ///
    /// ```
    /// # use vigil_runtime as vigil;
    /// let config = vigil::Config::new().scrub_pattern(r"ACC-\d{6}");
    /// let err = vigil::init_with(vigil::Config::new().spool(vigil::Spool::Stderr).scrub_pattern("(")).unwrap_err();
    /// assert_eq!(err.key(), "scrub_pattern");
    /// ```
    #[must_use]
    pub fn scrub_pattern(mut self, pattern: impl Into<String>) -> Self {
        self.scrub_patterns.push(pattern.into());
        self
    }

    /// Error types whose events are not sent: Rust type names, short (`NotFound`) or with
    /// their path (`myapp::errors::NotFound`, `std::io::Error`), as vigil reports them in the
    /// exception's type and module. The error the event is about (the outermost of its
    /// chain) is what is matched. Dropped events are counted in the client reports Sentry
    /// receives. For one function's errors only, `#[monitored(err = ignore)]`.
    ///
    /// ```
    /// # use vigil_runtime as vigil;
    /// #[derive(Debug)]
    /// struct NotFound;
    /// impl std::fmt::Display for NotFound {
    ///     fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
    ///         f.write_str("not found")
    ///     }
    /// }
    /// impl std::error::Error for NotFound {}
    ///
    /// let config = vigil::Config::new().ignore_errors(["NotFound"]);
    /// let captured = vigil::testing::capture_with(config, || {
    ///     vigil::__private::EventBuilder::from_error(&NotFound).capture();
    ///     vigil::__private::EventBuilder::from_error(&std::fmt::Error).capture();
    /// })?;
    /// assert_eq!(captured.events.len(), 1); // the fmt::Error only
    /// # Ok::<(), vigil::ConfigError>(())
    /// ```
    #[must_use]
    pub fn ignore_errors<I, S>(mut self, types: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        self.ignore_errors.extend(
            types
                .into_iter()
                .map(|t| t.as_ref().trim().to_owned())
                .filter(|t| !t.is_empty()),
        );
        self
    }

    /// The lowest level at which a log record (a `tracing` event through
    /// [`tracing_layer`](crate::tracing_layer)) becomes an error event. Default: `Error`.
    ///
    /// ```
    /// # use vigil_runtime as vigil;
    /// let config = vigil::Config::new().log_event_level(vigil::Level::Warning);
    /// ```
    #[must_use]
    pub fn log_event_level(mut self, level: sentry::Level) -> Self {
        self.log_event_level = Some(level);
        self
    }

    /// The lowest level at which a log record becomes a breadcrumb (below the event level).
    /// Default: `Info`; `Debug` takes `DEBUG` and `TRACE` records too.
    ///
    /// ```
    /// # use vigil_runtime as vigil;
    /// let config = vigil::Config::new().log_breadcrumb_level(vigil::Level::Warning);
    /// ```
    #[must_use]
    pub fn log_breadcrumb_level(mut self, level: sentry::Level) -> Self {
        self.log_breadcrumb_level = Some(level);
        self
    }

    /// The log levels in force: `(event, breadcrumb)`.
    pub(crate) fn log_levels(&self) -> (sentry::Level, sentry::Level) {
        (
            self.log_event_level.unwrap_or(sentry::Level::Error),
            self.log_breadcrumb_level.unwrap_or(sentry::Level::Info),
        )
    }

    /// A hook run on every error or message event after vigil's scrubbing; return `None` to
    /// drop the event. A hook that panics drops the event. It runs on vigil's worker thread,
    /// not the thread that captured the event (the development spool aside): read what it
    /// needs from the event, not from thread-locals.
    ///
    /// ```
    /// # use vigil_runtime as vigil;
    /// let config = vigil::Config::new().before_send(|mut event| {
    ///     event.tags.insert("team".into(), "payments".into());
    ///     Some(event)
    /// });
    /// ```
    #[must_use]
    pub fn before_send<F>(mut self, hook: F) -> Self
    where
        F: Fn(Event<'static>) -> Option<Event<'static>> + Send + Sync + 'static,
    {
        self.before_send = Some(Arc::new(hook));
        self
    }

    /// A hook run on every transaction after vigil's scrubbing; return `None` to drop it.
    /// Like [`before_send`](Self::before_send), it runs on vigil's worker thread.
    ///
    /// ```
    /// # use vigil_runtime as vigil;
    /// let config = vigil::Config::new().before_send_transaction(|tx| {
    ///     (tx.name.as_deref() != Some("GET /health")).then_some(tx)
    /// });
    /// ```
    #[must_use]
    pub fn before_send_transaction<F>(mut self, hook: F) -> Self
    where
        F: Fn(Transaction<'static>) -> Option<Transaction<'static>> + Send + Sync + 'static,
    {
        self.before_send_transaction = Some(Arc::new(hook));
        self
    }

    /// Sends through this transport instead of HTTP (scrubbing still happens first): for
    /// tests, benchmarks, or a transport of your own. Enables vigil without a DSN.
    ///
    /// It gets the `sentry` crate's typed items, so without the two fields those types have
    /// no place for and vigil's own HTTP transport writes: `transaction_info.source` (on
    /// transactions and the events inside them) and each span's `origin` (the transaction's
    /// own is there, in `contexts.trace.origin`). To send what vigil sends, write envelopes
    /// as JSON the way the JSON spool does (`VIGIL_SPOOL=json`), or test with
    /// [`crate::testing::capture`], whose `Captured::payloads` shows them.
    ///
    /// ```
    /// # use vigil_runtime as vigil;
    /// use std::sync::{Arc, Mutex};
    /// struct Keep(Mutex<Vec<vigil::protocol::Envelope>>);
    /// impl sentry::Transport for Keep {
    ///     fn send_envelope(&self, envelope: vigil::protocol::Envelope) {
    ///         self.0.lock().unwrap().push(envelope);
    ///     }
    /// }
    /// let kept = Arc::new(Keep(Mutex::new(Vec::new())));
    /// let config = vigil::Config::new().transport(kept.clone());
    /// assert!(config.is_enabled());
    /// ```
    #[must_use]
    pub fn transport<F: sentry::TransportFactory + 'static>(mut self, factory: F) -> Self {
        self.transport = Some(Arc::new(factory));
        self
    }

    /// The scrubber this config asks for.
    pub(crate) fn scrubber(&self) -> Result<Scrubber, ConfigError> {
        let patterns = self
            .scrub_patterns
            .iter()
            .map(|p| {
                regex::Regex::new(p).map_err(|e| {
                    ConfigError::new(
                        "scrub_pattern",
                        p,
                        format!("not a valid regular expression: {e}"),
                    )
                })
            })
            .collect::<Result<_, _>>()?;
        Ok(Scrubber {
            extra_keys: self.scrub_keys.clone(),
            allow_keys: self.allow_keys.clone(),
            patterns,
            send_default_pii: self.send_default_pii,
            all_cookies: self.scrub_all_cookies,
            before_send: self.before_send.clone(),
            before_send_transaction: self.before_send_transaction.clone(),
        })
    }
}
