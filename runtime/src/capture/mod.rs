//! Capturing: events built from errors and messages ([`event`]), the failure of a monitored
//! function captured once however far it is passed up ([`failure`]), and the autoref
//! dispatch that lets the macros do the right thing for any type ([`dispatch`]).

pub(crate) mod chain;
pub mod dispatch;
pub mod event;
pub(crate) mod failure;
pub(crate) mod frames;
pub(crate) mod logs;

pub use failure::Verdict;
pub(crate) use failure::{failure_seq, settle};

/// The id returned when nothing was captured.
#[inline]
pub fn nil_event_id() -> sentry::types::Uuid {
    sentry::types::Uuid::nil()
}

/// Is `event` about an error of one of the `ignored` types (short names or paths)?
pub(crate) fn ignored(event: &sentry::protocol::Event<'static>, ignored: &[String]) -> bool {
    if ignored.is_empty() {
        return false;
    }
    let Some(top) = event.exception.values.last() else {
        return false;
    };
    let short = top.ty.rsplit("::").next().unwrap_or(&top.ty);
    let full = top.module.as_ref().map(|m| format!("{m}::{short}"));
    ignored.iter().any(|name| {
        *name == top.ty
            || full.as_deref() == Some(name.as_str())
            // `std::io::Error` for `io::Error` (defined in `std::io::error`).
            || (top.ty.contains("::") && name.ends_with(&format!("::{}", top.ty)))
            || (!name.contains("::") && name == short)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use sentry::protocol::{Event, Exception};

    fn event(ty: &str, module: Option<&str>) -> Event<'static> {
        Event {
            exception: vec![Exception {
                ty: ty.into(),
                module: module.map(Into::into),
                ..Default::default()
            }]
            .into(),
            ..Default::default()
        }
    }

    #[test]
    fn ignored_types_by_short_name_or_path() {
        let not_found = event("NotFound", Some("myapp::errors"));
        let io = event("io::Error", Some("std::io::error"));
        let ignore = |names: &[&str], e: &Event<'static>| {
            ignored(e, &names.iter().map(|s| s.to_string()).collect::<Vec<_>>())
        };
        assert!(ignore(&["NotFound"], &not_found));
        assert!(ignore(&["myapp::errors::NotFound"], &not_found));
        assert!(!ignore(&["other::NotFound"], &not_found));
        assert!(!ignore(&["Found"], &not_found));
        assert!(ignore(&["std::io::Error"], &io));
        assert!(ignore(&["io::Error"], &io));
        assert!(ignore(&["Error"], &io));
        assert!(!ignore(&["NotFound"], &Event::default()));
    }
}
