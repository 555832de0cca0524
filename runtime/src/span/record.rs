//! What a finished child span keeps until its transaction is sent, kept small: names and
//! keys borrowed from callsites where they can be, owned only when they must.

use sentry::protocol::{self, SpanStatus, TraceId, Value};

use super::chunks::{ArgsAt, Chunks};
use crate::callsite::Callsite;

/// Spans kept per transaction; the rest are counted as dropped.
pub(crate) const MAX_SPANS: usize = 1000;

/// A key or name: borrowed from a callsite, or owned (16 bytes, against 24 for a `Cow`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Text {
    Static(&'static str),
    Owned(Box<str>),
}

impl Text {
    pub(crate) fn into_string(self) -> String {
        match self {
            Text::Static(s) => s.to_owned(),
            Text::Owned(s) => s.into_string(),
        }
    }
}

impl From<&'static str> for Text {
    fn from(s: &'static str) -> Self {
        Text::Static(s)
    }
}

impl From<String> for Text {
    fn from(s: String) -> Self {
        Text::Owned(s.into_boxed_str())
    }
}

/// A span's op and description: its callsite's (8 bytes), or owned strings.
pub(crate) enum SpanName {
    Callsite(&'static Callsite),
    Owned(Box<(String, String)>),
}

impl SpanName {
    pub(crate) fn owned(op: impl Into<String>, description: impl Into<String>) -> Self {
        SpanName::Owned(Box::new((op.into(), description.into())))
    }

    pub(crate) fn op_description(&self) -> (&str, &str) {
        match self {
            SpanName::Callsite(cs) => (cs.op, cs.name),
            SpanName::Owned(b) => (&b.0, &b.1),
        }
    }

    pub(crate) fn into_op_description(self) -> (String, String) {
        match self {
            SpanName::Callsite(cs) => (cs.op.to_owned(), cs.name.to_owned()),
            SpanName::Owned(b) => *b,
        }
    }
}

/// A span's data or tags, sized exactly: the first entry does not reserve room for four.
pub(crate) fn push_exact<K: PartialEq, V>(list: &mut Vec<(K, V)>, key: K, value: V) {
    list.retain(|(k, _)| *k != key);
    list.reserve_exact(1);
    list.push((key, value));
}

/// A span's data under callsite keys (the arguments of a monitored function) while it runs:
/// the first entry inline, so that recording it allocates nothing; the rest in a list.
#[derive(Default)]
pub(crate) struct Args {
    first: Option<(&'static str, Value)>,
    // Boxed: 8 bytes rather than 24 for what is rarely there, in what moves with every span.
    #[allow(clippy::box_collection)]
    more: Option<Box<Vec<(&'static str, Value)>>>,
}

impl Args {
    /// Sets `key` (an entry under the same key is replaced). The first entry is set inline;
    /// the rest in a call of their own.
    #[inline]
    pub(crate) fn set(&mut self, key: &'static str, value: Value) {
        // `first` is empty only while `more` is (see `remove`).
        if self.first.is_none() {
            self.first = Some((key, value));
        } else {
            self.set_more(key, value);
        }
    }

    #[inline(never)]
    fn set_more(&mut self, key: &'static str, value: Value) {
        match &mut self.first {
            Some((k, v)) if *k == key => *v = value,
            _ => push_exact(self.more.get_or_insert_with(Box::default), key, value),
        }
    }

    /// Drops what is left: after [`move_out`](Self::move_out), normally nothing.
    #[inline]
    pub(crate) fn clear(&mut self) {
        if self.first.is_some() || self.more.is_some() {
            *self = Args::default();
        }
    }

    /// Removes the entry under `key`, if there is one.
    fn remove(&mut self, key: &str) {
        if self.first.as_ref().is_some_and(|(k, _)| *k == key) {
            self.first = self
                .more
                .as_mut()
                .and_then(|more| (!more.is_empty()).then(|| more.remove(0)));
        } else if let Some(more) = &mut self.more {
            more.retain(|(k, _)| *k != key);
        }
    }

    fn from_vec(list: Vec<(&'static str, Value)>) -> Self {
        let mut list = list.into_iter();
        Args {
            first: list.next(),
            more: Some(Box::new(list.collect::<Vec<_>>())).filter(|more| !more.is_empty()),
        }
    }

    fn len(&self) -> usize {
        usize::from(self.first.is_some()) + self.more.as_ref().map_or(0, |more| more.len())
    }

    fn entries(self) -> impl Iterator<Item = (&'static str, Value)> {
        self.first
            .into_iter()
            .chain(self.more.into_iter().flat_map(|more| *more))
    }

    /// Moves the entries to `values` (a transaction's list), where `record` will find them.
    #[inline]
    pub(crate) fn move_into(
        &mut self,
        values: &mut Chunks<(&'static str, Value)>,
        record: &mut SpanRecord,
    ) {
        record.args = self.move_out(values);
    }

    /// Moves the entries to `values` (a transaction's list); where they are, for their
    /// record (nowhere when there are none).
    #[inline(always)]
    pub(crate) fn move_out(&mut self, values: &mut Chunks<(&'static str, Value)>) -> ArgsAt {
        // One argument or none (the common case): no count, no list to append.
        if self.more.is_none() {
            let Some(first) = self.first.take() else {
                return ArgsAt::default();
            };
            let Some((chunk, list)) = values.room_for(1) else {
                return ArgsAt::default();
            };
            let Ok(start) = u16::try_from(list.len()) else {
                return ArgsAt::default();
            };
            list.push(first);
            return ArgsAt {
                chunk,
                start,
                len: 1,
            };
        }
        self.move_out_all(values)
    }

    #[inline(never)]
    fn move_out_all(&mut self, values: &mut Chunks<(&'static str, Value)>) -> ArgsAt {
        let n = self.len();
        // A span's data fits an `ArgsAt` (more than 65,535 keys cannot be written down).
        if n == 0 || u16::try_from(n).is_err() {
            return ArgsAt::default();
        }
        let Some((chunk, list)) = values.room_for(n) else {
            return ArgsAt::default();
        };
        // A chunk holds at most max(64, n) entries, so `start` fits too.
        let (Ok(start), Ok(len)) = (u16::try_from(list.len()), u16::try_from(n)) else {
            return ArgsAt::default();
        };
        let Some(first) = self.first.take() else {
            return ArgsAt::default();
        };
        list.push(first);
        if let Some(more) = &mut self.more {
            list.append(more);
        }
        ArgsAt { chunk, start, len }
    }
}

/// A finished child span, kept until its transaction finishes: 72 bytes, plus its data
/// under callsite keys in its transaction's list (48 bytes an entry).
pub(crate) struct SpanRecord {
    pub(crate) id: u64,
    pub(crate) parent: u64,
    pub(crate) name: SpanName,
    pub(crate) start_raw: u64,
    pub(crate) end_raw: u64,
    pub(crate) status: SpanStatus,
    /// The thread it ran on, when not its transaction's (0: its transaction's, which the
    /// transaction's trace context names).
    pub(crate) thread: u32,
    /// Where its data under callsite keys (the arguments of a monitored function) is in its
    /// transaction's list: start and length.
    pub(crate) args: ArgsAt,
    /// Tags and data under owned keys (set through the public API): rare, so boxed.
    extras: Option<Box<Extras>>,
}

#[derive(Default)]
struct Extras {
    tags: Vec<(String, String)>,
    data: Vec<(String, Value)>,
    /// What made the span when not the user's code (`auto.db.sqlx`: an integration).
    origin: Option<&'static str>,
}

/// When a span ran, in span clock readings, and where: the thread it ran on when not its
/// transaction's (0: its transaction's).
#[derive(Clone, Copy)]
pub(crate) struct Timing {
    pub(crate) start_raw: u64,
    pub(crate) end_raw: u64,
    pub(crate) thread: u32,
}

/// A span's tags, under either kind of key.
pub(crate) type Tags = Vec<(Text, String)>;
/// A span's data, under either kind of key.
pub(crate) type Data = Vec<(Text, Value)>;

/// What an open span collects while it runs: data under callsite keys (kept as they are, as a
/// record keeps them), and the rarer tags and data under owned keys.
#[derive(Default)]
pub(crate) struct SpanData {
    statics: Args,
    /// Boxed: rare, and an open span is moved around (kept within what moves without a call).
    rest: Option<Box<Rest>>,
}

#[derive(Default)]
struct Rest {
    owned: Vec<(String, Value)>,
    tags: Vec<(Text, String)>,
    origin: Option<&'static str>,
}

impl SpanData {
    pub(crate) fn set_tag(&mut self, key: Text, value: String) {
        push_exact(
            &mut self.rest.get_or_insert_with(Box::default).tags,
            key,
            value,
        );
    }

    /// Sets `key`: the last value set under a key wins, whichever kind of key it came
    /// under (a callsite's `&'static str` or an owned string of the public API).
    #[inline]
    pub(crate) fn set_data(&mut self, key: Text, value: Value) {
        match key {
            Text::Static(key) => {
                // Only when something was set under an owned key (rare): the same key there
                // gives way.
                if let Some(rest) = &mut self.rest {
                    rest.owned.retain(|(k, _)| k != key);
                }
                self.statics.set(key, value)
            }
            Text::Owned(key) => {
                let key = key.into_string();
                self.statics.remove(&key);
                push_exact(
                    &mut self.rest.get_or_insert_with(Box::default).owned,
                    key,
                    value,
                )
            }
        }
    }

    /// Whether it holds data under callsite keys only (a monitored function's arguments).
    #[inline]
    pub(crate) fn is_statics_only(&self) -> bool {
        self.rest.is_none()
    }

    /// The data under callsite keys, to move into a transaction's list.
    #[inline]
    pub(crate) fn statics_mut(&mut self) -> &mut Args {
        &mut self.statics
    }

    /// What made the span, when an integration did (see [`SpanRecord::origin`]).
    pub(crate) fn set_origin(&mut self, origin: &'static str) {
        self.rest.get_or_insert_with(Box::default).origin = Some(origin);
    }

    /// The tags, and the data under both kinds of key (callsite keys first).
    pub(crate) fn into_lists(self) -> (Tags, Data) {
        let Rest { owned, tags, .. } = self.rest.map(|r| *r).unwrap_or_default();
        let mut data = Vec::with_capacity(self.statics.len() + owned.len());
        data.extend(self.statics.entries().map(|(k, v)| (Text::Static(k), v)));
        data.extend(owned.into_iter().map(|(k, v)| (Text::from(k), v)));
        (tags, data)
    }
}

impl SpanRecord {
    /// A span with tags and data of any kind of key, made by `origin` when an integration
    /// made it.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        id: u64,
        parent: u64,
        name: SpanName,
        timing: Timing,
        status: SpanStatus,
        tags: Vec<(Text, String)>,
        data: Vec<(Text, Value)>,
        origin: Option<&'static str>,
    ) -> (Self, Args) {
        let mut statics = Vec::with_capacity(data.len());
        let mut owned = Vec::new();
        for (key, value) in data {
            match key {
                Text::Static(key) => statics.push((key, value)),
                Text::Owned(key) => owned.push((key.into_string(), value)),
            }
        }
        let data = SpanData {
            statics: Args::from_vec(statics),
            rest: (!owned.is_empty() || !tags.is_empty() || origin.is_some()).then(|| {
                Box::new(Rest {
                    owned,
                    tags,
                    origin,
                })
            }),
        };
        SpanRecord::from_data(id, parent, name, timing, status, data)
    }

    /// A span with what it collected while open: owned keys and tags boxed aside only when
    /// there are any; its data under callsite keys returned, for its transaction's list.
    #[inline]
    pub(crate) fn from_data(
        id: u64,
        parent: u64,
        name: SpanName,
        timing: Timing,
        status: SpanStatus,
        data: SpanData,
    ) -> (Self, Args) {
        let SpanData { statics, rest } = data;
        let extras = rest.map(|rest| {
            Box::new(Extras {
                tags: rest
                    .tags
                    .into_iter()
                    .map(|(k, v)| (k.into_string(), v))
                    .collect(),
                data: rest.owned,
                origin: rest.origin,
            })
        });
        let record = SpanRecord {
            id,
            parent,
            name,
            start_raw: timing.start_raw,
            end_raw: timing.end_raw,
            status,
            thread: timing.thread,
            args: ArgsAt::default(),
            extras,
        };
        (record, statics)
    }

    /// What made the span, when an integration did (`None`: the user's code, `manual`).
    pub(crate) fn origin(&self) -> Option<&'static str> {
        self.extras.as_ref().and_then(|e| e.origin)
    }

    /// A child span of a monitored function: its callsite's name and tags (its arguments go
    /// to its transaction's list).
    pub(crate) fn from_callsite(
        id: u64,
        parent: u64,
        cs: &'static Callsite,
        timing: Timing,
        status: SpanStatus,
    ) -> Self {
        SpanRecord {
            id,
            parent,
            name: SpanName::Callsite(cs),
            start_raw: timing.start_raw,
            end_raw: timing.end_raw,
            status,
            thread: timing.thread,
            args: ArgsAt::default(),
            extras: None,
        }
    }

    /// Its data under callsite keys, in its transaction's list `values`.
    pub(crate) fn args<'v>(
        &self,
        values: &'v Chunks<(&'static str, Value)>,
    ) -> &'v [(&'static str, Value)] {
        values.slice(self.args)
    }

    /// The protocol span, with times from `at` (a clock reading to a wall-clock time); its
    /// data under callsite keys taken from its transaction's list `values`.
    pub(crate) fn into_protocol(
        self,
        trace_id: TraceId,
        at: impl Fn(u64) -> std::time::SystemTime,
        values: &mut Chunks<(&'static str, Value)>,
    ) -> protocol::Span {
        let args = values.slice_mut(self.args);
        let callsite_tags = match &self.name {
            SpanName::Callsite(cs) => cs.tags,
            SpanName::Owned(_) => &[],
        };
        let (op, description) = self.name.into_op_description();
        let extras = self.extras.map(|e| *e).unwrap_or_default();
        protocol::Span {
            span_id: super::span_id(self.id),
            trace_id,
            parent_span_id: Some(super::span_id(self.parent)),
            op: Some(op),
            description: Some(description),
            timestamp: Some(at(self.end_raw)),
            start_timestamp: at(self.start_raw),
            status: Some(self.status),
            tags: callsite_tags
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .chain(extras.tags)
                .collect(),
            data: args
                .iter_mut()
                .map(|(k, v)| ((*k).to_owned(), std::mem::take(v)))
                .chain(extras.data)
                .chain(thread_data(self.thread).map(|(k, v)| (k.to_owned(), v)))
                .collect(),
            // Every field given: `..Default::default()` would draw a random span id and trace
            // id (the `sentry` crate's `Default`) only to throw them away, for every span.
            same_process_as_parent: None,
        }
    }
}

/// `thread.id` and `thread.name` of thread `number` (none for 0: the transaction's thread).
pub(crate) fn thread_data(number: u32) -> impl Iterator<Item = (&'static str, Value)> {
    // An integer, as Sentry's conventions and OpenTelemetry have it (sentry-python sends
    // a string): nothing allocated, nothing for the scrubber to read.
    let id = (number != 0).then(|| ("thread.id", Value::from(number)));
    let name = id
        .as_ref()
        .and_then(|_| super::thread::name(number))
        .map(|name| ("thread.name", Value::from(name)));
    id.into_iter().chain(name)
}

/// The thread a span of `tx_thread`'s transaction runs on now, as a record keeps it.
#[inline]
pub(crate) fn thread_off(tx_thread: u32) -> u32 {
    thread_of_record(super::thread::current(), tx_thread)
}

/// Thread `thread`, as a record of a span of `tx_thread`'s transaction keeps it: 0 when it
/// is the transaction's own (its trace context names that one).
#[inline]
pub(crate) fn thread_of_record(thread: u32, tx_thread: u32) -> u32 {
    if thread == tx_thread {
        0
    } else {
        thread
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_recorded_span_is_small() {
        // The record of a finished child span, kept until its transaction is sent.
        println!(
            "SpanRecord {} bytes, (Text, Value) {} bytes, SpanName {} bytes",
            std::mem::size_of::<SpanRecord>(),
            std::mem::size_of::<(Text, Value)>(),
            std::mem::size_of::<SpanName>()
        );
        assert!(std::mem::size_of::<SpanRecord>() <= 72);
        assert_eq!(std::mem::size_of::<(&'static str, Value)>(), 48);
    }

    /// 100 distinct callsite-like keys (leaked: a test's).
    fn keys() -> Vec<&'static str> {
        (0..100)
            .map(|i| &*Box::leak(format!("k{i}").into_boxed_str()))
            .collect()
    }

    /// Spans of 0 to 99 arguments, across chunk boundaries (chunks of 4, 8, ... 64 entries,
    /// and one larger than 64): each span finds exactly its own values again.
    #[test]
    fn each_span_gets_back_its_own_arguments_across_chunks() {
        let mut values = Chunks::default();
        let timing = Timing {
            start_raw: 0,
            end_raw: 1,
            thread: 0,
        };
        let keys = keys();
        let mut records = Vec::new();
        for (span, n) in [1usize, 3, 0, 5, 70, 1, 9, 64, 2, 99, 1, 1, 17]
            .into_iter()
            .enumerate()
        {
            let mut data = SpanData::default();
            for key in &keys[..n] {
                data.set_data(Text::Static(key), Value::from(format!("{span}:{key}")));
            }
            let (mut record, mut args) = SpanRecord::from_data(
                span as u64 + 1,
                0,
                SpanName::owned("op", "d"),
                timing,
                SpanStatus::Ok,
                data,
            );
            args.move_into(&mut values, &mut record);
            records.push((span, n, record));
        }
        for (span, n, record) in records {
            let protocol = record.into_protocol(
                TraceId::default(),
                |_| std::time::SystemTime::UNIX_EPOCH,
                &mut values,
            );
            assert_eq!(protocol.data.len(), n, "span {span}");
            for key in &keys[..n] {
                assert_eq!(protocol.data[*key], format!("{span}:{key}"), "span {span}");
            }
        }
    }

    /// The last value set under a key wins, whichever kind of key it came under.
    #[test]
    fn the_last_value_set_under_a_key_wins() {
        let mut data = SpanData::default();
        data.set_data(Text::Static("a"), Value::from(1));
        data.set_data(Text::from("a".to_owned()), Value::from(2));
        data.set_data(Text::from("b".to_owned()), Value::from(1));
        data.set_data(Text::Static("b"), Value::from(2));
        data.set_data(Text::Static("c"), Value::from(1));
        data.set_data(Text::Static("d"), Value::from(1));
        data.set_data(Text::from("c".to_owned()), Value::from(2));
        let (_, list) = data.into_lists();
        let map: std::collections::BTreeMap<String, Value> = list
            .into_iter()
            .map(|(k, v)| (k.into_string(), v))
            .collect();
        let expected: std::collections::BTreeMap<String, Value> =
            [("a", 2), ("b", 2), ("c", 2), ("d", 1)]
                .into_iter()
                .map(|(k, v)| (k.to_owned(), Value::from(v)))
                .collect();
        assert_eq!(map, expected);
    }
}
