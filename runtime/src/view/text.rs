//! The view's text: display widths, truncation and wrapping, styles (painted only when the
//! view has colours), durations and clock times.

use std::fmt::Write as _;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anstyle::{AnsiColor, Style};
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

/// What a piece of text is, which picks its style.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Tone {
    /// Plain text.
    Plain,
    /// Headings: an item's kind and name.
    Strong,
    /// Labels and details that matter less (ids, times, keys).
    Dim,
    /// An operation (`db.query`).
    Op,
    /// Something went wrong: errors, failed spans.
    Bad,
    /// A warning.
    Warn,
    /// All is well: `ok` spans, their bars.
    Good,
    /// Informational levels.
    Info,
    /// `[Filtered]`, where the scrubber replaced something.
    Filtered,
}

impl Tone {
    fn style(self) -> Style {
        let fg = |c: AnsiColor| Style::new().fg_color(Some(c.into()));
        match self {
            Tone::Plain => Style::new(),
            Tone::Strong => Style::new().bold(),
            Tone::Dim => Style::new().dimmed(),
            Tone::Op => fg(AnsiColor::Cyan),
            Tone::Bad => fg(AnsiColor::Red).bold(),
            Tone::Warn => fg(AnsiColor::Yellow).bold(),
            Tone::Good => fg(AnsiColor::Green),
            Tone::Info => fg(AnsiColor::Blue).bold(),
            Tone::Filtered => fg(AnsiColor::Magenta),
        }
    }
}

/// A line being built: its text (styled or not) and its display width.
#[derive(Default)]
pub(super) struct Line {
    text: String,
    width: usize,
}

impl Line {
    pub(super) fn new() -> Self {
        Line::default()
    }

    pub(super) fn width(&self) -> usize {
        self.width
    }

    /// Appends `text` in `tone` (styled only when `color`).
    pub(super) fn push(&mut self, color: bool, tone: Tone, text: &str) -> &mut Self {
        self.width += width(text);
        if color && tone != Tone::Plain && !text.is_empty() {
            let style = tone.style();
            let _ = write!(
                self.text,
                "{}{text}{}",
                style.render(),
                style.render_reset()
            );
        } else {
            self.text.push_str(text);
        }
        self
    }

    /// Appends `text`, with every `[Filtered]` in it in the filtered tone.
    pub(super) fn push_scrubbed(&mut self, color: bool, tone: Tone, text: &str) -> &mut Self {
        let mut rest = text;
        while let Some(at) = rest.find(FILTERED) {
            self.push(color, tone, &rest[..at]);
            self.push(color, Tone::Filtered, FILTERED);
            rest = &rest[at + FILTERED.len()..];
        }
        self.push(color, tone, rest)
    }

    /// Pads with spaces up to `to` columns.
    pub(super) fn pad(&mut self, to: usize) -> &mut Self {
        while self.width < to {
            self.text.push(' ');
            self.width += 1;
        }
        self
    }

    pub(super) fn finish(self, out: &mut String) {
        out.push_str(self.text.trim_end_matches(' '));
        out.push('\n');
    }
}

/// The placeholder the scrubber leaves where it removed something.
pub(super) const FILTERED: &str = "[Filtered]";

/// The display width of `text` in a terminal (wide characters count two, controls none).
pub(super) fn width(text: &str) -> usize {
    UnicodeWidthStr::width(text)
}

/// `text` on one line: line breaks and tabs become spaces, other control characters go.
pub(super) fn one_line(text: &str) -> String {
    text.chars()
        .filter_map(|c| match c {
            '\n' | '\r' | '\t' => Some(' '),
            c if c.is_control() => None,
            c => Some(c),
        })
        .collect()
}

/// `text` cut to at most `max` columns, ending in `…` when cut.
pub(super) fn truncate(text: &str, max: usize) -> String {
    if width(text) <= max {
        return text.to_owned();
    }
    if max == 0 {
        return String::new();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in text.chars() {
        let w = c.width().unwrap_or(0);
        if used + w > max - 1 {
            break;
        }
        out.push(c);
        used += w;
    }
    out.push('…');
    out
}

/// A duration as people read it: `300ns`, `840µs`, `12.3ms`, `1.25s`, `2m05s`.
pub(super) fn duration(d: Duration) -> String {
    let micros = d.as_micros();
    if micros == 0 {
        format!("{}ns", d.as_nanos())
    } else if micros < 1_000 {
        format!("{micros}µs")
    } else if micros < 1_000_000 {
        format!("{:.1}ms", d.as_secs_f64() * 1e3)
    } else if d.as_secs() < 60 {
        format!("{:.2}s", d.as_secs_f64())
    } else {
        format!("{}m{:02}s", d.as_secs() / 60, d.as_secs() % 60)
    }
}

/// Seconds (as in check-ins and sessions) as a duration.
pub(super) fn seconds(secs: f64) -> String {
    if secs.is_finite() && secs >= 0.0 {
        duration(Duration::from_secs_f64(secs.min(1e9)))
    } else {
        format!("{secs}s")
    }
}

/// The time of day, in UTC, to the millisecond: `04:16:50.193`.
pub(super) fn clock(at: SystemTime) -> String {
    let since = at.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = since.as_secs() % 86_400;
    format!(
        "{:02}:{:02}:{:02}.{:03}",
        secs / 3600,
        secs / 60 % 60,
        secs % 60,
        since.subsec_millis()
    )
}

/// A JSON value as a short text: strings bare, everything else as compact JSON, cut to
/// `max` columns.
pub(super) fn value(value: &serde_json::Value, max: usize) -> String {
    let text = match value {
        serde_json::Value::String(s) => one_line(s),
        other => other.to_string(),
    };
    truncate(&text, max)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncation_counts_columns_not_bytes() {
        assert_eq!(truncate("abcdef", 6), "abcdef");
        assert_eq!(truncate("abcdef", 4), "abc…");
        assert_eq!(truncate("日本語テキスト", 7), "日本語…");
        assert_eq!(width(&truncate("日本語テキスト", 6)), 5);
        assert_eq!(truncate("abc", 0), "");
    }

    #[test]
    fn durations_and_clock_times() {
        assert_eq!(duration(Duration::from_nanos(300)), "300ns");
        assert_eq!(duration(Duration::from_micros(840)), "840µs");
        assert_eq!(duration(Duration::from_micros(12_345)), "12.3ms");
        assert_eq!(duration(Duration::from_millis(1_250)), "1.25s");
        assert_eq!(duration(Duration::from_secs(125)), "2m05s");
        let at = UNIX_EPOCH + Duration::from_millis(1_796_012_210_193);
        assert_eq!(clock(at), "04:16:50.193");
    }

    #[test]
    fn styles_only_with_colours() {
        let mut plain = Line::new();
        plain
            .push(false, Tone::Bad, "x")
            .push_scrubbed(false, Tone::Plain, "a=[Filtered]");
        assert_eq!(plain.text, "xa=[Filtered]");
        assert_eq!(plain.width(), 13);
        let mut styled = Line::new();
        styled.push(true, Tone::Bad, "x");
        assert!(styled.text.contains('\u{1b}'));
        assert_eq!(styled.width(), 1);
    }
}
