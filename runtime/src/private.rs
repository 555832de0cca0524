//! What macro expansions call. Not public API: names and signatures here change with the
//! macros, which are always released together with this crate.
//!
//! A list of re-exports, like thiserror's `private.rs`: the items live in the core, which
//! never imports from here.

pub use crate::callsite::Callsite;
pub use crate::capture::dispatch::{self, Arg, ErrRef, Outcome};
pub use crate::capture::event::{BreadcrumbBuilder, EventBuilder};
pub use crate::capture::nil_event_id;
pub use crate::capture::Verdict;
pub use crate::flags::flag;
pub use crate::instrument::async_span::{enter_async, AsyncSpan};
pub use crate::instrument::guard::{enter, SpanGuard};
pub use crate::instrument::{call, future, pin_type};
pub use crate::monitor::{checkin, CheckInFuture, CheckInGuard, Monitor, Schedule, Unit};
pub use crate::redact::{partial_mask, pii_allowed, Filtered, Masked, Partial, Pii};
pub use crate::scrub::{scrub_event, FILTERED};
pub use crate::state::enabled;
pub use sentry::types::Uuid;
pub use sentry::Level;
/// serde, for the `Serialize` impls the macros generate.
pub use serde;
