//! Trace propagation: the headers that carry a trace from one service to the next.
//!
//! Outgoing: [`headers`] gives `sentry-trace`, `baggage` and W3C `traceparent` for the current
//! span; put them on requests to other services ([`headers_for`] checks the URL against
//! [`Config::trace_propagation_targets`](crate::Config::trace_propagation_targets); the
//! `reqwest` middleware does both for you). Incoming: the `axum` layer continues the
//! caller's trace from the same headers.
//!
//! ```
//! # use vigil_runtime as vigil;
//! let captured = vigil::testing::capture(|| {
//!     let tx = vigil::start_transaction("checkout", "task");
//!     let headers = vigil::propagation::headers();
//!     let trace = &headers.iter().find(|(k, _)| *k == "sentry-trace").unwrap().1;
//!     assert!(trace.starts_with(&tx.trace_id().unwrap()));
//! });
//! # let _ = captured;
//! ```

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, PoisonError, RwLock, Weak};

use regex::Regex;
use sentry::protocol::TraceId;
use sentry::Client;

use crate::config::ConfigError;
use crate::span::{self, RemoteParent};

/// The trace a request arrived with, from its `sentry-trace` (preferred) or W3C
/// `traceparent` header; `None` when neither is valid. For HTTP server integrations.
#[allow(dead_code)] // not every build has an HTTP server integration
pub(crate) fn incoming<'a>(
    headers: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> Option<RemoteParent> {
    let mut traceparent = None;
    for (name, value) in headers {
        if name.eq_ignore_ascii_case("sentry-trace") {
            if let Some(incoming) = parse_sentry_trace(value) {
                return Some(incoming);
            }
        } else if name.eq_ignore_ascii_case("traceparent") {
            traceparent = parse_traceparent(value);
        }
    }
    traceparent
}

fn parse_ids(trace: &str, span: &str) -> Option<(TraceId, u64)> {
    if trace.len() != 32 || span.len() != 16 {
        return None;
    }
    let trace_id: TraceId = trace.parse().ok()?;
    let span_id = u64::from_str_radix(span, 16).ok()?;
    (span_id != 0 && trace.bytes().any(|b| b != b'0')).then_some((trace_id, span_id))
}

/// `<trace_id>-<span_id>[-<sampled>]`
pub(crate) fn parse_sentry_trace(value: &str) -> Option<RemoteParent> {
    let mut parts = value.trim().split('-');
    let (trace_id, parent_span_id) = parse_ids(parts.next()?, parts.next()?)?;
    let sampled = match parts.next() {
        Some("1") => Some(true),
        Some("0") => Some(false),
        None => None,
        Some(_) => return None,
    };
    parts.next().is_none().then_some(RemoteParent {
        trace_id,
        parent_span_id,
        sampled,
    })
}

/// `00-<trace_id>-<span_id>-<flags>`
pub(crate) fn parse_traceparent(value: &str) -> Option<RemoteParent> {
    let mut parts = value.trim().split('-');
    if parts.next()? != "00" {
        return None;
    }
    let (trace_id, parent_span_id) = parse_ids(parts.next()?, parts.next()?)?;
    let flags = u8::from_str_radix(parts.next()?, 16).ok()?;
    Some(RemoteParent {
        trace_id,
        parent_span_id,
        sampled: Some(flags & 1 == 1),
    })
}

/// The headers that continue the current trace in another service: `sentry-trace`,
/// `baggage` and `traceparent`. Empty when there is no current span.
///
/// ```
/// # use vigil_runtime as vigil;
/// assert!(vigil::propagation::headers().is_empty()); // no transaction here
/// ```
pub fn headers() -> Vec<(&'static str, String)> {
    span::with_current(|current| current.map(|c| trace_headers(c).to_vec())).unwrap_or_default()
}

/// [`headers`] for a request to `url`: empty when `url` is not one of the
/// [trace propagation targets](crate::Config::trace_propagation_targets) (by default, every
/// URL is).
///
/// ```
/// # use vigil_runtime as vigil;
/// let config = vigil::Config::new().traces_sample_rate(1.0).trace_propagation_targets(["^https://api\\."]);
/// vigil::testing::capture_with(config, || {
///     let _tx = vigil::start_transaction("checkout", "task");
///     assert_eq!(vigil::propagation::headers_for("https://api.example.com/pay").len(), 3);
///     assert!(vigil::propagation::headers_for("https://tracker.example.net/").is_empty());
/// })?;
/// # Ok::<(), vigil::ConfigError>(())
/// ```
pub fn headers_for(url: &str) -> Vec<(&'static str, String)> {
    span::with_current(|current| match current {
        Some(c) if propagates_to(c, url) => trace_headers(c).to_vec(),
        _ => Vec::new(),
    })
}

/// The three trace headers for span `c`: three allocations, one a header.
pub(crate) fn trace_headers(c: &span::Current) -> [(&'static str, String); 3] {
    use std::fmt::Write;
    let trace_id = c.tx.trace_id;
    let span_id = c.span_id;
    let sampled = u8::from(c.tx.sampled);
    let mut baggage = String::with_capacity(192);
    let _ = write!(
        baggage,
        "sentry-trace_id={trace_id},sentry-sample_rate={},sentry-sampled={}",
        c.tx.sample_rate, c.tx.sampled
    );
    if let Some(client) = c.tx.hub.client() {
        if let Some(dsn) = client.dsn() {
            let _ = write!(baggage, ",sentry-public_key={}", dsn.public_key());
        }
        if let Some(release) = &client.options().release {
            let _ = write!(baggage, ",sentry-release={release}");
        }
        if let Some(environment) = &client.options().environment {
            let _ = write!(baggage, ",sentry-environment={environment}");
        }
    }
    [
        (
            "sentry-trace",
            format!("{trace_id}-{span_id:016x}-{sampled}"),
        ),
        ("baggage", baggage),
        (
            "traceparent",
            format!("00-{trace_id}-{span_id:016x}-{sampled:02x}"),
        ),
    ]
}

/// The compiled [`Config::trace_propagation_targets`](crate::Config::trace_propagation_targets)
/// of each client that has some (clients without are in no list: every URL is a target).
static TARGETS: RwLock<Vec<ClientTargets>> = RwLock::new(Vec::new());

/// A client, and its compiled targets.
type ClientTargets = (Weak<Client>, Arc<[Regex]>);
/// Whether any client has targets: until one does, nothing is looked up.
static ANY_TARGETS: AtomicBool = AtomicBool::new(false);

/// The targets of a config, compiled; `None`: every URL.
pub(crate) fn compile_targets(
    targets: Option<&[String]>,
) -> Result<Option<Arc<[Regex]>>, ConfigError> {
    let Some(targets) = targets else {
        return Ok(None);
    };
    let compiled = targets
        .iter()
        .map(|t| {
            Regex::new(t).map_err(|e| {
                ConfigError::new(
                    "trace_propagation_targets",
                    t,
                    format!("not a valid regular expression: {e}"),
                )
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Some(compiled.into()))
}

/// Gives `client` its targets (none: every URL).
pub(crate) fn register_targets(client: &Arc<Client>, targets: Option<Arc<[Regex]>>) {
    let Some(targets) = targets else {
        return;
    };
    let mut list = TARGETS.write().unwrap_or_else(PoisonError::into_inner);
    list.retain(|(c, _)| c.strong_count() > 0);
    list.push((Arc::downgrade(client), targets));
    ANY_TARGETS.store(true, Ordering::Release);
}

/// Do requests to `url` from span `c` get its trace headers?
pub(crate) fn propagates_to(c: &span::Current, url: &str) -> bool {
    if !ANY_TARGETS.load(Ordering::Acquire) {
        return true;
    }
    let Some(client) = c.tx.hub.client() else {
        return true;
    };
    let list = TARGETS.read().unwrap_or_else(PoisonError::into_inner);
    match list
        .iter()
        .find(|(c, _)| std::ptr::eq(c.as_ptr(), Arc::as_ptr(&client)))
    {
        Some((_, targets)) => targets.iter().any(|t| t.is_match(url)),
        None => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_incoming_headers() {
        let t = "771a43a4192642f0b136d5159a501700";
        let i = parse_sentry_trace(&format!("{t}-1234567890abcdef-1")).unwrap();
        assert_eq!(i.trace_id.to_string(), t);
        assert_eq!(i.parent_span_id, 0x1234567890abcdef);
        assert_eq!(i.sampled, Some(true));
        assert_eq!(
            parse_sentry_trace(&format!("{t}-1234567890abcdef"))
                .unwrap()
                .sampled,
            None
        );
        let w = parse_traceparent(&format!("00-{t}-1234567890abcdef-00")).unwrap();
        assert_eq!(w.sampled, Some(false));
        for bad in [
            "",
            "x",
            "771a43a4-12",
            &format!("{t}-1234567890abcdef-2"),
            &format!("{t}-0000000000000000-1"),
            "00000000000000000000000000000000-1234567890abcdef-1",
            &format!("{t}-12345678zzabcdef-1"),
        ] {
            assert_eq!(parse_sentry_trace(bad), None, "{bad}");
        }
        assert_eq!(
            parse_traceparent(&format!("01-{t}-1234567890abcdef-01")),
            None
        );
        let headers = [
            ("traceparent", format!("00-{t}-1234567890abcdef-01")),
            ("Sentry-Trace", "bad".into()),
        ];
        let i = incoming(headers.iter().map(|(k, v)| (*k, v.as_str()))).unwrap();
        assert_eq!(i.sampled, Some(true));
    }
}
