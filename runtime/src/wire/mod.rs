//! The fields Sentry reads that the `sentry` crate's typed protocol has no place for, and
//! the writer that puts them on the wire.
//!
//! `sentry-types` 0.49's `Transaction` and `Event` have no `transaction_info` (Sentry's
//! `transaction_info.source`: how the transaction got its name), and its `Span` no `origin`
//! (what made the span). Serde drops unknown fields, so a typed item cannot carry them; and
//! sending the item as bytes instead would put it under the rate-limit category "any", so a
//! `transaction` limit from Sentry would no longer hold it back. So the fields travel *inside*
//! the typed item, as one reserved entry of its `contexts` ([`key`]), through the worker,
//! the scrubber and the `sentry` transport thread's rate-limit filter (which sees a typed
//! transaction or event, of its own category); only where the item is written out (vigil's
//! HTTP transport, Spotlight, the JSON spool, the test capture's JSON) is the entry left
//! out as the item is written and turned into the fields ([`to_writer`], [`item_json`]).
//! Every other view of the item (the readable view, a user's own transport, the user's
//! `before_send` hooks) gets it without the entry ([`strip`], [`take`]).
//!
//! The entry's key ends in a number drawn once per process ([`nonce`]), which the entry
//! holds too: a user's context can neither replace it nor be taken for it, and stays an
//! ordinary context.

use std::hash::BuildHasher;
use std::io::Write;
use std::sync::OnceLock;

use sentry::protocol::{Context, Envelope, EnvelopeItem, Event, Map, SpanId, Value};

use crate::callsite::Callsite;

#[cfg(test)]
mod draw;
mod json;
mod time;

/// The start of the reserved key in `contexts` the fields travel under ([`key`]).
const PREFIX: &str = "__vigil_wire";

/// The reserved key in `contexts` the fields travel under: [`PREFIX`] and the process's
/// [`nonce`], so no context a user names can take its place or be taken for it.
pub(crate) fn key() -> &'static str {
    static KEY: OnceLock<String> = OnceLock::new();
    KEY.get_or_init(|| format!("{PREFIX}.{}", nonce()))
}

/// The origin of a span or transaction that the user's code made (`#[monitored]`,
/// `#[transaction]`, `start_transaction`, a `Span` handle): Sentry's `manual`. Integrations
/// name their own (`auto.http.axum`, ...), each in its module.
pub(crate) const MANUAL: &str = "manual";

/// How a transaction got its name: Sentry's `transaction_info.source`, with the values of
/// sentry-python's `TransactionSource`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Source {
    /// Named after a software component: a function (`#[transaction]` without `name`), a
    /// GraphQL operation (as sentry-python's Strawberry integration does).
    Component,
    /// A name the user chose (`#[transaction(name = ..)]`, `start_transaction`).
    Custom,
    /// A route pattern (`GET /users/{id}`: the HTTP layer's matched route).
    #[allow(dead_code)] // not every build has an HTTP server integration
    Route,
    /// A background task (`#[transaction(op = "task")]`, as Celery, RQ and ARQ name theirs).
    Task,
    /// A raw URL path (the HTTP layer when no route matched): high cardinality, which
    /// Sentry's server groups by itself.
    #[allow(dead_code)] // not every build has an HTTP server integration
    Url,
}

impl Source {
    /// The value on the wire.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Source::Component => "component",
            Source::Custom => "custom",
            Source::Route => "route",
            Source::Task => "task",
            Source::Url => "url",
        }
    }
}

impl Source {
    /// The source of a `#[transaction]` function's name. Its op is `task` unless the
    /// attribute says otherwise, and sentry-python's task-queue integrations (Celery, RQ,
    /// ARQ) report every task's transaction as `task`, named after the task's function or the
    /// name it was given: so `task` for that op, whatever the name. With another op: named
    /// after the function (`module::function`, no `name = ..`), `component` (sentry-python's
    /// source for a transaction named after a function or a handler); with `name = ..`,
    /// `custom` (a name chosen by the user, as `start_transaction`'s). A cron monitor
    /// (`#[monitor]`) makes no transaction of its own: its job is usually a
    /// `#[transaction(op = "task")]`, reported as `task`.
    pub(crate) fn of_callsite(cs: &Callsite) -> Source {
        let derived = cs
            .name
            .strip_prefix(cs.module)
            .and_then(|rest| rest.strip_prefix("::"))
            == Some(cs.function);
        match (cs.op, derived) {
            ("task", _) => Source::Task,
            (_, true) => Source::Component,
            (_, false) => Source::Custom,
        }
    }
}

/// Marks an event with the source of its transaction's name (`transaction_info`, as
/// sentry-python's scope puts it on every event captured in a transaction), unless it has
/// vigil's entry already.
pub(crate) fn mark_event(event: &mut Event<'static>, source: Source) {
    if !event.contexts.get(key()).is_some_and(is_ours) {
        event.contexts.insert(key().into(), entry(Some(source), []));
    }
}

/// The number that marks vigil's own entry, drawn once per process.
fn nonce() -> &'static str {
    static NONCE: OnceLock<String> = OnceLock::new();
    NONCE.get_or_init(|| {
        let n = std::collections::hash_map::RandomState::new().hash_one(std::process::id());
        format!("{n:016x}")
    })
}

/// The reserved entry for an item: its transaction's name source, and the origins of its
/// spans that are not [`MANUAL`] (every other span of a vigil transaction is).
pub(crate) fn entry(
    source: Option<Source>,
    origins: impl IntoIterator<Item = (SpanId, &'static str)>,
) -> Context {
    let mut map = Map::new();
    map.insert("nonce".into(), Value::from(nonce()));
    if let Some(source) = source {
        map.insert("source".into(), Value::from(source.as_str()));
    }
    let origins: serde_json::Map<String, Value> = origins
        .into_iter()
        .map(|(id, origin)| (id.to_string(), Value::from(origin)))
        .collect();
    map.insert("span_origins".into(), Value::Object(origins));
    Context::Other(map)
}

/// Is `context` vigil's own entry (not a user's context of the same name)?
fn is_ours(context: &Context) -> bool {
    matches!(context, Context::Other(map) if map.get("nonce").and_then(Value::as_str) == Some(nonce()))
}

/// Takes vigil's entry out of `contexts` (a user's context of the same name stays).
pub(crate) fn take(contexts: &mut Map<String, Context>) -> Option<Context> {
    if contexts.get(key()).is_some_and(is_ours) {
        contexts.remove(key())
    } else {
        None
    }
}

/// Puts an entry [`take`] took back.
pub(crate) fn put_back(contexts: &mut Map<String, Context>, entry: Option<Context>) {
    if let Some(entry) = entry {
        contexts.insert(key().into(), entry);
    }
}

/// Does any event or transaction of `envelope` carry vigil's entry?
fn carries(envelope: &Envelope) -> bool {
    envelope.items().any(|item| match item {
        EnvelopeItem::Event(e) => e.contexts.get(key()).is_some_and(is_ours),
        EnvelopeItem::Transaction(t) => t.contexts.get(key()).is_some_and(is_ours),
        _ => false,
    })
}

/// `envelope` without vigil's entries: what a user's own transport and the readable view
/// get (typed items, without `transaction_info` and span origins).
pub(crate) fn strip(envelope: Envelope) -> Envelope {
    if !carries(&envelope) {
        return envelope;
    }
    let mut out = Envelope::new().with_headers(envelope.headers().clone());
    for mut item in envelope.into_items() {
        match &mut item {
            EnvelopeItem::Event(e) => drop(take(&mut e.contexts)),
            EnvelopeItem::Transaction(t) => drop(take(&mut t.contexts)),
            _ => {}
        }
        out.add_item(item);
    }
    out
}

/// An event's or transaction's JSON as it goes on the wire (vigil's entry turned into its
/// fields, as [`to_writer`] writes it); `None` for other items. For the readable copies (the
/// test capture, the JSON spool): it writes the item and reads it back.
pub(crate) fn item_json(item: &EnvelopeItem) -> Option<Value> {
    let (_, body) = item_body(item)?.ok()?;
    serde_json::from_slice(&body).ok()
}

/// Writes `envelope` as `Envelope::to_writer` does, with vigil's entry of each event and
/// transaction turned into its fields: `transaction_info.source` at the top, `origin` on
/// each span (those the entry names, [`MANUAL`] for the others).
///
/// Each item is written by its typed `Serialize`, straight to bytes, through a serializer
/// that leaves the entry out of its contexts, writes the spans with their origins and adds
/// `transaction_info` at the end ([`json`]). (Through a `serde_json::Value`, edited and
/// written out, a transaction cost 2.7 times as much.) The envelope is only read.
pub(crate) fn to_writer(envelope: &Envelope, out: &mut Vec<u8>) -> std::io::Result<()> {
    if !carries(envelope) {
        return envelope.to_writer(out);
    }
    serde_json::to_writer(&mut *out, envelope.headers())?;
    out.push(b'\n');
    envelope.items().try_for_each(|item| write_item(item, out))
}

/// One item of an envelope that carries vigil's entry (see [`to_writer`]).
fn write_item(item: &EnvelopeItem, out: &mut Vec<u8>) -> std::io::Result<()> {
    if let Some(written) = item_body(item) {
        let (ty, body) = written?;
        writeln!(out, r#"{{"type":"{ty}","length":{}}}"#, body.len())?;
        out.extend_from_slice(&body);
        out.push(b'\n');
        return Ok(());
    }
    match item {
        // An attachment as the `sentry` crate writes it (without copying its buffer).
        EnvelopeItem::Attachment(attachment) => {
            attachment.to_writer(&mut *out)?;
            out.push(b'\n');
        }
        // Any other item (small) exactly as the `sentry` crate writes it: alone in an
        // envelope of no headers, whose header line (`{}`) is left out.
        other => {
            let mut single = Envelope::new();
            single.add_item(other.clone());
            let mut bytes = Vec::new();
            single.to_writer(&mut bytes)?;
            let start = bytes.iter().position(|&b| b == b'\n').map_or(0, |i| i + 1);
            out.extend_from_slice(&bytes[start..]);
        }
    }
    Ok(())
}

/// An event's or a transaction's type and JSON, vigil's entry turned into its fields.
/// `None` for other items.
fn item_body(item: &EnvelopeItem) -> Option<std::io::Result<(&'static str, Vec<u8>)>> {
    let (ty, item, contexts) = match item {
        EnvelopeItem::Transaction(t) => ("transaction", json::Item::Transaction(t), &t.contexts),
        EnvelopeItem::Event(e) => ("event", json::Item::Event(e), &e.contexts),
        _ => return None,
    };
    let written = match contexts.get(key()).filter(|c| is_ours(c)) {
        // Not vigil's: no fields to add.
        None => match item {
            json::Item::Transaction(t) => serde_json::to_vec(t),
            json::Item::Event(e) => serde_json::to_vec(e),
        },
        Some(entry) => {
            let mut body = Vec::with_capacity(1024 + 512 * item.spans().len());
            let out = json::ItemOut {
                item,
                entry_key: key(),
                origins: entry_field(entry, "span_origins").and_then(Value::as_object),
                source: entry_field(entry, "source"),
            };
            serde_json::to_writer(&mut body, &out).map(|()| body)
        }
    };
    Some(written.map(|body| (ty, body)).map_err(Into::into))
}

/// A field of vigil's entry.
fn entry_field<'a>(entry: &'a Context, name: &str) -> Option<&'a Value> {
    match entry {
        Context::Other(map) => map.get(name),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::draw::Draw;
    use super::*;
    use sentry::protocol::{Event, Span, Transaction};
    use std::collections::HashMap;

    fn transaction() -> Transaction<'static> {
        let mut tx = Transaction {
            name: Some("GET /users/{id}".into()),
            ..Default::default()
        };
        for id in [1u64, 2] {
            tx.spans.push(Span {
                span_id: SpanId::from(id.to_be_bytes()),
                ..Default::default()
            });
        }
        tx.contexts.insert(
            key().into(),
            entry(
                Some(Source::Route),
                [(SpanId::from(2u64.to_be_bytes()), "auto.db.sqlx")],
            ),
        );
        tx
    }

    fn written(envelope: &Envelope) -> Vec<(String, Value)> {
        let mut bytes = Vec::new();
        to_writer(envelope, &mut bytes).unwrap();
        // The envelope's headers as the `sentry` crate writes them.
        let first_line = |bytes: &[u8]| bytes.split(|&b| b == b'\n').next().unwrap().to_vec();
        let mut theirs = Vec::new();
        envelope.to_writer(&mut theirs).unwrap();
        assert_eq!(first_line(&bytes), first_line(&theirs));
        let parsed = Envelope::from_slice(&bytes).unwrap();
        assert_eq!(parsed.items().count(), envelope.items().count());
        crate::transport::raw_items(&Envelope::from_bytes_raw(bytes).unwrap()).1
    }

    #[test]
    fn the_writer_turns_the_entry_into_fields() {
        let mut envelope = Envelope::new();
        envelope.add_item(transaction());
        let mut event = Event::default();
        event
            .contexts
            .insert(key().into(), entry(Some(Source::Task), []));
        envelope.add_item(event);
        envelope.add_item(EnvelopeItem::ClientReport(sentry::protocol::ClientReport::new(Vec::<sentry::protocol::client_report::Item>::new())));
        let items = written(&envelope);
        let types: Vec<&str> = items.iter().map(|(t, _)| t.as_str()).collect();
        assert_eq!(types, ["transaction", "event", "client_report"]);
        let tx = &items[0].1;
        assert_eq!(tx["transaction_info"]["source"], "route");
        assert_eq!(tx["spans"][0]["origin"], "manual");
        assert_eq!(tx["spans"][1]["origin"], "auto.db.sqlx");
        assert!(tx["contexts"].get(key()).is_none());
        assert_eq!(items[1].1["transaction_info"]["source"], "task");
        assert!(items[1].1["contexts"].get(key()).is_none());
    }

    #[test]
    fn other_items_are_written_byte_for_byte_as_the_sentry_crate_writes_them() {
        let mut event = Event::default();
        event
            .contexts
            .insert(key().into(), entry(Some(Source::Task), []));
        let mut envelope = Envelope::new();
        envelope.add_item(event);
        envelope.add_item(sentry::protocol::Attachment {
            buffer: b"line one\0\xffbinary".to_vec(),
            filename: "dump.bin".into(),
            content_type: Some("application/octet-stream".into()),
            ty: None,
        });
        envelope.add_item(EnvelopeItem::ClientReport(
            sentry::protocol::ClientReport::new([sentry::protocol::client_report::Item::new(
                sentry::protocol::client_report::Category::Transaction,
                sentry::protocol::client_report::Reason::QueueOverflow,
                3,
            )]),
        ));
        let mut ours = Vec::new();
        to_writer(&envelope, &mut ours).unwrap();
        let mut theirs = Vec::new();
        strip(envelope).to_writer(&mut theirs).unwrap();
        // After the header line and the event's two lines, the same bytes.
        let after_event = |bytes: &[u8]| {
            let mut lines = 0;
            let at = bytes
                .iter()
                .position(|&b| {
                    lines += usize::from(b == b'\n');
                    lines == 3
                })
                .unwrap();
            bytes[at + 1..].to_vec()
        };
        assert_eq!(after_event(&ours), after_event(&theirs));
        assert!(!after_event(&ours).is_empty());
    }

    #[test]
    fn a_users_context_of_the_same_name_stays_a_context() {
        let theirs = || {
            let mut map = Map::new();
            map.insert("source".into(), Value::from("url"));
            Context::Other(map)
        };
        // Alone: written as an ordinary context, no fields from it.
        let mut tx = Transaction::default();
        tx.contexts.insert(PREFIX.into(), theirs());
        let mut envelope = Envelope::new();
        envelope.add_item(tx);
        let items = written(&envelope);
        assert!(items[0].1.get("transaction_info").is_none());
        assert_eq!(items[0].1["contexts"][PREFIX]["source"], "url");
        let stripped = strip(envelope);
        let Some(EnvelopeItem::Transaction(tx)) = stripped.items().next() else {
            panic!()
        };
        assert!(tx.contexts.contains_key(PREFIX));
        let mut contexts = tx.contexts.clone();
        assert!(take(&mut contexts).is_none());
        // Beside vigil's own entry: both kept apart, the fields from vigil's.
        let mut tx = transaction();
        tx.contexts.insert(PREFIX.into(), theirs());
        let mut envelope = Envelope::new();
        envelope.add_item(tx);
        let items = written(&envelope);
        assert_eq!(items[0].1["transaction_info"]["source"], "route");
        assert_eq!(items[0].1["contexts"][PREFIX]["source"], "url");
        assert!(items[0].1["contexts"].get(key()).is_none());
        let Some(EnvelopeItem::Transaction(tx)) = strip(envelope).items().next().cloned() else {
            panic!()
        };
        assert!(tx.contexts.contains_key(PREFIX));
        assert!(!tx.contexts.contains_key(key()));
    }

    #[test]
    fn a_context_under_the_reserved_key_but_not_vigils_is_written_as_a_context() {
        let foreign = || {
            let mut map = Map::new();
            map.insert("nonce".into(), Value::from("not this process's"));
            map.insert("source".into(), Value::from("url"));
            Context::Other(map)
        };
        let mut event = Event::default();
        event.contexts.insert(key().into(), foreign());
        let mut tx = Transaction::default();
        tx.contexts.insert(key().into(), foreign());
        let mut envelope = Envelope::new();
        // Beside an item with vigil's own entry, so the envelope is written by vigil.
        envelope.add_item(transaction());
        envelope.add_item(event);
        envelope.add_item(tx);
        let items = written(&envelope);
        assert_eq!(items[0].1["transaction_info"]["source"], "route");
        for (_, item) in &items[1..] {
            assert!(item.get("transaction_info").is_none(), "{item}");
            assert_eq!(item["contexts"][key()]["source"], "url");
        }
        for item in envelope.items().skip(1) {
            let json = item_json(item).unwrap();
            assert!(json.get("transaction_info").is_none());
            assert_eq!(json["contexts"][key()]["nonce"], "not this process's");
        }
    }

    /// The reference the writer is held to: vigil's entry in an event's or transaction's JSON
    /// (a `serde_json::Value`) turned into the fields it stands for:
    /// `transaction_info.source` at the top, `origin` on each span (those it names, [`MANUAL`]
    /// for the others). Without the entry the payload is left as it is.
    fn apply(payload: &mut Value) {
        let Some(contexts) = payload.get_mut("contexts").and_then(Value::as_object_mut) else {
            return;
        };
        let ours = contexts
            .get(key())
            .and_then(|c| c.get("nonce"))
            .and_then(Value::as_str)
            == Some(nonce());
        if !ours {
            return;
        }
        let Some(Value::Object(entry)) = contexts.remove(key()) else {
            return;
        };
        let Some(top) = payload.as_object_mut() else {
            return;
        };
        if let Some(source) = entry.get("source") {
            let mut info = serde_json::Map::new();
            info.insert("source".into(), source.clone());
            top.entry("transaction_info").or_insert(Value::Object(info));
        }
        let Some(Value::Array(spans)) = top.get_mut("spans") else {
            return;
        };
        let origins: HashMap<&str, &Value> = match entry.get("span_origins") {
            Some(Value::Object(map)) => map.iter().map(|(k, v)| (k.as_str(), v)).collect(),
            _ => HashMap::new(),
        };
        for span in spans.iter_mut().filter_map(Value::as_object_mut) {
            let origin = span
                .get("span_id")
                .and_then(Value::as_str)
                .and_then(|id| origins.get(id))
                .map_or_else(|| Value::from(MANUAL), |v| (*v).clone());
            span.insert("origin".into(), origin);
        }
    }

    impl Draw {
        /// Text with the names of the fields the writer writes itself, and JSON's syntax.
        fn names_text(&mut self) -> String {
            const PIECES: [&str; 10] = [
                "spans",
                "\"spans\":[]",
                "\\",
                "\"",
                "{",
                "]",
                "origin",
                "ü",
                "",
                "a,b:c",
            ];
            self.pieces(&PIECES, 4)
        }
    }

    #[test]
    fn the_writer_writes_what_the_json_path_does_for_generated_items() {
        let mut draw = Draw(0x9e37_79b9_7f4a_7c15);
        for _ in 0..400 {
            let mut tx = Transaction {
                name: Some(draw.names_text()),
                ..Default::default()
            };
            // Keys and text named like the fields the writer writes itself (`spans`,
            // `origin`), deeper down and in strings: written as they are.
            for _ in 0..draw.next(3) {
                tx.extra
                    .insert(draw.names_text(), Value::from(draw.names_text()));
                tx.tags.insert(draw.names_text(), draw.names_text());
            }
            if draw.next(2) == 0 {
                tx.extra.insert("spans".into(), serde_json::json!([]));
            }
            let mut origins = Vec::new();
            for id in 0..draw.next(5) {
                let span_id = SpanId::from((id + 1).to_be_bytes());
                let mut span = Span {
                    span_id,
                    description: Some(draw.names_text()),
                    ..Default::default()
                };
                span.data
                    .insert(draw.names_text(), Value::from(draw.names_text()));
                tx.spans.push(span);
                if draw.next(2) == 0 {
                    origins.push((span_id, "auto.db.sqlx"));
                }
            }
            let source = [None, Some(Source::Route), Some(Source::Task)][draw.next(3) as usize];
            if draw.next(4) > 0 {
                tx.contexts.insert(key().into(), entry(source, origins));
            }
            let mut event = Event {
                message: Some(draw.names_text()),
                ..Default::default()
            };
            if draw.next(2) == 0 {
                event.contexts.insert(key().into(), entry(source, []));
            }
            let mut envelope = Envelope::new();
            envelope.add_item(tx);
            envelope.add_item(event);
            if draw.next(2) == 0 {
                // Headers without an event id: written as they are.
                envelope = envelope.with_headers(sentry::protocol::EnvelopeHeaders::new());
            }
            let items = written(&envelope);
            // The JSON path leaves `contexts` empty where vigil's entry was alone; the typed
            // item, written without it, leaves an empty map out (as it always does).
            let expected: Vec<Value> = envelope
                .items()
                .filter_map(|item| match item {
                    EnvelopeItem::Transaction(t) => serde_json::to_value(t).ok(),
                    EnvelopeItem::Event(e) => serde_json::to_value(e).ok(),
                    _ => None,
                })
                .map(|mut v| {
                    apply(&mut v);
                    if v["contexts"] == serde_json::json!({}) {
                        v.as_object_mut().map(|o| o.remove("contexts"));
                    }
                    // Through text and back, as the written items were (serde_json reads
                    // a float back to within a unit in the last place).
                    serde_json::from_slice(&serde_json::to_vec(&v).unwrap()).unwrap()
                })
                .collect();
            let got: Vec<Value> = items.into_iter().map(|(_, v)| v).collect();
            assert_eq!(got, expected);
        }
    }
}
