//! Log records (a `tracing` event, a `log` record) as Sentry sees logs: at the event level
//! (`ERROR` by default) an error event, at the breadcrumb level (`INFO`) and above a
//! breadcrumb, below nothing — sentry-python's logging integration. An error logged at the
//! event level and then returned by a monitored function is one event, not two (see
//! [`logged_since`]). The logging integrations (`tracing`, `log`) read their records and
//! hand them here.
//!
//! With `Config::enable_logs(true)`, every record at or above the breadcrumb level is also
//! sent as one of Sentry's structured logs (the `sentry` client batches them).

use std::cell::RefCell;
use std::time::SystemTime;

use sentry::protocol::{Breadcrumb, Event, Log, LogAttribute, LogEntry, LogLevel, Map, Value};
use sentry::{Hub, Level};

use super::failure;

/// What becomes of a record at `level`.
pub(crate) enum Becomes {
    Event,
    Breadcrumb,
    Nothing,
}

/// What becomes of a record at `level`, with the configured levels.
pub(crate) fn becomes(level: Level) -> Becomes {
    let (event, breadcrumb) = crate::state::log_levels();
    if level >= event {
        Becomes::Event
    } else if level >= breadcrumb {
        Becomes::Breadcrumb
    } else {
        Becomes::Nothing
    }
}

/// One log record: its level, logger (target), message and other fields.
pub(crate) struct Record {
    pub(crate) level: Level,
    /// The integration it came through, as Sentry's `sentry.origin` (`auto.tracing`).
    pub(crate) origin: &'static str,
    pub(crate) logger: String,
    pub(crate) message: Option<String>,
    pub(crate) fields: Map<String, Value>,
}

impl Record {
    /// Every text the record shows: its message and its fields' values.
    fn texts(&self) -> impl Iterator<Item = String> + '_ {
        self.message
            .iter()
            .cloned()
            .chain(self.fields.values().map(|v| match v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            }))
    }
}

/// Are structured logs on for the client of `hub`? `init` gives the client its
/// `before_send_log` (which links a log to vigil's current span) exactly when they are.
fn logs_on(hub: &Hub) -> bool {
    hub.client()
        .is_some_and(|client| client.options().before_send_log.is_some())
}

/// The structured log of a record: level, message as body, fields as attributes, and the
/// logger. The trace is added on the way out (`init`'s `before_send_log`).
fn log_of(record: &Record) -> Log {
    let mut attributes: Map<String, LogAttribute> = record
        .fields
        .iter()
        .map(|(key, value)| (key.clone(), LogAttribute(value.clone())))
        .collect();
    attributes.insert("logger.name".into(), record.logger.clone().into());
    attributes.insert("sentry.origin".into(), record.origin.into());
    Log {
        level: match record.level {
            Level::Debug => LogLevel::Debug,
            Level::Info => LogLevel::Info,
            Level::Warning => LogLevel::Warn,
            Level::Error => LogLevel::Error,
            Level::Fatal => LogLevel::Fatal,
        },
        body: record.message.clone().unwrap_or_default(),
        trace_id: None,
        timestamp: SystemTime::now(),
        severity_number: None,
        attributes,
    }
}

/// Turns a record into an error event or a breadcrumb, as [`becomes`] says, and into a
/// structured log when they are on.
pub(crate) fn record(record: Record) {
    let becomes = becomes(record.level);
    if matches!(becomes, Becomes::Nothing) {
        return;
    }
    let hub = Hub::current();
    if logs_on(&hub) {
        hub.capture_log(log_of(&record));
    }
    match becomes {
        Becomes::Event => {
            note_logged(&record);
            let message = record.message.unwrap_or_default();
            let event = Event {
                level: record.level,
                logger: Some(record.logger),
                // The text as written: loggers hand over the formatted message, so it is
                // the template too (Sentry groups by it).
                logentry: Some(LogEntry {
                    message: message.clone(),
                    params: Vec::new(),
                }),
                message: Some(message),
                extra: record.fields,
                ..Default::default()
            };
            hub.capture_event(event);
        }
        Becomes::Breadcrumb => {
            let breadcrumb = Breadcrumb {
                ty: "log".into(),
                level: record.level,
                category: Some(record.logger),
                message: record.message,
                data: record.fields,
                ..Default::default()
            };
            hub.add_breadcrumb(breadcrumb);
        }
        Becomes::Nothing => {}
    }
}

thread_local! {
    /// The texts of the error events logged on this thread lately, with the failure
    /// sequence number they were logged at (the last 16).
    static LOGGED: RefCell<Vec<(u64, Vec<String>)>> = const { RefCell::new(Vec::new()) };
}

fn note_logged(record: &Record) {
    let seq = failure::bump_seq();
    let texts: Vec<String> = record.texts().filter(|t| !t.is_empty()).collect();
    let _ = LOGGED.try_with(|logged| {
        if let Ok(mut logged) = logged.try_borrow_mut() {
            if logged.len() >= 16 {
                logged.remove(0);
            }
            logged.push((seq, texts));
        }
    });
}

/// Was the error of `event` logged at the event level on this thread since failure sequence
/// `since` (its message or a field shows the error's text)? Then that log event stands for
/// it.
pub(crate) fn logged_since(event: &Event<'static>, since: u64) -> bool {
    let Some(value) = event
        .exception
        .values
        .last()
        .and_then(|e| e.value.as_deref())
        .filter(|v| !v.is_empty())
    else {
        return false;
    };
    LOGGED
        .try_with(|logged| {
            logged.try_borrow().is_ok_and(|logged| {
                logged
                    .iter()
                    .filter(|(seq, _)| *seq > since)
                    .any(|(_, texts)| texts.iter().any(|t| t.contains(value)))
            })
        })
        .unwrap_or(false)
}
