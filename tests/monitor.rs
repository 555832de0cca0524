//! `#[vigil::monitor]`: the check-ins of a scheduled job, for sync and async functions, a
//! returned `Err` and a panic, with `#[vigil::transaction]`, and as sentry-python reads them.

mod common;

use std::collections::BTreeSet;

use vigil::protocol::{Context, MonitorCheckInStatus, MonitorIntervalUnit, MonitorSchedule};
use vigil::testing::{Captured, CheckIn};

#[vigil::monitor(
    slug = "nightly-report",
    schedule = "0 3 * * *",
    checkin_margin = 5,
    max_runtime = 30,
    timezone = "Europe/Berlin",
    failure_issue_threshold = 2,
    recovery_threshold = 3
)]
fn nightly_report(fail: bool) -> Result<u32, std::io::Error> {
    if fail {
        return Err(std::io::Error::other("report failed"));
    }
    Ok(7)
}

#[vigil::monitor(slug = "cleanup", interval = "10 minutes")]
fn cleanup() {
    std::thread::sleep(std::time::Duration::from_millis(20));
}

#[vigil::monitor(slug = "panicky", schedule = "@hourly")]
fn panicky() -> u32 {
    panic!("the job exploded")
}

#[vigil::monitor(slug = "sync-emails", schedule = "*/15 * * * MON-FRI")]
async fn sync_emails(fail: bool) -> Result<usize, String> {
    tokio::task::yield_now().await;
    if fail {
        Err("mailbox locked".to_owned())
    } else {
        Ok(3)
    }
}

#[vigil::monitor(slug = "async-panicky", interval = "1 hour")]
async fn async_panicky() {
    tokio::task::yield_now().await;
    panic!("the async job exploded")
}

/// The documented order: the monitor above, the transaction under it.
#[vigil::monitor(slug = "billing-run", schedule = "0 0 1 * *")]
#[vigil::transaction(op = "task", name = "billing_run")]
async fn billing_run() -> Result<(), std::io::Error> {
    step().await
}

#[vigil::monitored]
async fn step() -> Result<(), std::io::Error> {
    Err(std::io::Error::other("card processor down"))
}

/// The other order works too; its check-ins are not in the transaction's trace.
#[vigil::transaction(op = "task")]
#[vigil::monitor(slug = "other-order", interval = "1 day")]
fn other_order() -> u32 {
    1
}

/// A job whose error borrows its input (a `dyn Error` that is not `'static`).
#[vigil::monitor(slug = "parse-batch", interval = "1 hour")]
fn parse_batch<'a>(input: &'a str) -> Result<u32, Box<dyn std::error::Error + 'a>> {
    input.parse::<u32>().map_err(|_| input.into())
}

fn config() -> vigil::Config {
    vigil::Config::new()
        .traces_sample_rate(1.0)
        .release("vigil-e2e@1.0.0")
        .environment(vigil::Environment::Staging)
}

fn capture(f: impl FnOnce()) -> Captured {
    vigil::testing::capture_with(config(), f).unwrap()
}

/// The two check-ins of one run: in order, one id, the config on both, a duration at the end.
fn one_run(captured: &Captured, slug: &str, last: MonitorCheckInStatus) -> (CheckIn, CheckIn) {
    let runs: Vec<&CheckIn> = captured
        .check_ins
        .iter()
        .filter(|c| c.check_in.monitor_slug == slug)
        .collect();
    let [start, end] = runs[..] else {
        panic!("two check-ins for {slug}: {:#?}", captured.check_ins)
    };
    assert_eq!(start.check_in.status, MonitorCheckInStatus::InProgress);
    assert_eq!(end.check_in.status, last);
    assert_eq!(start.check_in.check_in_id, end.check_in.check_in_id);
    assert!(!start.check_in.check_in_id.is_nil());
    assert_eq!(start.check_in.duration, None);
    assert!(end.check_in.duration.is_some_and(|d| d >= 0.0));
    for c in [start, end] {
        assert!(
            c.check_in.monitor_config.is_some(),
            "the config goes with every check-in"
        );
        assert_eq!(c.release.as_deref(), Some("vigil-e2e@1.0.0"));
        assert_eq!(c.check_in.environment.as_deref(), Some("staging"));
        assert!(c.trace_id.is_some());
    }
    assert_eq!(start.trace_id, end.trace_id);
    (start.clone(), end.clone())
}

#[test]
fn sync_ok_and_err() {
    let captured = capture(|| {
        assert_eq!(nightly_report(false).unwrap(), 7);
        assert!(nightly_report(true).is_err());
    });
    assert_eq!(captured.check_ins.len(), 4);
    let (first, second) = (&captured.check_ins[..2], &captured.check_ins[2..]);
    assert_eq!(first[1].check_in.status, MonitorCheckInStatus::Ok);
    assert_eq!(second[1].check_in.status, MonitorCheckInStatus::Error);
    assert_ne!(
        first[0].check_in.check_in_id,
        second[0].check_in.check_in_id
    );
    for run in [first, second] {
        assert_eq!(run[0].check_in.check_in_id, run[1].check_in.check_in_id);
    }
    let config = first[0].check_in.monitor_config.as_ref().unwrap();
    assert_eq!(
        config.schedule,
        MonitorSchedule::Crontab {
            value: "0 3 * * *".into()
        }
    );
    assert_eq!(config.checkin_margin, Some(5));
    assert_eq!(config.max_runtime, Some(30));
    assert_eq!(config.timezone.as_deref(), Some("Europe/Berlin"));
    assert_eq!(config.failure_issue_threshold, Some(2));
    assert_eq!(config.recovery_threshold, Some(3));
    // The monitor reports the run; it captures no event of its own.
    assert!(captured.events.is_empty());
}

#[test]
fn sync_without_a_result_and_an_interval() {
    let captured = capture(cleanup);
    let (_, end) = one_run(&captured, "cleanup", MonitorCheckInStatus::Ok);
    assert!(end.check_in.duration.unwrap() >= 0.02);
    assert_eq!(
        end.check_in.monitor_config.unwrap().schedule,
        MonitorSchedule::Interval {
            value: 10,
            unit: MonitorIntervalUnit::Minute
        }
    );
}

#[test]
fn sync_panic() {
    let captured = capture(|| {
        let result = std::panic::catch_unwind(panicky);
        assert!(result.is_err(), "the panic still unwinds");
    });
    let (_, end) = one_run(&captured, "panicky", MonitorCheckInStatus::Error);
    // `@hourly` is sent as the five fields it stands for.
    assert_eq!(
        end.check_in.monitor_config.unwrap().schedule,
        MonitorSchedule::Crontab {
            value: "0 * * * *".into()
        }
    );
}

#[test]
fn async_ok_err_and_panic() {
    let captured = capture(|| {
        assert_eq!(common::block_on(sync_emails(false)).unwrap(), 3);
    });
    one_run(&captured, "sync-emails", MonitorCheckInStatus::Ok);

    let captured = capture(|| {
        assert!(common::block_on(sync_emails(true)).is_err());
    });
    one_run(&captured, "sync-emails", MonitorCheckInStatus::Error);

    let captured = capture(|| {
        let result = std::panic::catch_unwind(|| common::block_on(async_panicky()));
        assert!(result.is_err());
    });
    one_run(&captured, "async-panicky", MonitorCheckInStatus::Error);
}

#[test]
fn an_async_run_dropped_unfinished_is_an_error() {
    let captured = capture(|| {
        common::block_on(async {
            let run = tokio::time::timeout(std::time::Duration::from_millis(1), async {
                let mut fut = std::pin::pin!(sync_emails(false));
                // Polled once (the job started, and yields), then abandoned.
                let mut polled = false;
                std::future::poll_fn(|cx| {
                    if !polled {
                        polled = true;
                        assert!(std::future::Future::poll(fut.as_mut(), cx).is_pending());
                    }
                    std::task::Poll::<()>::Pending
                })
                .await
            });
            assert!(run.await.is_err());
        });
    });
    one_run(&captured, "sync-emails", MonitorCheckInStatus::Error);
}

#[test]
fn with_a_transaction_under_it_the_check_ins_are_in_its_trace() {
    let captured = capture(|| {
        assert!(common::block_on(billing_run()).is_err());
    });
    let (start, _) = one_run(&captured, "billing-run", MonitorCheckInStatus::Error);
    let tx = captured.single_transaction();
    let Context::Trace(trace) = &tx.contexts["trace"] else {
        panic!("a trace context")
    };
    assert_eq!(start.trace_id, Some(trace.trace_id));
    // The error is the transaction's (captured by the monitored step), in the same trace.
    let Context::Trace(event_trace) = &captured.single_event().contexts["trace"] else {
        panic!("a trace context")
    };
    assert_eq!(event_trace.trace_id, trace.trace_id);

    let captured = capture(|| assert_eq!(other_order(), 1));
    one_run(&captured, "other-order", MonitorCheckInStatus::Ok);
    assert_eq!(captured.transactions.len(), 1);
}

#[test]
fn disabled_sends_nothing_and_behaves_as_before() {
    // No capture: vigil is off (unless another test of this binary is capturing).
    assert_eq!(nightly_report(false).unwrap(), 7);
    assert!(nightly_report(true).is_err());
    cleanup();
}

/// The envelopes as they would go out, parsed by sentry-python's own envelope parser; and
/// the fields sentry-python's `capture_checkin` sends for the same job are all there.
#[test]
fn check_ins_parse_with_sentry_sdk_and_carry_what_sentry_python_sends() {
    let captured = capture(|| {
        assert!(common::block_on(billing_run()).is_err());
        let _ = nightly_report(false);
    });
    let parsed = common::through_sentry_sdk("sentry_sdk_checkins.py", &captured.envelopes);
    let vigil: Vec<&serde_json::Value> = parsed["vigil"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|item| item[0] == "check_in")
        .collect();
    assert_eq!(vigil.len(), 4, "{parsed:#}");
    let statuses: Vec<&str> = vigil
        .iter()
        .map(|item| item[1]["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["in_progress", "error", "in_progress", "ok"]);
    assert_eq!(vigil[0][1]["check_in_id"], vigil[1][1]["check_in_id"]);
    assert_eq!(vigil[0][1]["check_in_id"].as_str().unwrap().len(), 32);
    assert_eq!(
        vigil[0][1]["monitor_config"]["schedule"]["value"],
        "0 0 1 * *"
    );
    let tx_trace = captured.single_transaction().contexts["trace"].clone();
    let Context::Trace(tx_trace) = tx_trace else {
        panic!()
    };
    assert_eq!(
        vigil[0][1]["contexts"]["trace"]["trace_id"],
        tx_trace.trace_id.to_string()
    );
    assert_eq!(
        vigil[0][2]["trace"]["trace_id"],
        tx_trace.trace_id.to_string()
    );

    // Every field sentry-python puts in a check-in, vigil puts there too, with the same
    // JSON type.
    let python = parsed["python"].as_array().unwrap();
    assert_eq!(python.len(), 2, "{parsed:#}");
    for (theirs, ours) in python.iter().zip(&vigil[2..]) {
        let theirs = theirs.as_object().unwrap();
        let ours = ours[1].as_object().unwrap();
        let keys = |m: &serde_json::Map<String, serde_json::Value>| {
            m.iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, _)| k.clone())
                .collect::<BTreeSet<_>>()
        };
        let missing: Vec<_> = keys(theirs).difference(&keys(ours)).cloned().collect();
        // What sentry-python's event pipeline adds to any event (not check-in fields).
        let missing: Vec<_> = missing
            .into_iter()
            .filter(|k| {
                ![
                    "event_id",
                    "timestamp",
                    "platform",
                    "sdk",
                    "type",
                    "server_name",
                    "extra",
                ]
                .contains(&k.as_str())
            })
            .collect();
        assert!(
            missing.is_empty(),
            "vigil lacks {missing:?}: {theirs:#?} vs {ours:#?}"
        );
        for (key, value) in ours {
            if let Some(their) = theirs.get(key) {
                assert_eq!(
                    std::mem::discriminant(value),
                    std::mem::discriminant(their),
                    "{key}: {value} vs {their}"
                );
            }
        }
        assert_eq!(ours["monitor_config"]["schedule"]["type"], "crontab");
    }
}

#[test]
fn a_borrowed_dyn_error_fails_the_check_in() {
    let input = String::from("not a number");
    let captured = capture(|| {
        assert_eq!(parse_batch("12").unwrap(), 12);
        assert!(parse_batch(&input).is_err());
    });
    let statuses: Vec<_> = captured
        .check_ins
        .iter()
        .map(|c| (c.check_in.monitor_slug.as_str(), c.check_in.status))
        .collect();
    assert_eq!(
        statuses,
        [
            ("parse-batch", MonitorCheckInStatus::InProgress),
            ("parse-batch", MonitorCheckInStatus::Ok),
            ("parse-batch", MonitorCheckInStatus::InProgress),
            ("parse-batch", MonitorCheckInStatus::Error),
        ]
    );
}
