//! Runtime of [vigil](https://docs.rs/vigil): configuration, `init`, capture, spans and
//! transactions, scrubbing, and the test harness.
//!
//! Use it through the `vigil` crate, which re-exports everything here together with the
//! attribute macros. The examples below name it `vigil` for that reason.
//!
//! ```
//! # use vigil_runtime as vigil;
//! let _guard = vigil::init()?; // reads SENTRY_DSN & co.; disabled when it is unset
//! # Ok::<(), vigil::ConfigError>(())
//! ```
#![deny(missing_docs)]
#![deny(unsafe_code)] // one audited exception: `VigilSubscriber::downcast_raw`

// The core: knows no integration (no `cfg(feature)` outside `integrations/` and this file).
mod callsite;
mod capture;
mod config;
mod flags;
#[allow(dead_code)] // counted by the HTTP server integrations only
mod health;
mod hooks;
mod http;
mod init;
mod instrument;
mod monitor;
mod redact;
mod scrub;
mod span;
mod spotlight;
mod state;
mod transport;
mod user;
mod value;
mod wire;
mod worker;

// Integrations, on the core's seams (see ARCHITECTURE.md).
mod integrations;

#[doc(hidden)]
#[path = "private.rs"]
pub mod __private;
#[cfg(feature = "async-graphql")]
pub use integrations::async_graphql;
#[cfg(feature = "axum")]
pub use integrations::axum;
#[cfg(feature = "log")]
pub use integrations::log;
#[cfg(feature = "reqwest")]
pub use integrations::reqwest;
pub use integrations::tracing::{tracing_layer, tracing_subscriber, VigilSubscriber};
pub mod propagation;
pub mod testing;
pub mod view;

pub use config::{Config, ConfigError, Environment, SessionMode, Spool, Spotlight};
pub use flags::set_feature_flag;
pub use init::{init, init_with, Guard};
pub use instrument::bind::{bind, bind_fn, Bound};
pub use scrub::is_sensitive_key;
pub use span::{start_transaction, Span, Transaction};

/// The `sentry` protocol types (events, transactions, spans) that [`testing`] returns.
pub use sentry::protocol;
/// A span's status (`ok`, `internal_error`, `cancelled`, ...).
pub use sentry::protocol::SpanStatus;
/// The id of a captured event (nil when nothing was captured).
pub use sentry::types::Uuid as EventId;
/// Event and breadcrumb levels.
pub use sentry::Level;
pub use user::{clear_user_context, set_user_context, User};

/// `"<package>@<version>"` of the crate where it is written: the release name to give
/// [`Config::release`] in a binary, so deployed builds report the right release without
/// `SENTRY_RELEASE`.
///
/// ```
/// # use vigil_runtime as vigil;
/// # use vigil_runtime::release_name;
/// let config = vigil::Config::from_env()?.release(vigil::release_name!());
/// assert_eq!(vigil::release_name!(), concat!("vigil-runtime@", env!("CARGO_PKG_VERSION")));
/// # Ok::<(), vigil::ConfigError>(())
/// ```
#[macro_export]
macro_rules! release_name {
    () => {
        ::core::concat!(
            ::core::env!("CARGO_PKG_NAME"),
            "@",
            ::core::env!("CARGO_PKG_VERSION")
        )
    };
}
