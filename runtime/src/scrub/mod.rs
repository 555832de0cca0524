//! The runtime scrubber: the second line of defence, run on every outgoing event and
//! transaction before it reaches the transport.
//!
//! It walks the typed protocol (no serialization round trip): every place where user data can
//! stand (tags, extra, contexts, user, request, breadcrumbs, exceptions, stack frame variables,
//! log entries, spans). Relay's default data scrubbing (Sentry's server side) is the floor,
//! rule by rule, in every place Relay applies it; vigil adds to it:
//! - values under sensitive keys ([`rules`]: Relay's key rule, sentry-python's denylist,
//!   session and card names, the user's own keys), headers included; cookies by name;
//! - sensitive values wherever they stand ([`text`]): `Bearer`/`Basic` credentials, JWTs, card
//!   numbers, IBANs, SSNs, PEM key bodies, passwords in URLs, `key=value` pairs with a
//!   sensitive key; a data value that mentions credentials goes whole, as with Relay;
//! - personal data unless `send_default_pii` is on ([`pii`]): IP and e-mail addresses, user
//!   names in home directories;
//! - query strings, form bodies, cookie strings and URLs are taken apart first ([`http`]), so
//!   an encoded secret is found and what is kept stays valid.
//!
//! It never panics, keeps the event valid, is idempotent, and walks JSON values iteratively
//! (deeper than [`MAX_DEPTH`] is replaced whole), so no input can overflow the stack.

mod flags;
mod http;
mod keys;
mod limits;
mod logs;
mod memo;
mod pii;
pub(crate) mod rules;
mod text;

use std::sync::Arc;

use sentry::protocol::{
    Breadcrumb, Context, Event, Exception, LogEntry, Map, Request, Span, Stacktrace, Thread,
    Transaction, User, Value,
};

/// What replaces a secret.
pub const FILTERED: &str = "[Filtered]";

use keys::{is_cookie_string_key, is_user_mask, says_nothing, LOCATION_KEYS, PII_KEY_PARTS};
#[cfg(test)]
use limits::CUT;
use limits::{limit_name, sanitize_tags, truncate, MAX_DEPTH, MAX_ITEMS, MAX_STRING};
use pii::{scrub_pii, Pii};
pub(crate) use rules::normalize;
use text::{mentions_credentials, scrub_text};

/// Is `key` sensitive by name? Relay's default key rule (`password`, `secret`, `auth`,
/// `token`, `api_key`, ... anywhere in the key), sentry-python's denylist, and session, card
/// and CSRF names matched as words (`session_id` and `connect.sid` are sensitive,
/// `session_duration` and `process_id` are not).
///
/// ```
/// # use vigil_runtime as vigil;
/// assert!(vigil::is_sensitive_key("X-Api-Key"));
/// assert!(vigil::is_sensitive_key("user_password"));
/// assert!(vigil::is_sensitive_key("connect.sid"));
/// assert!(vigil::is_sensitive_key("sessionId"));
/// assert!(!vigil::is_sensitive_key("user_id"));
/// assert!(!vigil::is_sensitive_key("process_id"));
/// assert!(!vigil::is_sensitive_key("session:duration"));
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
    /// Every cookie goes, not only the sensitive ones.
    pub(crate) all_cookies: bool,
    pub(crate) before_send: Option<Hook<Event<'static>>>,
    pub(crate) before_send_transaction: Option<Hook<Transaction<'static>>>,
}

impl Scrubber {
    /// Has the user exempted `key`?
    fn key_is_allowed(&self, key: &str) -> bool {
        !self.allow_keys.is_empty() && {
            let normalized = normalize(key);
            self.allow_keys.iter().any(|k| normalized.eq(k.as_str()))
        }
    }

    pub(crate) fn key_is_sensitive(&self, key: &str) -> bool {
        if self.key_is_allowed(key) {
            return false;
        }
        // What the key names by the built-in rules, remembered (see `memo`).
        let kind = memo::kind(key);
        if kind.secret || (kind.personal && !self.send_default_pii) {
            return true;
        }
        if self.extra_keys.is_empty() {
            return false;
        }
        let normalized = normalize(key);
        self.extra_keys
            .iter()
            .any(|k| normalized.contains(k.as_str()))
    }

    /// Scrubs a data value (tags, extra, contexts, request and breadcrumb fields): a value
    /// that even mentions a password, secret or credential is filtered whole, as Sentry's
    /// server does; then as [`Scrubber::text`].
    pub(crate) fn data_text(&self, text: &mut String) {
        self.data_text_changed(text);
    }

    /// [`Scrubber::data_text`], telling whether it changed anything.
    pub(crate) fn data_text_changed(&self, text: &mut String) -> bool {
        self.data_with(text, Pii::DATA)
    }

    fn data_with(&self, text: &mut String, kinds: Pii) -> bool {
        truncate(text, MAX_STRING);
        if mentions_credentials(text) {
            *text = FILTERED.to_owned();
            return true;
        }
        self.text_with(text, kinds)
    }

    /// Scrubs free text (exception values, descriptions, names) in place: the secrets and,
    /// unless `send_default_pii` is on, the personal data within it.
    pub(crate) fn text(&self, text: &mut String) {
        self.text_with(text, Pii::DATA);
    }

    /// [`Scrubber::text`], telling whether it changed anything.
    pub(crate) fn text_changed(&self, text: &mut String) -> bool {
        self.text_with(text, Pii::DATA)
    }

    fn text_with(&self, text: &mut String, kinds: Pii) -> bool {
        truncate(text, MAX_STRING);
        // The built-in detectors depend on nothing but the text (and the kinds of personal
        // data looked for): a text they found clean before is clean (see `memo`).
        let checks = if self.send_default_pii {
            memo::Checks::SECRETS
        } else {
            memo::Checks::with_pii(kinds)
        };
        let mut changed = None;
        let mut clean_by_rules = memo::is_clean(text, checks);
        let remembered = clean_by_rules;
        if !clean_by_rules {
            changed = scrub_text(text);
            if !self.send_default_pii {
                let source = changed.as_deref().unwrap_or(text);
                if let Some(out) = scrub_pii(source, kinds) {
                    changed = Some(out);
                }
            }
            clean_by_rules = changed.is_none();
        }
        for pattern in &self.patterns {
            let source = changed.as_deref().unwrap_or(text);
            if pattern.is_match(source) {
                let replaced = pattern.replace_all(source, FILTERED).into_owned();
                changed = Some(replaced);
            }
        }
        // Remembered only when nothing at all was found: a text the user's own patterns
        // catch is a secret, and is not kept in the memo for the life of the thread.
        if clean_by_rules && !remembered && changed.is_none() {
            memo::passed(text, checks);
        }
        match changed {
            Some(clean) => {
                *text = clean;
                true
            }
            None => false,
        }
    }

    /// A message: as [`Scrubber::text`], and what is left of a URL's credentials takes its
    /// host along, as Relay's e-mail rule does in messages.
    fn message(&self, text: &mut String) {
        self.text_with(text, Pii::MESSAGE);
    }

    fn opt_text(&self, text: &mut Option<String>) {
        if let Some(text) = text {
            self.text(text);
        }
    }

    /// Tags: Sentry's key and value rules, then secrets.
    fn tags(&self, tags: &mut Map<String, String>) {
        sanitize_tags(tags);
        self.string_map(tags, false);
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

    /// Tags, headers, environment: string values under keys.
    fn string_map(&self, map: &mut Map<String, String>, headers: bool) {
        for (key, value) in map.iter_mut() {
            if is_cookie_string_key(key) {
                self.data_cookies(value);
            } else if self.key_is_sensitive(key) {
                if !says_nothing(value) {
                    *value = FILTERED.to_owned();
                }
            } else if headers && key.eq_ignore_ascii_case("user-agent") {
                self.data_with(value, Pii::NO_IPS);
            } else {
                self.data_text(value);
            }
        }
    }

    fn value_map(&self, map: &mut Map<String, Value>) {
        for (key, value) in map.iter_mut() {
            if !self.keyed(key, value) {
                self.value(value, 1);
            }
        }
    }

    /// Span data: as [`Scrubber::value_map`], with [`LOCATION_KEYS`] scrubbed as text.
    fn span_data(&self, map: &mut Map<String, Value>) {
        for (key, value) in map.iter_mut() {
            if self.keyed(key, value) {
                continue;
            }
            match value {
                Value::String(text) if LOCATION_KEYS.contains(&key.as_str()) => self.text(text),
                _ => self.value(value, 1),
            }
        }
    }

    /// The value under `key` when the key decides what happens to it (a cookie string, a
    /// query string, a URL, a sensitive key); `false` when the value is to be scrubbed for
    /// what it is.
    fn keyed(&self, key: &str, value: &mut Value) -> bool {
        if let Value::String(text) = value {
            if is_cookie_string_key(key) {
                self.data_cookies(text);
                return true;
            }
            if http::is_query_key(key) {
                self.data_query(text);
                return true;
            }
            if http::is_url_key(key) {
                self.data_url(text);
                return true;
            }
        }
        if self.key_is_sensitive(key) {
            // The application's own mask (`#[sensitive(partial = 4)]`): it asked for it.
            if !matches!(value, Value::String(text) if is_user_mask(text)) {
                filter_value(value);
            }
            return true;
        }
        false
    }

    /// Scrubs a JSON value in place: iteratively, so no depth overflows the stack.
    pub(crate) fn value(&self, root: &mut Value, start_depth: usize) {
        // A scalar (most span data: counts, ids, names) needs no stack.
        if start_depth <= MAX_DEPTH {
            match root {
                Value::Null | Value::Bool(_) | Value::Number(_) => return,
                Value::String(s) => return self.data_text(s),
                Value::Array(_) | Value::Object(_) => {}
            }
        }
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
                        if self.keyed(k, second) {
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
                        if !self.keyed(key, value) {
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
        self.opt_data_text(&mut user.id);
        if let Some(email) = &mut user.email {
            self.data_with(email, Pii::NO_EMAILS);
        }
        self.opt_data_text(&mut user.username);
        self.value_map(&mut user.other);
    }

    fn request(&self, request: &mut Request) {
        if let Some(url) = &mut request.url {
            self.url(url);
        }
        if let Some(query) = &mut request.query_string {
            if let Some(clean) = self.query(query) {
                *query = clean;
            }
        }
        if let Some(data) = &mut request.data {
            self.body(data);
        }
        if let Some(cookies) = &mut request.cookies {
            if let Some(clean) = self.cookies(cookies) {
                *cookies = clean;
            }
        }
        self.string_map(&mut request.headers, true);
        self.string_map(&mut request.env, false);
        if !self.send_default_pii {
            request.env.remove("REMOTE_ADDR");
        }
    }

    /// A request body: JSON is scrubbed as structured data, keys included; a form body as a
    /// query string; anything else as a data value.
    fn body(&self, data: &mut String) {
        truncate(data, MAX_STRING);
        let trimmed = data.trim_start();
        if trimmed.starts_with(['{', '[']) {
            if let Ok(mut json) = serde_json::from_str::<Value>(data) {
                let before = json.clone();
                self.value(&mut json, 1);
                if json != before {
                    *data = json.to_string();
                }
                drop_iteratively(json);
                drop_iteratively(before);
                return;
            }
        }
        // `a=1&b=2`: every part a key without spaces, `=`, and a value.
        let form = !data.contains(['\n', '\r'])
            && data.split('&').all(|part| {
                part.split_once('=')
                    .is_some_and(|(k, _)| !k.is_empty() && !k.contains(char::is_whitespace))
            });
        if form {
            if let Some(clean) = self.query(data) {
                *data = clean;
            }
        } else {
            self.data_text(data);
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
            self.opt_data_text(&mut mechanism.description);
            self.value_map(&mut mechanism.data);
        }
    }

    fn thread(&self, thread: &mut Thread) {
        if let Some(trace) = &mut thread.stacktrace {
            self.stacktrace(trace);
        }
    }

    fn logentry(&self, entry: &mut LogEntry) {
        self.message(&mut entry.message);
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
                Context::Other(map) if name == "flags" => self.flags(map),
                Context::Other(map) => self.value_map(map),
                Context::Trace(t) => {
                    self.opt_text(&mut t.description);
                    self.span_data(&mut t.data);
                }
                Context::Response(r) => {
                    if let Some(cookies) = &mut r.cookies {
                        if let Some(clean) = self.cookies(cookies) {
                            *cookies = clean;
                        }
                    }
                    self.string_map(&mut r.headers, true);
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
        self.span_data(&mut span.data);
        self.tags(&mut span.tags);
    }

    /// Scrubs an error or message event in place.
    pub(crate) fn event(&self, event: &mut Event<'static>) {
        if let Some(message) = &mut event.message {
            self.message(message);
        }
        if let Some(entry) = &mut event.logentry {
            self.logentry(entry);
        }
        self.opt_text(&mut event.culprit);
        self.name(&mut event.transaction);
        if let Some(server) = &mut event.server_name {
            let mut name = server.to_string();
            if self.data_text_changed(&mut name) {
                *server = name.into();
            }
        }
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
    /// or half-processed is sent). vigil's reserved entry (`wire`: the transaction's name
    /// source and span origins, no user data) is neither scrubbed nor shown to the hook.
    pub(crate) fn process_event(&self, mut event: Event<'static>) -> Option<Event<'static>> {
        let entry = crate::wire::take(&mut event.contexts);
        self.event(&mut event);
        let mut event = match &self.before_send {
            Some(hook) => run_hook(hook, event)?,
            None => event,
        };
        crate::wire::put_back(&mut event.contexts, entry);
        Some(event)
    }

    /// Scrubs, then runs the user's transaction hook (vigil's reserved entry aside, as for
    /// events).
    pub(crate) fn process_transaction(
        &self,
        mut tx: Transaction<'static>,
    ) -> Option<Transaction<'static>> {
        let entry = crate::wire::take(&mut tx.contexts);
        self.transaction(&mut tx);
        let mut tx = match &self.before_send_transaction {
            Some(hook) => run_hook(hook, tx)?,
            None => tx,
        };
        crate::wire::put_back(&mut tx.contexts, entry);
        Some(tx)
    }
}

fn run_hook<T>(hook: &Hook<T>, item: T) -> Option<T> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| hook(item))).unwrap_or(None)
}

/// Replaces a value with `[Filtered]`, dropping the old value iteratively so a deep one cannot
/// overflow the stack. Nulls, booleans and the strings Relay never scrubs stay: there is
/// nothing to hide in them (`is_authenticated: true`).
fn filter_value(value: &mut Value) {
    match value {
        Value::Null | Value::Bool(_) => return,
        Value::String(s) if s == FILTERED || says_nothing(s) => return,
        _ => {}
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

    /// The per-thread memo of clean texts (`memo`) never lets one scrubber's verdict stand
    /// for a stricter one's, and never keeps what a user's pattern catches.
    #[test]
    fn the_clean_text_memo_answers_as_the_rules_would() {
        let strict = Scrubber::default();
        let pii = Scrubber {
            send_default_pii: true,
            ..Default::default()
        };
        let mail = "write to jane.doe@example.com";
        for order in [[&pii, &strict], [&strict, &pii]] {
            for s in order {
                let mut text = mail.to_owned();
                s.text(&mut text);
                if s.send_default_pii {
                    assert_eq!(text, mail);
                } else {
                    assert_eq!(text, "write to [Filtered]");
                }
            }
        }
        let patterned = Scrubber {
            patterns: vec![regex::Regex::new(r"ACME-[0-9]{4}").unwrap()],
            ..Default::default()
        };
        let token = "ticket ACME-1234 opened";
        for _ in 0..2 {
            let mut text = token.to_owned();
            patterned.text(&mut text);
            assert_eq!(text, "ticket [Filtered] opened");
        }
        assert!(!memo::is_clean(token, memo::Checks::with_pii(Pii::DATA)));
        // The same text through a scrubber without the pattern is clean, and remembered.
        let mut text = token.to_owned();
        strict.text(&mut text);
        assert_eq!(text, token);
        assert!(memo::is_clean(token, memo::Checks::with_pii(Pii::DATA)));
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
        // `Bearer <token>` goes whole, as with Relay's @bearer.
        assert_eq!(
            clean("API request failed with Bearer ABC123XYZ789TOKEN and returned 401"),
            "API request failed with [Filtered] and returned 401"
        );
        assert_eq!(clean("x Bearer\n abc:def!ghi y"), "x [Filtered] y");
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
        // By format for the countries Relay knows: a mistyped IBAN is still an IBAN.
        assert_eq!(clean("code DE89370400440532013001"), "code [Filtered]");
        assert_eq!(
            clean("some iban: NO9386011117945!"),
            "some iban: [Filtered]!"
        );
        // Other letters only when the check passes; never inside a word.
        assert_eq!(
            clean("code XY89370400440532013001"),
            "code XY89370400440532013001"
        );
        assert_eq!(
            clean("id fooNO9386011117945bar"),
            "id fooNO9386011117945bar"
        );
        assert_eq!(clean("ssn 123-45-6789."), "ssn [Filtered].");
    }

    #[test]
    fn personal_data_unless_pii_is_allowed() {
        let pii = |t: &str| scrub_pii(t, Pii::DATA).unwrap_or_else(|| t.to_owned());
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
    fn pem_key_bodies() {
        // The body goes; the BEGIN and END lines say what was there.
        let block =
            "-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA\nabc\n-----END RSA PRIVATE KEY-----";
        assert_eq!(
            clean(&format!("key:\n{block}\nend")),
            "key:\n-----BEGIN RSA PRIVATE KEY-----\n[Filtered]\n-----END RSA PRIVATE KEY-----\nend"
        );
        // Public keys too, as Relay's @pemkey does.
        assert_eq!(
            clean("-----BEGIN PUBLIC KEY-----\nMIICIjANBgkqhkiG9w0B\n-----END PUBLIC KEY-----"),
            "-----BEGIN PUBLIC KEY-----\n[Filtered]\n-----END PUBLIC KEY-----"
        );
        // A block cut before its END line goes to the end.
        assert_eq!(
            clean("-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBg"),
            "-----BEGIN PRIVATE KEY-----\n[Filtered]"
        );
        let cert = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----";
        assert_eq!(clean(cert), cert);
    }

    #[test]
    fn keys_match_by_word_over_relays_rule() {
        for key in [
            // Relay's key rule: substrings, as written.
            "is_authenticated",
            "github_token",
            "stripetoken",
            "MYSQL_PWD",
            "x-api-key",
            "auXth_password",
            "otp",
            "two-factor",
            "two_factor",
            // vigil's additions, as words and fragments.
            "sessionId",
            "session_id",
            "user_session",
            "x-session-token",
            "authToken",
            "XSRF-TOKEN",
            "csrftoken",
            "PHPSESSID",
            "jsessionid",
            "card_number",
            "cc_number",
            "user_ssn",
            "otp_code",
            "access_key",
            "signing.key",
            "cache_key",
            "SAMLResponse",
            "http.request.header.cookie.sessionid",
            "http.response.header.set-cookie.session__0",
        ] {
            assert!(is_sensitive_key(key), "{key}");
        }
        for key in [
            "process_id",
            "processor_count",
            "session:duration",
            "sessionStats",
            "session_count",
            "card_type",
            "keyboard",
            "monkey",
            "classname",
            "inside",
            "not_a_two_factor",
            "http.request.header.cookie.dark-mode",
            "http.request.header.cookie.language",
            "ключ",
            "do not ,./<>?!@#$%^&*())'ßtrip'",
        ] {
            assert!(!is_sensitive_key(key), "{key}");
        }
    }

    #[test]
    fn booleans_and_empty_words_stay_under_sensitive_keys() {
        let s = Scrubber::default();
        let mut v = json!({
            "is_authenticated": true,
            "test": {"is_authenticated": "null"},
            "password": "",
            "token": "undefined",
            "auth": "foobar",
            "a_password_number": 42,
            "a_password_array": [42, 43],
        });
        s.value(&mut v, 0);
        assert_eq!(
            v,
            json!({
                "is_authenticated": true,
                "test": {"is_authenticated": "null"},
                "password": "",
                "token": "undefined",
                "auth": "[Filtered]",
                "a_password_number": "[Filtered]",
                "a_password_array": "[Filtered]",
            })
        );
    }

    #[test]
    fn cookies_go_by_name() {
        let s = Scrubber::default();
        let cookies = |c: &str| s.cookies(c).unwrap_or_else(|| c.to_owned());
        assert_eq!(
            cookies("baz=quux; session__0=foobar; language=en; csrf=u32t4o3tb3gg43; dark-mode=on"),
            "baz=quux; session__0=[Filtered]; language=en; csrf=[Filtered]; dark-mode=on"
        );
        assert_eq!(
            cookies("sessionid=abc; csrftoken=def; sentrysid=x; su=y; theme=dark"),
            "sessionid=[Filtered]; csrftoken=[Filtered]; sentrysid=[Filtered]; su=[Filtered]; theme=dark"
        );
        // A value is still scrubbed for what it is.
        assert_eq!(
            cookies("note=Bearer%20abc123; lang=en"),
            "note=[Filtered]; lang=en"
        );
        let all = Scrubber {
            all_cookies: true,
            ..Default::default()
        };
        assert_eq!(all.cookies("theme=dark").as_deref(), Some("[Filtered]"));
        // Bulk cookie strings in span data go by name; a `Cookie` header goes whole.
        let mut data = Map::from([
            (
                "http.request.header.cookie".to_owned(),
                Value::from("language=en; sessionid=abc"),
            ),
            (
                "http.request.header.cookie.dark-mode".to_owned(),
                Value::from("on"),
            ),
            ("Cookie".to_owned(), Value::from("language=en")),
        ]);
        s.span_data(&mut data);
        assert_eq!(
            data["http.request.header.cookie"],
            "language=en; sessionid=[Filtered]"
        );
        assert_eq!(data["http.request.header.cookie.dark-mode"], "on");
        assert_eq!(data["Cookie"], "[Filtered]");
    }

    #[test]
    fn query_strings_are_decoded_then_reencoded() {
        let s = Scrubber::default();
        let query = |q: &str| s.query(q).unwrap_or_else(|| q.to_owned());
        assert_eq!(
            query("q=John+Appleseed+4571+2345+6789+0111%21&page=2"),
            "q=John+Appleseed+[Filtered]%21&page=2"
        );
        assert_eq!(
            query("next=https%3A%2F%2Fuser%3Apass%40example.com%2Fx&lang=en"),
            "next=https%3A%2F%2F[Filtered]%40example.com%2Fx&lang=en"
        );
        assert_eq!(
            query("h=Bearer%20abc.def&mail=john%40example.com"),
            "h=[Filtered]&mail=[Filtered]"
        );
        assert_eq!(
            query("foo=bar&password&api%5Fkey=secret&baz=bar"),
            "foo=bar&password&api%5Fkey=[Filtered]&baz=bar"
        );
        // Idempotent: what was sent is sent again unchanged.
        for q in [
            "q=John+Appleseed+[Filtered]%21&page=2",
            "a=1&token=[Filtered]",
        ] {
            assert_eq!(s.query(q), None, "{q}");
        }
    }

    #[test]
    fn urls_and_queries_in_data_are_taken_apart() {
        let s = Scrubber::default();
        let mut data = Map::from([
            (
                "url".to_owned(),
                Value::from("https://u:pw@api.example.com/x?ref=card%204111111111111111#frag"),
            ),
            (
                "http.query".to_owned(),
                Value::from("ccnumber=5105105105105100&process_id=123"),
            ),
            (
                "url.full".to_owned(),
                Value::from("foo.bar/endpoint?token=sensitive"),
            ),
        ]);
        s.span_data(&mut data);
        assert_eq!(
            data["url"],
            "https://[Filtered]@api.example.com/x?ref=card+[Filtered]#frag"
        );
        assert_eq!(data["http.query"], "ccnumber=[Filtered]&process_id=123");
        // Relay's rule: a value that mentions a token pair goes whole.
        assert_eq!(data["url.full"], "[Filtered]");
    }

    #[test]
    fn form_bodies_are_decoded() {
        let s = Scrubber::default();
        let mut body =
            "name=aaa aaa&comment=aaa+postgres%3A%2F%2Fapp%3AZq0a1b2c%40db.internal%3A5432%2Fmain+aaa"
                .to_owned();
        s.body(&mut body);
        assert_eq!(
            body,
            "name=aaa aaa&comment=aaa+postgres%3A%2F%2F[Filtered]%40db.internal%3A5432%2Fmain+aaa"
        );
        let mut text = "just a note = not a form".to_owned();
        s.body(&mut text);
        assert_eq!(text, "just a note = not a form");
    }

    #[test]
    fn urls_keep_their_host_and_lose_their_credentials() {
        let s = Scrubber::default();
        let mut url: sentry::protocol::Url =
            "http://app:s3cret@10.1.1.69:4321/api/users?token=abc&page=2#access_token=xyz"
                .parse()
                .unwrap();
        s.url(&mut url);
        assert_eq!(
            url.as_str(),
            "http://10.1.1.69:4321/api/users?token=[Filtered]&page=2#access_token=[Filtered]"
        );
    }

    #[test]
    fn versions_and_user_agents_are_not_addresses() {
        let pii = |t: &str| scrub_pii(t, Pii::DATA).unwrap_or_else(|| t.to_owned());
        let ua = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/103.0.0.0 Safari/537.36";
        assert_eq!(pii(ua), ua);
        // An address in a path is still an address.
        assert_eq!(
            pii("GET /hosts/10.1.2.3/ping"),
            "GET /hosts/[Filtered]/ping"
        );
        assert_eq!(pii("before ::1 after"), "before [Filtered] after");
        assert_eq!(
            pii("[2001:0db8:85a3:0000:0000:8a2e:0370:7334]"),
            "[[Filtered]]"
        );
        assert_eq!(pii("std::io::Error"), "std::io::Error");
        let s = Scrubber::default();
        let mut headers = Map::from([
            ("User-Agent".to_owned(), "127.0.0.1".to_owned()),
            ("X-Client-Ip".to_owned(), "10.0.0.1".to_owned()),
        ]);
        s.string_map(&mut headers, true);
        assert_eq!(headers["User-Agent"], "127.0.0.1");
        assert_eq!(headers["X-Client-Ip"], "[Filtered]");
    }

    #[test]
    fn code_locations_in_span_data_are_not_credentials() {
        let s = Scrubber::default();
        let mut data = Map::from([
            (
                "code.filepath".to_owned(),
                Value::from("src/sentry/api/authentication.py"),
            ),
            (
                "note".to_owned(),
                Value::from("src/sentry/api/authentication.py"),
            ),
        ]);
        s.span_data(&mut data);
        assert_eq!(data["code.filepath"], "src/sentry/api/authentication.py");
        assert_eq!(data["note"], "[Filtered]");
    }

    #[test]
    fn user_ids_are_scrubbed_like_data() {
        let s = Scrubber::default();
        let mut user = User {
            id: Some("5355849125500546".into()),
            email: Some("john@example.com".into()),
            ..Default::default()
        };
        s.user(&mut user);
        assert_eq!(user.id.as_deref(), Some("[Filtered]"));
        assert_eq!(user.email.as_deref(), Some("john@example.com"));
    }

    #[test]
    fn colons_inside_json_keys_are_not_separators() {
        assert_eq!(
            clean(r#"{"crashed_url":"app:///dist/index.html","session:duration":3397}"#),
            r#"{"crashed_url":"app:///dist/index.html","session:duration":3397}"#
        );
        assert_eq!(
            clean(r#"login as "password:hunter2" failed"#),
            r#"login as "password:[Filtered]" failed"#
        );
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
