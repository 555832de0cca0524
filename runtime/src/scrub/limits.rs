//! Sentry's size limits, applied as trimming rather than rejection: strings, arrays, tags and
//! names are cut to what the server accepts, so one huge value does not cost the whole event.

use sentry::protocol::Map;

use super::rules;

/// Values nested deeper than this are replaced whole: nothing is sent that was not looked at.
pub(crate) const MAX_DEPTH: usize = 64;

/// Longest string sent (bytes); longer ones are cut at a character boundary and marked, so
/// a huge value is trimmed instead of the whole event being refused by the server (413).
pub(crate) const MAX_STRING: usize = 16 * 1024;

/// Most items sent of one array; the rest are dropped.
pub(crate) const MAX_ITEMS: usize = 1000;

/// What marks a cut string.
pub(super) const CUT: &str = "…[truncated]";

/// Cuts `text` to at most `max` bytes (at a character boundary), marking the cut.
pub(crate) fn truncate(text: &mut String, max: usize) {
    if text.len() <= max {
        return;
    }
    let mut end = max.saturating_sub(CUT.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text.truncate(end);
    text.push_str(CUT);
}

/// Sentry's tag rules: keys of at most 32 characters of `[A-Za-z0-9_.:-]`, values of at most
/// 200 characters without line breaks. Keys are mended (other characters become `_`), values
/// cut; nothing is dropped.
pub(super) fn sanitize_tags(tags: &mut Map<String, String>) {
    let needs_work = tags
        .iter()
        .any(|(k, v)| rules::tag_key_problem(k).is_some() || rules::tag_value_problem(v).is_some());
    if !needs_work {
        return;
    }
    let old = std::mem::take(tags);
    for (key, value) in old {
        let mut key: String = key
            .chars()
            .map(|c| if rules::is_tag_key_char(c) { c } else { '_' })
            .take(rules::MAX_TAG_KEY)
            .collect();
        if key.is_empty() {
            key.push('_');
        }
        let mut value: String = value.replace(['\n', '\r'], " ");
        if value.chars().count() > rules::MAX_TAG_VALUE {
            value = value.chars().take(rules::MAX_TAG_VALUE - 1).collect();
            value.push('…');
        }
        tags.insert(key, value);
    }
}

/// Sentry's limit for transaction names: 200 characters.
pub(super) fn limit_name(name: &mut Option<String>) {
    if let Some(name) = name {
        if name.chars().count() > 200 {
            *name = name.chars().take(199).collect();
            name.push('…');
        }
    }
}
