//! `tracing` events as log records (see `capture::logs`): the level, the target as logger,
//! the `message` field and the others.

use sentry::protocol::{Map, Value};
use sentry::Level;
use tracing_core::field::{Field, Visit};

use crate::capture::logs::{self, Becomes, Record};

fn level_of(level: &tracing_core::Level) -> Level {
    match *level {
        tracing_core::Level::ERROR => Level::Error,
        tracing_core::Level::WARN => Level::Warning,
        tracing_core::Level::INFO => Level::Info,
        _ => Level::Debug,
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
        self.put(field, Value::from(format!("{value:?}")));
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
}

/// Hands one `tracing` event over as a log record (nothing is read below the levels).
pub(super) fn on_event(event: &tracing_core::Event<'_>) {
    let meta = event.metadata();
    let level = level_of(meta.level());
    if matches!(logs::becomes(level), Becomes::Nothing) {
        return;
    }
    let mut fields = Fields::default();
    event.record(&mut fields);
    logs::record(Record {
        level,
        origin: "auto.tracing",
        logger: meta.target().to_owned(),
        message: fields.message,
        fields: fields.fields,
    });
}
