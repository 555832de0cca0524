//! Spans and transactions.
//!
//! vigil keeps its own light span model instead of the `sentry` crate's `Transaction`/`Span`
//! objects: the current span is a thread-local (set per poll for futures), finished child
//! spans go into their transaction's buffer, and the protocol `Transaction` is built once,
//! when the transaction finishes, and handed to the client's transport. The `sentry` crate
//! still owns sending, rate limits and envelopes.

use std::borrow::Cow;
use std::cell::RefCell;
use std::sync::LazyLock;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::SystemTime;

use sentry::protocol::{
    self, DynamicSamplingContext, Envelope, EnvelopeHeaders, Map, SpanId, SpanStatus, TraceContext,
    TraceId, Value,
};
use sentry::Hub;

use crate::state;

/// The span clock: the CPU's time-stamp counter where it is reliable (a few ns a read), the
/// OS monotonic clock elsewhere. A transaction reads the wall clock once, at its start; its
/// spans' times are that plus counter deltas.
static CLOCK: LazyLock<quanta::Clock> = LazyLock::new(quanta::Clock::new);

#[inline]
pub(crate) fn now_raw() -> u64 {
    CLOCK.raw()
}

/// Calibrates the span clock now rather than in the first transaction.
pub(crate) fn warm_up_clock() {
    let _ = now_raw();
}

/// Spans kept per transaction; the rest are counted as dropped.
pub(crate) const MAX_SPANS: usize = 1000;

/// A key or name: borrowed from a callsite, or owned (16 bytes, against 24 for a `Cow`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Text {
    Static(&'static str),
    Owned(Box<str>),
}

impl Text {
    fn into_string(self) -> String {
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

/// A child span's op and description: its callsite's (8 bytes), or owned strings.
pub(crate) enum SpanName {
    Callsite(&'static crate::__private::Callsite),
    Owned(Box<(String, String)>),
}

impl SpanName {
    pub(crate) fn owned(op: &str, description: &str) -> Self {
        SpanName::Owned(Box::new((op.to_owned(), description.to_owned())))
    }

    #[cfg(feature = "sqlx")]
    fn op_description(&self) -> (&str, &str) {
        match self {
            SpanName::Callsite(cs) => (cs.op, cs.name),
            SpanName::Owned(b) => (&b.0, &b.1),
        }
    }

    fn into_op_description(self) -> (String, String) {
        match self {
            SpanName::Callsite(cs) => (cs.op.to_owned(), cs.name.to_owned()),
            SpanName::Owned(b) => *b,
        }
    }
}

/// A span's data or tags, sized exactly: the first entry does not reserve room for four.
fn push_exact<K: PartialEq, V>(list: &mut Vec<(K, V)>, key: K, value: V) {
    list.retain(|(k, _)| *k != key);
    list.reserve_exact(1);
    list.push((key, value));
}

/// What is shared by every span of one transaction.
pub(crate) struct TxShared {
    pub(crate) trace_id: TraceId,
    pub(crate) span_id: u64,
    pub(crate) parent_span_id: Option<u64>,
    pub(crate) sampled: bool,
    pub(crate) sample_rate: f32,
    pub(crate) name: Cow<'static, str>,
    pub(crate) op: Cow<'static, str>,
    pub(crate) start: SystemTime,
    /// The span clock's reading at `start`.
    start_raw: u64,
    pub(crate) hub: Arc<Hub>,
    inner: Mutex<TxInner>,
    /// sqlx commands running for this transaction on another thread (sqlx's SQLite worker).
    #[cfg(feature = "sqlx")]
    pub(crate) sql_in_flight: std::sync::atomic::AtomicU32,
}

#[derive(Default)]
struct TxInner {
    request: Option<protocol::Request>,
    spans: Vec<SpanRecord>,
    dropped_spans: usize,
    finished: bool,
}

/// A finished child span, kept until its transaction finishes: 80 bytes plus its data.
struct SpanRecord {
    id: u64,
    parent: u64,
    name: SpanName,
    start_raw: u64,
    end_raw: u64,
    status: SpanStatus,
    /// Data under callsite keys (the arguments of a monitored function), 48 bytes an entry.
    data: Box<[(&'static str, Value)]>,
    /// Tags and data under owned keys (set through the public API): rare, so boxed.
    extras: Option<Box<Extras>>,
}

#[derive(Default)]
struct Extras {
    tags: Vec<(String, String)>,
    data: Vec<(String, Value)>,
}

impl SpanRecord {
    #[allow(clippy::too_many_arguments)]
    fn new(
        id: u64,
        parent: u64,
        name: SpanName,
        start_raw: u64,
        end_raw: u64,
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
            start_raw,
            end_raw,
            status,
            data: statics.into_boxed_slice(),
            extras: has_extras.then(|| Box::new(extras)),
        }
    }

    /// A child span of a monitored function: arguments only.
    fn from_callsite(
        id: u64,
        parent: u64,
        cs: &'static crate::__private::Callsite,
        start_raw: u64,
        end_raw: u64,
        status: SpanStatus,
        data: Vec<(&'static str, Value)>,
    ) -> Self {
        SpanRecord {
            id,
            parent,
            name: SpanName::Callsite(cs),
            start_raw,
            end_raw,
            status,
            data: data.into_boxed_slice(),
            extras: None,
        }
    }
}

/// The span code is currently running in.
#[derive(Clone)]
pub(crate) struct Current {
    pub(crate) tx: Arc<TxShared>,
    pub(crate) span_id: u64,
    /// How many spans enclose it on this thread (set when it becomes current).
    depth: u32,
}

thread_local! {
    static CURRENT: RefCell<Option<Current>> = const { RefCell::new(None) };
}

/// Runs `f` with the current span, if any. Never panics (thread teardown included).
pub(crate) fn with_current<R>(f: impl FnOnce(Option<&Current>) -> R) -> R {
    let mut f = Some(f);
    let out = CURRENT.try_with(|c| match c.try_borrow() {
        Ok(c) => (f.take().expect("called once"))(c.as_ref()),
        Err(_) => (f.take().expect("called once"))(None),
    });
    match out {
        Ok(r) => r,
        Err(_) => (f.take().expect("not called yet"))(None),
    }
}

/// Is the current span part of a sampled transaction? (`None`: no current span.)
#[inline]
pub(crate) fn current_sampled() -> Option<bool> {
    CURRENT
        .try_with(|c| {
            c.try_borrow()
                .ok()
                .and_then(|c| c.as_ref().map(|c| c.tx.sampled))
        })
        .ok()
        .flatten()
}

/// What [`enter`] returns, for [`exit`].
pub(crate) struct Entered {
    id: u64,
    depth: u32,
    trace_id: TraceId,
    prev: Option<Current>,
}

/// Makes `new` the current span of this thread.
pub(crate) fn enter(mut new: Current) -> Entered {
    let (id, trace_id) = (new.span_id, new.tx.trace_id);
    let entered = CURRENT.try_with(|c| match c.try_borrow_mut() {
        Ok(mut c) => {
            new.depth = c.as_ref().map_or(0, |p| p.depth.saturating_add(1));
            let depth = new.depth;
            Some((depth, c.replace(new)))
        }
        Err(_) => None,
    });
    let (depth, prev) = entered.ok().flatten().unwrap_or((0, None));
    Entered {
        id,
        depth,
        trace_id,
        prev,
    }
}

/// Undoes [`enter`]: the previous span is current again. When something started inside this
/// span is still current (a guard dropped out of order), that goes too: it cannot outlive its
/// parent as the current span. When this span is no longer current at all (dropped on another
/// thread, or already popped), nothing changes.
pub(crate) fn exit(entered: Entered) {
    let _ = CURRENT.try_with(|c| {
        if let Ok(mut c) = c.try_borrow_mut() {
            let ours_or_inside = c.as_ref().is_some_and(|cur| {
                cur.span_id == entered.id
                    || (cur.depth > entered.depth && cur.tx.trace_id == entered.trace_id)
            });
            if ours_or_inside {
                *c = entered.prev;
            }
        }
    });
}

pub(crate) fn span_id(id: u64) -> SpanId {
    SpanId::from(id.to_be_bytes())
}

fn new_trace_id() -> TraceId {
    let hi = state::next_u64().to_be_bytes();
    let lo = state::next_u64().to_be_bytes();
    let mut bytes = [0u8; 16];
    bytes[..8].copy_from_slice(&hi);
    bytes[8..].copy_from_slice(&lo);
    TraceId::from(bytes)
}

impl Current {
    /// The trace context put on events captured while this span is current.
    pub(crate) fn trace_context(&self) -> TraceContext {
        TraceContext {
            span_id: span_id(self.span_id),
            trace_id: self.tx.trace_id,
            op: Some(self.tx.op.to_string()),
            ..Default::default()
        }
    }
}

/// An open span: a transaction's root, or a child within a sampled transaction.
pub(crate) struct OpenSpan {
    pub(crate) tx: Arc<TxShared>,
    pub(crate) id: u64,
    parent: u64,
    /// `None` for a transaction's root (named by the transaction).
    name: Option<SpanName>,
    start_raw: u64,
    pub(crate) status: Option<SpanStatus>,
    pub(crate) tags: Vec<(Text, String)>,
    pub(crate) data: Vec<(Text, Value)>,
}

impl OpenSpan {
    /// Starts a new transaction: the root of a new trace, or of `parent`'s trace.
    ///
    /// `None` when no enabled client is bound, or tracing is off (rate 0).
    pub(crate) fn start_transaction(
        name: Cow<'static, str>,
        op: Cow<'static, str>,
        rate_override: Option<f32>,
        parent: Option<&Current>,
        remote: Option<&crate::propagation::Incoming>,
    ) -> Option<OpenSpan> {
        let hub = Hub::current();
        let client = hub.client()?;
        if !client.is_enabled() {
            return None;
        }
        #[cfg(feature = "sqlx")]
        crate::sqlx::install_subscriber_once();
        let global_rate = match client.options().traces_sampling_strategy {
            sentry::TracesSamplingStrategy::FixedRate(rate) => rate,
            _ => 0.0,
        };
        if global_rate <= 0.0 {
            // Tracing is off: no transaction at all, whatever the call site asks for.
            return None;
        }
        let sample_rate = rate_override.unwrap_or(global_rate);
        let (trace_id, parent_span_id, sampled) = match (parent, remote) {
            (Some(p), _) => (p.tx.trace_id, Some(p.span_id), p.tx.sampled),
            // Continues the caller's trace; its sampling decision, when it made one, stands.
            (None, Some(r)) => (
                r.trace_id,
                Some(r.parent_span_id),
                r.sampled.unwrap_or_else(|| state::sample(sample_rate)),
            ),
            (None, None) => (new_trace_id(), None, state::sample(sample_rate)),
        };
        let id = state::span_id();
        let start = SystemTime::now();
        let start_raw = now_raw();
        let tx = Arc::new(TxShared {
            trace_id,
            span_id: id,
            parent_span_id,
            sampled,
            sample_rate,
            name,
            op,
            start,
            start_raw,
            hub,
            inner: Mutex::new(TxInner::default()),
            #[cfg(feature = "sqlx")]
            sql_in_flight: std::sync::atomic::AtomicU32::new(0),
        });
        Some(OpenSpan {
            tx,
            id,
            parent: parent_span_id.unwrap_or(0),
            name: None,
            start_raw,
            status: None,
            tags: Vec::new(),
            data: Vec::new(),
        })
    }

    /// Starts a child span of `parent_id` within `tx`; `None` when `tx` is not sampled.
    pub(crate) fn start_child(
        tx: &Arc<TxShared>,
        parent_id: u64,
        name: SpanName,
    ) -> Option<OpenSpan> {
        if !tx.sampled {
            return None;
        }
        Some(OpenSpan {
            tx: Arc::clone(tx),
            id: state::span_id(),
            parent: parent_id,
            name: Some(name),
            start_raw: now_raw(),
            status: None,
            tags: Vec::new(),
            data: Vec::new(),
        })
    }

    pub(crate) fn is_recording(&self) -> bool {
        self.tx.sampled
    }

    /// The request a transaction serves (HTTP integrations).
    #[cfg_attr(not(feature = "axum"), allow(dead_code))]
    pub(crate) fn set_request(&self, request: protocol::Request) {
        self.tx
            .inner
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .request = Some(request);
    }

    pub(crate) fn as_current(&self) -> Current {
        Current {
            tx: Arc::clone(&self.tx),
            span_id: self.id,
            depth: 0,
        }
    }

    pub(crate) fn set_tag(&mut self, key: impl Into<Text>, value: String) {
        push_exact(&mut self.tags, key.into(), value);
    }

    pub(crate) fn set_data(&mut self, key: impl Into<Text>, value: Value) {
        push_exact(&mut self.data, key.into(), value);
    }

    /// Finishes the span: a child goes into its transaction's buffer; a root sends the
    /// transaction. `status` is used unless one was set explicitly.
    pub(crate) fn finish(self, status: SpanStatus) {
        let status = self.status.unwrap_or(status);
        let end_raw = now_raw();
        match self.name {
            None => self.tx.finish(status, end_raw, self.tags, self.data),
            Some(name) => self.tx.push(SpanRecord::new(
                self.id,
                self.parent,
                name,
                self.start_raw,
                end_raw,
                status,
                self.tags,
                self.data,
            )),
        }
    }
}

/// A child span of the current span of a sync function, made current in the same step as it
/// is created. It holds no reference to its transaction of its own: the parent span it
/// replaced as current (kept in `entered`) belongs to the same transaction.
pub(crate) struct ChildSpan {
    id: u64,
    parent: u64,
    cs: &'static crate::__private::Callsite,
    start_raw: u64,
    pub(crate) data: Vec<(&'static str, Value)>,
    entered: Entered,
}

/// What [`enter_child`] found.
pub(crate) enum Opened {
    /// No current span.
    NoCurrent,
    /// The current transaction is not sampled: nothing below it is recorded.
    Unsampled,
    /// A recorded child span, now current.
    Child(ChildSpan),
}

/// Opens a child of the current span and makes it current, in one look at the thread's state.
pub(crate) fn enter_child(cs: &'static crate::__private::Callsite) -> Opened {
    let opened = CURRENT.try_with(|c| {
        let Ok(mut c) = c.try_borrow_mut() else {
            return Opened::NoCurrent;
        };
        let (tx, parent, depth) = match c.as_ref() {
            None => return Opened::NoCurrent,
            Some(p) if !p.tx.sampled => return Opened::Unsampled,
            Some(p) => (Arc::clone(&p.tx), p.span_id, p.depth.saturating_add(1)),
        };
        let id = state::span_id();
        let trace_id = tx.trace_id;
        let prev = c.replace(Current {
            tx,
            span_id: id,
            depth,
        });
        Opened::Child(ChildSpan {
            id,
            parent,
            cs,
            start_raw: now_raw(),
            data: Vec::new(),
            entered: Entered {
                id,
                depth,
                trace_id,
                prev,
            },
        })
    });
    opened.unwrap_or(Opened::NoCurrent)
}

impl ChildSpan {
    pub(crate) fn set_data(&mut self, key: &'static str, value: Value) {
        push_exact(&mut self.data, key, value);
    }

    /// Records the span into its transaction and makes its parent current again.
    pub(crate) fn finish(self, status: SpanStatus) {
        let end_raw = now_raw();
        if let Some(parent) = &self.entered.prev {
            parent.tx.push(SpanRecord::from_callsite(
                self.id,
                self.parent,
                self.cs,
                self.start_raw,
                end_raw,
                status,
                self.data,
            ));
        }
        exit(self.entered);
    }
}

impl TxShared {
    /// Adds a finished child span (at most [`MAX_SPANS`]; the rest are counted).
    fn push(&self, record: SpanRecord) {
        let mut inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        if inner.finished {
            return;
        }
        if inner.spans.len() >= MAX_SPANS {
            inner.dropped_spans += 1;
            return;
        }
        inner.spans.push(record);
    }

    fn finish(
        &self,
        status: SpanStatus,
        end_raw: u64,
        tags: Vec<(Text, String)>,
        data: Vec<(Text, Value)>,
    ) {
        let (records, dropped, request) = {
            let mut inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
            if inner.finished {
                return;
            }
            inner.finished = true;
            (
                std::mem::take(&mut inner.spans),
                inner.dropped_spans,
                inner.request.take(),
            )
        };
        if !self.sampled {
            return;
        }
        let Some(client) = self.hub.client() else {
            return;
        };
        let at = |raw: u64| self.start + CLOCK.delta(self.start_raw, raw.max(self.start_raw));
        let end = at(end_raw);
        let trace_id = self.trace_id;
        let spans = records
            .into_iter()
            .map(|r| {
                let (op, description) = r.name.into_op_description();
                protocol::Span {
                    span_id: span_id(r.id),
                    trace_id,
                    parent_span_id: Some(span_id(r.parent)),
                    op: Some(op),
                    description: Some(description),
                    timestamp: Some(at(r.end_raw)),
                    start_timestamp: at(r.start_raw),
                    status: Some(r.status),
                    tags: r
                        .extras
                        .as_ref()
                        .map(|e| e.tags.iter().cloned().collect())
                        .unwrap_or_default(),
                    data: r
                        .data
                        .into_vec()
                        .into_iter()
                        .map(|(k, v)| (k.to_owned(), v))
                        .chain(r.extras.into_iter().flat_map(|e| e.data))
                        .collect(),
                    ..Default::default()
                }
            })
            .collect();
        let mut trace_data: Map<String, Value> = data
            .into_iter()
            .map(|(k, v)| (k.into_string(), v))
            .collect();
        if dropped > 0 {
            trace_data.insert("vigil.dropped_spans".into(), Value::from(dropped));
        }
        let trace = TraceContext {
            span_id: span_id(self.span_id),
            trace_id,
            parent_span_id: self.parent_span_id.map(span_id),
            op: Some(self.op.to_string()),
            status: Some(status),
            data: trace_data,
            ..Default::default()
        };
        let mut transaction = protocol::Transaction {
            name: Some(self.name.to_string()),
            start_timestamp: self.start,
            timestamp: Some(end),
            spans,
            request,
            platform: "native".into(),
            ..Default::default()
        };
        self.hub
            .configure_scope(|scope| scope.apply_to_transaction(&mut transaction));
        transaction
            .tags
            .extend(tags.into_iter().map(|(k, v)| (k.into_string(), v)));
        transaction.contexts.insert("trace".into(), trace.into());
        let options = client.options();
        transaction.release.clone_from(&options.release);
        transaction.environment.clone_from(&options.environment);
        transaction.server_name.clone_from(&options.server_name);

        let mut dsc = DynamicSamplingContext::new()
            .with_trace_id(trace_id)
            .with_sample_rate(self.sample_rate)
            .with_sampled(true)
            .with_transaction(self.name.to_string());
        if let Some(dsn) = client.dsn() {
            dsc = dsc.with_public_key(dsn.public_key().to_owned());
        }
        if let Some(release) = &options.release {
            dsc = dsc.with_release(release.to_string());
        }
        if let Some(environment) = &options.environment {
            dsc = dsc.with_environment(environment.to_string());
        }
        let mut envelope = Envelope::new().with_headers(EnvelopeHeaders::new().with_trace(dsc));
        envelope.add_item(transaction);
        client.send_envelope(envelope);
    }
}

/// Span clock ticks in `d` (the inverse of `CLOCK.delta`), for spans timed elsewhere.
#[cfg(feature = "sqlx")]
fn ticks(d: std::time::Duration) -> u64 {
    const SAMPLE: u64 = 1 << 32;
    static NANOS_PER_SAMPLE: LazyLock<u64> = LazyLock::new(|| {
        let start = now_raw();
        CLOCK
            .delta_as_nanos(start, start.wrapping_add(SAMPLE))
            .max(1)
    });
    let nanos = d.as_nanos();
    u64::try_from(nanos.saturating_mul(u128::from(SAMPLE)) / u128::from(*NANOS_PER_SAMPLE))
        .unwrap_or(u64::MAX)
}

#[cfg(feature = "sqlx")]
impl Current {
    /// Records a child span of this span that ended now after running for `elapsed`
    /// (measured by someone else, such as sqlx). Not recorded when the transaction is not
    /// sampled.
    pub(crate) fn record_finished_child(
        &self,
        name: SpanName,
        elapsed: std::time::Duration,
        data: Vec<(Text, Value)>,
    ) {
        if !self.tx.sampled {
            return;
        }
        let end_raw = now_raw();
        let start_raw = end_raw.saturating_sub(ticks(elapsed));
        self.tx.push(SpanRecord::new(
            state::span_id(),
            self.span_id,
            name,
            start_raw,
            end_raw,
            SpanStatus::Ok,
            Vec::new(),
            data,
        ));
    }

    /// The description and `data[key]` of the last child span of this span with operation
    /// `op`, after marking it failed with `status`.
    pub(crate) fn fail_last_child(
        &self,
        op: &str,
        key: &str,
        status: SpanStatus,
    ) -> Option<(String, Option<Value>)> {
        let mut inner = self.tx.inner.lock().unwrap_or_else(PoisonError::into_inner);
        let record = inner
            .spans
            .iter_mut()
            .rev()
            .find(|r| r.parent == self.span_id && r.name.op_description().0 == op)?;
        record.status = status;
        let value = record
            .data
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v.clone());
        Some((record.name.op_description().1.to_owned(), value))
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

/// A transaction started with [`start_transaction`]: the current span of its thread until
/// it is dropped (or [`finish`](Transaction::finish)ed), then sent with its child spans.
///
/// Drop it on the thread that started it: that is where it is the current span.
///
/// ```
/// # use vigil_runtime as vigil;
/// let captured = vigil::testing::capture(|| {
///     let tx = vigil::start_transaction("process_order", "task");
///     tx.set_tag("user_id", 7);
///     tx.set_data("order_id", 9);
///     {
///         let _child = tx.start_child("db.query", "SELECT * FROM orders");
///     }
///     tx.set_status(vigil::SpanStatus::Ok);
/// });
/// let tx = &captured.transactions[0];
/// assert_eq!(tx.name.as_deref(), Some("process_order"));
/// assert_eq!(tx.tags["user_id"], "7");
/// assert_eq!(tx.spans[0].op.as_deref(), Some("db.query"));
/// ```
#[must_use = "a transaction finishes when dropped: bind it with `let tx = ...`, not `let _ = ...`"]
pub struct Transaction {
    span: Mutex<Option<OpenSpan>>,
    entered: Option<Entered>,
}

/// Starts a transaction named `name` with operation `op` (such as `task` or `http.server`)
/// and makes it the current span of this thread until it is dropped.
///
/// Inside another transaction it continues that trace. When vigil is disabled, or the
/// transaction is not sampled, it records nothing and costs next to nothing.
///
/// ```
/// # use vigil_runtime as vigil;
/// let tx = vigil::start_transaction("nightly_cleanup", "task");
/// // ... work ...
/// tx.finish();
/// ```
pub fn start_transaction(name: &str, op: &str) -> Transaction {
    if !state::enabled() {
        return Transaction::noop();
    }
    let parent = with_current(|c| c.cloned());
    let Some(open) = OpenSpan::start_transaction(
        Cow::Owned(name.to_owned()),
        Cow::Owned(op.to_owned()),
        None,
        parent.as_ref(),
        None,
    ) else {
        return Transaction::noop();
    };
    let entered = enter(open.as_current());
    Transaction {
        span: Mutex::new(Some(open)),
        entered: Some(entered),
    }
}

/// A value as JSON; one that cannot be serialized is described instead (never a panic).
pub(crate) fn to_value<T: serde::Serialize + ?Sized>(value: &T) -> Value {
    serde_json::to_value(value).unwrap_or_else(|e| Value::String(format!("<unserializable: {e}>")))
}

impl Transaction {
    fn noop() -> Self {
        Transaction {
            span: Mutex::new(None),
            entered: None,
        }
    }

    fn with_span(&self, f: impl FnOnce(&mut OpenSpan)) {
        if let Some(span) = self
            .span
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .as_mut()
        {
            f(span);
        }
    }

    /// Sets a tag (indexed and searchable in Sentry) on the transaction.
    ///
    /// ```
    /// # use vigil_runtime as vigil;
    /// let tx = vigil::start_transaction("checkout", "task");
    /// tx.set_tag("region", "eu");
    /// ```
    pub fn set_tag(&self, key: &str, value: impl ToString) {
        self.with_span(|s| s.set_tag(key.to_owned(), value.to_string()));
    }

    /// Sets a data entry (any `Serialize` value) on the transaction.
    ///
    /// ```
    /// # use vigil_runtime as vigil;
    /// let tx = vigil::start_transaction("checkout", "task");
    /// tx.set_data("items", ["book", "pen"]);
    /// ```
    pub fn set_data(&self, key: &str, value: impl serde::Serialize) {
        self.with_span(|s| s.set_data(key.to_owned(), to_value(&value)));
    }

    /// Sets the transaction's status (default: `ok`, or `internal_error` when unwinding).
    ///
    /// ```
    /// # use vigil_runtime as vigil;
    /// let tx = vigil::start_transaction("checkout", "task");
    /// tx.set_status(vigil::SpanStatus::DeadlineExceeded);
    /// ```
    pub fn set_status(&self, status: SpanStatus) {
        self.with_span(|s| s.status = Some(status));
    }

    /// Starts a child span of the transaction; it finishes when dropped.
    ///
    /// ```
    /// # use vigil_runtime as vigil;
    /// let tx = vigil::start_transaction("checkout", "task");
    /// let span = tx.start_child("http.client", "POST https://payments.example.com/charge");
    /// span.set_data("amount", 100);
    /// span.finish();
    /// ```
    pub fn start_child(&self, op: &str, description: &str) -> Span {
        let guard = self.span.lock().unwrap_or_else(PoisonError::into_inner);
        Span::child_of(guard.as_ref(), op, description)
    }

    /// Whether this transaction is recorded (enabled and sampled).
    ///
    /// ```
    /// # use vigil_runtime as vigil;
    /// let tx = vigil::start_transaction("checkout", "task");
    /// assert!(!tx.is_sampled()); // vigil is not initialised in this example
    /// ```
    pub fn is_sampled(&self) -> bool {
        self.span
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .as_ref()
            .is_some_and(|s| s.tx.sampled)
    }

    /// The trace id, as 32 hex digits, or `None` when nothing is recorded.
    ///
    /// ```
    /// # use vigil_runtime as vigil;
    /// let tx = vigil::start_transaction("checkout", "task");
    /// assert_eq!(tx.trace_id(), None); // vigil is not initialised in this example
    /// ```
    pub fn trace_id(&self) -> Option<String> {
        self.span
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .as_ref()
            .map(|s| s.tx.trace_id.to_string())
    }

    /// Finishes and sends the transaction now (dropping it does the same).
    ///
    /// ```
    /// # use vigil_runtime as vigil;
    /// vigil::start_transaction("checkout", "task").finish();
    /// ```
    pub fn finish(self) {
        drop(self);
    }
}

impl Drop for Transaction {
    fn drop(&mut self) {
        let open = self
            .span
            .get_mut()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(entered) = self.entered.take() {
            exit(entered);
        }
        if let Some(open) = open {
            open.finish(exit_status());
        }
    }
}

impl std::fmt::Debug for Transaction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Transaction")
            .field("sampled", &self.is_sampled())
            .finish_non_exhaustive()
    }
}

/// A child span started with [`Transaction::start_child`] or [`Span::start_child`]; it
/// finishes when dropped.
///
/// ```
/// # use vigil_runtime as vigil;
/// let tx = vigil::start_transaction("import", "task");
/// let parse = tx.start_child("file.read", "orders.csv");
/// let row = parse.start_child("parse", "row 1");
/// row.set_status(vigil::SpanStatus::InvalidArgument);
/// ```
#[must_use = "a span finishes when dropped: bind it with `let span = ...`, not `let _ = ...`"]
pub struct Span {
    span: Mutex<Option<OpenSpan>>,
}

impl Span {
    fn child_of(parent: Option<&OpenSpan>, op: &str, description: &str) -> Span {
        let open = parent
            .and_then(|p| OpenSpan::start_child(&p.tx, p.id, SpanName::owned(op, description)));
        Span {
            span: Mutex::new(open),
        }
    }

    fn with_span(&self, f: impl FnOnce(&mut OpenSpan)) {
        if let Some(span) = self
            .span
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .as_mut()
        {
            f(span);
        }
    }

    /// Sets a tag on the span.
    ///
    /// ```
    /// # use vigil_runtime as vigil;
    /// let tx = vigil::start_transaction("import", "task");
    /// tx.start_child("cache.get", "user:7").set_tag("cache.hit", true);
    /// ```
    pub fn set_tag(&self, key: &str, value: impl ToString) {
        self.with_span(|s| s.set_tag(key.to_owned(), value.to_string()));
    }

    /// Sets a data entry (any `Serialize` value) on the span.
    ///
    /// ```
    /// # use vigil_runtime as vigil;
    /// let tx = vigil::start_transaction("import", "task");
    /// tx.start_child("db.query", "INSERT ...").set_data("rows", 12);
    /// ```
    pub fn set_data(&self, key: &str, value: impl serde::Serialize) {
        self.with_span(|s| s.set_data(key.to_owned(), to_value(&value)));
    }

    /// Sets the span's status (default: `ok`, or `internal_error` when unwinding).
    ///
    /// ```
    /// # use vigil_runtime as vigil;
    /// let tx = vigil::start_transaction("import", "task");
    /// tx.start_child("http.client", "GET /").set_status(vigil::SpanStatus::Unavailable);
    /// ```
    pub fn set_status(&self, status: SpanStatus) {
        self.with_span(|s| s.status = Some(status));
    }

    /// Starts a child of this span.
    ///
    /// ```
    /// # use vigil_runtime as vigil;
    /// let tx = vigil::start_transaction("import", "task");
    /// let outer = tx.start_child("file.read", "orders.csv");
    /// let _inner = outer.start_child("parse", "header");
    /// ```
    pub fn start_child(&self, op: &str, description: &str) -> Span {
        let guard = self.span.lock().unwrap_or_else(PoisonError::into_inner);
        Span::child_of(guard.as_ref(), op, description)
    }

    /// Finishes the span now (dropping it does the same).
    ///
    /// ```
    /// # use vigil_runtime as vigil;
    /// let tx = vigil::start_transaction("import", "task");
    /// tx.start_child("file.read", "orders.csv").finish();
    /// ```
    pub fn finish(self) {
        drop(self);
    }
}

impl Drop for Span {
    fn drop(&mut self) {
        let open = self
            .span
            .get_mut()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(open) = open {
            open.finish(exit_status());
        }
    }
}

impl std::fmt::Debug for Span {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Span").finish_non_exhaustive()
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
