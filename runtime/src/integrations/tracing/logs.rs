//! `tracing` events as Sentry sees logs: at `ERROR` (configurable) an error event, at
//! `INFO` and `WARN` a breadcrumb, below that nothing — sentry-python's logging integration,
//! for `tracing`. An error logged at `ERROR` and then returned by a monitored function is one
//! event, not two.

use std::cell::RefCell;

use sentry::protocol::{Breadcrumb, Event, LogEntry, Map, Value};
use sentry::{Hub, Level};
use tracing_core::field::{Field, Visit};

use crate::capture::failure;

fn level_of(level: &tracing_core::Level) -> Level {
    match *level {
        tracing_core::Level::ERROR => Level::Error,
        tracing_core::Level::WARN => Level::Warning,
        tracing_core::Level::INFO => Level::Info,
        _ => Level::Debug,
    }
}

/// What becomes of an event at `level`.
pub(super) enum Becomes {
    Event,
    Breadcrumb,
    Nothing,
}

pub(super) fn becomes(level: &tracing_core::Level) -> Becomes {
    let (event, breadcrumb) = crate::state::log_levels();
    let level = level_of(level);
    if level >= event {
        Becomes::Event
    } else if level >= breadcrumb {
        Becomes::Breadcrumb
    } else {
        Becomes::Nothing
    }
}

/// The message and the other fields of an event.
#[derive(Default)]
struct Fields {
    message: Option<String>,
    fields: Map<String, Value>,
}

impl Visit for Fields {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.put(field, Value::from(value));
    }
    fn record_i64(&mut self, field: &Field, value: i64) {
        self.put(field, Value::from(value));
    }
    fn record_u64(&mut self, field: &Field, value: u64) {
        self.put(field, Value::from(value));
    }
    fn record_f64(&mut self, field: &Field, value: f64) {
        self.put(field, Value::from(value));
    }
    fn record_bool(&mut self, field: &Field, value: bool) {
        self.put(field, Value::from(value));
    }
    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        self.put(field, Value::from(value.to_string()));
    }
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            self.message = Some(format!("{value:?}"));
        } else {
            self.put(field, Value::from(format!("{value:?}")));
        }
    }
}

impl Fields {
    fn put(&mut self, field: &Field, value: Value) {
        if field.name() == "message" {
            self.message = value.as_str().map(str::to_owned);
        } else {
            self.fields.insert(field.name().to_owned(), value);
        }
    }

    /// Every text the event shows: its message and its fields' values.
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

/// Turns one `tracing` event into an error event or a breadcrumb.
pub(super) fn on_event(event: &tracing_core::Event<'_>) {
    let meta = event.metadata();
    let becomes = becomes(meta.level());
    if matches!(becomes, Becomes::Nothing) {
        return;
    }
    let mut fields = Fields::default();
    event.record(&mut fields);
    let level = level_of(meta.level());
    match becomes {
        Becomes::Event => {
            note_logged(&fields);
            let message = fields.message.clone().unwrap_or_default();
            let event = Event {
                level,
                logger: Some(meta.target().to_owned()),
                // The text as written: `tracing` hands over the formatted message, so it is
                // the template too (Sentry groups by it).
                logentry: Some(LogEntry {
                    message: message.clone(),
                    params: Vec::new(),
                }),
                message: Some(message),
                extra: fields.fields,
                ..Default::default()
            };
            Hub::current().capture_event(event);
        }
        Becomes::Breadcrumb => {
            let breadcrumb = Breadcrumb {
                ty: "log".into(),
                level,
                category: Some(meta.target().to_owned()),
                message: fields.message,
                data: fields.fields,
                ..Default::default()
            };
            Hub::current().add_breadcrumb(breadcrumb);
        }
        Becomes::Nothing => {}
    }
}

thread_local! {
    /// The texts of the error events logged on this thread lately, with the failure
    /// sequence number they were logged at (the last 16).
    static LOGGED: RefCell<Vec<(u64, Vec<String>)>> = const { RefCell::new(Vec::new()) };
}

fn note_logged(fields: &Fields) {
    let seq = failure::bump_seq();
    let texts: Vec<String> = fields.texts().filter(|t| !t.is_empty()).collect();
    let _ = LOGGED.try_with(|logged| {
        if let Ok(mut logged) = logged.try_borrow_mut() {
            if logged.len() >= 16 {
                logged.remove(0);
            }
            logged.push((seq, texts));
        }
    });
}

/// Was the error of `event` logged at `ERROR` on this thread since failure sequence `since`
/// (its message or a field shows the error's text)? Then that log event stands for it.
pub(super) fn logged_since(event: &Event<'static>, since: u64) -> bool {
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
