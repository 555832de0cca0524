//! HTTP services (feature `axum`): one transaction per request.
//!
//! [`layer`] wraps any tower service that takes an `http::Request` and returns an
//! `http::Response` (an axum `Router`, a tonic or hyper service):
//!
//! - each request runs in a scope of its own (user, tags and breadcrumbs set while handling
//!   it stay with it, and are gone when it ends);
//! - a transaction `http.server` named by the matched route (`GET /users/{id}`, not the raw
//!   path), with the request (method, URL, headers: scrubbed before sending, like everything),
//!   the response status as its status and `http.status_code` tag;
//! - one error event for every 5xx response: the error a `#[vigil::monitored]` function (or
//!   `capture_exception!`) captured while handling the request, or else one that names the
//!   route and status; a panic in a handler is captured too, and becomes a 500 response
//!   instead of a dropped connection;
//! - the caller's trace continues from its `sentry-trace` or `traceparent` header (see
//!   [`crate::propagation`] for the other direction);
//! - release health in request mode (the default with this feature, see
//!   [`SessionMode`](crate::SessionMode)): a session per request, healthy, errored (an error
//!   event was captured while handling it: a 5xx, a returned error, an `ERROR` log) or
//!   crashed (a panic), which the `sentry` client sends as counts per minute.
//!
//! The user: call [`set_user_context`](crate::set_user_context) anywhere while handling a
//! request, or let your own auth extractor do it by implementing [`ToUser`] for it and
//! extracting [`Authenticated<YourExtractor>`](Authenticated). Either way the user is set for
//! that request only.
//!
//! ```
//! # use vigil_runtime as vigil;
//! use axum::{routing::get, Router};
//! let app: Router = Router::new()
//!     .route("/users/{id}", get(|| async { "user" }))
//!     .layer(vigil::axum::layer());
//! ```

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};

use http::{Request, Response, StatusCode};
use sentry::protocol::{self, Event, Level, SpanStatus};
use sentry::Hub;

use crate::health;
use crate::hooks::Integration;
use crate::instrument::future::{Drive, InScope, Instrumented};
use crate::span::{self, Here, OpenSpan, SpanName};
use crate::state;
use crate::wire::Source;

/// What made the request's transaction (Sentry's origin).
const ORIGIN: &str = "auto.http.axum";

/// What an application's own auth extractor says of the user, for [`Authenticated`].
///
/// ```
/// # use vigil_runtime as vigil;
/// struct CurrentUser {
///     id: u64,
///     name: String,
/// }
///
/// impl vigil::axum::ToUser for CurrentUser {
///     fn to_user(&self) -> vigil::User {
///         vigil::User::new(self.id).username(&self.name)
///     }
/// }
/// ```
pub trait ToUser {
    /// The user to report with everything captured while handling the request.
    fn to_user(&self) -> crate::User;
}

/// An extractor around the application's own auth extractor `T`: when `T` succeeds, its
/// user becomes the user context of the request (cleared when the request ends, under
/// [`layer()`]); when it fails, its rejection is returned unchanged.
///
/// ```
/// # use vigil_runtime as vigil;
/// use axum::extract::FromRequestParts;
/// use axum::http::{request::Parts, StatusCode};
/// use axum::{routing::get, Router};
/// use vigil::axum::Authenticated;
///
/// /// The app's own extractor (here: a header; in real life, a session or a JWT).
/// struct CurrentUser(u64);
///
/// impl<S: Send + Sync> FromRequestParts<S> for CurrentUser {
///     type Rejection = StatusCode;
///     async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, StatusCode> {
///         let id = parts.headers.get("x-user-id").and_then(|v| v.to_str().ok());
///         id.and_then(|id| id.parse().ok()).map(CurrentUser).ok_or(StatusCode::UNAUTHORIZED)
///     }
/// }
///
/// impl vigil::axum::ToUser for CurrentUser {
///     fn to_user(&self) -> vigil::User {
///         vigil::User::new(self.0)
///     }
/// }
///
/// async fn me(Authenticated(user): Authenticated<CurrentUser>) -> String {
///     format!("user {}", user.0)
/// }
///
/// let app: Router = Router::new().route("/me", get(me)).layer(vigil::axum::layer());
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Authenticated<T>(pub T);

impl<S, T> axum::extract::FromRequestParts<S> for Authenticated<T>
where
    S: Send + Sync,
    T: axum::extract::FromRequestParts<S> + ToUser,
{
    type Rejection = T::Rejection;

    async fn from_request_parts(
        parts: &mut http::request::Parts,
        state: &S,
    ) -> Result<Self, Self::Rejection> {
        let inner = T::from_request_parts(parts, state).await?;
        if state::enabled() {
            crate::set_user_context(inner.to_user());
        }
        Ok(Authenticated(inner))
    }
}

/// `Option<Authenticated<T>>`, for routes open to everyone: when `T` finds a user (through
/// its own `OptionalFromRequestParts`), that user is set; when it finds none, none is.
impl<S, T> axum::extract::OptionalFromRequestParts<S> for Authenticated<T>
where
    S: Send + Sync,
    T: axum::extract::OptionalFromRequestParts<S> + ToUser,
{
    type Rejection = T::Rejection;

    async fn from_request_parts(
        parts: &mut http::request::Parts,
        state: &S,
    ) -> Result<Option<Self>, Self::Rejection> {
        let inner =
            <T as axum::extract::OptionalFromRequestParts<S>>::from_request_parts(parts, state)
                .await?;
        if let (Some(inner), true) = (&inner, state::enabled()) {
            crate::set_user_context(inner.to_user());
        }
        Ok(inner.map(Authenticated))
    }
}

/// This integration at the core's seams: it serves requests, so release health counts
/// sessions per request by default.
pub(crate) struct Axum;

impl Integration for Axum {
    fn serves_requests(&self) -> bool {
        true
    }
}

/// A request's session (release health in request mode): healthy, errored (an error event
/// was captured while handling the request) or crashed (it panicked). Counted when dropped:
/// when the response is ready, or when the request is dropped unanswered (the client left).
struct RequestSession {
    session: Option<health::RequestSession>,
    request: Arc<RequestInfo>,
}

impl Drop for RequestSession {
    fn drop(&mut self) {
        if let Some(session) = self.session.take() {
            session.end(self.request.health.outcome());
        }
    }
}

/// The layer: `.layer(vigil::axum::layer())`.
///
/// ```
/// # use vigil_runtime as vigil;
/// let layer = vigil::axum::layer();
/// # let _ = layer;
/// ```
pub fn layer() -> VigilLayer {
    VigilLayer { _private: () }
}

/// A tower layer that makes each request a transaction (see the [module](self)).
#[derive(Clone, Debug)]
pub struct VigilLayer {
    _private: (),
}

impl<S> tower_layer::Layer<S> for VigilLayer {
    type Service = VigilService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        VigilService { inner }
    }
}

/// The service [`VigilLayer`] wraps around yours.
#[derive(Clone, Debug)]
pub struct VigilService<S> {
    inner: S,
}

/// What a request's events, its transaction and its drive share (one allocation): its name,
/// whether an error was captured, and the request as Sentry shows it, built only when
/// something needs it (an event captured while handling the request; a sampled transaction,
/// on vigil's worker): a request that fails nothing pays for a copy of its method, URI and
/// headers, not for their conversion.
struct RequestInfo {
    /// The matched route, when one matched (else the name takes the URI's path).
    route: Option<axum::extract::MatchedPath>,
    /// The transaction's name: the method and the matched route (`GET /users/{id}`). Written
    /// when first needed (by a transaction, or an event): a request that neither traces nor
    /// fails never writes it.
    name: std::sync::OnceLock<String>,
    /// How it got its name (`transaction_info.source`): `route`, or `url` when no route
    /// matched.
    source: Source,
    /// Set when an error event was captured while handling the request (a monitored
    /// function's `Err`, a panic): that event stands for a 5xx response, no second one.
    error_captured: AtomicBool,
    /// What the events captured for it make of its session.
    health: health::Mark,
    method: http::Method,
    uri: http::Uri,
    /// As received, in order (a list: one allocation, where a copy of the map takes two).
    headers: Vec<(http::HeaderName, http::HeaderValue)>,
    built: std::sync::OnceLock<protocol::Request>,
}

impl RequestInfo {
    fn new<B>(req: &Request<B>) -> Self {
        // Named by the matched route (`route`), or the raw path when none matched (`url`).
        let route = req
            .extensions()
            .get::<axum::extract::MatchedPath>()
            .cloned();
        let source = match route {
            Some(_) => Source::Route,
            None => Source::Url,
        };
        RequestInfo {
            route,
            name: std::sync::OnceLock::new(),
            source,
            error_captured: AtomicBool::new(false),
            health: health::Mark::default(),
            method: req.method().clone(),
            uri: req.uri().clone(),
            headers: req
                .headers()
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            built: std::sync::OnceLock::new(),
        }
    }

    fn get(&self) -> &protocol::Request {
        self.built.get_or_init(|| self.build())
    }

    /// The transaction's name (`GET /users/{id}`).
    fn name(&self) -> &str {
        self.name.get_or_init(|| self.write_name())
    }

    /// The transaction's name, written out (for the transaction, which keeps its own).
    fn write_name(&self) -> String {
        // Written out rather than `format!`, which costs more than the rest of this.
        let route = self
            .route
            .as_ref()
            .map_or(self.uri.path(), |route| route.as_str());
        let method = self.method.as_str();
        let mut name = String::with_capacity(method.len() + 1 + route.len());
        name.push_str(method);
        name.push(' ');
        name.push_str(route);
        name
    }

    fn build(&self) -> protocol::Request {
        let host = self
            .headers
            .iter()
            .find(|(k, _)| k == http::header::HOST)
            .and_then(|(_, h)| h.to_str().ok())
            .unwrap_or("localhost");
        protocol::Request {
            url: request_url(host, self.uri.path()),
            method: Some(self.method.to_string()),
            query_string: self.uri.query().map(str::to_owned),
            headers: self
                .headers
                .iter()
                .map(|(k, v)| {
                    (
                        k.to_string(),
                        String::from_utf8_lossy(v.as_bytes()).into_owned(),
                    )
                })
                .collect(),
            ..Default::default()
        }
    }
}

/// `http://{host}{path}` as a URL. The host's part is parsed once per host and thread (the
/// worker builds every transaction's request, mostly for one host), and each request only
/// sets its path on a copy: what parsing the whole text gives, for half the work. Only a
/// plain `name[:port]` host and a path from `/` take that way; anything else the client sent
/// as its `Host` (a `/`, `?` or `#` in it, an IPv6 literal, an empty port) or an `OPTIONS *`
/// is parsed whole.
fn request_url(host: &str, path: &str) -> Option<protocol::Url> {
    thread_local! {
        static BASE: std::cell::RefCell<Option<(String, protocol::Url)>> =
            const { std::cell::RefCell::new(None) };
    }
    let whole = || format!("http://{host}{path}").parse().ok();
    if !path.starts_with('/') || !plain_host(host) {
        return whole();
    }
    BASE.try_with(|base| {
        let mut base = base.try_borrow_mut().ok()?;
        if base.as_ref().is_none_or(|(h, _)| h != host) {
            let url = format!("http://{host}/").parse().ok()?;
            *base = Some((host.to_owned(), url));
        }
        let mut url = base.as_ref()?.1.clone();
        url.set_path(path);
        Some(url)
    })
    .ok()
    .flatten()
    .or_else(whole)
}

/// A host name or IPv4 address, with a port of digits or none: nothing that could end the
/// URL's authority early or reach into its path.
fn plain_host(host: &str) -> bool {
    let (name, port) = match host.split_once(':') {
        Some((name, port)) => (name, Some(port)),
        None => (host, None),
    };
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
        && port
            .is_none_or(|p| !p.is_empty() && p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit()))
}

impl span::RequestView for RequestInfo {
    fn request(&self) -> protocol::Request {
        match self.built.get() {
            Some(built) => built.clone(),
            None => self.build(),
        }
    }

    /// Adds the request to `event`, captured while serving it, and notes what the event
    /// means for the response (no second event for a 5xx) and, unless the client ignores it,
    /// for the session.
    fn event(&self, event: &mut Event<'static>, ignored: bool) {
        if event.level >= Level::Error {
            self.error_captured.store(true, Ordering::Relaxed);
        }
        if ignored {
            return;
        }
        if event.request.is_none() {
            event.request = Some(self.get().clone());
        }
        // Named by the request when no transaction named it (tracing off).
        if event.transaction.is_none() {
            event.transaction = Some(self.name().to_owned());
            crate::wire::mark_event(event, self.source);
        }
        self.health.saw(event);
    }
}

impl<S, ReqB, ResB> tower_service::Service<Request<ReqB>> for VigilService<S>
where
    S: tower_service::Service<Request<ReqB>, Response = Response<ResB>>,
    ResB: Default,
{
    type Response = Response<ResB>;
    type Error = S::Error;
    type Future = ResponseFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request<ReqB>) -> Self::Future {
        if !state::enabled() {
            return ResponseFuture {
                kind: Kind::Off {
                    fut: self.inner.call(req),
                },
            };
        }
        let context = Arc::new(RequestInfo::new(&req));
        let hub = Arc::new(Hub::new_from_top(Hub::current()));
        let client = hub.client();
        // Tracing off (rate 0): no transaction, and no copy of its name to make.
        let tracing = client.as_ref().is_some_and(|c| span::traces_rate(c) > 0.0);
        let session = client
            .and_then(health::start)
            .map(|session| RequestSession {
                session: Some(session),
                request: Arc::clone(&context),
            });
        let (span, inner) = Hub::run(Arc::clone(&hub), || {
            if !tracing {
                // What a transaction's start would set up (sqlx's query breadcrumbs).
                crate::hooks::transaction_starts();
            }
            let span = tracing
                .then(|| {
                    // The caller's trace, continued.
                    let incoming = crate::propagation::incoming(
                        req.headers()
                            .iter()
                            .filter_map(|(k, v)| v.to_str().ok().map(|v| (k.as_str(), v))),
                    );
                    span::open(
                        SpanName::owned("http.server", context.write_name()),
                        Here::Request(incoming.as_ref()),
                    )
                })
                .flatten();
            if let Some(span) = &span {
                // Built on the worker with the transaction, if sampled; and what events
                // captured under its spans get (vigil's event integration asks).
                span.tx
                    .set_request(Arc::clone(&context) as Arc<dyn span::RequestView>);
                span.tx.set_origin(ORIGIN);
                span.tx.set_source(context.source);
            }
            // The inner service's `call` runs in the request's span too; with tracing off no
            // span carries the request, so the request itself is made current (here, and by
            // the `Http` drive around each poll).
            let entered = span.as_ref().map(|s| span::enter(s.as_current()));
            let inner = serving(span.is_none(), &context, || self.inner.call(req));
            if let Some(entered) = entered {
                span::exit(entered);
            }
            (span, inner)
        });
        let drive = Http {
            request: context,
            untraced: span.is_none(),
            panicked: false,
            session,
        };
        ResponseFuture {
            kind: Kind::On {
                fut: Instrumented::new(
                    inner,
                    InScope {
                        hub: Some(hub),
                        span,
                    },
                    drive,
                ),
            },
        }
    }
}

/// Runs `f` with `request` the thread's current request when no span carries it
/// (`untraced`): what vigil's event integration finds for the events captured in `f`.
fn serving<R>(untraced: bool, request: &Arc<RequestInfo>, f: impl FnOnce() -> R) -> R {
    let _current =
        untraced.then(|| span::enter_request(Arc::clone(request) as Arc<dyn span::RequestView>));
    f()
}

/// How a request's future runs and ends: a panic becomes a 500 response, the status code the
/// transaction's status, and a 5xx with no error captured an event of its own.
struct Http {
    /// Its name, and whether an error event was captured while handling it.
    request: Arc<RequestInfo>,
    /// No span carries the request (tracing off): it is made the thread's current request
    /// while the handler runs, for the events captured there.
    untraced: bool,
    panicked: bool,
    /// Ended once the response is ready and its event (if any) captured.
    session: Option<RequestSession>,
}

impl<F, ResB, E> Drive<F> for Http
where
    F: Future<Output = Result<Response<ResB>, E>>,
    ResB: Default,
{
    fn poll(&mut self, fut: Pin<&mut F>, cx: &mut Context<'_>) -> Poll<F::Output> {
        // A panicking handler: the panic hook has captured it (in this request's scope); the
        // client gets a 500 rather than a dropped connection.
        let poll = serving(self.untraced, &self.request, || {
            std::panic::catch_unwind(AssertUnwindSafe(|| fut.poll(cx)))
        });
        poll.unwrap_or_else(|_panic| {
            self.panicked = true;
            self.request.health.raise(health::Outcome::Crashed);
            let mut response = Response::new(ResB::default());
            *response.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
            Poll::Ready(Ok(response))
        })
    }

    fn ready(self, output: &F::Output, span: Option<&mut OpenSpan>) -> SpanStatus {
        let Ok(response) = output else {
            return SpanStatus::InternalError;
        };
        let code = response.status();
        let captured = self.panicked || self.request.error_captured.load(Ordering::Relaxed);
        if code.is_server_error() && !captured {
            let mut event = Event {
                message: Some(format!("{} responded {code}", self.request.name())),
                level: Level::Error,
                ..Default::default()
            };
            event
                .tags
                .insert("http.status_code".into(), code.as_u16().to_string());
            serving(self.untraced, &self.request, || {
                Hub::current().capture_event(event)
            });
        }
        if let Some(span) = span {
            span.set_tag("http.status_code", code.as_u16().to_string());
            span.set_data(
                "http.response.status_code",
                sentry::protocol::Value::from(code.as_u16()),
            );
        }
        // After the event above: the session counts it.
        drop(self.session);
        crate::span::http_status(code.as_u16())
    }
}

pin_project_lite::pin_project! {
    /// The response future of [`VigilService`].
    pub struct ResponseFuture<F> {
        #[pin]
        kind: Kind<F>,
    }
}

pin_project_lite::pin_project! {
    #[project = KindProj]
    enum Kind<F> {
        // vigil is off: the service's own future, untouched.
        Off { #[pin] fut: F },
        On { #[pin] fut: Instrumented<F, Http, InScope> },
    }
}

impl<F, ResB, E> Future for ResponseFuture<F>
where
    F: Future<Output = Result<Response<ResB>, E>>,
    ResB: Default,
{
    type Output = Result<Response<ResB>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project().kind.project() {
            KindProj::Off { fut } => fut.poll(cx),
            KindProj::On { fut } => fut.poll(cx),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_url_is_what_parsing_the_whole_text_gives() {
        let segments = [
            "", "a", ".", "..", "%2e%2E", "%41", "~x", "ü", "a b", "\\", "%2F", "x?y", "#z", "%",
        ];
        // What a request's URI gives as its path (never a query or a fragment).
        let mut paths = vec![String::new()];
        for a in segments {
            for b in segments {
                for c in segments {
                    for text in [format!("/{a}/{b}/{c}"), format!("/{a}{b}/{c}")] {
                        if let Ok(uri) = http::Uri::try_from(text.as_str()) {
                            paths.push(uri.path().to_owned());
                        }
                    }
                }
            }
        }
        assert!(paths.len() > 1000, "{} paths", paths.len());
        paths.push("*".to_owned()); // `OPTIONS *`
                                    // Hosts in turn, so the per-thread base is replaced and reused; and what a client may
                                    // send as its `Host`.
        let hosts = [
            "bench",
            "example.com:8080",
            "EXAMPLE.com",
            "[::1]:3000",
            "bad host",
            "bench",
            "a/b",
            "a?x",
            "a#x",
            "a\\b",
            "h:",
            "h:99999",
            "h:080",
            "1.2.3.4:80",
            "256.0.0.1",
            "xn--nxasmq6b",
            "ü.example",
            "",
            ":80",
            "a@b",
            "bench",
        ];
        for host in hosts {
            for path in &paths {
                let whole: Option<protocol::Url> = format!("http://{host}{path}").parse().ok();
                assert_eq!(request_url(host, path), whole, "{host} {path}");
            }
        }
    }
}
