//! The application the request benches (`request`, `icount`) send one request through: a
//! `GET /users/{id}` whose handler awaits one `async fn -> Result`, bare, with vigil, or
//! with `sentry-tower` + `sentry-tracing`.

use axum::body::Body;
use axum::http::Request;
use axum::routing::get;
use axum::Router;

#[derive(Debug)]
pub struct AppError;
impl std::fmt::Display for AppError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("greeting failed")
    }
}
impl std::error::Error for AppError {}

async fn greet_bare(name: &str) -> Result<String, AppError> {
    Ok(format!("hello {name}"))
}

#[vigil::monitored]
async fn greet_monitored(name: &str) -> Result<String, AppError> {
    Ok(format!("hello {name}"))
}

#[tracing::instrument(err)]
async fn greet_instrumented(name: &str) -> Result<String, AppError> {
    Ok(format!("hello {name}"))
}

/// No SDK.
pub fn bare() -> Router {
    Router::new().route(
        "/users/{id}",
        get(|| async { greet_bare("world").await.map_err(|e| e.to_string()) }),
    )
}

/// `vigil::axum::layer()` and a monitored handler.
pub fn with_vigil() -> Router {
    Router::new()
        .route(
            "/users/{id}",
            get(|| async { greet_monitored("world").await.map_err(|e| e.to_string()) }),
        )
        .layer(vigil::axum::layer())
}

/// `sentry-tower` (`NewSentryLayer` + `SentryHttpLayer` with transactions) and a handler
/// under `#[tracing::instrument(err)]`.
pub fn with_sentry_tower() -> Router {
    use sentry::integrations::tower::{NewSentryLayer, SentryHttpLayer};
    Router::new()
        .route(
            "/users/{id}",
            get(|| async { greet_instrumented("world").await.map_err(|e| e.to_string()) }),
        )
        .layer(SentryHttpLayer::new().enable_transaction())
        .layer(NewSentryLayer::<Request<Body>>::new_from_top())
}

/// The request every bench sends: `GET /users/7` with a `User-Agent` and an `X-Request-Id`,
/// its URI and header values slices of one shared buffer, as hyper reads a request off a
/// connection. (A builder's `&str` values are copied into buffers of their own, which the
/// first clone must then make shared: allocations a served request never pays, and only the
/// SDKs that clone them would pay here.)
pub fn request() -> Request<Body> {
    const RAW: &[u8] = b"/users/7bench/1.00f1e2d3c";
    let buf = bytes::BytesMut::from(RAW).split().freeze();
    let value = |range: std::ops::Range<usize>| {
        axum::http::HeaderValue::from_maybe_shared(buf.slice(range)).expect("a valid value")
    };
    let uri = axum::http::Uri::from_maybe_shared(buf.slice(0..8)).expect("a valid URI");
    Request::get(uri)
        .header("user-agent", value(8..17))
        .header("x-request-id", value(17..25))
        .body(Body::empty())
        .expect("a valid request")
}
