//! The span clock: the CPU's time-stamp counter where it is reliable (a few ns a read), the
//! OS monotonic clock elsewhere. A transaction reads the wall clock once, at its start; its
//! spans' times are that plus counter deltas.

use std::sync::LazyLock;
use std::time::{Duration, SystemTime};

static CLOCK: LazyLock<quanta::Clock> = LazyLock::new(quanta::Clock::new);

/// The clock's raw reading now (ticks, not nanoseconds).
#[inline]
pub(crate) fn now_raw() -> u64 {
    CLOCK.raw()
}

/// Calibrates the span clock now rather than in the first transaction.
pub(crate) fn warm_up() {
    let _ = now_raw();
}

/// The wall-clock time of raw reading `raw`, given that `start_raw` was read at `start`.
pub(crate) fn at(start: SystemTime, start_raw: u64, raw: u64) -> SystemTime {
    start + CLOCK.delta(start_raw, raw.max(start_raw))
}

/// Span clock ticks in `d` (the inverse of `CLOCK.delta`), for spans timed elsewhere.
pub(crate) fn ticks(d: Duration) -> u64 {
    const SAMPLE: u64 = 1 << 32;
    static NANOS_PER_SAMPLE: LazyLock<u64> = LazyLock::new(|| {
        let start = now_raw();
        CLOCK
            .delta_as_nanos(start, start.wrapping_add(SAMPLE))
            .max(1)
    });
    let nanos = d.as_nanos();
    u64::try_from(nanos.saturating_mul(u128::from(SAMPLE)) / u128::from(*NANOS_PER_SAMPLE))
        .unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_measure_what_the_clock_measures() {
        let start = now_raw();
        let later = start.saturating_add(ticks(Duration::from_millis(250)));
        let t0 = SystemTime::UNIX_EPOCH;
        let elapsed = at(t0, start, later).duration_since(t0).unwrap();
        let off = elapsed.as_secs_f64() - 0.25;
        assert!(off.abs() < 0.01, "{elapsed:?}");
        assert_eq!(
            at(t0, start, start.saturating_sub(5)),
            t0,
            "never before the start"
        );
    }
}
