//! Every vigil macro, used through a renamed dependency (`vig`) with `crate = "..."`, asserted
//! on what it sends.

use vig::protocol::{Context, SpanStatus, TraceContext, Transaction};
use vig::testing::capture;
use vigil_renamed_test::{charge, crawl, process_order, via_reexport, ApiKey, Credential, Login};

fn trace(tx: &Transaction<'static>) -> TraceContext {
    match tx.contexts.get("trace") {
        Some(Context::Trace(t)) => (**t).clone(),
        other => panic!("no trace context: {other:?}"),
    }
}

#[test]
fn behaves_as_before_when_disabled() {
    assert_eq!(process_order(5, 10).unwrap(), 15);
    assert_eq!(charge(1000, "4111", "1").unwrap_err().0, 402);
    assert_eq!(
        futures_executor::block_on(crawl(vec!["a", "bb"])).unwrap(),
        3
    );
    assert_eq!(via_reexport(1), 2);
    assert!(vig::capture_message!("off", crate = "vig").is_nil());
}

#[test]
fn monitored_and_transaction_sync() {
    let captured = capture(|| {
        assert_eq!(process_order(5, 10).unwrap(), 15);
        assert_eq!(process_order(6, 1000).unwrap_err().0, 402);
    });
    assert_eq!(captured.transactions.len(), 2);
    let ok = &captured.transactions[0];
    assert_eq!(ok.name.as_deref(), Some("process_order"));
    let ok_trace = trace(ok);
    assert_eq!(ok_trace.op.as_deref(), Some("task"));
    assert_eq!(ok_trace.status, Some(SpanStatus::Ok));
    assert_eq!(ok_trace.data["order_id"], 5);
    assert_eq!(ok.spans.len(), 1);
    let span = &ok.spans[0];
    assert_eq!(span.op.as_deref(), Some("db.query"));
    assert_eq!(
        span.description.as_deref(),
        Some("vigil_renamed_test::charge")
    );
    assert_eq!(span.data["amount"], 10);
    // Marked `#[vig::sensitive]` and `#[sensitive]`: never recorded.
    assert!(!span.data.contains_key("card"), "{:?}", span.data);
    assert!(!span.data.contains_key("cvv"), "{:?}", span.data);

    let failed = &captured.transactions[1];
    assert_eq!(trace(failed).status, Some(SpanStatus::InternalError));
    assert_eq!(failed.spans[0].status, Some(SpanStatus::InternalError));
    let event = captured.single_event();
    assert_eq!(event.level, vig::Level::Warning);
    assert_eq!(event.tags["component"], "billing");
    assert_eq!(event.tags["function"], "vigil_renamed_test::charge");
    assert_eq!(event.tags["op"], "db.query");
    assert_eq!(
        event.exception.values[0].value.as_deref(),
        Some("payment failed with code 402")
    );
    assert_eq!(event.transaction.as_deref(), Some("process_order"));
}

#[test]
fn monitored_and_transaction_async() {
    let captured = capture(|| {
        let ok = futures_executor::block_on(crawl(vec!["a", "bb", "ccc"]));
        assert_eq!(ok.unwrap(), 6);
        let err = futures_executor::block_on(crawl(vec!["a", ""]));
        assert_eq!(err.unwrap_err().0, 503);
    });
    assert_eq!(captured.transactions.len(), 2);
    let ok = &captured.transactions[0];
    assert_eq!(ok.name.as_deref(), Some("vigil_renamed_test::crawl"));
    assert_eq!(ok.spans.len(), 3);
    for span in &ok.spans {
        assert_eq!(span.op.as_deref(), Some("http.client"));
        assert_eq!(span.parent_span_id, Some(trace(ok).span_id));
        assert_eq!(span.status, Some(SpanStatus::Ok));
    }
    assert_eq!(ok.spans[1].data["url"], "bb");
    // Reported once, by `fetch`.
    let event = captured.single_event();
    assert_eq!(event.tags["function"], "vigil_renamed_test::fetch");
    assert_eq!(event.level, vig::Level::Error);
}

#[test]
fn a_path_through_the_crate() {
    let captured = capture(|| {
        let _tx = vig::start_transaction("t", "task");
        assert_eq!(via_reexport(1), 2);
    });
    let span = &captured.single_transaction().spans[0];
    assert_eq!(span.description.as_deref(), Some("via_reexport"));
    assert_eq!(span.data["n"], 1);
}

#[test]
fn capture_exception_with_crate() {
    let captured = capture(|| {
        let err = std::io::Error::other("card declined");
        let id = vig::capture_exception!(
            err,
            crate = "vig",
            level = fatal,
            user_id = 123,
            operation = "payment",
            api_key = "sk_live_123"
        );
        assert!(!id.is_nil());
    });
    let event = captured.single_event();
    assert_eq!(event.level, vig::Level::Fatal);
    assert_eq!(event.tags["user_id"], "123");
    assert_eq!(event.tags["operation"], "payment");
    assert_eq!(event.extra["api_key"], "[Filtered]");
    assert_eq!(
        event.exception.values[0].value.as_deref(),
        Some("card declined")
    );
    // The option is not a field.
    assert!(!event.tags.contains_key("crate") && !event.extra.contains_key("crate"));
}

#[test]
fn capture_message_with_crate() {
    let captured = capture(|| {
        // The template's placeholder takes the value of the pair of its name.
        vig::capture_message!(
            "user {user_id} rate limited",
            crate = "vig",
            level = warning,
            user_id = 7
        );
        // Quoted, `"crate"` is an ordinary field, as `"level"` is.
        vig::capture_message!("plain", "crate" = "a field", crate = "::vig");
    });
    assert_eq!(captured.events.len(), 2);
    let first = &captured.events[0];
    assert_eq!(first.message.as_deref(), Some("user 7 rate limited"));
    assert_eq!(first.level, vig::Level::Warning);
    assert_eq!(first.tags["user_id"], "7");
    let second = &captured.events[1];
    assert_eq!(second.level, vig::Level::Info);
    assert_eq!(second.tags["crate"], "a field");
}

#[test]
fn add_breadcrumb_with_crate() {
    let captured = capture(|| {
        vig::add_breadcrumb!(
            "GET /cart",
            crate = "vig",
            category = "http",
            type = "http",
            level = warning,
            status = 200
        );
        vig::capture_message!("checkout failed", crate = "vig", level = error);
    });
    let event = captured.single_event();
    assert_eq!(event.level, vig::Level::Error);
    let crumbs = &event.breadcrumbs.values;
    assert_eq!(crumbs.len(), 1);
    assert_eq!(crumbs[0].message.as_deref(), Some("GET /cart"));
    assert_eq!(crumbs[0].category.as_deref(), Some("http"));
    assert_eq!(crumbs[0].ty, "http");
    assert_eq!(crumbs[0].level, vig::Level::Warning);
    assert_eq!(crumbs[0].data["status"], 200);
}

fn login() -> Login {
    Login {
        user: "bob".into(),
        password: "hunter2".into(),
        card: "4111111111111111".into(),
    }
}

#[test]
fn derive_redact_with_crate() {
    assert_eq!(
        format!("{:?}", login()),
        r#"Login { user: "bob", password: [Filtered], card: ************1111 }"#
    );
    assert_eq!(
        format!("{:?}", Credential::Token("t0k3n".into())),
        "Token([Filtered])"
    );
    assert_eq!(
        format!("{:?}", Credential::Named { user: "ann".into() }),
        r#"Named { user: "ann" }"#
    );
    let captured = capture(|| {
        vig::capture_message!(
            "login failed",
            crate = "vig",
            attempt = login(),
            method = Credential::Named { user: "ann".into() }
        );
    });
    let event = captured.single_event();
    assert_eq!(event.extra["attempt"]["user"], "bob");
    assert_eq!(event.extra["attempt"]["password"], "[Filtered]");
    assert_eq!(event.extra["method"]["Named"]["user"], "ann");
}

#[test]
fn sensitive_type_with_crate() {
    let key = ApiKey("sk_live_123".into());
    assert_eq!(format!("{key:?}"), "ApiKey([Filtered])");
    let captured = capture(|| {
        vig::capture_message!("key rotated", crate = "vig", old = key);
    });
    // Serialized as `"[Filtered]"`, a short string: a tag.
    assert_eq!(captured.single_event().tags["old"], "[Filtered]");
}

#[test]
fn monitor_with_crate() {
    use vig::protocol::MonitorCheckInStatus;
    use vigil_renamed_test::{nightly, sync_job};
    let captured = capture(|| {
        assert!(nightly(true).is_err());
        assert_eq!(futures_executor::block_on(sync_job()), 2);
    });
    let seen: Vec<(&str, MonitorCheckInStatus)> = captured
        .check_ins
        .iter()
        .map(|c| (c.check_in.monitor_slug.as_str(), c.check_in.status))
        .collect();
    assert_eq!(
        seen,
        [
            ("renamed-nightly", MonitorCheckInStatus::InProgress),
            ("renamed-nightly", MonitorCheckInStatus::Error),
            ("renamed-sync", MonitorCheckInStatus::InProgress),
            ("renamed-sync", MonitorCheckInStatus::Ok),
        ]
    );
}

#[test]
fn flag_with_crate() {
    let captured = capture(|| {
        let _tx = vig::start_transaction("checkout", "task");
        assert!(vig::flag!("new_checkout", true, crate = "vig"));
        assert!(!vig::flag!("dark_mode", false, crate = "::vig"));
        vig::capture_message!("after the flags", crate = "vig");
    });
    let event = captured.single_event();
    let Some(Context::Other(flags)) = event.contexts.get("flags") else {
        panic!("no flags context: {:?}", event.contexts)
    };
    let values = &flags["values"];
    assert_eq!(values[0]["flag"], "new_checkout");
    assert_eq!(values[0]["result"], true);
    assert_eq!(values[1]["flag"], "dark_mode");
    assert_eq!(values[1]["result"], false);
    let tx = captured.single_transaction();
    assert_eq!(tx.extra.get("crate"), None);
    assert_eq!(trace(tx).data["flag.evaluation.new_checkout"], true);
    assert_eq!(trace(tx).data["flag.evaluation.dark_mode"], false);
}
