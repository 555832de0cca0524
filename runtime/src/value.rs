//! One way to turn a user's value into JSON, for span data, events and breadcrumbs alike.

use sentry::protocol::Value;

/// A value as JSON; one that cannot be serialized is described instead (never a panic).
pub(crate) fn to_value<T: serde::Serialize + ?Sized>(value: &T) -> Value {
    serde_json::to_value(value).unwrap_or_else(|e| Value::String(format!("<unserializable: {e}>")))
}
