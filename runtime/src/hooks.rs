//! The seam between the core and its integrations.
//!
//! The core calls these hooks at a few points; an integration (a module under
//! `integrations/`, compiled when its cargo feature is on) implements the ones it needs and
//! is listed in [`crate::integrations::ALL`]. The core names no integration and carries no
//! `cfg(feature)`: the features only decide what that list holds.
//!
//! The list is a `static`, not something filled in at `init`: a `tracing` subscriber asks
//! which events vigil wants when a callsite is first hit, which may be before `init`, and
//! caches the answer.

use std::error::Error;

use sentry::protocol::Event;

/// What an integration may do at the core's seams. Every hook has a default that does
/// nothing.
pub(crate) trait Integration: Sync {
    /// A transaction is about to start (an enabled client is bound).
    fn transaction_starts(&self) {}

    /// An error event was built from an error whose type is `type_name`, with `source` the
    /// rest of its chain (all of it when the error is seen as `dyn Error`, `type_name` then
    /// naming what holds it): add what this integration knows of such errors.
    fn error_event(
        &self,
        _event: &mut Event<'static>,
        _type_name: &str,
        _source: Option<&(dyn Error + 'static)>,
    ) {
    }

    /// A monitored function's failure was just captured, on this thread.
    fn failure_captured(&self, _event: &Event<'static>) {}

    /// Does this integration take `tracing` events at all? When one does, vigil installs a
    /// `tracing` subscriber of its own if the application has none (see
    /// `Config::tracing_subscriber`).
    fn wants_tracing_events(&self) -> bool {
        false
    }

    /// Does this integration take this `tracing` event (instead of it being a breadcrumb)?
    /// Asked once per callsite and cached by subscribers: answer from the metadata alone.
    fn claims_tracing_event(&self, _meta: &tracing_core::Metadata<'_>) -> bool {
        false
    }

    /// Is a claimed event of this callsite worth making here and now? Asked by vigil's
    /// subscriber each time, before the library that emits the event builds its fields
    /// (`tracing`'s `enabled`): answer `false` when the event could not be recorded anywhere,
    /// so that work is skipped. Answer from the metadata and this thread's state alone.
    fn wants_tracing_event_now(&self, _meta: &tracing_core::Metadata<'_>) -> bool {
        true
    }

    /// A `tracing` event this integration claimed.
    fn tracing_event(&self, _event: &tracing_core::Event<'_>) {}

    /// Does this integration serve requests (an HTTP server layer)? Then release health
    /// counts a session per request rather than one per process, unless the config says
    /// otherwise (see `Config::session_mode`). Asked once, at `init`.
    fn serves_requests(&self) -> bool {
        false
    }
}

fn all() -> &'static [&'static dyn Integration] {
    crate::integrations::ALL
}

/// See [`Integration::transaction_starts`].
#[inline]
pub(crate) fn transaction_starts() {
    for i in all() {
        i.transaction_starts();
    }
}

/// See [`Integration::error_event`].
pub(crate) fn error_event(
    event: &mut Event<'static>,
    type_name: &str,
    source: Option<&(dyn Error + 'static)>,
) {
    for i in all() {
        i.error_event(event, type_name, source);
    }
}

/// See [`Integration::failure_captured`].
pub(crate) fn failure_captured(event: &Event<'static>) {
    for i in all() {
        i.failure_captured(event);
    }
}

/// The integration that claims this `tracing` event, if any.
pub(crate) fn claimant(meta: &tracing_core::Metadata<'_>) -> Option<&'static dyn Integration> {
    all().iter().copied().find(|i| i.claims_tracing_event(meta))
}

/// Does any integration serve requests? See [`Integration::serves_requests`].
pub(crate) fn any_serves_requests() -> bool {
    all().iter().any(|i| i.serves_requests())
}

/// Does any integration take `tracing` events?
pub(crate) fn any_wants_tracing_events() -> bool {
    all().iter().any(|i| i.wants_tracing_events())
}
