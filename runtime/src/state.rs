//! Process-wide state on the hot path: the one "is anything listening" flag, and a cheap
//! per-thread random source for span ids and sampling decisions.

use std::cell::Cell;
use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicUsize, Ordering};

/// How many things currently listen: initialised clients plus running `testing` captures.
static LISTENERS: AtomicUsize = AtomicUsize::new(0);

/// The one check every annotated call makes first: is anything listening (an initialised
/// client, a running `testing` capture)?
#[inline(always)]
pub fn enabled() -> bool {
    LISTENERS.load(Ordering::Relaxed) != 0
}

/// Whether what is sent is built and written on the caller's thread rather than vigil's
/// worker: the development spool, whose output belongs in order with the program's own.
static SEND_INLINE: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

pub(crate) fn set_send_inline(inline: bool) {
    SEND_INLINE.store(inline, Ordering::Relaxed);
}

pub(crate) fn send_inline() -> bool {
    SEND_INLINE.load(Ordering::Relaxed)
}

/// May vigil install its own `tracing` subscriber? (See `Config::tracing_subscriber`.)
static AUTO_SUBSCRIBER: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(true);

pub(crate) fn set_auto_subscriber(install: bool) {
    AUTO_SUBSCRIBER.store(install, Ordering::Relaxed);
}

pub(crate) fn auto_subscriber() -> bool {
    AUTO_SUBSCRIBER.load(Ordering::Relaxed)
}

/// The lowest level of a log record (a `tracing` event, a `log` record) that becomes an error
/// event, and the lowest that becomes a breadcrumb (see `Config::log_event_level`).
static LOG_LEVELS: std::sync::atomic::AtomicU16 = std::sync::atomic::AtomicU16::new(
    (level_rank(sentry::Level::Error) << 8) | level_rank(sentry::Level::Info),
);

const fn level_rank(level: sentry::Level) -> u16 {
    match level {
        sentry::Level::Debug => 1,
        sentry::Level::Info => 2,
        sentry::Level::Warning => 3,
        sentry::Level::Error => 4,
        sentry::Level::Fatal => 5,
    }
}

fn level_of_rank(rank: u16) -> sentry::Level {
    match rank {
        0 | 1 => sentry::Level::Debug,
        2 => sentry::Level::Info,
        3 => sentry::Level::Warning,
        4 => sentry::Level::Error,
        _ => sentry::Level::Fatal,
    }
}

pub(crate) fn set_log_levels(event: sentry::Level, breadcrumb: sentry::Level) {
    LOG_LEVELS.store(
        (level_rank(event) << 8) | level_rank(breadcrumb),
        Ordering::Relaxed,
    );
}

/// `(event, breadcrumb)`: see [`set_log_levels`].
pub(crate) fn log_levels() -> (sentry::Level, sentry::Level) {
    let both = LOG_LEVELS.load(Ordering::Relaxed);
    (level_of_rank(both >> 8), level_of_rank(both & 0xff))
}

/// Counts a listener while it lives.
#[derive(Debug)]
pub(crate) struct Listener(());

impl Listener {
    pub(crate) fn new() -> Self {
        LISTENERS.fetch_add(1, Ordering::Relaxed);
        Listener(())
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        LISTENERS.fetch_sub(1, Ordering::Relaxed);
    }
}

thread_local! {
    // Seeded on first use (0 = not yet): a const initialiser keeps every access check-free.
    static RNG: Cell<u64> = const { Cell::new(0) };
}

fn seed() -> u64 {
    let mut hasher = RandomState::new().build_hasher();
    hasher.write_u64(0x9e37_79b9_7f4a_7c15);
    hasher.finish() | 1
}

/// xorshift64*: plenty for span ids and sampling, a few instructions per call.
#[inline]
pub(crate) fn next_u64() -> u64 {
    RNG.try_with(|cell| {
        let mut x = cell.get();
        if x == 0 {
            x = seed();
        }
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        cell.set(x);
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    })
    .unwrap_or_else(|_| seed())
}

/// A non-zero span id.
#[inline]
pub(crate) fn span_id() -> u64 {
    next_u64() | 1
}

/// `true` with probability `rate`.
#[inline]
pub(crate) fn sample(rate: f32) -> bool {
    if rate >= 1.0 {
        true
    } else if rate <= 0.0 || rate.is_nan() {
        false
    } else {
        // 24 random bits are exactly representable in an f32.
        ((next_u64() >> 40) as f32 / (1u64 << 24) as f32) < rate
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sampling_follows_the_rate() {
        assert!((0..1000).all(|_| sample(1.0)));
        assert!((0..1000).all(|_| !sample(0.0)));
        assert!((0..1000).all(|_| !sample(f32::NAN)));
        let hits = (0..100_000).filter(|_| sample(0.25)).count();
        assert!((23_000..27_000).contains(&hits), "{hits}");
    }

    #[test]
    fn span_ids_are_nonzero_and_distinct() {
        let ids: std::collections::HashSet<u64> = (0..10_000).map(|_| span_id()).collect();
        assert_eq!(ids.len(), 10_000);
        assert!(!ids.contains(&0));
    }

    #[test]
    fn listeners_switch_enabled() {
        let before = LISTENERS.load(Ordering::Relaxed);
        let l = Listener::new();
        assert!(enabled());
        drop(l);
        assert_eq!(LISTENERS.load(Ordering::Relaxed), before);
    }
}
