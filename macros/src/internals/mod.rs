//! What every macro of the crate shares: the error collector, the option and key parsers,
//! the `crate = "..."` option, levels, the checks, and the fallback on an error.
//!
//! Nothing here generates a macro's expansion, but for the one expression that reads a
//! function's result (`classify`), which `#[monitored]` and `#[monitor]` both emit; each
//! macro module (`instrument`, `capture`, `redact`, `sensitive`) parses and checks with
//! these, then expands on its own.

pub(crate) mod classify;
pub(crate) mod errors;
pub(crate) mod fallback;
pub(crate) mod function;
pub(crate) mod key;
pub(crate) mod krate;
pub(crate) mod level;
pub(crate) mod once;
/// Sentry's key and tag rules, the very file the runtime compiles (a symlink to
/// `runtime/src/scrub/rules.rs`), so the compile-time checks and the run-time scrubber
/// cannot drift apart.
pub(crate) mod rules;
pub(crate) mod ty;
pub(crate) mod valid;

pub(crate) use errors::Errors;
pub(crate) use krate::Krate;
pub(crate) use level::Level;
pub(crate) use once::{Once, Repeat};
