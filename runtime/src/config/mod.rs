//! Configuration: read from the environment, overridable by builder methods, validated
//! before anything is handed to the `sentry` crate (which panics on some bad values).

mod values;

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use sentry::protocol::{Event, Transaction};
use sentry::types::Dsn;

use crate::scrub::{Hook, Scrubber};

pub(crate) use values::parse_rate;
use values::{check_rate, check_release, parse_bool, parse_dsn};
pub use values::{ConfigError, Environment, Spool};

/// vigil's configuration.
///
/// Start from [`Config::from_env`] (what [`init`](crate::init) does) or [`Config::new`], adjust
/// with the builder methods, and pass it to [`init_with`](crate::init_with). Builder methods
/// never fail; every value is checked when the config is used, so a bad value is a
/// [`ConfigError`], never a panic.
///
/// | variable | meaning | default |
/// |---|---|---|
/// | `SENTRY_DSN` | where to send; unset = vigil is disabled | unset |
/// | `ENVIRONMENT` (fallback `SENTRY_ENVIRONMENT`) | `development`, `staging`, `production` | `development` |
/// | `SENTRY_ENABLE_TRACING` | send transactions and spans | `true` |
/// | `SENTRY_TRACES_SAMPLE_RATE` | share of transactions kept, in `[0, 1]` | 1.0 / 0.5 / 0.1 by environment |
/// | `SENTRY_RELEASE` | release on every event | `<package>@<version>` |
/// | `VIGIL_SPOOL` | with no DSN: `stderr` or a path to write envelopes to | unset |
///
/// ```
/// # use vigil_runtime as vigil;
/// let config = vigil::Config::new()
///     .dsn("https://public@o1.ingest.sentry.io/42")
///     .environment(vigil::Environment::Staging)
///     .traces_sample_rate(0.25)
///     .release("billing@1.4.2");
/// assert_eq!(config.effective_traces_sample_rate(), 0.25);
/// assert!(config.is_enabled());
/// ```
#[derive(Clone, Default)]
pub struct Config {
    pub(crate) dsn: Option<String>,
    pub(crate) environment: Environment,
    pub(crate) enable_tracing: bool,
    pub(crate) traces_sample_rate: Option<f32>,
    pub(crate) release: Option<String>,
    pub(crate) spool: Option<Spool>,
    pub(crate) send_default_pii: bool,
    pub(crate) shutdown_timeout: Option<Duration>,
    pub(crate) debug: bool,
    pub(crate) scrub_keys: Vec<String>,
    pub(crate) allow_keys: Vec<String>,
    pub(crate) scrub_patterns: Vec<String>,
    pub(crate) ignore_errors: Vec<String>,
    pub(crate) before_send: Option<Hook<Event<'static>>>,
    pub(crate) before_send_transaction: Option<Hook<Transaction<'static>>>,
    pub(crate) transport: Option<Arc<dyn sentry::TransportFactory>>,
    pub(crate) tracing_subscriber: bool,
    pub(crate) trace_propagation_targets: Option<Vec<String>>,
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("dsn", &self.dsn.as_ref().map(|_| "<set>"))
            .field("environment", &self.environment)
            .field("enable_tracing", &self.enable_tracing)
            .field("traces_sample_rate", &self.traces_sample_rate)
            .field("release", &self.release)
            .field("spool", &self.spool)
            .field("send_default_pii", &self.send_default_pii)
            .field("scrub_keys", &self.scrub_keys)
            .field("allow_keys", &self.allow_keys)
            .field("scrub_patterns", &self.scrub_patterns)
            .field("ignore_errors", &self.ignore_errors)
            .field("before_send", &self.before_send.is_some())
            .field(
                "before_send_transaction",
                &self.before_send_transaction.is_some(),
            )
            .field("transport", &self.transport.is_some())
            .field("tracing_subscriber", &self.tracing_subscriber)
            .finish_non_exhaustive()
    }
}

impl Config {
    /// A config with every default: no DSN (disabled), development, tracing on.
    ///
    /// ```
    /// # use vigil_runtime as vigil;
    /// let config = vigil::Config::new();
    /// assert!(!config.is_enabled());
    /// ```
    pub fn new() -> Self {
        Config {
            enable_tracing: true,
            tracing_subscriber: true,
            ..Default::default()
        }
    }

    /// Reads the configuration from the process environment (see the table on [`Config`]).
    ///
    /// ```
    /// # use vigil_runtime as vigil;
    /// // With none of the variables set, vigil is disabled and costs (close to) nothing.
    /// let config = vigil::Config::from_env()?;
    /// # Ok::<(), vigil::ConfigError>(())
    /// ```
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|key| std::env::var(key).ok())
    }

    /// Reads the configuration through `lookup` instead of the process environment: for tests,
    /// or for settings kept somewhere else.
    ///
    /// ```
    /// # use vigil_runtime as vigil;
    /// use std::collections::HashMap;
    /// let vars = HashMap::from([("ENVIRONMENT", "production"), ("SENTRY_RELEASE", "api@2.0.0")]);
    /// let config = vigil::Config::from_lookup(|k| vars.get(k).map(|v| v.to_string()))?;
    /// assert_eq!(config.effective_traces_sample_rate(), 0.1);
    /// # Ok::<(), vigil::ConfigError>(())
    /// ```
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let mut config = Config::new();
        if let Some(dsn) = lookup("SENTRY_DSN") {
            // Empty means off; a malformed one is an error (its secret part never shown).
            if parse_dsn(&dsn)
                .map_err(|e| e.with_key("SENTRY_DSN"))?
                .is_some()
            {
                config.dsn = Some(dsn.trim().to_owned());
            }
        }
        let environment = lookup("ENVIRONMENT")
            .map(|v| ("ENVIRONMENT", v))
            .or_else(|| lookup("SENTRY_ENVIRONMENT").map(|v| ("SENTRY_ENVIRONMENT", v)));
        if let Some((key, value)) = environment {
            config.environment = value.parse().map_err(|e: ConfigError| e.with_key(key))?;
        }
        if let Some(value) = lookup("SENTRY_ENABLE_TRACING") {
            config.enable_tracing = parse_bool("SENTRY_ENABLE_TRACING", &value)?;
        }
        if let Some(value) = lookup("SENTRY_TRACES_SAMPLE_RATE") {
            config.traces_sample_rate = Some(parse_rate("SENTRY_TRACES_SAMPLE_RATE", &value)?);
        }
        if let Some(value) = lookup("SENTRY_RELEASE") {
            check_release("SENTRY_RELEASE", &value)?;
            config.release = Some(value.trim().to_owned());
        }
        if let Some(value) = lookup("VIGIL_SPOOL") {
            config.spool = Some(Spool::parse(&value)?);
        }
        Ok(config)
    }

    /// Sets the DSN (checked when the config is used).
    ///
    /// ```
    /// # use vigil_runtime as vigil;
    /// let config = vigil::Config::new().dsn("https://key@sentry.example.com/7");
    /// assert!(config.is_enabled());
    /// ```
    #[must_use]
    pub fn dsn(mut self, dsn: impl Into<String>) -> Self {
        self.dsn = Some(dsn.into());
        self
    }

    /// Removes the DSN: vigil is disabled unless a spool is set.
    ///
    /// ```
    /// # use vigil_runtime as vigil;
    /// let config = vigil::Config::new().dsn("https://key@sentry.example.com/7").no_dsn();
    /// assert!(!config.is_enabled());
    /// ```
    #[must_use]
    pub fn no_dsn(mut self) -> Self {
        self.dsn = None;
        self
    }

    /// Sets the environment.
    ///
    /// ```
    /// # use vigil_runtime as vigil;
    /// let config = vigil::Config::new().environment(vigil::Environment::Production);
    /// assert_eq!(config.effective_traces_sample_rate(), 0.1);
    /// ```
    #[must_use]
    pub fn environment(mut self, environment: Environment) -> Self {
        self.environment = environment;
        self
    }

    /// Turns sending of transactions and spans on or off (errors are sent either way).
    ///
    /// ```
    /// # use vigil_runtime as vigil;
    /// let config = vigil::Config::new().enable_tracing(false);
    /// assert_eq!(config.effective_traces_sample_rate(), 0.0);
    /// ```
    #[must_use]
    pub fn enable_tracing(mut self, enable: bool) -> Self {
        self.enable_tracing = enable;
        self
    }

    /// Sets the share of transactions kept, in `[0, 1]` (checked when the config is used).
    ///
    /// ```
    /// # use vigil_runtime as vigil;
    /// let config = vigil::Config::new().traces_sample_rate(0.3);
    /// assert_eq!(config.effective_traces_sample_rate(), 0.3);
    /// ```
    #[must_use]
    pub fn traces_sample_rate(mut self, rate: f32) -> Self {
        self.traces_sample_rate = Some(rate);
        self
    }

    /// Sets the release reported on every event, such as `my-service@1.2.3`;
    /// [`release_name!`](crate::release_name) gives the one of the crate it is written in.
    ///
    /// ```
    /// # use vigil_runtime as vigil;
    /// # use vigil_runtime::release_name;
    /// let config = vigil::Config::new().release(vigil::release_name!());
    /// ```
    #[must_use]
    pub fn release(mut self, release: impl Into<String>) -> Self {
        self.release = Some(release.into());
        self
    }

    /// With no DSN, writes every outgoing envelope (scrubbed, one JSON line each) to the spool
    /// instead of sending it: for development and demos.
    ///
    /// ```
    /// # use vigil_runtime as vigil;
    /// let config = vigil::Config::new().spool(vigil::Spool::Stderr);
    /// assert!(config.is_enabled());
    /// ```
    #[must_use]
    pub fn spool(mut self, spool: Spool) -> Self {
        self.spool = Some(spool);
        self
    }

    /// Sends personal data (such as IP addresses) that Sentry's defaults leave out. Off by default.
    ///
    /// ```
    /// # use vigil_runtime as vigil;
    /// let config = vigil::Config::new().send_default_pii(false);
    /// ```
    #[must_use]
    pub fn send_default_pii(mut self, send: bool) -> Self {
        self.send_default_pii = send;
        self
    }

    /// Whether vigil may install a minimal `tracing` subscriber when the process has none
    /// (default: yes). It matters with the `sqlx` feature only: sqlx reports its queries as
    /// `tracing` events, and that subscriber is how they become spans with nothing to wire.
    /// It is installed when the first transaction starts, and only if no global subscriber
    /// is set by then. Turn it off when you install your own subscriber later than that, and
    /// wrap yours with `vigil::tracing_subscriber(..)` instead.
    ///
    /// ```
    /// # use vigil_runtime as vigil;
    /// let config = vigil::Config::new().tracing_subscriber(false);
    /// ```
    #[must_use]
    pub fn tracing_subscriber(mut self, install: bool) -> Self {
        self.tracing_subscriber = install;
        self
    }

    /// The outgoing requests that carry the trace headers (`sentry-trace`, `baggage`,
    /// `traceparent`): regular expressions (the `regex` crate's syntax) searched in the URL,
    /// so a plain string matches as a substring. By default every request carries them, as
    /// with Sentry's SDKs; an empty list turns propagation off. Used by the `reqwest`
    /// middleware and [`propagation::headers_for`](crate::propagation::headers_for). An
    /// invalid expression is a [`ConfigError`] at `init`.
    ///
    /// ```
    /// # use vigil_runtime as vigil;
    /// let config = vigil::Config::new()
    ///     .trace_propagation_targets(["^https://api\\.example\\.com/", "localhost"]);
    /// let err = vigil::init_with(config.spool(vigil::Spool::Stderr).trace_propagation_targets(["("]))
    ///     .unwrap_err();
    /// assert_eq!(err.key(), "trace_propagation_targets");
    /// ```
    #[must_use]
    pub fn trace_propagation_targets<I, S>(mut self, targets: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.trace_propagation_targets = Some(targets.into_iter().map(Into::into).collect());
        self
    }

    /// How long dropping the [`Guard`](crate::Guard) may wait for queued events (default 2 s).
    ///
    /// ```
    /// # use vigil_runtime as vigil;
    /// let config = vigil::Config::new().shutdown_timeout(std::time::Duration::from_millis(500));
    /// ```
    #[must_use]
    pub fn shutdown_timeout(mut self, timeout: Duration) -> Self {
        self.shutdown_timeout = Some(timeout);
        self
    }

    /// Prints the `sentry` crate's own diagnostics to stderr.
    ///
    /// ```
    /// # use vigil_runtime as vigil;
    /// let config = vigil::Config::new().debug(true);
    /// ```
    #[must_use]
    pub fn debug(mut self, debug: bool) -> Self {
        self.debug = debug;
        self
    }

    /// Adds keys to scrub, on top of the built-in list (matched like it: case-insensitive
    /// substrings, `-`, `_`, `.` and spaces ignored).
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

    /// A hook run on every error or message event after vigil's scrubbing; return `None` to
    /// drop the event. A hook that panics drops the event.
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
            before_send: self.before_send.clone(),
            before_send_transaction: self.before_send_transaction.clone(),
        })
    }

    /// Whether this config sends anything anywhere: a DSN, or a spool.
    ///
    /// ```
    /// # use vigil_runtime as vigil;
    /// assert!(!vigil::Config::new().is_enabled());
    /// ```
    pub fn is_enabled(&self) -> bool {
        self.dsn.as_deref().is_some_and(|d| !d.trim().is_empty())
            || self.spool.is_some()
            || self.transport.is_some()
    }

    /// The traces sample rate in force: 0 when tracing is off, else the rate set, else the
    /// environment's default.
    ///
    /// ```
    /// # use vigil_runtime as vigil;
    /// assert_eq!(vigil::Config::new().effective_traces_sample_rate(), 1.0);
    /// ```
    pub fn effective_traces_sample_rate(&self) -> f32 {
        if !self.enable_tracing {
            return 0.0;
        }
        self.traces_sample_rate
            .unwrap_or_else(|| self.environment.default_traces_sample_rate())
    }

    /// The release in force: the one set, else `<package>@<version>` when cargo provides them
    /// at run time (`cargo run`, `cargo test`), else the executable's name. Deployed binaries
    /// should set `SENTRY_RELEASE` or `.release(vigil::release_name!())`.
    pub(crate) fn effective_release(&self) -> Option<String> {
        if let Some(release) = &self.release {
            return Some(release.trim().to_owned());
        }
        let name = std::env::var("CARGO_PKG_NAME").ok();
        let version = std::env::var("CARGO_PKG_VERSION").ok();
        if let (Some(name), Some(version)) = (name, version) {
            return Some(format!("{name}@{version}"));
        }
        std::env::current_exe()
            .ok()
            .and_then(|p| p.file_stem().map(|s| s.to_string_lossy().into_owned()))
    }

    /// Checks every value the builder methods may have set.
    pub(crate) fn validate(&self) -> Result<Option<Dsn>, ConfigError> {
        if let Some(rate) = self.traces_sample_rate {
            check_rate("traces_sample_rate", &rate.to_string(), rate)?;
        }
        if let Some(release) = &self.release {
            check_release("release", release)?;
        }
        match self.dsn.as_deref() {
            Some(dsn) => parse_dsn(dsn).map_err(|e| e.with_key("dsn")),
            None => Ok(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn from(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_lookup(|k| map.get(k).cloned())
    }

    #[test]
    fn defaults_with_nothing_set() {
        let c = from(&[]).unwrap();
        assert!(c.dsn.is_none());
        assert!(!c.is_enabled());
        assert_eq!(c.environment, Environment::Development);
        assert!(c.enable_tracing);
        assert_eq!(c.traces_sample_rate, None);
        assert_eq!(c.effective_traces_sample_rate(), 1.0);
        assert!(c.release.is_none());
        assert!(c.spool.is_none());
    }

    #[test]
    fn valid_dsn_is_kept_trimmed() {
        let c = from(&[("SENTRY_DSN", " https://abc@o1.ingest.sentry.io/42 ")]).unwrap();
        assert_eq!(c.dsn.as_deref(), Some("https://abc@o1.ingest.sentry.io/42"));
        assert!(c.is_enabled());
        let dsn = c.validate().unwrap().unwrap();
        assert_eq!(dsn.project_id().value(), "42");
        assert_eq!(dsn.public_key(), "abc");
    }

    #[test]
    fn malformed_dsns_are_errors_naming_the_variable() {
        for bad in [
            "not a dsn",
            "https://o1.ingest.sentry.io/42",   // no key
            "https://abc@o1.ingest.sentry.io/", // no project
            "https://abc@o1.ingest.sentry.io/abc",
            "ftp://abc@host/1",
            "https://abc@hôst/1",
            "https://ключ@host/1",
            "https://abc@/1",
        ] {
            let err = from(&[("SENTRY_DSN", bad)]).unwrap_err();
            assert_eq!(err.key(), "SENTRY_DSN", "{bad:?}");
            assert!(err.to_string().starts_with("invalid SENTRY_DSN"), "{err}");
        }
    }

    #[test]
    fn an_empty_dsn_disables_vigil() {
        for empty in ["", "   ", "\n"] {
            let config = from(&[("SENTRY_DSN", empty)]).unwrap();
            assert!(!config.is_enabled(), "{empty:?}");
            assert!(crate::init_with(config).is_ok());
        }
        let built = Config::new().dsn("");
        assert!(crate::init_with(built).is_ok_and(|guard| !guard.is_enabled()));
    }

    #[test]
    fn a_dsn_in_an_error_never_shows_its_secret() {
        let err =
            from(&[("SENTRY_DSN", "https://pub:supersecret@o1.ingest.sentry.io")]).unwrap_err();
        assert!(!err.to_string().contains("supersecret"), "{err}");
        assert_eq!(err.value(), "https://…:[Filtered]@o1.ingest.sentry.io");
        let err = from(&[(
            "SENTRY_DSN",
            "https://0123456789abcdef@o1.ingest.sentry.io/x",
        )])
        .unwrap_err();
        assert_eq!(err.value(), "https://0123…@o1.ingest.sentry.io/x");
        assert!(err.to_string().contains("project id"), "{err}");
        for bad in [
            "https://k3y:s3cr3t@host/abc",
            "s3cr3t@@",
            "a:s3cr3t@host",
            "ftp://ab:s3cr3t@h/1",
        ] {
            let err = from(&[("SENTRY_DSN", bad)]).unwrap_err();
            assert!(!err.to_string().contains("s3cr3t"), "{err}");
        }
    }

    #[test]
    fn environments_and_their_default_rates() {
        for (value, env, rate) in [
            ("development", Environment::Development, 1.0),
            ("dev", Environment::Development, 1.0),
            ("Staging", Environment::Staging, 0.5),
            ("stage", Environment::Staging, 0.5),
            (" PRODUCTION ", Environment::Production, 0.1),
            ("prod", Environment::Production, 0.1),
        ] {
            let c = from(&[("ENVIRONMENT", value)]).unwrap();
            assert_eq!(c.environment, env);
            assert_eq!(c.effective_traces_sample_rate(), rate);
        }
    }

    #[test]
    fn unknown_environment_is_an_error() {
        for bad in ["", "qa", "production2"] {
            let err = from(&[("ENVIRONMENT", bad)]).unwrap_err();
            assert_eq!(err.key(), "ENVIRONMENT");
            assert_eq!(err.value(), bad);
        }
    }

    #[test]
    fn sentry_environment_is_a_fallback_only() {
        let c = from(&[("SENTRY_ENVIRONMENT", "staging")]).unwrap();
        assert_eq!(c.environment, Environment::Staging);
        let c = from(&[
            ("SENTRY_ENVIRONMENT", "staging"),
            ("ENVIRONMENT", "production"),
        ])
        .unwrap();
        assert_eq!(c.environment, Environment::Production);
        let err = from(&[("SENTRY_ENVIRONMENT", "nope")]).unwrap_err();
        assert_eq!(err.key(), "SENTRY_ENVIRONMENT");
    }

    #[test]
    fn enable_tracing_values() {
        for (value, expected) in [
            ("true", true),
            ("1", true),
            ("YES", true),
            ("on", true),
            ("false", false),
            ("0", false),
            ("no", false),
            (" off ", false),
        ] {
            let c = from(&[("SENTRY_ENABLE_TRACING", value)]).unwrap();
            assert_eq!(c.enable_tracing, expected, "{value}");
        }
        let c = from(&[
            ("SENTRY_ENABLE_TRACING", "false"),
            ("SENTRY_TRACES_SAMPLE_RATE", "1"),
        ])
        .unwrap();
        assert_eq!(c.effective_traces_sample_rate(), 0.0);
        for bad in ["", "maybe", "2"] {
            let err = from(&[("SENTRY_ENABLE_TRACING", bad)]).unwrap_err();
            assert_eq!(err.key(), "SENTRY_ENABLE_TRACING");
        }
    }

    #[test]
    fn sample_rates() {
        for (value, rate) in [("0", 0.0), ("1", 1.0), ("0.25", 0.25), (" 1.0 ", 1.0)] {
            let c = from(&[
                ("SENTRY_TRACES_SAMPLE_RATE", value),
                ("ENVIRONMENT", "production"),
            ])
            .unwrap();
            assert_eq!(c.effective_traces_sample_rate(), rate);
        }
        for bad in ["abc", "1.5", "-0.1", "NaN", "inf", "", " "] {
            let err = from(&[("SENTRY_TRACES_SAMPLE_RATE", bad)]).unwrap_err();
            assert_eq!(err.key(), "SENTRY_TRACES_SAMPLE_RATE", "{bad:?}");
            assert_eq!(err.value(), bad);
        }
    }

    #[test]
    fn release_values() {
        let c = from(&[("SENTRY_RELEASE", "api@1.2.3")]).unwrap();
        assert_eq!(c.effective_release().as_deref(), Some("api@1.2.3"));
        for bad in ["", "  ", ".", "..", "a\nb", "a/b", &"x".repeat(201)] {
            let err = from(&[("SENTRY_RELEASE", bad)]).unwrap_err();
            assert_eq!(err.key(), "SENTRY_RELEASE", "{bad:?}");
        }
    }

    #[test]
    fn release_defaults_to_the_package_under_cargo() {
        // cargo sets CARGO_PKG_NAME / CARGO_PKG_VERSION for the test binary it runs.
        let c = Config::new();
        let release = c.effective_release().unwrap();
        assert!(!release.is_empty());
        if std::env::var("CARGO_PKG_NAME").is_ok() {
            assert_eq!(
                release,
                format!("vigil-runtime@{}", env!("CARGO_PKG_VERSION"))
            );
        }
    }

    #[test]
    fn spool_values() {
        let c = from(&[("VIGIL_SPOOL", "stderr")]).unwrap();
        assert_eq!(c.spool, Some(Spool::Stderr));
        assert!(c.is_enabled());
        let c = from(&[("VIGIL_SPOOL", "/tmp/out.jsonl")]).unwrap();
        assert_eq!(c.spool, Some(Spool::File("/tmp/out.jsonl".into())));
        assert_eq!(
            from(&[("VIGIL_SPOOL", " ")]).unwrap_err().key(),
            "VIGIL_SPOOL"
        );
    }

    #[test]
    fn builder_values_are_validated_on_use() {
        let err = Config::new()
            .traces_sample_rate(1.5)
            .validate()
            .unwrap_err();
        assert_eq!(err.key(), "traces_sample_rate");
        let err = Config::new()
            .traces_sample_rate(f32::NAN)
            .validate()
            .unwrap_err();
        assert_eq!(err.key(), "traces_sample_rate");
        let err = Config::new().dsn("nope").validate().unwrap_err();
        assert_eq!(err.key(), "dsn");
        let err = Config::new().release("").validate().unwrap_err();
        assert_eq!(err.key(), "release");
        assert!(Config::new().validate().unwrap().is_none());
    }

    #[test]
    fn error_values_are_truncated() {
        let long = "x".repeat(5000);
        let err = from(&[("SENTRY_DSN", &long)]).unwrap_err();
        assert_eq!(err.value().len(), 200);
    }
}
