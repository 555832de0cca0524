//! Autoref dispatch: what the macros call to classify a return value, record an argument or
//! build the event of an error, whatever its type. `(&&&Outcome(&r)).__vigil_outcome(..)`
//! picks the most specific impl that applies, at compile time: the expression has one `&`
//! more than the most specific impl's type, and each level below has one `&` less.
//!
//! Lifetimes play no part in the choice (the compiler picks an impl before it looks at
//! them): a level that needs `'static` is picked for a type that borrows too, and then fails
//! to compile. The one level that sees an error as `dyn Error + 'static` (to downcast it,
//! [`OutcomeDerefDyn`]) is therefore left out by the macros when the result's type names a
//! lifetime other than `'static` (`Result<T, Box<dyn Error + 'a>>`): such an error is
//! captured by the level below, named from what it says of itself.

use std::error::Error;
use std::fmt::{Debug, Display};
use std::ops::Deref;

use sentry::protocol::{Event, Value};

use super::event::{
    debug_event, display_event, dyn_error_event, error_event, holder_event, opaque_event,
};
use super::failure::Verdict;

/// A borrowed return value, for autoref-specialised classification.
pub struct Outcome<'a, T: ?Sized>(pub &'a T);

/// A borrowed argument, for autoref-specialised recording.
pub struct Arg<'a, T: ?Sized>(pub &'a T);

/// A borrowed error given to `capture_exception!`.
pub struct ErrRef<'a, T: ?Sized>(pub &'a T);

/// The verdict on a `Result`: an `Err` fails, with its event when capturing was asked for.
/// Inlined into the monitored function: its `Ok` path is one comparison.
#[inline]
fn on_err<T, E>(
    result: &Result<T, E>,
    capture: bool,
    event: impl FnOnce(&E) -> Event<'static>,
) -> Verdict {
    match result {
        Ok(_) => Verdict::Ok,
        Err(e) => failed(e, capture, event),
    }
}

/// The verdict on an `Err`, out of the caller's way.
#[cold]
#[inline(never)]
fn failed<E>(e: &E, capture: bool, event: impl FnOnce(&E) -> Event<'static>) -> Verdict {
    Verdict::Failed(capture.then(|| Box::new(event(e))))
}

/// `Result<T, E>` with `E: Error`: captured with its source chain.
pub trait OutcomeError {
    /// Classifies the value.
    fn __vigil_outcome(&self, capture: bool) -> Verdict;
}
impl<T, E: Error> OutcomeError for &&&&&&&Outcome<'_, Result<T, E>> {
    fn __vigil_outcome(&self, capture: bool) -> Verdict {
        on_err(self.0, capture, |e| error_event(e))
    }
}

/// A type that holds an error and knows more of it than the error says: an integration's
/// (`anyhow::Error`, which captured a backtrace). Implemented in `integrations/`.
pub trait ErrorHolder {
    /// The error it holds.
    fn held_error(&self) -> &(dyn Error + 'static);
    /// Adds what the holder knows to the event built from its error.
    fn enrich(&self, event: &mut Event<'static>);
}
impl<H: ErrorHolder + ?Sized> ErrorHolder for &H {
    fn held_error(&self) -> &(dyn Error + 'static) {
        (**self).held_error()
    }
    fn enrich(&self, event: &mut Event<'static>) {
        (**self).enrich(event);
    }
}

/// `Result<T, E>` with `E` an [`ErrorHolder`] (`anyhow::Error` with the feature `anyhow`).
pub trait OutcomeHolder {
    /// Classifies the value.
    fn __vigil_outcome(&self, capture: bool) -> Verdict;
}
impl<T, E: ErrorHolder> OutcomeHolder for &&&&&&Outcome<'_, Result<T, E>> {
    fn __vigil_outcome(&self, capture: bool) -> Verdict {
        on_err(self.0, capture, |e| holder_event(e))
    }
}

/// An error behind `dyn Error` (what `anyhow::Error`, `eyre::Report` and
/// `Box<dyn Error + ...>` dereference to), seen as one so it can be downcast; and any sized
/// error.
pub trait AsDynError {
    /// The error as `dyn Error`.
    fn as_dyn_error(&self) -> &(dyn Error + 'static);
}
impl AsDynError for dyn Error + 'static {
    fn as_dyn_error(&self) -> &(dyn Error + 'static) {
        self
    }
}
impl AsDynError for dyn Error + Send + 'static {
    fn as_dyn_error(&self) -> &(dyn Error + 'static) {
        self
    }
}
impl AsDynError for dyn Error + Send + Sync + 'static {
    fn as_dyn_error(&self) -> &(dyn Error + 'static) {
        self
    }
}
impl<E: Error + 'static> AsDynError for E {
    fn as_dyn_error(&self) -> &(dyn Error + 'static) {
        self
    }
}

/// `Result<T, E>` with `E: Deref<Target: Error + 'static>` (`Box<dyn Error>`,
/// `anyhow::Error`, `eyre::Report`): the error inside, named as well as it can be.
pub trait OutcomeDerefDyn {
    /// Classifies the value.
    fn __vigil_outcome(&self, capture: bool) -> Verdict;
}
impl<T, E> OutcomeDerefDyn for &&&&&Outcome<'_, Result<T, E>>
where
    E: Deref,
    E::Target: AsDynError,
{
    fn __vigil_outcome(&self, capture: bool) -> Verdict {
        on_err(self.0, capture, |e| {
            dyn_error_event::<E>((**e).as_dyn_error())
        })
    }
}

/// `Result<T, E>` with `E: Deref<Target: Error>` otherwise.
pub trait OutcomeDerefError {
    /// Classifies the value.
    fn __vigil_outcome(&self, capture: bool) -> Verdict;
}
impl<T, E> OutcomeDerefError for &&&&Outcome<'_, Result<T, E>>
where
    E: Deref,
    E::Target: Error,
{
    fn __vigil_outcome(&self, capture: bool) -> Verdict {
        on_err(self.0, capture, |e| error_event(&**e))
    }
}

/// `Result<T, E>` with `E: Display` (`String`, `&str`, an error type without the `Error`
/// impl): captured with its `Display` text, which is what the user wrote.
pub trait OutcomeDisplay {
    /// Classifies the value.
    fn __vigil_outcome(&self, capture: bool) -> Verdict;
}
impl<T, E: Display> OutcomeDisplay for &&&Outcome<'_, Result<T, E>> {
    fn __vigil_outcome(&self, capture: bool) -> Verdict {
        on_err(self.0, capture, |e| display_event(e))
    }
}

/// `Result<T, E>` with `E: Debug` only: captured by its `Debug` text.
pub trait OutcomeDebug {
    /// Classifies the value.
    fn __vigil_outcome(&self, capture: bool) -> Verdict;
}
impl<T, E: Debug> OutcomeDebug for &&Outcome<'_, Result<T, E>> {
    fn __vigil_outcome(&self, capture: bool) -> Verdict {
        on_err(self.0, capture, |e| debug_event(e))
    }
}

/// Any other `Result` (an error type with no bound the call site can see): captured by its
/// type's name, so no `Err` goes unreported.
pub trait OutcomeAnyErr {
    /// Classifies the value.
    fn __vigil_outcome(&self, capture: bool) -> Verdict;
}
impl<T, E> OutcomeAnyErr for &Outcome<'_, Result<T, E>> {
    fn __vigil_outcome(&self, capture: bool) -> Verdict {
        on_err(self.0, capture, |e| opaque_event(e))
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
impl<E: Error + ?Sized> ErrError for &&&&ErrRef<'_, E> {
    fn __vigil_event(&self) -> Event<'static> {
        error_event(self.0)
    }
}

/// ... or an [`ErrorHolder`] (`anyhow::Error` with the feature `anyhow`) ...
pub trait ErrHolder {
    /// The event for the error, with its source chain.
    fn __vigil_event(&self) -> Event<'static>;
}
impl<H: ErrorHolder> ErrHolder for &&&ErrRef<'_, H> {
    fn __vigil_event(&self) -> Event<'static> {
        holder_event(self.0)
    }
}

/// ... or anything that dereferences to a `'static` one (`Box<dyn Error>`, `anyhow::Error`,
/// `eyre::Report`): named as well as it can be ...
pub trait ErrDerefDyn {
    /// The event for the error, with its source chain.
    fn __vigil_event(&self) -> Event<'static>;
}
impl<D> ErrDerefDyn for &&ErrRef<'_, D>
where
    D: Deref,
    D::Target: AsDynError,
{
    fn __vigil_event(&self) -> Event<'static> {
        dyn_error_event::<D>((**self.0).as_dyn_error())
    }
}

/// ... or anything else that dereferences to one.
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
