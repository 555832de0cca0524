//! Where the scrubber replaced something: the paths of every `[Filtered]` in an item, so the
//! view can show the scrubbing at work.

use serde_json::Value;

use super::text::FILTERED;

/// The paths (`extra.api_key`, `spans[load_user].data.password`) of the values of `item`
/// that hold `[Filtered]`, in document order.
pub(super) fn paths(item: &impl serde::Serialize) -> Vec<String> {
    let Ok(value) = serde_json::to_value(item) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    // An explicit stack: scrubbed values can nest deep, the view must not overflow.
    let mut stack = vec![(String::new(), &value)];
    while let Some((path, value)) = stack.pop() {
        match value {
            Value::String(s) if s.contains(FILTERED) => out.push(path),
            Value::Object(map) => {
                for (key, child) in map.iter().rev() {
                    // `breadcrumbs.values[0]` reads better as `breadcrumbs[0]`.
                    let child_path = match (path.as_str(), key.as_str()) {
                        ("", key) => key.to_owned(),
                        (_, "values") if child.is_array() => path.clone(),
                        (path, key) => format!("{path}.{key}"),
                    };
                    stack.push((child_path, child));
                }
            }
            Value::Array(items) => {
                let named = path == "spans";
                for (i, child) in items.iter().enumerate().rev() {
                    let label = match child.get("description").and_then(Value::as_str) {
                        Some(description) if named => description.to_owned(),
                        _ => i.to_string(),
                    };
                    stack.push((format!("{path}[{label}]"), child));
                }
            }
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn paths_in_document_order_with_readable_names() {
        let item = json!({
            "breadcrumbs": {"values": [{"message": "ok"}, {"data": {"token": "[Filtered]"}}]},
            "extra": {"api_key": "[Filtered]", "n": 1},
            "message": "login for Bearer [Filtered]",
            "spans": [{"description": "load_user", "data": {"password": "[Filtered]"}}],
        });
        assert_eq!(
            paths(&item),
            [
                "breadcrumbs[1].data.token",
                "extra.api_key",
                "message",
                "spans[load_user].data.password"
            ]
        );
        assert!(paths(&json!({"a": "fine"})).is_empty());
    }

    #[test]
    fn nested_values_are_found() {
        // What the transport sends is cut at depth 64; a little deeper still works.
        let mut value = json!("[Filtered]");
        for _ in 0..100 {
            value = json!({ "a": value });
        }
        let found = paths(&value);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].matches('a').count(), 100);
    }
}
