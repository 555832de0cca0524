//! `init`: from a validated [`Config`] to a bound `sentry` client, and the guard that flushes it.

use std::borrow::Cow;
use std::sync::Arc;
use std::time::Duration;

use sentry::protocol::{Event, Log, LogAttribute};
use sentry::{ClientOptions, Integration, TracesSamplingStrategy};

use crate::config::{Config, ConfigError, SessionMode};
use crate::span;
use crate::state::Listener;
use crate::transport::{Factory, Sink};

/// A DSN for the spool, test and Spotlight-only sinks: the client needs one to be enabled,
/// nothing is sent to it.
const LOCAL_DSN: &str = "https://vigil@localhost.invalid/0";

const DEFAULT_SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(2);

/// Every event captured while vigil runs passes here, whoever captures it (vigil's macros,
/// the panic hook, or direct `sentry` calls): its stack frames are marked in-app or not (see
/// `capture::frames`), vigil's current span is added, and errors of ignored types are
/// dropped (the client counts them in its reports).
pub(crate) struct EventIntegration {
    ignore_errors: Vec<String>,
    /// Release health in request mode: this client's sessions, counted per minute.
    #[allow(dead_code)] // counted by the HTTP server integrations only
    pub(crate) request_sessions: Option<Arc<crate::health::RequestSessions>>,
}

/// vigil's integration on `client` (every client vigil builds has it).
#[allow(dead_code)] // for the HTTP server integrations
pub(crate) fn vigil_integration(client: &sentry::Client) -> Option<&EventIntegration> {
    client
        .options()
        .integrations
        .iter()
        .find_map(|i| (**i).as_any().downcast_ref::<EventIntegration>())
}

impl Integration for EventIntegration {
    fn name(&self) -> &'static str {
        "vigil-events"
    }

    fn process_event(
        &self,
        mut event: Event<'static>,
        _options: &ClientOptions,
    ) -> Option<Event<'static>> {
        let ignored = crate::capture::ignored(&event, &self.ignore_errors);
        // The request it was captured for: the current span's transaction's, else the
        // thread's current request (tracing off).
        let request = span::with_current(|current| {
            let current = current?;
            if !ignored {
                event
                    .contexts
                    .insert("trace".into(), current.trace_context().into());
                if event.transaction.is_none() {
                    event.transaction = Some(current.tx.name.to_string());
                }
                // Named by its transaction: how that got its name too.
                if event.transaction.as_deref() == Some(&*current.tx.name) {
                    crate::wire::mark_event(&mut event, current.tx.source());
                }
            }
            current.tx.request()
        })
        .or_else(span::current_request);
        if ignored {
            // Its request still knows it failed (no second event for its 5xx).
            if let Some(request) = request {
                request.event(&mut event, true);
            }
            return None;
        }
        crate::capture::frames::process_event(&mut event);
        if let Some(sdk) = &mut event.sdk {
            span::with_vigil_package(sdk.to_mut());
        }
        if let Some(request) = request {
            request.event(&mut event, false);
        }
        Some(event)
    }
}

/// Every structured log passes here (the client's `before_send_log`, set when logs are on),
/// on the thread that logged: it joins the trace of vigil's current span, which the `sentry`
/// scope does not know (vigil keeps its own spans), with that span as its parent.
pub(crate) fn in_current_trace(mut log: Log) -> Option<Log> {
    span::with_current(|current| {
        if let Some(current) = current {
            log.trace_id = Some(current.tx.trace_id);
            log.attributes.insert(
                "sentry.trace.parent_span_id".into(),
                LogAttribute(span::span_id(current.span_id).to_string().into()),
            );
        }
    });
    Some(log)
}

/// The `sentry` options for `config`, sending to `sink`. `None`: nothing to send to.
pub(crate) fn client_options(
    config: &Config,
    sink: Option<Sink>,
) -> Result<Option<ClientOptions>, ConfigError> {
    let dsn = config.validate()?;
    // `sink` is given by `testing` captures only.
    let testing = sink.is_some();
    // Spotlight takes what `init` sends; a test capture keeps everything in the process.
    let spotlight = match sink {
        None => config.effective_spotlight_url().map(str::to_owned),
        Some(_) => None,
    };
    let from_init = sink.is_none();
    let sink = sink.or_else(|| config.transport.clone().map(Sink::Custom));
    let (dsn, sink) = match (dsn, sink, &config.spool) {
        (dsn, Some(Sink::Custom(f)), _) => {
            (dsn.or_else(|| LOCAL_DSN.parse().ok()), Sink::Custom(f))
        }
        (_, Some(sink), _) => (LOCAL_DSN.parse().ok(), sink),
        (Some(dsn), None, _) => (Some(dsn), Sink::Http),
        (None, None, Some(spool)) => (LOCAL_DSN.parse().ok(), Sink::Spool(spool.clone())),
        (None, None, None) if spotlight.is_some() => (LOCAL_DSN.parse().ok(), Sink::Nowhere),
        (None, None, None) => return Ok(None),
    };
    if from_init {
        // The spool writes as things happen, in order with the program's own output.
        crate::state::set_send_inline(matches!(sink, Sink::Spool(_)));
    }
    let mut options = ClientOptions::default();
    options.dsn = dsn;
    options.environment = Some(Cow::Borrowed(config.environment.as_str()));
    options.release = config.effective_release().map(Cow::Owned);
    let rate = config.effective_traces_sample_rate();
    options.traces_sampling_strategy = if rate > 0.0 {
        TracesSamplingStrategy::FixedRate(rate)
    } else {
        TracesSamplingStrategy::Disabled
    };
    options.send_default_pii = config.send_default_pii;
    options.shutdown_timeout = config.shutdown_timeout.unwrap_or(DEFAULT_SHUTDOWN_TIMEOUT);
    options.debug = config.debug;
    options.max_breadcrumbs = 100;
    // Release health: `sentry::init` starts the process's session in application mode; the
    // HTTP layer starts one per request in request mode (it reads both options back).
    options.auto_session_tracking = config.release_health.unwrap_or(!testing);
    options.session_mode = match config.effective_session_mode() {
        SessionMode::Application => sentry::SessionMode::Application,
        SessionMode::Request => sentry::SessionMode::Request,
    };
    if config.enable_logs {
        // Also how `capture::logs` knows logs are on for this client.
        options.before_send_log = Some(Arc::new(in_current_trace));
    }
    // Counted by vigil, not by the `sentry` crate's session per request (see `health`).
    let request_sessions = match (&options.release, options.session_mode) {
        (Some(release), sentry::SessionMode::Request) if options.auto_session_tracking => {
            Some(Arc::new(crate::health::RequestSessions::new(
                release,
                options.environment.as_deref(),
            )))
        }
        _ => None,
    };
    options.transport = Some(Arc::new(Factory {
        sink,
        scrubber: Arc::new(config.scrubber()?),
        spotlight,
        request_sessions: request_sessions.clone(),
    }));
    options.integrations.push(Arc::new(EventIntegration {
        ignore_errors: config.ignore_errors.clone(),
        request_sessions,
    }));
    Ok(Some(options))
}

/// Keeps vigil running; dropping it flushes queued events (within the shutdown timeout) and
/// turns vigil off.
///
/// ```
/// # use vigil_runtime as vigil;
/// let guard = vigil::init()?; // disabled here: no SENTRY_DSN in this example's environment
/// assert!(!guard.is_enabled());
/// drop(guard);
/// # Ok::<(), vigil::ConfigError>(())
/// ```
#[must_use = "vigil stops (and flushes) when the guard is dropped: bind it with `let _guard = ...`"]
pub struct Guard {
    listener: Option<Listener>,
    client: Option<sentry::ClientInitGuard>,
    /// The client `init` bound, to flush it wherever the guard is (`sentry::init` binds to
    /// the calling thread's hub, which is not the main one off the main thread).
    bound: Option<Arc<sentry::Client>>,
    /// The hub holding the process's session (application mode), to end it when the guard
    /// drops, on whichever thread that is.
    session: Option<Arc<sentry::Hub>>,
    shutdown_timeout: Duration,
}

/// Runs `work` on a helper thread and waits for it at most `timeout`: the `sentry` crate's
/// flush and close can block far longer (its shutdown makes a blocking send into a full
/// transport queue when the server accepts connections but never answers). Past the
/// timeout the helper is left to finish, or to end with the process. `None`: timed out.
fn bounded<R: Send + 'static>(
    timeout: Duration,
    work: impl FnOnce() -> R + Send + 'static,
) -> Option<R> {
    let (tx, rx) = std::sync::mpsc::channel();
    let spawned = std::thread::Builder::new()
        .name("vigil-shutdown".into())
        .spawn(move || {
            let _ = tx.send(work());
        });
    match spawned {
        Ok(_) => rx.recv_timeout(timeout).ok(),
        Err(_) => None,
    }
}

impl Drop for Guard {
    /// Turns vigil off, then flushes and closes the client, returning within the shutdown
    /// timeout whatever the server does.
    fn drop(&mut self) {
        drop(self.listener.take());
        // Ended (unless a crash ended it already) and queued before the client closes,
        // which sends it.
        if let Some(hub) = self.session.take() {
            hub.end_session();
        }
        let bound = self.bound.take();
        if let Some(client) = self.client.take() {
            let timeout = self.shutdown_timeout;
            let _ = bounded(timeout, move || {
                // Flushed (vigil's worker, then the transport), then closed; closing drains
                // the worker too, for what arrives in between.
                if let Some(bound) = bound {
                    bound.flush(Some(timeout));
                }
                drop(client)
            });
        }
    }
}

impl Guard {
    /// Whether events are sent anywhere (a DSN, a spool, a transport or Spotlight was
    /// configured).
    ///
    /// ```
    /// # use vigil_runtime as vigil;
    /// let guard = vigil::init_with(vigil::Config::new())?;
    /// assert!(!guard.is_enabled());
    /// # Ok::<(), vigil::ConfigError>(())
    /// ```
    pub fn is_enabled(&self) -> bool {
        self.client.as_ref().is_some_and(|c| c.is_enabled())
    }

    /// Waits up to `timeout` for queued events to be sent; `true` if the queue drained.
    ///
    /// ```
    /// # use vigil_runtime as vigil;
    /// let guard = vigil::init_with(vigil::Config::new())?;
    /// assert!(guard.flush(std::time::Duration::from_millis(100)));
    /// # Ok::<(), vigil::ConfigError>(())
    /// ```
    pub fn flush(&self, timeout: Duration) -> bool {
        match &self.bound {
            Some(client) => {
                let client = Arc::clone(client);
                bounded(timeout, move || client.flush(Some(timeout))).unwrap_or(false)
            }
            None => true,
        }
    }
}

impl std::fmt::Debug for Guard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Guard")
            .field("enabled", &self.is_enabled())
            .finish()
    }
}

/// Starts vigil from the environment (see [`Config`] for the variables).
///
/// With no `SENTRY_DSN` (and no `VIGIL_SPOOL` or `SENTRY_SPOTLIGHT`) vigil stays disabled and every annotated
/// function costs next to nothing. A malformed variable is an error naming it, never a panic.
///
/// ```no_run
/// # use vigil_runtime as vigil;
/// fn main() -> Result<(), Box<dyn std::error::Error>> {
///     let _guard = vigil::init()?;
///     // ... the program ...
///     Ok(())
/// }
/// ```
pub fn init() -> Result<Guard, ConfigError> {
    init_with(Config::from_env()?)
}

/// Starts vigil with an explicit configuration.
///
/// ```
/// # use vigil_runtime as vigil;
/// let config = vigil::Config::from_env()?.traces_sample_rate(1.0);
/// let _guard = vigil::init_with(config)?;
///
/// let err = vigil::init_with(vigil::Config::new().traces_sample_rate(2.0)).unwrap_err();
/// assert_eq!(err.key(), "traces_sample_rate");
/// # Ok::<(), vigil::ConfigError>(())
/// ```
pub fn init_with(config: Config) -> Result<Guard, ConfigError> {
    let targets = crate::propagation::compile_targets(config.trace_propagation_targets.as_deref())?;
    let Some(options) = client_options(&config, None)? else {
        return Ok(Guard {
            listener: None,
            client: None,
            bound: None,
            session: None,
            shutdown_timeout: Duration::ZERO,
        });
    };
    span::warm_up_clock();
    crate::state::set_auto_subscriber(config.tracing_subscriber);
    let (event, breadcrumb) = config.log_levels();
    crate::state::set_log_levels(event, breadcrumb);
    let shutdown_timeout = options.shutdown_timeout;
    let application_session =
        options.auto_session_tracking && options.session_mode == sentry::SessionMode::Application;
    // Starts the process's session on this thread's hub when `application_session`.
    let client = sentry::init(options);
    let bound = sentry::Hub::current().client();
    let session = application_session.then(sentry::Hub::current);
    if let Some(client) = &bound {
        crate::propagation::register_targets(client, targets);
    }
    Ok(Guard {
        listener: Some(Listener::new()),
        client: Some(client),
        bound,
        session,
        shutdown_timeout,
    })
}
