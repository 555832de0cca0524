//! Capturing: events built from errors and messages ([`event`]), the failure of a monitored
//! function captured once however far it is passed up ([`failure`]), and the autoref
//! dispatch that lets the macros do the right thing for any type ([`dispatch`]).

pub mod dispatch;
pub mod event;
pub(crate) mod failure;

pub use failure::Verdict;
pub(crate) use failure::{failure_seq, settle};

/// The id returned when nothing was captured.
#[inline]
pub fn nil_event_id() -> sentry::types::Uuid {
    sentry::types::Uuid::nil()
}
