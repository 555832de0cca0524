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
//! - **Your own subscriber:** wrap it with [`tracing_subscriber()`](crate::tracing_subscriber) before installing it. The
//!   wrapper hears sqlx's query events whatever your filters say, and passes everything on.
//! - In both, vigil's current span is lent to whoever asks for `tracing::Span::current()`:
//!   sqlx takes it with each command for its SQLite worker thread and enters it there, which
//!   makes vigil's span current on the worker. (With [`tracing_layer`](crate::tracing_layer)
//!   alone in your subscriber, PostgreSQL and MySQL queries, which run on the caller's task,
//!   are recorded; SQLite's are not.)
//! - On a SQLite worker that was lent no span (vigil off, or tracing off: no transaction
//!   started), vigil's subscriber tells sqlx it does not want the query's event, so sqlx does
//!   not build it: there is nothing it could be recorded under.
//!
//! A captured error whose chain holds a `sqlx::Error` gets the database's error code, the
//! constraint and table when the database names them, and the SQL of the failing query (the
//! last query recorded under the span that captures it, whose span is marked failed).

mod errors;

use std::cell::Cell;
use std::error::Error;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use sentry::protocol::{Breadcrumb, Event, Value};
use tracing_core::field::{Field, Visit};
use tracing_core::{Event as TracingEvent, Metadata};

use crate::hooks::Integration;
use crate::span::{self, SpanName, Text};

/// The sqlx integration at the core's seams.
pub(crate) struct Sqlx;

impl Integration for Sqlx {
    fn error_event(
        &self,
        event: &mut Event<'static>,
        type_name: &str,
        source: Option<&(dyn Error + 'static)>,
    ) {
        errors::enrich(event, type_name, source);
    }

    fn wants_tracing_events(&self) -> bool {
        true
    }

    fn claims_tracing_event(&self, meta: &Metadata<'_>) -> bool {
        is_query_event(meta)
    }

    fn wants_tracing_event_now(&self, _meta: &Metadata<'_>) -> bool {
        recordable_here()
    }

    fn tracing_event(&self, event: &TracingEvent<'_>) {
        on_query_event(event);
    }
}

/// The operation of query spans.
const OP: &str = "db.sql.query";
/// What made a query's span (Sentry's origin).
const ORIGIN: &str = "auto.db.sqlx";
/// The target of sqlx's query events.
const TARGET: &str = "sqlx::query";

/// Is this sqlx's per-query event (or the `enabled!` check sqlx makes before it)?
fn is_query_event(meta: &Metadata<'_>) -> bool {
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

/// Can a query event on this thread be recorded? Not when vigil is off, nor on a SQLite
/// worker with no vigil span current: the worker's own hub is not the caller's, so neither a
/// span nor a breadcrumb would reach the request (a transaction that was not started, as
/// when tracing is off, lends the worker no span). sqlx then skips building the event: its
/// summary of the SQL and its fields, and vigil's breadcrumb that would be dropped.
fn recordable_here() -> bool {
    crate::state::enabled() && (!on_sqlite_worker() || span::with_current(|c| c.is_some()))
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
fn on_query_event(event: &TracingEvent<'_>) {
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
            // The span's data only for a span that is recorded (a sampled transaction's).
            if current.tx.sampled {
                let data = span_data(system, sql, &query);
                current.record_finished_child(SpanName::owned(OP, sql), ORIGIN, elapsed, data);
            }
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

/// A query span's data: the database, the operation, the rows.
fn span_data(system: &'static str, sql: &str, query: &Query) -> Vec<(Text, Value)> {
    let mut data: Vec<(Text, Value)> = Vec::with_capacity(4);
    data.push(("db.system".into(), Value::from(system)));
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
    data
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The metadata of sqlx's query events, as the subscriber sees it.
    fn query_event_meta() -> &'static Metadata<'static> {
        struct Site;
        static SITE: Site = Site;
        static META: Metadata<'static> = Metadata::new(
            "query",
            TARGET,
            tracing_core::Level::DEBUG,
            None,
            None,
            None,
            tracing_core::field::FieldSet::new(
                &["summary"],
                tracing_core::callsite::Identifier(&SITE),
            ),
            tracing_core::Kind::EVENT,
        );
        impl tracing_core::callsite::Callsite for Site {
            fn set_interest(&self, _: tracing_core::Interest) {}
            fn metadata(&self) -> &Metadata<'_> {
                &META
            }
        }
        &META
    }

    #[test]
    fn the_wrapper_asks_each_time_even_around_a_subscriber_that_always_wants_queries() {
        use tracing_core::Subscriber as _;
        use tracing_subscriber::layer::SubscriberExt as _;
        let meta = query_event_meta();
        let alone = crate::tracing_subscriber(tracing_core::subscriber::NoSubscriber::default());
        assert!(alone.register_callsite(meta).is_sometimes());
        // A layer that wants every event (as a user's log output may): the wrapped registry
        // says "always", and the wrapper must still ask.
        struct Everything;
        impl<S: tracing_core::Subscriber> tracing_subscriber::Layer<S> for Everything {}
        let inner = tracing_subscriber::registry().with(Everything);
        assert!(inner.register_callsite(meta).is_always());
        let wrapped = crate::tracing_subscriber(inner);
        assert!(wrapped.register_callsite(meta).is_sometimes());
    }

    #[test]
    fn a_sqlite_worker_without_a_span_is_asked_for_no_query_event() {
        use tracing_core::Subscriber as _;
        let subscriber =
            crate::tracing_subscriber(tracing_core::subscriber::NoSubscriber::default());
        let meta = query_event_meta();
        let worker = |f: Box<dyn FnOnce() -> bool + Send>| {
            std::thread::Builder::new()
                .name("sqlx-sqlite-worker-7".into())
                .spawn(f)
                .unwrap()
                .join()
                .unwrap()
        };
        let _captured = crate::testing::capture(|| {
            let tx = crate::start_transaction("orders", "http.server");
            // On the caller's side, or on the worker with the caller's span: wanted.
            assert!(subscriber.enabled(meta));
            let with_span = worker(Box::new(crate::bind_fn(recordable_here)));
            assert!(with_span);
            // On the worker with no span to record under: skipped before sqlx builds it.
            let without = worker(Box::new(recordable_here));
            assert!(!without);
            let asked = std::thread::scope(|s| {
                std::thread::Builder::new()
                    .name("sqlx-sqlite-worker-8".into())
                    .spawn_scoped(s, || subscriber.enabled(meta))
                    .unwrap()
                    .join()
                    .unwrap()
            });
            assert!(!asked);
            drop(tx);
        });
    }

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
