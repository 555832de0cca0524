//! The `log` crate's records as Sentry sees logs (feature `log`): at `Error` an error event,
//! at `Info` and `Warn` a breadcrumb (levels from
//! [`Config::log_event_level`](crate::Config::log_event_level) and
//! [`Config::log_breadcrumb_level`](crate::Config::log_breadcrumb_level)), the same as
//! [`tracing_layer`](crate::tracing_layer) does for `tracing`. Applications and libraries that
//! log through `log` are covered.
//!
//! ```
//! # use vigil_runtime as vigil;
//! // In `main`, once: vigil's logger, passing every record on to the application's own.
//! let logger = vigil::log::logger().with(env_logger_stand_in());
//! let _ = log::set_boxed_logger(Box::new(logger));
//! log::set_max_level(log::LevelFilter::Info);
//! # fn env_logger_stand_in() -> impl log::Log { vigil::log::NoLogger }
//! ```

use sentry::protocol::{Map, Value};
use sentry::Level;

use crate::capture::logs::{self, Becomes, Record};

/// vigil's `log::Log`: see the [module](self).
///
/// ```
/// # use vigil_runtime as vigil;
/// let logger = vigil::log::logger();
/// # let _ = logger;
/// ```
pub fn logger() -> VigilLogger<NoLogger> {
    VigilLogger { inner: NoLogger }
}

/// A `log::Log` that hands records to vigil, then to the logger it wraps.
#[derive(Debug, Default)]
pub struct VigilLogger<L> {
    inner: L,
}

/// The logger behind vigil's when the application has none of its own: it takes nothing.
///
/// ```
/// # use vigil_runtime as vigil;
/// use log::Log as _;
/// assert!(!vigil::log::NoLogger.enabled(&log::Metadata::builder().build()));
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct NoLogger;

impl log::Log for NoLogger {
    fn enabled(&self, _: &log::Metadata<'_>) -> bool {
        false
    }
    fn log(&self, _: &log::Record<'_>) {}
    fn flush(&self) {}
}

impl<L> VigilLogger<L> {
    /// Passes every record on to `inner` too (the application's own logger, such as
    /// `env_logger`'s), whatever vigil made of it.
    ///
    /// ```
    /// # use vigil_runtime as vigil;
    /// let logger = vigil::log::logger().with(vigil::log::NoLogger);
    /// # let _ = logger;
    /// ```
    pub fn with<M: log::Log>(self, inner: M) -> VigilLogger<M> {
        VigilLogger { inner }
    }
}

fn level_of(level: log::Level) -> Level {
    match level {
        log::Level::Error => Level::Error,
        log::Level::Warn => Level::Warning,
        log::Level::Info => Level::Info,
        log::Level::Debug | log::Level::Trace => Level::Debug,
    }
}

impl<L: log::Log> log::Log for VigilLogger<L> {
    fn enabled(&self, metadata: &log::Metadata<'_>) -> bool {
        let vigil = crate::state::enabled()
            && !matches!(logs::becomes(level_of(metadata.level())), Becomes::Nothing);
        vigil || self.inner.enabled(metadata)
    }

    fn log(&self, record: &log::Record<'_>) {
        let level = level_of(record.level());
        if crate::state::enabled() && !matches!(logs::becomes(level), Becomes::Nothing) {
            let mut fields = Map::new();
            if let (Some(file), Some(line)) = (record.file(), record.line()) {
                fields.insert("code.file.path".into(), Value::from(file));
                fields.insert("code.line.number".into(), Value::from(line));
            }
            logs::record(Record {
                level,
                origin: "auto.log",
                logger: record.target().to_owned(),
                message: Some(record.args().to_string()),
                fields,
            });
        }
        if self.inner.enabled(record.metadata()) {
            self.inner.log(record);
        }
    }

    fn flush(&self) {
        self.inner.flush();
    }
}
