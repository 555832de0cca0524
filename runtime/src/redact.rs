//! Redaction by construction: the stand-ins that `#[derive(Redact)]` and `#[vigil::sensitive]`
//! print and serialize instead of a secret, so it is never formatted in the first place.

use std::fmt::{Debug, Display};

use sentry::Hub;

use crate::scrub::rules::MAX_PARTIAL;
use crate::scrub::FILTERED;

/// Shown instead of a secret: `[Filtered]` in `Debug`, `"[Filtered]"` when serialized.
pub struct Filtered;

impl Debug for Filtered {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(FILTERED)
    }
}

impl serde::Serialize for Filtered {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(FILTERED)
    }
}

/// Keeps the last characters written, counting the rest: the whole secret is never held.
struct LastChars {
    keep: usize,
    tail: std::collections::VecDeque<char>,
    total: usize,
}

impl std::fmt::Write for LastChars {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        for c in s.chars() {
            self.total += 1;
            self.tail.push_back(c);
            if self.tail.len() > self.keep {
                self.tail.pop_front();
            }
        }
        Ok(())
    }
}

/// `************1111`: the last `n` characters of a value's `Display`, the rest as `*`
/// (at most 32 of them). A value no longer than `n` is hidden whole. `n` is at most 64 (the
/// macro refuses more; a larger one here keeps 64).
pub fn partial_mask<T: Display + ?Sized>(value: &T, keep: usize) -> String {
    use std::fmt::Write as _;
    let keep = keep.min(MAX_PARTIAL);
    let mut last = LastChars {
        keep,
        tail: std::collections::VecDeque::with_capacity(keep + 1),
        total: 0,
    };
    let _ = write!(last, "{value}");
    if last.total <= keep {
        return "*".repeat(last.total.clamp(1, 32));
    }
    let mut out = "*".repeat((last.total - keep).min(32));
    out.extend(last.tail);
    out
}

/// A field shown by its last `n` characters (`#[sensitive(partial = n)]`).
pub struct Partial<'a, T: ?Sized>(pub &'a T, pub usize);

impl<T: Display + ?Sized> Debug for Partial<'_, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&partial_mask(self.0, self.1))
    }
}

impl<T: Display + ?Sized> serde::Serialize for Partial<'_, T> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&partial_mask(self.0, self.1))
    }
}

/// A field shown through the user's mask function (`#[sensitive(with = f)]`).
pub struct Masked(pub String);

impl Debug for Masked {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl serde::Serialize for Masked {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

/// Whether the client in scope allows personal data (`send_default_pii`); `false` when none.
pub fn pii_allowed() -> bool {
    Hub::current()
        .client()
        .is_some_and(|c| c.options().send_default_pii)
}

/// Personal data (`#[sensitive(pii)]`): itself when `send_default_pii` is on, else the mask.
pub struct Pii<'a, T: ?Sized, M>(pub &'a T, pub M);

impl<T: Debug + ?Sized, M: Debug> Debug for Pii<'_, T, M> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if pii_allowed() {
            self.0.fmt(f)
        } else {
            self.1.fmt(f)
        }
    }
}

impl<T: serde::Serialize + ?Sized, M: serde::Serialize> serde::Serialize for Pii<'_, T, M> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if pii_allowed() {
            self.0.serialize(s)
        } else {
            self.1.serialize(s)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partial_masks_never_hold_more_than_the_bound() {
        assert_eq!(partial_mask("4111111111111111", 4), "************1111");
        assert_eq!(partial_mask("abc", 4), "***");
        assert_eq!(partial_mask("", 4), "*");
        // No `keep` can allocate without bound or panic.
        let long = "x".repeat(100);
        let masked = partial_mask(&long, usize::MAX);
        assert_eq!(masked, format!("{}{}", "*".repeat(32), "x".repeat(64)));
    }
}
