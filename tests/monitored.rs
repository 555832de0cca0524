//! `#[vigil::monitored]` and `#[vigil::transaction]` on every shape of function, asserted on
//! what vigil actually sends.

mod common;

use std::collections::BTreeMap;
use std::fmt;
use std::future::Future;

use common::yield_now;
use vigil::protocol::{Event, SpanStatus, Transaction};
use vigil::testing::capture;

#[derive(Debug)]
struct PayError {
    code: u32,
    source: Option<IoLike>,
}

#[derive(Debug)]
struct IoLike(&'static str);

impl fmt::Display for IoLike {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "io: {}", self.0)
    }
}
impl std::error::Error for IoLike {}

impl fmt::Display for PayError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "payment failed with code {}", self.code)
    }
}
impl std::error::Error for PayError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source.as_ref().map(|s| s as _)
    }
}

#[vigil::monitored]
fn charge(user_id: u64, amount: u32) -> Result<u32, PayError> {
    if amount > 100 {
        return Err(PayError {
            code: 402,
            source: Some(IoLike("card declined")),
        });
    }
    Ok(amount + user_id as u32)
}

#[vigil::transaction(op = "task", name = "process_order")]
fn process_order(order_id: u64, amount: u32) -> Result<u32, PayError> {
    let charged = charge(7, amount)?;
    Ok(charged + order_id as u32)
}

fn tx_spans(tx: &Transaction<'static>) -> Vec<(String, String, Option<SpanStatus>)> {
    tx.spans
        .iter()
        .map(|s| {
            (
                s.op.clone().unwrap_or_default(),
                s.description.clone().unwrap_or_default(),
                s.status,
            )
        })
        .collect()
}

fn trace(tx: &Transaction<'static>) -> vigil::protocol::TraceContext {
    match tx.contexts.get("trace") {
        Some(vigil::protocol::Context::Trace(t)) => (**t).clone(),
        other => panic!("no trace context: {other:?}"),
    }
}

fn event_trace(event: &Event<'static>) -> vigil::protocol::TraceContext {
    match event.contexts.get("trace") {
        Some(vigil::protocol::Context::Trace(t)) => (**t).clone(),
        other => panic!("no trace context: {other:?}"),
    }
}

#[test]
fn behaves_exactly_as_before_when_disabled() {
    assert_eq!(charge(1, 10).unwrap(), 11);
    assert_eq!(charge(1, 1000).unwrap_err().code, 402);
    assert_eq!(process_order(5, 10).unwrap(), 22);
}

#[test]
fn transaction_with_child_span_and_recorded_arguments() {
    let captured = capture(|| {
        assert_eq!(process_order(5, 10).unwrap(), 22);
    });
    assert!(captured.events.is_empty(), "{:?}", captured.events);
    let tx = captured.single_transaction();
    assert_eq!(tx.name.as_deref(), Some("process_order"));
    let trace = trace(tx);
    assert_eq!(trace.op.as_deref(), Some("task"));
    assert_eq!(trace.status, Some(SpanStatus::Ok));
    assert_eq!(trace.data["order_id"], 5);
    assert_eq!(trace.data["amount"], 10);
    assert_eq!(
        tx_spans(tx),
        vec![(
            "function".to_owned(),
            "monitored::charge".to_owned(),
            Some(SpanStatus::Ok)
        )]
    );
    let child = &tx.spans[0];
    assert_eq!(child.parent_span_id, Some(trace.span_id));
    assert_eq!(child.trace_id, trace.trace_id);
    assert_eq!(child.data["user_id"], 7);
    assert!(child.timestamp.unwrap() >= child.start_timestamp);
    assert_eq!(tx.environment.as_deref(), Some("development"));
    assert!(tx.release.as_deref().unwrap().starts_with("vigil@"));
}

#[test]
fn returned_error_is_captured_with_chain_tags_and_trace() {
    let captured = capture(|| {
        let err = process_order(5, 1000).unwrap_err();
        assert_eq!(err.code, 402); // returned unchanged
    });
    // One event, from the innermost monitored function that saw the error: the transaction
    // that passed it up with `?` does not report it again.
    let event = captured.single_event();
    assert_eq!(event.tags["function"], "monitored::charge");
    assert_eq!(event.level, vigil::Level::Error);
    assert_eq!(event.tags["op"], "function");
    let values: Vec<_> = event
        .exception
        .values
        .iter()
        .map(|e| (e.ty.as_str(), e.value.as_deref().unwrap_or("")))
        .collect();
    // Sentry orders the chain from the root cause to the outermost error.
    assert_eq!(
        values,
        vec![
            ("IoLike", "io: card declined"),
            ("PayError", "payment failed with code 402")
        ]
    );
    let tx = captured.single_transaction();
    let tx_trace = trace(tx);
    assert_eq!(tx_trace.status, Some(SpanStatus::InternalError));
    assert_eq!(
        tx_spans(tx),
        vec![(
            "function".to_owned(),
            "monitored::charge".to_owned(),
            Some(SpanStatus::InternalError)
        )]
    );
    // The event points at the span of the function that failed.
    let ev_trace = event_trace(event);
    assert_eq!(ev_trace.trace_id, tx_trace.trace_id);
    assert_eq!(ev_trace.span_id, tx.spans[0].span_id);
    assert_eq!(event.transaction.as_deref(), Some("process_order"));
}

#[vigil::monitored(op = "db.query", name = "load_user", skip(conn), tags(component = "billing", tier = 2), level = warning)]
fn load_user(conn: &str, id: u64) -> Result<String, PayError> {
    if id == 0 {
        Err(PayError {
            code: 404,
            source: None,
        })
    } else {
        Ok(format!("{conn}:{id}"))
    }
}

#[test]
fn options_op_name_skip_tags_level() {
    let captured = capture(|| {
        let tx = vigil::start_transaction("t", "task");
        assert_eq!(load_user("pg", 3).unwrap(), "pg:3");
        assert!(load_user("pg", 0).is_err());
        drop(tx);
    });
    let tx = captured.single_transaction();
    assert_eq!(tx.spans.len(), 2);
    for span in &tx.spans {
        assert_eq!(span.op.as_deref(), Some("db.query"));
        assert_eq!(span.description.as_deref(), Some("load_user"));
        assert!(!span.data.contains_key("conn"), "skipped: {:?}", span.data);
        assert!(span.data.contains_key("id"));
        // `tags(...)` are on the span too, to filter performance data by.
        assert_eq!(
            span.tags.get("component").map(String::as_str),
            Some("billing")
        );
        assert_eq!(span.tags.get("tier").map(String::as_str), Some("2"));
    }
    let event = captured.single_event();
    assert_eq!(event.level, vigil::Level::Warning);
    assert_eq!(event.tags["component"], "billing");
    assert_eq!(event.tags["tier"], "2");
    assert_eq!(event.tags["function"], "load_user");
    assert_eq!(event.tags["op"], "db.query");
}

#[vigil::monitored(err = ignore, skip_all)]
fn ignored(secret_value: u64) -> Result<(), PayError> {
    let _ = secret_value;
    Err(PayError {
        code: 1,
        source: None,
    })
}

#[test]
fn err_ignore_marks_the_span_but_sends_no_event() {
    let captured = capture(|| {
        let _tx = vigil::start_transaction("t", "task");
        assert!(ignored(99).is_err());
    });
    assert!(captured.events.is_empty());
    let span = &captured.single_transaction().spans[0];
    assert_eq!(span.status, Some(SpanStatus::InternalError));
    assert!(span.data.is_empty(), "skip_all: {:?}", span.data);
}

#[vigil::monitored]
fn wraps_error(amount: u32) -> Result<u32, PayError> {
    // A different error (with the inner one as its source) is new information: reported too.
    charge(1, amount).map_err(|e| PayError {
        code: e.code + 1,
        source: None,
    })
}

#[test]
fn a_different_error_from_an_outer_function_is_reported_too() {
    let captured = capture(|| {
        assert!(wraps_error(500).is_err());
        // The same error again, in a new call: reported again.
        assert!(wraps_error(500).is_err());
    });
    let functions: Vec<&str> = captured
        .events
        .iter()
        .map(|e| e.tags["function"].as_str())
        .collect();
    assert_eq!(
        functions,
        vec![
            "monitored::charge",
            "monitored::wraps_error",
            "monitored::charge",
            "monitored::wraps_error"
        ]
    );
}

#[test]
fn monitored_outside_a_transaction_still_captures_errors() {
    let captured = capture(|| {
        assert!(charge(1, 500).is_err());
        assert!(charge(1, 5).is_ok());
    });
    assert!(captured.transactions.is_empty());
    let event = captured.single_event();
    assert_eq!(event.tags["function"], "monitored::charge");
}

// ---- shapes of functions ------------------------------------------------------------------

struct Account {
    name: String,
    balance: i64,
}

impl Account {
    #[vigil::monitored]
    fn name(&self) -> &str {
        &self.name
    }

    #[vigil::monitored]
    fn deposit(&mut self, amount: i64) -> Result<i64, PayError> {
        if amount < 0 {
            return Err(PayError {
                code: 400,
                source: None,
            });
        }
        self.balance += amount;
        Ok(self.balance)
    }

    #[vigil::monitored]
    fn close(self) -> String {
        self.name
    }

    #[vigil::monitored]
    fn first_word<'a>(&self, text: &'a str) -> &'a str {
        text.split(' ').next().unwrap_or_default()
    }
}

trait Store {
    fn get(&self, key: &str) -> Option<String>;
    fn describe(&self) -> String {
        "store".into()
    }
}

impl Store for Account {
    #[vigil::monitored(op = "cache.get")]
    fn get(&self, key: &str) -> Option<String> {
        (key == "name").then(|| self.name.clone())
    }
}

#[vigil::monitored]
fn generic_sum<T: Into<i64> + Copy + fmt::Debug>(items: &[T]) -> i64 {
    items.iter().map(|i| (*i).into()).sum()
}

#[vigil::monitored]
fn returns_impl_trait(n: u32) -> impl Iterator<Item = u32> {
    (0..n).map(|i| i * 2)
}

#[vigil::monitored]
fn boxed_error(fail: bool) -> Result<u8, Box<dyn std::error::Error + Send + Sync>> {
    if fail {
        // `?` converts into the boxed error, as in the plain function.
        let n: u8 = "not a number".parse()?;
        return Ok(n);
    }
    Ok(1)
}

#[vigil::monitored]
fn coerces(flag: bool) -> Box<dyn fmt::Display> {
    if flag {
        return Box::new(1);
    }
    Box::new("one")
}

#[vigil::monitored]
fn string_error(fail: bool) -> Result<(), String> {
    if fail {
        Err("plain string error".into())
    } else {
        Ok(())
    }
}

#[vigil::monitored]
fn no_return(counter: &mut u32) {
    *counter += 1;
}

#[vigil::monitored]
fn mutable_param(mut n: u32) -> u32 {
    n += 1;
    n
}

#[vigil::monitored]
fn destructured((a, b): (u32, u32)) -> u32 {
    a + b
}

#[vigil::monitored]
unsafe fn unsafe_fn(p: *const u32) -> u32 {
    *p
}

#[test]
fn every_shape_behaves_as_before() {
    let captured = capture(|| {
        let _tx = vigil::start_transaction("shapes", "task");
        let mut account = Account {
            name: "ada".into(),
            balance: 0,
        };
        assert_eq!(account.name(), "ada");
        assert_eq!(account.deposit(5).unwrap(), 5);
        assert_eq!(account.deposit(-1).unwrap_err().code, 400);
        assert_eq!(account.get("name").as_deref(), Some("ada"));
        assert_eq!(account.describe(), "store");
        assert_eq!(account.first_word("hello world"), "hello");
        assert_eq!(account.close(), "ada");
        assert_eq!(generic_sum(&[1i32, 2, 3]), 6);
        assert_eq!(generic_sum(&[1u8, 2]), 3);
        assert_eq!(returns_impl_trait(3).collect::<Vec<_>>(), vec![0, 2, 4]);
        assert!(boxed_error(true).is_err());
        assert_eq!(boxed_error(false).unwrap(), 1);
        assert_eq!(coerces(true).to_string(), "1");
        assert_eq!(coerces(false).to_string(), "one");
        assert!(string_error(true).is_err());
        let mut counter = 0;
        no_return(&mut counter);
        assert_eq!(counter, 1);
        assert_eq!(mutable_param(1), 2);
        assert_eq!(destructured((1, 2)), 3);
        let x = 42;
        assert_eq!(unsafe { unsafe_fn(&x) }, 42);
    });
    let tx = captured.single_transaction();
    let names: Vec<&str> = tx
        .spans
        .iter()
        .map(|s| s.description.as_deref().unwrap())
        .collect();
    assert_eq!(
        names,
        vec![
            "monitored::name",
            "monitored::deposit",
            "monitored::deposit",
            "monitored::get",
            "monitored::first_word",
            "monitored::close",
            "monitored::generic_sum",
            "monitored::generic_sum",
            "monitored::returns_impl_trait",
            "monitored::boxed_error",
            "monitored::boxed_error",
            "monitored::coerces",
            "monitored::coerces",
            "monitored::string_error",
            "monitored::no_return",
            "monitored::mutable_param",
            "monitored::destructured",
            "monitored::unsafe_fn",
        ]
    );
    let get = &tx.spans[3];
    assert_eq!(get.op.as_deref(), Some("cache.get"));
    // A parameter named `key` is secret by name (Sentry's key list): never looked at.
    assert_eq!(get.data["key"], "[Filtered]");
    // In a generic function only the bounds in scope count: `T: Debug` (not `Serialize`)
    // here, so the argument is recorded as its `Debug` text.
    assert_eq!(tx.spans[6].data["items"], "[1, 2, 3]");
    assert_eq!(tx.spans[4].data["text"], "hello world");
    // Errors: deposit(-1), boxed_error(true) (via Deref to dyn Error), string_error (Debug).
    let errors: Vec<(String, String)> = captured
        .events
        .iter()
        .map(|e| {
            let last = e.exception.values.last().unwrap();
            (
                e.tags["function"].clone(),
                last.value.clone().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        errors,
        vec![
            (
                "monitored::deposit".to_owned(),
                "payment failed with code 400".to_owned()
            ),
            (
                "monitored::boxed_error".to_owned(),
                "invalid digit found in string".to_owned()
            ),
            // A `String` error reads as written (its `Display`), not as its `Debug` text.
            (
                "monitored::string_error".to_owned(),
                "plain string error".to_owned()
            ),
        ]
    );
    let statuses: BTreeMap<&str, usize> = tx.spans.iter().fold(BTreeMap::new(), |mut m, s| {
        *m.entry(if s.status == Some(SpanStatus::Ok) {
            "ok"
        } else {
            "failed"
        })
        .or_default() += 1;
        m
    });
    assert_eq!(statuses["failed"], 3);
}

// ---- panics -------------------------------------------------------------------------------

#[vigil::monitored]
fn explodes(n: u32) -> u32 {
    if n > 1 {
        panic!("boom at {n}");
    }
    n
}

#[vigil::transaction(op = "task")]
fn runs_explodes() -> u32 {
    explodes(5)
}

#[test]
fn panic_is_captured_once_marks_spans_and_still_unwinds() {
    let captured = capture(|| {
        let result = std::panic::catch_unwind(runs_explodes);
        assert!(result.is_err(), "the panic still unwinds");
    });
    let event = captured.single_event();
    let exc = event.exception.values.last().unwrap();
    assert_eq!(exc.value.as_deref(), Some("boom at 5"));
    let tx = captured.single_transaction();
    assert_eq!(trace(tx).status, Some(SpanStatus::InternalError));
    assert_eq!(tx.spans[0].status, Some(SpanStatus::InternalError));
    // The panic event points at the span that panicked.
    assert_eq!(event_trace(event).span_id, tx.spans[0].span_id);
}

// ---- transactions -------------------------------------------------------------------------

#[vigil::transaction(op = "queue.process", sample_rate = 0.0)]
fn never_sampled() -> u32 {
    charge(1, 1).unwrap()
}

#[vigil::transaction(op = "task")]
fn outer_job() {
    inner_job();
}

#[vigil::transaction(op = "task.inner", name = "inner")]
fn inner_job() {}

#[test]
fn sample_rate_and_nesting() {
    let captured = capture(|| {
        assert_eq!(never_sampled(), 2);
        outer_job();
    });
    let tx = captured.single_transaction();
    assert_eq!(tx.name.as_deref(), Some("monitored::outer_job"));
    // A transaction inside a transaction is a child span.
    assert_eq!(
        tx_spans(tx),
        vec![("task.inner".into(), "inner".into(), Some(SpanStatus::Ok))]
    );
}

#[test]
fn unsampled_transaction_still_captures_errors_with_its_trace() {
    let config = vigil::Config::new().traces_sample_rate(0.0001);
    let captured = vigil::testing::capture_with(config, || {
        // With a rate this low the transaction is (almost surely) not sampled; the error
        // inside is captured regardless.
        for _ in 0..3 {
            let _ = process_order(1, 1000);
        }
    })
    .unwrap();
    assert!(captured.transactions.len() <= 1);
    // Three failures, each reported once (by `charge`, not again by `process_order`).
    assert_eq!(captured.events.len(), 3);
    assert!(captured
        .events
        .iter()
        .all(|e| e.tags["function"] == "monitored::charge"));
}

#[test]
fn tracing_disabled_sends_no_transactions_but_errors() {
    let config = vigil::Config::new().enable_tracing(false);
    let captured = vigil::testing::capture_with(config, || {
        let _ = process_order(1, 1000);
        outer_job();
    })
    .unwrap();
    assert!(captured.transactions.is_empty());
    assert_eq!(captured.events.len(), 1);
}

// ---- async --------------------------------------------------------------------------------

#[vigil::monitored(op = "http.client")]
async fn fetch(url: &str, fail: bool) -> Result<usize, PayError> {
    yield_now().await;
    if fail {
        return Err(PayError {
            code: 503,
            source: None,
        });
    }
    Ok(url.len())
}

#[vigil::transaction(op = "task")]
async fn crawl(urls: Vec<&'static str>) -> Result<usize, PayError> {
    let mut total = 0;
    for url in urls {
        total += fetch(url, url.is_empty()).await?;
    }
    Ok(total)
}

fn assert_send<T: Send>(t: T) -> T {
    t
}

#[test]
fn async_spans_live_with_the_future() {
    let captured = capture(|| {
        let fut = assert_send(crawl(vec!["a", "bb", "ccc"]));
        assert_eq!(futures_executor::block_on(fut).unwrap(), 6);
        let err = futures_executor::block_on(crawl(vec!["a", ""])).unwrap_err();
        assert_eq!(err.code, 503);
    });
    assert_eq!(captured.transactions.len(), 2);
    let ok = &captured.transactions[0];
    assert_eq!(ok.spans.len(), 3);
    let ok_trace = trace(ok);
    for span in &ok.spans {
        assert_eq!(span.op.as_deref(), Some("http.client"));
        assert_eq!(span.parent_span_id, Some(ok_trace.span_id));
        assert_eq!(span.status, Some(SpanStatus::Ok));
    }
    assert_eq!(ok.spans[1].data["url"], "bb");
    let failed = &captured.transactions[1];
    assert_eq!(trace(failed).status, Some(SpanStatus::InternalError));
    // Reported once, by `fetch`; `crawl` passed the same error up.
    assert_eq!(captured.events.len(), 1);
    assert_eq!(captured.events[0].tags["function"], "monitored::fetch");
    assert_eq!(
        event_trace(&captured.events[0]).span_id,
        failed.spans[1].span_id
    );
}

#[test]
fn a_future_dropped_midway_finishes_its_span_as_cancelled() {
    let captured = capture(|| {
        let _tx = vigil::start_transaction("t", "task");
        let mut fut = Box::pin(fetch("x", false));
        let waker = std::task::Waker::noop();
        let mut cx = std::task::Context::from_waker(waker);
        assert!(fut.as_mut().poll(&mut cx).is_pending());
        drop(fut);
    });
    let tx = captured.single_transaction();
    assert_eq!(tx.spans.len(), 1);
    assert_eq!(tx.spans[0].status, Some(SpanStatus::Cancelled));
}

/// The transaction named `name` among those `captured` holds.
fn named<'a>(captured: &'a vigil::testing::Captured, name: &str) -> &'a Transaction<'static> {
    captured
        .transactions
        .iter()
        .find(|t| t.name.as_deref() == Some(name))
        .unwrap_or_else(|| panic!("no transaction {name}"))
}

#[vigil::monitored]
async fn keeps_a_transaction_across_an_await() -> u32 {
    // Started inside the span and still current when the first poll ends.
    let inner = vigil::start_transaction("inner", "task");
    yield_now().await;
    drop(inner);
    vigil::capture_message!("after the await");
    7
}

#[test]
fn an_async_fn_keeping_a_transaction_open_across_an_await_still_records_its_span() {
    let captured = capture(|| {
        let _tx = vigil::start_transaction("outer", "task");
        let fut = keeps_a_transaction_across_an_await();
        assert_eq!(futures_executor::block_on(fut), 7);
    });
    let outer = named(&captured, "outer");
    assert_eq!(outer.spans.len(), 1, "the async fn's span is recorded");
    let span = &outer.spans[0];
    assert_eq!(span.parent_span_id, Some(trace(outer).span_id));
    assert_eq!(span.status, Some(SpanStatus::Ok));
    // The inner transaction continued the trace from the async fn's span.
    assert_eq!(
        trace(named(&captured, "inner")).parent_span_id,
        Some(span.span_id)
    );
    // After the await the async fn's span was current again.
    assert_eq!(event_trace(captured.single_event()).span_id, span.span_id);
}

#[vigil::monitored]
async fn keeps_a_transaction_across_a_resumed_poll() -> u32 {
    yield_now().await;
    // Started in the second poll, which runs under another transaction's span.
    let inner = vigil::start_transaction("inner", "task");
    yield_now().await;
    drop(inner);
    7
}

#[test]
fn an_async_fn_resumed_under_another_transaction_still_records_its_span_in_its_own() {
    let captured = capture(|| {
        let outer = vigil::start_transaction("outer", "task");
        let mut fut = Box::pin(keeps_a_transaction_across_a_resumed_poll());
        let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
        assert!(fut.as_mut().poll(&mut cx).is_pending());
        // The second poll: under another transaction, and it ends with `inner` current.
        let other = vigil::start_transaction("other", "task");
        assert!(fut.as_mut().poll(&mut cx).is_pending());
        drop(other);
        assert_eq!(fut.as_mut().poll(&mut cx), std::task::Poll::Ready(7));
        drop(outer);
    });
    let outer = named(&captured, "outer");
    assert_eq!(
        outer.spans.len(),
        1,
        "the async fn's span is in its own transaction"
    );
    assert_eq!(outer.spans[0].status, Some(SpanStatus::Ok));
    let other = named(&captured, "other");
    assert!(
        other.spans.is_empty(),
        "nothing of the async fn in the other"
    );
}

#[vigil::monitored]
async fn async_method_like(x: &Account) -> &str {
    &x.name
}

#[test]
fn async_returning_a_borrow() {
    let a = Account {
        name: "n".into(),
        balance: 0,
    };
    let captured = capture(|| {
        let _tx = vigil::start_transaction("t", "task");
        assert_eq!(futures_executor::block_on(async_method_like(&a)), "n");
    });
    assert_eq!(captured.single_transaction().spans.len(), 1);
}

#[vigil::transaction(op = "task", sample_rate = 0.0)]
fn returns_a_transaction() -> vigil::Transaction {
    vigil::start_transaction("inner", "task")
}

#[test]
fn guards_dropped_out_of_order_leave_no_stale_current_span() {
    let captured = capture(|| {
        // The unsampled transaction ends while the transaction it returned is still current.
        let inner = returns_a_transaction();
        drop(inner);
        // Nothing of either is current any more: a new transaction starts a new, sampled trace.
        let after = vigil::start_transaction("after", "task");
        assert!(after.is_sampled());
        vigil::capture_message!("after both");
        drop(after);
    });
    assert_eq!(
        captured.single_event().transaction.as_deref(),
        Some("after")
    );
    let tx = captured.single_transaction();
    assert_eq!(tx.name.as_deref(), Some("after"));
    assert_eq!(
        trace(tx).parent_span_id,
        None,
        "a root, not a child of a stale span"
    );
}

/// An error that borrows from its input (not `'static`): integrations that look for their
/// own error types in the chain must not make such functions stop compiling.
#[derive(Debug)]
struct BadField<'a>(&'a str);

impl fmt::Display for BadField<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "bad field {}", self.0)
    }
}

impl std::error::Error for BadField<'_> {}

#[vigil::monitored]
fn parse_field(input: &str) -> Result<u32, BadField<'_>> {
    input.parse().map_err(|_| BadField(input))
}

#[test]
fn errors_that_borrow_compile_and_are_captured_as_errors() {
    let captured = capture(|| {
        assert!(parse_field("x7").is_err());
    });
    let exception = &captured.single_event().exception.values[0];
    assert_eq!(exception.value.as_deref(), Some("bad field x7"));
}

/// A body that is one `if`/`else`: the expansion must not look oddly formatted to clippy
/// (`suspicious_else_formatting` once fired on every such async fn). CI runs clippy on tests.
#[vigil::monitored]
async fn parity(n: u32) -> Result<&'static str, PayError> {
    if n % 2 == 0 {
        Ok("even")
    } else {
        Ok("odd")
    }
}

#[test]
fn async_if_else_body() {
    assert_eq!(futures_executor::block_on(parity(3)).unwrap(), "odd");
}

#[vigil::transaction(op = "task")]
async fn job_that_panics() -> u32 {
    yield_now().await;
    panic!("job exploded")
}

#[vigil::transaction(op = "task")]
async fn job_that_works(n: u32) -> u32 {
    yield_now().await;
    n
}

#[test]
fn a_panicking_async_transaction_fails_and_the_thread_keeps_its_telemetry() {
    let captured = capture(|| {
        let panicked = std::panic::catch_unwind(|| {
            futures_executor::block_on(job_that_panics());
        });
        assert!(panicked.is_err());
        // The thread's current span was restored when the poll unwound: the next
        // transactions are roots of their own, and are sent.
        assert_eq!(futures_executor::block_on(job_that_works(1)), 1);
        assert_eq!(futures_executor::block_on(job_that_works(2)), 2);
    });
    let names: Vec<_> = captured
        .transactions
        .iter()
        .map(|tx| (tx.name.clone().unwrap_or_default(), trace(tx).status))
        .collect();
    let panics = "monitored::job_that_panics".to_owned();
    let works = "monitored::job_that_works".to_owned();
    assert_eq!(
        names,
        vec![
            (panics, Some(SpanStatus::InternalError)),
            (works.clone(), Some(SpanStatus::Ok)),
            (works, Some(SpanStatus::Ok)),
        ]
    );
    for tx in &captured.transactions[1..] {
        assert_eq!(
            trace(tx).parent_span_id,
            None,
            "not a child of the dead one"
        );
    }
}

#[vigil::monitored]
async fn child_that_panics() {
    yield_now().await;
    panic!("child exploded")
}

#[test]
fn a_panic_in_a_monitored_async_fn_marks_its_span_failed_not_cancelled() {
    let captured = capture(|| {
        let tx = vigil::start_transaction("t", "task");
        let panicked = std::panic::catch_unwind(|| {
            futures_executor::block_on(child_that_panics());
        });
        assert!(panicked.is_err());
        drop(tx);
    });
    let tx = captured.single_transaction();
    assert_eq!(tx.spans.len(), 1);
    assert_eq!(tx.spans[0].status, Some(SpanStatus::InternalError));
}

#[vigil::transaction(op = "task", tags(queue = "emails"))]
async fn tagged_job() -> u32 {
    tagged_step().await
}

#[vigil::monitored(tags(step = "render"))]
async fn tagged_step() -> u32 {
    yield_now().await;
    7
}

#[test]
fn tags_are_on_transactions_and_async_spans_too() {
    let captured = capture(|| assert_eq!(futures_executor::block_on(tagged_job()), 7));
    let tx = captured.single_transaction();
    assert_eq!(tx.tags.get("queue").map(String::as_str), Some("emails"));
    assert_eq!(tx.spans.len(), 1);
    assert_eq!(
        tx.spans[0].tags.get("step").map(String::as_str),
        Some("render")
    );
}
