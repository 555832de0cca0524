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

use std::sync::{Arc, LazyLock};

use sentry::protocol::{
    Breadcrumb, Context, Event, Exception, LogEntry, Map, Request, Span, Stacktrace, Thread,
    Transaction, User, Value,
};

/// What replaces a secret.
pub const FILTERED: &str = "[Filtered]";

/// Values nested deeper than this are replaced whole: nothing is sent that was not looked at.
pub(crate) const MAX_DEPTH: usize = 64;

/// Longest string sent (bytes); longer ones are cut at a character boundary and marked, so
/// a huge value is trimmed instead of the whole event being refused by the server (413).
pub(crate) const MAX_STRING: usize = 16 * 1024;

/// Most items sent of one array; the rest are dropped.
pub(crate) const MAX_ITEMS: usize = 1000;

/// What marks a cut string.
const CUT: &str = "…[truncated]";

/// Cuts `text` to at most `max` bytes (at a character boundary), marking the cut.
pub(crate) fn truncate(text: &mut String, max: usize) {
    if text.len() <= max {
        return;
    }
    let mut end = max.saturating_sub(CUT.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text.truncate(end);
    text.push_str(CUT);
}

/// Sentry's tag rules: keys of at most 32 characters of `[A-Za-z0-9_.:-]`, values of at most
/// 200 characters without line breaks. Keys are mended (other characters become `_`), values
/// cut; nothing is dropped.
fn sanitize_tags(tags: &mut Map<String, String>) {
    let needs_work = tags.iter().any(|(k, v)| {
        k.is_empty()
            || k.len() > 32
            || !k
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b':' | b'-'))
            || v.chars().count() > 200
            || v.contains(['\n', '\r'])
    });
    if !needs_work {
        return;
    }
    let old = std::mem::take(tags);
    for (key, value) in old {
        let mut key: String = key
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | ':' | '-') {
                    c
                } else {
                    '_'
                }
            })
            .take(32)
            .collect();
        if key.is_empty() {
            key.push('_');
        }
        let mut value: String = value.replace(['\n', '\r'], " ");
        if value.chars().count() > 200 {
            value = value.chars().take(199).collect();
            value.push('…');
        }
        tags.insert(key, value);
    }
}

/// Sentry's limit for transaction names: 200 characters.
fn limit_name(name: &mut Option<String>) {
    if let Some(name) = name {
        if name.chars().count() > 200 {
            *name = name.chars().take(199).collect();
            name.push('…');
        }
    }
}

/// Key fragments that make a key sensitive (compared lowercase, with `-`, `_`, `.` and spaces
/// removed, as substrings). Sentry's data-collection spec (auth, token, secret, password,
/// passwd, pwd, key, jwt, bearer, sso, saml, csrf, xsrf, credentials, session, sid, identity),
/// sentry-python's denylist (which adds cookie, symfony), and payment data (card, cvv, ssn,
/// ccnumber).
pub(crate) const SENSITIVE_KEY_PARTS: &[&str] = &[
    "password",
    "passwd",
    "pwd",
    "secret",
    "token",
    "key",
    "auth",
    "credential",
    "cookie",
    "session",
    "sid",
    "csrf",
    "xsrf",
    "jwt",
    "bearer",
    "sso",
    "saml",
    "identity",
    "symfony",
    "card",
    "ccnumber",
    "cvv",
    "ssn",
];

/// Key fragments that name personal data, filtered unless `send_default_pii` is on
/// (sentry-python's PII denylist).
const PII_KEY_PARTS: &[&str] = &[
    "forwardedfor",
    "realip",
    "remoteaddr",
    "ipaddress",
    "clientip",
];

pub(crate) fn normalize(key: &str) -> String {
    key.chars()
        .filter(|c| !matches!(c, '-' | '_' | '.' | ' '))
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

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
    let normalized = normalize(key);
    SENSITIVE_KEY_PARTS
        .iter()
        .any(|part| normalized.contains(part))
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
        SENSITIVE_KEY_PARTS.iter().any(|p| normalized.contains(p))
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

// ---- free text ------------------------------------------------------------------------------

/// Scrubs secrets that stand in free text; `None` when there is nothing to change.
pub(crate) fn scrub_text(text: &str) -> Option<String> {
    if text.len() < 6 {
        return None;
    }
    let mut current: Option<String> = None;
    for pass in [
        private_key_blocks as fn(&str) -> Option<String>,
        auth_schemes,
        jwts,
        url_passwords,
        key_values,
        card_numbers,
        card_by_network,
        ibans,
        us_ssns,
    ] {
        let source = current.as_deref().unwrap_or(text);
        if let Some(out) = pass(source) {
            current = Some(out);
        }
    }
    current
}

/// Replaces the byte ranges `spans` (sorted, disjoint) of `text` with `[Filtered]`.
fn replace_spans(text: &str, spans: &[(usize, usize)]) -> Option<String> {
    if spans.is_empty() {
        return None;
    }
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for &(start, end) in spans {
        out.push_str(&text[last..start]);
        out.push_str(FILTERED);
        last = end;
    }
    out.push_str(&text[last..]);
    (out != text).then_some(out)
}

fn is_token_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'=' | b'+' | b'/' | b'~')
}

/// The end of the token that starts at `start`, with `[Filtered]` counting as one token.
fn token_end(bytes: &[u8], start: usize) -> usize {
    if bytes[start..].starts_with(FILTERED.as_bytes()) {
        return start + FILTERED.len();
    }
    let mut end = start;
    while end < bytes.len() && is_token_byte(bytes[end]) {
        end += 1;
    }
    end
}

/// `-----BEGIN ... PRIVATE KEY----- ... -----END ... PRIVATE KEY-----`
fn private_key_blocks(text: &str) -> Option<String> {
    if !text.contains("-----BEGIN") {
        return None;
    }
    let mut spans = Vec::new();
    let mut from = 0;
    while let Some(pos) = text[from..].find("-----BEGIN") {
        let start = from + pos;
        let header_end = match text[start + 10..].find("-----") {
            Some(p) => start + 10 + p + 5,
            None => break,
        };
        if !text[start..header_end].contains("PRIVATE KEY") {
            from = header_end;
            continue;
        }
        let end = match text[header_end..].find("-----END") {
            Some(p) => {
                let end_start = header_end + p;
                match text[end_start + 8..].find("-----") {
                    Some(q) => end_start + 8 + q + 5,
                    None => text.len(),
                }
            }
            // A truncated block: filter to the end.
            None => text.len(),
        };
        spans.push((start, end));
        from = end;
    }
    replace_spans(text, &spans)
}

fn eq_ignore_case_at(bytes: &[u8], at: usize, word: &[u8]) -> bool {
    bytes.len() >= at + word.len() && bytes[at..at + word.len()].eq_ignore_ascii_case(word)
}

/// `Bearer <token>`, `Basic <token>`, `Token <token>`, `Digest <...>`: the credential.
fn auth_schemes(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut spans = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let at_word_start = i == 0 || !bytes[i - 1].is_ascii_alphanumeric();
        if at_word_start {
            for scheme in [&b"bearer"[..], b"basic", b"token", b"digest"] {
                let after = i + scheme.len();
                if eq_ignore_case_at(bytes, i, scheme)
                    && after < bytes.len()
                    && (bytes[after] == b' ' || bytes[after] == b'\t')
                {
                    let mut start = after;
                    while start < bytes.len() && (bytes[start] == b' ' || bytes[start] == b'\t') {
                        start += 1;
                    }
                    let end = if scheme == b"digest" {
                        // Digest parameters run to the end of the line.
                        text[start..]
                            .find(['\n', '\r'])
                            .map_or(text.len(), |p| start + p)
                    } else {
                        token_end(bytes, start)
                    };
                    // A short word after "token" or "basic" is prose, not a credential.
                    let long_enough = end - start >= 8 || scheme == b"bearer";
                    if end > start && long_enough {
                        spans.push((start, end));
                        i = end;
                    }
                    break;
                }
            }
        }
        i += 1;
    }
    replace_spans(text, &spans)
}

/// `eyJ...` `.` `...` `.` `...`: JSON Web Tokens.
fn jwts(text: &str) -> Option<String> {
    if !text.contains("eyJ") {
        return None;
    }
    let bytes = text.as_bytes();
    let is_b64 = |b: u8| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'=';
    let mut spans = Vec::new();
    let mut from = 0;
    while let Some(pos) = text[from..].find("eyJ") {
        let start = from + pos;
        if start > 0 && is_b64(bytes[start - 1]) {
            from = start + 3;
            continue;
        }
        let mut end = start;
        let mut dots = 0;
        while end < bytes.len() && (is_b64(bytes[end]) || bytes[end] == b'.') {
            if bytes[end] == b'.' {
                dots += 1;
            }
            end += 1;
        }
        while end > start && bytes[end - 1] == b'.' {
            end -= 1;
            dots -= 1;
        }
        if dots == 2 && end - start >= 20 && !text[start..end].contains("..") {
            spans.push((start, end));
        }
        from = end.max(start + 3);
    }
    replace_spans(text, &spans)
}

/// `scheme://user:password@host` → `scheme://[Filtered]@host` (the user name goes too: it is
/// often an account, and Sentry's server removes it).
fn url_passwords(text: &str) -> Option<String> {
    if !text.contains("://") {
        return None;
    }
    let bytes = text.as_bytes();
    let mut spans = Vec::new();
    let mut from = 0;
    while let Some(pos) = text[from..].find("://") {
        let auth_start = from + pos + 3;
        let mut auth_end = auth_start;
        while auth_end < bytes.len()
            && !matches!(
                bytes[auth_end],
                b'/' | b'?' | b'#' | b' ' | b'\t' | b'\n' | b'\r' | b'"' | b'\'' | b'<' | b'>'
            )
        {
            auth_end += 1;
        }
        let authority = &text[auth_start..auth_end];
        if let Some(at) = authority.rfind('@') {
            if at > 0 && &authority[..at] != FILTERED {
                spans.push((auth_start, auth_start + at));
            }
        }
        from = auth_end.max(auth_start);
    }
    replace_spans(text, &spans)
}

/// `key=value`, `key: value`, `"key": "value"` where the key is sensitive.
fn key_values(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    if !bytes.iter().any(|b| *b == b'=' || *b == b':') {
        return None;
    }
    let is_key_byte = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.');
    let mut spans: Vec<(usize, usize)> = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let sep = bytes[i];
        if sep != b'=' && sep != b':' {
            i += 1;
            continue;
        }
        // `://` is a URL, not a pair.
        if sep == b':' && bytes[i + 1..].starts_with(b"//") {
            i += 3;
            continue;
        }
        // The key: back over spaces and an optional closing quote.
        let mut k_end = i;
        while k_end > 0 && bytes[k_end - 1] == b' ' {
            k_end -= 1;
        }
        let quote =
            (k_end > 0 && matches!(bytes[k_end - 1], b'"' | b'\'')).then(|| bytes[k_end - 1]);
        if quote.is_some() {
            k_end -= 1;
        }
        let mut k_start = k_end;
        while k_start > 0 && is_key_byte(bytes[k_start - 1]) {
            k_start -= 1;
        }
        if k_start == k_end || !is_sensitive_key(&text[k_start..k_end]) {
            i += 1;
            continue;
        }
        // The value: after spaces; quoted, or up to a delimiter.
        let mut v_start = i + 1;
        while v_start < bytes.len() && bytes[v_start] == b' ' {
            v_start += 1;
        }
        if v_start >= bytes.len() {
            break;
        }
        let v_end = match bytes[v_start] {
            q @ (b'"' | b'\'') => {
                let mut j = v_start + 1;
                while j < bytes.len() && bytes[j] != q {
                    if bytes[j] == b'\\' && j + 1 < bytes.len() {
                        // Skip the escaped character whole (it may be several bytes).
                        j += 1 + text[j + 1..].chars().next().map_or(1, char::len_utf8);
                    } else {
                        j += 1;
                    }
                }
                let inner_start = v_start + 1;
                let inner_end = j.min(bytes.len());
                if inner_end > inner_start {
                    spans.push((inner_start, inner_end));
                }
                i = inner_end + 1;
                continue;
            }
            b'{' | b'[' => {
                // A structured value: leave it to the key scan of its own content.
                i = v_start;
                continue;
            }
            _ => {
                let mut j = v_start;
                while j < bytes.len()
                    && !matches!(
                        bytes[j],
                        b' ' | b'\t'
                            | b'\n'
                            | b'\r'
                            | b'&'
                            | b';'
                            | b','
                            | b'"'
                            | b'\''
                            | b')'
                            | b'}'
                            | b']'
                            | b'<'
                            | b'>'
                    )
                {
                    j += 1;
                }
                // `Authorization: Bearer abc`: the scheme and the credential both go.
                let word = &text[v_start..j];
                if (word.eq_ignore_ascii_case("bearer") || word.eq_ignore_ascii_case("basic"))
                    && j < bytes.len()
                    && bytes[j] == b' '
                {
                    j = token_end(bytes, j + 1);
                }
                j
            }
        };
        if v_end > v_start {
            spans.push((v_start, v_end));
        }
        i = v_end.max(i + 1);
    }
    spans.sort_unstable();
    spans.dedup();
    // Merge overlaps (a value found twice).
    let mut merged: Vec<(usize, usize)> = Vec::new();
    for (s, e) in spans {
        match merged.last_mut() {
            Some(last) if s <= last.1 => last.1 = last.1.max(e),
            _ => merged.push((s, e)),
        }
    }
    let merged: Vec<_> = merged
        .into_iter()
        .filter(|&(s, e)| &text[s..e] != FILTERED)
        .collect();
    replace_spans(text, &merged)
}

fn luhn_valid(digits: &[u8]) -> bool {
    let mut sum = 0u32;
    for (i, d) in digits.iter().rev().enumerate() {
        let mut v = u32::from(*d);
        if i % 2 == 1 {
            v *= 2;
            if v > 9 {
                v -= 9;
            }
        }
        sum += v;
    }
    sum % 10 == 0
}

/// 13 to 19 digits, optionally grouped by single spaces or dashes, passing the Luhn check.
fn card_numbers(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    if bytes.iter().filter(|b| b.is_ascii_digit()).count() < 13 {
        return None;
    }
    let mut spans = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if !bytes[i].is_ascii_digit() || (i > 0 && bytes[i - 1].is_ascii_alphanumeric()) {
            i += 1;
            continue;
        }
        let start = i;
        let mut digits = Vec::with_capacity(19);
        let mut j = i;
        let mut last_digit_end = i;
        while j < bytes.len() {
            if bytes[j].is_ascii_digit() {
                digits.push(bytes[j] - b'0');
                j += 1;
                last_digit_end = j;
            } else if matches!(bytes[j], b' ' | b'-')
                && j + 1 < bytes.len()
                && bytes[j + 1].is_ascii_digit()
                && j > start
                && bytes[j - 1].is_ascii_digit()
            {
                j += 1;
            } else {
                break;
            }
            if digits.len() > 19 {
                break;
            }
        }
        let end = last_digit_end;
        let bounded = end >= bytes.len() || !bytes[end].is_ascii_alphanumeric();
        if bounded && (13..=19).contains(&digits.len()) && luhn_valid(&digits) {
            spans.push((start, end));
        }
        i = end.max(start + 1);
    }
    replace_spans(text, &spans)
}

fn regex(pattern: &str) -> regex::Regex {
    regex::Regex::new(pattern).unwrap_or_else(|e| unreachable!("built-in pattern {pattern}: {e}"))
}

/// Replaces every match of `re` (its group `group`) with `[Filtered]`, where `keep` agrees.
fn replace_matches(
    text: &str,
    re: &regex::Regex,
    group: usize,
    keep: impl Fn(&str) -> bool,
) -> Option<String> {
    let spans: Vec<(usize, usize)> = re
        .captures_iter(text)
        .filter_map(|c| c.get(group))
        .filter(|m| m.as_str() != FILTERED && keep(m.as_str()))
        .map(|m| (m.start(), m.end()))
        .collect();
    replace_spans(text, &spans)
}

/// Card numbers by card network prefix (Visa, Mastercard, Amex, Discover), Luhn or not: a
/// mistyped card number is still a card number.
fn card_by_network(text: &str) -> Option<String> {
    static RE: LazyLock<regex::Regex> = LazyLock::new(|| {
        regex(r"\b(?:3[47]\d|4\d{3}|5[1-5]\d\d|65\d\d|6011)(?:[-\s]?\d){11,12}\b")
    });
    if text.bytes().filter(u8::is_ascii_digit).count() < 15 {
        return None;
    }
    replace_matches(text, &RE, 0, |_| true)
}

/// IBANs: country code, check digits, 11 to 30 alphanumerics, valid mod 97.
fn ibans(text: &str) -> Option<String> {
    static RE: LazyLock<regex::Regex> =
        LazyLock::new(|| regex(r"\b[A-Z]{2}\d{2}[A-Za-z0-9]{11,30}\b"));
    let bytes = text.as_bytes();
    let candidate = bytes.windows(4).any(|w| {
        w[0].is_ascii_uppercase()
            && w[1].is_ascii_uppercase()
            && w[2].is_ascii_digit()
            && w[3].is_ascii_digit()
    });
    if !candidate {
        return None;
    }
    replace_matches(text, &RE, 0, iban_valid)
}

fn iban_valid(iban: &str) -> bool {
    let rearranged = iban[4..].bytes().chain(iban[..4].bytes());
    let mut rem: u32 = 0;
    for b in rearranged {
        let v = match b {
            b'0'..=b'9' => u32::from(b - b'0'),
            b'A'..=b'Z' => u32::from(b - b'A') + 10,
            b'a'..=b'z' => u32::from(b - b'a') + 10,
            _ => return false,
        };
        rem = if v < 10 {
            (rem * 10 + v) % 97
        } else {
            (rem * 100 + v) % 97
        };
    }
    rem == 1
}

/// US social security numbers: `ddd-dd-dddd`.
fn us_ssns(text: &str) -> Option<String> {
    static RE: LazyLock<regex::Regex> = LazyLock::new(|| regex(r"\b\d{3}-\d{2}-\d{4}\b"));
    if !text.contains('-') {
        return None;
    }
    replace_matches(text, &RE, 0, |_| true)
}

/// Personal data in free text, unless `send_default_pii` is on: IP addresses, e-mail
/// addresses, and user names in home-directory paths.
pub(crate) fn scrub_pii(text: &str) -> Option<String> {
    static IPV4: LazyLock<regex::Regex> = LazyLock::new(|| {
        regex(
            r"\b(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\b",
        )
    });
    static IPV6: LazyLock<regex::Regex> = LazyLock::new(|| {
        regex(r"(?:^|[^0-9A-Za-z:])([0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}(?:%[0-9A-Za-z]+)?)")
    });
    static EMAIL: LazyLock<regex::Regex> = LazyLock::new(|| {
        regex(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
    });
    static USER_PATH: LazyLock<regex::Regex> = LazyLock::new(|| {
        // Home directories as operating systems spell them (`/Users/` on macOS, `/home/`,
        // `C:\Users\`), case-sensitive: a web route such as `/users/{id}` is not one.
        regex(
            r"(?:\b[A-Za-z]:[\\/]Users[\\/]|/Users/|/home/|\bDocuments and Settings[\\/])([^/\\\r\n\x00\s]+)",
        )
    });
    let mut current: Option<String> = None;
    let bytes = text.as_bytes();
    let has = |b: u8| bytes.contains(&b);
    let count = |b: u8| bytes.iter().filter(|x| **x == b).count();
    if count(b'.') >= 3 {
        current = replace_matches(text, &IPV4, 0, |_| true);
    }
    if count(b':') >= 2 {
        let source = current.as_deref().unwrap_or(text);
        if let Some(out) = replace_matches(source, &IPV6, 1, |m| {
            let addr = m.split('%').next().unwrap_or(m);
            m.matches(':').count() >= 2
                && m.bytes().filter(u8::is_ascii_hexdigit).count() >= 2
                && addr.parse::<std::net::Ipv6Addr>().is_ok()
        }) {
            current = Some(out);
        }
    }
    if has(b'@') {
        let source = current.as_deref().unwrap_or(text);
        if let Some(out) = replace_matches(source, &EMAIL, 0, |_| true) {
            current = Some(out);
        }
    }
    let mentions_home = || {
        bytes
            .windows(4)
            .any(|w| w == b"sers" || w == b"home" || w == b"ings")
    };
    if (has(b'/') || has(b'\\')) && mentions_home() {
        let source = current.as_deref().unwrap_or(text);
        if let Some(out) = replace_matches(source, &USER_PATH, 1, |_| true) {
            current = Some(out);
        }
    }
    current
}

/// Whether a data value mentions credentials (Sentry's server filters such values whole):
/// `password`, `secret`, `passwd`, `api_key`, `apikey`, `auth`, `credentials`, `mysql_pwd`,
/// `private_key`, `privatekey`, a `token...=` / `token...:` pair, or is `otp` / `two_factor`.
pub(crate) fn mentions_credentials(text: &str) -> bool {
    static RE: LazyLock<regex::Regex> = LazyLock::new(|| {
        regex(
            r"(?i)password|secret|passwd|api[_-]?key|auth|credentials|mysql_pwd|private[_-]?key|token[^\s]*[:=]|^otp$|^two[_-]factor$",
        )
    });
    text.len() >= 3 && text != FILTERED && RE.is_match(text)
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
