//! The values of the configuration: environments, spools, and parsing and checking each
//! setting, with the error that names what was wrong.

use std::borrow::Cow;
use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use sentry::types::Dsn;

/// The deployment environment reported on every event (`environment` in Sentry).
///
/// It also picks the default traces sample rate: 1.0 in development, 0.5 in staging,
/// 0.1 in production.
///
/// ```
/// # use vigil_runtime as vigil;
/// let env: vigil::Environment = "prod".parse()?;
/// assert_eq!(env, vigil::Environment::Production);
/// assert_eq!(env.as_str(), "production");
/// assert_eq!(env.default_traces_sample_rate(), 0.1);
/// # Ok::<(), vigil::ConfigError>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Environment {
    /// Local development (`development` or `dev`). The default.
    #[default]
    Development,
    /// Pre-production (`staging` or `stage`).
    Staging,
    /// Production (`production` or `prod`).
    Production,
}

impl Environment {
    /// The name sent to Sentry: `development`, `staging` or `production`.
    ///
    /// ```
    /// # use vigil_runtime as vigil;
    /// assert_eq!(vigil::Environment::Staging.as_str(), "staging");
    /// ```
    pub const fn as_str(self) -> &'static str {
        match self {
            Environment::Development => "development",
            Environment::Staging => "staging",
            Environment::Production => "production",
        }
    }

    /// The traces sample rate used when `SENTRY_TRACES_SAMPLE_RATE` is not set.
    ///
    /// ```
    /// # use vigil_runtime as vigil;
    /// assert_eq!(vigil::Environment::Development.default_traces_sample_rate(), 1.0);
    /// ```
    pub const fn default_traces_sample_rate(self) -> f32 {
        match self {
            Environment::Development => 1.0,
            Environment::Staging => 0.5,
            Environment::Production => 0.1,
        }
    }
}

impl fmt::Display for Environment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Environment {
    type Err = ConfigError;

    fn from_str(s: &str) -> Result<Self, ConfigError> {
        match s.trim().to_ascii_lowercase().as_str() {
            "development" | "dev" => Ok(Environment::Development),
            "staging" | "stage" => Ok(Environment::Staging),
            "production" | "prod" => Ok(Environment::Production),
            _ => Err(ConfigError::new(
                "ENVIRONMENT",
                s,
                "expected one of `development` (or `dev`), `staging` (or `stage`), `production` (or `prod`)",
            )),
        }
    }
}

/// A configuration value that vigil refuses, with the setting's name and the value given.
///
/// Returned by [`Config::from_env`](crate::Config::from_env), [`init`](crate::init) and
/// [`init_with`](crate::init_with) instead of panicking.
///
/// ```
/// # use vigil_runtime as vigil;
/// let err = vigil::Config::from_lookup(|k| (k == "SENTRY_TRACES_SAMPLE_RATE").then(|| "1.5".into()))
///     .unwrap_err();
/// assert_eq!(err.key(), "SENTRY_TRACES_SAMPLE_RATE");
/// assert_eq!(err.value(), "1.5");
/// assert!(err.to_string().contains("between 0.0 and 1.0"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigError {
    key: Cow<'static, str>,
    value: String,
    reason: Cow<'static, str>,
}

impl ConfigError {
    pub(crate) fn new(
        key: impl Into<Cow<'static, str>>,
        value: &str,
        reason: impl Into<Cow<'static, str>>,
    ) -> Self {
        ConfigError {
            key: key.into(),
            // Never echo a whole DSN-sized blob back; 200 chars are plenty to recognise it.
            value: value.chars().take(200).collect(),
            reason: reason.into(),
        }
    }

    pub(super) fn with_key(mut self, key: &'static str) -> Self {
        self.key = Cow::Borrowed(key);
        self
    }

    /// The environment variable (or builder method) that holds the bad value.
    ///
    /// ```
    /// # use vigil_runtime as vigil;
    /// let err = vigil::Config::from_lookup(|k| (k == "ENVIRONMENT").then(|| "qa".into())).unwrap_err();
    /// assert_eq!(err.key(), "ENVIRONMENT");
    /// ```
    pub fn key(&self) -> &str {
        &self.key
    }

    /// The value that was refused (at most its first 200 characters).
    ///
    /// ```
    /// # use vigil_runtime as vigil;
    /// let err = vigil::Config::from_lookup(|k| (k == "ENVIRONMENT").then(|| "qa".into())).unwrap_err();
    /// assert_eq!(err.value(), "qa");
    /// ```
    pub fn value(&self) -> &str {
        &self.value
    }

    /// Why the value was refused.
    ///
    /// ```
    /// # use vigil_runtime as vigil;
    /// let err = vigil::Config::from_lookup(|k| (k == "SENTRY_ENABLE_TRACING").then(|| "maybe".into()))
    ///     .unwrap_err();
    /// assert!(err.reason().contains("true"));
    /// ```
    pub fn reason(&self) -> &str {
        &self.reason
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid {} `{}`: {}", self.key, self.value, self.reason)
    }
}

impl std::error::Error for ConfigError {}

/// Where the development spool writes envelopes (see [`Config::spool`](crate::Config::spool)).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Spool {
    /// One JSON line per envelope on standard error.
    Stderr,
    /// One JSON line per envelope, appended to this file.
    File(PathBuf),
}

impl Spool {
    pub(super) fn parse(value: &str) -> Result<Spool, ConfigError> {
        match value.trim() {
            "" => Err(ConfigError::new(
                "VIGIL_SPOOL",
                value,
                "expected `stderr` or a file path",
            )),
            "stderr" => Ok(Spool::Stderr),
            path => Ok(Spool::File(PathBuf::from(path))),
        }
    }
}

/// Parses a DSN; `Ok(None)` for an empty one (unset, or set to nothing, as many `.env` files
/// and container specs do to turn a service off): vigil is then disabled, as sentry-python and
/// the `sentry` crate do.
pub(super) fn parse_dsn(value: &str) -> Result<Option<Dsn>, ConfigError> {
    let fail = |reason: &'static str| ConfigError::new("dsn", &mask_dsn(value), reason);
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Ok(None);
    }
    if !trimmed.is_ascii() {
        return Err(fail(
            "a DSN is plain ASCII: `https://<key>@<host>/<project id>`",
        ));
    }
    let dsn: Dsn = trimmed
        .parse()
        .map_err(|_| fail("expected `https://<public key>@<host>/<numeric project id>`"))?;
    if dsn.public_key().is_empty() {
        return Err(fail("the DSN has no public key (`https://<key>@host/1`)"));
    }
    if dsn.host().is_empty() {
        return Err(fail("the DSN has no host"));
    }
    let project = dsn.project_id().value();
    if project.is_empty() || !project.bytes().all(|b| b.is_ascii_digit()) {
        return Err(fail("the DSN's project id must be a number"));
    }
    Ok(Some(dsn))
}

/// A DSN as an error message may show it: scheme, host and path, the first characters of
/// a long key, never a secret (legacy `public:secret@` DSNs). Errors at start-up end up in
/// logs.
pub(crate) fn mask_dsn(value: &str) -> String {
    let Some((before, after)) = value.rsplit_once('@') else {
        return value.to_owned();
    };
    let (scheme, userinfo) = before.split_once("://").unwrap_or(("", before));
    let (key, secret) = match userinfo.split_once(':') {
        Some((key, _)) => (key, ":[Filtered]"),
        None => (userinfo, ""),
    };
    let key: String = if key.chars().count() > 8 {
        key.chars().take(4).chain(['…']).collect()
    } else {
        "…".to_owned()
    };
    let scheme = if scheme.is_empty() {
        String::new()
    } else {
        format!("{scheme}://")
    };
    format!("{scheme}{key}{secret}@{after}")
}

pub(super) fn parse_bool(key: &'static str, value: &str) -> Result<bool, ConfigError> {
    match value.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" => Ok(false),
        _ => Err(ConfigError::new(
            key,
            value,
            "expected true/false (or 1/0, yes/no, on/off)",
        )),
    }
}

pub(crate) fn parse_rate(key: &'static str, value: &str) -> Result<f32, ConfigError> {
    let rate: f32 = value
        .trim()
        .parse()
        .map_err(|_| ConfigError::new(key, value, "expected a number between 0.0 and 1.0"))?;
    check_rate(key, value, rate)?;
    Ok(rate)
}

pub(super) fn check_rate(key: &'static str, value: &str, rate: f32) -> Result<(), ConfigError> {
    if rate.is_finite() && (0.0..=1.0).contains(&rate) {
        Ok(())
    } else {
        Err(ConfigError::new(
            key,
            value,
            "the sample rate must be between 0.0 and 1.0",
        ))
    }
}

pub(super) fn check_release(key: &'static str, value: &str) -> Result<(), ConfigError> {
    let trimmed = value.trim();
    // Sentry's release name rules: not empty, at most 200 chars, no newline or tab or `/`,
    // and not `.`, `..` or a single space.
    if trimmed.is_empty() || trimmed == "." || trimmed == ".." {
        return Err(ConfigError::new(
            key,
            value,
            "a release name cannot be empty, `.` or `..`",
        ));
    }
    if trimmed.chars().count() > 200 {
        return Err(ConfigError::new(
            key,
            value,
            "a release name is at most 200 characters",
        ));
    }
    if trimmed.contains(['\n', '\r', '\t', '/', '\\']) {
        return Err(ConfigError::new(
            key,
            value,
            "a release name cannot contain newlines, tabs or slashes",
        ));
    }
    Ok(())
}
