//! The transport vigil hands to the `sentry` client: it scrubs every outgoing item, then
//! passes the envelope to the real sender (vigil's HTTP transport, `http.rs`), the
//! development spool, a test capture or the user's own transport, and to Spotlight when it
//! is on. Each sink writes out or strips the fields that travel in the reserved context
//! entry (see `wire`): the user's own transport gets typed items without them.

use std::fs::OpenOptions;
use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::time::{Duration, Instant};

use sentry::protocol::client_report::{Category, Item, Reason};
use sentry::protocol::{ClientReport, Envelope, EnvelopeItem, ItemContainer};
use sentry::{Transport, TransportFactory, TransportOptions};
use serde_json::{json, Value};

use crate::config::Spool;
use crate::scrub::Scrubber;
use crate::spotlight::SpotlightTransport;
use crate::view::Pretty;
use crate::wire;

/// Where envelopes go once scrubbed.
#[derive(Clone)]
pub(crate) enum Sink {
    /// vigil's HTTP transport: the `sentry` crate's ureq transport and transport thread
    /// (queue, rate limits, client reports), writing the wire fields (`http.rs`).
    Http,
    /// The development spool: the readable view or JSON lines.
    Spool(Spool),
    /// Kept in memory for `vigil::testing`: each envelope without the reserved entry, and
    /// as JSON with its wire fields (as the JSON spool writes it).
    Capture(Arc<Mutex<Vec<(Envelope, Value)>>>),
    /// The user's own transport.
    Custom(Arc<dyn TransportFactory>),
    /// Nowhere but Spotlight (no DSN, no spool).
    Nowhere,
}

pub(crate) struct Factory {
    pub(crate) sink: Sink,
    pub(crate) scrubber: Arc<Scrubber>,
    /// The Spotlight sidecar's URL, when envelopes go there too.
    pub(crate) spotlight: Option<String>,
    /// Release health in request mode: sent when the client flushes or closes.
    pub(crate) request_sessions: Option<Arc<crate::health::RequestSessions>>,
}

impl TransportFactory for Factory {
    fn create_transport_with_options(&self, options: TransportOptions) -> Arc<dyn Transport> {
        let inner: Option<Arc<dyn Transport>> = match &self.sink {
            Sink::Http => Some(Arc::new(crate::http::HttpTransport::new(options))),
            Sink::Spool(spool) => Some(Arc::new(SpoolTransport::new(spool))),
            Sink::Capture(store) => Some(Arc::new(CaptureTransport(Arc::clone(store)))),
            Sink::Custom(factory) => Some(Arc::new(Stripping(
                factory.create_transport_with_options(options),
            ))),
            Sink::Nowhere => None,
        };
        let sinks = Arc::new(Sinks {
            inner,
            spotlight: self.spotlight.as_deref().map(SpotlightTransport::new),
            scrubber: Arc::clone(&self.scrubber),
            lost_transactions: AtomicU64::new(0),
            lost_spans: AtomicU64::new(0),
            keeps_all: matches!(self.sink, Sink::Capture(_)),
            // A user's transport gets the typed protocol, which has no place for them.
            writes_wire: self.spotlight.is_some()
                || !matches!(self.sink, Sink::Custom(_) | Sink::Nowhere),
            request_sessions: self.request_sessions.clone(),
        });
        let mut registry = SINKS.lock().unwrap_or_else(PoisonError::into_inner);
        registry.retain(|(_, sinks)| sinks.strong_count() > 0);
        registry.push((factory_key(self), Arc::downgrade(&sinks)));
        Arc::new(ScrubbingTransport { sinks })
    }
}

/// The sinks of each client vigil built, by the address of its transport factory (what the
/// client's options hold): a finished transaction goes to its own client's sinks directly,
/// not back through the client (whose transport is gone once it closes).
static SINKS: Mutex<Vec<(usize, Weak<Sinks>)>> = Mutex::new(Vec::new());

fn factory_key(factory: *const dyn TransportFactory) -> usize {
    factory as *const () as usize
}

/// The sinks of `client`, if vigil built it and its transport is still alive.
pub(crate) fn sinks_of(client: &sentry::Client) -> Option<Arc<Sinks>> {
    let key = factory_key(Arc::as_ptr(client.options().transport.as_ref()?));
    let registry = SINKS.lock().unwrap_or_else(PoisonError::into_inner);
    registry
        .iter()
        .find(|(k, _)| *k == key)
        .and_then(|(_, sinks)| sinks.upgrade())
}

/// What the client sends to: each envelope is queued for vigil's worker, which scrubs it
/// and forwards it to the sinks (off the caller's thread).
struct ScrubbingTransport {
    sinks: Arc<Sinks>,
}

/// Where scrubbed envelopes go: the main sink and Spotlight.
pub(crate) struct Sinks {
    inner: Option<Arc<dyn Transport>>,
    spotlight: Option<SpotlightTransport>,
    scrubber: Arc<Scrubber>,
    /// Transactions, and the spans in them (root included), dropped because the worker's
    /// queue was full or the client had closed: reported with the next envelope sent.
    lost_transactions: AtomicU64,
    lost_spans: AtomicU64,
    /// The test capture: what the worker's queue has no room for is built on the caller
    /// rather than dropped, so a test sees every transaction its code finished, however
    /// many other tests share the worker.
    keeps_all: bool,
    /// Does any sink write what the typed protocol lacks (see `wire`)?
    writes_wire: bool,
    /// Release health in request mode, counted until the client flushes or closes.
    request_sessions: Option<Arc<crate::health::RequestSessions>>,
}

impl Sinks {
    /// Must a transaction the worker's queue has no room for still be sent (built on the
    /// caller)?
    pub(crate) fn keeps_all(&self) -> bool {
        self.keeps_all
    }

    /// Does any sink write what the typed protocol lacks (`transaction_info`, span origins)?
    pub(crate) fn writes_wire(&self) -> bool {
        self.writes_wire
    }

    /// Counts a transaction of `spans` child spans that will not be sent.
    pub(crate) fn lost_transaction(&self, spans: usize) {
        self.lost_transactions.fetch_add(1, Ordering::Relaxed);
        self.lost_spans
            .fetch_add(spans as u64 + 1, Ordering::Relaxed);
    }

    /// The client report of what was lost since the last one (`queue_overflow`), if anything.
    fn take_lost(&self) -> Option<ClientReport> {
        if self.lost_transactions.load(Ordering::Relaxed) == 0 {
            return None;
        }
        let transactions = self.lost_transactions.swap(0, Ordering::Relaxed);
        let spans = self.lost_spans.swap(0, Ordering::Relaxed);
        Some(ClientReport::new([
            Item::new(Category::Transaction, Reason::QueueOverflow, transactions),
            Item::new(Category::Span, Reason::QueueOverflow, spans),
        ]))
    }

    /// Scrubs `envelope` and hands it to Spotlight and the main sink, with the client report
    /// of what the worker's queue dropped since the last envelope (on the worker).
    pub(crate) fn forward(&self, envelope: Envelope) {
        let Some(mut envelope) = scrub_envelope(&self.scrubber, envelope) else {
            return;
        };
        // With an event or a transaction only: a check-in's envelope is rewritten as bytes
        // (`monitor::complete`), and one built as bytes takes no item.
        let carries = envelope
            .items()
            .any(|item| matches!(item, EnvelopeItem::Event(_) | EnvelopeItem::Transaction(_)));
        if carries {
            if let Some(report) = self.take_lost() {
                envelope.add_item(EnvelopeItem::ClientReport(report));
            }
        }
        self.send(crate::monitor::complete(envelope));
    }

    fn send(&self, envelope: Envelope) {
        match (&self.spotlight, &self.inner) {
            (Some(spotlight), Some(inner)) => {
                spotlight.send_envelope(envelope.clone());
                inner.send_envelope(envelope);
            }
            (Some(spotlight), None) => spotlight.send_envelope(envelope),
            (None, Some(inner)) => inner.send_envelope(envelope),
            (None, None) => {}
        }
    }

    /// Runs `f` on Spotlight, then on the main sink, sharing `timeout` between them.
    fn each(&self, timeout: Duration, f: impl Fn(&dyn Transport, Duration) -> bool) -> bool {
        let deadline = crate::worker::deadline_in(timeout);
        let left = || deadline.saturating_duration_since(Instant::now());
        let spotlight = self
            .spotlight
            .as_ref()
            .is_none_or(|s| f(s as &dyn Transport, left()));
        let inner = self.inner.as_ref().is_none_or(|t| f(&**t, left()));
        spotlight && inner
    }
}

impl ScrubbingTransport {
    /// Lets the worker finish what is queued, sends the request sessions still counting and
    /// what the worker dropped since its last envelope (a client report), then runs `f` on
    /// the sinks in the time left.
    fn settle(&self, timeout: Duration, f: impl Fn(&dyn Transport, Duration) -> bool) -> bool {
        let deadline = crate::worker::deadline_in(timeout);
        let drained = crate::worker::drain(timeout);
        // After what the worker had (minutes already over), the minutes still counting.
        if let Some(sessions) = self
            .sinks
            .request_sessions
            .as_ref()
            .and_then(|s| s.take(true))
        {
            self.sinks.send(sessions);
        }
        if let Some(report) = self.sinks.take_lost() {
            let mut envelope = Envelope::new();
            envelope.add_item(EnvelopeItem::ClientReport(report));
            self.sinks.send(envelope);
        }
        let left = deadline.saturating_duration_since(Instant::now());
        self.sinks.each(left, f) && drained
    }
}

impl Transport for ScrubbingTransport {
    fn send_envelope(&self, envelope: Envelope) {
        let job = crate::worker::Job::Envelope(envelope, Arc::clone(&self.sinks));
        // The worker is behind: an event is worth the caller's time, it is scrubbed and
        // forwarded here rather than lost (transactions, far more numerous, are dropped and
        // counted before they get this far).
        if let Err(crate::worker::Job::Envelope(envelope, _)) = crate::worker::push(job) {
            self.sinks.forward(envelope);
        }
    }

    fn flush(&self, timeout: Duration) -> bool {
        self.settle(timeout, |t, left| t.flush(left))
    }

    fn shutdown(&self, timeout: Duration) -> bool {
        self.settle(timeout, |t, left| t.shutdown(left))
    }
}

/// Scrubs every event, transaction and log of `envelope`; an item a user hook drops is left
/// out, and an envelope left empty is not sent.
pub(crate) fn scrub_envelope(scrubber: &Scrubber, envelope: Envelope) -> Option<Envelope> {
    let headers = envelope.headers().clone();
    let mut out = Envelope::new().with_headers(headers);
    let mut kept = 0;
    for item in envelope.into_items() {
        let item = match item {
            EnvelopeItem::Event(event) => scrubber
                .process_event(*event)
                .map(|e| EnvelopeItem::Event(Box::new(e))),
            EnvelopeItem::Transaction(tx) => scrubber
                .process_transaction(*tx)
                .map(|t| EnvelopeItem::Transaction(Box::new(t))),
            EnvelopeItem::ItemContainer(ItemContainer::Logs(mut logs)) => {
                for log in &mut logs {
                    scrubber.log(log);
                }
                Some(EnvelopeItem::ItemContainer(ItemContainer::Logs(logs)))
            }
            other => Some(other),
        };
        if let Some(item) = item {
            out.add_item(item);
            kept += 1;
        }
    }
    (kept > 0).then_some(out)
}

/// One JSON object per envelope, for humans and for `jq`: events and transactions as they
/// go on the wire (with `transaction_info` and span origins, see `wire`).
pub(crate) fn envelope_to_json(envelope: &Envelope) -> Value {
    if envelope.items().next().is_none() {
        let (headers, items) = raw_items(envelope);
        let items: Vec<Value> = items
            .into_iter()
            .map(|(ty, payload)| json!({"type": ty, "payload": payload}))
            .collect();
        return json!({"headers": headers, "items": items});
    }
    let items: Vec<Value> = envelope
        .items()
        .map(|item| match item {
            EnvelopeItem::Event(_) => json!({"type": "event", "payload": wire::item_json(item)}),
            EnvelopeItem::Transaction(_) => {
                json!({"type": "transaction", "payload": wire::item_json(item)})
            }
            EnvelopeItem::SessionUpdate(s) => json!({"type": "session", "payload": s}),
            EnvelopeItem::SessionAggregates(s) => json!({"type": "sessions", "payload": s}),
            EnvelopeItem::MonitorCheckIn(c) => json!({"type": "check_in", "payload": c}),
            EnvelopeItem::ClientReport(r) => json!({"type": "client_report", "payload": r}),
            EnvelopeItem::Attachment(a) => {
                json!({"type": "attachment", "filename": a.filename, "length": a.buffer.len()})
            }
            EnvelopeItem::ItemContainer(c) => json!({"type": c.ty(), "count": c.len()}),
            _ => json!({"type": "other"}),
        })
        .collect();
    json!({"headers": envelope.headers(), "items": items})
}

/// The headers and items (type, JSON payload) of an envelope as it is written out: for an
/// envelope built as bytes, whose items `Envelope::items` does not show.
pub(crate) fn raw_items(envelope: &Envelope) -> (Value, Vec<(String, Value)>) {
    let mut bytes = Vec::new();
    if envelope.to_writer(&mut bytes).is_err() {
        return (Value::Null, Vec::new());
    }
    let mut rest = bytes.as_slice();
    let line = |rest: &mut &[u8]| -> Option<Vec<u8>> {
        if rest.is_empty() {
            return None;
        }
        let end = rest.iter().position(|&b| b == b'\n').unwrap_or(rest.len());
        let line = rest[..end].to_vec();
        *rest = rest.get(end + 1..).unwrap_or_default();
        Some(line)
    };
    let headers = line(&mut rest)
        .and_then(|l| serde_json::from_slice(&l).ok())
        .unwrap_or(Value::Null);
    let mut items = Vec::new();
    while let Some(header) = line(&mut rest) {
        let Ok(header) = serde_json::from_slice::<Value>(&header) else {
            break;
        };
        let payload = match header.get("length").and_then(Value::as_u64) {
            Some(len) => {
                let len = (len as usize).min(rest.len());
                let payload = rest[..len].to_vec();
                rest = &rest[len..];
                rest = rest.strip_prefix(b"\n").unwrap_or(rest);
                payload
            }
            None => line(&mut rest).unwrap_or_default(),
        };
        let ty = header["type"].as_str().unwrap_or_default().to_owned();
        items.push((ty, serde_json::from_slice(&payload).unwrap_or(Value::Null)));
    }
    (headers, items)
}

/// Writes each envelope where the spool says, readable or as one JSON line.
struct SpoolTransport {
    spool: Spool,
    /// Whether standard error gets the readable view (`pretty`, or `stderr` on a terminal).
    pretty: bool,
    lock: Mutex<()>,
}

impl SpoolTransport {
    fn new(spool: &Spool) -> Self {
        let pretty = match spool {
            Spool::Pretty => true,
            Spool::Stderr => std::io::stderr().is_terminal(),
            Spool::Json | Spool::File(_) => false,
        };
        SpoolTransport {
            spool: spool.clone(),
            pretty,
            lock: Mutex::new(()),
        }
    }
}

impl Transport for SpoolTransport {
    fn send_envelope(&self, envelope: Envelope) {
        let text = if self.pretty {
            // Asked each time: the terminal may have been resized.
            let mut text = Pretty::for_stderr().render(&wire::strip(envelope));
            text.push('\n');
            text
        } else {
            let mut line = envelope_to_json(&envelope).to_string();
            line.push('\n');
            line
        };
        let _lock = self.lock.lock().unwrap_or_else(PoisonError::into_inner);
        // The spool is best effort: a full disk must not take the program down.
        let _ = match &self.spool {
            Spool::File(path) => OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .and_then(|mut f| f.write_all(text.as_bytes())),
            Spool::Stderr | Spool::Pretty | Spool::Json => {
                std::io::stderr().lock().write_all(text.as_bytes())
            }
        };
    }
}

/// Keeps each envelope for `vigil::testing`: typed without the reserved entry, and as JSON
/// with the fields it stands for.
struct CaptureTransport(Arc<Mutex<Vec<(Envelope, Value)>>>);

impl Transport for CaptureTransport {
    fn send_envelope(&self, envelope: Envelope) {
        let json = envelope_to_json(&envelope);
        let envelope = wire::strip(envelope);
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push((envelope, json));
    }
}

/// The user's own transport, handed typed items without vigil's reserved entry (so without
/// `transaction_info` and span origins, which the typed protocol has no place for).
struct Stripping(Arc<dyn Transport>);

impl Transport for Stripping {
    fn send_envelope(&self, envelope: Envelope) {
        self.0.send_envelope(wire::strip(envelope));
    }

    fn flush(&self, timeout: Duration) -> bool {
        self.0.flush(timeout)
    }

    fn shutdown(&self, timeout: Duration) -> bool {
        self.0.shutdown(timeout)
    }
}
