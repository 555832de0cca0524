//! What vigil sends besides errors and transactions: release health (sessions) and Sentry's
//! structured logs.

use super::Config;

/// How release health counts sessions (see [`Config::session_mode`]).
///
/// The `sentry` client fixes it when it starts, so it is chosen once, at `init`: the mode
/// set with [`Config::session_mode`], else [`Request`](SessionMode::Request) when the build
/// has an HTTP server integration (feature `axum`) and
/// [`Application`](SessionMode::Application) otherwise.
///
/// ```
/// # use vigil_runtime as vigil;
/// let config = vigil::Config::new().session_mode(vigil::SessionMode::Request);
/// assert_eq!(config.effective_session_mode(), vigil::SessionMode::Request);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SessionMode {
    /// One session per process: started at `init`, errored when an error event is captured,
    /// crashed on a panic, ended when the [`Guard`](crate::Guard) drops. For programs that
    /// are not servers (command-line tools, workers, desktop programs).
    Application,
    /// One session per HTTP request (under `vigil::axum::layer()`), healthy, errored (an
    /// error event was captured while handling it, a 5xx among them) or crashed (a panic in
    /// the handler); sent as counts per minute, as Sentry asks of servers. No session is
    /// kept for the process itself.
    Request,
}

impl Config {
    /// Release health: sessions, from which Sentry shows crash-free rates and the adoption of
    /// each release. On by default whenever vigil sends anywhere (a DSN, a spool, a transport
    /// or Spotlight); `false` turns it off. [`testing::capture`](crate::testing::capture)
    /// records sessions only when asked with `release_health(true)`, so tests of events see
    /// none. What a session is depends on the [`SessionMode`].
    ///
    /// Sessions belong to a release: the one set ([`Config::release`], `SENTRY_RELEASE`),
    /// else `<package>@<version>` under cargo, else the executable's name.
    ///
    /// ```
    /// # use vigil_runtime as vigil;
    /// let config = vigil::Config::new()
    ///     .release("cli@1.0.0")
    ///     .release_health(true)
    ///     .session_mode(vigil::SessionMode::Application);
    /// let captured = vigil::testing::capture_with(config, || {
    ///     vigil::__private::EventBuilder::message("disk full", vigil::Level::Error).capture();
    /// })?;
    /// let session = captured.sessions.last().unwrap();
    /// assert_eq!(session.status, vigil::protocol::SessionStatus::Exited);
    /// assert_eq!(session.errors, 1); // an errored session
    /// assert_eq!(session.attributes.release, "cli@1.0.0");
    /// # Ok::<(), vigil::ConfigError>(())
    /// ```
    #[must_use]
    pub fn release_health(mut self, on: bool) -> Self {
        self.release_health = Some(on);
        self
    }

    /// Sets how sessions are counted (see [`SessionMode`] for the default).
    ///
    /// ```
    /// # use vigil_runtime as vigil;
    /// // A worker built in a workspace whose server enables `vigil/axum`: one session per
    /// // process all the same.
    /// let config = vigil::Config::from_env()?.session_mode(vigil::SessionMode::Application);
    /// # Ok::<(), vigil::ConfigError>(())
    /// ```
    #[must_use]
    pub fn session_mode(mut self, mode: SessionMode) -> Self {
        self.session_mode = Some(mode);
        self
    }

    /// The session mode in force: the one set, else `Request` when the build has an HTTP
    /// server integration, else `Application`.
    ///
    /// ```
    /// # use vigil_runtime as vigil;
    /// let mode = vigil::Config::new().effective_session_mode();
    /// // This example is built with or without the `axum` feature.
    /// assert!(matches!(mode, vigil::SessionMode::Application | vigil::SessionMode::Request));
    /// ```
    pub fn effective_session_mode(&self) -> SessionMode {
        self.session_mode.unwrap_or_else(|| {
            if crate::hooks::any_serves_requests() {
                SessionMode::Request
            } else {
                SessionMode::Application
            }
        })
    }

    /// Sends log records as Sentry's structured Logs too (off by default): every `tracing`
    /// event (through [`tracing_layer`](crate::tracing_layer)) and `log` record (feature
    /// `log`) at or above the breadcrumb level ([`Config::log_breadcrumb_level`], `Info` by
    /// default) becomes a `log` item with its level, message, fields as attributes, and the
    /// trace id of the transaction it ran in. Logs are batched (up to 100 a batch, or every
    /// 5 seconds) and scrubbed like everything else; errors still become events as before.
    ///
    /// ```
    /// # use vigil_runtime as vigil;
    /// use tracing_subscriber::layer::SubscriberExt;
    /// let subscriber = tracing_subscriber::registry().with(vigil::tracing_layer());
    /// let config = vigil::Config::new().enable_logs(true);
    /// let captured = vigil::testing::capture_with(config, || {
    ///     tracing::subscriber::with_default(subscriber, || {
    ///         tracing::info!(order = 7, "order shipped");
    ///     });
    /// })?;
    /// assert_eq!(captured.logs[0].body, "order shipped");
    /// assert_eq!(captured.logs[0].attributes["order"].0, 7);
    /// # Ok::<(), vigil::ConfigError>(())
    /// ```
    #[must_use]
    pub fn enable_logs(mut self, on: bool) -> Self {
        self.enable_logs = on;
        self
    }
}
