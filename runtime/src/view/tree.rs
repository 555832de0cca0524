//! A transaction as a trace waterfall: a heading (name, op, status, duration, trace id), then
//! its spans as a tree in start order, each with its op, duration and a bar showing when in
//! the transaction it ran; failed spans marked. No line of the tree passes the width.

use std::collections::{HashMap, HashSet};
use std::time::{Duration, SystemTime};

use sentry::protocol::{Context, Span, SpanStatus, Transaction};

use super::block::{Block, INDENT};
use super::text::{self, Tone};

/// Rows of the tree at most; the rest is counted.
const MAX_ROWS: usize = 200;
/// Levels of nesting drawn; deeper spans are drawn at this depth.
const MAX_DEPTH: usize = 12;

/// One row of the waterfall.
struct Row<'a> {
    prefix: String,
    name: &'a str,
    op: &'a str,
    status: Option<SpanStatus>,
    start: SystemTime,
    end: Option<SystemTime>,
}

pub(super) fn render(block: &mut Block<'_>, tx: &Transaction<'static>) {
    let trace = match tx.contexts.get("trace") {
        Some(Context::Trace(trace)) => Some(&**trace),
        _ => None,
    };
    let name = tx.name.as_deref().unwrap_or("<unnamed transaction>");
    let op = trace.and_then(|t| t.op.as_deref()).unwrap_or("");
    let status = trace.and_then(|t| t.status);
    let total = tx
        .timestamp
        .and_then(|end| end.duration_since(tx.start_timestamp).ok());

    let status_text = status.map(|s| s.to_string());
    let duration_text = total.map(text::duration);
    let mut parts = vec![(Tone::Strong, name)];
    let mut detail = |tone, text| {
        parts.push((Tone::Dim, "·"));
        parts.push((tone, text));
    };
    if !op.is_empty() {
        detail(Tone::Op, op);
    }
    if let Some(status) = &status_text {
        detail(status_tone(status), status.as_str());
    }
    if let Some(duration) = &duration_text {
        detail(Tone::Plain, duration.as_str());
    }
    block.heading("TRANSACTION", Tone::Strong, &parts);

    let root = Row {
        prefix: String::new(),
        name,
        op,
        status,
        start: tx.start_timestamp,
        end: tx.timestamp,
    };
    let rows = rows(root, &tx.spans);
    waterfall(block, &rows, tx.start_timestamp, total, tx.spans.len());

    if let Some(trace) = trace {
        block.field("trace", Tone::Dim, &trace.trace_id.to_string());
        block.data("data", &trace.data);
    }
    block.tags(&tx.tags);
    block.user(tx.user.as_ref());
    block.request(tx.request.as_ref());
    block.data("extra", &tx.extra);
    block.filtered(tx);
}

fn status_tone(status: &str) -> Tone {
    if status == "ok" {
        Tone::Good
    } else {
        Tone::Bad
    }
}

fn failed(status: Option<SpanStatus>) -> bool {
    status.is_some_and(|s| s != SpanStatus::Ok)
}

/// The rows: the transaction, then its spans depth first, each node's children in start
/// order. A span whose parent is not in the transaction hangs under the root.
fn rows<'a>(root: Row<'a>, spans: &'a [Span]) -> Vec<Row<'a>> {
    let ids: HashSet<String> = spans.iter().map(|s| s.span_id.to_string()).collect();
    let mut children: HashMap<Option<String>, Vec<&Span>> = HashMap::new();
    for span in spans {
        let parent = span.parent_span_id.map(|p| p.to_string());
        let parent = match parent {
            Some(p) if ids.contains(&p) && p != span.span_id.to_string() => Some(p),
            _ => None, // the root, or a parent that is not here
        };
        children.entry(parent).or_default().push(span);
    }
    for list in children.values_mut() {
        list.sort_by_key(|s| s.start_timestamp);
    }
    let mut out = vec![root];
    // Depth first, with an explicit stack: (span, prefix of its children, connector).
    let mut stack: Vec<(&Span, String, bool)> = Vec::new();
    let push_children =
        |stack: &mut Vec<(&'a Span, String, bool)>, parent: Option<String>, prefix: &str| {
            if let Some(list) = children.get(&parent) {
                for (i, span) in list.iter().enumerate().rev() {
                    stack.push((span, prefix.to_owned(), i + 1 == list.len()));
                }
            }
        };
    push_children(&mut stack, None, "");
    let mut seen = HashSet::new();
    while let Some((span, prefix, last)) = stack.pop() {
        let id = span.span_id.to_string();
        if !seen.insert(id.clone()) {
            continue; // a cycle of parents: each span once
        }
        let depth = prefix.chars().count() / 3;
        out.push(Row {
            prefix: format!("{prefix}{}", if last { "└─ " } else { "├─ " }),
            name: span.description.as_deref().unwrap_or(""),
            op: span.op.as_deref().unwrap_or(""),
            status: span.status,
            start: span.start_timestamp,
            end: span.timestamp,
        });
        let child_prefix = if depth + 1 >= MAX_DEPTH {
            prefix
        } else {
            format!("{prefix}{}", if last { "   " } else { "│  " })
        };
        push_children(&mut stack, Some(id), &child_prefix);
    }
    // Spans whose parents form a cycle are not reached from the root: shown under it.
    for span in spans {
        if !seen.contains(&span.span_id.to_string()) {
            out.push(Row {
                prefix: "?─ ".to_owned(),
                name: span.description.as_deref().unwrap_or(""),
                op: span.op.as_deref().unwrap_or(""),
                status: span.status,
                start: span.start_timestamp,
                end: span.timestamp,
            });
        }
    }
    out
}

/// The columns of the waterfall for `width`: (label, op, bar); 0 leaves a column out. The
/// label column is as wide as the longest label if it fits (narrowing the bar down to 10
/// cells to make room); what is left widens the bar.
fn columns(width: usize, longest_label: usize, longest_op: usize) -> (usize, usize, usize) {
    const DURATION: usize = 8;
    const WIDEST_BAR: usize = 40;
    let mut op = longest_op.min(16);
    let mut bar = (width / 4).clamp(10, 30);
    let fixed = |op: usize, bar: usize| {
        INDENT + usize::from(op > 0) * (op + 2) + DURATION + 1 + usize::from(bar > 0) * (bar + 1)
    };
    if width < fixed(op, bar) + 16 {
        bar = 0;
    }
    if width < fixed(op, bar) + 16 {
        op = 0;
    }
    // A label that does not fit takes from the bar first, down to 10 cells.
    let short = longest_label.saturating_sub(width.saturating_sub(fixed(op, bar)));
    if bar > 10 {
        bar -= short.min(bar - 10);
    }
    let room = width.saturating_sub(fixed(op, bar));
    let label = longest_label.clamp(1, room.max(1));
    if bar > 0 {
        bar += (room - label).min(WIDEST_BAR.saturating_sub(bar));
    }
    (label, op, bar)
}

fn waterfall(
    block: &mut Block<'_>,
    rows: &[Row<'_>],
    t0: SystemTime,
    total: Option<Duration>,
    spans: usize,
) {
    let longest_op = rows.iter().map(|r| text::width(r.op)).max().unwrap_or(0);
    let longest_label = rows
        .iter()
        .take(MAX_ROWS)
        .map(|r| {
            text::width(&r.prefix)
                + text::width(&text::one_line(r.name))
                + mark(r).map_or(0, |m| text::width(&m))
        })
        .max()
        .unwrap_or(0);
    let (label_w, op_w, bar_w) = columns(block.width, longest_label, longest_op);
    for row in rows.iter().take(MAX_ROWS) {
        let mut line = block.line();
        line.pad(INDENT);
        // The label: tree, name and, for a failed span, its status; the name gives way first.
        let mark = mark(row);
        let mark_w = mark.as_deref().map_or(0, text::width);
        let prefix = text::truncate(&row.prefix, label_w.saturating_sub(1));
        let room = label_w.saturating_sub(text::width(&prefix) + mark_w);
        let name = text::truncate(&text::one_line(row.name), room);
        block.push(&mut line, Tone::Dim, &prefix);
        let tone = if row.prefix.is_empty() {
            Tone::Strong
        } else {
            Tone::Plain
        };
        block.push(&mut line, tone, &name);
        if let Some(mark) = &mark {
            let room = (INDENT + label_w).saturating_sub(line.width());
            block.push(&mut line, Tone::Bad, &text::truncate(mark, room));
        }
        line.pad(INDENT + label_w);
        if op_w > 0 {
            line.push(block.color, Tone::Plain, "  ");
            block.push(&mut line, Tone::Op, &text::truncate(row.op, op_w));
            line.pad(INDENT + label_w + 2 + op_w);
        }
        let duration = row
            .end
            .and_then(|end| end.duration_since(row.start).ok())
            .map(text::duration)
            .unwrap_or_else(|| "?".to_owned());
        let duration = text::truncate(&duration, 8);
        line.push(block.color, Tone::Plain, " ");
        line.pad(line.width() + 8 - text::width(&duration));
        line.push(block.color, Tone::Plain, &duration);
        if bar_w > 0 {
            line.push(block.color, Tone::Plain, " ");
            bar(block, &mut line, row, t0, total, bar_w);
        }
        block.end(line);
    }
    if rows.len() > MAX_ROWS {
        block.field(
            "",
            Tone::Dim,
            &format!("… and {} more of {spans} spans", rows.len() - MAX_ROWS),
        );
    }
}

/// ` ✗ internal_error` after a failed span's name.
fn mark(row: &Row<'_>) -> Option<String> {
    let status = row.status.filter(|s| *s != SpanStatus::Ok)?;
    Some(format!(" ✗ {status}"))
}

/// `····████······`: the part of the transaction's time the row ran, at least one cell.
fn bar(
    block: &Block<'_>,
    line: &mut text::Line,
    row: &Row<'_>,
    t0: SystemTime,
    total: Option<Duration>,
    width: usize,
) {
    let offset = |at: SystemTime| at.duration_since(t0).unwrap_or_default().as_secs_f64();
    let total = total.map_or(0.0, |t| t.as_secs_f64());
    let (from, to) = if total > 0.0 {
        let end = row.end.map_or(total, offset);
        (offset(row.start) / total, end / total)
    } else {
        (0.0, 1.0)
    };
    let cells = width as f64;
    let first = ((from * cells).floor() as usize).min(width - 1);
    let last = ((to * cells).ceil() as usize).clamp(first + 1, width);
    let tone = if failed(row.status) {
        Tone::Bad
    } else {
        Tone::Good
    };
    block.push(line, Tone::Dim, &"·".repeat(first));
    block.push(line, tone, &"█".repeat(last - first));
    block.push(line, Tone::Dim, &"·".repeat(width - last));
}
