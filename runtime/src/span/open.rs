//! Open spans: a transaction's root or a child with its tags and data ([`OpenSpan`]), and the
//! lighter child span of a sync monitored function, current from the moment it opens
//! ([`ChildSpan`]).

use std::borrow::Cow;
use std::sync::Arc;

use sentry::protocol::{SpanStatus, TraceId, Value};
use sentry::Hub;

use super::current::{self, Current, Entered, Opened};
use super::record::{
    thread_data, thread_of_record, thread_off, Args, SpanData, SpanName, SpanRecord, Text, Timing,
};
use super::tx::TxShared;
use super::{clock, RemoteParent};
use crate::callsite::Callsite;
use crate::state;

/// An open span: a transaction's root, or a child within a sampled transaction.
pub(crate) struct OpenSpan {
    pub(crate) tx: Arc<TxShared>,
    pub(crate) id: u64,
    parent: u64,
    /// `None` for a transaction's root (named by the transaction).
    name: Option<SpanName>,
    start_raw: u64,
    /// The thread it started on.
    thread: u32,
    pub(crate) status: Option<SpanStatus>,
    data: SpanData,
}

/// Where a new transaction's trace comes from.
pub(crate) enum TraceParent<'a> {
    /// A new trace.
    New,
    /// The trace of a span in this process.
    Local(&'a Current),
    /// The trace of a caller in another process.
    Remote(&'a RemoteParent),
}

fn new_trace_id() -> TraceId {
    let hi = state::next_u64().to_be_bytes();
    let lo = state::next_u64().to_be_bytes();
    let mut bytes = [0u8; 16];
    bytes[..8].copy_from_slice(&hi);
    bytes[8..].copy_from_slice(&lo);
    TraceId::from(bytes)
}

impl OpenSpan {
    /// Starts a new transaction in `parent`'s trace.
    ///
    /// `None` when no enabled client is bound, or tracing is off (rate 0).
    pub(crate) fn start_transaction(
        name: Cow<'static, str>,
        op: Cow<'static, str>,
        rate_override: Option<f32>,
        parent: TraceParent<'_>,
    ) -> Option<OpenSpan> {
        let hub = Hub::current();
        let client = hub.client()?;
        if !client.is_enabled() {
            return None;
        }
        crate::hooks::transaction_starts();
        let global_rate = traces_rate(&client);
        if global_rate <= 0.0 {
            // Tracing is off: no transaction at all, whatever the call site asks for.
            return None;
        }
        let sample_rate = rate_override.unwrap_or(global_rate);
        let (trace_id, parent_span_id, sampled) = match parent {
            TraceParent::Local(p) => (p.tx.trace_id, Some(p.span_id), p.tx.sampled),
            // Continues the caller's trace; its sampling decision, when it made one, stands.
            TraceParent::Remote(r) => (
                r.trace_id,
                Some(r.parent_span_id),
                r.sampled.unwrap_or_else(|| state::sample(sample_rate)),
            ),
            TraceParent::New => (new_trace_id(), None, state::sample(sample_rate)),
        };
        let id = state::span_id();
        let tx = Arc::new(TxShared::new(
            trace_id,
            id,
            parent_span_id,
            sampled,
            sample_rate,
            name,
            op,
            hub,
        ));
        let start_raw = tx.start_raw;
        let thread = tx.thread;
        Some(OpenSpan {
            tx,
            id,
            parent: parent_span_id.unwrap_or(0),
            name: None,
            start_raw,
            thread,
            status: None,
            data: SpanData::default(),
        })
    }

    /// Starts a child span of `parent`; `None` when its transaction is not sampled.
    pub(crate) fn start_child(parent: &Current, name: SpanName) -> Option<OpenSpan> {
        if !parent.tx.sampled {
            return None;
        }
        Some(OpenSpan {
            tx: Arc::clone(&parent.tx),
            id: state::span_id(),
            parent: parent.span_id,
            name: Some(name),
            start_raw: clock::now_raw(),
            thread: super::thread::current(),
            status: None,
            data: SpanData::default(),
        })
    }

    pub(crate) fn is_recording(&self) -> bool {
        self.tx.sampled
    }

    /// Is this span its transaction's root?
    #[allow(dead_code)] // for integrations
    pub(crate) fn is_root(&self) -> bool {
        self.name.is_none()
    }

    /// This span, as the current span to enter.
    pub(crate) fn as_current(&self) -> Current {
        Current::new(Arc::clone(&self.tx), self.id)
    }

    pub(crate) fn set_tag(&mut self, key: impl Into<Text>, value: String) {
        self.data.set_tag(key.into(), value);
    }

    pub(crate) fn set_data(&mut self, key: impl Into<Text>, value: Value) {
        self.data.set_data(key.into(), value);
    }

    /// What made the span (Sentry's `origin`), when an integration did (`auto.http.axum`):
    /// a transaction's on its trace context, a child's with its record.
    #[allow(dead_code)] // for integrations
    pub(crate) fn set_origin(&mut self, origin: &'static str) {
        if self.is_root() {
            self.tx.set_origin(origin);
        } else {
            self.data.set_origin(origin);
        }
    }

    /// Finishes the span: a child goes into its transaction's buffer; a root sends the
    /// transaction. `status` is used unless one was set explicitly.
    pub(crate) fn finish(self, status: SpanStatus) {
        let status = self.status.unwrap_or(status);
        let end_raw = clock::now_raw();
        // A child's.
        let timing = Timing {
            start_raw: self.start_raw,
            end_raw,
            thread: thread_of_record(self.thread, self.tx.thread),
        };
        match self.name {
            None => {
                // The transaction's thread, on its trace context (its spans name theirs only
                // when they ran on another).
                let mut data = self.data;
                if self.tx.sampled {
                    for (key, value) in thread_data(self.thread) {
                        data.set_data(Text::from(key), value);
                    }
                }
                let (tags, data) = data.into_lists();
                self.tx.finish(status, end_raw, tags, data)
            }
            // A monitored function's span with only its arguments (the common case): its
            // record is built in its transaction's buffer directly.
            Some(SpanName::Callsite(cs)) if self.data.is_statics_only() => {
                let mut data = self.data;
                self.tx
                    .push_callsite(self.id, self.parent, cs, timing, status, data.statics_mut());
            }
            Some(name) => {
                let (record, mut args) =
                    SpanRecord::from_data(self.id, self.parent, name, timing, status, self.data);
                self.tx.push(record, &mut args);
            }
        }
    }
}

/// Where [`open`] may open a span.
pub(crate) enum Here<'a> {
    /// Only as a child of the current span (an outgoing HTTP request): nothing without one.
    #[allow(dead_code)] // not every build has the HTTP client integration
    ChildOnly,
    /// A child of the current span, or a transaction when there is none (a GraphQL
    /// operation; `#[transaction]` functions, which look first, use [`open_root`]).
    #[allow(dead_code)] // not every build has the GraphQL integration
    ChildOrTransaction { sample_rate: Option<f32> },
    /// Always a transaction, continuing the current span's trace when there is one
    /// ([`crate::start_transaction`]).
    Transaction,
    /// Always a transaction, of the caller's trace or a new one, never of the current span's
    /// (a server's request).
    #[allow(dead_code)] // not every build has an HTTP server integration
    Request(Option<&'a RemoteParent>),
}

/// The client's traces sample rate; at 0 tracing is off (no transaction is started).
pub(crate) fn traces_rate(client: &sentry::Client) -> f32 {
    match client.options().traces_sampling_strategy {
        sentry::TracesSamplingStrategy::FixedRate(rate) => rate,
        _ => 0.0,
    }
}

/// Opens a span named `name` here: deciding between a child span, a transaction and nothing
/// (for every caller but the monitored functions' guard and async span, which make the same
/// decision inline from one read of the current span). `None` when nothing is recorded
/// (disabled, no current span for a child, tracing off); a child of an unsampled transaction
/// is nothing too.
pub(crate) fn open(name: SpanName, here: Here<'_>) -> Option<OpenSpan> {
    match here {
        Here::Request(remote) => {
            let parent = remote.map_or(TraceParent::New, TraceParent::Remote);
            open_root(name, None, parent)
        }
        Here::Transaction => {
            let parent = current::with_current(|c| c.cloned());
            let parent = parent.as_ref().map_or(TraceParent::New, TraceParent::Local);
            open_root(name, None, parent)
        }
        Here::ChildOnly | Here::ChildOrTransaction { .. } => {
            // One look at the current span decides: none, not sampled, or a child to record.
            let (decided, name) = current::with_current(move |c| match c {
                Some(c) => (Some(OpenSpan::start_child(c, name)), None),
                None => (None, Some(name)),
            });
            match (decided, name, here) {
                (Some(child), ..) => child,
                (None, Some(name), Here::ChildOrTransaction { sample_rate }) => {
                    open_root(name, sample_rate, TraceParent::New)
                }
                _ => None,
            }
        }
    }
}

/// Opens a transaction named `name` in `parent`'s trace: [`open`]'s half for callers that
/// know already there is no current span (a `#[transaction]` function found none), so the
/// thread's state is not looked at twice. A callsite's tags go on the transaction.
pub(crate) fn open_root(
    name: SpanName,
    sample_rate: Option<f32>,
    parent: TraceParent<'_>,
) -> Option<OpenSpan> {
    match name {
        SpanName::Callsite(cs) => {
            let mut span = OpenSpan::start_transaction(
                Cow::Borrowed(cs.name),
                Cow::Borrowed(cs.op),
                sample_rate,
                parent,
            )?;
            span.tx.set_source(crate::wire::Source::of_callsite(cs));
            // A child span gets its callsite's tags when it is sent (`SpanRecord`); a
            // transaction's root has no callsite there.
            for (key, value) in cs.tags {
                span.set_tag(*key, (*value).to_owned());
            }
            Some(span)
        }
        SpanName::Owned(b) => {
            let (op, description) = *b;
            OpenSpan::start_transaction(
                Cow::Owned(description),
                Cow::Owned(op),
                sample_rate,
                parent,
            )
        }
    }
}

/// A child span of the current span of a sync function, made current in the same step as it
/// is created. It holds no reference to its transaction of its own: the parent span it
/// replaced as current (kept in `entered`) belongs to the same transaction.
pub(crate) struct ChildSpan {
    cs: &'static Callsite,
    start_raw: u64,
    data: Args,
    entered: Entered,
}

/// What [`ChildSpan::enter`] found.
pub(crate) enum Child {
    /// No current span.
    NoCurrent,
    /// The current transaction is not sampled: nothing below it is recorded.
    Unsampled,
    /// A recorded child span, now current.
    Open(ChildSpan),
}

impl ChildSpan {
    /// Opens a child of the current span for `cs` and makes it current.
    #[inline]
    pub(crate) fn enter(cs: &'static Callsite) -> Child {
        match current::enter_child::<{ current::caller::SYNC }>() {
            Opened::NoCurrent => Child::NoCurrent,
            Opened::Unsampled => Child::Unsampled,
            // The parent is the span `entered` replaced as current (`entered.prev`).
            Opened::Child { entered } => Child::Open(ChildSpan {
                cs,
                start_raw: clock::now_raw(),
                data: Args::default(),
                entered,
            }),
        }
    }

    #[inline]
    pub(crate) fn set_data(&mut self, key: &'static str, value: Value) {
        self.data.set(key, value);
    }

    /// Records the span into its transaction and makes its parent current again. Done in
    /// place, through `&mut`: the span stays where its guard keeps it rather than being
    /// moved out first (it is large, and moving it cost more than recording it). Call it
    /// once; what it holds afterwards owns nothing.
    #[inline]
    pub(crate) fn finish(&mut self, status: SpanStatus) {
        let end_raw = clock::now_raw();
        if let Some(parent) = &self.entered.prev {
            parent.tx.push_callsite(
                self.entered.id,
                parent.span_id,
                self.cs,
                Timing {
                    start_raw: self.start_raw,
                    end_raw,
                    thread: thread_off(parent.tx.thread),
                },
                status,
                &mut self.data,
            );
        }
        current::exit_in_place::<{ current::caller::SYNC }>(&mut self.entered);
        self.data.clear();
    }
}

/// The status of a span whose code returned normally, or is unwinding from a panic.
pub(crate) fn exit_status() -> SpanStatus {
    if std::thread::panicking() {
        SpanStatus::InternalError
    } else {
        SpanStatus::Ok
    }
}
