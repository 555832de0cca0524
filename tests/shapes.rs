//! Function shapes, ported from tracing-attributes' own test suite (async_fn, destructuring,
//! err, ret, instrument, names, dead_code and its ui cases) and from what users write: the
//! attribute must not change whether a function compiles or what it does, and the span must
//! cover what the function does. Compile-only shapes are in `tests/ui/pass/`.

mod common;

use common::yield_now;

use std::future::Future;
use std::pin::Pin;

use vigil::protocol::{Event, SpanStatus, Transaction};
use vigil::testing::capture;

#[derive(Debug)]
struct Failed(u32);

impl std::fmt::Display for Failed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "step {} failed", self.0)
    }
}

impl std::error::Error for Failed {}

#[vigil::monitored(op = "step")]
async fn step(n: u32) -> Result<u32, Failed> {
    yield_now().await;
    if n == 0 {
        Err(Failed(n))
    } else {
        Ok(n)
    }
}

/// `(description, parent description)` of each span, and the transaction's own span id.
fn tree(tx: &Transaction<'static>) -> Vec<(String, Option<String>)> {
    let root = match tx.contexts.get("trace") {
        Some(vigil::protocol::Context::Trace(t)) => t.span_id,
        other => panic!("no trace context: {other:?}"),
    };
    let name_of = |id| {
        if id == root {
            Some("<root>".to_owned())
        } else {
            tx.spans
                .iter()
                .find(|s| s.span_id == id)
                .and_then(|s| s.description.clone())
        }
    };
    let mut out: Vec<_> = tx
        .spans
        .iter()
        .map(|s| {
            (
                s.description.clone().unwrap_or_default(),
                s.parent_span_id.and_then(name_of),
            )
        })
        .collect();
    out.sort();
    out
}

fn values(events: &[Event<'static>]) -> Vec<(String, String)> {
    events
        .iter()
        .map(|e| {
            let x = &e.exception.values[0];
            (x.ty.clone(), x.value.clone().unwrap_or_default())
        })
        .collect()
}

fn in_transaction<R>(f: impl FnOnce() -> R) -> (R, vigil::testing::Captured) {
    let mut out = None;
    let captured = capture(|| {
        let _tx = vigil::start_transaction("t", "task");
        out = Some(f());
    });
    (out.expect("ran"), captured)
}

// ---- functions that return a future (tracing's repro_1831, manual_impl_future, manual_box_pin)

#[vigil::monitored]
#[allow(clippy::manual_async_fn)]
fn returns_impl_future(n: u32) -> impl Future<Output = Result<u32, Failed>> {
    async move { step(n).await.map(|n| n + 1) }
}

#[vigil::monitored]
fn returns_boxed_future(n: u32) -> Pin<Box<dyn Future<Output = Result<u32, Failed>> + Send>> {
    Box::pin(async move { step(n).await })
}

#[test]
fn a_returned_future_is_instrumented_not_its_creation() {
    let (out, captured) = in_transaction(|| {
        (
            futures_executor::block_on(returns_impl_future(1)).unwrap(),
            futures_executor::block_on(returns_boxed_future(0))
                .unwrap_err()
                .0,
        )
    });
    assert_eq!(out, (2, 0));
    let tx = captured.single_transaction();
    // What the future awaits is inside the function's span, not beside it.
    assert_eq!(
        tree(tx),
        vec![
            ("shapes::returns_boxed_future".into(), Some("<root>".into())),
            ("shapes::returns_impl_future".into(), Some("<root>".into())),
            (
                "shapes::step".into(),
                Some("shapes::returns_boxed_future".into())
            ),
            (
                "shapes::step".into(),
                Some("shapes::returns_impl_future".into())
            ),
        ]
    );
    // The future's `Err` is captured once (by the innermost function), and both spans fail.
    assert_eq!(
        values(&captured.events),
        vec![("Failed".into(), "step 0 failed".into())]
    );
    let failed: Vec<_> = tx
        .spans
        .iter()
        .filter(|s| s.status == Some(SpanStatus::InternalError))
        .filter_map(|s| s.description.clone())
        .collect();
    assert_eq!(failed.len(), 2, "{failed:?}");
}

// ---- #[async_trait] (tracing's async_fn_with_async_trait)

#[async_trait::async_trait]
trait Store {
    async fn load(&self, id: u32) -> Result<u32, Failed>;
    // A default method: `#[async_trait]` has made it a fn returning a boxed future by the
    // time `#[monitored]` sees it.
    #[vigil::monitored]
    async fn load_twice(&self, id: u32) -> Result<u32, Failed> {
        Ok(self.load(id).await? + self.load(id).await?)
    }
}

#[async_trait::async_trait(?Send)]
trait LocalStore {
    async fn load_local(&mut self, id: u32) -> Result<u32, Failed>;
}

struct Db {
    offset: u32,
}

#[async_trait::async_trait]
impl Store for Db {
    #[vigil::monitored(op = "db.query")]
    async fn load(&self, id: u32) -> Result<u32, Failed> {
        step(id).await.map(|n| n + self.offset)
    }
}

#[async_trait::async_trait(?Send)]
impl LocalStore for Db {
    #[vigil::monitored(op = "db.query")]
    async fn load_local(&mut self, id: u32) -> Result<u32, Failed> {
        self.offset += 1;
        step(id).await
    }
}

fn assert_send<T: Send>(t: T) -> T {
    t
}

#[test]
fn async_trait_methods_are_instrumented_around_their_future() {
    let mut db = Db { offset: 10 };
    let (out, captured) = in_transaction(|| {
        let ok = futures_executor::block_on(assert_send(db.load_twice(1))).unwrap();
        let err = futures_executor::block_on(db.load_local(0)).unwrap_err();
        (ok, err.0)
    });
    assert_eq!(out, (22, 0));
    assert_eq!(db.offset, 11);
    let tx = captured.single_transaction();
    assert_eq!(
        tree(tx),
        vec![
            ("shapes::load".into(), Some("shapes::load_twice".into())),
            ("shapes::load".into(), Some("shapes::load_twice".into())),
            ("shapes::load_local".into(), Some("<root>".into())),
            ("shapes::load_twice".into(), Some("<root>".into())),
            ("shapes::step".into(), Some("shapes::load".into())),
            ("shapes::step".into(), Some("shapes::load".into())),
            ("shapes::step".into(), Some("shapes::load_local".into())),
        ]
    );
    assert_eq!(
        captured.events.len(),
        1,
        "captured once: {:?}",
        captured.events
    );
    assert!(tx
        .spans
        .iter()
        .filter(|s| s.op.as_deref() == Some("db.query"))
        .all(|s| s.data.contains_key("id")));
}

// ---- Result<impl Trait, E> (tracing's test_ret_impl_trait_err)

#[vigil::monitored]
fn evens(n: u32) -> Result<impl Iterator<Item = u32>, Failed> {
    if n == 0 {
        return Err(Failed(n));
    }
    Ok((0..n).filter(|x| x % 2 == 0))
}

#[vigil::monitored]
async fn evens_async(n: u32) -> Result<impl Iterator<Item = u32>, Failed> {
    yield_now().await;
    if n == 0 {
        return Err(Failed(n));
    }
    Ok((0..n).filter(|x| x % 2 == 0))
}

#[test]
fn an_err_beside_an_impl_trait_is_captured() {
    let (out, captured) = in_transaction(|| {
        let sync_ok: Vec<u32> = evens(5).unwrap().collect();
        let async_ok: Vec<u32> = futures_executor::block_on(evens_async(3))
            .unwrap()
            .collect();
        assert!(evens(0).is_err());
        assert!(futures_executor::block_on(evens_async(0)).is_err());
        (sync_ok, async_ok)
    });
    assert_eq!(out, (vec![0, 2, 4], vec![0, 2]));
    assert_eq!(captured.events.len(), 2);
    let tx = captured.single_transaction();
    let failed = tx
        .spans
        .iter()
        .filter(|s| s.status == Some(SpanStatus::InternalError))
        .count();
    assert_eq!(failed, 2);
}

// ---- error types (tracing's err.rs: Display for non-Error types)

#[vigil::monitored]
fn string_error() -> Result<(), String> {
    Err("the disk is full".into())
}

#[vigil::monitored]
fn str_error() -> Result<(), &'static str> {
    Err("no such user")
}

/// Display, not `std::error::Error`.
struct Refused {
    code: u16,
}

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "refused with {}", self.code)
    }
}

#[vigil::monitored]
fn display_only() -> Result<(), Refused> {
    Err(Refused { code: 451 })
}

/// Nothing at all: no Display, no Debug.
struct Opaque;

#[vigil::monitored]
fn generic_unbounded<X>(x: X) -> Result<(), X> {
    Err(x)
}

#[vigil::monitored]
fn generic_error<E: std::error::Error>(e: E) -> Result<(), E> {
    Err(e)
}

#[vigil::monitored]
fn impl_error() -> Result<(), impl std::error::Error> {
    Err(Failed(9))
}

#[derive(Debug)]
enum DebugOnly {
    Timeout,
}

#[vigil::monitored]
fn debug_only() -> Result<(), DebugOnly> {
    Err(DebugOnly::Timeout)
}

#[test]
fn every_err_is_an_event_and_reads_as_written() {
    let captured = capture(|| {
        assert!(string_error().is_err());
        assert!(str_error().is_err());
        assert!(display_only().is_err());
        assert!(generic_unbounded(Opaque).is_err());
        assert!(generic_error(Failed(8)).is_err());
        assert!(impl_error().is_err());
        assert!(debug_only().is_err());
    });
    assert_eq!(
        values(&captured.events),
        vec![
            ("String".into(), "the disk is full".into()),
            ("&str".into(), "no such user".into()),
            ("Refused".into(), "refused with 451".into()),
            (
                "Opaque".into(),
                "a `Opaque` (where it was returned, its type showed neither `Display` nor `Debug`)"
                    .into()
            ),
            ("Failed".into(), "step 8 failed".into()),
            ("Failed".into(), "step 9 failed".into()),
            ("DebugOnly".into(), "Timeout".into()),
        ]
    );
    // The full path of the type is the exception's module.
    let refused = &captured.events[2].exception.values[0];
    assert_eq!(refused.module.as_deref(), Some("shapes"));
}

/// An error that borrows the input it rejects.
#[derive(Debug)]
struct BadToken<'a>(&'a str);

impl std::fmt::Display for BadToken<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "bad token {:?}", self.0)
    }
}

impl std::error::Error for BadToken<'_> {}

#[vigil::monitored]
fn borrowed_dyn_error<'a>(input: &'a str) -> Result<u32, Box<dyn std::error::Error + 'a>> {
    input.parse().map_err(|_| Box::new(BadToken(input)) as _)
}

#[vigil::monitored]
async fn borrowed_dyn_error_async<'a>(
    input: &'a str,
) -> Result<u32, Box<dyn std::error::Error + Send + Sync + 'a>> {
    yield_now().await;
    input.parse().map_err(|_| Box::new(BadToken(input)) as _)
}

#[vigil::monitored]
fn elided_dyn_error(input: &str) -> Result<u32, Box<dyn std::error::Error + '_>> {
    input.parse().map_err(|_| Box::new(BadToken(input)) as _)
}

#[test]
fn an_error_that_borrows_behind_dyn_error_compiles_and_is_captured() {
    let input = String::from("x1");
    let captured = capture(|| {
        assert!(borrowed_dyn_error(&input).is_err());
        assert_eq!(borrowed_dyn_error("7").unwrap(), 7);
        assert!(elided_dyn_error(&input).is_err());
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        assert!(runtime.block_on(borrowed_dyn_error_async(&input)).is_err());
    });
    // Named from what the error says of itself (its `Debug`): without `'static` it cannot be
    // downcast.
    assert_eq!(
        values(&captured.events),
        vec![
            ("BadToken".into(), "bad token \"x1\"".into()),
            ("BadToken".into(), "bad token \"x1\"".into()),
            ("BadToken".into(), "bad token \"x1\"".into()),
        ]
    );
}

#[vigil::monitored(err = ignore)]
fn ignored_unbounded<X>(x: X) -> Result<(), X> {
    Err(x)
}

#[test]
fn err_ignore_still_sends_nothing() {
    let captured = capture(|| assert!(ignored_unbounded(Opaque).is_err()));
    assert!(captured.events.is_empty());
}

// ---- destructured parameters (tracing's destructuring.rs)

struct Point {
    x: i32,
    y: i32,
}

struct Pair(u32, #[allow(dead_code)] u32);

#[vigil::monitored]
fn destructure_tuples((a, b): (u32, u32), Pair(c, _): Pair) -> u32 {
    a + b + c
}

#[vigil::monitored(skip(y))]
fn destructure_struct(Point { x, y }: Point, [first, ..]: [u8; 3]) -> i32 {
    x + y + i32::from(first)
}

#[vigil::monitored]
fn destructure_secrets(
    (user, password): (&str, &str),
    #[sensitive] (pin, _n): (u32, u32),
) -> usize {
    user.len() + password.len() + pin as usize
}

#[vigil::monitored]
async fn destructure_async(&(a, ref b): &(u32, String)) -> usize {
    yield_now().await;
    a as usize + b.len()
}

#[test]
fn destructured_parameters_are_recorded_by_binding() {
    let (_, captured) = in_transaction(|| {
        assert_eq!(destructure_tuples((1, 2), Pair(3, 4)), 6);
        assert_eq!(destructure_struct(Point { x: 1, y: 2 }, [3, 4, 5]), 6);
        assert_eq!(destructure_secrets(("ann", "hunter2"), (1234, 5)), 1244);
        assert_eq!(
            futures_executor::block_on(destructure_async(&(4, "abc".into()))),
            7
        );
    });
    let tx = captured.single_transaction();
    let data = |name: &str| {
        let span = tx
            .spans
            .iter()
            .find(|s| s.description.as_deref() == Some(name))
            .unwrap_or_else(|| panic!("no span {name}"));
        let mut keys: Vec<(String, String)> = span
            .data
            .iter()
            .map(|(k, v)| (k.clone(), v.to_string()))
            .collect();
        keys.sort();
        keys
    };
    let pairs = |p: &[(&str, &str)]| -> Vec<(String, String)> {
        p.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    };
    assert_eq!(
        data("shapes::destructure_tuples"),
        pairs(&[("a", "1"), ("b", "2"), ("c", "3")])
    );
    assert_eq!(
        data("shapes::destructure_struct"),
        pairs(&[("first", "3"), ("x", "1")])
    );
    // A binding named like a secret is `[Filtered]`; a `#[sensitive]` pattern records nothing.
    assert_eq!(
        data("shapes::destructure_secrets"),
        pairs(&[("password", "\"[Filtered]\""), ("user", "\"ann\"")])
    );
    assert_eq!(
        data("shapes::destructure_async"),
        pairs(&[("a", "4"), ("b", "\"abc\"")])
    );
    assert!(!common::wire(&captured.envelopes).contains("hunter2"));
}

// ---- panics (issue: the thread keeps its telemetry after a panicking task)

#[vigil::transaction(op = "task")]
async fn job(n: u32) -> u32 {
    yield_now().await;
    if n == 0 {
        panic!("job {n} exploded");
    }
    n
}

fn statuses(captured: &vigil::testing::Captured) -> Vec<(Option<String>, Option<SpanStatus>)> {
    captured
        .transactions
        .iter()
        .map(|tx| {
            let status = match tx.contexts.get("trace") {
                Some(vigil::protocol::Context::Trace(t)) => t.status,
                _ => None,
            };
            (tx.name.clone(), status)
        })
        .collect()
}

#[test]
fn a_panicking_task_on_a_current_thread_runtime_leaves_the_thread_clean() {
    let captured = capture(|| {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        rt.block_on(async {
            // The task panics inside the runtime's poll; the runtime survives it.
            let err = tokio::spawn(job(0)).await.unwrap_err();
            assert!(err.is_panic());
            assert_eq!(tokio::spawn(job(1)).await.unwrap(), 1);
            assert_eq!(job(2).await, 2);
        });
    });
    let name = Some("shapes::job".to_owned());
    assert_eq!(
        statuses(&captured),
        vec![
            (name.clone(), Some(SpanStatus::InternalError)),
            (name.clone(), Some(SpanStatus::Ok)),
            (name, Some(SpanStatus::Ok)),
        ]
    );
}

#[test]
fn a_panicking_task_on_a_multi_thread_runtime_fails_its_transaction() {
    use sentry::SentryFutureExt as _;
    let captured = capture(|| {
        // Spawned tasks run on the runtime's worker threads, outside `testing::capture`'s
        // thread: each carries the capture's hub, as tasks of an application carry its own.
        let hub = sentry::Hub::current();
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .build()
            .unwrap();
        rt.block_on(async {
            let spawn = |n| tokio::spawn(job(n).bind_hub(hub.clone()));
            assert!(spawn(0).await.unwrap_err().is_panic());
            for n in 1..=4 {
                assert_eq!(spawn(n).await.unwrap(), n);
            }
        });
        rt.shutdown_timeout(std::time::Duration::from_secs(1));
    });
    let seen = statuses(&captured);
    let failed = seen
        .iter()
        .filter(|(_, s)| *s == Some(SpanStatus::InternalError))
        .count();
    let ok = seen
        .iter()
        .filter(|(_, s)| *s == Some(SpanStatus::Ok))
        .count();
    assert_eq!((failed, ok), (1, 4), "{seen:?}");
}

// ---- more of tracing-attributes' shapes (instrument.rs, async_fn.rs, names.rs)

#[vigil::monitored]
async unsafe fn async_unsafe_fn_empty() {}

#[vigil::monitored]
async fn nested_outer() -> u32 {
    #[vigil::monitored]
    async fn nested_inner() -> u32 {
        yield_now().await;
        3
    }
    nested_inner().await + 1
}

#[vigil::monitored]
fn with_lifetimes<'a, 'b: 'a>(a: &'a str, b: &'b str) -> &'a str {
    if a.len() > b.len() {
        a
    } else {
        b
    }
}

#[vigil::monitored]
fn const_generic<const N: usize>(values: [u8; N]) -> usize {
    values.len()
}

#[vigil::monitored]
fn impl_trait_arg(items: impl IntoIterator<Item = u32>) -> u32 {
    items.into_iter().sum()
}

#[vigil::monitored]
fn where_clause<T>(t: T) -> String
where
    T: std::fmt::Debug,
{
    format!("{t:?}")
}

#[vigil::monitored]
fn never_returns_normally(fail: bool) -> u32 {
    if fail {
        panic!("boom");
    }
    5
}

#[vigil::monitored]
fn early_return(n: u32) -> Option<u32> {
    if n == 0 {
        return None;
    }
    let half = n.checked_div(2)?;
    Some(half)
}

struct Counter {
    n: u32,
}

impl Counter {
    #[vigil::monitored]
    fn bump(&mut self, by: u32) -> u32 {
        self.n += by;
        self.n
    }

    #[vigil::monitored]
    async fn bump_async(&mut self, by: u32) -> u32 {
        yield_now().await;
        self.n += by;
        self.n
    }

    #[vigil::monitored]
    fn consume(self) -> u32 {
        self.n
    }

    #[vigil::monitored]
    fn make(n: u32) -> Self {
        Self { n }
    }
}

#[test]
fn tracings_other_shapes_behave_as_before() {
    let (_, captured) = in_transaction(|| {
        futures_executor::block_on(unsafe { async_unsafe_fn_empty() });
        assert_eq!(futures_executor::block_on(nested_outer()), 4);
        assert_eq!(with_lifetimes("ab", "c"), "ab");
        assert_eq!(const_generic([1, 2, 3]), 3);
        assert_eq!(impl_trait_arg([1, 2, 3]), 6);
        assert_eq!(where_clause(7), "7");
        assert_eq!(early_return(0), None);
        assert_eq!(early_return(9), Some(4));
        let mut c = Counter::make(1);
        assert_eq!(c.bump(2), 3);
        assert_eq!(futures_executor::block_on(c.bump_async(3)), 6);
        assert_eq!(c.consume(), 6);
        let panicked = std::panic::catch_unwind(|| never_returns_normally(true));
        assert!(panicked.is_err());
        assert_eq!(never_returns_normally(false), 5);
    });
    let tx = captured.single_transaction();
    let mut names: Vec<_> = tx
        .spans
        .iter()
        .filter_map(|s| s.description.clone())
        .collect();
    names.sort();
    names.dedup();
    assert_eq!(
        names,
        [
            "shapes::async_unsafe_fn_empty",
            "shapes::bump",
            "shapes::bump_async",
            "shapes::const_generic",
            "shapes::consume",
            "shapes::early_return",
            "shapes::impl_trait_arg",
            "shapes::make",
            "shapes::nested_inner",
            "shapes::nested_outer",
            "shapes::never_returns_normally",
            "shapes::where_clause",
            "shapes::with_lifetimes",
        ]
    );
    let panicked = tx.spans.iter().find(|s| {
        s.description.as_deref() == Some("shapes::never_returns_normally")
            && s.status == Some(SpanStatus::InternalError)
    });
    assert!(panicked.is_some(), "the panicking call's span failed");
    // `nested_inner` ran inside `nested_outer`'s span.
    assert!(tree(tx).contains(&(
        "shapes::nested_inner".to_owned(),
        Some("shapes::nested_outer".to_owned())
    )));
}
