//! A small deterministic generator (xorshift) for the wire tests' varied inputs, without a
//! dependency. Each test module adds what it draws (`impl Draw` in its own tests).

use std::time::{Duration, SystemTime};

pub(super) struct Draw(pub(super) u64);

impl Draw {
    pub(super) fn next(&mut self, below: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % below
    }

    /// Fewer than `most` of `pieces`, run together.
    pub(super) fn pieces(&mut self, pieces: &[&str], most: u64) -> String {
        (0..self.next(most))
            .map(|_| pieces[self.next(pieces.len() as u64) as usize])
            .collect()
    }

    /// A time from 1970 to the end of 9999, often on a whole second or with trailing zeros
    /// in its fraction.
    pub(super) fn time(&mut self) -> SystemTime {
        let secs = match self.next(4) {
            0 => self.next(253_402_300_800), // 1970 to the end of 9999
            1 => 253_402_300_799,            // 9999-12-31T23:59:59
            _ => 1_700_000_000 + self.next(100_000_000),
        };
        let nanos = match self.next(4) {
            0 => 0,
            1 => self.next(1000) as u32 * 1_000_000,
            2 => 999_999_999,
            _ => self.next(1_000_000_000) as u32,
        };
        SystemTime::UNIX_EPOCH + Duration::new(secs, nanos)
    }
}
