//! One rendered item: a heading line, then labelled fields (`tags`, `user`, ...) whose
//! values wrap under themselves, every line within the width.

use std::collections::BTreeMap;

use sentry::protocol::{Request, User};

use unicode_width::UnicodeWidthChar;

use super::text::{self, Line, Tone};

/// Indentation of the lines under a heading.
pub(super) const INDENT: usize = 2;
/// Columns of a field's label (`breadcrumbs` and a space).
pub(super) const LABEL: usize = 12;

/// The output of one item, with the view's width and colours.
pub(super) struct Block<'a> {
    pub(super) out: &'a mut String,
    pub(super) width: usize,
    pub(super) color: bool,
}

impl Block<'_> {
    /// A new line, styled per the view.
    pub(super) fn line(&self) -> Line {
        Line::new()
    }

    pub(super) fn push(&self, line: &mut Line, tone: Tone, text: &str) {
        line.push(self.color, tone, text);
    }

    pub(super) fn end(&mut self, line: Line) {
        line.finish(self.out);
    }

    /// The heading: `KIND` in `tone`, then the `parts` (text and tone), wrapped under the
    /// first part.
    pub(super) fn heading(&mut self, kind: &str, tone: Tone, parts: &[(Tone, &str)]) {
        let mut first = self.line();
        self.push(&mut first, tone, kind);
        first.push(self.color, Tone::Plain, " ");
        let hang = first.width();
        self.flow(first, hang, parts);
    }

    /// A field: `label`, then `value` in `tone`, wrapped under itself.
    pub(super) fn field(&mut self, label: &str, tone: Tone, value: &str) {
        let mut first = self.line();
        first.pad(INDENT);
        self.push(&mut first, Tone::Dim, label);
        first.pad(INDENT + LABEL);
        self.flow(first, INDENT + LABEL, &[(tone, value)]);
    }

    /// Lays out `parts` word by word after `first`, continuing lines at column `hang`, no line
    /// past the width (a word longer than a line is cut).
    pub(super) fn flow(&mut self, first: Line, hang: usize, parts: &[(Tone, &str)]) {
        let width = self.width.max(hang + 8);
        let mut line = first;
        let mut fresh = true; // nothing but the lead on this line yet
        let mut need_space = false;
        for (tone, part) in parts {
            for word in text::one_line(part).split(' ') {
                let gap = usize::from(need_space);
                if !fresh && line.width() + gap + text::width(word) > width {
                    self.end(std::mem::replace(&mut line, Line::new()));
                    line.pad(hang);
                } else if need_space && !fresh {
                    line.push(self.color, Tone::Plain, " ");
                }
                let mut rest = word.to_owned();
                while line.width() + text::width(&rest) > width {
                    let room = width - line.width();
                    let (head, tail) = split_at_width(&rest, room);
                    line.push_scrubbed(self.color, *tone, &head);
                    self.end(std::mem::replace(&mut line, Line::new()));
                    line.pad(hang);
                    rest = tail;
                }
                line.push_scrubbed(self.color, *tone, &rest);
                fresh = false;
                need_space = true;
            }
        }
        self.end(line);
    }

    /// A field of `key=value` pairs, two spaces apart, wrapped between pairs; each value is cut
    /// to `max_value` columns.
    pub(super) fn pairs<'p>(
        &mut self,
        label: &str,
        pairs: impl IntoIterator<Item = (&'p str, String)>,
        max_value: usize,
    ) {
        let room = self.width.saturating_sub(INDENT + LABEL).max(8);
        // A label of the data's own (a context's name) may be long: it keeps half the room.
        let label = text::truncate(&text::one_line(label), LABEL + room / 2);
        let mut line: Option<Line> = None;
        let mut first = true;
        for (key, value) in pairs {
            let key = text::one_line(key);
            let value = text::truncate(&text::one_line(&value), max_value);
            let pair_width = text::width(&key) + 1 + text::width(&value);
            if let Some(current) = &line {
                if current.width() + 2 + pair_width > INDENT + LABEL + room {
                    self.end(line.take().unwrap_or_default());
                }
            }
            let current = line.get_or_insert_with(|| {
                let mut l = Line::new();
                l.pad(INDENT);
                if std::mem::take(&mut first) {
                    l.push(self.color, Tone::Dim, &label);
                }
                l.pad(INDENT + LABEL);
                l
            });
            if current.width() > INDENT + LABEL {
                current.push(self.color, Tone::Plain, "  ");
            }
            // A pair longer than the room is cut: a line never passes the width.
            let fit = (INDENT + LABEL + room).saturating_sub(current.width());
            let key = text::truncate(&key, fit.saturating_sub(2).max(1));
            current.push(self.color, Tone::Dim, &key);
            current.push(self.color, Tone::Dim, "=");
            let fit = (INDENT + LABEL + room).saturating_sub(current.width());
            current.push_scrubbed(self.color, Tone::Plain, &text::truncate(&value, fit));
        }
        if let Some(line) = line {
            self.end(line);
        }
    }

    /// `tags`, sorted.
    pub(super) fn tags(&mut self, tags: &BTreeMap<String, String>) {
        if !tags.is_empty() {
            self.pairs(
                "tags",
                tags.iter().map(|(k, v)| (k.as_str(), v.clone())),
                60,
            );
        }
    }

    /// Arbitrary data (`extra`, a span's `data`), values as short JSON.
    pub(super) fn data(&mut self, label: &str, data: &BTreeMap<String, serde_json::Value>) {
        if !data.is_empty() {
            let pairs = data.iter().map(|(k, v)| (k.as_str(), text::value(v, 60)));
            self.pairs(label, pairs, 60);
        }
    }

    /// The user: id, username, email, IP address, then anything else.
    pub(super) fn user(&mut self, user: Option<&User>) {
        let Some(user) = user else { return };
        let mut pairs: Vec<(&str, String)> = Vec::new();
        if let Some(id) = &user.id {
            pairs.push(("id", id.clone()));
        }
        if let Some(name) = &user.username {
            pairs.push(("username", name.clone()));
        }
        if let Some(email) = &user.email {
            pairs.push(("email", email.clone()));
        }
        if let Some(ip) = &user.ip_address {
            pairs.push(("ip_address", ip.to_string()));
        }
        for (k, v) in &user.other {
            pairs.push((k.as_str(), text::value(v, 60)));
        }
        if !pairs.is_empty() {
            self.pairs("user", pairs, 60);
        }
    }

    /// The request line: method and URL (query string included).
    pub(super) fn request(&mut self, request: Option<&Request>) {
        let Some(request) = request else { return };
        let mut line = String::new();
        if let Some(method) = &request.method {
            line.push_str(method);
        }
        if let Some(url) = &request.url {
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(url.as_str());
            if let (None, Some(q)) = (url.query(), &request.query_string) {
                line.push('?');
                line.push_str(q);
            }
        }
        if !request.headers.is_empty() {
            let n = request.headers.len();
            line.push_str(&format!(" ({n} header{})", if n == 1 { "" } else { "s" }));
        }
        if !line.is_empty() {
            self.field("request", Tone::Plain, &line);
        }
    }

    /// Where `[Filtered]` replaced something in `item`.
    pub(super) fn filtered(&mut self, item: &impl serde::Serialize) {
        const SHOWN: usize = 8;
        let paths = super::filtered::paths(item);
        if paths.is_empty() {
            return;
        }
        let mut list = paths
            .iter()
            .take(SHOWN)
            .map(String::as_str)
            .collect::<Vec<_>>()
            .join(", ");
        if paths.len() > SHOWN {
            list.push_str(&format!(" and {} more", paths.len() - SHOWN));
        }
        self.field("filtered", Tone::Filtered, &list);
    }
}

/// `word` split after at most `room` columns (at least one character goes first).
fn split_at_width(word: &str, room: usize) -> (String, String) {
    let mut used = 0;
    for (at, c) in word.char_indices() {
        let w = c.width().unwrap_or(0);
        if used + w > room && at > 0 {
            return (word[..at].to_owned(), word[at..].to_owned());
        }
        used += w;
    }
    (word.to_owned(), String::new())
}
