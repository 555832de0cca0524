//! What the HTTP benches (`request`, `service`, `icount`) share.

#[cfg(feature = "axum")]
pub mod app;

/// Serializes every envelope, then drops it: the cost of a transport short of the network,
/// the same for vigil and for the `sentry` set-ups it is compared with.
pub struct Serializing;

impl sentry::Transport for Serializing {
    fn send_envelope(&self, envelope: vigil::protocol::Envelope) {
        let mut bytes = Vec::with_capacity(4096);
        let _ = envelope.to_writer(&mut bytes);
        std::hint::black_box(bytes);
    }
}
