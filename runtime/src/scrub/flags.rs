//! Sentry's `flags` context (`{"values": [{"flag": "new_checkout", "result": true}]}`): a flag
//! name names a code path, not user data. It is scrubbed as free text (a secret written into
//! it, such as a token, still goes), not as a data value, which is filtered whole when it
//! merely mentions a credential: `new_auth_flow` and `password_reset_v2` stay as they are.
//! The results are booleans, which no rule filters. The evaluations on spans
//! (`flag.evaluation.<name>`) need nothing of their own: a sensitive-looking key never
//! filters a boolean.

use sentry::protocol::{Map, Value};

use super::Scrubber;

impl Scrubber {
    /// Scrubs the `flags` context in place.
    pub(crate) fn flags(&self, context: &mut Map<String, Value>) {
        for (key, value) in context.iter_mut() {
            match (key.as_str(), value) {
                ("values", Value::Array(values)) => {
                    for value in values {
                        match value {
                            Value::Object(evaluation) => self.evaluation(evaluation),
                            other => self.value(other, 2),
                        }
                    }
                }
                (key, value) => {
                    if !self.keyed(key, value) {
                        self.value(value, 1);
                    }
                }
            }
        }
    }

    fn evaluation(&self, evaluation: &mut serde_json::Map<String, Value>) {
        for (key, value) in evaluation.iter_mut() {
            match value {
                Value::String(name) if key == "flag" => self.text(name),
                value => {
                    if !self.keyed(key, value) {
                        self.value(value, 3);
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn scrubbed(context: Value) -> Value {
        let mut map: Map<String, Value> = serde_json::from_value(context).unwrap();
        Scrubber::default().flags(&mut map);
        serde_json::to_value(map).unwrap()
    }

    #[test]
    fn flag_names_are_names_not_secrets() {
        let out = scrubbed(json!({"values": [
            {"flag": "new_auth_flow", "result": true},
            {"flag": "password_reset_v2", "result": false},
            {"flag": "api_key_rotation", "result": true},
            {"flag": "beta Bearer abc.def.ghi", "result": true},
        ]}));
        let names: Vec<&str> = out["values"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v["flag"].as_str().unwrap())
            .collect();
        assert_eq!(
            names,
            [
                "new_auth_flow",
                "password_reset_v2",
                "api_key_rotation",
                "beta [Filtered]"
            ]
        );
        assert_eq!(out["values"][1]["result"], false);
    }

    #[test]
    fn the_same_names_as_plain_data_would_go() {
        // What the context would become without its own rule: Relay-style whole-value
        // filtering of anything mentioning a credential.
        let mut value = json!({"flag": "new_auth_flow"});
        Scrubber::default().value(&mut value, 1);
        assert_eq!(value["flag"], "[Filtered]");
    }
}
