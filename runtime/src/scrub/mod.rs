//! The runtime scrubber: the second line of defence, run on every outgoing event and
//! transaction before it reaches the transport.
//!
//! It walks the typed protocol (no serialization round trip): every place where user data can
//! stand (tags, extra, contexts, user, request, breadcrumbs, exceptions, stack frame variables,
//! log entries, spans) and replaces
//! - values under sensitive keys (Sentry's data-collection key list, sentry-python's
//!   denylist, the user's own keys), headers and cookies included;
//! - sensitive values wherever they stand, free text included: `Bearer`/`Basic`
//!   credentials, JWTs, Luhn-valid card numbers, private-key blocks, passwords in URLs, and
//!   `key=value` / `key: value` / `"key": "value"` pairs with a sensitive key.
//!
//! It never panics, keeps the event valid, is idempotent, and walks JSON values iteratively
//! (deeper than [`MAX_DEPTH`] is replaced whole), so no input can overflow the stack.

mod limits;
pub(crate) mod rules;
mod text;

use std::sync::Arc;

use sentry::protocol::{
    Breadcrumb, Context, Event, Exception, LogEntry, Map, Request, Span, Stacktrace, Thread,
    Transaction, User, Value,
};

/// What replaces a secret.
pub const FILTERED: &str = "[Filtered]";

#[cfg(test)]
use limits::CUT;
use limits::{limit_name, sanitize_tags, truncate, MAX_DEPTH, MAX_ITEMS, MAX_STRING};
use rules::is_sensitive_normalized;
pub(crate) use rules::normalize;
use text::{mentions_credentials, scrub_pii, scrub_text};

/// Key fragments that name personal data, filtered unless `send_default_pii` is on
/// (sentry-python's PII denylist).
const PII_KEY_PARTS: &[&str] = &[
    "forwardedfor",
    "realip",
    "remoteaddr",
    "ipaddress",
    "clientip",
];

/// Is `key` sensitive by name? Case-insensitive substring match, `-`, `_`, `.` and spaces
/// ignored.
///
/// ```
/// # use vigil_runtime as vigil;
/// assert!(vigil::is_sensitive_key("X-Api-Key"));
/// assert!(vigil::is_sensitive_key("user_password"));
/// assert!(vigil::is_sensitive_key("connect.sid"));
/// assert!(!vigil::is_sensitive_key("user_id"));
/// ```
pub fn is_sensitive_key(key: &str) -> bool {
    rules::is_sensitive_name(key)
}

/// A user hook run on every outgoing item after scrubbing; `None` drops the item.
pub(crate) type Hook<T> = Arc<dyn Fn(T) -> Option<T> + Send + Sync>;

/// The scrubber, with the user's additions.
#[derive(Clone, Default)]
pub(crate) struct Scrubber {
    pub(crate) extra_keys: Vec<String>,
    pub(crate) allow_keys: Vec<String>,
    pub(crate) patterns: Vec<regex::Regex>,
    pub(crate) send_default_pii: bool,
    pub(crate) before_send: Option<Hook<Event<'static>>>,
    pub(crate) before_send_transaction: Option<Hook<Transaction<'static>>>,
}

impl Scrubber {
    fn key_is_sensitive(&self, key: &str) -> bool {
        let normalized = normalize(key);
        if self.allow_keys.iter().any(|k| normalized.eq(k.as_str())) {
            return false;
        }
        is_sensitive_normalized(&normalized)
            || self
                .extra_keys
                .iter()
                .any(|k| normalized.contains(k.as_str()))
            || (!self.send_default_pii && PII_KEY_PARTS.iter().any(|p| normalized.contains(p)))
    }

    /// Scrubs a data value (tags, extra, contexts, request and breadcrumb fields): a value
    /// that even mentions a password, secret or credential is filtered whole, as Sentry's
    /// server does; then as [`Scrubber::text`].
    pub(crate) fn data_text(&self, text: &mut String) {
        truncate(text, MAX_STRING);
        if mentions_credentials(text) {
            *text = FILTERED.to_owned();
            return;
        }
        self.text(text);
    }

    /// Scrubs free text (messages, exception values, descriptions) in place: the secrets and,
    /// unless `send_default_pii` is on, the personal data within it.
    pub(crate) fn text(&self, text: &mut String) {
        truncate(text, MAX_STRING);
        let mut changed = scrub_text(text);
        if !self.send_default_pii {
            let source = changed.as_deref().unwrap_or(text);
            if let Some(out) = scrub_pii(source) {
                changed = Some(out);
            }
        }
        for pattern in &self.patterns {
            let source = changed.as_deref().unwrap_or(text);
            if pattern.is_match(source) {
                let replaced = pattern.replace_all(source, FILTERED).into_owned();
                changed = Some(replaced);
            }
        }
        if let Some(clean) = changed {
            *text = clean;
        }
    }

    fn opt_text(&self, text: &mut Option<String>) {
        if let Some(text) = text {
            self.text(text);
        }
    }

    /// Tags: Sentry's key and value rules, then secrets.
    fn tags(&self, tags: &mut Map<String, String>) {
        sanitize_tags(tags);
        self.string_map(tags);
    }

    /// Transaction names: secrets, then Sentry's length limit.
    fn name(&self, name: &mut Option<String>) {
        self.opt_text(name);
        limit_name(name);
    }

    fn opt_data_text(&self, text: &mut Option<String>) {
        if let Some(text) = text {
            self.data_text(text);
        }
    }

    fn string_map(&self, map: &mut Map<String, String>) {
        for (key, value) in map.iter_mut() {
            if self.key_is_sensitive(key) {
                if !value.is_empty() {
                    *value = FILTERED.to_owned();
                }
            } else {
                self.data_text(value);
            }
        }
    }

    fn value_map(&self, map: &mut Map<String, Value>) {
        for (key, value) in map.iter_mut() {
            if self.key_is_sensitive(key) {
                filter_value(value);
            } else {
                self.value(value, 1);
            }
        }
    }

    /// Scrubs a JSON value in place: iteratively, so no depth overflows the stack.
    pub(crate) fn value(&self, root: &mut Value, start_depth: usize) {
        let mut stack: Vec<(&mut Value, usize)> = vec![(root, start_depth)];
        while let Some((value, depth)) = stack.pop() {
            if depth > MAX_DEPTH {
                filter_value(value);
                continue;
            }
            match value {
                Value::String(s) => self.data_text(s),
                Value::Array(items) => {
                    // `[["Authorization", "..."], ...]`: header and cookie pair lists.
                    if let [Value::String(k), second] = items.as_mut_slice() {
                        if self.key_is_sensitive(k) && !second.is_null() {
                            filter_value(second);
                            continue;
                        }
                    }
                    if items.len() > MAX_ITEMS {
                        for dropped in items.drain(MAX_ITEMS..) {
                            drop_iteratively(dropped);
                        }
                    }
                    stack.extend(items.iter_mut().map(|v| (v, depth + 1)));
                }
                Value::Object(map) => {
                    for (key, value) in map.iter_mut() {
                        if self.key_is_sensitive(key) {
                            filter_value(value);
                        } else {
                            stack.push((value, depth + 1));
                        }
                    }
                }
                Value::Null | Value::Bool(_) | Value::Number(_) => {}
            }
        }
    }

    fn user(&self, user: &mut User) {
        if !self.send_default_pii {
            user.ip_address = None;
        }
        self.opt_data_text(&mut user.username);
        self.value_map(&mut user.other);
    }

    fn request(&self, request: &mut Request) {
        // URLs and query strings are lists of pairs: each secret pair goes, the rest stays.
        if let Some(url) = &request.url {
            let mut text = url.to_string();
            self.text(&mut text);
            if text != url.as_str() {
                request.url = text.parse().ok();
            }
        }
        self.opt_text(&mut request.query_string);
        if let Some(data) = &mut request.data {
            // A JSON body: scrub it as structured data, keys included.
            match serde_json::from_str::<Value>(data) {
                Ok(mut json) if json.is_object() || json.is_array() => {
                    self.value(&mut json, 1);
                    *data = json.to_string();
                    drop_iteratively(json);
                }
                _ => self.data_text(data),
            }
        }
        if request.cookies.as_ref().is_some_and(|c| !c.is_empty()) {
            request.cookies = Some(FILTERED.to_owned());
        }
        self.string_map(&mut request.headers);
        self.string_map(&mut request.env);
        if !self.send_default_pii {
            request.env.remove("REMOTE_ADDR");
        }
    }

    fn breadcrumb(&self, crumb: &mut Breadcrumb) {
        self.opt_data_text(&mut crumb.message);
        self.value_map(&mut crumb.data);
    }

    fn stacktrace(&self, trace: &mut Stacktrace) {
        for frame in &mut trace.frames {
            self.value_map(&mut frame.vars);
        }
    }

    fn exception(&self, exception: &mut Exception) {
        self.opt_text(&mut exception.value);
        if let Some(trace) = &mut exception.stacktrace {
            self.stacktrace(trace);
        }
        if let Some(trace) = &mut exception.raw_stacktrace {
            self.stacktrace(trace);
        }
        if let Some(mechanism) = &mut exception.mechanism {
            self.opt_text(&mut mechanism.description);
            self.value_map(&mut mechanism.data);
        }
    }

    fn thread(&self, thread: &mut Thread) {
        if let Some(trace) = &mut thread.stacktrace {
            self.stacktrace(trace);
        }
    }

    fn logentry(&self, entry: &mut LogEntry) {
        self.text(&mut entry.message);
        for param in &mut entry.params {
            self.value(param, 1);
        }
    }

    fn contexts(&self, contexts: &mut Map<String, Context>) {
        for (name, context) in contexts.iter_mut() {
            if self.key_is_sensitive(name) {
                *context = Context::Other(Map::from([("value".to_owned(), Value::from(FILTERED))]));
                continue;
            }
            match context {
                Context::Other(map) => self.value_map(map),
                Context::Trace(t) => {
                    self.opt_text(&mut t.description);
                    self.value_map(&mut t.data);
                }
                Context::Response(r) => {
                    if r.cookies.as_ref().is_some_and(|c| !c.is_empty()) {
                        r.cookies = Some(FILTERED.to_owned());
                    }
                    self.string_map(&mut r.headers);
                    if let Some(data) = &mut r.data {
                        self.value(data, 1);
                    }
                }
                Context::Otel(o) => {
                    self.value_map(&mut o.attributes);
                    self.value_map(&mut o.resource);
                    self.value_map(&mut o.other);
                }
                Context::Device(d) => self.value_map(&mut d.other),
                Context::Os(o) => self.value_map(&mut o.other),
                Context::Runtime(r) => self.value_map(&mut r.other),
                Context::App(a) => self.value_map(&mut a.other),
                Context::Browser(b) => self.value_map(&mut b.other),
                Context::Gpu(g) => self.value_map(&mut g.other),
                _ => {}
            }
        }
    }

    fn span(&self, span: &mut Span) {
        self.opt_text(&mut span.description);
        self.value_map(&mut span.data);
        self.tags(&mut span.tags);
    }

    /// Scrubs an error or message event in place.
    pub(crate) fn event(&self, event: &mut Event<'static>) {
        self.opt_text(&mut event.message);
        if let Some(entry) = &mut event.logentry {
            self.logentry(entry);
        }
        self.opt_text(&mut event.culprit);
        self.name(&mut event.transaction);
        self.tags(&mut event.tags);
        self.value_map(&mut event.extra);
        self.contexts(&mut event.contexts);
        if let Some(user) = &mut event.user {
            self.user(user);
        }
        if let Some(request) = &mut event.request {
            self.request(request);
        }
        for crumb in &mut event.breadcrumbs.values {
            self.breadcrumb(crumb);
        }
        for exception in &mut event.exception.values {
            self.exception(exception);
        }
        for thread in &mut event.threads.values {
            self.thread(thread);
        }
        if let Some(trace) = &mut event.stacktrace {
            self.stacktrace(trace);
        }
    }

    /// Scrubs a transaction and its spans in place.
    pub(crate) fn transaction(&self, tx: &mut Transaction<'static>) {
        self.name(&mut tx.name);
        self.tags(&mut tx.tags);
        self.value_map(&mut tx.extra);
        self.contexts(&mut tx.contexts);
        if let Some(user) = &mut tx.user {
            self.user(user);
        }
        if let Some(request) = &mut tx.request {
            self.request(request);
        }
        for span in &mut tx.spans {
            self.span(span);
        }
    }

    /// Scrubs, then runs the user's hook (a panicking hook drops the item: nothing unscrubbed
    /// or half-processed is sent).
    pub(crate) fn process_event(&self, mut event: Event<'static>) -> Option<Event<'static>> {
        self.event(&mut event);
        match &self.before_send {
            Some(hook) => run_hook(hook, event),
            None => Some(event),
        }
    }

    /// Scrubs, then runs the user's transaction hook.
    pub(crate) fn process_transaction(
        &self,
        mut tx: Transaction<'static>,
    ) -> Option<Transaction<'static>> {
        self.transaction(&mut tx);
        match &self.before_send_transaction {
            Some(hook) => run_hook(hook, tx),
            None => Some(tx),
        }
    }
}

fn run_hook<T>(hook: &Hook<T>, item: T) -> Option<T> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| hook(item))).unwrap_or(None)
}

/// Replaces a value with `[Filtered]` (nulls stay null: there is nothing to hide), dropping
/// the old value iteratively so a deep one cannot overflow the stack.
fn filter_value(value: &mut Value) {
    if value.is_null() || value.as_str() == Some(FILTERED) {
        return;
    }
    let old = std::mem::replace(value, Value::String(FILTERED.to_owned()));
    drop_iteratively(old);
}

/// Drops a JSON value without recursion.
pub(crate) fn drop_iteratively(value: Value) {
    let mut stack = vec![value];
    while let Some(value) = stack.pop() {
        match value {
            Value::Array(items) => stack.extend(items),
            Value::Object(map) => stack.extend(map.into_iter().map(|(_, v)| v)),
            _ => {}
        }
    }
}

/// Scrubs an event with the default rules (for benchmarks).
#[doc(hidden)]
pub fn scrub_event(event: &mut Event<'static>) {
    Scrubber::default().event(event);
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn sensitive_keys() {
        for key in [
            "password",
            "Password",
            "user_password",
            "passwd",
            "X-Api-Key",
            "api_key",
            "apiKey",
            "Authorization",
            "Cookie",
            "set-cookie",
            "sessionid",
            "connect.sid",
            "PHPSESSID",
            "csrf_token",
            "access_token",
            "client_secret",
            "credit_card",
            "cvv",
            "saml_response",
            "sso_ticket",
            "identity",
            "symfony",
        ] {
            assert!(is_sensitive_key(key), "{key}");
        }
        for key in ["user_id", "amount", "operation", "name", "email", "order"] {
            assert!(!is_sensitive_key(key), "{key}");
        }
    }

    #[test]
    fn pii_keys_follow_send_default_pii() {
        let strict = Scrubber::default();
        assert!(strict.key_is_sensitive("X-Forwarded-For"));
        assert!(strict.key_is_sensitive("remote_addr"));
        let pii = Scrubber {
            send_default_pii: true,
            ..Default::default()
        };
        assert!(!pii.key_is_sensitive("X-Forwarded-For"));
        assert!(pii.key_is_sensitive("password"));
    }

    #[test]
    fn extra_and_allowed_keys() {
        let s = Scrubber {
            extra_keys: vec!["orderref".into()],
            allow_keys: vec!["tokencount".into()],
            ..Default::default()
        };
        assert!(s.key_is_sensitive("Order-Ref"));
        assert!(!s.key_is_sensitive("token_count"));
        assert!(s.key_is_sensitive("token"));
    }

    #[test]
    fn scrubs_values_under_sensitive_keys_at_any_depth() {
        let s = Scrubber::default();
        let mut v = json!({
            "user_id": 7,
            "nested": {"password": "hunter2", "list": [{"token": 12345}, "plain"]},
            "headers": [["Authorization", "Basic Zm9vOmJhcg=="], ["Accept", "*/*"]],
            "nothing": null,
        });
        s.value(&mut v, 0);
        assert_eq!(
            v,
            json!({
                "user_id": 7,
                "nested": {"password": "[Filtered]", "list": [{"token": "[Filtered]"}, "plain"]},
                "headers": [["Authorization", "[Filtered]"], ["Accept", "*/*"]],
                "nothing": null,
            })
        );
    }

    fn clean(text: &str) -> String {
        scrub_text(text).unwrap_or_else(|| text.to_owned())
    }

    #[test]
    fn auth_schemes_and_jwts() {
        assert_eq!(
            clean("sent Authorization: Bearer abc.def.ghi to upstream"),
            "sent Authorization: [Filtered] to upstream"
        );
        assert_eq!(clean("basic Zm9vOmJhcjEyMw== ok"), "basic [Filtered] ok");
        assert_eq!(clean("a basic idea"), "a basic idea");
        let jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U";
        assert_eq!(
            clean(&format!("got {jwt}, rejected")),
            "got [Filtered], rejected"
        );
    }

    #[test]
    fn urls_and_pairs() {
        assert_eq!(
            clean("connect postgres://app:s3cret@db:5432/main failed"),
            "connect postgres://[Filtered]@db:5432/main failed"
        );
        assert_eq!(
            clean("GET /login?user=bob&password=hunter2&next=/"),
            "GET /login?user=bob&password=[Filtered]&next=/"
        );
        assert_eq!(
            clean(r#"{"user": "bob", "password": "hun\"ter2", "n": 1}"#),
            r#"{"user": "bob", "password": "[Filtered]", "n": 1}"#
        );
        assert_eq!(
            clean("api_key: sk_live_123 retry"),
            "api_key: [Filtered] retry"
        );
        assert_eq!(
            clean("see https://example.com/docs"),
            "see https://example.com/docs"
        );
        assert_eq!(clean("time=12:30 user=bob"), "time=12:30 user=bob");
    }

    #[test]
    fn card_numbers_pass_luhn() {
        assert_eq!(
            clean("card 4111 1111 1111 1111 declined"),
            "card [Filtered] declined"
        );
        assert_eq!(clean("card 4111-1111-1111-1111."), "card [Filtered].");
        assert_eq!(clean("pan=5500000000000004"), "pan=[Filtered]");
        // Not Luhn-valid, or part of a longer token: kept.
        assert_eq!(
            clean("order 1111111111111111 shipped"),
            "order 1111111111111111 shipped"
        );
        assert_eq!(clean("id a4111111111111111"), "id a4111111111111111");
        assert_eq!(clean("ts 2026-11-29 12:00"), "ts 2026-11-29 12:00");
    }

    #[test]
    fn network_cards_ibans_ssns() {
        assert_eq!(clean("visa 4111111111111112 typo"), "visa [Filtered] typo");
        assert_eq!(clean("amex 3714-496353-98431"), "amex [Filtered]");
        assert_eq!(clean("order 1234567890123456"), "order 1234567890123456");
        assert_eq!(
            clean("iban DE89370400440532013000 ok"),
            "iban [Filtered] ok"
        );
        assert_eq!(
            clean("code DE89370400440532013001"),
            "code DE89370400440532013001"
        );
        assert_eq!(clean("ssn 123-45-6789."), "ssn [Filtered].");
    }

    #[test]
    fn personal_data_unless_pii_is_allowed() {
        let pii = |t: &str| scrub_pii(t).unwrap_or_else(|| t.to_owned());
        assert_eq!(
            pii("from 10.1.2.3 and 2001:db8::ff00:42:8329"),
            "from [Filtered] and [Filtered]"
        );
        assert_eq!(pii("addr fe80::1%eth0 ok"), "addr [Filtered] ok");
        assert_eq!(
            pii("at 12:30:45 on 2026-11-29"),
            "at 12:30:45 on 2026-11-29"
        );
        assert_eq!(pii("mail john.doe@example.com now"), "mail [Filtered] now");
        assert_eq!(
            pii("open /Users/john/notes.txt"),
            "open /Users/[Filtered]/notes.txt"
        );
        assert_eq!(pii(r"C:\Users\jane\file"), r"C:\Users\[Filtered]\file");
        assert_eq!(pii("/home/bob"), "/home/[Filtered]");
        // Web routes and URLs are not home directories.
        assert_eq!(pii("GET /users/{id}"), "GET /users/{id}");
        assert_eq!(
            pii("https://api.example.com/users/42/orders"),
            "https://api.example.com/users/42/orders"
        );
        let s = Scrubber {
            send_default_pii: true,
            ..Default::default()
        };
        let mut t = "from 10.1.2.3".to_owned();
        s.text(&mut t);
        assert_eq!(t, "from 10.1.2.3");
    }

    #[test]
    fn data_values_that_mention_credentials_go_whole() {
        let s = Scrubber::default();
        for (input, out) in [
            ("my password is hunter2", "[Filtered]"),
            ("oauth", "[Filtered]"),
            ("x-token=abc", "[Filtered]"),
            ("tokens are counted", "tokens are counted"),
            ("plain value", "plain value"),
        ] {
            let mut t = input.to_owned();
            s.data_text(&mut t);
            assert_eq!(t, out, "{input}");
        }
        // Messages keep their prose; only the secret goes.
        let mut m = "Authentication failed: password=hunter2".to_owned();
        s.text(&mut m);
        assert_eq!(m, "Authentication failed: password=[Filtered]");
    }

    #[test]
    fn limits_trim_instead_of_rejecting() {
        let mut big = "é".repeat(MAX_STRING);
        truncate(&mut big, MAX_STRING);
        assert!(big.len() <= MAX_STRING && big.ends_with(CUT));
        let s = Scrubber::default();
        let mut v = Value::Array((0..5000).map(Value::from).collect());
        s.value(&mut v, 0);
        assert_eq!(v.as_array().unwrap().len(), MAX_ITEMS);
        let mut tags = Map::from([
            ("user id".to_owned(), "a\nb".to_owned()),
            ("k".repeat(40), "v".repeat(300)),
            ("ok".to_owned(), "fine".to_owned()),
        ]);
        sanitize_tags(&mut tags);
        assert_eq!(tags["user_id"], "a b");
        assert_eq!(tags[&"k".repeat(32)].chars().count(), 200);
        assert_eq!(tags["ok"], "fine");
        let mut name = Some("x".repeat(500));
        limit_name(&mut name);
        assert_eq!(name.unwrap().chars().count(), 200);
    }

    #[test]
    fn private_keys() {
        let block =
            "-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA\nabc\n-----END RSA PRIVATE KEY-----";
        assert_eq!(
            clean(&format!("key:\n{block}\nend")),
            "key:\n[Filtered]\nend"
        );
        let cert = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----";
        assert_eq!(clean(cert), cert);
    }

    #[test]
    fn deep_values_are_cut_not_overflowed() {
        let mut v = json!("leaf");
        for _ in 0..10_000 {
            v = Value::Array(vec![v]); // not `json!`, which re-serializes `v` recursively
        }
        Scrubber::default().value(&mut v, 0);
        let mut depth = 0;
        let mut cur = &v;
        while let Value::Array(a) = cur {
            cur = &a[0];
            depth += 1;
        }
        assert!(depth <= MAX_DEPTH + 1);
        assert_eq!(cur, &json!(FILTERED));
        drop_iteratively(v);
    }

    #[test]
    fn scrubbing_is_idempotent() {
        for text in [
            "Bearer abc",
            "password=x&token=y",
            "https://u:p@h/x?api_key=1",
            "card 4111111111111111",
            r#""secret": "s""#,
            "Authorization: Basic dXNlcjpwYXNzd29yZA==",
        ] {
            let once = clean(text);
            assert_eq!(clean(&once), once, "{text}");
        }
    }

    #[test]
    fn never_panics_on_odd_text() {
        for text in [
            "=",
            ":",
            "password=",
            "password:",
            "\"password\":",
            "\"password\": \"unterminated",
            "eyJ.eyJ.",
            "://@",
            "a://:@",
            "-----BEGIN PRIVATE KEY-----",
            "bearer ",
            "ключ=значение password=пароль",
            "é=é token=é€",
            "\"password\": \"a\\é\"",
            "\"password\": \"a\\",
        ] {
            let _ = scrub_text(text);
        }
        assert_eq!(clean("password=пароль next"), "password=[Filtered] next");
    }
}
