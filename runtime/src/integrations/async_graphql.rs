//! GraphQL operations as spans and resolver errors as events, for `async-graphql`
//! (feature `async-graphql`).
//!
//! ```
//! # use vigil_runtime as vigil;
//! use async_graphql::{EmptyMutation, EmptySubscription, Object, Schema};
//!
//! struct Query;
//!
//! #[Object]
//! impl Query {
//!     async fn answer(&self) -> i32 {
//!         42
//!     }
//!     async fn broken(&self) -> async_graphql::Result<i32> {
//!         Err("the answer is gone".into())
//!     }
//! }
//!
//! let schema = Schema::build(Query, EmptyMutation, EmptySubscription)
//!     .extension(vigil::async_graphql::extension())
//!     .finish();
//!
//! let captured = vigil::testing::capture(|| {
//!     let response = futures_executor::block_on(schema.execute("query Deep { answer broken }"));
//!     assert_eq!(response.errors.len(), 1);
//! });
//! // The operation became a transaction (no HTTP layer around it here), the error an event.
//! let tx = captured.single_transaction();
//! assert_eq!(tx.name.as_deref(), Some("Deep"));
//! let event = captured.single_event();
//! assert_eq!(event.tags["graphql.operation_name"], "Deep");
//! assert_eq!(event.exception.values[0].value.as_deref(), Some("the answer is gone"));
//! ```

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context as TaskContext, Poll};

use ::async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextExecute, NextParseQuery,
};
use ::async_graphql::parser::types::{DocumentOperations, ExecutableDocument, OperationType};
use ::async_graphql::{PathSegment, Response, ServerError, ServerResult, Variables};
use sentry::protocol::{Context, Event, Exception, Level, Map, SpanStatus, Value};
use sentry::Hub;

use crate::hooks::Integration;
use crate::instrument::future::{Drive, InScope, Instrumented};
use crate::span::{self, Here, OpenSpan, SpanName};
use crate::state;
use crate::value::to_value;
use crate::wire::Source;

/// What made an operation's span or transaction (Sentry's origin).
const ORIGIN: &str = "auto.graphql.async_graphql";

/// The extension to add to a schema: `Schema::build(..).extension(vigil::async_graphql::extension())`.
///
/// Each operation becomes a span (op `graphql.query`, `graphql.mutation` or
/// `graphql.subscription`, named by the operation), a child of the current span (the
/// request's transaction under `vigil::axum::layer()`), or a transaction of its own
/// when there is none. Each error in the response of an operation is captured as an event
/// with the operation's name and type, the error's path and locations, and the variables
/// (scrubbed like every outgoing event: a `password` variable arrives as `[Filtered]`). An
/// error a `#[vigil::monitored]` function captured while the operation ran is not captured
/// again. Parse and validation errors (the client's mistakes) are not captured.
///
/// See the [module docs](self) for an example.
pub fn extension() -> VigilExtension {
    VigilExtension { _private: () }
}

/// The `async-graphql` extension factory that [`extension()`] returns.
///
/// ```
/// # use vigil_runtime as vigil;
/// let extension: vigil::async_graphql::VigilExtension = vigil::async_graphql::extension();
/// ```
#[derive(Clone, Copy, Debug)]
pub struct VigilExtension {
    _private: (),
}

impl ExtensionFactory for VigilExtension {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(PerRequest::default())
    }
}

/// What one request's document says, kept between parsing and execution.
#[derive(Default)]
struct PerRequest {
    parsed: Mutex<Option<Parsed>>,
}

#[derive(Clone)]
struct Parsed {
    document: String,
    variables: Value,
    /// The operations: `None` as the name of an anonymous one.
    operations: Vec<(Option<String>, &'static str)>,
}

fn kind(ty: OperationType) -> &'static str {
    match ty {
        OperationType::Query => "query",
        OperationType::Mutation => "mutation",
        OperationType::Subscription => "subscription",
    }
}

impl Parsed {
    /// The name and type of the operation that runs.
    fn operation(&self, requested: Option<&str>) -> (Option<String>, &'static str) {
        let found = match requested {
            Some(name) => self
                .operations
                .iter()
                .find(|(n, _)| n.as_deref() == Some(name)),
            None => self.operations.first(),
        };
        found.map_or((requested.map(str::to_owned), "query"), |(n, ty)| {
            (n.clone(), *ty)
        })
    }
}

#[::async_graphql::async_trait::async_trait]
impl Extension for PerRequest {
    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let document = next.run(ctx, query, variables).await?;
        if state::enabled() {
            let operations = match &document.operations {
                DocumentOperations::Single(op) => vec![(None, kind(op.node.ty))],
                DocumentOperations::Multiple(ops) => ops
                    .iter()
                    .map(|(name, op)| (Some(name.to_string()), kind(op.node.ty)))
                    .collect(),
            };
            let parsed = Parsed {
                document: query.to_owned(),
                variables: to_value(variables),
                operations,
            };
            *self.parsed.lock().unwrap_or_else(PoisonError::into_inner) = Some(parsed);
        }
        Ok(document)
    }

    async fn execute(
        &self,
        ctx: &ExtensionContext<'_>,
        operation_name: Option<&str>,
        next: NextExecute<'_>,
    ) -> Response {
        let parsed = self
            .parsed
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        let Some(parsed) = parsed.filter(|_| state::enabled()) else {
            return next.run(ctx, operation_name).await;
        };
        let (name, ty) = parsed.operation(operation_name);
        let op = format!("graphql.{ty}");
        let description = name.clone().unwrap_or_else(|| format!("anonymous {ty}"));
        let mut span = span::open(
            SpanName::owned(op, description),
            Here::ChildOrTransaction { sample_rate: None },
        );
        if let Some(span) = &mut span {
            span.set_origin(ORIGIN);
            // A transaction of its own: named after the operation, as sentry-python's
            // Strawberry integration names it (`component`).
            if span.is_root() {
                span.tx.set_source(Source::Component);
            }
            span.set_data("graphql.document", Value::from(parsed.document.clone()));
            span.set_data("graphql.operation.type", Value::from(ty));
        }
        let operation = Operation {
            name,
            ty,
            parsed,
            notes: Vec::new(),
        };
        Instrumented::new(
            next.run(ctx, operation_name),
            InScope { hub: None, span },
            operation,
        )
        .await
    }
}

/// How an operation's future runs and ends: the failures monitored functions capture while
/// it runs are noted, and the errors of its response not captured already are captured.
struct Operation {
    name: Option<String>,
    ty: &'static str,
    parsed: Parsed,
    /// The messages of the failures monitored functions captured during the operation.
    notes: Vec<String>,
}

impl<F: Future<Output = Response>> Drive<F> for Operation {
    fn poll(&mut self, fut: Pin<&mut F>, cx: &mut TaskContext<'_>) -> Poll<Response> {
        noting_captures(&mut self.notes, || fut.poll(cx))
    }

    fn ready(self, response: &Response, _: Option<&mut OpenSpan>) -> SpanStatus {
        for error in &response.errors {
            // Reported already, by a monitored function (with the Rust error and its chain).
            if !self.notes.contains(&error.message) {
                capture(error, self.name.as_deref(), self.ty, &self.parsed);
            }
        }
        if response.errors.is_empty() {
            SpanStatus::Ok
        } else {
            SpanStatus::InternalError
        }
    }
}

/// The GraphQL integration at the core's seams: it notes the failures captured while an
/// operation runs.
pub(crate) struct Graphql;

impl Integration for Graphql {
    fn failure_captured(&self, event: &Event<'static>) {
        let _ = NOTES.try_with(|notes| {
            let Ok(mut notes) = notes.try_borrow_mut() else {
                return;
            };
            if let Some(notes) = notes.as_mut() {
                let values = event.exception.values.iter();
                for value in values.filter_map(|e| e.value.clone()) {
                    if notes.len() < 100 {
                        notes.push(value);
                    }
                }
            }
        });
    }
}

thread_local! {
    /// Where failure captures note their messages while an operation is polled.
    static NOTES: RefCell<Option<Vec<String>>> = const { RefCell::new(None) };
}

/// Runs `f` with the failures captured on this thread noted into `notes`; what was noted
/// before (an operation around this one) comes back after, even when `f` panics.
fn noting_captures<R>(notes: &mut Vec<String>, f: impl FnOnce() -> R) -> R {
    struct Restore<'a> {
        notes: &'a mut Vec<String>,
        previous: Option<Option<Vec<String>>>,
    }
    impl Drop for Restore<'_> {
        fn drop(&mut self) {
            let Some(previous) = self.previous.take() else {
                return;
            };
            let _ = NOTES.try_with(|n| {
                if let Ok(mut n) = n.try_borrow_mut() {
                    if let Some(noted) = std::mem::replace(&mut *n, previous) {
                        *self.notes = noted;
                    }
                }
            });
        }
    }
    let previous = NOTES
        .try_with(|n| {
            n.try_borrow_mut()
                .ok()
                .map(|mut n| n.replace(std::mem::take(notes)))
        })
        .ok()
        .flatten();
    let _restore = Restore { notes, previous };
    f()
}

/// Captures one error of an operation's response.
fn capture(error: &ServerError, name: Option<&str>, ty: &'static str, parsed: &Parsed) {
    // Both serialize as the GraphQL response does: `["orders", 0, "total"]`, `{line, column}`.
    let path = to_value(&error.path);
    let dotted: Vec<String> = error
        .path
        .iter()
        .map(|segment| match segment {
            PathSegment::Field(field) => field.clone(),
            PathSegment::Index(index) => index.to_string(),
        })
        .collect();
    let mut graphql = Map::new();
    if let Some(name) = name {
        graphql.insert("operation_name".into(), Value::from(name));
    }
    graphql.insert("operation_type".into(), Value::from(ty));
    graphql.insert("path".into(), path);
    graphql.insert("locations".into(), to_value(&error.locations));
    graphql.insert("variables".into(), parsed.variables.clone());
    graphql.insert("document".into(), Value::from(parsed.document.as_str()));
    let mut event = Event {
        level: Level::Error,
        exception: vec![Exception {
            ty: "GraphQLError".into(),
            value: Some(error.message.clone()),
            ..Default::default()
        }]
        .into(),
        ..Default::default()
    };
    event
        .tags
        .insert("graphql.operation_type".into(), ty.to_owned());
    if let Some(name) = name {
        event
            .tags
            .insert("graphql.operation_name".into(), name.to_owned());
    }
    if !dotted.is_empty() {
        event.tags.insert("graphql.path".into(), dotted.join("."));
    }
    event
        .contexts
        .insert("graphql".into(), Context::Other(graphql));
    Hub::current().capture_event(event);
}
