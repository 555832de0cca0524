//! `vigil::bind` and `vigil::bind_fn`: work spawned onto other tasks and threads stays in the
//! span and scope it was spawned from.

use std::time::Duration;

use vigil::protocol::{Span, SpanStatus, Transaction};

#[vigil::monitored]
async fn child(n: u64) -> Result<u64, std::io::Error> {
    tokio::time::sleep(Duration::from_millis(40)).await;
    if n == 3 {
        return Err(std::io::Error::other(format!("child {n} failed")));
    }
    Ok(n)
}

#[vigil::transaction(op = "task")]
async fn fan_out(bound: bool) -> u64 {
    vigil::set_user_context(vigil::User::new(42).username("ada"));
    sentry::configure_scope(|scope| scope.set_tag("tenant", "acme"));
    vigil::set_feature_flag("new_checkout", true);
    let tasks: Vec<_> = (0..10u64)
        .map(|n| {
            if bound {
                tokio::spawn(vigil::bind(child(n)))
            } else {
                tokio::spawn(child(n))
            }
        })
        .collect();
    let mut sum = 0;
    for task in tasks {
        sum += task.await.unwrap().unwrap_or(0);
    }
    sum
}

fn multi_thread() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .enable_all()
        .build()
        .unwrap()
}

fn children<'a>(tx: &'a Transaction<'static>) -> Vec<&'a Span> {
    tx.spans
        .iter()
        .filter(|s| s.description.as_deref() == Some("spawn::child"))
        .collect()
}

#[test]
fn ten_bound_children_on_a_multi_threaded_runtime_record_their_spans_under_the_transaction() {
    let rt = multi_thread();
    let captured = vigil::testing::capture(|| {
        assert_eq!(rt.block_on(fan_out(true)), 45 - 3);
    });
    let tx = captured.single_transaction();
    let root = match &tx.contexts["trace"] {
        vigil::protocol::Context::Trace(t) => t.clone(),
        other => panic!("{other:?}"),
    };
    let spans = children(tx);
    assert_eq!(spans.len(), 10, "{:#?}", tx.spans);
    for span in &spans {
        assert_eq!(span.parent_span_id, Some(root.span_id));
        assert_eq!(span.trace_id, root.trace_id);
    }
    let failed: Vec<_> = spans
        .iter()
        .filter(|s| s.status == Some(SpanStatus::InternalError))
        .collect();
    assert_eq!(failed.len(), 1);
    // Concurrently: every child started before any ended (each sleeps 40 ms).
    let last_start = spans.iter().map(|s| s.start_timestamp).max().unwrap();
    let first_end = spans.iter().filter_map(|s| s.timestamp).min().unwrap();
    assert!(last_start < first_end, "the children ran one after another");

    // The failing child's error carries the request's user and tags, and its span.
    let event = captured.single_event();
    assert_eq!(
        event.user.as_ref().and_then(|u| u.username.as_deref()),
        Some("ada")
    );
    assert_eq!(event.tags["tenant"], "acme");
    // And the flags evaluated in the request before the spawn.
    let Some(vigil::protocol::Context::Other(flags)) = event.contexts.get("flags") else {
        panic!("no flags context: {:?}", event.contexts)
    };
    assert_eq!(flags["values"][0]["flag"], "new_checkout");
    assert_eq!(flags["values"][0]["result"], true);
    match &event.contexts["trace"] {
        vigil::protocol::Context::Trace(t) => assert_eq!(t.trace_id, root.trace_id),
        other => panic!("{other:?}"),
    }
}

/// The difference `bind` makes: an unbound `tokio::spawn` runs the child with no current
/// span (so no span is recorded) and outside the request's scope (so its error goes to the
/// worker thread's hub, not to this capture, and would carry no user).
#[test]
fn unbound_children_record_nothing() {
    let rt = multi_thread();
    let captured = vigil::testing::capture(|| {
        assert_eq!(rt.block_on(fan_out(false)), 45 - 3);
    });
    let tx = captured.single_transaction();
    assert!(children(tx).is_empty(), "{:#?}", tx.spans);
    assert!(captured.events.is_empty());
}

#[test]
fn bind_fn_carries_the_span_and_scope_to_threads_and_spawn_blocking() {
    #[vigil::monitored]
    fn blocking_step(n: u64) -> u64 {
        n * 2
    }

    let rt = multi_thread();
    let captured = vigil::testing::capture(|| {
        let tx = vigil::start_transaction("import", "task");
        vigil::set_user_context(vigil::User::new(7));
        let thread = std::thread::spawn(vigil::bind_fn(|| blocking_step(1)));
        assert_eq!(thread.join().unwrap(), 2);
        let blocking = rt.spawn_blocking(vigil::bind_fn(|| {
            let n = blocking_step(2);
            vigil::capture_message!("blocking step done", level = warning);
            n
        }));
        assert_eq!(rt.block_on(blocking).unwrap(), 4);
        drop(tx);
    });
    let tx = captured.single_transaction();
    let steps = tx
        .spans
        .iter()
        .filter(|s| s.description.as_deref() == Some("spawn::blocking_step"))
        .count();
    assert_eq!(steps, 2);
    let event = captured.single_event();
    assert_eq!(event.user.as_ref().and_then(|u| u.id.as_deref()), Some("7"));
}

#[vigil::monitored]
async fn late() -> u64 {
    tokio::time::sleep(Duration::from_millis(50)).await;
    1
}

#[vigil::monitored]
async fn slow() -> u64 {
    tokio::time::sleep(Duration::from_secs(10)).await;
    1
}

// Returns the handle of work it leaves running, on purpose.
#[allow(clippy::async_yields_async)]
#[vigil::transaction(op = "task")]
async fn leaves_work_behind() -> tokio::task::JoinHandle<u64> {
    // Dropped unfinished inside the transaction: its span ends `cancelled`.
    let timed_out = tokio::time::timeout(Duration::from_millis(10), vigil::bind(slow())).await;
    assert!(timed_out.is_err());
    // Still running when the transaction ends.
    tokio::spawn(vigil::bind(late()))
}

#[test]
fn a_bound_future_that_outlives_its_transaction_records_nothing_and_one_dropped_is_cancelled() {
    let rt = multi_thread();
    let captured = vigil::testing::capture(|| {
        let handle = rt.block_on(leaves_work_behind());
        assert_eq!(
            rt.block_on(handle).unwrap(),
            1,
            "it ran to the end, no panic"
        );
    });
    let tx = captured.single_transaction();
    let names: Vec<_> = tx
        .spans
        .iter()
        .map(|s| (s.description.as_deref().unwrap(), s.status))
        .collect();
    assert_eq!(names, [("spawn::slow", Some(SpanStatus::Cancelled))]);
}

/// Outside any span (and, when no other test of this binary is capturing, with vigil
/// disabled) bound work just runs.
#[test]
fn bound_work_outside_any_span_just_runs() {
    let rt = multi_thread();
    let out = rt.block_on(rt.spawn(vigil::bind(child(2)))).unwrap();
    assert_eq!(out.unwrap(), 2);
    assert_eq!(std::thread::spawn(vigil::bind_fn(|| 5)).join().unwrap(), 5);
}

#[vigil::monitored]
fn step(n: u64) -> u64 {
    n + 1
}

/// `thread.id` and `thread.name` in a span's data, as sentry-python's spans carry them: on
/// the transaction's trace context for its own thread, on a child span only when it ran on
/// another.
#[test]
fn spans_name_the_thread_they_ran_on_when_not_their_transactions() {
    let captured = vigil::testing::capture(|| {
        let _tx = vigil::start_transaction("threads", "task");
        step(1);
        std::thread::Builder::new()
            .name("worker-7".into())
            .spawn(vigil::bind_fn(|| step(2)))
            .unwrap()
            .join()
            .unwrap();
        std::thread::spawn(vigil::bind_fn(|| step(3)))
            .join()
            .unwrap();
    });
    let tx = captured.single_transaction();
    let root = match &tx.contexts["trace"] {
        vigil::protocol::Context::Trace(t) => t.clone(),
        other => panic!("{other:?}"),
    };
    // An integer, as Sentry's conventions have it.
    let tx_thread = root.data["thread.id"].as_u64().expect("a number");
    // The test harness names each test's thread after the test.
    assert_eq!(
        root.data["thread.name"],
        "spans_name_the_thread_they_ran_on_when_not_their_transactions"
    );
    let threads: Vec<(Option<u64>, Option<&str>)> = tx
        .spans
        .iter()
        .map(|s| {
            let id = s.data.get("thread.id").and_then(|v| v.as_u64());
            (id, s.data.get("thread.name").and_then(|v| v.as_str()))
        })
        .collect();
    assert_eq!(threads.len(), 3);
    // Same thread as the transaction: nothing added.
    assert_eq!(threads[0], (None, None));
    let (worker, name) = threads[1];
    assert!(worker.is_some_and(|id| id != tx_thread), "{threads:?}");
    assert_eq!(name, Some("worker-7"));
    // An unnamed thread: its id alone.
    assert!(threads[2]
        .0
        .is_some_and(|id| id != tx_thread && Some(id) != worker));
    assert_eq!(threads[2].1, None);
}
