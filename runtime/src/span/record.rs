//! What a finished child span keeps until its transaction is sent, kept small: names and
//! keys borrowed from callsites where they can be, owned only when they must.

use sentry::protocol::{self, SpanStatus, TraceId, Value};

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

/// A finished child span, kept until its transaction finishes: 80 bytes plus its data.
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
    /// Data under callsite keys (the arguments of a monitored function), 48 bytes an entry.
    pub(crate) data: Box<[(&'static str, Value)]>,
    /// Tags and data under owned keys (set through the public API): rare, so boxed.
    extras: Option<Box<Extras>>,
}

#[derive(Default)]
struct Extras {
    tags: Vec<(String, String)>,
    data: Vec<(String, Value)>,
}

/// When a span ran, in span clock readings, and where: the thread it ran on when not its
/// transaction's (0: its transaction's).
#[derive(Clone, Copy)]
pub(crate) struct Timing {
    pub(crate) start_raw: u64,
    pub(crate) end_raw: u64,
    pub(crate) thread: u32,
}

impl SpanRecord {
    /// A span with tags and data of any kind of key.
    pub(crate) fn new(
        id: u64,
        parent: u64,
        name: SpanName,
        timing: Timing,
        status: SpanStatus,
        tags: Vec<(Text, String)>,
        data: Vec<(Text, Value)>,
    ) -> Self {
        let mut statics = Vec::with_capacity(data.len());
        let mut extras = Extras::default();
        for (key, value) in data {
            match key {
                Text::Static(key) => statics.push((key, value)),
                Text::Owned(key) => extras.data.push((key.into_string(), value)),
            }
        }
        extras.tags = tags
            .into_iter()
            .map(|(k, v)| (k.into_string(), v))
            .collect();
        let has_extras = !extras.tags.is_empty() || !extras.data.is_empty();
        SpanRecord {
            id,
            parent,
            name,
            start_raw: timing.start_raw,
            end_raw: timing.end_raw,
            status,
            thread: timing.thread,
            data: statics.into_boxed_slice(),
            extras: has_extras.then(|| Box::new(extras)),
        }
    }

    /// A child span of a monitored function: its callsite's name and tags, its arguments.
    pub(crate) fn from_callsite(
        id: u64,
        parent: u64,
        cs: &'static Callsite,
        timing: Timing,
        status: SpanStatus,
        data: Vec<(&'static str, Value)>,
    ) -> Self {
        SpanRecord {
            id,
            parent,
            name: SpanName::Callsite(cs),
            start_raw: timing.start_raw,
            end_raw: timing.end_raw,
            status,
            thread: timing.thread,
            data: data.into_boxed_slice(),
            extras: None,
        }
    }

    /// The protocol span, with times from `at` (a clock reading to a wall-clock time).
    pub(crate) fn into_protocol(
        self,
        trace_id: TraceId,
        at: impl Fn(u64) -> std::time::SystemTime,
    ) -> protocol::Span {
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
            data: self
                .data
                .into_vec()
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v))
                .chain(extras.data)
                .chain(thread_data(self.thread).map(|(k, v)| (k.to_owned(), v)))
                .collect(),
            ..Default::default()
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
    let here = super::thread::current();
    if here == tx_thread {
        0
    } else {
        here
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
        assert!(std::mem::size_of::<SpanRecord>() <= 80);
        assert_eq!(std::mem::size_of::<(&'static str, Value)>(), 48);
    }
}
