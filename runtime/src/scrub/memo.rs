//! What the built-in rules said of keys and short texts, remembered per thread: the same few
//! keys (header names, span data keys, context fields) and texts (span ops and descriptions,
//! header values, statuses) come back in every item the scrubber sees, and the rules cost a
//! few thousand instructions each (Relay's substrings, vigil's words and fragments, the text
//! detectors), a hash lookup a hundred or so.
//!
//! - keys: whether one names a secret ([`rules::is_sensitive_name`]) or personal data;
//! - texts: that one is clean (the detectors of secrets, and of personal data of given kinds,
//!   found nothing). Only clean texts are remembered: they are the common case, and what
//!   is found in the others is found again.

use std::cell::RefCell;
use std::collections::HashMap;

/// A fast hash for these small per-thread tables (SipHash cost more than the lookup it
/// saves). Bounded tables, so a crafted set of colliding keys slows a lookup by at most
/// [`MAX_TEXTS`] comparisons.
type Fast = foldhash::fast::RandomState;

use super::pii::Pii;
use super::{normalize, rules, PII_KEY_PARTS};

/// Keys remembered per thread at most; then they are all forgotten, and remembered anew.
const MAX_KEYS: usize = 512;
/// Longer keys are not remembered (they are rarely the same twice).
const MAX_KEY_LEN: usize = 64;
/// Clean texts remembered per thread at most, and the longest remembered.
const MAX_TEXTS: usize = 1024;
const MAX_TEXT_LEN: usize = 128;

thread_local! {
    static KNOWN: RefCell<HashMap<Box<str>, Kind, Fast>> = RefCell::new(HashMap::default());
    /// Clean texts, each with the checks it passed (see [`Checks`]).
    static CLEAN: RefCell<HashMap<Box<str>, u16, Fast>> = RefCell::new(HashMap::default());
}

/// Which checks a text passed: the detectors of secrets alone, or with those of personal
/// data of the kinds in a [`Pii`] (one bit each of its eight combinations).
#[derive(Clone, Copy)]
pub(crate) struct Checks(u16);

impl Checks {
    /// Secrets only (the user sends personal data).
    pub(crate) const SECRETS: Checks = Checks(1);

    /// Secrets, and personal data of the kinds in `kinds` (implies [`Checks::SECRETS`]).
    pub(crate) fn with_pii(kinds: Pii) -> Checks {
        // Every field named: a kind added to `Pii` must get its own bit here (or a verdict
        // of a weaker check would stand for a stricter one).
        let Pii {
            ips,
            emails,
            message,
        } = kinds;
        let index = usize::from(ips) | usize::from(emails) << 1 | usize::from(message) << 2;
        Checks(Checks::SECRETS.0 | 2 << index)
    }
}

/// Has `text` passed `checks` (on this thread, recently)?
pub(crate) fn is_clean(text: &str, checks: Checks) -> bool {
    text.len() <= MAX_TEXT_LEN
        && CLEAN
            .try_with(|clean| {
                clean.try_borrow().is_ok_and(|clean| {
                    clean
                        .get(text)
                        .is_some_and(|passed| passed & checks.0 == checks.0)
                })
            })
            .unwrap_or(false)
}

/// `text` passed `checks`: remember it.
pub(crate) fn passed(text: &str, checks: Checks) {
    if text.len() > MAX_TEXT_LEN {
        return;
    }
    let _ = CLEAN.try_with(|clean| {
        let Ok(mut clean) = clean.try_borrow_mut() else {
            return;
        };
        if let Some(passed) = clean.get_mut(text) {
            *passed |= checks.0;
            return;
        }
        if clean.len() >= MAX_TEXTS {
            clean.clear();
        }
        clean.insert(text.into(), checks.0);
    });
}

/// What a key names, by the rules that depend on nothing but the key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Kind {
    /// A secret ([`rules::is_sensitive_name`]).
    pub(crate) secret: bool,
    /// Personal data ([`PII_KEY_PARTS`] in the normalized key), filtered unless the user
    /// sends personal data.
    pub(crate) personal: bool,
}

fn classify(key: &str) -> Kind {
    Kind {
        secret: rules::is_sensitive_name(key),
        personal: {
            let normalized = normalize(key);
            PII_KEY_PARTS.iter().any(|p| normalized.contains(p))
        },
    }
}

/// What `key` names, remembered.
pub(crate) fn kind(key: &str) -> Kind {
    if key.len() > MAX_KEY_LEN {
        return classify(key);
    }
    KNOWN
        .try_with(|known| {
            let Ok(mut known) = known.try_borrow_mut() else {
                return classify(key);
            };
            if let Some(&kind) = known.get(key) {
                return kind;
            }
            let kind = classify(key);
            if known.len() >= MAX_KEYS {
                known.clear();
            }
            known.insert(key.into(), kind);
            kind
        })
        .unwrap_or_else(|_| classify(key))
}

/// [`rules::is_sensitive_name`], remembered.
pub(crate) fn is_sensitive_name(key: &str) -> bool {
    kind(key).secret
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remembered_answers_are_the_rules_answers() {
        let keys = [
            "password",
            "user_id",
            "X-Api-Key",
            "sessionId",
            "session:duration",
        ];
        for _ in 0..2 {
            for key in keys {
                assert_eq!(kind(key), classify(key), "{key}");
                assert_eq!(
                    is_sensitive_name(key),
                    rules::is_sensitive_name(key),
                    "{key}"
                );
            }
        }
        // Past the bound, everything is forgotten and still answered right.
        for i in 0..MAX_KEYS + 10 {
            let key = format!("field_{i}");
            assert_eq!(is_sensitive_name(&key), rules::is_sensitive_name(&key));
        }
        assert!(is_sensitive_name("password"));
        let long = format!("{}_token", "x".repeat(MAX_KEY_LEN));
        assert!(is_sensitive_name(&long));
    }

    #[test]
    fn a_text_is_clean_for_the_checks_it_passed() {
        let text = "GET /users/{id}";
        assert!(!is_clean(text, Checks::SECRETS));
        passed(text, Checks::SECRETS);
        assert!(is_clean(text, Checks::SECRETS));
        assert!(!is_clean(text, Checks::with_pii(Pii::DATA)));
        passed(text, Checks::with_pii(Pii::DATA));
        assert!(is_clean(text, Checks::with_pii(Pii::DATA)));
        assert!(!is_clean(text, Checks::with_pii(Pii::MESSAGE)));
        passed("other", Checks::with_pii(Pii::MESSAGE));
        assert!(is_clean("other", Checks::SECRETS));
        let long = "x".repeat(MAX_TEXT_LEN + 1);
        passed(&long, Checks::SECRETS);
        assert!(!is_clean(&long, Checks::SECRETS));
    }
}
