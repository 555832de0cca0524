//! vigil's HTTP transport to Sentry: the `sentry` crate's own ureq transport
//! (`sentry-0.49.5/src/transports/ureq.rs`, MIT, by Sentry), rebuilt on the crate's public
//! pieces so that the body is written by [`crate::wire::to_writer`], which adds the fields
//! the typed protocol lacks (`transaction_info`, span `origin`).
//!
//! Everything else is the crate's: the transport thread (`StdTransportThread`: the bounded
//! channel, dropping and counting what does not fit, and the rate-limit filter by item
//! category, which sees the typed items, so a `transaction` limit still holds transactions
//! back while events go), the `RateLimiter` updated from the answer (`X-Sentry-Rate-Limits`,
//! else `Retry-After`, else a 429), the ureq agent configured the same way (proxies,
//! `accept_invalid_certs`, rustls, the `X-Sentry-Auth` header with the user agent, the DSN's
//! envelope URL), and the lost data recorded in client reports (`send_error` for a 4xx or
//! 5xx other than 429, `network_error` when the request fails). Two things differ: each step
//! of a request (connecting, sending, receiving) gives up after 30 s (ureq has no timeout by
//! default: a hung connection would stall the thread for ever), and an envelope that cannot
//! be serialized is counted lost rather than panicking the thread.

use std::time::Duration;

use sentry::protocol::Envelope;
use sentry::transports::{RateLimiter, StdTransportThread, StdTransportThreadOptions};
use sentry::types::Scheme;
use sentry::{Transport, TransportOptions};
use sentry_core::client_report::Reason as LossReason;
use sentry_core::sentry_debug;
use ureq::tls::{TlsConfig, TlsProvider};
use ureq::{Agent, Proxy};

/// The status code of a rate-limited envelope.
const HTTP_RATE_LIMIT_STATUS: u16 = 429;
/// The status code of an envelope too large for Sentry.
const HTTP_PAYLOAD_TOO_LARGE: u16 = 413;
/// How long each step of a request may take (see [`bounded`]). ureq has no limit by default
/// (nor has the `sentry` crate's transport): a connection that hangs would hold the
/// transport thread, and with it every later envelope, a flush and the shutdown at the end
/// of `main`, for ever.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// The `sentry` crate's default channel capacity (its `DEFAULT_CHANNEL_CAPACITY`).
const DEFAULT_CHANNEL_CAPACITY: usize = 30;

/// Sends envelopes to Sentry from the `sentry` crate's transport thread.
pub(crate) struct HttpTransport {
    thread: StdTransportThread,
}

/// The ureq agent for `options`, as the `sentry` crate's ureq transport builds it (rustls,
/// the only TLS provider vigil's build of `sentry` has).
fn agent(options: &TransportOptions) -> Agent {
    let mut builder = bounded(Agent::config_builder(), REQUEST_TIMEOUT).tls_config(
        TlsConfig::builder()
            .provider(TlsProvider::Rustls)
            .disable_verification(options.accept_invalid_certs)
            .build(),
    );
    let proxy = match (
        options.dsn.scheme(),
        &options.http_proxy,
        &options.https_proxy,
    ) {
        (Scheme::Https, _, Some(proxy)) | (_, Some(proxy), _) => match Proxy::new(proxy.as_ref()) {
            Ok(proxy) => Some(proxy),
            Err(err) => {
                sentry_debug!("invalid proxy: {:?}", err);
                None
            }
        },
        _ => None,
    };
    builder = builder.proxy(proxy);
    builder.build().new_agent()
}

/// `builder` with every step of a request on the network limited to `limit`: connecting
/// (through a proxy and TLS included), sending the request and its body, receiving the
/// response and its body. Not the lookup of Sentry's host name: ureq looks a name up in a
/// thread of its own when that step has a limit (a global or per-call one included), a
/// thread started for every request, where the system's resolver gives up by itself. (A
/// proxy's name is looked up under the connecting limit, so in a thread, once per new
/// connection.) A server that never answers is given up on after `limit`; one that stalls
/// in every step in turn could hold the request for five times `limit`. The `sentry`
/// crate's transport sets no limit at all.
pub(crate) fn bounded(
    builder: ureq::config::ConfigBuilder<ureq::typestate::AgentScope>,
    limit: Duration,
) -> ureq::config::ConfigBuilder<ureq::typestate::AgentScope> {
    builder
        .timeout_connect(Some(limit))
        .timeout_send_request(Some(limit))
        .timeout_send_body(Some(limit))
        .timeout_recv_response(Some(limit))
        .timeout_recv_body(Some(limit))
}

impl HttpTransport {
    pub(crate) fn new(options: TransportOptions) -> Self {
        let agent = agent(&options);
        let auth = options.dsn.to_auth(Some(&options.user_agent)).to_string();
        let url = options.dsn.envelope_api_url().to_string();
        let recorder = options.client_report_recorder.clone();
        let send = move |envelope: Envelope, rl: &mut RateLimiter| {
            let mut body = Vec::new();
            if let Err(err) = crate::wire::to_writer(&envelope, &mut body) {
                // The `sentry` crate panics here (its thread ends, nothing is sent again);
                // vigil counts the envelope lost and goes on.
                sentry_debug!("Failed to serialize envelope: {}", err);
                recorder.record_lost_data(&envelope, LossReason::InternalError);
                return;
            }
            let request = agent
                .post(&url)
                .header("X-Sentry-Auth", &auth)
                .config()
                .http_status_as_error(false)
                .build()
                .send(&body);
            match request {
                Ok(mut response) => {
                    let header = |key: &str| {
                        response
                            .headers()
                            .get(key)
                            .and_then(|v| v.to_str().ok())
                            .map(str::to_owned)
                    };
                    if let Some(limits) = header("x-sentry-rate-limits") {
                        rl.update_from_sentry_header(&limits);
                    } else if let Some(retry_after) = header("retry-after") {
                        rl.update_from_retry_after(&retry_after);
                    } else if response.status() == HTTP_RATE_LIMIT_STATUS {
                        rl.update_from_429();
                    }
                    let status = response.status().as_u16();
                    match response.body_mut().read_to_string() {
                        Err(err) => sentry_debug!("Failed to read sentry response: {}", err),
                        Ok(text) => sentry_debug!("Get response: `{}`", text),
                    }
                    if status == HTTP_PAYLOAD_TOO_LARGE {
                        sentry_debug!("Envelope was discarded due to size limits (HTTP 413).");
                    }
                    if (400..=599).contains(&status) && status != HTTP_RATE_LIMIT_STATUS {
                        recorder.record_lost_data(&envelope, LossReason::SendError);
                    }
                }
                Err(err) => {
                    sentry_debug!("Failed to send envelope: {}", err);
                    recorder.record_lost_data(&envelope, LossReason::NetworkError);
                }
            }
        };
        let capacity = options
            .transport_channel_capacity
            .map_or(DEFAULT_CHANNEL_CAPACITY, |c| c.get());
        let thread = StdTransportThreadOptions::new(send)
            .with_client_report_recorder(options.client_report_recorder)
            .with_channel_capacity(capacity)
            .spawn_thread();
        HttpTransport { thread }
    }
}

impl Transport for HttpTransport {
    fn send_envelope(&self, envelope: Envelope) {
        self.thread.send(envelope);
    }

    fn flush(&self, timeout: Duration) -> bool {
        self.thread.flush(timeout)
    }

    fn shutdown(&self, timeout: Duration) -> bool {
        self.flush(timeout)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_network_step_is_bounded_and_the_name_lookup_needs_no_thread() {
        let agent = bounded(Agent::config_builder(), REQUEST_TIMEOUT)
            .build()
            .new_agent();
        let t = agent.config().timeouts();
        for step in [
            t.connect,
            t.send_request,
            t.send_body,
            t.recv_response,
            t.recv_body,
        ] {
            assert_eq!(step, Some(REQUEST_TIMEOUT));
        }
        // A limit that covers the lookup makes ureq look every name up in a new thread.
        assert_eq!((t.global, t.per_call, t.resolve), (None, None, None));
    }
}
