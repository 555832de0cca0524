//! The thread a span ran on, for `thread.id` and `thread.name` in its data (as
//! sentry-python's spans carry them; the id an integer, as Sentry's conventions say).
//!
//! A thread is known by a small number, read from a thread-local: std's `ThreadId`, the
//! number the `sentry` crate gives threads on events (a panic's thread), so a span and an
//! event of the same thread agree. Spans keep the number only (4 bytes, in what was padding
//! of their record); names are looked up when the transaction is sent, from a table of the
//! named threads that ran spans.

use std::cell::Cell;
use std::collections::HashMap;
use std::sync::{Mutex, OnceLock, PoisonError};

/// The number kept for a thread whose number does not fit (or cannot be read): none.
const UNKNOWN: u32 = u32::MAX;

/// Named threads kept at most (threads are not forgotten when they end: their spans may be
/// sent later); past that, new threads' spans carry their number without a name.
const MAX_NAMES: usize = 4096;

thread_local! {
    /// This thread's number; 0 until first asked.
    static THIS: Cell<u32> = const { Cell::new(0) };
}

fn names() -> &'static Mutex<HashMap<u32, Box<str>>> {
    static NAMES: OnceLock<Mutex<HashMap<u32, Box<str>>>> = OnceLock::new();
    NAMES.get_or_init(Default::default)
}

/// The number of the thread this runs on, or 0 when it cannot be known.
#[inline]
pub(crate) fn current() -> u32 {
    let n = THIS
        .try_with(|this| match this.get() {
            0 => {
                let n = first_look();
                this.set(n);
                n
            }
            n => n,
        })
        .unwrap_or(UNKNOWN);
    if n == UNKNOWN {
        0
    } else {
        n
    }
}

/// Reads this thread's number (from `ThreadId`'s `Debug`, `ThreadId(7)`: its value is not
/// public otherwise) and keeps its name.
#[cold]
fn first_look() -> u32 {
    let thread = std::thread::current();
    let id = format!("{:?}", thread.id());
    let number = id
        .strip_prefix("ThreadId(")
        .and_then(|n| n.strip_suffix(')'))
        .and_then(|n| n.parse::<u32>().ok())
        .filter(|n| *n != 0 && *n != UNKNOWN);
    let Some(number) = number else {
        return UNKNOWN;
    };
    if let Some(name) = thread.name() {
        let mut names = names().lock().unwrap_or_else(PoisonError::into_inner);
        if names.len() < MAX_NAMES {
            names.insert(number, name.into());
        }
    }
    number
}

/// The name of thread `number`, if it has one.
pub(crate) fn name(number: u32) -> Option<String> {
    let names = names().lock().unwrap_or_else(PoisonError::into_inner);
    names.get(&number).map(|n| n.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn threads_have_a_number_and_their_name() {
        let here = current();
        assert_ne!(here, 0);
        assert_eq!(here, current());
        let (there, name) = std::thread::Builder::new()
            .name("worker-7".into())
            .spawn(|| {
                let n = current();
                (n, name(n))
            })
            .unwrap()
            .join()
            .unwrap();
        assert_ne!(there, here);
        assert_eq!(name.as_deref(), Some("worker-7"));
        // Kept after the thread ended: its spans may be sent later.
        assert_eq!(super::name(there).as_deref(), Some("worker-7"));
        let unnamed = std::thread::spawn(current).join().unwrap();
        assert_eq!(super::name(unnamed), None);
    }
}
