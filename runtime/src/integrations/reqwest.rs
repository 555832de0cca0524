//! Outgoing HTTP calls (feature `reqwest`): a [`reqwest_middleware`] middleware.
//!
//! [`middleware()`] on a `reqwest_middleware::ClientBuilder` makes each request:
//!
//! - an `http.client` span under the current span, described `METHOD url` (the URL without
//!   its query, fragment or credentials; the query goes to `http.query`, scrubbed like any
//!   other value), with `http.request.method`, `url`, `server.address` and
//!   `http.response.status_code`; its status is the response's (`not_found`,
//!   `internal_error`, ...), `internal_error` when the request failed (connection refused,
//!   reset) and `deadline_exceeded` when it timed out;
//! - an `http` breadcrumb (method, URL, status code), so an error captured later shows the
//!   calls that led to it;
//! - carry the trace headers (`sentry-trace`, `baggage`, `traceparent`) of the current span,
//!   so the service called (with `vigil::axum::layer()` or any Sentry SDK) continues the same
//!   trace, when its URL is one of
//!   [`Config::trace_propagation_targets`](crate::Config::trace_propagation_targets) (by
//!   default every URL is).
//!
//! When vigil is disabled the middleware passes the request on untouched: no span, no
//! breadcrumb, no header.
//!
//! ```
//! # use vigil_runtime as vigil;
//! let client = reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
//!     .with(vigil::reqwest::middleware())
//!     .build();
//! // client.get("http://billing.internal/invoices/7").send().await?
//! # let _ = client;
//! ```

use std::fmt::Write;
use std::future::Future;

use http::{Extensions, HeaderValue};
use reqwest::{Request, Response};
use reqwest_middleware::{Middleware, Next};
use sentry::protocol::{Breadcrumb, Level, Map, SpanStatus, Value};
use sentry::Hub;

use crate::instrument::future::{Drive, InScope, Instrumented};
use crate::span::{self, Here, OpenSpan, SpanName};
use crate::state;

/// What made a request's `http.client` span (Sentry's origin).
const ORIGIN: &str = "auto.http.reqwest";

/// The middleware: `ClientBuilder::new(client).with(vigil::reqwest::middleware())`.
///
/// ```
/// # use vigil_runtime as vigil;
/// let middleware: vigil::reqwest::VigilMiddleware = vigil::reqwest::middleware();
/// # let _ = middleware;
/// ```
pub fn middleware() -> VigilMiddleware {
    VigilMiddleware { _private: () }
}

/// A `reqwest_middleware` middleware that records outgoing requests (see the
/// [module](self)).
///
/// ```
/// # use vigil_runtime as vigil;
/// let client = reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
///     .with(vigil::reqwest::middleware())
///     .build();
/// # let _ = client;
/// ```
#[derive(Clone, Debug, Default)]
pub struct VigilMiddleware {
    _private: (),
}

#[async_trait::async_trait]
impl Middleware for VigilMiddleware {
    async fn handle(
        &self,
        req: Request,
        extensions: &mut Extensions,
        next: Next<'_>,
    ) -> reqwest_middleware::Result<Response> {
        if !state::enabled() {
            return next.run(req, extensions).await;
        }
        let (req, span, drive) = start(req);
        let scope = InScope { hub: None, span };
        Instrumented::new(next.run(req, extensions), scope, drive).await
    }
}

/// A request about to go out: its span opened (when recorded), the trace headers added.
fn start(mut req: Request) -> (Request, Option<OpenSpan>, HttpClient) {
    let url = req.url();
    // The URL without query, fragment or credentials: `scheme://host[:port]/path`.
    let mut bare = String::with_capacity(url.as_str().len());
    let _ = write!(
        bare,
        "{}://{}",
        url.scheme(),
        url.host_str().unwrap_or_default()
    );
    if let Some(port) = url.port() {
        let _ = write!(bare, ":{port}");
    }
    bare.push_str(url.path());
    let method = req.method().as_str().to_owned();
    let current = span::with_current(|c| c.cloned());
    let span = current.as_ref().filter(|c| c.tx.sampled).and_then(|_| {
        let mut span = span::open(
            SpanName::owned("http.client", format!("{method} {bare}")),
            Here::ChildOnly,
        )?;
        span.set_origin(ORIGIN);
        span.set_data("http.request.method", Value::from(method.clone()));
        span.set_data("url", Value::from(bare.clone()));
        if let Some(host) = url.host_str() {
            span.set_data("server.address", Value::from(host));
        }
        if let Some(port) = url.port() {
            span.set_data("server.port", Value::from(port));
        }
        if let Some(query) = url.query() {
            span.set_data("http.query", Value::from(query));
        }
        if let Some(fragment) = url.fragment() {
            span.set_data("http.fragment", Value::from(fragment));
        }
        Some(span)
    });
    // The headers name the request's own span when it is recorded, else the current one.
    let parent = span.as_ref().map(OpenSpan::as_current).or(current);
    if let Some(parent) = parent {
        if crate::propagation::propagates_to(&parent, url.as_str()) {
            for (name, value) in crate::propagation::trace_headers(&parent) {
                if let Ok(value) = HeaderValue::try_from(value) {
                    req.headers_mut().insert(name, value);
                }
            }
        }
    }
    (req, span, HttpClient { method, url: bare })
}

/// How a request's future ends: the status code on the span and a breadcrumb.
struct HttpClient {
    method: String,
    url: String,
}

impl<F> Drive<F> for HttpClient
where
    F: Future<Output = reqwest_middleware::Result<Response>>,
{
    fn ready(self, output: &F::Output, span: Option<&mut OpenSpan>) -> SpanStatus {
        let (status, code) = match output {
            Ok(response) => (
                crate::span::http_status(response.status().as_u16()),
                Some(response.status()),
            ),
            Err(e) if e.is_timeout() => (SpanStatus::DeadlineExceeded, None),
            Err(_) => (SpanStatus::InternalError, None),
        };
        if let (Some(span), Some(code)) = (span, code) {
            span.set_data("http.response.status_code", Value::from(code.as_u16()));
        }
        let mut data = Map::new();
        data.insert("method".to_owned(), Value::from(self.method));
        data.insert("url".to_owned(), Value::from(self.url));
        if let Some(code) = code {
            data.insert("status_code".to_owned(), Value::from(code.as_u16()));
            if let Some(reason) = code.canonical_reason() {
                data.insert("reason".to_owned(), Value::from(reason));
            }
        }
        let level = match code.map(|c| c.as_u16()) {
            None | Some(500..) => Level::Error,
            Some(400..) => Level::Warning,
            Some(_) => Level::Info,
        };
        Hub::current().add_breadcrumb(Breadcrumb {
            ty: "http".into(),
            category: Some("http".into()),
            level,
            data,
            ..Default::default()
        });
        status
    }
}
