//! Cron monitors: the check-ins of a `#[vigil::monitor]` function.
//!
//! An `in_progress` check-in when the function starts, then `ok` or `error` (a returned
//! `Err`, a panic, a future dropped unfinished) with the duration, under one `check_in_id`.
//! Each carries the monitor's configuration, so Sentry creates or updates the monitor from
//! the code, and the trace of the span current when the function started, so the job's
//! errors and transaction are linked to its check-ins.
//!
//! The payload is the `sentry` crate's [`MonitorCheckIn`] (with its [`MonitorConfig`] and
//! [`MonitorSchedule`]) plus the two fields Sentry's check-in protocol has and that type
//! lacks, `release` and `contexts.trace`: they travel in the envelope's (typed) trace header
//! through the client, and [`complete`] writes them into the item at the transport.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

use sentry::protocol::{
    DynamicSamplingContext, Envelope, EnvelopeHeaders, EnvelopeItem, MonitorCheckIn,
    MonitorCheckInStatus, MonitorConfig, MonitorIntervalUnit, MonitorSchedule, TraceId,
};
use sentry::types::Uuid;
use sentry::Hub;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::capture::Verdict;
use crate::span;
use crate::state;

/// The static description of a monitor, built at compile time by `#[vigil::monitor]`.
#[derive(Debug)]
pub struct Monitor {
    /// The monitor's slug (checked at compile time against Sentry's rules).
    pub slug: &'static str,
    /// When the job is expected to run.
    pub schedule: Schedule,
    /// Minutes after the expected time before a check-in counts as missed.
    pub checkin_margin: Option<u64>,
    /// Minutes a check-in may stay `in_progress` before it counts as failed.
    pub max_runtime: Option<u64>,
    /// The tz database time zone of a crontab schedule.
    pub timezone: Option<&'static str>,
    /// Consecutive failed check-ins before an issue is created.
    pub failure_issue_threshold: Option<u64>,
    /// Consecutive successful check-ins before the issue is resolved.
    pub recovery_threshold: Option<u64>,
}

/// A monitor's schedule.
#[derive(Debug, Clone, Copy)]
pub enum Schedule {
    /// A crontab (five fields, checked at compile time).
    Crontab(&'static str),
    /// Every `n` units.
    Interval(u64, Unit),
}

/// The unit of an interval schedule.
#[derive(Debug, Clone, Copy)]
pub enum Unit {
    /// Minutes.
    Minute,
    /// Hours.
    Hour,
    /// Days.
    Day,
    /// Weeks.
    Week,
    /// Months.
    Month,
    /// Years.
    Year,
}

impl Monitor {
    /// The protocol configuration sent with each check-in.
    fn config(&self) -> MonitorConfig {
        let schedule = match self.schedule {
            Schedule::Crontab(value) => MonitorSchedule::Crontab {
                value: value.to_owned(),
            },
            Schedule::Interval(value, unit) => MonitorSchedule::Interval {
                value,
                unit: match unit {
                    Unit::Minute => MonitorIntervalUnit::Minute,
                    Unit::Hour => MonitorIntervalUnit::Hour,
                    Unit::Day => MonitorIntervalUnit::Day,
                    Unit::Week => MonitorIntervalUnit::Week,
                    Unit::Month => MonitorIntervalUnit::Month,
                    Unit::Year => MonitorIntervalUnit::Year,
                },
            },
        };
        MonitorConfig {
            schedule,
            checkin_margin: self.checkin_margin,
            max_runtime: self.max_runtime,
            timezone: self.timezone.map(str::to_owned),
            failure_issue_threshold: self.failure_issue_threshold,
            recovery_threshold: self.recovery_threshold,
        }
    }
}

/// The check-in item as sent: the `sentry` crate's type, and what it lacks.
#[derive(Serialize, Deserialize)]
pub(crate) struct Payload {
    #[serde(flatten)]
    pub(crate) check_in: MonitorCheckIn,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) release: Option<String>,
    #[serde(default)]
    pub(crate) contexts: Contexts,
}

/// Check-ins take the trace context only.
#[derive(Serialize, Deserialize, Default)]
pub(crate) struct Contexts {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) trace: Option<TraceOnly>,
}

#[derive(Serialize, Deserialize)]
pub(crate) struct TraceOnly {
    pub(crate) trace_id: TraceId,
}

/// A random (version 4) UUID, from the per-thread random source.
fn random_uuid() -> Uuid {
    let mut bytes = [0u8; 16];
    bytes[..8].copy_from_slice(&state::next_u64().to_be_bytes());
    bytes[8..].copy_from_slice(&state::next_u64().to_be_bytes());
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    Uuid::from_bytes(bytes)
}

/// One run of a monitored job, between its `in_progress` check-in and its last.
struct Running {
    monitor: &'static Monitor,
    id: Uuid,
    start: Instant,
    hub: Arc<Hub>,
    trace_id: TraceId,
}

impl Running {
    fn start(monitor: &'static Monitor) -> Option<Running> {
        let hub = Hub::current();
        hub.client().filter(|c| c.is_enabled())?;
        let trace_id =
            span::with_current(|c| c.map(|c| c.tx.trace_id)).unwrap_or_else(TraceId::default);
        let running = Running {
            monitor,
            id: random_uuid(),
            start: Instant::now(),
            hub,
            trace_id,
        };
        running.send(MonitorCheckInStatus::InProgress, None);
        Some(running)
    }

    fn end(self, ok: bool) {
        let status = if ok {
            MonitorCheckInStatus::Ok
        } else {
            MonitorCheckInStatus::Error
        };
        self.send(status, Some(self.start.elapsed().as_secs_f64()));
    }

    fn send(&self, status: MonitorCheckInStatus, duration: Option<f64>) {
        let Some(client) = self.hub.client() else {
            return;
        };
        let options = client.options();
        let environment = options.environment.as_ref().map(|e| e.to_string());
        // The trace and release go in the envelope's header, typed, until `complete` puts
        // them into the item (the `sentry` crate's check-in type has no room for them).
        let mut dsc = DynamicSamplingContext::new().with_trace_id(self.trace_id);
        if let Some(dsn) = client.dsn() {
            dsc = dsc.with_public_key(dsn.public_key().to_owned());
        }
        if let Some(release) = &options.release {
            dsc = dsc.with_release(release.to_string());
        }
        if let Some(environment) = &environment {
            dsc = dsc.with_environment(environment.clone());
        }
        let mut envelope = Envelope::new().with_headers(EnvelopeHeaders::new().with_trace(dsc));
        envelope.add_item(MonitorCheckIn {
            check_in_id: self.id,
            monitor_slug: self.monitor.slug.to_owned(),
            status,
            environment,
            duration,
            monitor_config: Some(self.monitor.config()),
        });
        client.send_envelope(envelope);
    }
}

/// An envelope with its check-ins completed as Sentry's protocol has them: `release` and
/// `contexts.trace` from the envelope's trace header. Written as bytes (the `sentry` crate's
/// envelope would drop the two fields); other envelopes are returned as they are. Called by
/// the transport, after the client has added what it adds (client reports).
pub(crate) fn complete(envelope: Envelope) -> Envelope {
    let has_check_in = envelope
        .items()
        .any(|item| matches!(item, EnvelopeItem::MonitorCheckIn(_)));
    if !has_check_in {
        return envelope;
    }
    let headers = envelope.headers();
    let trace = serde_json::to_value(headers)
        .ok()
        .and_then(|mut h| h.get_mut("trace").map(Value::take))
        .unwrap_or(Value::Null);
    let release = trace["release"].as_str().map(str::to_owned);
    let trace_id = trace["trace_id"]
        .as_str()
        .and_then(|t| t.parse::<TraceId>().ok());
    let write = || -> Result<Vec<u8>, serde_json::Error> {
        let mut bytes = serde_json::to_vec(headers)?;
        bytes.push(b'\n');
        for item in envelope.items() {
            let EnvelopeItem::MonitorCheckIn(check_in) = item else {
                // Any other item, as the `sentry` crate writes it (without its header line).
                // A check-in's envelope carries no event or transaction (`Sinks::forward`
                // adds a client report only beside those), so no `wire` entry is written here.
                let mut one = Vec::new();
                let mut single = Envelope::new();
                single.add_item(item.clone());
                let _ = single.to_writer(&mut one);
                let start = one
                    .iter()
                    .position(|&b| b == b'\n')
                    .map_or(one.len(), |i| i + 1);
                bytes.extend_from_slice(&one[start..]);
                continue;
            };
            let payload = serde_json::to_vec(&Payload {
                check_in: check_in.clone(),
                release: release.clone(),
                contexts: Contexts {
                    trace: trace_id.map(|trace_id| TraceOnly { trace_id }),
                },
            })?;
            let header = serde_json::json!({"type": "check_in", "length": payload.len()});
            serde_json::to_writer(&mut bytes, &header)?;
            bytes.push(b'\n');
            bytes.extend_from_slice(&payload);
            bytes.push(b'\n');
        }
        Ok(bytes)
    };
    match write().map(Envelope::from_bytes_raw) {
        Ok(Ok(raw)) => raw,
        _ => envelope,
    }
}

/// The check-ins of one run of a monitored function: `in_progress` sent when it was made,
/// the last one sent by [`finish`](CheckInGuard::finish), or when it is dropped first: `ok`
/// at the end of a sync body, `error` when unwinding from a panic or for a future dropped
/// unfinished.
pub struct CheckInGuard {
    running: Option<Running>,
    /// Dropped unfinished and not unwinding: `ok` for a sync body that ran to its end (its
    /// result not read), `error` for a future dropped before it was done.
    ok_on_drop: bool,
}

/// Starts a run of `monitor`: sends its `in_progress` check-in (nothing when vigil is off).
#[inline]
pub fn checkin(monitor: &'static Monitor) -> CheckInGuard {
    if !state::enabled() {
        return CheckInGuard {
            running: None,
            ok_on_drop: true,
        };
    }
    CheckInGuard {
        running: Running::start(monitor),
        ok_on_drop: true,
    }
}

impl CheckInGuard {
    /// Whether check-ins are sent (vigil enabled).
    #[inline]
    pub fn is_active(&self) -> bool {
        self.running.is_some()
    }

    /// Sends the last check-in: `ok`, or `error` for a failed verdict.
    pub fn finish(&mut self, verdict: Verdict) {
        if let Some(running) = self.running.take() {
            running.end(matches!(verdict, Verdict::Ok));
        }
    }

    /// Runs `fut` as the monitored job: the last check-in is sent when it is ready, as
    /// `classify` says of its output, or as `error` if it panics or is dropped unfinished.
    pub fn instrument<F, C>(mut self, fut: F, classify: C) -> CheckInFuture<F, C>
    where
        F: Future,
        C: FnOnce(&F::Output) -> Verdict,
    {
        self.ok_on_drop = false;
        CheckInFuture {
            fut,
            guard: self,
            classify: Some(classify),
        }
    }
}

impl Drop for CheckInGuard {
    fn drop(&mut self) {
        if let Some(running) = self.running.take() {
            // A panic, or a future dropped before it was done, is an `error`; a sync body
            // whose result is not read ends here, `ok`.
            running.end(self.ok_on_drop && !std::thread::panicking());
        }
    }
}

pin_project_lite::pin_project! {
    /// The future of a monitored `async fn` (see [`CheckInGuard::instrument`]).
    pub struct CheckInFuture<F, C> {
        #[pin]
        fut: F,
        guard: CheckInGuard,
        classify: Option<C>,
    }
}

impl<F, C> Future for CheckInFuture<F, C>
where
    F: Future,
    C: FnOnce(&F::Output) -> Verdict,
{
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        let poll = this.fut.poll(cx);
        if let Poll::Ready(output) = &poll {
            if let Some(classify) = this.classify.take() {
                this.guard.finish(classify(output));
            }
        }
        poll
    }
}
