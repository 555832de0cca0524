//! SQL query spans and database errors for `sqlx` (feature `sqlx`).
//!
//! sqlx reports every query it runs as a `tracing` event (target `sqlx::query`) with the SQL
//! text (placeholders, never bound values), the rows affected and returned, and the time it
//! took. vigil turns each into a finished `db.sql.query` child span of the span the query
//! ran under, and a `query` breadcrumb.
//!
//! How the events reach vigil:
//! - **Nothing to wire:** when a transaction starts and the process has no `tracing`
//!   subscriber, vigil installs a minimal one that listens to sqlx's query events only.
//! - **Your own subscriber:** wrap it with [`tracing_subscriber()`] before installing it. The
//!   wrapper hears sqlx's query events whatever your filters say, and passes everything on.
//! - In both, vigil's current span is lent to whoever asks for `tracing::Span::current()`:
//!   sqlx takes it with each command for its SQLite worker thread and enters it there, which
//!   makes vigil's span current on the worker. (With [`tracing_layer`](crate::tracing_layer)
//!   alone in your subscriber, PostgreSQL and MySQL queries, which run on the caller's task,
//!   are recorded; SQLite's are not.)
//!
//! A captured error whose chain holds a `sqlx::Error` gets the database's error code, the
//! constraint and table when the database names them, and the SQL of the failing query (the
//! last query recorded under the span that captures it, whose span is marked failed).

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::error::Error;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use sentry::protocol::{Breadcrumb, Context, Event, Map, SpanStatus, Value};
use tracing_core::field::{Field, Visit};
use tracing_core::span::{Attributes, Current as CurrentSpan, Id, Record};
use tracing_core::subscriber::NoSubscriber;
use tracing_core::{callsite, Event as TracingEvent, Interest, Kind, Level, Metadata, Subscriber};

use crate::span::{self, Current, SpanName, Text, TxShared};
use std::sync::Arc;

/// The operation of query spans.
pub(crate) const OP: &str = "db.sql.query";
/// The target of sqlx's query events.
const TARGET: &str = "sqlx::query";

/// Is this sqlx's per-query event (or the `enabled!` check sqlx makes before it)?
pub(crate) fn is_query_event(meta: &Metadata<'_>) -> bool {
    !meta.is_span() && meta.target() == TARGET
}

/// The fields of a query event.
#[derive(Default)]
struct Query {
    summary: String,
    statement: String,
    rows_affected: Option<u64>,
    rows_returned: Option<u64>,
    elapsed_secs: Option<f64>,
}

impl Visit for Query {
    fn record_str(&mut self, field: &Field, value: &str) {
        match field.name() {
            "summary" => value.clone_into(&mut self.summary),
            "db.statement" => value.clone_into(&mut self.statement),
            _ => {}
        }
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        match field.name() {
            "rows_affected" => self.rows_affected = Some(value),
            "rows_returned" => self.rows_returned = Some(value),
            _ => {}
        }
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.record_u64(field, u64::try_from(value).unwrap_or(0));
    }

    fn record_f64(&mut self, field: &Field, value: f64) {
        if field.name() == "elapsed_secs" {
            self.elapsed_secs = Some(value);
        }
    }

    fn record_debug(&mut self, _field: &Field, _value: &dyn std::fmt::Debug) {}
}

impl Query {
    /// The whole SQL text: sqlx logs a summary, plus the full text when it differs.
    fn sql(&self) -> &str {
        let statement = self.statement.trim();
        if statement.is_empty() {
            self.summary.trim()
        } else {
            statement
        }
    }
}

thread_local! {
    /// Is this thread one of sqlx's SQLite workers? (Checked once per thread.)
    static SQLITE_WORKER: Cell<Option<bool>> = const { Cell::new(None) };
}

fn on_sqlite_worker() -> bool {
    SQLITE_WORKER
        .try_with(|c| match c.get() {
            Some(known) => known,
            None => {
                let known = std::thread::current()
                    .name()
                    .is_some_and(|n| n.starts_with("sqlx-sqlite-worker"));
                c.set(Some(known));
                known
            }
        })
        .unwrap_or(false)
}

/// Placeholder styles seen so far on the caller's side: PostgreSQL numbers them (`$1`),
/// MySQL marks them with `?`.
static SEEN_NUMBERED: AtomicBool = AtomicBool::new(false);
static SEEN_QUESTION: AtomicBool = AtomicBool::new(false);

/// The database a query ran on. sqlx's event does not say: SQLite queries run on its worker
/// threads; PostgreSQL numbers its placeholders (`$1`), MySQL marks them with `?`. A query
/// without any takes the one style the process has shown so far, or `other_sql`.
fn db_system(sql: &str) -> &'static str {
    if on_sqlite_worker() {
        return "sqlite";
    }
    let style = placeholders(sql);
    match style {
        Some(Placeholders::Numbered) => SEEN_NUMBERED.store(true, Ordering::Relaxed),
        Some(Placeholders::Question) => SEEN_QUESTION.store(true, Ordering::Relaxed),
        None => {}
    }
    system_for(
        style,
        SEEN_NUMBERED.load(Ordering::Relaxed),
        SEEN_QUESTION.load(Ordering::Relaxed),
    )
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Placeholders {
    Numbered,
    Question,
}

fn placeholders(sql: &str) -> Option<Placeholders> {
    if has_numbered_placeholder(sql) {
        Some(Placeholders::Numbered)
    } else if sql.contains('?') {
        Some(Placeholders::Question)
    } else {
        None
    }
}

fn system_for(
    style: Option<Placeholders>,
    seen_numbered: bool,
    seen_question: bool,
) -> &'static str {
    match (style, seen_numbered, seen_question) {
        (Some(Placeholders::Numbered), ..) | (None, true, false) => "postgresql",
        (Some(Placeholders::Question), ..) | (None, false, true) => "mysql",
        (None, ..) => "other_sql",
    }
}

fn has_numbered_placeholder(sql: &str) -> bool {
    sql.as_bytes()
        .windows(2)
        .any(|w| w[0] == b'$' && w[1].is_ascii_digit())
}

/// The SQL verb (`SELECT`, `INSERT`, ...), for the `db.operation` data.
fn operation(sql: &str) -> Option<String> {
    let word = sql
        .split(|c: char| !c.is_ascii_alphabetic())
        .find(|w| !w.is_empty())?;
    Some(word.to_ascii_uppercase())
}

/// Handles one of sqlx's query events: a `db.sql.query` span under the current span, and a
/// `query` breadcrumb.
pub(crate) fn on_query_event(event: &TracingEvent<'_>) {
    if !crate::state::enabled() {
        return;
    }
    let mut query = Query::default();
    event.record(&mut query);
    let sql = query.sql();
    if sql.is_empty() {
        return;
    }
    let system = db_system(sql);
    let elapsed = query
        .elapsed_secs
        .and_then(|s| Duration::try_from_secs_f64(s).ok())
        .unwrap_or_default();
    let mut data: Vec<(Text, Value)> = vec![("db.system".into(), Value::from(system))];
    let operation = operation(sql);
    // A read affects nothing; SQLite reports the last write's count there.
    let reads = matches!(operation.as_deref(), Some("SELECT"));
    if let Some(op) = operation {
        data.push(("db.operation".into(), Value::from(op)));
    }
    if let Some(n) = query.rows_affected.filter(|_| !reads) {
        data.push(("db.rows_affected".into(), Value::from(n)));
    }
    if let Some(n) = query.rows_returned {
        data.push(("db.rows_returned".into(), Value::from(n)));
    }
    let mut crumb = Breadcrumb {
        ty: "query".into(),
        category: Some("query".into()),
        message: Some(sql.to_owned()),
        ..Default::default()
    };
    crumb.data.insert("db.system".into(), Value::from(system));
    crumb.data.insert(
        "duration_ms".into(),
        Value::from(elapsed.as_secs_f64() * 1e3),
    );
    let hub = span::with_current(|current| {
        current.map(|current| {
            current.record_finished_child(SpanName::owned(OP, sql), elapsed, data);
            Arc::clone(&current.tx.hub)
        })
    });
    match hub {
        Some(hub) => hub.add_breadcrumb(crumb),
        // The worker's own hub is not the caller's: without a span there is no way to it.
        None if on_sqlite_worker() => {}
        None => sentry::Hub::current().add_breadcrumb(crumb),
    }
}

/// Adds what sqlx knows of a captured error to its event: `db.error_code`, the `db` context
/// (system, code, constraint, table, SQL), and marks the failing query's span failed.
///
/// `type_name` is the captured error's type and `sources` its chain below it. A `sqlx::Error`
/// inside the chain is read through its API. When the captured error is a `sqlx::Error`
/// itself, it cannot be looked at as `dyn Error + 'static` (the capture path accepts errors
/// that borrow), so the database error below it (its source) is read from its `Debug` text,
/// whose fields sqlx's drivers print by name.
pub(crate) fn enrich(
    event: &mut Event<'static>,
    type_name: &str,
    sources: Option<&(dyn Error + 'static)>,
) {
    let mut next = sources;
    let chain: Vec<&(dyn Error + 'static)> = std::iter::from_fn(|| {
        let current = next?;
        next = current.source();
        Some(current)
    })
    .take(32)
    .collect();
    let mut db = Map::new();
    let mut is_sqlx = type_name.starts_with("sqlx_core::");
    if let Some(error) = chain
        .iter()
        .find_map(|e| e.downcast_ref::<sqlx_core::Error>())
    {
        is_sqlx = true;
        if let Some(db_error) = error.as_database_error() {
            if let Some(code) = db_error.code() {
                db.insert("error_code".into(), Value::from(code.into_owned()));
            }
            if let Some(constraint) = db_error.constraint() {
                db.insert("constraint".into(), Value::from(constraint));
            }
            if let Some(table) = db_error.table() {
                db.insert("table".into(), Value::from(table));
            }
        }
    } else if let Some(fields) = chain
        .iter()
        .find_map(|e| DriverError::parse(&format!("{e:?}")))
    {
        is_sqlx = true;
        db.extend(fields.0);
    }
    if !is_sqlx {
        return;
    }
    if let Some(Value::String(code)) = db.get("error_code") {
        event.tags.insert("db.error_code".into(), code.clone());
    }
    if let Some((sql, system)) = failing_query() {
        if let Some(system) = system {
            db.insert("system".into(), system);
        }
        db.insert("statement".into(), Value::from(sql));
    }
    if !db.is_empty() {
        event.contexts.insert("db".into(), Context::Other(db));
    }
}

/// The fields of a sqlx driver's database error, read from its `Debug` text:
/// `SqliteError { code: 2067, message: ".." }`, `PgDatabaseError { severity: Error,
/// code: "23505", .., table: Some("orders"), .., constraint: Some("orders_item_key"), .. }`.
struct DriverError(Map<String, Value>);

impl DriverError {
    fn parse(debug: &str) -> Option<DriverError> {
        let body = [
            "SqliteError { ",
            "PgDatabaseError { ",
            "MySqlDatabaseError { ",
        ]
        .iter()
        .find_map(|prefix| debug.strip_prefix(prefix))?;
        let mut fields = Map::new();
        for (name, key) in [
            ("code", "error_code"),
            ("constraint", "constraint"),
            ("table", "table"),
        ] {
            if let Some(value) = debug_field(body, name) {
                fields.insert(key.into(), Value::from(value));
            }
        }
        Some(DriverError(fields))
    }
}

/// The value of field `name` in a derived `Debug` struct body (`a: 1, b: "x", c: Some("y")`):
/// the number or text; `None` when absent, `None`, or not a scalar. Fields are walked in
/// order and quoted text is skipped whole, so text inside a message is never taken for a
/// field.
fn debug_field(body: &str, name: &str) -> Option<String> {
    let mut chars = body.chars().peekable();
    loop {
        // A field name, up to ": ".
        let mut field = String::new();
        loop {
            match chars.next()? {
                ':' => break,
                c => field.push(c),
            }
        }
        if chars.next() != Some(' ') {
            return None;
        }
        // Its value, up to the ", " that ends it at depth 0.
        let mut value = String::new();
        let mut depth = 0usize;
        let mut text: Option<String> = None;
        while let Some(c) = chars.next() {
            match c {
                '"' => {
                    let mut t = String::new();
                    loop {
                        match chars.next()? {
                            '"' => break,
                            '\\' => t.push(chars.next()?),
                            c => t.push(c),
                        }
                    }
                    text.get_or_insert(t);
                }
                '(' | '{' | '[' => {
                    depth += 1;
                    value.push(c);
                }
                ')' | '}' | ']' if depth > 0 => {
                    depth -= 1;
                    value.push(c);
                }
                ',' if depth == 0 => {
                    chars.next_if_eq(&' ');
                    break;
                }
                c => value.push(c),
            }
        }
        if field.trim() == name {
            let value = value.trim();
            return match (value, text) {
                ("Some()" | "", Some(t)) => Some(t),
                (v, None)
                    if !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit() || b == b'-') =>
                {
                    Some(v.to_owned())
                }
                _ => None,
            };
        }
    }
}

/// The SQL of the query that failed: the last one recorded under the current span.
fn failing_query() -> Option<(String, Option<Value>)> {
    let current = span::with_current(|c| c.cloned())?;
    // A SQLite worker reports the query just after it hands the error over: wait for it
    // (briefly, and only while a worker is inside a command of this transaction).
    let deadline = Instant::now() + Duration::from_millis(5);
    while current.tx.sql_in_flight.load(Ordering::Acquire) > 0 && Instant::now() < deadline {
        std::thread::yield_now();
    }
    current.fail_last_child(OP, "db.system", SpanStatus::InternalError)
}

// ---------------------------------------------------------------------------------------
// The subscriber: vigil's own when the process has none, or a wrapper around the app's.

static INSTALL_TRIED: AtomicBool = AtomicBool::new(false);

/// Installs `VigilSubscriber<NoSubscriber>` as the global `tracing` subscriber, once, unless
/// one is set or [`Config::tracing_subscriber`](crate::Config::tracing_subscriber) said not
/// to. Called when a transaction starts: by then an application that sets up `tracing` has
/// done so.
pub(crate) fn install_subscriber_once() {
    if INSTALL_TRIED.load(Ordering::Relaxed) || INSTALL_TRIED.swap(true, Ordering::Relaxed) {
        return;
    }
    if !crate::state::auto_subscriber() || tracing_core::dispatcher::has_been_set() {
        return;
    }
    let _ = tracing_core::dispatcher::set_global_default(tracing_core::Dispatch::new(
        tracing_subscriber(NoSubscriber::default()),
    ));
}

/// Wraps your `tracing` subscriber so sqlx's queries become spans wherever they run: install
/// the result instead of your subscriber (feature `sqlx`).
///
/// Without it, vigil installs a minimal subscriber of its own when your application has
/// none (see [`Config::tracing_subscriber`](crate::Config::tracing_subscriber)). With a
/// subscriber of your own, [`tracing_layer`](crate::tracing_layer) in it records the queries
/// of PostgreSQL and MySQL, which run on the caller's task; SQLite runs its queries on sqlx's
/// worker thread, and only this wrapper carries vigil's current span over there. It also
/// hears sqlx's query events whatever your level filters say (at sqlx's levels: `DEBUG`,
/// `WARN` for slow ones, or anything up to `DEBUG` you set with `log_statements`), and
/// passes them on to your subscriber only if it wants them. Everything else goes straight
/// to your subscriber.
///
/// ```
/// # use vigil_runtime as vigil;
/// use tracing_subscriber::layer::SubscriberExt;
/// use tracing_subscriber::util::SubscriberInitExt;
///
/// let mine = tracing_subscriber::registry().with(vigil::tracing_layer()); // + your layers
/// vigil::tracing_subscriber(mine).set_default(); // or `.init()` in `main`
/// ```
pub fn tracing_subscriber<S: Subscriber>(inner: S) -> VigilSubscriber<S> {
    VigilSubscriber {
        inner,
        lent: Mutex::new(HashMap::new()),
    }
}

/// Your `tracing` subscriber, with sqlx's queries recorded by vigil: see [`tracing_subscriber()`].
pub struct VigilSubscriber<S> {
    inner: S,
    /// vigil spans lent out as `tracing` spans, by id.
    lent: Mutex<HashMap<u64, Lent>>,
}

impl<S> std::fmt::Debug for VigilSubscriber<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VigilSubscriber").finish_non_exhaustive()
    }
}

/// A vigil span lent as a `tracing` span: the wrapped subscriber's current span at the time
/// (which entering it enters too), and how many handles to it are alive.
struct Lent {
    current: Current,
    inner: Option<Id>,
    refs: usize,
}

/// The ids of lent spans: the top bit set, so they never meet a `tracing_subscriber`
/// registry's (small slab indices).
const LENT: u64 = 1 << 63;
static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// A lent span entered on this thread: its id, what `span::enter` returned, the wrapped
/// subscriber's span entered with it, and the transaction whose in-flight count it holds (on
/// a SQLite worker).
type EnteredLent = (u64, span::Entered, Option<Id>, Option<Arc<TxShared>>);

/// What `current_span` offered on this thread, until `clone_span` takes it.
type Offered = (u64, Current, Option<Id>);

thread_local! {
    static OFFERED: RefCell<Option<Offered>> = const { RefCell::new(None) };
    /// Lent spans entered on this thread, innermost last.
    static ENTERED: RefCell<Vec<EnteredLent>> = const { RefCell::new(Vec::new()) };
    /// Set while a query event vigil handled is passed on to the wrapped subscriber, so a
    /// `tracing_layer()` in there does not record it again.
    static HANDLED: Cell<bool> = const { Cell::new(false) };
}

/// Did a [`VigilSubscriber`] around this layer handle the event already?
pub(crate) fn handled_outside() -> bool {
    HANDLED.try_with(Cell::get).unwrap_or(false)
}

struct LentCallsite;
static LENT_CALLSITE: LentCallsite = LentCallsite;
static LENT_META: Metadata<'static> = Metadata::new(
    "vigil span",
    "vigil",
    Level::INFO,
    None,
    None,
    None,
    tracing_core::field::FieldSet::new(&[], callsite::Identifier(&LENT_CALLSITE)),
    Kind::SPAN,
);

impl callsite::Callsite for LentCallsite {
    fn set_interest(&self, _: Interest) {}
    fn metadata(&self) -> &Metadata<'_> {
        &LENT_META
    }
}

impl<S> VigilSubscriber<S> {
    fn lent(&self) -> std::sync::MutexGuard<'_, HashMap<u64, Lent>> {
        self.lent.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The wrapped subscriber's id behind a lent id (`None` if it had none); `Err` when `id`
    /// is not a lent one.
    fn inner_id(&self, id: &Id) -> Result<Option<Id>, ()> {
        if id.into_u64() & LENT == 0 {
            return Err(());
        }
        Ok(self
            .lent()
            .get(&id.into_u64())
            .and_then(|l| l.inner.clone()))
    }
}

impl<S: Subscriber> Subscriber for VigilSubscriber<S> {
    fn on_register_dispatch(&self, dispatch: &tracing_core::Dispatch) {
        self.inner.on_register_dispatch(dispatch);
    }

    fn register_callsite(&self, meta: &'static Metadata<'static>) -> Interest {
        let inner = self.inner.register_callsite(meta);
        if is_query_event(meta) {
            Interest::always()
        } else {
            inner
        }
    }

    fn enabled(&self, meta: &Metadata<'_>) -> bool {
        is_query_event(meta) || self.inner.enabled(meta)
    }

    fn max_level_hint(&self) -> Option<tracing_core::LevelFilter> {
        // sqlx logs queries at DEBUG (slow ones at WARN) unless told otherwise: at least
        // DEBUG, so a wrapped subscriber's INFO does not turn them off before they reach
        // vigil, while TRACE callsites stay off when the wrapped subscriber wants none.
        self.inner
            .max_level_hint()
            .map(|level| level.max(tracing_core::LevelFilter::DEBUG))
    }

    fn event_enabled(&self, event: &TracingEvent<'_>) -> bool {
        is_query_event(event.metadata()) || self.inner.event_enabled(event)
    }

    fn new_span(&self, attrs: &Attributes<'_>) -> Id {
        self.inner.new_span(attrs)
    }

    fn record(&self, id: &Id, values: &Record<'_>) {
        match self.inner_id(id) {
            Err(()) => self.inner.record(id, values),
            Ok(Some(inner)) => self.inner.record(&inner, values),
            Ok(None) => {}
        }
    }

    fn record_follows_from(&self, id: &Id, follows: &Id) {
        // A lent span stands for the wrapped subscriber's span it was lent with, if any.
        let map = |id: &Id| match self.inner_id(id) {
            Err(()) => Some(id.clone()),
            Ok(inner) => inner,
        };
        if let (Some(id), Some(follows)) = (map(id), map(follows)) {
            self.inner.record_follows_from(&id, &follows);
        }
    }

    fn event(&self, event: &TracingEvent<'_>) {
        let meta = event.metadata();
        if !is_query_event(meta) {
            self.inner.event(event);
            return;
        }
        on_query_event(event);
        if self.inner.enabled(meta) && self.inner.event_enabled(event) {
            /// Clears `HANDLED` again, even if the wrapped subscriber panics.
            struct Handled;
            impl Drop for Handled {
                fn drop(&mut self) {
                    let _ = HANDLED.try_with(|h| h.set(false));
                }
            }
            let _ = HANDLED.try_with(|h| h.set(true));
            let _handled = Handled;
            self.inner.event(event);
        }
    }

    fn enter(&self, id: &Id) {
        if id.into_u64() & LENT == 0 {
            self.inner.enter(id);
            return;
        }
        let Some((current, inner)) = self
            .lent()
            .get(&id.into_u64())
            .map(|l| (l.current.clone(), l.inner.clone()))
        else {
            return;
        };
        if let Some(inner) = &inner {
            self.inner.enter(inner);
        }
        // Counted while a SQLite worker runs a command for the transaction (see `enrich`).
        let worker = on_sqlite_worker().then(|| Arc::clone(&current.tx));
        if let Some(tx) = &worker {
            tx.sql_in_flight.fetch_add(1, Ordering::AcqRel);
        }
        let entered = span::enter(current);
        let pushed = ENTERED.try_with(|e| match e.try_borrow_mut() {
            Ok(mut e) => {
                e.push((id.into_u64(), entered, inner, worker));
                None
            }
            Err(_) => Some(worker),
        });
        if let Ok(Some(Some(tx))) = pushed {
            tx.sql_in_flight.fetch_sub(1, Ordering::AcqRel);
        }
    }

    fn exit(&self, id: &Id) {
        if id.into_u64() & LENT == 0 {
            self.inner.exit(id);
            return;
        }
        let popped = ENTERED.try_with(|e| {
            let mut e = e.try_borrow_mut().ok()?;
            let at = e.iter().rposition(|(i, ..)| *i == id.into_u64())?;
            Some(e.remove(at))
        });
        if let Ok(Some((_, entered, inner, worker))) = popped {
            span::exit(entered);
            if let Some(tx) = worker {
                tx.sql_in_flight.fetch_sub(1, Ordering::AcqRel);
            }
            if let Some(inner) = inner {
                self.inner.exit(&inner);
            }
        }
    }

    fn current_span(&self) -> CurrentSpan {
        let inner = self.inner.current_span();
        let Some(current) = span::with_current(|c| c.cloned()) else {
            return inner;
        };
        let (inner_id, meta) = match inner.into_inner() {
            Some((id, meta)) => (Some(id), meta),
            None => (None, &LENT_META),
        };
        let id = LENT | NEXT_ID.fetch_add(1, Ordering::Relaxed);
        let _ = OFFERED.try_with(|o| {
            if let Ok(mut o) = o.try_borrow_mut() {
                *o = Some((id, current, inner_id));
            }
        });
        CurrentSpan::new(Id::from_u64(id), meta)
    }

    fn clone_span(&self, id: &Id) -> Id {
        let key = id.into_u64();
        if key & LENT == 0 {
            return self.inner.clone_span(id);
        }
        let mut lent = self.lent();
        if let Some(l) = lent.get_mut(&key) {
            l.refs += 1;
            return id.clone();
        }
        let offered = OFFERED
            .try_with(|o| {
                let mut o = o.try_borrow_mut().ok()?;
                match o.take() {
                    Some((i, current, inner)) if i == key => Some((current, inner)),
                    other => {
                        *o = other;
                        None
                    }
                }
            })
            .ok()
            .flatten();
        if let Some((current, inner)) = offered {
            // The lent span holds one reference to the wrapped subscriber's span.
            let inner = inner.map(|i| self.inner.clone_span(&i));
            lent.insert(
                key,
                Lent {
                    current,
                    inner,
                    refs: 1,
                },
            );
        }
        id.clone()
    }

    fn try_close(&self, id: Id) -> bool {
        let key = id.into_u64();
        if key & LENT == 0 {
            return self.inner.try_close(id);
        }
        let closed = {
            let mut lent = self.lent();
            match lent.get_mut(&key) {
                Some(l) if l.refs > 1 => {
                    l.refs -= 1;
                    return false;
                }
                Some(_) => lent.remove(&key),
                None => return false,
            }
        };
        if let Some(inner) = closed.and_then(|l| l.inner) {
            self.inner.try_close(inner);
        }
        true
    }

    // Lets `dispatch.downcast_ref::<T>()` reach the wrapped subscriber and its layers (as
    // `tracing_subscriber`'s own `Layered` does): tracing-error, tracing-opentelemetry and
    // `reload` find their parts that way.
    #[allow(unsafe_code)]
    unsafe fn downcast_raw(&self, id: std::any::TypeId) -> Option<*const ()> {
        if id == std::any::TypeId::of::<Self>() {
            return Some(std::ptr::from_ref(self).cast());
        }
        // SAFETY: the wrapped subscriber upholds `downcast_raw`'s contract for its own
        // answer (a valid pointer to a value of the type `id` names); it is passed on as is.
        unsafe { self.inner.downcast_raw(id) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operation_is_the_first_word() {
        assert_eq!(operation("select 1").as_deref(), Some("SELECT"));
        assert_eq!(
            operation("  INSERT INTO t VALUES (?)").as_deref(),
            Some("INSERT")
        );
        assert_eq!(operation("  ").as_deref(), None);
    }

    #[test]
    fn systems_by_placeholder_style() {
        use Placeholders::*;
        assert_eq!(
            placeholders("SELECT * FROM t WHERE id = $1"),
            Some(Numbered)
        );
        assert_eq!(placeholders("SELECT * FROM t WHERE id = ?"), Some(Question));
        assert_eq!(placeholders("SELECT '?' || $1"), Some(Numbered));
        assert_eq!(placeholders("SELECT 1"), None);
        assert_eq!(system_for(Some(Numbered), false, true), "postgresql");
        assert_eq!(system_for(Some(Question), true, false), "mysql");
        // Without placeholders: the one style seen so far, or nothing claimed.
        assert_eq!(system_for(None, true, false), "postgresql");
        assert_eq!(system_for(None, false, true), "mysql");
        assert_eq!(system_for(None, false, false), "other_sql");
        assert_eq!(system_for(None, true, true), "other_sql");
    }

    #[test]
    fn lent_spans_follow_to_other_threads_and_are_released() {
        let dispatch = tracing_core::Dispatch::new(tracing_subscriber(NoSubscriber::default()));
        let _captured = crate::testing::capture(|| {
            tracing_core::dispatcher::with_default(&dispatch, || {
                let tx = crate::start_transaction("job", "task");
                let here = span::with_current(|c| c.map(|c| c.span_id));
                assert!(here.is_some());
                let lent = tracing::Span::current();
                assert!(!lent.is_none());
                let copy = lent.clone();
                let there = std::thread::scope(|s| {
                    s.spawn(|| {
                        let before = span::with_current(|c| c.map(|c| c.span_id));
                        let during = {
                            let _entered = copy.enter();
                            span::with_current(|c| c.map(|c| c.span_id))
                        };
                        let after = span::with_current(|c| c.map(|c| c.span_id));
                        (before, during, after)
                    })
                    .join()
                    .unwrap()
                });
                assert_eq!(there, (None, here, None));
                drop((lent, copy));
                drop(tx);
            });
        });
        let subscriber = dispatch
            .downcast_ref::<VigilSubscriber<NoSubscriber>>()
            .expect("downcast to the wrapper itself");
        assert!(
            subscriber.lent().is_empty(),
            "a lent span was never released"
        );
        // Outside any vigil span, there is nothing to lend.
        tracing_core::dispatcher::with_default(&dispatch, || {
            assert!(tracing::Span::current().is_none());
        });
    }

    #[test]
    fn the_wrappers_level_hint_lets_sqlx_debug_through() {
        use tracing_core::LevelFilter;
        struct Hint(Option<LevelFilter>);
        impl Subscriber for Hint {
            fn enabled(&self, _: &Metadata<'_>) -> bool {
                false
            }
            fn max_level_hint(&self) -> Option<LevelFilter> {
                self.0
            }
            fn new_span(&self, _: &Attributes<'_>) -> Id {
                Id::from_u64(1)
            }
            fn record(&self, _: &Id, _: &Record<'_>) {}
            fn record_follows_from(&self, _: &Id, _: &Id) {}
            fn event(&self, _: &TracingEvent<'_>) {}
            fn enter(&self, _: &Id) {}
            fn exit(&self, _: &Id) {}
        }
        let hint = |inner| tracing_subscriber(Hint(inner)).max_level_hint();
        assert_eq!(hint(Some(LevelFilter::INFO)), Some(LevelFilter::DEBUG));
        assert_eq!(hint(Some(LevelFilter::OFF)), Some(LevelFilter::DEBUG));
        assert_eq!(hint(Some(LevelFilter::TRACE)), Some(LevelFilter::TRACE));
        assert_eq!(hint(None), None);
    }

    #[test]
    fn driver_errors_from_their_debug_text() {
        let sqlite = DriverError::parse(
            r#"SqliteError { code: 2067, message: "UNIQUE constraint failed: users.name, code: 1" }"#,
        )
        .unwrap();
        assert_eq!(sqlite.0["error_code"], "2067");
        assert_eq!(sqlite.0.len(), 1);
        let pg = DriverError::parse(
            r#"PgDatabaseError { severity: Error, code: "23505", message: "duplicate key value violates unique constraint \"orders_item_key\"", detail: Some("Key (item)=(book) already exists."), hint: None, position: None, where: None, schema: Some("public"), table: Some("orders"), column: None, data_type: None, constraint: Some("orders_item_key"), file: Some("nbtinsert.c"), line: Some(666), routine: Some("_bt_check_unique") }"#,
        )
        .unwrap();
        assert_eq!(pg.0["error_code"], "23505");
        assert_eq!(pg.0["table"], "orders");
        assert_eq!(pg.0["constraint"], "orders_item_key");
        assert!(DriverError::parse("Io(Custom { kind: Other })").is_none());
        assert_eq!(debug_field(r#"a: None, table: None"#, "table"), None);
        // Text that looks like a field, inside a message, is not one.
        let tricky = DriverError::parse(
            r#"SqliteError { code: 19, message: "x, table: Some(\"users\"), code: 7" }"#,
        )
        .unwrap();
        assert_eq!(tricky.0["error_code"], "19");
        assert!(!tricky.0.contains_key("table"));
    }

    #[test]
    fn sql_prefers_the_full_statement() {
        let q = Query {
            summary: "SELECT * FROM users …".into(),
            statement: "\n\nSELECT * FROM users\nWHERE id = $1\n".into(),
            ..Default::default()
        };
        assert_eq!(q.sql(), "SELECT * FROM users\nWHERE id = $1");
        let q = Query {
            summary: "SELECT 1".into(),
            ..Default::default()
        };
        assert_eq!(q.sql(), "SELECT 1");
    }
}
