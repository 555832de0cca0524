//! The one duplicate check: each option, tag or field of a macro is given at most once.

use proc_macro2::Span;

use super::Errors;

/// What repeats, which words the error.
#[derive(Clone, Copy)]
pub(crate) enum Repeat {
    /// An option of an attribute: "duplicate option `op`".
    Option,
    /// A key of `tags(...)`: "duplicate tag `component`".
    Tag,
    /// A `key = value` of a capture macro: "`user_id` is given twice".
    Field,
}

/// The names seen so far in one list.
pub(crate) struct Once {
    repeat: Repeat,
    seen: Vec<String>,
}

impl Once {
    pub(crate) fn new(repeat: Repeat) -> Self {
        Once {
            repeat,
            seen: Vec::new(),
        }
    }

    /// `true` the first time `name` comes; after that, reports it at `span` and is `false`.
    pub(crate) fn first(&mut self, errors: &mut Errors, name: &str, span: Span) -> bool {
        if self.seen.iter().any(|seen| seen == name) {
            let message = match self.repeat {
                Repeat::Option => format!("duplicate option `{name}`"),
                Repeat::Tag => format!("duplicate tag `{name}`"),
                Repeat::Field => format!("`{name}` is given twice"),
            };
            errors.push(span, message);
            false
        } else {
            self.seen.push(name.to_owned());
            true
        }
    }

    /// Was `name` given?
    pub(crate) fn contains(&self, name: &str) -> bool {
        self.seen.iter().any(|seen| seen == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_second_one_is_reported() {
        let mut errors = Errors::new();
        let mut once = Once::new(Repeat::Option);
        assert!(once.first(&mut errors, "op", Span::call_site()));
        assert!(once.first(&mut errors, "name", Span::call_site()));
        assert!(!once.first(&mut errors, "op", Span::call_site()));
        assert!(once.contains("name") && !once.contains("skip"));
        let error = errors.finish().unwrap_err();
        assert_eq!(error.to_string(), "duplicate option `op`");
    }
}
