//! What an event says in Sentry's issue stream: the title (the Rust type and the message),
//! the frames Sentry groups by (in-app ones only, panic machinery trimmed), templates that
//! group one message with many values as one issue, and the user's grouping controls
//! (`fingerprint`, `Config::ignore_errors`).

mod common;

use common::lookup;

use vigil::protocol::{Event, Exception, Frame};
use vigil::testing::{capture, capture_with};

#[derive(Debug)]
enum PayError {
    Declined { amount: u32 },
}

impl std::fmt::Display for PayError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PayError::Declined { amount } => write!(f, "card declined for {amount} cents"),
        }
    }
}

impl std::error::Error for PayError {}

#[vigil::monitored]
fn charge(amount: u32) -> Result<(), PayError> {
    Err(PayError::Declined { amount })
}

fn top<'a>(event: &'a Event<'static>) -> &'a Exception {
    event.exception.values.last().expect("an exception")
}

#[test]
fn a_returned_error_is_titled_by_its_type_and_has_its_functions_frame() {
    let captured = capture(|| assert!(charge(120).is_err()));
    let event = captured.single_event();
    let exception = top(event);
    // The title Sentry shows: `PayError: card declined for 120 cents` (the `sentry` crate
    // alone guesses `Declined`, from the `Debug` text).
    assert_eq!(exception.ty, "PayError");
    assert_eq!(exception.module.as_deref(), Some("events"));
    assert_eq!(
        exception.value.as_deref(),
        Some("card declined for 120 cents")
    );
    // The monitored function's own frame, from its static callsite.
    let frames = &exception.stacktrace.as_ref().expect("a stack trace").frames;
    assert_eq!(frames.len(), 1);
    let frame = &frames[0];
    assert_eq!(frame.function.as_deref(), Some("events::charge"));
    assert_eq!(frame.module.as_deref(), Some("events"));
    assert_eq!(frame.filename.as_deref(), Some("tests/events.rs"));
    assert_eq!(frame.lineno, Some(29));
    assert_eq!(frame.in_app, Some(true));
    assert_eq!(event.culprit.as_deref(), Some("events::charge"));
}

#[test]
fn standard_errors_are_named_by_their_public_path() {
    let err = std::io::Error::other("disk full");
    let declined = PayError::Declined { amount: 1 };
    let captured = capture(|| {
        vigil::capture_exception!(err);
        vigil::capture_exception!(std::fmt::Error);
        vigil::capture_exception!(&declined);
    });
    let types: Vec<_> = captured
        .events
        .iter()
        .map(|e| (top(e).ty.clone(), top(e).module.clone().unwrap_or_default()))
        .collect();
    // Not `Custom` (the `Debug` guess) nor a bare `Error`; a borrowed error as an owned one.
    assert_eq!(
        types,
        [
            ("io::Error".to_owned(), "std::io::error".to_owned()),
            ("fmt::Error".to_owned(), "core::fmt".to_owned()),
            ("PayError".to_owned(), "events".to_owned()),
        ]
    );
}

#[vigil::monitored]
fn read_config(path: &str) -> Result<Vec<u8>, Box<dyn std::error::Error>> {
    Ok(std::fs::read(path)?)
}

#[vigil::monitored]
fn validate(raw: &str) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    if raw.is_empty() {
        return Err("empty config".into());
    }
    Err(Box::new(PayError::Declined { amount: 5 }))
}

#[test]
fn errors_in_a_box_are_named_as_well_as_can_be_known() {
    let captured = capture(|| {
        assert!(read_config("/nonexistent/vigil.toml").is_err());
        assert!(validate("").is_err());
        assert!(validate("x").is_err());
    });
    let named: Vec<_> = captured
        .events
        .iter()
        .map(|e| (top(e).ty.clone(), top(e).module.clone()))
        .collect();
    let name = |ty: &str, module: Option<&str>| (ty.to_owned(), module.map(str::to_owned));
    assert_eq!(
        named,
        [
            // Exact, by downcasting (the `sentry` crate says `Os`, from the `Debug` text).
            name("io::Error", Some("std::io::error")),
            // A message: nothing but its box to go by (the `sentry` crate says `Error`).
            name("Box<dyn Error + Send + Sync>", None),
            // An enum behind `dyn Error`: its `Debug` names the variant, not the enum.
            name("Declined", None),
        ]
    );
    let functions: Vec<_> = captured
        .events
        .iter()
        .map(|e| {
            top(e).stacktrace.as_ref().unwrap().frames[0]
                .function
                .clone()
        })
        .collect();
    assert_eq!(
        functions,
        [
            "events::read_config",
            "events::validate",
            "events::validate"
        ]
        .map(|f| Some(f.to_owned()))
    );
}

async fn report_async(err: std::fmt::Error) {
    vigil::capture_exception!(err);
}

#[test]
fn capture_exception_has_the_frame_of_its_call() {
    let line = line!() + 2;
    let captured = capture(|| {
        vigil::capture_exception!(std::io::Error::other("disk full"));
        futures_executor::block_on(report_async(std::fmt::Error));
    });
    let frames: Vec<&Frame> = captured
        .events
        .iter()
        .map(|e| {
            let trace = top(e).stacktrace.as_ref().expect("a stack trace");
            assert_eq!(trace.frames.len(), 1);
            &trace.frames[0]
        })
        .collect();
    let frame = frames[0];
    assert_eq!(
        frame.function.as_deref(),
        Some("events::capture_exception_has_the_frame_of_its_call")
    );
    assert_eq!(frame.module.as_deref(), Some("events"));
    assert_eq!(frame.filename.as_deref(), Some("tests/events.rs"));
    assert_eq!(frame.lineno, Some(u64::from(line)));
    assert_eq!(frame.in_app, Some(true));
    // In an async fn: the function, not the future's closure.
    assert_eq!(frames[1].function.as_deref(), Some("events::report_async"));
}

#[vigil::monitored]
fn explodes(n: u32) -> u32 {
    if n > 2 {
        panic!("exploded at {n}");
    }
    n
}

#[vigil::monitored]
async fn explodes_async(n: u32) -> u32 {
    explodes(n)
}

fn panic_frames(event: &Event<'static>) -> Vec<Frame> {
    let exception = top(event);
    let trace = exception
        .stacktrace
        .as_ref()
        .or_else(|| {
            event
                .threads
                .values
                .iter()
                .find_map(|t| t.stacktrace.as_ref())
        })
        .expect("a panic has a stack trace");
    trace.frames.clone()
}

#[test]
fn panics_are_grouped_on_the_users_frames_only() {
    let captured = capture(|| {
        let sync = std::panic::catch_unwind(|| explodes(3));
        assert!(sync.is_err());
        let asynchronous = std::panic::catch_unwind(|| {
            futures_executor::block_on(explodes_async(4));
        });
        assert!(asynchronous.is_err());
    });
    assert_eq!(captured.events.len(), 2);
    for event in &captured.events {
        let frames = panic_frames(event);
        let names: Vec<&str> = frames
            .iter()
            .map(|f| f.function.as_deref().unwrap_or("?"))
            .collect();
        // The panic machinery is trimmed: the innermost frame is the user's function.
        for machinery in ["core::panicking", "rust_begin_unwind", "sentry_panic"] {
            assert!(
                !names.iter().any(|n| n.contains(machinery)),
                "{machinery} in {names:#?}"
            );
        }
        let innermost = frames.last().unwrap();
        assert!(
            innermost
                .function
                .as_deref()
                .is_some_and(|f| f.starts_with("events::explodes")),
            "{names:#?}"
        );
        assert_eq!(innermost.in_app, Some(true));
        // Only the user's frames are in-app: no std, vigil, sentry, libc or dependency. By
        // file: with line tables only (this workspace's debug builds), an inlined frame is
        // named without its path (`explodes`, and vigil's own `call<..>`).
        for frame in frames.iter().filter(|f| f.in_app == Some(true)) {
            let path = frame.abs_path.as_deref().unwrap_or("");
            assert!(
                path.ends_with("tests/events.rs"),
                "{frame:?} marked in-app in {names:#?}"
            );
        }
    }
}

#[test]
fn messages_are_templates_grouped_as_one() {
    let ids = [12, 13];
    let captured = capture(|| {
        for order_id in ids {
            vigil::capture_message!(
                "order {order_id} failed",
                order_id = order_id,
                level = warning
            );
        }
    });
    let entries: Vec<_> = captured
        .events
        .iter()
        .map(|e| {
            let entry = e.logentry.as_ref().expect("a logentry");
            (
                entry.message.clone(),
                entry.params.clone(),
                e.message.clone(),
            )
        })
        .collect();
    assert_eq!(
        entries,
        vec![
            (
                "order %s failed".to_owned(),
                vec!["12".into()],
                Some("order 12 failed".to_owned())
            ),
            (
                "order %s failed".to_owned(),
                vec!["13".into()],
                Some("order 13 failed".to_owned())
            ),
        ]
    );
    assert_eq!(captured.events[0].tags["order_id"], "12");
    assert_eq!(captured.events[0].level, vigil::Level::Warning);
}

fn next_id(counter: &std::cell::Cell<u32>) -> u32 {
    counter.set(counter.get() + 1);
    counter.get()
}

#[test]
fn template_values_come_from_pairs_or_scope_and_secrets_never_show() {
    let counter = std::cell::Cell::new(0);
    let user = "ann";
    let password = "hunter2";
    let captured = capture(|| {
        vigil::capture_message!(
            "login {n} by {user:?} with {password}",
            n = next_id(&counter)
        );
        vigil::add_breadcrumb!("step {n} for {user}", n = 7, category = "auth");
        vigil::capture_message!("after the breadcrumb");
    });
    // A pair feeding a placeholder is evaluated once, for both.
    assert_eq!(counter.get(), 1);
    let event = &captured.events[0];
    assert_eq!(
        event.message.as_deref(),
        Some("login 1 by \"ann\" with [Filtered]")
    );
    let entry = event.logentry.as_ref().unwrap();
    assert_eq!(entry.message, "login %s by %s with %s");
    assert_eq!(
        entry.params,
        ["1", "\"ann\"", "[Filtered]"].map(serde_json::Value::from)
    );
    let crumb = &captured.events[1].breadcrumbs[0];
    assert_eq!(crumb.message.as_deref(), Some("step 7 for ann"));
    assert!(!common::wire(&captured.envelopes).contains(password));
}

#[vigil::monitored(fingerprint = ["{{ default }}", "payments"])]
fn charge_grouped(amount: u32) -> Result<(), PayError> {
    Err(PayError::Declined { amount })
}

#[test]
fn fingerprints_from_attributes_and_macros() {
    let captured = capture(|| {
        assert!(charge_grouped(1).is_err());
        vigil::capture_exception!(std::fmt::Error, fingerprint = ["formatting"]);
        vigil::capture_message!("quota hit", fingerprint = ["quota", "{{ default }}"]);
        assert!(charge(2).is_err());
    });
    let fingerprints: Vec<Vec<String>> = captured
        .events
        .iter()
        .map(|e| e.fingerprint.iter().map(|p| p.to_string()).collect())
        .collect();
    assert_eq!(
        fingerprints,
        vec![
            vec!["{{ default }}".to_owned(), "payments".to_owned()],
            vec!["formatting".to_owned()],
            vec!["quota".to_owned(), "{{ default }}".to_owned()],
            // No fingerprint asked for: Sentry's default.
            vec!["{{ default }}".to_owned()],
        ]
    );
}

#[test]
fn ignored_error_types_are_not_sent() {
    let config = vigil::Config::new()
        .traces_sample_rate(1.0)
        .ignore_errors(["NotFound", "std::io::Error"]);
    let captured = capture_with(config, || {
        assert!(lookup().is_err());
        let id = vigil::capture_exception!(std::io::Error::other("gone"));
        assert!(id.is_nil(), "an ignored event has no id");
        assert!(charge(3).is_err());
    })
    .unwrap();
    let types: Vec<_> = captured.events.iter().map(|e| top(e).ty.clone()).collect();
    assert_eq!(types, ["PayError"]);
}

#[test]
fn transactions_carry_the_sdk_and_their_origin() {
    let captured = capture(|| {
        let _tx = vigil::start_transaction("job", "task");
        vigil::capture_message!("inside");
    });
    let tx = captured.single_transaction();
    let sdk = tx.sdk.as_ref().expect("an sdk block, as events have");
    assert_eq!(sdk.name, "sentry.rust");
    assert!(
        sdk.packages.iter().any(|p| p.name == "cargo:vigil"),
        "{sdk:?}"
    );
    let origin = match tx.contexts.get("trace") {
        Some(vigil::protocol::Context::Trace(t)) => t.origin.clone(),
        _ => None,
    };
    assert_eq!(origin.as_deref(), Some("manual"));
    let event_sdk = captured.single_event().sdk.as_ref().unwrap();
    assert!(event_sdk.packages.iter().any(|p| p.name == "cargo:vigil"));
}
