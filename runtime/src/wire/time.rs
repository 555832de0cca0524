//! Times as `sentry-types` writes them, without its `String`s: seconds since 1970
//! (`ts_seconds_float`) and RFC 3339 (`ts_rfc3339`, through the `time` crate), the latter from
//! a little calendar arithmetic on the stack.

use std::time::SystemTime;

/// A time as `sentry-types`' `ts_seconds_float` writes it.
pub(super) enum Seconds {
    Whole(u64),
    Fraction(f64),
}

pub(super) fn seconds(time: SystemTime) -> Option<Seconds> {
    let since = time.duration_since(SystemTime::UNIX_EPOCH).ok()?;
    Some(if since.subsec_nanos() == 0 {
        Seconds::Whole(since.as_secs())
    } else {
        Seconds::Fraction(since.as_secs_f64())
    })
}

/// RFC 3339 text, at most `YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ`, on the stack.
pub(super) struct Rfc3339 {
    bytes: [u8; 30],
    len: usize,
}

impl Rfc3339 {
    pub(super) fn as_str(&self) -> &str {
        // Only ASCII is written.
        std::str::from_utf8(&self.bytes[..self.len]).unwrap_or_default()
    }
}

/// A time as `sentry-types`' `ts_rfc3339` writes it (through the `time` crate's `Rfc3339`):
/// UTC, `Z`, the fraction of a second only when there is one, without its trailing zeros;
/// `None` before 1970 or after 9999, which it cannot write either.
pub(super) fn rfc3339(time: SystemTime) -> Option<Rfc3339> {
    /// `n`'s last decimal digits, as many as `slot` holds.
    fn digits(slot: &mut [u8], mut n: u64) {
        for digit in slot.iter_mut().rev() {
            // Below 10.
            *digit = b'0' + (n % 10) as u8;
            n /= 10;
        }
    }
    let since = time.duration_since(SystemTime::UNIX_EPOCH).ok()?;
    let secs = since.as_secs();
    let (year, month, day) = civil_from_days(secs / 86_400)?;
    if year > 9999 {
        return None;
    }
    let in_day = secs % 86_400;
    let mut bytes = *b"0000-00-00T00:00:00.000000000Z";
    digits(&mut bytes[0..4], year);
    digits(&mut bytes[5..7], month);
    digits(&mut bytes[8..10], day);
    digits(&mut bytes[11..13], in_day / 3600);
    digits(&mut bytes[14..16], in_day / 60 % 60);
    digits(&mut bytes[17..19], in_day % 60);
    let mut nanos = u64::from(since.subsec_nanos());
    let len = if nanos == 0 {
        bytes[19] = b'Z';
        20
    } else {
        let mut width = 9;
        while nanos % 10 == 0 {
            nanos /= 10;
            width -= 1;
        }
        digits(&mut bytes[20..20 + width], nanos);
        bytes[20 + width] = b'Z';
        21 + width
    };
    Some(Rfc3339 { bytes, len })
}

/// Year, month (1-12) and day (1-31) of the day `days` after 1970-01-01 (Howard Hinnant's
/// `civil_from_days`, for days on or after the epoch); `None` past what fits.
fn civil_from_days(days: u64) -> Option<(u64, u64, u64)> {
    let z = days.checked_add(719_468)?;
    let era = z / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = (yoe + era * 400).checked_add(u64::from(month <= 2))?;
    Some((year, month, day))
}

#[cfg(test)]
mod tests {
    use super::super::draw::Draw;
    use super::*;
    use sentry::protocol::Span;
    use std::time::Duration;

    #[test]
    fn a_time_is_written_as_sentry_types_writes_it_or_refused_as_it_refuses_it() {
        let theirs = |time: SystemTime| {
            let span = Span {
                timestamp: Some(time),
                start_timestamp: SystemTime::UNIX_EPOCH,
                ..Default::default()
            };
            serde_json::to_value(&span)
                .ok()
                .map(|v| v["timestamp"].as_str().unwrap().to_owned())
        };
        let ours = |time| rfc3339(time).map(|text| text.as_str().to_owned());
        let mut draw = Draw(0x9e37_79b9_7f4a_7c15);
        for _ in 0..5000 {
            let time = draw.time();
            assert_eq!(ours(time), theirs(time), "{time:?}");
        }
        let epoch = SystemTime::UNIX_EPOCH;
        for time in [
            epoch,
            epoch + Duration::new(951_782_400, 1), // 2000-02-29
            epoch + Duration::new(4_107_542_400, 10), // 2100-03-01
            epoch + Duration::new(253_402_300_800, 0), // 10000-01-01: refused
            epoch + Duration::new(u64::MAX / 2, 0),
            epoch - Duration::from_secs(1), // before 1970: refused
        ] {
            assert_eq!(ours(time), theirs(time), "{time:?}");
        }
        assert!(ours(epoch - Duration::from_secs(1)).is_none());
        assert!(ours(epoch + Duration::new(253_402_300_800, 0)).is_none());
    }
}
