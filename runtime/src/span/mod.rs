//! Spans and transactions.
//!
//! vigil keeps its own light span model instead of the `sentry` crate's `Transaction`/`Span`
//! objects: the current span is a thread-local (set per poll for futures), finished child
//! spans go into their transaction's buffer, and the protocol `Transaction` is built once,
//! when the transaction finishes, and handed to the client's transport. The `sentry` crate
//! still owns sending, rate limits and envelopes.
//!
//! - `clock`: the span clock;
//! - `current`: the thread's current span;
//! - `record`: finished child spans, kept small (in `chunks`);
//! - `thread`: the thread a span ran on;
//! - `tx`: what a transaction's spans share, and building the transaction;
//! - `open`: open spans, and [`open()`], where every span and transaction is opened;
//! - `async_child`: the child span of a monitored `async fn`, kept between polls;
//! - `handle`: the public [`Transaction`] and [`Span`].

mod async_child;
mod chunks;
mod clock;
mod current;
mod handle;
mod open;
mod record;
mod request;
mod thread;
mod tx;

use sentry::protocol::{SpanId, TraceId};

pub(crate) use async_child::AsyncChild;
pub(crate) use clock::warm_up as warm_up_clock;
pub(crate) use current::{current_sampled, enter, exit, with_current, Current, Entered};
pub use handle::{start_transaction, Span, Transaction};
#[allow(unused_imports)] // for HTTP server integrations
pub(crate) use open::traces_rate;
#[allow(unused_imports)] // for integrations (GraphQL, HTTP client and server)
pub(crate) use open::{open, Here};
pub(crate) use open::{open_root, Child, ChildSpan, OpenSpan, TraceParent};
pub(crate) use record::SpanName;
#[allow(unused_imports)] // for integrations that record spans timed elsewhere
pub(crate) use record::Text;
pub(crate) use request::{current_request, enter_request, RequestGuard};
#[allow(unused_imports)] // for HTTP server integrations
pub(crate) use tx::RequestView;
pub(crate) use tx::{with_vigil_package, Finished, TxShared};

/// The protocol form of a span id.
pub(crate) fn span_id(id: u64) -> SpanId {
    SpanId::from(id.to_be_bytes())
}

/// A span's status from an HTTP status code, as Sentry's SDKs map them (for the HTTP
/// integrations, server and client side).
#[allow(dead_code)] // not every build has an HTTP integration
pub(crate) fn http_status(code: u16) -> sentry::protocol::SpanStatus {
    use sentry::protocol::SpanStatus;
    match code {
        100..=399 => SpanStatus::Ok,
        401 => SpanStatus::Unauthenticated,
        403 => SpanStatus::PermissionDenied,
        404 => SpanStatus::NotFound,
        409 => SpanStatus::AlreadyExists,
        429 => SpanStatus::ResourceExhausted,
        499 => SpanStatus::Cancelled,
        400..=499 => SpanStatus::InvalidArgument,
        501 => SpanStatus::Unimplemented,
        503 => SpanStatus::Unavailable,
        504 => SpanStatus::DeadlineExceeded,
        _ => SpanStatus::InternalError,
    }
}

/// The trace a request arrived with (see [`crate::propagation`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct RemoteParent {
    pub(crate) trace_id: TraceId,
    pub(crate) parent_span_id: u64,
    /// The caller's sampling decision, when it made one.
    pub(crate) sampled: Option<bool>,
}
