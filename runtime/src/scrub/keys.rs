//! Whether a key names a secret ([`rules::is_sensitive_name`]) or personal data, remembered
//! per thread: the same few keys (header names, span data keys, context fields) come back in
//! every item the scrubber sees, and the rules cost a few thousand instructions a key
//! (Relay's substrings, vigil's words and fragments), a hash lookup a hundred or so.

use std::cell::RefCell;
use std::collections::HashMap;

use super::{normalize, rules, PII_KEY_PARTS};

/// Keys remembered per thread at most; then they are all forgotten, and remembered anew.
const MAX_KEYS: usize = 512;
/// Longer keys are not remembered (they are rarely the same twice).
const MAX_KEY_LEN: usize = 64;

thread_local! {
    static KNOWN: RefCell<HashMap<Box<str>, Kind>> = RefCell::new(HashMap::new());
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
}
