//! Feature flags: the evaluations a request (or any scope) saw, on its events as Sentry's
//! `flags` context and on the span they were made in as `flag.evaluation.<name>` data, as
//! sentry-python's `add_feature_flag` does.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex, PoisonError, Weak};

use sentry::protocol::{Context, Map, Value};
use sentry::Hub;

use crate::{span, state};

/// Evaluations kept per scope; the oldest go first.
const MAX_FLAGS: usize = 100;

/// One scope's evaluations, oldest first, each flag once (its last result).
#[derive(Default)]
struct Flags(Vec<(String, bool)>);

impl Flags {
    fn set(&mut self, name: &str, result: bool) {
        self.0.retain(|(n, _)| n != name);
        if self.0.len() >= MAX_FLAGS {
            self.0.remove(0);
        }
        self.0.push((name.to_owned(), result));
    }
}

/// The evaluations of each hub (a request's, a task's, the main one), by the hub's address;
/// a hub's entry lives as long as its scope does (the scope's event processor holds it).
static BY_HUB: LazyLock<Mutex<HashMap<usize, Weak<Mutex<Flags>>>>> =
    LazyLock::new(|| Mutex::new(HashMap::new()));

/// The flags of the current hub, created (with the scope's event processor) on first use.
fn current_flags() -> Arc<Mutex<Flags>> {
    let hub = Hub::current();
    let key = Arc::as_ptr(&hub) as usize;
    let mut by_hub = BY_HUB.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(flags) = by_hub.get(&key).and_then(Weak::upgrade) {
        return flags;
    }
    by_hub.retain(|_, weak| weak.strong_count() > 0);
    let flags = Arc::new(Mutex::new(Flags::default()));
    by_hub.insert(key, Arc::downgrade(&flags));
    drop(by_hub);
    let held = Arc::clone(&flags);
    hub.configure_scope(move |scope| {
        scope.add_event_processor(move |mut event| {
            let flags = held.lock().unwrap_or_else(PoisonError::into_inner);
            // A scope forked from another (a request's, from the main one) runs the
            // parent's processor first: its flags are kept, this scope's win.
            let mut values: Vec<Value> = match event.contexts.remove("flags") {
                Some(Context::Other(mut map)) => match map.remove("values") {
                    Some(Value::Array(values)) => values,
                    _ => Vec::new(),
                },
                _ => Vec::new(),
            };
            values.retain(|v| {
                let name = v.get("flag").and_then(Value::as_str);
                !flags.0.iter().any(|(n, _)| Some(n.as_str()) == name)
            });
            values.extend(
                flags
                    .0
                    .iter()
                    .map(|(name, result)| serde_json::json!({ "flag": name, "result": result })),
            );
            let start = values.len().saturating_sub(MAX_FLAGS);
            let mut context = Map::new();
            context.insert("values".into(), Value::Array(values.split_off(start)));
            event
                .contexts
                .insert("flags".into(), Context::Other(context));
            Some(event)
        });
    });
    flags
}

/// Records the evaluation of feature flag `name`: events captured afterwards in the current
/// scope (the request, under the HTTP layer) carry it in their `flags` context (the last
/// 100 evaluations, in order), and the current span (a monitored function's, else the
/// transaction) gets `flag.evaluation.<name>` data (the first 10 flags of a span).
///
/// ```
/// # use vigil_runtime as vigil;
/// let captured = vigil::testing::capture(|| {
///     let tx = vigil::start_transaction("checkout", "task");
///     vigil::set_feature_flag("new_checkout", true);
///     vigil::__private::EventBuilder::message("checkout failed", vigil::Level::Error).capture();
///     drop(tx);
/// });
/// let flags = &captured.single_event().contexts["flags"];
/// let json = serde_json::to_value(flags).unwrap();
/// assert_eq!(json["values"][0]["flag"], "new_checkout");
/// assert_eq!(json["values"][0]["result"], true);
/// ```
pub fn set_feature_flag(name: &str, result: bool) {
    if !state::enabled() {
        return;
    }
    current_flags()
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .set(name, result);
    span::with_current(|current| match current {
        Some(current) if current.tx.sampled => current.tx.set_flag_data(
            current.span_id,
            format!("flag.evaluation.{name}"),
            Value::from(result),
        ),
        _ => {}
    });
}

/// What `vigil::flag!` expands to: records the evaluation (see [`set_feature_flag`]) and
/// gives the result back.
///
/// ```
/// # use vigil_runtime as vigil;
/// assert!(vigil::__private::flag("new_checkout", true));
/// ```
#[doc(hidden)]
#[inline]
pub fn flag(name: &'static str, result: bool) -> bool {
    set_feature_flag(name, result);
    result
}
