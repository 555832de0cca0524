//! The exceptions of an error and its sources, root cause first, each named as well as can
//! honestly be known.
//!
//! A type known at the call site (the `E` of a `Result<T, E>`) is named exactly. Behind
//! `dyn Error` (the sources of any error, and what `anyhow::Error`, `eyre::Report` or
//! `Box<dyn Error>` hold) Rust keeps no type name, so, in order:
//!
//! 1. the standard library's error types are recognised by downcasting (exact);
//! 2. an `anyhow`/`eyre` context layer (`.context("...")`, `.wrap_err("...")`) takes the
//!    name of the error it wraps, with the context as its value;
//! 3. a derived `Debug` begins with the type's name: the struct's name, or for an enum the
//!    variant's (`Declined`, not `PayError`): the enum's own name cannot be known;
//! 4. anything else (a message made an error, `anyhow!("...")`, `"...".into()`; a `Debug`
//!    that does not start with a name) is named by what held it (`anyhow::Error`,
//!    `Box<dyn Error>`), or `Error` when nothing held it.
//!
//! The `sentry` crate's own guess takes the first word of `Debug` for all of them, which
//! names an `io::Error` `Custom`, a context layer `Error` and `anyhow!("db down")` `"db`.

use std::error::Error;

use sentry::protocol::Exception;

/// An exception's `type` and `module`.
pub(crate) type Name = (String, Option<String>);

/// How far a source chain is followed (a chain is finite, but nothing checks it).
const MAX_CHAIN: usize = 64;

/// What a `dyn Error`'s layer says of its type.
#[derive(Debug, PartialEq)]
enum Naming {
    Known(Name),
    /// An `anyhow`/`eyre` context layer: named as the layer it wraps.
    Context,
    /// Nothing to go by: named by what held the error.
    Unknown,
}

/// The standard library's error types, recognised behind `dyn Error` by downcasting.
fn standard(error: &(dyn Error + 'static)) -> Option<Name> {
    macro_rules! known {
        ($($ty:ty),* $(,)?) => {
            $(if error.is::<$ty>() {
                return Some(super::event::type_names::<$ty>());
            })*
        };
    }
    known!(
        std::io::Error,
        std::fmt::Error,
        std::num::ParseIntError,
        std::num::ParseFloatError,
        std::num::TryFromIntError,
        std::str::Utf8Error,
        std::str::ParseBoolError,
        std::string::FromUtf8Error,
        std::string::FromUtf16Error,
        std::char::ParseCharError,
        std::char::CharTryFromError,
        std::net::AddrParseError,
        std::env::VarError,
        std::time::SystemTimeError,
        std::array::TryFromSliceError,
        std::ffi::NulError,
        std::ffi::IntoStringError,
        std::path::StripPrefixError,
        std::sync::mpsc::RecvError,
        std::sync::mpsc::RecvTimeoutError,
        std::sync::mpsc::TryRecvError,
        std::collections::TryReserveError,
        std::cell::BorrowError,
        std::cell::BorrowMutError,
        std::thread::AccessError,
    );
    None
}

/// What the `Debug` text (`debug`) and `Display` text (`value`) of an error say of its type.
fn by_shape(debug: &str, value: &str) -> Naming {
    // anyhow's and eyre's context layers print as a struct named `Error`.
    if debug.starts_with("Error { context: \"") || debug.starts_with("Error { msg: \"") {
        return Naming::Context;
    }
    // A `Debug` that prints the message (a string made an error) says nothing of a type.
    if debug == value || debug == format!("{value:?}") {
        return Naming::Unknown;
    }
    let end = debug
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(debug.len());
    let (head, rest) = debug.split_at(end);
    // A derived `Debug`: `Name`, `Name(..)`, `Name { .. }`; type and variant names are
    // CamelCase (rustc warns otherwise), which tells them from a sentence's first word.
    let shaped = rest.is_empty() || rest.starts_with('(') || rest.starts_with(" {");
    if shaped && head.starts_with(|c: char| c.is_ascii_uppercase()) {
        Naming::Known((head.to_owned(), None))
    } else {
        Naming::Unknown
    }
}

/// How a `dyn Error` is named, and its `Display` text.
fn dyn_layer(error: &(dyn Error + 'static)) -> (Naming, String) {
    let value = error.to_string();
    let naming = match standard(error) {
        Some(name) => Naming::Known(name),
        None => by_shape(&format!("{error:?}"), &value),
    };
    (naming, value)
}

/// The exceptions of an error and its chain, root cause first: `top` is the error's own
/// (naming and value), `source` its chain below it, `held_by` the name for what cannot be
/// known.
fn exceptions(
    top: (Naming, String),
    mut source: Option<&(dyn Error + 'static)>,
    held_by: &Name,
) -> Vec<Exception> {
    let mut layers = vec![top];
    while let Some(error) = source {
        if layers.len() >= MAX_CHAIN {
            break;
        }
        layers.push(dyn_layer(error));
        source = error.source();
    }
    // From the root cause up: a context layer is named as what it wraps.
    let mut below: Option<Name> = None;
    let mut out = Vec::with_capacity(layers.len());
    for (naming, value) in layers.into_iter().rev() {
        let (ty, module) = match naming {
            Naming::Known(name) => name,
            Naming::Context => below.clone().unwrap_or_else(|| held_by.clone()),
            Naming::Unknown => held_by.clone(),
        };
        below = Some((ty.clone(), module.clone()));
        out.push(Exception {
            ty,
            module,
            value: Some(value),
            ..Default::default()
        });
    }
    out
}

/// The exceptions of an error whose type is known (`name`) or not (`None`: a `dyn Error`
/// reached through a reference, named by its shape), root cause first.
pub(crate) fn of_error<E: Error + ?Sized>(error: &E, name: Option<Name>) -> Vec<Exception> {
    let value = error.to_string();
    let naming = match name {
        Some(name) => Naming::Known(name),
        None => by_shape(&format!("{error:?}"), &value),
    };
    exceptions((naming, value), error.source(), &plain_error())
}

/// The exceptions of an error held as `dyn Error` by a container named `held_by`.
pub(crate) fn of_dyn(error: &(dyn Error + 'static), held_by: &Name) -> Vec<Exception> {
    exceptions(dyn_layer(error), error.source(), held_by)
}

/// The name of an error of which nothing is known, as the `sentry` crate says it.
fn plain_error() -> Name {
    ("Error".to_owned(), None)
}

/// The name of a container of errors: `anyhow::Error`, `eyre::Report`, `Box<dyn Error>`
/// (paths inside the brackets left out: `Box<dyn Error + Send + Sync>`).
pub(crate) fn container_name<D: ?Sized>() -> Name {
    let full = without_refs(std::any::type_name::<D>());
    let generics = full.find('<').unwrap_or(full.len());
    let at = full[..generics].rfind("::");
    let (module, name) = match at {
        Some(at) => (Some(&full[..at]), &full[at + 2..]),
        None => (None, full),
    };
    if name.contains('<') {
        return (without_paths(name), None);
    }
    // `anyhow::Error`, `eyre::Report`: the crate's name says what it is.
    let krate = module.and_then(|m| m.split("::").next());
    let ty = match krate {
        Some(krate) => format!("{krate}::{name}"),
        None => name.to_owned(),
    };
    (ty, module.map(str::to_owned))
}

/// A type's name without the references around it (`&&app::PayError`: `app::PayError`).
pub(crate) fn without_refs(mut name: &str) -> &str {
    loop {
        let next = name.trim_start_matches('&').trim_start_matches("mut ");
        if next.len() == name.len() {
            return name;
        }
        name = next;
    }
}

/// `Box<dyn core::error::Error + core::marker::Send>` as `Box<dyn Error + Send>`.
fn without_paths(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut rest = name;
    while let Some(at) = rest.find("::") {
        out.push_str(&rest[..at]);
        // Drop the path segment just written.
        let keep = out
            .rfind(|c: char| !(c.is_alphanumeric() || c == '_'))
            .map_or(0, |i| i + 1);
        out.truncate(keep);
        rest = &rest[at + 2..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn known(name: &str) -> Naming {
        Naming::Known((name.to_owned(), None))
    }

    #[test]
    fn debug_shapes() {
        let cases = [
            ("PayError { code: 51 }", "declined", known("PayError")),
            ("Declined { amount: 5 }", "declined", known("Declined")),
            ("Timeout(30)", "timed out", known("Timeout")),
            ("Refused", "refused", known("Refused")),
            // A message made an error, by anyhow or `Box<dyn Error>`.
            ("\"db down\"", "db down", Naming::Unknown),
            ("Refused", "Refused", Naming::Unknown),
            // A sentence, a lowercase word, a number: not a type's name.
            ("card declined", "card declined", Naming::Unknown),
            ("timeout", "timed out", Naming::Unknown),
            ("Card declined by issuer", "x", Naming::Unknown),
            ("42", "x", Naming::Unknown),
            (
                "Error { context: \"charging\", source: Declined }",
                "charging",
                Naming::Context,
            ),
            (
                "Error { msg: \"charging\", source: Declined }",
                "charging",
                Naming::Context,
            ),
        ];
        for (debug, value, expected) in cases {
            assert_eq!(by_shape(debug, value), expected, "{debug}");
        }
    }

    #[test]
    fn containers_are_named_by_their_crate() {
        assert_eq!(
            container_name::<Box<dyn Error + Send + Sync>>(),
            ("Box<dyn Error + Send + Sync>".to_owned(), None)
        );
        assert_eq!(
            container_name::<&std::sync::Arc<dyn Error>>(),
            ("Arc<dyn Error>".to_owned(), None)
        );
        assert_eq!(without_refs("&&mut &app::PayError"), "app::PayError");
    }

    #[derive(Debug)]
    struct Outer(std::io::Error);
    impl std::fmt::Display for Outer {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("outer")
        }
    }
    impl Error for Outer {
        fn source(&self) -> Option<&(dyn Error + 'static)> {
            Some(&self.0)
        }
    }

    #[test]
    fn standard_sources_are_named_exactly() {
        let error = Outer(std::io::Error::other("disk full"));
        let exceptions = of_error(&error, Some(("Outer".into(), None)));
        let types: Vec<_> = exceptions.iter().map(|e| e.ty.as_str()).collect();
        // Root cause first; the `sentry` crate alone says `Custom`.
        assert_eq!(types, ["io::Error", "Outer"]);
        assert_eq!(exceptions[0].module.as_deref(), Some("std::io::error"));
    }
}
