//! Logs become issues: `tracing` events at `ERROR` are error events inside their trace, `INFO`
//! and `WARN` are breadcrumbs, and an error logged then returned is reported once.

mod common;

use tracing_subscriber::layer::SubscriberExt;
use vigil::protocol::Context;
use vigil::testing::{capture, capture_with};

/// The log levels are process-wide: this file's tests run one at a time.
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn with_layer(f: impl FnOnce()) {
    let subscriber = tracing_subscriber::registry().with(vigil::tracing_layer());
    tracing::subscriber::with_default(subscriber, f);
}

#[test]
fn an_error_log_is_an_event_in_its_trace_and_info_logs_are_its_breadcrumbs() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let captured = capture(|| {
        with_layer(|| {
            let tx = vigil::start_transaction("checkout", "task");
            tracing::debug!("not even a breadcrumb");
            tracing::info!(step = 1, "loading cart");
            tracing::warn!(retries = 2, "gateway slow");
            tracing::error!(
                order = 7,
                password = "hunter2",
                "payment gateway unreachable"
            );
            drop(tx);
        })
    });
    let event = captured.single_event();
    assert_eq!(event.level, vigil::Level::Error);
    assert_eq!(event.logger.as_deref(), Some("logs"));
    assert_eq!(
        event.message.as_deref(),
        Some("payment gateway unreachable")
    );
    assert_eq!(
        event.logentry.as_ref().map(|l| l.message.as_str()),
        Some("payment gateway unreachable")
    );
    assert_eq!(event.extra["order"], 7);
    assert_eq!(event.extra["password"], "[Filtered]");
    // Linked to the transaction it ran in.
    let tx = captured.single_transaction();
    let (Some(Context::Trace(at)), Some(Context::Trace(of))) =
        (event.contexts.get("trace"), tx.contexts.get("trace"))
    else {
        panic!("trace contexts")
    };
    assert_eq!(at.trace_id, of.trace_id);
    let crumbs: Vec<_> = event
        .breadcrumbs
        .iter()
        .map(|b| (b.message.clone().unwrap_or_default(), b.level))
        .collect();
    assert_eq!(
        crumbs,
        vec![
            ("loading cart".to_owned(), vigil::Level::Info),
            ("gateway slow".to_owned(), vigil::Level::Warning),
        ]
    );
    assert_eq!(event.breadcrumbs[0].data["step"], 1);
    assert!(!common::wire(&captured.envelopes).contains("hunter2"));
}

#[derive(Debug)]
struct Declined(u32);

impl std::fmt::Display for Declined {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "card declined ({})", self.0)
    }
}

impl std::error::Error for Declined {}

#[vigil::monitored]
fn pay(code: u32) -> Result<(), Declined> {
    let err = Declined(code);
    tracing::error!(error = %err, "payment failed");
    Err(err)
}

#[vigil::monitored]
fn pay_quietly(code: u32) -> Result<(), Declined> {
    Err(Declined(code))
}

#[test]
fn an_error_logged_then_returned_is_one_event() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let captured = capture(|| {
        with_layer(|| {
            assert!(pay(51).is_err());
            // Not logged: the function's own event.
            assert!(pay_quietly(52).is_err());
        })
    });
    let events: Vec<_> = captured
        .events
        .iter()
        .map(|e| {
            e.message
                .clone()
                .or_else(|| e.exception.values[0].value.clone())
        })
        .collect();
    assert_eq!(
        events,
        vec![
            Some("payment failed".to_owned()),
            Some("card declined (52)".to_owned())
        ]
    );
}

#[test]
fn the_levels_are_configurable() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let config = vigil::Config::new()
        .log_event_level(vigil::Level::Warning)
        .log_breadcrumb_level(vigil::Level::Debug);
    let captured = capture_with(config, || {
        with_layer(|| {
            tracing::debug!("detail");
            tracing::warn!("now an event");
        })
    })
    .unwrap();
    let event = captured.single_event();
    assert_eq!(event.level, vigil::Level::Warning);
    assert_eq!(event.breadcrumbs[0].message.as_deref(), Some("detail"));
    // Back to the defaults for the other tests of this binary.
    let _ = capture(|| {});
}

/// The application's own logger behind vigil's: counts what reaches it.
#[cfg(feature = "log")]
struct Counting(std::sync::atomic::AtomicUsize);

#[cfg(feature = "log")]
impl log::Log for Counting {
    fn enabled(&self, _: &log::Metadata<'_>) -> bool {
        true
    }
    fn log(&self, _: &log::Record<'_>) {
        self.0.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }
    fn flush(&self) {}
}

#[cfg(feature = "log")]
static PASSED_ON: Counting = Counting(std::sync::atomic::AtomicUsize::new(0));

/// vigil's logger, in front of [`PASSED_ON`], once for the binary.
#[cfg(feature = "log")]
fn install_logger() {
    static INSTALL: std::sync::Once = std::sync::Once::new();
    INSTALL.call_once(|| {
        log::set_logger(Box::leak(Box::new(vigil::log::logger().with(&PASSED_ON))))
            .expect("the only logger of this binary");
        log::set_max_level(log::LevelFilter::Debug);
    });
}

#[cfg(feature = "log")]
#[test]
fn log_records_become_events_and_breadcrumbs_and_reach_the_apps_logger() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    install_logger();
    let before = PASSED_ON.0.load(std::sync::atomic::Ordering::Relaxed);
    let captured = capture(|| {
        let tx = vigil::start_transaction("refunds", "task");
        log::debug!("too fine");
        log::info!(target: "payments", "refund {} started", 7);
        log::error!(target: "payments", "refund {} failed: token=abc123def456", 7);
        drop(tx);
    });
    let event = captured.single_event();
    assert_eq!(event.logger.as_deref(), Some("payments"));
    assert_eq!(
        event.message.as_deref(),
        Some("refund 7 failed: token=[Filtered]")
    );
    assert_eq!(event.extra["code.file.path"], "tests/logs.rs");
    assert!(matches!(
        event.contexts.get("trace"),
        Some(Context::Trace(_))
    ));
    assert_eq!(
        event.breadcrumbs[0].message.as_deref(),
        Some("refund 7 started")
    );
    assert_eq!(
        event.breadcrumbs.len(),
        1,
        "debug records are not breadcrumbs"
    );
    // The application's logger saw all three, whatever vigil made of them.
    assert_eq!(
        PASSED_ON.0.load(std::sync::atomic::Ordering::Relaxed) - before,
        3
    );
}

/// The `trace` context of a transaction.
fn trace_of(tx: &vigil::protocol::Transaction<'static>) -> vigil::protocol::TraceContext {
    match tx.contexts.get("trace") {
        Some(Context::Trace(t)) => (**t).clone(),
        _ => panic!("no trace context"),
    }
}

#[test]
fn structured_logs_are_batched_scrubbed_and_linked_to_their_transaction() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let config = vigil::Config::new()
        .traces_sample_rate(1.0)
        .enable_logs(true);
    let captured = capture_with(config, || {
        with_layer(|| {
            tracing::info!(queue = "emails", "worker started");
            let tx = vigil::start_transaction("checkout", "task");
            tracing::debug!("below the breadcrumb level: no log");
            tracing::warn!(retries = 2, api_token = "tok_live_51HxQ", "gateway slow");
            tracing::error!(
                order = 7,
                password = "hunter2",
                "payment gateway unreachable"
            );
            drop(tx);
        })
    })
    .unwrap();
    // Errors are still events.
    assert_eq!(captured.events.len(), 1);
    let bodies: Vec<(&str, vigil::protocol::LogLevel)> = captured
        .logs
        .iter()
        .map(|l| (l.body.as_str(), l.level))
        .collect();
    use vigil::protocol::LogLevel;
    assert_eq!(
        bodies,
        [
            ("worker started", LogLevel::Info),
            ("gateway slow", LogLevel::Warn),
            ("payment gateway unreachable", LogLevel::Error),
        ]
    );
    // One batch: a single `log` item holds the three.
    let batches = captured
        .envelopes
        .iter()
        .flat_map(|e| e.items())
        .filter(|i| {
            matches!(
                i,
                vigil::protocol::EnvelopeItem::ItemContainer(vigil::protocol::ItemContainer::Logs(
                    _
                ))
            )
        })
        .count();
    assert_eq!(batches, 1);

    let [outside, slow, failed] = &captured.logs[..] else {
        unreachable!()
    };
    // Fields as attributes, secrets filtered; the logger and the integration.
    assert_eq!(outside.attributes["queue"].0, "emails");
    assert_eq!(slow.attributes["retries"].0, 2);
    assert_eq!(slow.attributes["api_token"].0, "[Filtered]");
    assert_eq!(failed.attributes["order"].0, 7);
    assert_eq!(failed.attributes["password"].0, "[Filtered]");
    assert_eq!(failed.attributes["logger.name"].0, "logs");
    assert_eq!(failed.attributes["sentry.origin"].0, "auto.tracing");
    assert!(!common::wire(&captured.envelopes).contains("hunter2"));
    assert!(!common::wire(&captured.envelopes).contains("tok_live_51HxQ"));

    // Inside the transaction: its trace, and its span as the parent.
    let trace = trace_of(captured.single_transaction());
    for log in [slow, failed] {
        assert_eq!(log.trace_id, Some(trace.trace_id));
        assert_eq!(
            log.attributes["sentry.trace.parent_span_id"].0,
            trace.span_id.to_string()
        );
    }
    // Outside any transaction: not that trace.
    assert_ne!(outside.trace_id, Some(trace.trace_id));
    assert!(!outside
        .attributes
        .contains_key("sentry.trace.parent_span_id"));
}

#[test]
fn without_enable_logs_no_log_is_sent() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let captured = capture(|| with_layer(|| tracing::warn!("gateway slow")));
    assert!(captured.logs.is_empty());
    assert!(captured.envelopes.is_empty());
}

#[cfg(feature = "log")]
#[test]
fn log_records_are_structured_logs_too() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    install_logger();
    let config = vigil::Config::new().enable_logs(true);
    let captured = capture_with(config, || {
        let tx = vigil::start_transaction("refunds", "task");
        log::info!(target: "payments", "refund {} started", 7);
        drop(tx);
    })
    .unwrap();
    let [log] = &captured.logs[..] else {
        panic!("{:#?}", captured.logs)
    };
    assert_eq!(log.body, "refund 7 started");
    assert_eq!(log.attributes["logger.name"].0, "payments");
    assert_eq!(log.attributes["sentry.origin"].0, "auto.log");
    assert_eq!(log.attributes["code.file.path"].0, "tests/logs.rs");
    assert_eq!(
        log.trace_id,
        Some(trace_of(captured.single_transaction()).trace_id)
    );
}
