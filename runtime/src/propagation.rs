//! Trace propagation: the headers that carry a trace from one service to the next.
//!
//! Outgoing: [`headers`] gives `sentry-trace`, `baggage` and W3C `traceparent` for the current
//! span; put them on requests to other services. Incoming: the `axum` layer continues the
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

use sentry::protocol::TraceId;

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
    span::with_current(|current| {
        let Some(c) = current else {
            return Vec::new();
        };
        let trace_id = c.tx.trace_id.to_string();
        let span_id = format!("{:016x}", c.span_id);
        let sampled = c.tx.sampled;
        let mut baggage = format!(
            "sentry-trace_id={trace_id},sentry-sample_rate={},sentry-sampled={sampled}",
            c.tx.sample_rate
        );
        if let Some(client) = c.tx.hub.client() {
            if let Some(dsn) = client.dsn() {
                baggage.push_str(&format!(",sentry-public_key={}", dsn.public_key()));
            }
            if let Some(release) = &client.options().release {
                baggage.push_str(&format!(",sentry-release={release}"));
            }
            if let Some(environment) = &client.options().environment {
                baggage.push_str(&format!(",sentry-environment={environment}"));
            }
        }
        vec![
            (
                "sentry-trace",
                format!("{trace_id}-{span_id}-{}", u8::from(sampled)),
            ),
            ("baggage", baggage),
            (
                "traceparent",
                format!("00-{trace_id}-{span_id}-{:02x}", u8::from(sampled)),
            ),
        ]
    })
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
