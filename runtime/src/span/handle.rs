//! The public span handles: [`Transaction`] from [`start_transaction`], and [`Span`] from
//! their `start_child`. Both are one [`Handle`] on an open span; a transaction is also the
//! current span of its thread while it lives.

use std::sync::{Mutex, PoisonError};

use sentry::protocol::SpanStatus;

use super::current::{self, Entered};
use super::open::{self, exit_status, Here, OpenSpan};
use super::record::SpanName;
use crate::state;
use crate::value::to_value;

/// An open span behind a lock (handles are `Sync`), or nothing when nothing is recorded.
struct Handle(Mutex<Option<OpenSpan>>);

impl Handle {
    fn new(span: Option<OpenSpan>) -> Self {
        Handle(Mutex::new(span))
    }

    fn with<R>(&self, f: impl FnOnce(Option<&mut OpenSpan>) -> R) -> R {
        f(self
            .0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .as_mut())
    }

    fn set_tag(&self, key: &str, value: &dyn ToString) {
        self.with(|s| s.map(|s| s.set_tag(key.to_owned(), value.to_string())));
    }

    /// `value` is called only when the span is recorded.
    fn set_data(&self, key: &str, value: &dyn Fn() -> sentry::protocol::Value) {
        self.with(|s| s.map(|s| s.set_data(key.to_owned(), value())));
    }

    fn set_status(&self, status: SpanStatus) {
        self.with(|s| s.map(|s| s.status = Some(status)));
    }

    fn start_child(&self, op: &str, description: &str) -> Span {
        let open = self.with(|parent| {
            parent.and_then(|p| {
                OpenSpan::start_child(&p.as_current(), SpanName::owned(op, description))
            })
        });
        Span(Handle::new(open))
    }

    /// Finishes the span, as `ok` or, when unwinding, `internal_error` (unless set).
    fn finish(&mut self) {
        let open = self
            .0
            .get_mut()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(open) = open {
            open.finish(exit_status());
        }
    }
}

/// A transaction started with [`start_transaction`]: the current span of its thread until
/// it is dropped (or [`finish`](Transaction::finish)ed), then sent with its child spans.
///
/// Drop it on the thread that started it: that is where it is the current span.
///
/// ```
/// # use vigil_runtime as vigil;
/// let captured = vigil::testing::capture(|| {
///     let tx = vigil::start_transaction("process_order", "task");
///     tx.set_tag("user_id", 7);
///     tx.set_data("order_id", 9);
///     {
///         let _child = tx.start_child("db.query", "SELECT * FROM orders");
///     }
///     tx.set_status(vigil::SpanStatus::Ok);
/// });
/// let tx = &captured.transactions[0];
/// assert_eq!(tx.name.as_deref(), Some("process_order"));
/// assert_eq!(tx.tags["user_id"], "7");
/// assert_eq!(tx.spans[0].op.as_deref(), Some("db.query"));
/// ```
#[must_use = "a transaction finishes when dropped: bind it with `let tx = ...`, not `let _ = ...`"]
pub struct Transaction {
    span: Handle,
    entered: Option<Entered>,
}

/// Starts a transaction named `name` with operation `op` (such as `task` or `http.server`)
/// and makes it the current span of this thread until it is dropped.
///
/// Inside another transaction it continues that trace. When vigil is disabled, or the
/// transaction is not sampled, it records nothing and costs next to nothing.
///
/// ```
/// # use vigil_runtime as vigil;
/// let tx = vigil::start_transaction("nightly_cleanup", "task");
/// // ... work ...
/// tx.finish();
/// ```
pub fn start_transaction(name: &str, op: &str) -> Transaction {
    if !state::enabled() {
        return Transaction::noop();
    }
    let Some(open) = open::open(SpanName::owned(op, name), Here::Transaction) else {
        return Transaction::noop();
    };
    let entered = current::enter(open.as_current());
    Transaction {
        span: Handle::new(Some(open)),
        entered: Some(entered),
    }
}

impl Transaction {
    fn noop() -> Self {
        Transaction {
            span: Handle::new(None),
            entered: None,
        }
    }

    /// Sets a tag (indexed and searchable in Sentry) on the transaction.
    ///
    /// ```
    /// # use vigil_runtime as vigil;
    /// let tx = vigil::start_transaction("checkout", "task");
    /// tx.set_tag("region", "eu");
    /// ```
    pub fn set_tag(&self, key: &str, value: impl ToString) {
        self.span.set_tag(key, &value);
    }

    /// Sets a data entry (any `Serialize` value) on the transaction.
    ///
    /// ```
    /// # use vigil_runtime as vigil;
    /// let tx = vigil::start_transaction("checkout", "task");
    /// tx.set_data("items", ["book", "pen"]);
    /// ```
    pub fn set_data(&self, key: &str, value: impl serde::Serialize) {
        self.span.set_data(key, &|| to_value(&value));
    }

    /// Sets the transaction's status (default: `ok`, or `internal_error` when unwinding).
    ///
    /// ```
    /// # use vigil_runtime as vigil;
    /// let tx = vigil::start_transaction("checkout", "task");
    /// tx.set_status(vigil::SpanStatus::DeadlineExceeded);
    /// ```
    pub fn set_status(&self, status: SpanStatus) {
        self.span.set_status(status);
    }

    /// Starts a child span of the transaction; it finishes when dropped.
    ///
    /// ```
    /// # use vigil_runtime as vigil;
    /// let tx = vigil::start_transaction("checkout", "task");
    /// let span = tx.start_child("http.client", "POST https://payments.example.com/charge");
    /// span.set_data("amount", 100);
    /// span.finish();
    /// ```
    pub fn start_child(&self, op: &str, description: &str) -> Span {
        self.span.start_child(op, description)
    }

    /// Whether this transaction is recorded (enabled and sampled).
    ///
    /// ```
    /// # use vigil_runtime as vigil;
    /// let tx = vigil::start_transaction("checkout", "task");
    /// assert!(!tx.is_sampled()); // vigil is not initialised in this example
    /// ```
    pub fn is_sampled(&self) -> bool {
        self.span.with(|s| s.is_some_and(|s| s.tx.sampled))
    }

    /// The trace id, as 32 hex digits, or `None` when nothing is recorded.
    ///
    /// ```
    /// # use vigil_runtime as vigil;
    /// let tx = vigil::start_transaction("checkout", "task");
    /// assert_eq!(tx.trace_id(), None); // vigil is not initialised in this example
    /// ```
    pub fn trace_id(&self) -> Option<String> {
        self.span.with(|s| s.map(|s| s.tx.trace_id.to_string()))
    }

    /// Finishes and sends the transaction now (dropping it does the same).
    ///
    /// ```
    /// # use vigil_runtime as vigil;
    /// vigil::start_transaction("checkout", "task").finish();
    /// ```
    pub fn finish(self) {
        drop(self);
    }
}

impl Drop for Transaction {
    fn drop(&mut self) {
        if let Some(entered) = self.entered.take() {
            current::exit(entered);
        }
        self.span.finish();
    }
}

impl std::fmt::Debug for Transaction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Transaction")
            .field("sampled", &self.is_sampled())
            .finish_non_exhaustive()
    }
}

/// A child span started with [`Transaction::start_child`] or [`Span::start_child`]; it
/// finishes when dropped.
///
/// ```
/// # use vigil_runtime as vigil;
/// let tx = vigil::start_transaction("import", "task");
/// let parse = tx.start_child("file.read", "orders.csv");
/// let row = parse.start_child("parse", "row 1");
/// row.set_status(vigil::SpanStatus::InvalidArgument);
/// ```
#[must_use = "a span finishes when dropped: bind it with `let span = ...`, not `let _ = ...`"]
pub struct Span(Handle);

impl Span {
    /// Sets a tag on the span.
    ///
    /// ```
    /// # use vigil_runtime as vigil;
    /// let tx = vigil::start_transaction("import", "task");
    /// tx.start_child("cache.get", "user:7").set_tag("cache.hit", true);
    /// ```
    pub fn set_tag(&self, key: &str, value: impl ToString) {
        self.0.set_tag(key, &value);
    }

    /// Sets a data entry (any `Serialize` value) on the span.
    ///
    /// ```
    /// # use vigil_runtime as vigil;
    /// let tx = vigil::start_transaction("import", "task");
    /// tx.start_child("db.query", "INSERT ...").set_data("rows", 12);
    /// ```
    pub fn set_data(&self, key: &str, value: impl serde::Serialize) {
        self.0.set_data(key, &|| to_value(&value));
    }

    /// Sets the span's status (default: `ok`, or `internal_error` when unwinding).
    ///
    /// ```
    /// # use vigil_runtime as vigil;
    /// let tx = vigil::start_transaction("import", "task");
    /// tx.start_child("http.client", "GET /").set_status(vigil::SpanStatus::Unavailable);
    /// ```
    pub fn set_status(&self, status: SpanStatus) {
        self.0.set_status(status);
    }

    /// Starts a child of this span.
    ///
    /// ```
    /// # use vigil_runtime as vigil;
    /// let tx = vigil::start_transaction("import", "task");
    /// let outer = tx.start_child("file.read", "orders.csv");
    /// let _inner = outer.start_child("parse", "header");
    /// ```
    pub fn start_child(&self, op: &str, description: &str) -> Span {
        self.0.start_child(op, description)
    }

    /// Finishes the span now (dropping it does the same).
    ///
    /// ```
    /// # use vigil_runtime as vigil;
    /// let tx = vigil::start_transaction("import", "task");
    /// tx.start_child("file.read", "orders.csv").finish();
    /// ```
    pub fn finish(self) {
        drop(self);
    }
}

impl Drop for Span {
    fn drop(&mut self) {
        self.0.finish();
    }
}

impl std::fmt::Debug for Span {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Span").finish_non_exhaustive()
    }
}
