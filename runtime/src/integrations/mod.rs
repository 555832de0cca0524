//! Integrations: each a module that plugs into the core through [`crate::hooks`] and the
//! core's crate-internal API, compiled when its cargo feature is on (`tracing` always).
//! Adding one: a module here, a feature in `Cargo.toml`, an entry in [`ALL`] if it uses a
//! hook. ARCHITECTURE.md says more.

#[cfg(feature = "anyhow")]
mod anyhow;
#[cfg(feature = "async-graphql")]
pub mod async_graphql;
#[cfg(feature = "axum")]
pub mod axum;
#[cfg(feature = "log")]
pub mod log;
#[cfg(feature = "reqwest")]
pub mod reqwest;
#[cfg(feature = "sqlx")]
mod sqlx;
pub mod tracing;

use crate::hooks::Integration;

/// The integrations that use the core's hooks, in this build.
pub(crate) static ALL: &[&dyn Integration] = &[
    &tracing::Tracing,
    #[cfg(feature = "sqlx")]
    &sqlx::Sqlx,
    #[cfg(feature = "async-graphql")]
    &async_graphql::Graphql,
    #[cfg(feature = "axum")]
    &axum::Axum,
];
