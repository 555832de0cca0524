//! What vigil would send, as a person reads it: the view behind `VIGIL_SPOOL=pretty` and
//! [`Captured`](crate::testing::Captured)'s `Display`.
//!
//! [`Pretty`] renders an envelope the way the Sentry UI shows its items: a transaction as a
//! waterfall of its spans, an error with its chain of causes, the frame that raised it, its
//! tags, user, request and last breadcrumbs, and the places where the scrubber put
//! `[Filtered]`; check-ins, sessions, logs and client reports on one line each. It reads
//! what is sent and never changes it.
//!
//! ```
//! # use vigil_runtime as vigil;
//! let captured = vigil::testing::capture(|| {
//!     let tx = vigil::start_transaction("nightly_report", "task");
//!     let span = tx.start_child("db.query", "SELECT count(*) FROM orders");
//!     span.finish();
//! });
//! let text = vigil::view::Pretty::new().render(&captured.envelopes[0]);
//! assert!(text.starts_with("TRANSACTION nightly_report · task · ok · "));
//! assert!(text.contains("└─ SELECT count(*) FROM orders"));
//! ```

mod block;
mod event;
mod filtered;
mod oneline;
mod text;
mod tree;

use std::io::IsTerminal;

use sentry::protocol::{Envelope, EnvelopeItem};

use block::Block;

/// The width of the view where none is known (not a terminal).
const DEFAULT_WIDTH: usize = 100;
/// The narrowest view laid out; narrower requests get this.
const MIN_WIDTH: usize = 40;

/// The readable view of envelopes: how wide, and whether in colour.
///
/// [`Pretty::new`] is plain text 100 columns wide, the same everywhere (for tests and
/// files); [`Pretty::for_stderr`] is what the `pretty` spool uses: the terminal's width and
/// colours when standard error is a terminal, honouring `NO_COLOR`.
///
/// ```
/// # use vigil_runtime as vigil;
/// # use vigil::__private::{EventBuilder, Level};
/// let captured = vigil::testing::capture(|| {
///     EventBuilder::message("disk almost full", Level::Warning).capture();
/// });
/// let view = vigil::view::Pretty::new().width(60);
/// let text = view.render(&captured.envelopes[0]);
/// assert!(text.starts_with("WARNING disk almost full"));
/// assert!(text.lines().all(|line| line.chars().count() <= 60));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pretty {
    width: usize,
    color: bool,
}

impl Default for Pretty {
    fn default() -> Self {
        Pretty::new()
    }
}

impl Pretty {
    /// Plain text (no colours), 100 columns wide.
    ///
    /// ```
    /// # use vigil_runtime as vigil;
    /// let view = vigil::view::Pretty::new();
    /// assert_eq!(view, vigil::view::Pretty::new().width(100).color(false));
    /// ```
    pub const fn new() -> Self {
        Pretty {
            width: DEFAULT_WIDTH,
            color: false,
        }
    }

    /// The view for standard error: as wide as the terminal, in colour when standard error
    /// is a terminal and the environment allows it (`NO_COLOR` set: never; `CLICOLOR_FORCE`
    /// set: always; `CLICOLOR=0` or `TERM=dumb`: never). Not a terminal: plain, 100 columns.
    ///
    /// ```
    /// # use vigil_runtime as vigil;
    /// let captured = vigil::testing::capture(|| {
    ///     let _tx = vigil::start_transaction("job", "task");
    /// });
    /// eprint!("{}", vigil::view::Pretty::for_stderr().render(&captured.envelopes[0]));
    /// ```
    pub fn for_stderr() -> Self {
        let stderr = std::io::stderr();
        let terminal = stderr.is_terminal();
        let width = terminal_size::terminal_size_of(&stderr)
            .map(|(w, _)| usize::from(w.0))
            .filter(|w| *w > 0)
            .unwrap_or(DEFAULT_WIDTH);
        let env = ColorEnv {
            no_color: anstyle_query::no_color(),
            force: anstyle_query::clicolor_force(),
            clicolor: anstyle_query::clicolor(),
            term_supports_color: anstyle_query::term_supports_color(),
        };
        let color = env.allows(terminal);
        #[cfg(windows)]
        let color = color && anstyle_query::windows::enable_ansi_colors().unwrap_or(false);
        Pretty::new().width(width).color(color)
    }

    /// Lays the view out in `columns` (at least 40); no line of a transaction's tree is
    /// wider, and other lines wrap to it.
    ///
    /// ```
    /// # use vigil_runtime as vigil;
    /// use vigil::view::Pretty;
    /// assert_ne!(Pretty::new().width(120), Pretty::new());
    /// assert_eq!(Pretty::new().width(10), Pretty::new().width(40));
    /// ```
    #[must_use]
    pub const fn width(mut self, columns: usize) -> Self {
        self.width = if columns < MIN_WIDTH {
            MIN_WIDTH
        } else {
            columns
        };
        self
    }

    /// Paints the view with ANSI colours, or not.
    ///
    /// ```
    /// # use vigil_runtime as vigil;
    /// # use vigil::__private::{EventBuilder, Level};
    /// let captured = vigil::testing::capture(|| {
    ///     EventBuilder::message("disk almost full", Level::Warning).capture();
    /// });
    /// let text = vigil::view::Pretty::new().color(true).render(&captured.envelopes[0]);
    /// assert!(text.starts_with("\u{1b}[")); // an ANSI escape sequence
    /// ```
    #[must_use]
    pub const fn color(mut self, color: bool) -> Self {
        self.color = color;
        self
    }

    /// Renders every item of `envelope`, in order, each ending in a newline.
    ///
    /// ```
    /// # use vigil_runtime as vigil;
    /// let captured = vigil::testing::capture(|| {
    ///     let _tx = vigil::start_transaction("job", "task");
    /// });
    /// let text = vigil::view::Pretty::new().render(&captured.envelopes[0]);
    /// assert!(text.starts_with("TRANSACTION job · task · ok"));
    /// ```
    pub fn render(&self, envelope: &Envelope) -> String {
        let mut out = String::new();
        self.render_into(&mut out, envelope);
        out
    }

    /// Renders `envelope` at the end of `out`.
    pub(crate) fn render_into(&self, out: &mut String, envelope: &Envelope) {
        let mut block = Block {
            out,
            width: self.width,
            color: self.color,
        };
        // An envelope vigil wrote as bytes (a check-in with the fields the `sentry` crate's
        // type lacks, `monitor::complete`) lists no items: read them back from its bytes.
        let parsed;
        let envelope = if envelope.items().next().is_none() {
            let mut bytes = Vec::new();
            parsed = envelope
                .to_writer(&mut bytes)
                .ok()
                .and_then(|()| Envelope::from_slice(&bytes).ok());
            parsed.as_ref().unwrap_or(envelope)
        } else {
            envelope
        };
        for item in envelope.items() {
            match item {
                EnvelopeItem::Event(e) => event::render(&mut block, e),
                EnvelopeItem::Transaction(t) => tree::render(&mut block, t),
                EnvelopeItem::MonitorCheckIn(c) => oneline::check_in(&mut block, c),
                EnvelopeItem::SessionUpdate(s) => oneline::session(&mut block, s),
                EnvelopeItem::SessionAggregates(s) => oneline::session(&mut block, s),
                EnvelopeItem::ClientReport(r) => oneline::client_report(&mut block, r),
                EnvelopeItem::ItemContainer(c) => oneline::container(&mut block, c),
                EnvelopeItem::Attachment(a) => oneline::attachment(&mut block, a),
                EnvelopeItem::Raw => oneline::other(&mut block, "raw"),
                _ => oneline::other(&mut block, "of a kind this view does not know"),
            }
        }
    }
}

/// What the environment says about colours (the conventions of no-color.org and CLICOLOR).
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct ColorEnv {
    /// `NO_COLOR` is set (and not empty).
    pub(crate) no_color: bool,
    /// `CLICOLOR_FORCE` is set (and not `0`).
    pub(crate) force: bool,
    /// `CLICOLOR`: `Some(false)` for `0`.
    pub(crate) clicolor: Option<bool>,
    /// `TERM` is not `dumb`.
    pub(crate) term_supports_color: bool,
}

impl ColorEnv {
    /// Whether to paint on a stream that is (or is not) a terminal: `NO_COLOR` wins over
    /// everything, `CLICOLOR_FORCE` over the rest; otherwise only on a terminal that
    /// supports colours and was not told `CLICOLOR=0`.
    pub(crate) fn allows(self, terminal: bool) -> bool {
        if self.no_color {
            return false;
        }
        if self.force {
            return true;
        }
        terminal && self.clicolor != Some(false) && self.term_supports_color
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colour_conventions() {
        let term = ColorEnv {
            term_supports_color: true,
            ..ColorEnv::default()
        };
        assert!(term.allows(true));
        assert!(!term.allows(false), "not a terminal: no colours");
        let no_color = ColorEnv {
            no_color: true,
            force: true,
            ..term
        };
        assert!(!no_color.allows(true), "NO_COLOR wins");
        let forced = ColorEnv {
            force: true,
            ..ColorEnv::default()
        };
        assert!(forced.allows(false));
        let off = ColorEnv {
            clicolor: Some(false),
            ..term
        };
        assert!(!off.allows(true));
        let dumb = ColorEnv::default();
        assert!(!dumb.allows(true), "TERM=dumb");
    }
}
