//! An event's or a transaction's JSON with vigil's entry turned into its fields, in one
//! pass: the typed item's own `Serialize`, run through a [`Serializer`] that writes some of
//! its top-level fields itself and adds `transaction_info` before the object closes. The
//! item is only read (the entry is left out as the contexts are written).
//!
//! The spans are most of a transaction, and `sentry-types` writes each of their three ids
//! through two `String`s (`#[serde(into = "String")]` over `Display`) and each time through
//! a `String` from the `time` crate. vigil writes these fields itself:
//!
//! - `spans`: each span with its `origin`; the trace id and the parents' ids, which spans
//!   share, written out once;
//! - `contexts`: without vigil's entry (left out when nothing else is there), a trace
//!   context with those same ids (any other context as `sentry-types` writes it);
//! - a transaction's `timestamp`, and each span's: RFC 3339 from a little calendar
//!   arithmetic on the stack;
//! - `sdk`: the same on every item, written once per thread and kept.
//!
//! Each is byte for byte what `sentry-types` writes (the tests hold them to its bytes on
//! generated events and transactions); every other field is written by `sentry-types`' own
//! `Serialize`. Only `serde_json`'s compact writer writes these types (`wire::to_writer`,
//! `wire::item_json`): the kept SDK goes in as a `RawValue`, which only it reads as JSON,
//! and which stays compact.

use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;
use std::time::SystemTime;

use sentry::protocol::{
    ClientSdkInfo, Context, Event, Map, Span, SpanId, TraceContext, TraceId, Transaction, Value,
};
use serde::ser::{Impossible, Serialize, SerializeMap, SerializeSeq, SerializeStruct, Serializer};
use serde_json::value::RawValue;

use super::time::{rfc3339, seconds, Seconds};

/// An event or a transaction.
#[derive(Clone, Copy)]
pub(super) enum Item<'a> {
    Transaction(&'a Transaction<'static>),
    Event(&'a Event<'static>),
}

impl<'a> Item<'a> {
    fn contexts(self) -> &'a Map<String, Context> {
        match self {
            Item::Transaction(t) => &t.contexts,
            Item::Event(e) => &e.contexts,
        }
    }

    fn sdk(self) -> Option<&'a ClientSdkInfo> {
        match self {
            Item::Transaction(t) => t.sdk.as_deref(),
            Item::Event(e) => e.sdk.as_deref(),
        }
    }

    /// A transaction's end, which `sentry-types` writes in RFC 3339 (an event's time it
    /// writes in seconds, as it is: `None`).
    fn end(self) -> Option<SystemTime> {
        match self {
            Item::Transaction(t) => t.timestamp,
            Item::Event(_) => None,
        }
    }

    /// A transaction's spans (an event has none).
    pub(super) fn spans(self) -> &'a [Span] {
        match self {
            Item::Transaction(t) => &t.spans,
            Item::Event(_) => &[],
        }
    }
}

/// An event or a transaction with vigil's entry turned into its fields: written as the item
/// would be without the entry, each span with its origin, and `transaction_info`.
pub(super) struct ItemOut<'a> {
    pub(super) item: Item<'a>,
    /// The key of vigil's entry in the item's contexts: left out.
    pub(super) entry_key: &'a str,
    /// Origins by span id (hex); a span not named is [`super::MANUAL`].
    pub(super) origins: Option<&'a serde_json::Map<String, Value>>,
    /// `transaction_info.source`, when the entry has one.
    pub(super) source: Option<&'a Value>,
}

impl Serialize for ItemOut<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let root = Root::of(self.item.contexts());
        let top = Top {
            inner: serializer,
            out: self,
            root: &root,
        };
        match self.item {
            Item::Transaction(t) => t.serialize(top),
            Item::Event(e) => e.serialize(top),
        }
    }
}

/// The ids of the transaction's trace context as text, written out once: every span names
/// the trace, and most have the root as their parent.
struct Root {
    trace: Option<(TraceId, String)>,
    span: Option<(SpanId, String)>,
}

impl Root {
    fn of(contexts: &Map<String, Context>) -> Root {
        match contexts.get("trace") {
            Some(Context::Trace(trace)) => Root {
                trace: Some((trace.trace_id, trace.trace_id.to_string())),
                span: Some((trace.span_id, trace.span_id.to_string())),
            },
            _ => Root {
                trace: None,
                span: None,
            },
        }
    }

    /// `id` as text, from `known` when it is there.
    fn text<'a, T: PartialEq + std::fmt::Display>(
        known: &'a Option<(T, String)>,
        id: &T,
    ) -> Cow<'a, str> {
        match known {
            Some((k, text)) if k == id => Cow::Borrowed(text),
            _ => Cow::Owned(id.to_string()),
        }
    }
}

/// The serializer the typed item writes itself to: a struct is passed on to `inner` with
/// [`TopStruct`]; an event or a transaction is never anything else.
struct Top<'a, S> {
    inner: S,
    out: &'a ItemOut<'a>,
    root: &'a Root,
}

/// The typed item's fields, passed on but for `spans`, `contexts` (without vigil's entry),
/// `timestamp` and `sdk` (see the module's documentation); `transaction_info` added at the
/// end.
struct TopStruct<'a, S> {
    inner: S,
    out: &'a ItemOut<'a>,
    root: &'a Root,
    wrote_spans: bool,
}

impl<S: SerializeStruct> SerializeStruct for TopStruct<'_, S> {
    type Ok = S::Ok;
    type Error = S::Error;

    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), S::Error> {
        let item = self.out.item;
        match (key, item.end()) {
            ("spans", _) if matches!(item, Item::Transaction(_)) => {
                self.wrote_spans = true;
                self.inner.serialize_field(key, &Spans(self.out, self.root))
            }
            ("sdk", _) => match item.sdk().and_then(sdk_json) {
                Some(json) => self.inner.serialize_field(key, &*json),
                None => self.inner.serialize_field(key, value),
            },
            // Without vigil's entry; left out when nothing else is there, as `sentry-types`
            // leaves out an empty map.
            ("contexts", _) => {
                let contexts = Contexts(self.out, self.root);
                if contexts.len() == 0 {
                    self.inner.skip_field(key)
                } else {
                    self.inner.serialize_field(key, &contexts)
                }
            }
            ("timestamp", Some(end)) => match rfc3339(end) {
                Some(text) => self.inner.serialize_field(key, text.as_str()),
                None => Err(invalid(end)),
            },
            _ => self.inner.serialize_field(key, value),
        }
    }

    fn skip_field(&mut self, key: &'static str) -> Result<(), S::Error> {
        self.inner.skip_field(key)
    }

    fn end(mut self) -> Result<S::Ok, S::Error> {
        // Should a later `sentry-types` leave an empty list out: a field of its own.
        if !self.wrote_spans && matches!(self.out.item, Item::Transaction(_)) {
            self.inner
                .serialize_field("spans", &Spans(self.out, self.root))?;
        }
        if let Some(source) = self.out.source {
            self.inner
                .serialize_field("transaction_info", &TransactionInfo { source })?;
        }
        self.inner.end()
    }
}

/// The JSON of `sdk`, written once per thread and kept while the client's SDK information
/// stays the same (it is the same on every item a client sends); `None` if it cannot be
/// written, or the thread's copy is gone (a transaction written from another thread-local's
/// destructor): then `sentry-types` writes it.
fn sdk_json(sdk: &ClientSdkInfo) -> Option<Rc<RawValue>> {
    thread_local! {
        static SDK: RefCell<Option<(ClientSdkInfo, Rc<RawValue>)>> = const { RefCell::new(None) };
    }
    SDK.try_with(|cache| {
        let mut cache = cache.try_borrow_mut().ok()?;
        if cache.as_ref().is_none_or(|(known, _)| known != sdk) {
            let json = serde_json::value::to_raw_value(sdk).ok()?;
            *cache = Some((sdk.clone(), Rc::from(json)));
        }
        cache.as_ref().map(|(_, json)| Rc::clone(json))
    })
    .ok()
    .flatten()
}

struct TransactionInfo<'a> {
    source: &'a Value,
}

impl Serialize for TransactionInfo<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut s = serializer.serialize_struct("TransactionInfo", 1)?;
        s.serialize_field("source", self.source)?;
        s.end()
    }
}

/// The item's contexts without vigil's entry, a trace context written with the ids of
/// [`Root`].
struct Contexts<'a>(&'a ItemOut<'a>, &'a Root);

impl Contexts<'_> {
    /// The contexts written (vigil's entry left out).
    fn iter(&self) -> impl Iterator<Item = (&String, &Context)> {
        let entry_key = self.0.entry_key;
        self.0
            .item
            .contexts()
            .iter()
            .filter(move |(key, _)| *key != entry_key)
    }

    fn len(&self) -> usize {
        let contexts = self.0.item.contexts();
        contexts.len() - usize::from(contexts.contains_key(self.0.entry_key))
    }
}

impl Serialize for Contexts<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let root = self.1;
        let mut map = serializer.serialize_map(Some(self.len()))?;
        for (key, context) in self.iter() {
            match context {
                Context::Trace(trace) => map.serialize_entry(key, &TraceOut { trace, root })?,
                _ => map.serialize_entry(key, context)?,
            }
        }
        map.end()
    }
}

/// A trace context as `sentry-types` writes it (`type` first: `Context` is tagged).
struct TraceOut<'a> {
    trace: &'a TraceContext,
    root: &'a Root,
}

impl Serialize for TraceOut<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        // Every field named, as in `SpanOut`.
        let TraceContext {
            span_id,
            trace_id,
            parent_span_id,
            op,
            description,
            status,
            origin,
            data,
        } = self.trace;
        let mut s = serializer.serialize_struct("TraceContext", 9)?;
        s.serialize_field("type", "trace")?;
        s.serialize_field("span_id", &Root::text(&self.root.span, span_id))?;
        s.serialize_field("trace_id", &Root::text(&self.root.trace, trace_id))?;
        if let Some(parent) = parent_span_id {
            s.serialize_field("parent_span_id", &parent.to_string())?;
        }
        if let Some(op) = op {
            s.serialize_field("op", op)?;
        }
        if let Some(description) = description {
            s.serialize_field("description", description)?;
        }
        if let Some(status) = status {
            s.serialize_field("status", status)?;
        }
        if let Some(origin) = origin {
            s.serialize_field("origin", origin)?;
        }
        if !data.is_empty() {
            s.serialize_field("data", data)?;
        }
        s.end()
    }
}

/// The spans of a transaction, each with its origin.
struct Spans<'a>(&'a ItemOut<'a>, &'a Root);

impl Serialize for Spans<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let Spans(out, root) = *self;
        let spans = out.item.spans();
        // Each span's id as text, once; a parent is most often one of them (finished
        // before or after its child) or the root.
        let ids: Vec<String> = spans.iter().map(|s| s.span_id.to_string()).collect();
        let by_id: Option<HashMap<SpanId, usize>> = (spans.len() > 16).then(|| {
            spans
                .iter()
                .enumerate()
                .map(|(i, s)| (s.span_id, i))
                .collect()
        });
        let known = |parent: SpanId| -> Option<&str> {
            if let Some((id, text)) = &root.span {
                if *id == parent {
                    return Some(text);
                }
            }
            let i = match &by_id {
                Some(map) => *map.get(&parent)?,
                None => spans.iter().position(|s| s.span_id == parent)?,
            };
            Some(&ids[i])
        };
        let mut seq = serializer.serialize_seq(Some(spans.len()))?;
        for (span, span_id) in spans.iter().zip(&ids) {
            let trace_id = Root::text(&root.trace, &span.trace_id);
            let parent = span.parent_span_id.map(|parent| match known(parent) {
                Some(text) => Cow::Borrowed(text),
                None => Cow::Owned(parent.to_string()),
            });
            seq.serialize_element(&SpanOut {
                span,
                span_id,
                trace_id: &trace_id,
                parent_span_id: parent.as_deref(),
                origin: out.origins.and_then(|o| o.get(span_id.as_str())),
            })?;
        }
        seq.end()
    }
}

/// A span as `sentry-types` writes it (its ids given as text), then `origin`
/// ([`super::MANUAL`] when `None`).
struct SpanOut<'a> {
    span: &'a Span,
    span_id: &'a str,
    trace_id: &'a str,
    parent_span_id: Option<&'a str>,
    origin: Option<&'a Value>,
}

impl Serialize for SpanOut<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        // Every field named: a field a later `sentry-types` adds does not compile here until
        // it is written too.
        let Span {
            span_id: _,
            trace_id: _,
            parent_span_id: _,
            same_process_as_parent,
            op,
            description,
            timestamp,
            start_timestamp,
            status,
            tags,
            data,
        } = self.span;
        // `sentry-types`' fields, in its order, with its rules for leaving one out.
        let mut s = serializer.serialize_struct("Span", 12)?;
        s.serialize_field("span_id", self.span_id)?;
        s.serialize_field("trace_id", self.trace_id)?;
        if let Some(parent) = self.parent_span_id {
            s.serialize_field("parent_span_id", parent)?;
        }
        if let Some(same) = same_process_as_parent {
            s.serialize_field("same_process_as_parent", same)?;
        }
        if let Some(op) = op {
            s.serialize_field("op", op)?;
        }
        if let Some(description) = description {
            s.serialize_field("description", description)?;
        }
        if let Some(end) = *timestamp {
            let text = rfc3339(end).ok_or_else(|| invalid::<S::Error>(end))?;
            s.serialize_field("timestamp", text.as_str())?;
        }
        match seconds(*start_timestamp) {
            Some(Seconds::Whole(secs)) => s.serialize_field("start_timestamp", &secs)?,
            Some(Seconds::Fraction(secs)) => s.serialize_field("start_timestamp", &secs)?,
            None => return Err(invalid(*start_timestamp)),
        }
        if let Some(status) = status {
            s.serialize_field("status", status)?;
        }
        if !tags.is_empty() {
            s.serialize_field("tags", tags)?;
        }
        if !data.is_empty() {
            s.serialize_field("data", data)?;
        }
        match self.origin {
            Some(origin) => s.serialize_field("origin", origin)?,
            None => s.serialize_field("origin", super::MANUAL)?,
        }
        s.end()
    }
}

/// `sentry-types`' error for a time it cannot write.
fn invalid<E: serde::ser::Error>(time: SystemTime) -> E {
    E::custom(format!("invalid `SystemTime` instance: {time:?}"))
}

/// What [`Top`] does with anything but a struct: an event or a transaction is always one.
fn not_a_struct<E: serde::ser::Error>() -> E {
    E::custom("an event or a transaction is written as a struct")
}

macro_rules! not_a_struct {
    ($($name:ident($($arg:ty),*) -> $ret:ty;)*) => {
        $(fn $name(self, $(_: $arg),*) -> Result<$ret, Self::Error> {
            Err(not_a_struct())
        })*
    };
}

impl<'a, S: Serializer> Serializer for Top<'a, S> {
    type Ok = S::Ok;
    type Error = S::Error;
    type SerializeSeq = Impossible<S::Ok, S::Error>;
    type SerializeTuple = Impossible<S::Ok, S::Error>;
    type SerializeTupleStruct = Impossible<S::Ok, S::Error>;
    type SerializeTupleVariant = Impossible<S::Ok, S::Error>;
    type SerializeMap = Impossible<S::Ok, S::Error>;
    type SerializeStruct = TopStruct<'a, S::SerializeStruct>;
    type SerializeStructVariant = Impossible<S::Ok, S::Error>;

    fn serialize_struct(
        self,
        name: &'static str,
        len: usize,
    ) -> Result<Self::SerializeStruct, S::Error> {
        Ok(TopStruct {
            // `transaction_info`, and `spans` should it be left out, may come in addition.
            inner: self.inner.serialize_struct(name, len + 2)?,
            out: self.out,
            root: self.root,
            wrote_spans: false,
        })
    }

    not_a_struct! {
        serialize_bool(bool) -> S::Ok;
        serialize_i8(i8) -> S::Ok;
        serialize_i16(i16) -> S::Ok;
        serialize_i32(i32) -> S::Ok;
        serialize_i64(i64) -> S::Ok;
        serialize_u8(u8) -> S::Ok;
        serialize_u16(u16) -> S::Ok;
        serialize_u32(u32) -> S::Ok;
        serialize_u64(u64) -> S::Ok;
        serialize_f32(f32) -> S::Ok;
        serialize_f64(f64) -> S::Ok;
        serialize_char(char) -> S::Ok;
        serialize_str(&str) -> S::Ok;
        serialize_bytes(&[u8]) -> S::Ok;
        serialize_none() -> S::Ok;
        serialize_unit() -> S::Ok;
        serialize_unit_struct(&'static str) -> S::Ok;
        serialize_unit_variant(&'static str, u32, &'static str) -> S::Ok;
        serialize_seq(Option<usize>) -> Self::SerializeSeq;
        serialize_tuple(usize) -> Self::SerializeTuple;
        serialize_tuple_struct(&'static str, usize) -> Self::SerializeTupleStruct;
        serialize_tuple_variant(&'static str, u32, &'static str, usize) -> Self::SerializeTupleVariant;
        serialize_map(Option<usize>) -> Self::SerializeMap;
        serialize_struct_variant(&'static str, u32, &'static str, usize) -> Self::SerializeStructVariant;
    }

    fn serialize_some<T: Serialize + ?Sized>(self, _: &T) -> Result<S::Ok, S::Error> {
        Err(not_a_struct())
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: &T,
    ) -> Result<S::Ok, S::Error> {
        Err(not_a_struct())
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<S::Ok, S::Error> {
        Err(not_a_struct())
    }
}

#[cfg(test)]
mod tests {
    use super::super::draw::Draw;
    use super::*;
    use sentry::protocol::SpanStatus;
    use std::time::Duration;

    impl Draw {
        /// Text with what JSON escapes.
        fn text(&mut self) -> String {
            self.pieces(&["a", "\"", "\\", "ü", "\n", "\u{1}", "/", ""], 5)
        }
        fn span_id(&mut self) -> SpanId {
            SpanId::from((self.next(u64::MAX) + 1).to_be_bytes())
        }
        fn trace_id(&mut self) -> TraceId {
            TraceId::from([self.next(256) as u8; 16])
        }
        fn status(&mut self) -> Option<SpanStatus> {
            const STATUSES: [SpanStatus; 4] = [
                SpanStatus::Ok,
                SpanStatus::InternalError,
                SpanStatus::Cancelled,
                SpanStatus::NotFound,
            ];
            (self.next(2) == 0).then(|| STATUSES[self.next(STATUSES.len() as u64) as usize])
        }
        fn trace(&mut self) -> TraceContext {
            let mut trace = TraceContext {
                trace_id: self.trace_id(),
                span_id: self.span_id(),
                parent_span_id: (self.next(2) == 0).then(|| self.span_id()),
                op: (self.next(2) == 0).then(|| self.text()),
                description: (self.next(3) == 0).then(|| self.text()),
                status: self.status(),
                origin: (self.next(2) == 0).then(|| self.text()),
                ..Default::default()
            };
            for _ in 0..self.next(3) {
                trace.data.insert(self.text(), Value::from(self.text()));
            }
            trace
        }
    }

    /// The key the tests give vigil's entry.
    const ENTRY: &str = "__entry";

    /// Contexts as an item may have them: a trace context (of `trace`), others around it (a
    /// trace context of other ids under another name among them), vigil's entry (now and
    /// then alone).
    fn contexts(draw: &mut Draw, trace: &TraceContext) -> Map<String, Context> {
        let mut contexts = Map::new();
        if draw.next(5) > 0 {
            contexts.insert("trace".into(), trace.clone().into());
        }
        if draw.next(2) == 0 {
            contexts.insert("a".into(), draw.trace().into());
            let mut other = Map::new();
            other.insert(draw.text(), Value::from(draw.text()));
            contexts.insert(draw.text(), Context::Other(other));
            let os = sentry::protocol::OsContext {
                name: Some(draw.text()),
                ..Default::default()
            };
            contexts.insert("os".into(), os.into());
        }
        if draw.next(4) > 0 {
            let mut entry = Map::new();
            entry.insert("nonce".into(), Value::from(draw.text()));
            contexts.insert(ENTRY.into(), Context::Other(entry));
        }
        contexts
    }

    /// The SDK's information: often the one before (kept), sometimes another.
    fn sdk(draw: &mut Draw) -> Option<Cow<'static, ClientSdkInfo>> {
        (draw.next(4) > 0).then(|| {
            Cow::Owned(ClientSdkInfo {
                name: ["sentry.rust", "a\"b", "ü"][draw.next(3) as usize].into(),
                version: "0.49.5".into(),
                integrations: (0..draw.next(3)).map(|_| draw.text()).collect(),
                packages: Vec::new(),
            })
        })
    }

    /// A transaction and the origins of some of its spans.
    fn generated(draw: &mut Draw) -> (Transaction<'static>, serde_json::Map<String, Value>) {
        let trace = draw.trace();
        let mut t = Transaction {
            name: Some(draw.text()),
            timestamp: (draw.next(4) > 0).then(|| draw.time()),
            start_timestamp: draw.time(),
            server_name: (draw.next(2) == 0).then(|| draw.text().into()),
            contexts: contexts(draw, &trace),
            sdk: sdk(draw),
            ..Default::default()
        };
        // Ids drawn first, so that a parent may come before or after its child; now and
        // then an id twice.
        let count = if draw.next(4) == 0 {
            17 + draw.next(30)
        } else {
            draw.next(14)
        } as usize;
        let mut ids: Vec<SpanId> = (0..count).map(|_| draw.span_id()).collect();
        if count > 1 && draw.next(8) == 0 {
            ids[count - 1] = ids[0];
        }
        let mut origins = serde_json::Map::new();
        for &id in &ids {
            let parent = match draw.next(4) {
                0 => None,
                1 => Some(trace.span_id),
                2 => Some(ids[draw.next(count as u64) as usize]),
                _ => Some(draw.span_id()),
            };
            let mut span = Span {
                span_id: id,
                trace_id: if draw.next(4) > 0 {
                    trace.trace_id
                } else {
                    draw.trace_id()
                },
                parent_span_id: parent,
                same_process_as_parent: [None, Some(true), Some(false)][draw.next(3) as usize],
                op: (draw.next(2) == 0).then(|| draw.text()),
                description: (draw.next(2) == 0).then(|| draw.text()),
                timestamp: (draw.next(4) > 0).then(|| draw.time()),
                start_timestamp: draw.time(),
                status: draw.status(),
                ..Default::default()
            };
            for _ in 0..draw.next(3) {
                span.tags.insert(draw.text(), draw.text());
                span.data.insert(draw.text(), Value::from(draw.next(1000)));
            }
            if draw.next(3) == 0 {
                let origin = [Value::from(draw.text()), Value::Null][draw.next(2) as usize].clone();
                origins.insert(id.to_string(), origin);
            }
            t.spans.push(span);
        }
        (t, origins)
    }

    /// What the writer is held to: `sentry-types`' own bytes for the item without vigil's
    /// entry, each span's `origin` added after its last field, `transaction_info` after the
    /// item's.
    fn reference(
        item: Item<'_>,
        origins: &serde_json::Map<String, Value>,
        source: Option<&Value>,
    ) -> Option<String> {
        let mut text = match item {
            Item::Transaction(t) => {
                let mut t = t.clone();
                t.contexts.remove(ENTRY);
                serde_json::to_string(&t).ok()?
            }
            Item::Event(e) => {
                let mut e = e.clone();
                e.contexts.remove(ENTRY);
                serde_json::to_string(&e).ok()?
            }
        };
        let mut at = text.find("\"spans\":[").unwrap_or(0);
        for span in item.spans() {
            let one = serde_json::to_string(span).ok()?;
            let found = at + text[at..].find(&one)?;
            let origin = origins
                .get(&span.span_id.to_string())
                .cloned()
                .unwrap_or_else(|| Value::from(super::super::MANUAL));
            let with = format!("{},\"origin\":{origin}}}", &one[..one.len() - 1]);
            text.replace_range(found..found + one.len(), &with);
            at = found + with.len();
        }
        if let Some(source) = source {
            text.pop();
            text.push_str(&format!(",\"transaction_info\":{{\"source\":{source}}}}}"));
        }
        Some(text)
    }

    fn write(
        item: Item<'_>,
        origins: Option<&serde_json::Map<String, Value>>,
        source: Option<&Value>,
    ) -> serde_json::Result<Vec<u8>> {
        serde_json::to_vec(&ItemOut {
            item,
            entry_key: ENTRY,
            origins,
            source,
        })
    }

    #[test]
    fn transactions_and_events_are_written_byte_for_byte_as_sentry_types_writes_them() {
        let mut draw = Draw(0x2545_f491_4f6c_dd1d);
        let sources = [None, Some(Value::from("route")), Some(Value::Null)];
        for _ in 0..600 {
            let (t, origins) = generated(&mut draw);
            let source = sources[draw.next(3) as usize].as_ref();
            let item = Item::Transaction(&t);
            let ours = String::from_utf8(write(item, Some(&origins), source).unwrap()).unwrap();
            assert_eq!(ours, reference(item, &origins, source).unwrap());

            let trace = draw.trace();
            let event = Event {
                message: Some(draw.text()),
                level: [sentry::Level::Error, sentry::Level::Info][draw.next(2) as usize],
                timestamp: draw.time(),
                contexts: contexts(&mut draw, &trace),
                sdk: sdk(&mut draw),
                transaction: (draw.next(2) == 0).then(|| draw.text()),
                ..Default::default()
            };
            let source = sources[draw.next(3) as usize].as_ref();
            let item = Item::Event(&event);
            let ours = String::from_utf8(write(item, None, source).unwrap()).unwrap();
            assert_eq!(ours, reference(item, &origins, source).unwrap());
        }
    }

    #[test]
    fn a_time_sentry_types_refuses_is_refused() {
        let epoch = SystemTime::UNIX_EPOCH;
        let before = epoch - Duration::from_secs(1);
        let after = epoch + Duration::new(253_402_300_800, 0); // 10000-01-01
        let spans = [
            Span {
                timestamp: Some(after),
                ..Default::default()
            },
            Span {
                timestamp: Some(before),
                ..Default::default()
            },
            Span {
                start_timestamp: before,
                ..Default::default()
            },
        ];
        let transactions = [
            Transaction {
                timestamp: Some(after),
                ..Default::default()
            },
            Transaction {
                timestamp: Some(before),
                ..Default::default()
            },
            Transaction {
                start_timestamp: before,
                ..Default::default()
            },
        ];
        // An event's time is written in seconds: refused only before 1970.
        let events = [before].map(|timestamp| Event {
            timestamp,
            ..Default::default()
        });
        for span in spans {
            assert!(serde_json::to_vec(&span).is_err());
            let t = Transaction {
                spans: vec![span],
                ..Default::default()
            };
            assert!(write(Item::Transaction(&t), None, None).is_err());
        }
        for t in &transactions {
            assert!(serde_json::to_vec(t).is_err());
            assert!(write(Item::Transaction(t), None, None).is_err());
        }
        for e in &events {
            assert!(serde_json::to_vec(e).is_err());
            assert!(write(Item::Event(e), None, None).is_err());
        }
        let plain = Transaction::default();
        assert!(write(Item::Transaction(&plain), None, None).is_ok());
        // Nor is anything but a struct passed through.
        let out = ItemOut {
            item: Item::Transaction(&plain),
            entry_key: ENTRY,
            origins: None,
            source: None,
        };
        let top = Top {
            inner: &mut serde_json::Serializer::new(Vec::new()),
            out: &out,
            root: &Root::of(&plain.contexts),
        };
        assert!(Serialize::serialize(&1u8, top).is_err());
    }

    #[test]
    fn a_transaction_written_as_its_thread_ends_is_written_without_the_kept_sdk() {
        // A thread-local whose destructor writes a transaction (built beforehand: building
        // one draws its id from a thread-local of its own), set before the kept SDK, so
        // destroyed after it.
        struct WritesOnDrop(Transaction<'static>, std::sync::mpsc::Sender<Vec<u8>>);
        impl Drop for WritesOnDrop {
            fn drop(&mut self) {
                let _ = self.1.send(written(&self.0));
            }
        }
        thread_local! {
            static LATE: RefCell<Option<WritesOnDrop>> = const { RefCell::new(None) };
        }
        fn written(t: &Transaction<'static>) -> Vec<u8> {
            write(Item::Transaction(t), None, None).unwrap_or_default()
        }
        let t = Transaction {
            sdk: Some(Cow::Owned(ClientSdkInfo {
                name: "sentry.rust".into(),
                version: "1".into(),
                integrations: vec!["x".into()],
                packages: Vec::new(),
            })),
            ..Default::default()
        };
        let theirs = serde_json::to_vec(&t).unwrap();
        let (send, receive) = std::sync::mpsc::channel();
        let copy = t.clone();
        let during = std::thread::spawn(move || {
            LATE.with(|late| *late.borrow_mut() = Some(WritesOnDrop(copy, send)));
            written(&t)
        })
        .join()
        .expect("the thread ends without a panic");
        let after = receive.recv().expect("written from the destructor");
        assert_eq!(during, theirs);
        assert_eq!(after, theirs);
    }
}
