//! Spotlight: every envelope, scrubbed, also goes to Sentry's sidecar for local development,
//! as Sentry's SDKs send it (`sentry_sdk/spotlight.py`): a `POST` of the envelope to the
//! sidecar's URL with `Content-Type: application/x-sentry-envelope`.
//!
//! The `sentry` crate's own transport thread does the sending: a bounded queue (an envelope
//! that finds it full is dropped, the caller never waits) and one worker. When the sidecar
//! cannot be reached, envelopes are skipped for a pause that doubles from 2 s up to 60 s, and
//! one warning per pause goes to standard error, as sentry-python does.

use std::time::{Duration, Instant};

use sentry::protocol::Envelope;
use sentry::transports::{RateLimiter, StdTransportThread, StdTransportThreadOptions};
use sentry::Transport;

/// The media type of a Sentry envelope, which the sidecar requires.
pub(crate) const CONTENT_TYPE: &str = "application/x-sentry-envelope";
/// Envelopes waiting for the worker at most; more are dropped.
const QUEUE: usize = 64;
/// How long one request may take: the sidecar is local, a slow one is as good as down.
const TIMEOUT: Duration = Duration::from_secs(5);
const FIRST_PAUSE: Duration = Duration::from_secs(1);
const LONGEST_PAUSE: Duration = Duration::from_secs(60);

/// Sends envelopes to a Spotlight sidecar from a worker thread.
pub(crate) struct SpotlightTransport {
    thread: StdTransportThread,
}

impl SpotlightTransport {
    pub(crate) fn new(url: &str) -> Self {
        let url = url.to_owned();
        // No proxy: the sidecar is local, and `HTTP_PROXY` is meant for the outside world.
        let agent = crate::http::bounded(ureq::Agent::config_builder(), TIMEOUT)
            .proxy(None)
            .http_status_as_error(false)
            .user_agent(concat!("vigil/", env!("CARGO_PKG_VERSION")))
            .build()
            .new_agent();
        let mut backoff = Backoff::default();
        let send = move |envelope: Envelope, _: &mut RateLimiter| {
            if backoff.waiting(Instant::now()) {
                return;
            }
            let mut body = Vec::new();
            if crate::wire::to_writer(&envelope, &mut body).is_err() {
                return;
            }
            let sent = agent
                .post(&url)
                .header("Content-Type", CONTENT_TYPE)
                .send(&body[..]);
            match sent {
                Ok(mut response) => {
                    // Read the (empty) answer so the connection can be used again.
                    let _ = response.body_mut().read_to_vec();
                    backoff.succeeded();
                }
                Err(err) => {
                    let pause = backoff.failed(Instant::now());
                    eprintln!(
                        "vigil: could not send to Spotlight at {url}: {err}; trying again in {}s",
                        pause.as_secs()
                    );
                }
            }
        };
        let thread = StdTransportThreadOptions::new(send)
            .with_channel_capacity(QUEUE)
            .spawn_thread();
        SpotlightTransport { thread }
    }
}

impl Transport for SpotlightTransport {
    fn send_envelope(&self, envelope: Envelope) {
        self.thread.send(envelope);
    }

    fn flush(&self, timeout: Duration) -> bool {
        self.thread.flush(timeout)
    }

    fn shutdown(&self, timeout: Duration) -> bool {
        self.thread.flush(timeout)
    }
}

/// sentry-python's backoff: after a failure, skip envelopes for a pause that doubles each
/// time, from 2 s to 60 s; a success resets it.
#[derive(Debug, Default)]
struct Backoff {
    pause: Option<Duration>,
    since: Option<Instant>,
}

impl Backoff {
    fn waiting(&self, now: Instant) -> bool {
        match (self.since, self.pause) {
            (Some(since), Some(pause)) => now.duration_since(since) < pause,
            _ => false,
        }
    }

    fn failed(&mut self, now: Instant) -> Duration {
        // Doubled before the first wait too, as sentry-python does: 2 s, 4 s, ... 60 s.
        let pause = (self.pause.unwrap_or(FIRST_PAUSE) * 2).min(LONGEST_PAUSE);
        self.pause = Some(pause);
        self.since = Some(now);
        pause
    }

    fn succeeded(&mut self) {
        *self = Backoff::default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_a_minute_and_resets() {
        let t0 = Instant::now();
        let mut backoff = Backoff::default();
        assert!(!backoff.waiting(t0));
        assert_eq!(backoff.failed(t0), Duration::from_secs(2));
        assert!(backoff.waiting(t0 + Duration::from_millis(1_999)));
        assert!(!backoff.waiting(t0 + Duration::from_secs(2)));
        let pauses: Vec<u64> = (0..7).map(|_| backoff.failed(t0).as_secs()).collect();
        assert_eq!(pauses, [4, 8, 16, 32, 60, 60, 60]);
        backoff.succeeded();
        assert!(!backoff.waiting(t0));
        assert_eq!(backoff.failed(t0), Duration::from_secs(2));
    }
}
