//! The static metadata of one annotated function, built at compile time by the macros (as
//! `tracing`'s callsites are): the hot path reads only this and the "enabled" flag.

use sentry::Level;

/// Static metadata of one annotated function, built at compile time.
#[derive(Debug)]
pub struct Callsite {
    /// Span description / transaction name.
    pub name: &'static str,
    /// Sentry operation, such as `function` or `db.query`.
    pub op: &'static str,
    /// The function's own name (whatever `name` says).
    pub function: &'static str,
    /// `module_path!()` of the function.
    pub module: &'static str,
    /// `file!()` of the function.
    pub file: &'static str,
    /// `line!()` of the function.
    pub line: u32,
    /// `#[transaction]` (true) or `#[monitored]` (false).
    pub transaction: bool,
    /// `tags(k = "v")` of the attribute.
    pub tags: &'static [(&'static str, &'static str)],
    /// `err = capture` (true) or `err = ignore` (false).
    pub capture_errors: bool,
    /// Level of captured error events.
    pub level: Level,
    /// `sample_rate` of a `#[transaction]`.
    pub sample_rate: Option<f32>,
    /// `fingerprint = [..]`: the grouping fingerprint of captured errors (empty: Sentry's).
    pub fingerprint: &'static [&'static str],
}
