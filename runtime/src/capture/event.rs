//! Events and breadcrumbs: the event for an error (with what integrations know of it), and
//! the builders behind `capture_exception!`, `capture_message!` and `add_breadcrumb!`.

use std::fmt::{Debug, Display};

use sentry::protocol::{Breadcrumb, Event, Value};
use sentry::types::Uuid;
use sentry::{Hub, Level};

use crate::scrub::rules;
use crate::scrub::FILTERED;
use crate::value::to_value;

/// The event for an error and its source chain, with what integrations know about it.
pub(crate) fn error_event<E: std::error::Error + ?Sized>(error: &E) -> Event<'static> {
    // The `sentry` crate guesses a type from the `Debug` text (`Custom`, a variant's name);
    // the type is known here, unless it is a trait object.
    let full = std::any::type_name::<E>();
    let name = (!full.trim_start_matches('&').starts_with("dyn ")).then(type_names::<E>);
    let mut event = errors_event(super::chain::of_error(error, name));
    crate::hooks::error_event(&mut event, full, error.source());
    event
}

/// The event for an error seen as `dyn Error` through `D` (a `Box<dyn Error>`, an
/// `eyre::Report`), named `D` where nothing better is known.
pub(crate) fn dyn_error_event<D: ?Sized>(
    error: &(dyn std::error::Error + 'static),
) -> Event<'static> {
    let held_by = super::chain::container_name::<D>();
    let mut event = errors_event(super::chain::of_dyn(error, &held_by));
    // The whole chain is what an integration must look through: the top is no known type.
    crate::hooks::error_event(&mut event, std::any::type_name::<D>(), Some(error));
    event
}

/// The event for the error an [`ErrorHolder`](super::dispatch::ErrorHolder) holds, with
/// what the holder knows (an `anyhow::Error`'s backtrace).
pub(crate) fn holder_event<H: super::dispatch::ErrorHolder + ?Sized>(holder: &H) -> Event<'static> {
    let mut event = dyn_error_event::<H>(holder.held_error());
    holder.enrich(&mut event);
    event
}

/// An error event with these exceptions (root cause first).
fn errors_event(exceptions: Vec<sentry::protocol::Exception>) -> Event<'static> {
    Event {
        exception: exceptions.into(),
        level: Level::Error,
        ..Default::default()
    }
}

/// The name of `E` as Rust code says it, without its module path (`PayError`,
/// `Vec<u8>`); the module path is kept apart for the exception's `module`.
pub(crate) fn type_names<E: ?Sized>() -> (String, Option<String>) {
    let full = std::any::type_name::<E>();
    // A borrowed error is named as its type (`&app::PayError`: `PayError` in `app`); a
    // borrowed type without a path keeps its `&` (`&str`).
    let bare = super::chain::without_refs(full);
    let full = if bare[..bare.find('<').unwrap_or(bare.len())].contains("::") {
        bare
    } else {
        full
    };
    // The path is what stands before the last `::` outside any generic arguments.
    let generics = full.find('<').unwrap_or(full.len());
    let Some(at) = full[..generics].rfind("::") else {
        return (full.to_owned(), None);
    };
    let (module, name) = (&full[..at], &full[at + 2..]);
    // `std::io::error::Error` reads better as `io::Error`: a bare `Error` takes the name of
    // the module that owns it (skipping a private `error` module).
    let ty = if name == "Error" {
        let mut owners = module.rsplit("::").filter(|m| *m != "error");
        match owners.next() {
            Some(owner) => format!("{owner}::{name}"),
            None => name.to_owned(),
        }
    } else {
        name.to_owned()
    };
    (ty, Some(module.to_owned()))
}

/// An error event with one exception: `E`'s type and `value`.
fn exception_event<E: ?Sized>(value: String) -> Event<'static> {
    let (ty, module) = type_names::<E>();
    Event {
        exception: vec![sentry::protocol::Exception {
            ty,
            module,
            value: Some(value),
            ..Default::default()
        }]
        .into(),
        level: Level::Error,
        ..Default::default()
    }
}

/// The event of an error that is `Display` (not `std::error::Error`): its text as written.
pub(crate) fn display_event<E: Display + ?Sized>(e: &E) -> Event<'static> {
    exception_event::<E>(e.to_string())
}

/// The event of an error that is `Debug` only.
pub(crate) fn debug_event<E: Debug + ?Sized>(e: &E) -> Event<'static> {
    exception_event::<E>(format!("{e:?}"))
}

/// The event of an error whose type shows nothing of itself where it was returned (a generic
/// `E` with no bound, even if the type behind it is `Debug`): its type's name.
pub(crate) fn opaque_event<E: ?Sized>(_: &E) -> Event<'static> {
    let (ty, _) = type_names::<E>();
    exception_event::<E>(format!(
        "a `{ty}` (where it was returned, its type showed neither `Display` nor `Debug`)"
    ))
}

/// A fingerprint from static parts.
pub(crate) fn fingerprint(
    parts: &'static [&'static str],
) -> std::borrow::Cow<'static, [std::borrow::Cow<'static, str>]> {
    parts
        .iter()
        .map(|p| std::borrow::Cow::Borrowed(*p))
        .collect::<Vec<_>>()
        .into()
}

/// A tag value when the value is a short scalar; `None` when it belongs in `extra`.
fn tag_value(value: &Value) -> Option<String> {
    let text = match value {
        Value::String(s) => s.clone(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        _ => return None,
    };
    rules::tag_value_problem(&text).is_none().then_some(text)
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

    /// The event of an error and its source chain.
    pub fn from_error<E: std::error::Error + ?Sized>(error: &E) -> Self {
        EventBuilder {
            event: error_event(error),
        }
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

    /// A message event from a template: `logentry` is the template with `%s` for each
    /// placeholder and `params` their values, `formatted` the text as it reads.
    pub fn template(
        logentry: &'static str,
        formatted: String,
        params: Vec<String>,
        level: Level,
    ) -> Self {
        EventBuilder {
            event: Event {
                message: Some(formatted),
                logentry: Some(sentry::protocol::LogEntry {
                    message: logentry.to_owned(),
                    params: params.into_iter().map(Value::String).collect(),
                }),
                level,
                ..Default::default()
            },
        }
    }

    /// Where the capture macro was called: its frame, when the error carries no stack trace
    /// of its own. `probe` is a function item declared at the call site; only its type's
    /// name is read (no cost until an event is built).
    pub fn here<F>(
        mut self,
        _probe: F,
        module: &'static str,
        file: &'static str,
        line: u32,
    ) -> Self {
        let frame = super::frames::caller_frame(std::any::type_name::<F>(), module, file, line);
        super::frames::attach(&mut self.event, frame);
        self
    }

    /// Sets the level.
    pub fn level(mut self, level: Level) -> Self {
        self.event.level = level;
        self
    }

    /// Sets the grouping fingerprint (`{{ default }}` stands for Sentry's own grouping).
    pub fn fingerprint(mut self, parts: &'static [&'static str]) -> Self {
        self.event.fingerprint = fingerprint(parts);
        self
    }

    /// `key = value`: a tag for short scalars, `extra` for everything else.
    pub fn field<T: serde::Serialize + ?Sized>(mut self, key: &'static str, value: &T) -> Self {
        let value = to_value(value);
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
        let value = to_value(value);
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
