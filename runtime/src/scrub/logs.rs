//! Structured logs (`log` items): the body as a message, the attributes as span data are,
//! except those the SDK itself sets.

use sentry::protocol::{Log, LogAttribute, Value};

use super::{Scrubber, LOCATION_KEYS};

/// Attributes the `sentry` client and vigil set from the config and the trace: left as they
/// are, like an event's release and environment.
const SDK_KEYS: &[&str] = &[
    "sentry.environment",
    "sentry.release",
    "sentry.sdk.name",
    "sentry.sdk.version",
    "sentry.origin",
    "sentry.trace.parent_span_id",
    "os.name",
    "os.version",
];

impl Scrubber {
    /// Scrubs a structured log in place.
    pub(crate) fn log(&self, log: &mut Log) {
        self.message(&mut log.body);
        for (key, LogAttribute(value)) in log.attributes.iter_mut() {
            if SDK_KEYS.contains(&key.as_str()) || self.keyed(key, value) {
                continue;
            }
            match value {
                Value::String(text) if LOCATION_KEYS.contains(&key.as_str()) => self.text(text),
                _ => self.value(value, 1),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn log(body: &str, attributes: &[(&str, Value)]) -> Log {
        Log {
            level: sentry::protocol::LogLevel::Info,
            body: body.to_owned(),
            trace_id: None,
            timestamp: std::time::SystemTime::now(),
            severity_number: None,
            attributes: attributes
                .iter()
                .map(|(k, v)| ((*k).to_owned(), LogAttribute(v.clone())))
                .collect(),
        }
    }

    #[test]
    fn bodies_and_attributes_are_scrubbed() {
        let mut l = log(
            "login with Bearer abc.def.ghi",
            &[
                ("password", Value::from("hunter2")),
                ("order", Value::from(7)),
                ("url", Value::from("https://u:p4ss@example.com/x")),
                ("nested", serde_json::json!({"api_key": "k"})),
                ("code.file.path", Value::from("src/auth/token.rs")),
                ("sentry.release", Value::from("api@1.0.0")),
            ],
        );
        Scrubber::default().log(&mut l);
        assert_eq!(l.body, "login with [Filtered]");
        let attr = |k: &str| l.attributes[k].0.clone();
        assert_eq!(attr("password"), "[Filtered]");
        assert_eq!(attr("order"), 7);
        assert!(!attr("url").to_string().contains("p4ss"), "{}", attr("url"));
        assert_eq!(attr("nested")["api_key"], "[Filtered]");
        assert_eq!(attr("code.file.path"), "src/auth/token.rs");
        assert_eq!(attr("sentry.release"), "api@1.0.0");
    }
}
