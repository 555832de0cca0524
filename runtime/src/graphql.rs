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

use std::borrow::Cow;
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

use crate::span::{self, Current, OpenSpan, SpanName};
use crate::state;

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
                variables: span::to_value(variables),
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
        let mut span = match span::with_current(|c| c.cloned()) {
            Some(parent) => OpenSpan::start_child(
                &parent.tx,
                parent.span_id,
                SpanName::owned(&op, &description),
            ),
            None => OpenSpan::start_transaction(
                Cow::Owned(description),
                Cow::Owned(op),
                None,
                None,
                None,
            ),
        };
        if let Some(span) = &mut span {
            span.set_data("graphql.document", Value::from(parsed.document.clone()));
            span.set_data("graphql.operation.type", Value::from(ty));
        }
        let current = span.as_ref().map(OpenSpan::as_current);
        let notes = Arc::new(Mutex::new(Vec::new()));
        let response = InSpan {
            current: current.clone(),
            notes: Arc::clone(&notes),
            inner: next.run(ctx, operation_name),
        }
        .await;
        let notes = std::mem::take(&mut *notes.lock().unwrap_or_else(PoisonError::into_inner));

        let entered = current.map(span::enter);
        for error in &response.errors {
            // Reported already, by a monitored function (with the Rust error and its chain).
            if !notes.contains(&error.message) {
                capture(error, name.as_deref(), ty, &parsed);
            }
        }
        if let Some(entered) = entered {
            span::exit(entered);
        }
        if let Some(span) = span {
            let status = if response.errors.is_empty() {
                SpanStatus::Ok
            } else {
                SpanStatus::InternalError
            };
            span.finish(status);
        }
        response
    }
}

/// Captures one error of an operation's response.
fn capture(error: &ServerError, name: Option<&str>, ty: &'static str, parsed: &Parsed) {
    // Both serialize as the GraphQL response does: `["orders", 0, "total"]`, `{line, column}`.
    let path = span::to_value(&error.path);
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
    graphql.insert("locations".into(), span::to_value(&error.locations));
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

pin_project_lite::pin_project! {
    /// Runs a future with a span current while it is polled, noting the messages of the
    /// failures monitored functions capture in it.
    struct InSpan<F> {
        current: Option<Current>,
        notes: Arc<Mutex<Vec<String>>>,
        #[pin]
        inner: F,
    }
}

impl<F: Future> Future for InSpan<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<F::Output> {
        let this = self.project();
        let entered = this.current.clone().map(span::enter);
        let inner = this.inner;
        let poll = crate::__private::noting_captures(this.notes, || inner.poll(cx));
        if let Some(entered) = entered {
            span::exit(entered);
        }
        poll
    }
}
