//! Configuration: read from the environment, overridable by builder methods, validated
//! before anything is handed to the `sentry` crate (which panics on some bad values).

mod events;
mod telemetry;
mod values;

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use sentry::protocol::{Event, Transaction};
use sentry::types::Dsn;

use crate::scrub::Hook;

pub use telemetry::SessionMode;
pub(crate) use values::parse_rate;
use values::{check_rate, check_release, check_spotlight_url, parse_bool, parse_dsn};
pub use values::{ConfigError, Environment, Spool, Spotlight};

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
/// | `VIGIL_SPOOL` | with no DSN: show envelopes instead of sending them: `pretty` (readable), `json` (one line each), `stderr` (readable on a terminal, else JSON) or a file path (JSON) | unset |
/// | `SENTRY_SPOTLIGHT` | also send every envelope to a Spotlight sidecar: `1`/`true` (at `http://localhost:8969/stream`), a URL, or `0`/`false` | unset (off) |
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
    /// `Config::spotlight(..)`: wins over `SENTRY_SPOTLIGHT`.
    pub(crate) spotlight: Option<Spotlight>,
    /// `SENTRY_SPOTLIGHT`, as read by `from_lookup`.
    pub(crate) spotlight_env: Option<Spotlight>,
    pub(crate) send_default_pii: bool,
    pub(crate) shutdown_timeout: Option<Duration>,
    pub(crate) debug: bool,
    pub(crate) scrub_keys: Vec<String>,
    pub(crate) allow_keys: Vec<String>,
    pub(crate) scrub_patterns: Vec<String>,
    pub(crate) ignore_errors: Vec<String>,
    pub(crate) log_event_level: Option<sentry::Level>,
    pub(crate) log_breadcrumb_level: Option<sentry::Level>,
    pub(crate) scrub_all_cookies: bool,
    pub(crate) before_send: Option<Hook<Event<'static>>>,
    pub(crate) before_send_transaction: Option<Hook<Transaction<'static>>>,
    pub(crate) transport: Option<Arc<dyn sentry::TransportFactory>>,
    pub(crate) tracing_subscriber: bool,
    pub(crate) trace_propagation_targets: Option<Vec<String>>,
    /// `None`: on when anything is sent (off in `testing` captures).
    pub(crate) release_health: Option<bool>,
    pub(crate) session_mode: Option<SessionMode>,
    pub(crate) enable_logs: bool,
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
            .field("spotlight", &self.effective_spotlight_url())
            .field("send_default_pii", &self.send_default_pii)
            .field("scrub_keys", &self.scrub_keys)
            .field("allow_keys", &self.allow_keys)
            .field("scrub_patterns", &self.scrub_patterns)
            .field("ignore_errors", &self.ignore_errors)
            .field("log_event_level", &self.log_event_level)
            .field("log_breadcrumb_level", &self.log_breadcrumb_level)
            .field("scrub_all_cookies", &self.scrub_all_cookies)
            .field("before_send", &self.before_send.is_some())
            .field(
                "before_send_transaction",
                &self.before_send_transaction.is_some(),
            )
            .field("transport", &self.transport.is_some())
            .field("tracing_subscriber", &self.tracing_subscriber)
            .field("release_health", &self.release_health)
            .field("session_mode", &self.session_mode)
            .field("enable_logs", &self.enable_logs)
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
        if let Some(value) = lookup("SENTRY_SPOTLIGHT") {
            config.spotlight_env = Spotlight::parse_env(&value)?;
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

    /// With no DSN, shows every outgoing envelope (scrubbed) instead of sending it: readable
    /// ([`Spool::Pretty`]), as JSON lines ([`Spool::Json`], [`Spool::File`]), or readable on
    /// a terminal and JSON elsewhere ([`Spool::Stderr`]). For development and demos.
    ///
    /// ```
    /// # use vigil_runtime as vigil;
    /// let config = vigil::Config::new().spool(vigil::Spool::Pretty);
    /// assert!(config.is_enabled());
    /// ```
    #[must_use]
    pub fn spool(mut self, spool: Spool) -> Self {
        self.spool = Some(spool);
        self
    }

    /// Also sends every envelope, scrubbed, to a [Spotlight](https://spotlightjs.com) sidecar,
    /// Sentry's UI for local development: `true` (to the URL in `SENTRY_SPOTLIGHT` if it holds
    /// one, else to `http://localhost:8969/stream`), a URL, or `false` (off, whatever
    /// `SENTRY_SPOTLIGHT` says). Without a DSN, Spotlight is the only place envelopes go.
    /// Sending never blocks the caller: a queue that is full drops the envelope, as the HTTP
    /// transport does; an unreachable sidecar is retried after a pause that doubles up to a
    /// minute. Off by default. A URL that is not `http(s)://host...` is a [`ConfigError`] at
    /// `init`.
    ///
    /// ```
    /// # use vigil_runtime as vigil;
    /// let config = vigil::Config::new().spotlight(true);
    /// assert!(config.is_enabled());
    /// assert_eq!(config.effective_spotlight_url(), Some("http://localhost:8969/stream"));
    ///
    /// let config = vigil::Config::new().spotlight("http://127.0.0.1:9000/stream");
    /// assert_eq!(config.effective_spotlight_url(), Some("http://127.0.0.1:9000/stream"));
    /// assert_eq!(vigil::Config::new().spotlight(false).effective_spotlight_url(), None);
    /// ```
    #[must_use]
    pub fn spotlight(mut self, spotlight: impl Into<Spotlight>) -> Self {
        self.spotlight = Some(spotlight.into());
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

    /// Whether this config sends anything anywhere: a DSN, a spool, a transport or Spotlight.
    ///
    /// ```
    /// # use vigil_runtime as vigil;
    /// assert!(!vigil::Config::new().is_enabled());
    /// ```
    pub fn is_enabled(&self) -> bool {
        self.dsn.as_deref().is_some_and(|d| !d.trim().is_empty())
            || self.spool.is_some()
            || self.transport.is_some()
            || self.effective_spotlight_url().is_some()
    }

    /// Where envelopes go to Spotlight, if anywhere, by the rules of Sentry's SDKs:
    /// [`Config::spotlight`] wins over `SENTRY_SPOTLIGHT`, except that `spotlight(true)` takes
    /// the variable's URL when it holds one.
    ///
    /// ```
    /// # use vigil_runtime as vigil;
    /// let env = |value: &'static str| {
    ///     move |k: &str| (k == "SENTRY_SPOTLIGHT").then(|| value.to_string())
    /// };
    /// let config = vigil::Config::from_lookup(env("1"))?;
    /// assert_eq!(config.effective_spotlight_url(), Some("http://localhost:8969/stream"));
    /// let config = vigil::Config::from_lookup(env("http://localhost:9000/stream"))?;
    /// let on = config.clone().spotlight(true);
    /// assert_eq!(on.effective_spotlight_url(), Some("http://localhost:9000/stream"));
    /// assert_eq!(config.spotlight(false).effective_spotlight_url(), None);
    /// # Ok::<(), vigil::ConfigError>(())
    /// ```
    pub fn effective_spotlight_url(&self) -> Option<&str> {
        let env_url = match &self.spotlight_env {
            Some(Spotlight::Url(url)) => Some(url.as_str()),
            _ => None,
        };
        match (&self.spotlight, &self.spotlight_env) {
            (Some(Spotlight::Off), _) => None,
            (Some(Spotlight::On), _) => Some(env_url.unwrap_or(Spotlight::DEFAULT_URL)),
            (Some(Spotlight::Url(url)), _) => Some(url.as_str()),
            (None, Some(Spotlight::On)) => Some(Spotlight::DEFAULT_URL),
            (None, _) => env_url,
        }
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
        if let Some(Spotlight::Url(url)) = &self.spotlight {
            check_spotlight_url("spotlight", url)?;
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
    fn spool_views() {
        for (value, spool) in [
            ("pretty", Spool::Pretty),
            (" json ", Spool::Json),
            ("stderr", Spool::Stderr),
            ("./pretty", Spool::File("./pretty".into())),
        ] {
            assert_eq!(from(&[("VIGIL_SPOOL", value)]).unwrap().spool, Some(spool));
        }
    }

    #[test]
    fn spotlight_from_the_environment_as_sentry_sdks_read_it() {
        let url = |vars: &[(&str, &str)]| {
            from(vars)
                .unwrap()
                .effective_spotlight_url()
                .map(str::to_owned)
        };
        let default = Some(Spotlight::DEFAULT_URL.to_owned());
        assert_eq!(url(&[]), None);
        for on in ["1", "true", "TRUE", "t", "y", "yes", "on"] {
            assert_eq!(url(&[("SENTRY_SPOTLIGHT", on)]), default, "{on}");
        }
        for off in ["0", "false", "f", "n", "no", "Off", "", "  "] {
            assert_eq!(url(&[("SENTRY_SPOTLIGHT", off)]), None, "{off:?}");
        }
        let custom = "http://127.0.0.1:9000/stream";
        assert_eq!(
            url(&[("SENTRY_SPOTLIGHT", custom)]).as_deref(),
            Some(custom)
        );
        let c = from(&[("SENTRY_SPOTLIGHT", "1")]).unwrap();
        assert!(c.is_enabled(), "Spotlight alone enables vigil");
        for bad in ["localhost:8969", "ftp://host/stream", "maybe", "http://"] {
            let err = from(&[("SENTRY_SPOTLIGHT", bad)]).unwrap_err();
            assert_eq!(err.key(), "SENTRY_SPOTLIGHT", "{bad}");
        }
    }

    #[test]
    fn spotlight_config_wins_over_the_environment() {
        let custom = "http://127.0.0.1:9000/stream";
        let env_url = from(&[("SENTRY_SPOTLIGHT", custom)]).unwrap();
        let env_on = from(&[("SENTRY_SPOTLIGHT", "1")]).unwrap();
        let env_off = from(&[("SENTRY_SPOTLIGHT", "0")]).unwrap();
        // false: off whatever the variable says.
        assert_eq!(
            env_url.clone().spotlight(false).effective_spotlight_url(),
            None
        );
        assert_eq!(
            env_on.clone().spotlight(false).effective_spotlight_url(),
            None
        );
        // true: the variable's URL if it has one, else the default.
        assert_eq!(
            env_url.clone().spotlight(true).effective_spotlight_url(),
            Some(custom)
        );
        assert_eq!(
            env_off.clone().spotlight(true).effective_spotlight_url(),
            Some(Spotlight::DEFAULT_URL)
        );
        // a URL: that URL.
        let other = "http://localhost:7000/stream";
        assert_eq!(
            env_url.spotlight(other).effective_spotlight_url(),
            Some(other)
        );
        let err = Config::new().spotlight("nope").validate().unwrap_err();
        assert_eq!(err.key(), "spotlight");
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
