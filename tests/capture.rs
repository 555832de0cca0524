//! The capture and breadcrumb macros, user context and tracing interop, asserted on the
//! events vigil sends.

use std::cell::Cell;

use serde::Serialize;
use tracing_subscriber::layer::SubscriberExt;
use vigil::testing::capture;

mod common;
use common::RateLimited;

#[derive(Serialize)]
struct Cart {
    items: Vec<&'static str>,
    total: u32,
}

#[test]
fn capture_exception_with_tags_and_extra() {
    let mut id = vigil::EventId::nil();
    let captured = capture(|| {
        let err = RateLimited { limit: 10 };
        let cart = Cart {
            items: vec!["book"],
            total: 12,
        };
        id = vigil::capture_exception!(
            err,
            user_id = 123,
            operation = "payment",
            amount = 100,
            cart = cart,
            "http.method" = "POST"
        );
    });
    let event = captured.single_event();
    assert_eq!(event.event_id, id);
    assert!(!id.is_nil());
    assert_eq!(event.level, vigil::Level::Error);
    assert_eq!(event.exception.values[0].ty, "RateLimited");
    assert_eq!(
        event.exception.values[0].value.as_deref(),
        Some("rate limited at 10/min")
    );
    assert_eq!(event.tags["user_id"], "123");
    assert_eq!(event.tags["operation"], "payment");
    assert_eq!(event.tags["amount"], "100");
    assert_eq!(event.tags["http.method"], "POST");
    assert_eq!(
        event.extra["cart"],
        serde_json::json!({"items": ["book"], "total": 12})
    );
    assert_eq!(event.environment.as_deref(), Some("development"));
    assert!(event.release.as_deref().unwrap().starts_with("vigil@"));
}

#[test]
fn capture_exception_takes_owned_borrowed_and_boxed_errors() {
    let captured = capture(|| {
        let err = RateLimited { limit: 1 };
        vigil::capture_exception!(&err);
        vigil::capture_exception!(err);
        let boxed: Box<dyn std::error::Error + Send + Sync> = Box::new(RateLimited { limit: 2 });
        vigil::capture_exception!(boxed, level = fatal);
        let io = std::io::Error::other("disk full");
        vigil::capture_exception!(io);
    });
    let values: Vec<_> = captured
        .events
        .iter()
        .map(|e| {
            (
                e.level,
                e.exception.values.last().unwrap().value.clone().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        values,
        vec![
            (vigil::Level::Error, "rate limited at 1/min".to_owned()),
            (vigil::Level::Error, "rate limited at 1/min".to_owned()),
            (vigil::Level::Fatal, "rate limited at 2/min".to_owned()),
            (vigil::Level::Error, "disk full".to_owned()),
        ]
    );
}

#[test]
fn capture_message_with_level_and_format_args() {
    let captured = capture(|| {
        let user_id = 123;
        vigil::capture_message!("User exceeded rate limit", level = warning, user_id = 123);
        vigil::capture_message!("User {user_id} retried", attempt = 2);
        vigil::capture_message!(String::from("owned message"), level = debug);
    });
    let summary: Vec<_> = captured
        .events
        .iter()
        .map(|e| (e.level, e.message.clone().unwrap()))
        .collect();
    assert_eq!(
        summary,
        vec![
            (vigil::Level::Warning, "User exceeded rate limit".to_owned()),
            (vigil::Level::Info, "User 123 retried".to_owned()),
            (vigil::Level::Debug, "owned message".to_owned()),
        ]
    );
    assert_eq!(captured.events[0].tags["user_id"], "123");
    assert_eq!(captured.events[1].tags["attempt"], "2");
}

#[test]
fn breadcrumbs_arrive_with_the_next_event() {
    let captured = capture(|| {
        vigil::add_breadcrumb!(
            "User clicked checkout button",
            category = "navigation",
            user_id = 123
        );
        vigil::add_breadcrumb!("GET /cart", category = "http", type = "http", level = warning, status = 200);
        vigil::capture_message!("checkout failed", level = error);
    });
    let crumbs = &captured.single_event().breadcrumbs.values;
    assert_eq!(crumbs.len(), 2);
    assert_eq!(
        crumbs[0].message.as_deref(),
        Some("User clicked checkout button")
    );
    assert_eq!(crumbs[0].category.as_deref(), Some("navigation"));
    assert_eq!(crumbs[0].data["user_id"], 123);
    assert_eq!(crumbs[1].ty, "http");
    assert_eq!(crumbs[1].level, vigil::Level::Warning);
    assert_eq!(crumbs[1].data["status"], 200);
}

#[test]
fn breadcrumbs_are_capped_at_one_hundred() {
    let captured = capture(|| {
        for i in 0..150 {
            vigil::add_breadcrumb!("step", i = i);
        }
        vigil::capture_message!("done");
    });
    let crumbs = &captured.single_event().breadcrumbs.values;
    assert_eq!(crumbs.len(), 100);
    assert_eq!(crumbs[0].data["i"], 50, "the oldest are dropped");
}

#[test]
fn secret_named_keys_are_never_evaluated() {
    let evaluated = Cell::new(false);
    let captured = capture(|| {
        vigil::capture_message!(
            "login failed",
            user_id = 7,
            password = {
                evaluated.set(true);
                "hunter2"
            },
            api_key = "k-123"
        );
    });
    assert!(
        !evaluated.get(),
        "the value of a secret-named key must not even be computed"
    );
    let event = captured.single_event();
    assert_eq!(event.tags["user_id"], "7");
    assert_eq!(event.extra["password"], "[Filtered]");
    assert_eq!(event.extra["api_key"], "[Filtered]");
    let wire = serde_json::to_string(event).unwrap();
    assert!(!wire.contains("hunter2") && !wire.contains("k-123"));
}

#[test]
fn user_context_is_set_and_cleared() {
    let captured = capture(|| {
        vigil::set_user_context(
            vigil::User::new(123)
                .username("john_doe")
                .email("john@example.com")
                .data("plan", "pro"),
        );
        vigil::capture_message!("with user");
        let tx = vigil::start_transaction("checkout", "task");
        drop(tx);
        vigil::clear_user_context();
        vigil::capture_message!("without user");
    });
    let user = captured.events[0].user.as_ref().unwrap();
    assert_eq!(user.id.as_deref(), Some("123"));
    assert_eq!(user.username.as_deref(), Some("john_doe"));
    assert_eq!(user.email.as_deref(), Some("john@example.com"));
    assert_eq!(user.other["plan"], "pro");
    assert!(captured.events[1].user.is_none());
    let tx_user = captured.single_transaction().user.as_ref().unwrap();
    assert_eq!(tx_user.id.as_deref(), Some("123"));
}

#[test]
fn transaction_api_tags_data_children_status() {
    let captured = capture(|| {
        let tx = vigil::start_transaction("process_order", "task");
        tx.set_tag("user_id", 7);
        tx.set_data("order_id", 9);
        {
            let child = tx.start_child("db.query", "SELECT 1");
            child.set_data("rows", 1);
            let grandchild = child.start_child("serialize", "row");
            grandchild.set_status(vigil::SpanStatus::InvalidArgument);
        }
        // Captured inside: the event carries the transaction's trace.
        vigil::capture_message!("inside");
        tx.set_status(vigil::SpanStatus::DeadlineExceeded);
    });
    let tx = captured.single_transaction();
    assert_eq!(tx.tags["user_id"], "7");
    let Some(vigil::protocol::Context::Trace(trace)) = tx.contexts.get("trace") else {
        panic!("no trace context")
    };
    assert_eq!(trace.data["order_id"], 9);
    assert_eq!(trace.status, Some(vigil::SpanStatus::DeadlineExceeded));
    assert_eq!(tx.spans.len(), 2);
    let (grandchild, child) = (&tx.spans[0], &tx.spans[1]);
    assert_eq!(child.parent_span_id, Some(trace.span_id));
    assert_eq!(grandchild.parent_span_id, Some(child.span_id));
    assert_eq!(grandchild.status, Some(vigil::SpanStatus::InvalidArgument));
    assert_eq!(child.data["rows"], 1);
    let Some(vigil::protocol::Context::Trace(event_trace)) =
        captured.single_event().contexts.get("trace")
    else {
        panic!("no trace on the event")
    };
    assert_eq!(event_trace.trace_id, trace.trace_id);
    assert_eq!(event_trace.span_id, trace.span_id);
    assert_eq!(
        captured.single_event().transaction.as_deref(),
        Some("process_order")
    );
    // The envelope carries the dynamic sampling context.
    let headers = serde_json::to_value(captured.envelopes.last().unwrap().headers()).unwrap();
    assert_eq!(headers["trace"]["trace_id"], trace.trace_id.to_string());
    assert_eq!(headers["trace"]["transaction"], "process_order");
}

#[test]
fn a_transaction_restores_the_previous_current_span() {
    let captured = capture(|| {
        let outer = vigil::start_transaction("outer", "task");
        {
            let _inner = vigil::start_transaction("inner", "task");
        }
        vigil::capture_message!("after inner");
        drop(outer);
    });
    let event = captured.single_event();
    assert_eq!(event.transaction.as_deref(), Some("outer"));
    // inner continues outer's trace
    let [inner, outer] = captured.transactions.as_slice() else {
        panic!("two transactions expected")
    };
    let trace = |t: &vigil::protocol::Transaction<'static>| match t.contexts.get("trace") {
        Some(vigil::protocol::Context::Trace(t)) => (**t).clone(),
        _ => panic!(),
    };
    assert_eq!(trace(inner).trace_id, trace(outer).trace_id);
    assert_eq!(trace(inner).parent_span_id, Some(trace(outer).span_id));
}

#[vigil::monitored]
fn logs_then_fails(order: u32) -> Result<(), std::io::Error> {
    tracing::info!(order, "loading order");
    tracing::warn!("stock is low");
    tracing::debug!("noise that is not kept");
    Err(std::io::Error::other("out of stock"))
}

#[test]
fn tracing_events_become_breadcrumbs_of_the_captured_error() {
    let subscriber = tracing_subscriber::registry().with(vigil::tracing_layer());
    let captured = capture(|| {
        tracing::subscriber::with_default(subscriber, || {
            let _ = logs_then_fails(7);
        });
    });
    let event = captured.single_event();
    let messages: Vec<_> = event
        .breadcrumbs
        .values
        .iter()
        .map(|b| b.message.clone().unwrap_or_default())
        .collect();
    assert_eq!(messages, vec!["loading order", "stock is low"]);
    assert_eq!(event.breadcrumbs.values[0].data["order"], 7);
}

/// The macros decide "secret by name" at compile time, the scrubber at run time: both must
/// agree on every key.
#[test]
fn compile_time_and_run_time_sensitive_names_agree() {
    macro_rules! check {
        ($($key:ident),* $(,)?) => {{
            let captured = capture(|| {
                vigil::capture_message!("keys", $($key = "value-of-key"),*);
            });
            let event = captured.single_event();
            $(
                let key = stringify!($key);
                let filtered_at_compile_time = event.extra.get(key).is_some_and(|v| v == "[Filtered]");
                assert_eq!(
                    filtered_at_compile_time,
                    vigil::is_sensitive_key(key),
                    "compile time and run time disagree on `{key}`"
                );
            )*
        }};
    }
    check!(
        password,
        user_password,
        passwd,
        pwd,
        secret,
        client_secret,
        token,
        access_token,
        api_key,
        apikey,
        ApiKey,
        access_key,
        private_key,
        auth,
        authorization,
        credentials,
        cookie,
        set_cookie,
        session,
        sessionid,
        csrf,
        xsrf_token,
        jwt,
        bearer,
        card,
        credit_card,
        cc_number,
        cvv,
        ssn,
        user_id,
        amount,
        operation,
        name,
        email,
        order,
        region,
        status,
        kind
    );
}

#[test]
fn oversized_values_are_trimmed_to_sentrys_limits_not_rejected() {
    let huge = "x".repeat(5 * 1024 * 1024);
    let captured = capture(|| {
        vigil::capture_message!("big payload", payload = huge);
        let tx = vigil::start_transaction(&"n".repeat(500), "task");
        tx.set_tag("order status", "line one\nline two");
        tx.set_tag("long", "v".repeat(1000));
    });
    let wire: usize = captured
        .envelopes
        .iter()
        .map(|e| {
            let mut buf = Vec::new();
            e.to_writer(&mut buf).unwrap();
            buf.len()
        })
        .sum();
    assert!(
        wire < 1024 * 1024,
        "{wire} bytes sent; an event item must stay under 1 MiB"
    );
    let payload = captured.single_event().extra["payload"].as_str().unwrap();
    assert!(payload.len() <= 16 * 1024 && payload.ends_with("[truncated]"));
    let tx = captured.single_transaction();
    assert_eq!(tx.name.as_deref().unwrap().chars().count(), 200);
    assert_eq!(tx.tags["order_status"], "line one line two");
    assert_eq!(tx.tags["long"].chars().count(), 200);
}
