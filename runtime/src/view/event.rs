//! An error or message event as the Sentry UI shows it: level and title, the chain of
//! causes, the culprit and the frames that raised it, then tags, user, request, the last
//! breadcrumbs and where the scrubber filtered something.

use sentry::protocol::{Context, Event, Frame, Level, Stacktrace};

use super::block::{Block, INDENT, LABEL};
use super::text::{self, Tone};

/// Breadcrumbs shown: the last ones, as the Sentry UI lists them first.
const BREADCRUMBS: usize = 3;
/// Frames of the application shown, the most recent first.
const FRAMES: usize = 3;
/// Contexts every event carries, which say nothing about this one.
const ROUTINE_CONTEXTS: &[&str] = &[
    "app", "browser", "device", "gpu", "os", "runtime", "rust", "trace", "culture", "profile",
];

pub(super) fn render(block: &mut Block<'_>, event: &Event<'static>) {
    heading(block, event);
    causes(block, event);
    if let Some(culprit) = event.culprit.as_deref().filter(|c| !c.is_empty()) {
        block.field("culprit", Tone::Plain, culprit);
    }
    frames(block, event);
    let fingerprint = &event.fingerprint;
    let default =
        fingerprint.is_empty() || (fingerprint.len() == 1 && fingerprint[0] == "{{ default }}");
    if !default {
        block.field("fingerprint", Tone::Plain, &fingerprint.join(", "));
    }
    trace(block, event);
    block.tags(&event.tags);
    block.user(event.user.as_ref());
    block.request(event.request.as_ref());
    block.data("extra", &event.extra);
    contexts(block, event);
    breadcrumbs(block, event);
    block.filtered(event);
    footer(block, event);
}

/// The title Sentry gives the event: the outermost exception (`Type: value`), else the
/// message.
pub(super) fn title(event: &Event<'static>) -> String {
    if let Some(exception) = event.exception.values.last() {
        return match exception.value.as_deref().filter(|v| !v.is_empty()) {
            Some(value) => format!("{}: {}", exception.ty, value),
            None => exception.ty.clone(),
        };
    }
    if let Some(message) = event.message.as_deref().filter(|m| !m.is_empty()) {
        return message.to_owned();
    }
    if let Some(entry) = &event.logentry {
        return entry.message.clone();
    }
    "<unlabeled event>".to_owned()
}

fn level(level: Level) -> (&'static str, Tone) {
    match level {
        Level::Fatal => ("FATAL", Tone::Bad),
        Level::Error => ("ERROR", Tone::Bad),
        Level::Warning => ("WARNING", Tone::Warn),
        Level::Info => ("INFO", Tone::Info),
        Level::Debug => ("DEBUG", Tone::Dim),
    }
}

fn heading(block: &mut Block<'_>, event: &Event<'static>) {
    let (word, tone) = level(event.level);
    let title = title(event);
    let unhandled = event
        .exception
        .values
        .last()
        .and_then(|e| e.mechanism.as_ref())
        .is_some_and(|m| m.handled == Some(false));
    let mut parts = vec![(Tone::Strong, title.as_str())];
    if unhandled {
        parts.push((tone, "(unhandled)"));
    }
    block.heading(word, tone, &parts);
}

/// The causes, from the outermost inwards (Sentry lists the exceptions innermost first).
fn causes(block: &mut Block<'_>, event: &Event<'static>) {
    let values = &event.exception.values;
    for cause in values.iter().rev().skip(1) {
        let text = match cause.value.as_deref().filter(|v| !v.is_empty()) {
            Some(value) => format!("{}: {}", cause.ty, value),
            None => cause.ty.clone(),
        };
        block.field("caused by", Tone::Plain, &text);
    }
}

/// The most recent frames of the application: where the error was raised.
fn frames(block: &mut Block<'_>, event: &Event<'static>) {
    let stacktrace = event
        .exception
        .values
        .iter()
        .rev()
        .find_map(|e| e.stacktrace.as_ref())
        .or(event.stacktrace.as_ref())
        .or_else(|| {
            let threads = &event.threads.values;
            threads
                .iter()
                .find(|t| t.crashed)
                .or_else(|| threads.iter().find(|t| t.current))
                .and_then(|t| t.stacktrace.as_ref())
        });
    let Some(stacktrace) = stacktrace else { return };
    let app: Vec<&Frame> = app_frames(stacktrace).take(FRAMES).collect();
    let total = stacktrace.frames.len();
    for (i, frame) in app.iter().enumerate() {
        let label = if i == 0 { "at" } else { "" };
        let function = frame.function.as_deref().unwrap_or("<unknown>");
        let mut first = block.line();
        first.pad(INDENT);
        block.push(&mut first, Tone::Dim, label);
        first.pad(INDENT + LABEL);
        let place = location(frame);
        let mut parts = vec![(Tone::Strong, function)];
        if let Some(place) = &place {
            parts.push((Tone::Dim, place.as_str()));
        }
        block.flow(first, INDENT + LABEL + 2, &parts);
    }
    if app.is_empty() && total > 0 {
        block.field(
            "at",
            Tone::Dim,
            &format!("{total} frames, none in the application"),
        );
    }
}

/// The frames marked in-app, most recent first, leaving out the machinery of panics, the
/// standard library and the SDK, which the `sentry` crate sometimes marks in-app too.
fn app_frames(stacktrace: &Stacktrace) -> impl Iterator<Item = &Frame> {
    const MACHINERY: &[&str] = &[
        "std::",
        "core::",
        "alloc::",
        "sentry",
        "vigil_runtime::",
        "__rust",
        "rust_begin_unwind",
    ];
    stacktrace.frames.iter().rev().filter(|frame| {
        let function = frame.function.as_deref().unwrap_or("");
        let function = function.trim_start_matches('<');
        let package = frame.package.as_deref().unwrap_or("");
        frame.in_app == Some(true)
            && frame.lineno.is_some()
            && !MACHINERY
                .iter()
                .any(|m| function.starts_with(m) || package.starts_with(m))
    })
}

/// `(src/main.rs:12)`: the path relative to the working directory when it is under it.
fn location(frame: &Frame) -> Option<String> {
    let path = frame.abs_path.as_deref().or(frame.filename.as_deref())?;
    let cwd = std::env::current_dir().ok();
    let relative = cwd
        .as_deref()
        .and_then(|cwd| std::path::Path::new(path).strip_prefix(cwd).ok())
        .map(|p| p.display().to_string());
    let path = relative.as_deref().unwrap_or(path);
    Some(match frame.lineno {
        Some(line) => format!("({path}:{line})"),
        None => format!("({path})"),
    })
}

fn trace(block: &mut Block<'_>, event: &Event<'static>) {
    let trace_id = match event.contexts.get("trace") {
        Some(Context::Trace(trace)) => trace.trace_id.to_string(),
        _ => return,
    };
    let text = match &event.transaction {
        Some(transaction) => format!("{trace_id} (transaction {transaction})"),
        None => trace_id,
    };
    block.field("trace", Tone::Dim, &text);
}

/// The contexts that are particular to this event (a database error's `db`, feature
/// `flags`, your own), one line each.
fn contexts(block: &mut Block<'_>, event: &Event<'static>) {
    for (name, context) in &event.contexts {
        if ROUTINE_CONTEXTS.contains(&name.as_str()) {
            continue;
        }
        let Ok(serde_json::Value::Object(fields)) = serde_json::to_value(context) else {
            continue;
        };
        let pairs = fields
            .iter()
            .filter(|(k, _)| k.as_str() != "type")
            .map(|(k, v)| (k.as_str(), text::value(v, 80)));
        block.pairs(name, pairs, 80);
    }
}

fn breadcrumbs(block: &mut Block<'_>, event: &Event<'static>) {
    let crumbs = &event.breadcrumbs.values;
    if crumbs.is_empty() {
        return;
    }
    let shown = &crumbs[crumbs.len().saturating_sub(BREADCRUMBS)..];
    let label = if shown.len() < crumbs.len() {
        format!("last {} of {} breadcrumbs", shown.len(), crumbs.len())
    } else {
        "breadcrumbs".to_owned()
    };
    let mut line = block.line();
    line.pad(INDENT);
    block.push(&mut line, Tone::Dim, &label);
    block.end(line);
    let room = block.width.saturating_sub(INDENT + LABEL);
    for crumb in shown {
        let mut parts: Vec<String> = vec![text::clock(crumb.timestamp)];
        let kind = crumb.category.clone().unwrap_or_else(|| crumb.ty.clone());
        parts.push(kind);
        let mut body = crumb.message.clone().unwrap_or_default();
        for (k, v) in &crumb.data {
            if !body.is_empty() {
                body.push_str("  ");
            }
            body.push_str(&format!("{k}={}", text::value(v, 40)));
        }
        let tone = match crumb.level {
            Level::Fatal | Level::Error => Tone::Bad,
            Level::Warning => Tone::Warn,
            _ => Tone::Plain,
        };
        let mut line = block.line();
        line.pad(INDENT + LABEL);
        let time = text::truncate(&parts[0], room);
        block.push(&mut line, Tone::Dim, &time);
        let left = (INDENT + LABEL + room).saturating_sub(line.width() + 1);
        if left > 0 {
            line.push(block.color, Tone::Plain, " ");
            block.push(&mut line, Tone::Op, &text::truncate(&parts[1], left));
        }
        let left = (INDENT + LABEL + room).saturating_sub(line.width() + 2);
        if left > 0 && !body.is_empty() {
            line.push(block.color, Tone::Plain, "  ");
            let body = text::truncate(&text::one_line(&body), left);
            line.push_scrubbed(block.color, tone, &body);
        }
        block.end(line);
    }
}

fn footer(block: &mut Block<'_>, event: &Event<'static>) {
    let mut text = event.event_id.simple().to_string();
    for part in [event.release.as_deref(), event.environment.as_deref()]
        .into_iter()
        .flatten()
    {
        text.push_str(" · ");
        text.push_str(part);
    }
    block.field("event", Tone::Dim, &text);
}
