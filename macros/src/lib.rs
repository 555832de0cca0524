//! Procedural macros of [vigil](https://docs.rs/vigil). Use them through the `vigil` crate,
//! whose documentation describes each one; their expansions call only `vigil::__private`
//! (or `<crate>::__private` under a `crate = "..."` option).
//!
//! This file holds the entry points only. Each macro is a module that parses, checks and
//! expands in separate files: `instrument/` (`#[monitored]`, `#[transaction]`), `monitor/`
//! (`#[monitor]`, cron check-ins), `capture/`
//! (`capture_exception!`, `capture_message!`, `add_breadcrumb!`), `flag/` (`flag!`), `redact/`
//! (`#[derive(Redact)]`) and `sensitive.rs` (`#[vigil::sensitive]`), over the shared
//! `internals/` (the error collector, the key and option parsers, levels, the `crate`
//! option, Sentry's rules and the fallback). On an error a macro emits every error with its
//! span *and* the item unchanged, so the rest of the crate still type-checks and editors
//! keep completing inside the function.
#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod capture;
mod flag;
mod instrument;
mod internals;
mod monitor;
mod redact;
mod sensitive;

use proc_macro::TokenStream;

use capture::CallKind;
use instrument::Kind;

/// Instruments a function: a span named after it, error capture for a returned `Err`, panics
/// marked on the span. See the `vigil` crate documentation for the options.
#[proc_macro_attribute]
pub fn monitored(args: TokenStream, item: TokenStream) -> TokenStream {
    instrument::instrument(Kind::Monitored, args.into(), item.into()).into()
}

/// Makes a function a transaction (a child span when one is already running). See the
/// `vigil` crate documentation for the options.
#[proc_macro_attribute]
pub fn transaction(args: TokenStream, item: TokenStream) -> TokenStream {
    instrument::instrument(Kind::Transaction, args.into(), item.into()).into()
}

/// A cron monitor: check-ins to Sentry Crons when the function starts and ends (`ok`, or
/// `error` on a returned `Err` or a panic). See the `vigil` crate documentation for the
/// options.
#[proc_macro_attribute]
pub fn monitor(args: TokenStream, item: TokenStream) -> TokenStream {
    monitor::monitor(args.into(), item.into()).into()
}

/// Captures an error with `key = value` tags and extra; returns the event id.
#[proc_macro]
pub fn capture_exception(input: TokenStream) -> TokenStream {
    capture::capture(CallKind::Exception, input.into()).into()
}

/// Captures a message with a `level` and `key = value` tags and extra; returns the event id.
#[proc_macro]
pub fn capture_message(input: TokenStream) -> TokenStream {
    capture::capture(CallKind::Message, input.into()).into()
}

/// Adds a breadcrumb with a `category`, `type`, `level` and `key = value` data.
#[proc_macro]
pub fn add_breadcrumb(input: TokenStream) -> TokenStream {
    capture::capture(CallKind::Breadcrumb, input.into()).into()
}

/// Records a feature flag evaluation under a name checked at compile time, and evaluates to
/// the result: `flag!("new_checkout", enabled)`.
#[proc_macro]
pub fn flag(input: TokenStream) -> TokenStream {
    flag::flag(input.into()).into()
}

/// Derives a `Debug` and a `Serialize` that hide the fields marked `#[sensitive]`;
/// `#[vigil(crate = "...")]` on the type names a renamed vigil dependency.
#[proc_macro_derive(Redact, attributes(sensitive, vigil))]
pub fn derive_redact(input: TokenStream) -> TokenStream {
    redact::derive(input.into()).into()
}

/// Marks a whole type as secret: its `Debug` prints `Name([Filtered])` and it serializes as
/// `"[Filtered]"`.
#[proc_macro_attribute]
pub fn sensitive(args: TokenStream, item: TokenStream) -> TokenStream {
    sensitive::sensitive(args.into(), item.into()).into()
}
