//! What macro expansions call. Not public API: names and signatures here change with the
//! macros, which are always released together with this crate.

use std::borrow::Cow;
use std::cell::Cell;
use std::fmt::{Debug, Display};
use std::future::Future;
use std::hash::{Hash, Hasher};
use std::mem::ManuallyDrop;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};

use sentry::protocol::{Breadcrumb, Event, SpanStatus, Value};
use sentry::Hub;

use crate::span::{self, ChildSpan, Entered, OpenSpan, Opened, SpanName};
use crate::state;

pub use crate::scrub::FILTERED;
pub use sentry::types::Uuid;
pub use sentry::Level;

/// Static metadata of one annotated function, built at compile time.
#[derive(Debug)]
pub struct Callsite {
    /// Span description / transaction name.
    pub name: &'static str,
    /// Sentry operation, such as `function` or `db.query`.
    pub op: &'static str,
    /// `module_path!()` of the function.
    pub module: &'static str,
    /// `file!()` of the function.
    pub file: &'static str,
    /// `line!()` of the function.
    pub line: u32,
    /// `#[transaction]` (true) or `#[monitored]` (false).
    pub transaction: bool,
    /// `tags(k = "v")` of the attribute.
    pub tags: &'static [(&'static str, &'static str)],
    /// `err = capture` (true) or `err = ignore` (false).
    pub capture_errors: bool,
    /// Level of captured error events.
    pub level: Level,
    /// `sample_rate` of a `#[transaction]`.
    pub sample_rate: Option<f32>,
}

/// The one check on the hot path.
#[inline(always)]
pub fn enabled() -> bool {
    state::enabled()
}

/// The id returned when nothing was captured.
#[inline]
pub fn nil_event_id() -> Uuid {
    Uuid::nil()
}

/// Calls `f`; the explicit `R` gives the closure the function's return type, so `?`,
/// `return` and coercions inside the body behave exactly as in the function itself.
#[inline(always)]
pub fn call<R, F: FnOnce() -> R>(f: F) -> R {
    f()
}

/// Returns `f`; the explicit `R` gives the async block the function's output type.
#[inline(always)]
pub fn future<R, F: Future<Output = R>>(f: F) -> F {
    f
}

/// A value of any type, for type inference only: expansions call it in dead code.
#[inline(always)]
pub fn pin_type<R>() -> R {
    unreachable!("vigil::__private::pin_type is only named in dead code")
}

/// Opens the span (or transaction) of `cs` under the current span, if anything records it.
fn open_span(cs: &'static Callsite) -> Option<OpenSpan> {
    // One look at the current span decides: none, not sampled, or a child to record.
    let decided = span::with_current(|c| match c {
        // Inside an unsampled transaction: nothing is recorded below it.
        Some(c) if !c.tx.sampled => Some(None),
        Some(c) => Some(OpenSpan::start_child(
            &c.tx,
            c.span_id,
            SpanName::Callsite(cs),
        )),
        None => None,
    });
    match decided {
        Some(child) => child,
        None if cs.transaction => open_transaction(cs),
        None => None,
    }
}

/// Starts the transaction of a `#[transaction]` function that runs outside any span.
fn open_transaction(cs: &'static Callsite) -> Option<OpenSpan> {
    OpenSpan::start_transaction(
        Cow::Borrowed(cs.name),
        Cow::Borrowed(cs.op),
        cs.sample_rate,
        None,
        None,
    )
}

fn record_on(span: &mut OpenSpan, key: &'static str, value: Option<Value>) {
    if let Some(value) = value {
        span.set_data(key, value);
    }
}

/// Counts failure captures, so a function can tell whether one happened during its call.
static FAILURES: AtomicU64 = AtomicU64::new(0);

thread_local! {
    /// The fingerprint of the last failure captured on this thread, and its sequence number.
    static LAST_FAILURE: Cell<(u64, u64)> = const { Cell::new((0, 0)) };
}

#[inline]
fn failure_seq() -> u64 {
    FAILURES.load(Ordering::Relaxed)
}

/// What identifies an error for deduplication: its chain of types and messages.
fn fingerprint(event: &Event<'static>) -> u64 {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    for exception in event.exception.values.iter() {
        exception.ty.hash(&mut hasher);
        exception.value.hash(&mut hasher);
    }
    hasher.finish() | 1
}

/// Captures the failure of a function entered at failure sequence `entered`, unless a call
/// nested inside it already captured the same error (an `Err` passed up with `?` through
/// several monitored functions is reported once, by the innermost).
fn capture_failure_once(cs: &'static Callsite, entered: u64, event: Event<'static>) {
    let fp = fingerprint(&event);
    let (last_fp, last_seq) = LAST_FAILURE.try_with(Cell::get).unwrap_or((0, 0));
    if last_fp == fp && last_seq > entered {
        return;
    }
    let seq = FAILURES.fetch_add(1, Ordering::Relaxed) + 1;
    let _ = LAST_FAILURE.try_with(|c| c.set((fp, seq)));
    capture_failure(cs, event);
}

/// Tags and level of `cs` on a failure event, then capture into the current hub.
fn capture_failure(cs: &'static Callsite, mut event: Event<'static>) -> Uuid {
    event.level = cs.level;
    event.tags.insert("function".into(), cs.name.into());
    event.tags.insert("op".into(), cs.op.into());
    for (k, v) in cs.tags {
        event.tags.insert((*k).into(), (*v).into());
    }
    event.culprit = Some(cs.name.into());
    #[cfg(feature = "async-graphql")]
    note_captured(&event);
    Hub::current().capture_event(event)
}

#[cfg(feature = "async-graphql")]
thread_local! {
    /// Where failure captures note their messages while a GraphQL operation runs (set
    /// around each poll of it), so the extension does not report them a second time.
    static CAPTURE_NOTES: std::cell::RefCell<Option<Arc<std::sync::Mutex<Vec<String>>>>> =
        const { std::cell::RefCell::new(None) };
}

#[cfg(feature = "async-graphql")]
fn note_captured(event: &Event<'static>) {
    let _ = CAPTURE_NOTES.try_with(|notes| {
        let Ok(notes) = notes.try_borrow() else {
            return;
        };
        if let Some(notes) = notes.as_ref() {
            let mut notes = notes
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            for value in event
                .exception
                .values
                .iter()
                .filter_map(|e| e.value.clone())
            {
                if notes.len() < 100 {
                    notes.push(value);
                }
            }
        }
    });
}

/// Runs `f` with failure captures noting their messages into `notes`; the previous notes
/// (if any) come back after, even when `f` panics.
#[cfg(feature = "async-graphql")]
pub(crate) fn noting_captures<R>(
    notes: &Arc<std::sync::Mutex<Vec<String>>>,
    f: impl FnOnce() -> R,
) -> R {
    type Notes = Option<Arc<std::sync::Mutex<Vec<String>>>>;
    struct Restore(Option<Notes>);
    impl Drop for Restore {
        fn drop(&mut self) {
            if let Some(previous) = self.0.take() {
                let _ = CAPTURE_NOTES.try_with(|n| {
                    if let Ok(mut n) = n.try_borrow_mut() {
                        *n = previous;
                    }
                });
            }
        }
    }
    let previous = CAPTURE_NOTES
        .try_with(|n| {
            n.try_borrow_mut()
                .ok()
                .map(|mut n| n.replace(Arc::clone(notes)))
        })
        .ok()
        .flatten();
    let _restore = Restore(previous);
    f()
}

/// The span status a verdict gives; a failure's event is captured on the way (once: see
/// `capture_failure_once`).
fn settle(cs: &'static Callsite, entered: u64, verdict: Verdict) -> SpanStatus {
    match verdict {
        Verdict::Ok => SpanStatus::Ok,
        Verdict::Failed(event) => {
            if let Some(event) = event {
                capture_failure_once(cs, entered, *event);
            }
            SpanStatus::InternalError
        }
    }
}

/// What a function's return value says.
pub enum Verdict {
    /// Success (or not a `Result`).
    Ok,
    /// An `Err`, with the event to capture when capturing was asked for and possible.
    Failed(Option<Box<Event<'static>>>),
}

/// The guard of a monitored sync function: the span is current while it lives.
pub struct SpanGuard {
    // `ManuallyDrop`: the compiler emits no drop glue call for the state, which it cannot
    // inline and would pay on every call, disabled ones included. `Off` and a `Bare` state own
    // nothing; `Drop` moves a recorded state out and drops it (see `close`).
    inner: ManuallyDrop<Guard>,
}

// Like `GuardState`: on the caller's stack, never moved; `Off` must stay a single tag.
#[allow(clippy::large_enum_variant)]
enum Guard {
    /// vigil is disabled: one tag, nothing else written.
    Off,
    On {
        cs: &'static Callsite,
        /// The failure sequence number at entry (see `capture_failure_once`).
        entered: u64,
        state: GuardState,
    },
}

// The guard lives on the caller's stack and is never moved; boxing the recorded state would
// cost an allocation per recorded span.
#[allow(clippy::large_enum_variant)]
enum GuardState {
    /// Nothing recorded (no transaction, or not sampled); errors are still captured.
    Bare,
    /// A child span of a sampled transaction (the common recorded case).
    Child {
        span: ChildSpan,
        status: Option<SpanStatus>,
    },
    /// A transaction of its own.
    Open {
        span: OpenSpan,
        entered: Entered,
        status: Option<SpanStatus>,
    },
}

/// Enters the span of a sync function.
#[inline]
pub fn enter(cs: &'static Callsite) -> SpanGuard {
    if !state::enabled() {
        return SpanGuard {
            inner: ManuallyDrop::new(Guard::Off),
        };
    }
    enter_enabled(cs)
}

#[inline(never)]
fn enter_enabled(cs: &'static Callsite) -> SpanGuard {
    let state = match span::current_sampled() {
        // Inside an unsampled transaction, or no transaction for a plain monitored function:
        // nothing to record, decided with one read.
        Some(false) => GuardState::Bare,
        None if !cs.transaction => GuardState::Bare,
        // No span yet: this `#[transaction]` starts one.
        None => match open_transaction(cs) {
            Some(span) => {
                let entered = span::enter(span.as_current());
                GuardState::Open {
                    span,
                    entered,
                    status: None,
                }
            }
            None => GuardState::Bare,
        },
        Some(true) => match span::enter_child(cs) {
            Opened::Child(span) => GuardState::Child { span, status: None },
            Opened::Unsampled | Opened::NoCurrent => GuardState::Bare,
        },
    };
    SpanGuard {
        inner: ManuallyDrop::new(Guard::On {
            cs,
            entered: failure_seq(),
            state,
        }),
    }
}

impl SpanGuard {
    fn state_mut(&mut self) -> Option<&mut GuardState> {
        match &mut *self.inner {
            Guard::On { state, .. } => Some(state),
            Guard::Off => None,
        }
    }

    /// Whether argument values would be kept (enabled and sampled).
    #[inline]
    pub fn is_recording(&self) -> bool {
        match &*self.inner {
            Guard::On { state, .. } => match state {
                GuardState::Open { span, .. } => span.is_recording(),
                GuardState::Child { .. } => true,
                GuardState::Bare => false,
            },
            Guard::Off => false,
        }
    }

    /// Whether the outcome matters (vigil enabled).
    #[inline]
    pub fn is_active(&self) -> bool {
        matches!(*self.inner, Guard::On { .. })
    }

    /// Whether errors are to be captured.
    #[inline]
    pub fn captures_errors(&self) -> bool {
        matches!(&*self.inner, Guard::On { cs, .. } if cs.capture_errors)
    }

    /// Records an argument.
    pub fn record(&mut self, key: &'static str, value: Option<Value>) {
        let Some(value) = value else { return };
        match self.state_mut() {
            Some(GuardState::Open { span, .. }) => span.set_data(key, value),
            Some(GuardState::Child { span, .. }) => span.set_data(key, value),
            Some(GuardState::Bare) | None => {}
        }
    }

    /// Applies the function's outcome: status, and the error event.
    pub fn finish(&mut self, verdict: Verdict) {
        let Guard::On { cs, entered, state } = &mut *self.inner else {
            return;
        };
        let status = settle(cs, *entered, verdict);
        if let GuardState::Open { status: s, .. } | GuardState::Child { status: s, .. } = state {
            *s = Some(status);
        }
    }
}

impl Drop for SpanGuard {
    #[inline]
    fn drop(&mut self) {
        if let Guard::On {
            state: GuardState::Open { .. } | GuardState::Child { .. },
            ..
        } = *self.inner
        {
            self.close();
        }
    }
}

impl SpanGuard {
    #[inline(never)]
    fn close(&mut self) {
        let Some(state) = self.state_mut() else {
            return;
        };
        let exit = |status: Option<SpanStatus>| {
            if std::thread::panicking() {
                SpanStatus::InternalError
            } else {
                status.unwrap_or(SpanStatus::Ok)
            }
        };
        match std::mem::replace(state, GuardState::Bare) {
            GuardState::Child { span, status } => span.finish(exit(status)),
            GuardState::Open {
                span,
                entered,
                status,
            } => {
                span::exit(entered);
                span.finish(exit(status));
            }
            GuardState::Bare => {}
        }
    }
}

/// The span of a monitored async function, before it is attached to its future.
pub struct AsyncSpan {
    cs: &'static Callsite,
    span: Option<OpenSpan>,
    hub: Option<Arc<Hub>>,
    active: bool,
    entered: u64,
}

/// Opens the span of an async function (at its first poll, under the caller's span).
#[inline]
pub fn enter_async(cs: &'static Callsite) -> AsyncSpan {
    if !state::enabled() {
        return AsyncSpan {
            cs,
            span: None,
            hub: None,
            active: false,
            entered: 0,
        };
    }
    enter_async_enabled(cs)
}

#[inline(never)]
fn enter_async_enabled(cs: &'static Callsite) -> AsyncSpan {
    // A root transaction gets a hub of its own, so that its user, tags and breadcrumbs do
    // not leak into concurrent tasks.
    let root = cs.transaction && span::current_sampled().is_none();
    let hub = root.then(|| Arc::new(Hub::new_from_top(Hub::current())));
    let span = match &hub {
        Some(hub) => Hub::run(Arc::clone(hub), || open_span(cs)),
        None => open_span(cs),
    };
    AsyncSpan {
        cs,
        span,
        hub,
        active: true,
        entered: failure_seq(),
    }
}

impl AsyncSpan {
    /// Whether vigil is off: the future then runs unwrapped.
    #[inline]
    pub fn is_off(&self) -> bool {
        !self.active
    }

    /// Whether argument values would be kept.
    #[inline]
    pub fn is_recording(&self) -> bool {
        self.span.as_ref().is_some_and(OpenSpan::is_recording)
    }

    /// Records an argument.
    pub fn record(&mut self, key: &'static str, value: Option<Value>) {
        if let Some(span) = &mut self.span {
            record_on(span, key, value);
        }
    }

    /// Attaches the span to `fut`; `classify` reads the output when it is ready.
    pub fn instrument<F, C>(self, fut: F, classify: C) -> Instrumented<F, C>
    where
        F: Future,
        C: FnOnce(&F::Output, bool) -> Verdict,
    {
        Instrumented {
            fut,
            span: self,
            classify: Some(classify),
        }
    }
}

pin_project_lite::pin_project! {
    /// A future with its span: current during each poll, finished at completion, or as
    /// `cancelled` when dropped before.
    pub struct Instrumented<F, C> {
        #[pin]
        fut: F,
        span: AsyncSpan,
        classify: Option<C>,
    }

    impl<F, C> PinnedDrop for Instrumented<F, C> {
        fn drop(this: Pin<&mut Self>) {
            let this = this.project();
            if this.classify.is_some() {
                if let Some(span) = this.span.span.take() {
                    span.finish(SpanStatus::Cancelled);
                }
            }
        }
    }
}

impl<F, C> Future for Instrumented<F, C>
where
    F: Future,
    C: FnOnce(&F::Output, bool) -> Verdict,
{
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        // Only what depends on `F` is here; the rest is shared by every instrumented future
        // (less code to compile per async function).
        let this = self.project();
        let polling = this.span.before_poll();
        let poll = this.fut.poll(cx);
        let verdict = match &poll {
            Poll::Ready(out) => Some(
                this.classify
                    .take()
                    .map_or(Verdict::Ok, |c| c(out, this.span.cs.capture_errors)),
            ),
            Poll::Pending => None,
        };
        this.span.after_poll(polling, verdict);
        poll
    }
}

/// What `AsyncSpan::before_poll` set up for one poll.
pub struct Polling {
    _hub: Option<sentry_core::HubSwitchGuard>,
    entered: Option<Entered>,
}

impl AsyncSpan {
    /// Binds the span's hub and makes the span current, for one poll.
    fn before_poll(&self) -> Polling {
        Polling {
            _hub: self
                .hub
                .as_ref()
                .map(|h| sentry_core::HubSwitchGuard::new(Arc::clone(h))),
            entered: self.span.as_ref().map(|s| span::enter(s.as_current())),
        }
    }

    /// Undoes `before_poll`; with a verdict (the future is done), captures a failure while the
    /// span is still current, then finishes the span.
    fn after_poll(&mut self, polling: Polling, verdict: Option<Verdict>) {
        let Polling { _hub, entered } = polling;
        let status = verdict.map(|verdict| settle(self.cs, self.entered, verdict));
        if let Some(entered) = entered {
            span::exit(entered);
        }
        if let Some(status) = status {
            if let Some(span) = self.span.take() {
                span.finish(status);
            }
        }
    }
}

/// A borrowed return value, for autoref-specialised classification.
pub struct Outcome<'a, T: ?Sized>(pub &'a T);

/// A borrowed argument, for autoref-specialised recording.
pub struct Arg<'a, T: ?Sized>(pub &'a T);

/// A borrowed error given to `capture_exception!`.
pub struct ErrRef<'a, T: ?Sized>(pub &'a T);

/// The traits behind `(&&&&&Outcome(&r)).__vigil_outcome(..)` and friends: the most
/// specific impl that applies wins.
pub mod dispatch {
    use super::*;
    use std::error::Error;
    use std::ops::Deref;

    /// `Result<T, E>` with `E: Error`: captured with its source chain.
    pub trait OutcomeError {
        /// Classifies the value.
        fn __vigil_outcome(&self, capture: bool) -> Verdict;
    }
    impl<T, E: Error> OutcomeError for &&&&Outcome<'_, Result<T, E>> {
        fn __vigil_outcome(&self, capture: bool) -> Verdict {
            match self.0 {
                Ok(_) => Verdict::Ok,
                Err(e) => Verdict::Failed(capture.then(|| Box::new(error_event(e)))),
            }
        }
    }

    /// `Result<T, E>` with `E: Deref<Target: Error>` (`Box<dyn Error>`, `anyhow::Error`).
    pub trait OutcomeDerefError {
        /// Classifies the value.
        fn __vigil_outcome(&self, capture: bool) -> Verdict;
    }
    impl<T, E> OutcomeDerefError for &&&Outcome<'_, Result<T, E>>
    where
        E: Deref,
        E::Target: Error,
    {
        fn __vigil_outcome(&self, capture: bool) -> Verdict {
            match self.0 {
                Ok(_) => Verdict::Ok,
                Err(e) => Verdict::Failed(capture.then(|| Box::new(error_event(&**e)))),
            }
        }
    }

    /// `Result<T, E>` with `E: Debug` only: captured by its `Debug` text.
    pub trait OutcomeDebug {
        /// Classifies the value.
        fn __vigil_outcome(&self, capture: bool) -> Verdict;
    }
    impl<T, E: Debug> OutcomeDebug for &&Outcome<'_, Result<T, E>> {
        fn __vigil_outcome(&self, capture: bool) -> Verdict {
            match self.0 {
                Ok(_) => Verdict::Ok,
                Err(e) => Verdict::Failed(capture.then(|| Box::new(debug_event(e)))),
            }
        }
    }

    /// Any other `Result`: the span fails, nothing can be said of the error.
    pub trait OutcomeAnyErr {
        /// Classifies the value.
        fn __vigil_outcome(&self, capture: bool) -> Verdict;
    }
    impl<T, E> OutcomeAnyErr for &Outcome<'_, Result<T, E>> {
        fn __vigil_outcome(&self, _capture: bool) -> Verdict {
            match self.0 {
                Ok(_) => Verdict::Ok,
                Err(_) => Verdict::Failed(None),
            }
        }
    }

    /// Anything else: success.
    pub trait OutcomeOther {
        /// Classifies the value.
        fn __vigil_outcome(&self, capture: bool) -> Verdict;
    }
    impl<T: ?Sized> OutcomeOther for Outcome<'_, T> {
        fn __vigil_outcome(&self, _capture: bool) -> Verdict {
            Verdict::Ok
        }
    }

    /// Arguments that are `Serialize`: kept as structured data.
    pub trait ArgSerialize {
        /// The recorded value.
        fn __vigil_value(&self) -> Option<Value>;
    }
    impl<T: serde::Serialize + ?Sized> ArgSerialize for &&Arg<'_, T> {
        fn __vigil_value(&self) -> Option<Value> {
            serde_json::to_value(self.0).ok()
        }
    }

    /// Arguments that are `Debug` only: kept as their `Debug` text.
    pub trait ArgDebug {
        /// The recorded value.
        fn __vigil_value(&self) -> Option<Value>;
    }
    impl<T: Debug + ?Sized> ArgDebug for &Arg<'_, T> {
        fn __vigil_value(&self) -> Option<Value> {
            Some(Value::String(format!("{:?}", self.0)))
        }
    }

    /// Other arguments: not recorded.
    pub trait ArgOther {
        /// The recorded value.
        fn __vigil_value(&self) -> Option<Value>;
    }
    impl<T: ?Sized> ArgOther for Arg<'_, T> {
        fn __vigil_value(&self) -> Option<Value> {
            None
        }
    }

    /// Errors given to `capture_exception!`: any `std::error::Error`...
    pub trait ErrError {
        /// The event for the error, with its source chain.
        fn __vigil_event(&self) -> Event<'static>;
    }
    impl<E: Error + ?Sized> ErrError for &&ErrRef<'_, E> {
        fn __vigil_event(&self) -> Event<'static> {
            error_event(self.0)
        }
    }

    /// ... or anything that dereferences to one (`Box<dyn Error>`, `anyhow::Error`).
    pub trait ErrDeref {
        /// The event for the error, with its source chain.
        fn __vigil_event(&self) -> Event<'static>;
    }
    impl<D> ErrDeref for &ErrRef<'_, D>
    where
        D: Deref + ?Sized,
        D::Target: Error,
    {
        fn __vigil_event(&self) -> Event<'static> {
            error_event(&**self.0)
        }
    }

    /// Anything else is a compile error that says what is accepted.
    pub trait ErrOther {
        /// Never callable: the bound fails with a readable message.
        fn __vigil_event(&self) -> Event<'static>
        where
            Self: CapturableError;
    }
    impl<T: ?Sized> ErrOther for ErrRef<'_, T> {
        fn __vigil_event(&self) -> Event<'static>
        where
            Self: CapturableError,
        {
            Event::default()
        }
    }

    /// Marker for the error message of `capture_exception!` on a non-error value.
    #[diagnostic::on_unimplemented(
        message = "`capture_exception!` needs an error, and this is not one",
        label = "not a `std::error::Error`",
        note = "`capture_exception!` takes a value (or a reference) whose type implements `std::error::Error`, or that dereferences to one, such as `Box<dyn Error>` or `anyhow::Error`",
        note = "to report a plain message, use `vigil::capture_message!` instead"
    )]
    pub trait CapturableError {}
}

/// The event for an error and its source chain, with what integrations know about it.
fn error_event<E: std::error::Error + ?Sized>(error: &E) -> Event<'static> {
    #[allow(unused_mut)]
    let mut event = sentry::event_from_error(error);
    #[cfg(feature = "sqlx")]
    crate::sqlx::enrich(&mut event, std::any::type_name::<E>(), error.source());
    event
}

fn debug_event<E: Debug + ?Sized>(e: &E) -> Event<'static> {
    let ty = std::any::type_name::<E>();
    let ty = ty.rsplit("::").next().unwrap_or(ty);
    Event {
        exception: vec![sentry::protocol::Exception {
            ty: ty.to_owned(),
            value: Some(format!("{e:?}")),
            ..Default::default()
        }]
        .into(),
        level: Level::Error,
        ..Default::default()
    }
}

/// A tag value when the value is a short scalar; `None` when it belongs in `extra`.
fn tag_value(value: &Value) -> Option<String> {
    let text = match value {
        Value::String(s) => s.clone(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        _ => return None,
    };
    (text.chars().count() <= 200 && !text.contains(['\n', '\r'])).then_some(text)
}

/// An event being assembled by `capture_exception!` or `capture_message!`.
pub struct EventBuilder {
    event: Event<'static>,
}

impl EventBuilder {
    /// From an event built from an error.
    pub fn from_event(event: Event<'static>) -> Self {
        EventBuilder { event }
    }

    /// A message event.
    pub fn message(message: impl Display, level: Level) -> Self {
        EventBuilder {
            event: Event {
                message: Some(message.to_string()),
                level,
                ..Default::default()
            },
        }
    }

    /// Sets the level.
    pub fn level(mut self, level: Level) -> Self {
        self.event.level = level;
        self
    }

    /// `key = value`: a tag for short scalars, `extra` for everything else.
    pub fn field<T: serde::Serialize + ?Sized>(mut self, key: &'static str, value: &T) -> Self {
        let value = span::to_value(value);
        match tag_value(&value) {
            Some(tag) => {
                self.event.tags.insert(key.into(), tag);
            }
            None => {
                self.event.extra.insert(key.into(), value);
            }
        }
        self
    }

    /// `key = value` where the key names a secret: the value is never looked at.
    pub fn filtered(mut self, key: &'static str) -> Self {
        self.event
            .extra
            .insert(key.into(), Value::String(FILTERED.into()));
        self
    }

    /// Captures the event into the current hub; its id, or nil when nothing is listening.
    pub fn capture(self) -> Uuid {
        Hub::current().capture_event(self.event)
    }
}

/// A breadcrumb being assembled by `add_breadcrumb!`.
pub struct BreadcrumbBuilder {
    crumb: Breadcrumb,
}

impl BreadcrumbBuilder {
    /// A breadcrumb with this message.
    pub fn new(message: impl Display) -> Self {
        BreadcrumbBuilder {
            crumb: Breadcrumb {
                message: Some(message.to_string()),
                ..Default::default()
            },
        }
    }

    /// Sets the category (`navigation`, `http`, `query`, ...).
    pub fn category(mut self, category: impl Display) -> Self {
        self.crumb.category = Some(category.to_string());
        self
    }

    /// Sets the type (`default`, `http`, `navigation`, `error`, ...).
    pub fn ty(mut self, ty: impl Display) -> Self {
        self.crumb.ty = ty.to_string();
        self
    }

    /// Sets the level.
    pub fn level(mut self, level: Level) -> Self {
        self.crumb.level = level;
        self
    }

    /// `key = value` into the breadcrumb's data.
    pub fn field<T: serde::Serialize + ?Sized>(mut self, key: &'static str, value: &T) -> Self {
        let value = span::to_value(value);
        self.crumb.data.insert(key.into(), value);
        self
    }

    /// `key = value` where the key names a secret.
    pub fn filtered(mut self, key: &'static str) -> Self {
        self.crumb
            .data
            .insert(key.into(), Value::String(FILTERED.into()));
        self
    }

    /// Adds the breadcrumb to the current scope.
    pub fn add(self) {
        Hub::current().add_breadcrumb(self.crumb);
    }
}

// ---- redaction by construction (`#[derive(Redact)]`, `#[vigil::sensitive]`) ----------------

/// serde, for the `Serialize` impls the macros generate.
pub use serde;

/// Shown instead of a secret: `[Filtered]` in `Debug`, `"[Filtered]"` when serialized.
pub struct Filtered;

impl Debug for Filtered {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(FILTERED)
    }
}

impl serde::Serialize for Filtered {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(FILTERED)
    }
}

/// Keeps the last characters written, counting the rest: the whole secret is never held.
struct LastChars {
    keep: usize,
    tail: std::collections::VecDeque<char>,
    total: usize,
}

impl std::fmt::Write for LastChars {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        for c in s.chars() {
            self.total += 1;
            self.tail.push_back(c);
            if self.tail.len() > self.keep {
                self.tail.pop_front();
            }
        }
        Ok(())
    }
}

/// `************1111`: the last `n` characters of a value's `Display`, the rest as `*`
/// (at most 32 of them). A value no longer than `n` is hidden whole.
pub fn partial_mask<T: Display + ?Sized>(value: &T, keep: usize) -> String {
    use std::fmt::Write as _;
    let mut last = LastChars {
        keep,
        tail: std::collections::VecDeque::with_capacity(keep + 1),
        total: 0,
    };
    let _ = write!(last, "{value}");
    if last.total <= keep {
        return "*".repeat(last.total.clamp(1, 32));
    }
    let mut out = "*".repeat((last.total - keep).min(32));
    out.extend(last.tail);
    out
}

/// A field shown by its last `n` characters (`#[sensitive(partial = n)]`).
pub struct Partial<'a, T: ?Sized>(pub &'a T, pub usize);

impl<T: Display + ?Sized> Debug for Partial<'_, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&partial_mask(self.0, self.1))
    }
}

impl<T: Display + ?Sized> serde::Serialize for Partial<'_, T> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&partial_mask(self.0, self.1))
    }
}

/// A field shown through the user's mask function (`#[sensitive(with = f)]`).
pub struct Masked(pub String);

impl Debug for Masked {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl serde::Serialize for Masked {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

/// Whether the client in scope allows personal data (`send_default_pii`); `false` when none.
pub fn pii_allowed() -> bool {
    Hub::current()
        .client()
        .is_some_and(|c| c.options().send_default_pii)
}

/// Personal data (`#[sensitive(pii)]`): itself when `send_default_pii` is on, else the mask.
pub struct Pii<'a, T: ?Sized, M>(pub &'a T, pub M);

impl<T: Debug + ?Sized, M: Debug> Debug for Pii<'_, T, M> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if pii_allowed() {
            self.0.fmt(f)
        } else {
            self.1.fmt(f)
        }
    }
}

impl<T: serde::Serialize + ?Sized, M: serde::Serialize> serde::Serialize for Pii<'_, T, M> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if pii_allowed() {
            self.0.serialize(s)
        } else {
            self.1.serialize(s)
        }
    }
}

/// Scrubs an event with the default rules (for benchmarks).
pub fn scrub_event(event: &mut Event<'static>) {
    crate::scrub::Scrubber::default().event(event);
}
