//! What every span of one transaction shares, its buffer of finished spans, and the protocol
//! transaction built from them once, when the transaction finishes.

use std::borrow::Cow;
use std::sync::atomic::AtomicU32;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime};

use sentry::protocol::{
    self, DynamicSamplingContext, Envelope, EnvelopeHeaders, Map, SpanStatus, TraceContext,
    TraceId, Value,
};
use sentry::Hub;

use super::chunks::Chunks;
use super::clock;
use super::record::{Args, SpanName, SpanRecord, Text, Timing, MAX_SPANS};
use crate::callsite::Callsite;
use crate::wire::Source;

/// Feature flag evaluations kept per span (sentry-python keeps 10).
const FLAGS_PER_SPAN: usize = 10;
use super::Current;

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
    pub(super) start_raw: u64,
    pub(crate) hub: Arc<Hub>,
    inner: Mutex<TxInner>,
    /// Pieces of this transaction's work running on other threads right now (such as a
    /// database driver's worker thread), for whoever must wait for their spans.
    pub(crate) elsewhere: AtomicU32,
    /// What made the transaction (Sentry's trace origin): `manual` unless an integration
    /// says otherwise (`auto.http.axum`); set through [`TxShared::set_origin`].
    origin: std::sync::OnceLock<&'static str>,
    /// How the transaction got its name (`transaction_info.source`): `custom` unless its
    /// opener says otherwise (see `wire::Source`); set through [`TxShared::set_source`].
    source: std::sync::OnceLock<Source>,
    /// The thread it started on (see `thread`): its spans name theirs only when another.
    pub(crate) thread: u32,
}

/// The request a transaction serves, as Sentry shows it: built when the transaction is, on
/// vigil's worker, not on the request's thread (HTTP server integrations).
pub(crate) trait RequestView: Send + Sync {
    fn request(&self) -> protocol::Request;

    /// Adds what the request knows to `event`, captured while serving it (under one of the
    /// transaction's spans); `ignored`: the client drops it as an ignored error.
    fn event(&self, event: &mut sentry::protocol::Event<'static>, ignored: bool);
}

#[derive(Default)]
struct TxInner {
    request: Option<Arc<dyn RequestView>>,
    /// `flag.evaluation.<name>` data of the transaction and its spans, by span id, set while
    /// they run (at most [`FLAGS_PER_SPAN`] flags a span).
    flag_data: Vec<(u64, String, Value)>,
    spans: Chunks<SpanRecord>,
    /// The data under callsite keys of the spans (each record says where its own are).
    values: Chunks<(&'static str, Value)>,
    dropped_spans: usize,
    finished: bool,
}

impl TxShared {
    // Inlined: built in place in its `Arc`, not built and then copied over (it is large).
    #[allow(clippy::too_many_arguments)]
    #[inline(always)]
    pub(super) fn new(
        trace_id: TraceId,
        span_id: u64,
        parent_span_id: Option<u64>,
        sampled: bool,
        sample_rate: f32,
        name: Cow<'static, str>,
        op: Cow<'static, str>,
        hub: Arc<Hub>,
    ) -> Self {
        TxShared {
            trace_id,
            span_id,
            parent_span_id,
            sampled,
            sample_rate,
            name,
            op,
            start: SystemTime::now(),
            start_raw: clock::now_raw(),
            hub,
            inner: Mutex::new(TxInner::default()),
            elsewhere: AtomicU32::new(0),
            origin: std::sync::OnceLock::new(),
            source: std::sync::OnceLock::new(),
            thread: super::thread::current(),
        }
    }

    fn inner(&self) -> std::sync::MutexGuard<'_, TxInner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The request the transaction serves (HTTP integrations).
    #[allow(dead_code)] // not every build has an HTTP server integration
    pub(crate) fn set_request(&self, request: Arc<dyn RequestView>) {
        self.inner().request = Some(request);
    }

    /// The request the transaction serves, if an HTTP integration said.
    pub(crate) fn request(&self) -> Option<Arc<dyn RequestView>> {
        self.inner().request.clone()
    }

    /// Sets the transaction's origin (on its trace context): what made it, when not the
    /// user's code (`manual`). An integration names it with its own constant
    /// (`auto.http.axum`, ...); a child span's goes with the span (`OpenSpan::set_origin`).
    #[allow(dead_code)] // for integrations
    pub(crate) fn set_origin(&self, origin: &'static str) {
        let _ = self.origin.set(origin);
    }

    /// The transaction's origin (Sentry's trace origin).
    pub(crate) fn origin(&self) -> &'static str {
        self.origin.get().copied().unwrap_or(crate::wire::MANUAL)
    }

    /// Says how the transaction got its name (once; its opener's word stands).
    pub(crate) fn set_source(&self, source: Source) {
        let _ = self.source.set(source);
    }

    /// How the transaction got its name.
    pub(crate) fn source(&self) -> Source {
        self.source.get().copied().unwrap_or(Source::Custom)
    }

    /// Sets a feature flag's data entry on span `span_id` of this transaction (the
    /// transaction itself when it is its id), which may be running anywhere: an evaluation
    /// already recorded on the span is updated; a new one is kept while the span has fewer
    /// than [`FLAGS_PER_SPAN`], as sentry-python does.
    pub(crate) fn set_flag_data(&self, span_id: u64, key: String, value: Value) {
        let mut inner = self.inner();
        if inner.finished {
            return;
        }
        let mut on_span = 0;
        for (span, k, v) in inner.flag_data.iter_mut() {
            if *span == span_id {
                if *k == key {
                    *v = value;
                    return;
                }
                on_span += 1;
            }
        }
        if on_span < FLAGS_PER_SPAN {
            inner.flag_data.push((span_id, key, value));
        }
    }

    /// Adds a finished child span and its data under callsite keys (at most [`MAX_SPANS`];
    /// the rest are counted).
    pub(super) fn push(&self, mut record: SpanRecord, args: &mut Args) {
        self.with_room(|inner| {
            args.move_into(&mut inner.values, &mut record);
            inner.spans.push(record);
        });
    }

    /// [`push`](Self::push) for the child span of a monitored function: its record built
    /// here, under the lock, straight into the buffer, and its data moved next to it.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn push_callsite(
        &self,
        id: u64,
        parent: u64,
        cs: &'static Callsite,
        timing: Timing,
        status: SpanStatus,
        args: &mut Args,
    ) {
        self.with_room(|inner| {
            let mut record = SpanRecord::from_callsite(id, parent, cs, timing, status);
            record.args = args.move_out(&mut inner.values);
            inner.spans.push(record);
        });
    }

    /// Runs `add` under the lock when the transaction takes one more span: not finished, and
    /// fewer than [`MAX_SPANS`] (a span past those is counted as dropped).
    #[inline(always)]
    fn with_room(&self, add: impl FnOnce(&mut TxInner)) {
        let mut guard = self.inner();
        let inner = &mut *guard;
        if inner.finished {
            return;
        }
        if inner.spans.len() >= MAX_SPANS {
            inner.dropped_spans += 1;
            return;
        }
        add(inner);
    }

    /// Finishes the transaction (once; later calls do nothing). A sampled one is handed to
    /// vigil's worker with a snapshot of the scope, to be built, scrubbed and sent there;
    /// when the worker is behind it is dropped and counted instead.
    pub(super) fn finish(
        self: &Arc<Self>,
        status: SpanStatus,
        end_raw: u64,
        tags: Vec<(Text, String)>,
        data: Vec<(Text, Value)>,
    ) {
        let spans = {
            let mut inner = self.inner();
            if inner.finished {
                return;
            }
            inner.finished = true;
            if !self.sampled {
                // Nothing to send: what it holds goes with it, nothing is moved out.
                return;
            }
            inner.spans.len()
        };
        // Sent to its own client's sinks (none: a client vigil did not build, or closed).
        let Some(client) = self.hub.client() else {
            return;
        };
        let Some(sinks) = crate::transport::sinks_of(&client) else {
            return;
        };
        // What the scope says now (user, tags, contexts), not when the worker gets to it.
        let scope = self.hub.configure_scope(|scope| scope.clone());
        let finished = Finished {
            tx: Arc::clone(self),
            status,
            end_raw,
            tags,
            data,
            scope,
            sinks: Arc::clone(&sinks),
        };
        if let Err(job) = crate::worker::push(crate::worker::Job::Transaction(finished)) {
            if sinks.keeps_all() {
                job.run();
            } else {
                sinks.lost_transaction(spans);
            }
        }
    }
}

/// A finished, sampled transaction on its way to the worker, which builds and sends it.
pub(crate) struct Finished {
    tx: Arc<TxShared>,
    status: SpanStatus,
    end_raw: u64,
    tags: Vec<(Text, String)>,
    data: Vec<(Text, Value)>,
    scope: sentry::Scope,
    sinks: Arc<crate::transport::Sinks>,
}

impl Finished {
    /// Builds the protocol transaction and hands it to its client's sinks (on the worker).
    pub(crate) fn send(self) {
        let Finished {
            tx,
            status,
            end_raw,
            tags,
            data,
            scope,
            sinks,
        } = self;
        let (records, mut values, dropped, request, flag_data) = {
            let mut inner = tx.inner();
            (
                std::mem::take(&mut inner.spans),
                std::mem::take(&mut inner.values),
                inner.dropped_spans,
                // Kept: an event captured after the response still names its request.
                inner.request.clone(),
                std::mem::take(&mut inner.flag_data),
            )
        };
        let Some(client) = tx.hub.client() else {
            return;
        };
        let at = |raw: u64| clock::at(tx.start, tx.start_raw, raw);
        let trace_id = tx.trace_id;
        // The spans an integration made say so; every other is the user's code (`manual`).
        let origins: Vec<(protocol::SpanId, &'static str)> = records
            .iter()
            .filter_map(|r| Some((super::span_id(r.id), r.origin()?)))
            .collect();
        let mut spans: Vec<protocol::Span> = records
            .into_iter()
            .map(|r| r.into_protocol(trace_id, at, &mut values))
            .collect();
        let mut trace_data: Map<String, Value> = data
            .into_iter()
            .map(|(k, v)| (k.into_string(), v))
            .collect();
        tx.place_flags(flag_data, &mut trace_data, &mut spans);
        if dropped > 0 {
            trace_data.insert("vigil.dropped_spans".into(), Value::from(dropped));
        }
        let trace = TraceContext {
            span_id: super::span_id(tx.span_id),
            trace_id,
            parent_span_id: tx.parent_span_id.map(super::span_id),
            op: Some(tx.op.to_string()),
            status: Some(status),
            origin: Some(tx.origin().to_owned()),
            data: trace_data,
            ..Default::default()
        };
        let mut transaction = protocol::Transaction {
            name: Some(tx.name.to_string()),
            start_timestamp: tx.start,
            timestamp: Some(at(end_raw)),
            spans,
            request: request.map(|r| r.request()),
            platform: "native".into(),
            sdk: sdk_info(&client),
            ..Default::default()
        };
        scope.apply_to_transaction(&mut transaction);
        transaction
            .tags
            .extend(tags.into_iter().map(|(k, v)| (k.into_string(), v)));
        transaction.contexts.insert("trace".into(), trace.into());
        // `transaction_info` and the spans' origins, which the typed protocol lacks: written
        // out where the transaction is (see `wire`), for sinks that write them.
        if sinks.writes_wire() {
            transaction.contexts.insert(
                crate::wire::key().into(),
                crate::wire::entry(Some(tx.source()), origins),
            );
        }
        let options = client.options();
        transaction.release.clone_from(&options.release);
        transaction.environment.clone_from(&options.environment);
        transaction.server_name.clone_from(&options.server_name);

        let mut dsc = DynamicSamplingContext::new()
            .with_trace_id(trace_id)
            .with_sample_rate(tx.sample_rate)
            .with_sampled(true)
            .with_transaction(tx.name.to_string());
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
        sinks.forward(envelope);
    }
}

impl TxShared {
    /// Puts each flag evaluation on its span: the transaction's in `trace_data`, a child's in
    /// its data (a child that was not kept loses them with it).
    fn place_flags(
        &self,
        flags: Vec<(u64, String, Value)>,
        trace_data: &mut Map<String, Value>,
        spans: &mut [protocol::Span],
    ) {
        if flags.is_empty() {
            return;
        }
        let by_id: std::collections::HashMap<protocol::SpanId, usize> = spans
            .iter()
            .enumerate()
            .map(|(i, s)| (s.span_id, i))
            .collect();
        for (span_id, key, value) in flags {
            if span_id == self.span_id {
                trace_data.insert(key, value);
            } else if let Some(&i) = by_id.get(&super::span_id(span_id)) {
                spans[i].data.insert(key, value);
            }
        }
    }
}

/// The SDK block of the client's events (the `sentry` crate's name, version and
/// integrations), with vigil's package: what events carry, for transactions too. Read once,
/// then lent to every transaction (no copy).
fn sdk_info(client: &sentry::Client) -> Option<Cow<'static, protocol::ClientSdkInfo>> {
    static SDK: std::sync::OnceLock<Option<protocol::ClientSdkInfo>> = std::sync::OnceLock::new();
    SDK.get_or_init(|| {
        let event = client.prepare_event(protocol::Event::default(), None)?;
        let mut sdk = event.sdk?.into_owned();
        with_vigil_package(&mut sdk);
        Some(sdk)
    })
    .as_ref()
    .map(Cow::Borrowed)
}

/// Adds vigil to an SDK block's packages (once).
pub(crate) fn with_vigil_package(sdk: &mut protocol::ClientSdkInfo) {
    if !sdk.packages.iter().any(|p| p.name == "cargo:vigil") {
        sdk.packages.push(protocol::ClientSdkPackage {
            name: "cargo:vigil".into(),
            version: env!("CARGO_PKG_VERSION").into(),
        });
    }
}

// For integrations that time work themselves (a database driver reports how long a query
// took once it is done): not every build has one, hence `dead_code` allowed.
#[allow(dead_code)]
impl Current {
    /// Records a child span of this span that ended now after running for `elapsed`
    /// (measured by someone else, such as sqlx), made by `origin` (the integration's). Not
    /// recorded when the transaction is not sampled.
    pub(crate) fn record_finished_child(
        &self,
        name: SpanName,
        origin: &'static str,
        elapsed: Duration,
        data: Vec<(Text, Value)>,
    ) {
        if !self.tx.sampled {
            return;
        }
        let end_raw = clock::now_raw();
        let start_raw = end_raw.saturating_sub(clock::ticks(elapsed));
        let (record, mut args) = SpanRecord::new(
            crate::state::span_id(),
            self.span_id,
            name,
            Timing {
                start_raw,
                end_raw,
                thread: super::record::thread_off(self.tx.thread),
            },
            SpanStatus::Ok,
            Vec::new(),
            data,
            Some(origin),
        );
        self.tx.push(record, &mut args);
    }

    /// The description and `data[key]` of the last child span of this span with operation
    /// `op`, after marking it failed with `status`.
    pub(crate) fn fail_last_child(
        &self,
        op: &str,
        key: &str,
        status: SpanStatus,
    ) -> Option<(String, Option<Value>)> {
        let mut guard = self.tx.inner();
        let inner = &mut *guard;
        let record = inner
            .spans
            .iter_mut()
            .rev()
            .find(|r| r.parent == self.span_id && r.name.op_description().0 == op)?;
        record.status = status;
        let value = record
            .args(&inner.values)
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v.clone());
        Some((record.name.op_description().1.to_owned(), value))
    }
}
