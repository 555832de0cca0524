//! The items read at a glance, one line each: check-ins, sessions, logs, metrics, client
//! reports, attachments. They are read from their JSON form, so a field the `sentry` crate
//! adds later shows up without a change here.

use serde_json::Value;

use sentry::protocol::{Attachment, ItemContainer};

use super::block::Block;
use super::text::{self, Tone};

/// One line: `KIND` in its tone, then the parts ` · ` apart, cut at the width.
fn line(block: &mut Block<'_>, kind: &str, tone: Tone, parts: &[(Tone, String)]) {
    let mut line = block.line();
    block.push(&mut line, tone, kind);
    for (i, (tone, part)) in parts.iter().filter(|(_, p)| !p.is_empty()).enumerate() {
        let gap = if i == 0 { " " } else { " · " };
        let room = block
            .width
            .saturating_sub(line.width() + gap.chars().count());
        if room == 0 {
            break;
        }
        block.push(&mut line, Tone::Dim, gap);
        let part = text::truncate(&text::one_line(part), room);
        line.push_scrubbed(block.color, *tone, &part);
    }
    block.end(line);
}

fn str_at<'v>(value: &'v Value, path: &[&str]) -> Option<&'v str> {
    path.iter()
        .try_fold(value, |v, key| v.get(key))
        .and_then(Value::as_str)
}

fn status_tone(status: &str) -> Tone {
    match status {
        "ok" | "exited" => Tone::Good,
        "in_progress" => Tone::Info,
        _ => Tone::Bad,
    }
}

pub(super) fn check_in(block: &mut Block<'_>, check_in: &impl serde::Serialize) {
    let v = serde_json::to_value(check_in).unwrap_or_default();
    let slug = str_at(&v, &["monitor_slug"]).unwrap_or("?").to_owned();
    let status = str_at(&v, &["status"]).unwrap_or("?").to_owned();
    let duration = v
        .get("duration")
        .and_then(Value::as_f64)
        .map(text::seconds)
        .unwrap_or_default();
    let environment = str_at(&v, &["environment"]).unwrap_or("").to_owned();
    let schedule = v
        .pointer("/monitor_config/schedule/value")
        .map(|s| text::value(s, 40))
        .map(|s| format!("schedule {s}"))
        .unwrap_or_default();
    let tone = status_tone(&status);
    let parts = [
        (Tone::Strong, slug),
        (tone, status),
        (Tone::Plain, duration),
        (Tone::Dim, environment),
        (Tone::Dim, schedule),
    ];
    line(block, "CHECK-IN", Tone::Strong, &parts);
}

/// A session update (`status`, errors, release) or aggregates (counts by outcome).
pub(super) fn session(block: &mut Block<'_>, session: &impl serde::Serialize) {
    let v = serde_json::to_value(session).unwrap_or_default();
    let attrs = |key: &str| str_at(&v, &["attrs", key]).unwrap_or("").to_owned();
    if let Some(aggregates) = v.get("aggregates").and_then(Value::as_array) {
        let mut counts = [
            ("exited", 0),
            ("errored", 0),
            ("abnormal", 0),
            ("crashed", 0),
        ];
        for aggregate in aggregates {
            for (key, count) in &mut counts {
                *count += aggregate.get(*key).and_then(Value::as_u64).unwrap_or(0);
            }
        }
        let summary = counts
            .iter()
            .filter(|(_, n)| *n > 0)
            .map(|(k, n)| format!("{n} {k}"))
            .collect::<Vec<_>>()
            .join(", ");
        let tone = if counts[1].1 + counts[2].1 + counts[3].1 > 0 {
            Tone::Bad
        } else {
            Tone::Good
        };
        let parts = [
            (tone, summary),
            (Tone::Dim, attrs("release")),
            (Tone::Dim, attrs("environment")),
        ];
        return line(block, "SESSIONS", Tone::Strong, &parts);
    }
    let status = str_at(&v, &["status"]).unwrap_or("?").to_owned();
    let errors = v.get("errors").and_then(Value::as_u64).unwrap_or(0);
    let duration = v
        .get("duration")
        .and_then(Value::as_f64)
        .map(text::seconds)
        .unwrap_or_default();
    let parts = [
        (status_tone(&status), status),
        (Tone::Plain, format!("errors={errors}")),
        (Tone::Plain, duration),
        (Tone::Dim, attrs("release")),
        (Tone::Dim, attrs("environment")),
    ];
    line(block, "SESSION", Tone::Strong, &parts);
}

pub(super) fn client_report(block: &mut Block<'_>, report: &impl serde::Serialize) {
    let v = serde_json::to_value(report).unwrap_or_default();
    let lost = v
        .get("discarded_events")
        .and_then(Value::as_array)
        .map(|events| {
            events
                .iter()
                .map(|e| {
                    format!(
                        "{} {} ({})",
                        e.get("quantity").and_then(Value::as_u64).unwrap_or(0),
                        str_at(e, &["category"]).unwrap_or("?"),
                        str_at(e, &["reason"]).unwrap_or("?"),
                    )
                })
                .collect::<Vec<_>>()
                .join(", ")
        })
        .unwrap_or_default();
    let parts = [(Tone::Warn, format!("dropped {lost}"))];
    line(block, "CLIENT REPORT", Tone::Strong, &parts);
}

pub(super) fn container(block: &mut Block<'_>, container: &ItemContainer) {
    match container {
        ItemContainer::Logs(logs) => {
            for log in logs {
                let v = serde_json::to_value(log).unwrap_or_default();
                let level = str_at(&v, &["level"]).unwrap_or("?").to_ascii_uppercase();
                let tone = match level.as_str() {
                    "ERROR" | "FATAL" => Tone::Bad,
                    "WARN" => Tone::Warn,
                    _ => Tone::Info,
                };
                let body = str_at(&v, &["body"]).unwrap_or("").to_owned();
                let attributes = v
                    .get("attributes")
                    .and_then(Value::as_object)
                    .map(|attrs| {
                        attrs
                            .iter()
                            .filter(|(k, _)| !k.starts_with("sentry."))
                            .map(|(k, a)| {
                                format!("{k}={}", text::value(a.get("value").unwrap_or(a), 40))
                            })
                            .collect::<Vec<_>>()
                            .join("  ")
                    })
                    .unwrap_or_default();
                let parts = [(tone, level), (Tone::Plain, body), (Tone::Dim, attributes)];
                line(block, "LOG", Tone::Strong, &parts);
            }
        }
        ItemContainer::Metrics(metrics) => {
            for metric in metrics {
                let v = serde_json::to_value(metric).unwrap_or_default();
                let parts = [
                    (Tone::Dim, str_at(&v, &["type"]).unwrap_or("").to_owned()),
                    (
                        Tone::Strong,
                        str_at(&v, &["name"]).unwrap_or("?").to_owned(),
                    ),
                    (
                        Tone::Plain,
                        v.get("value")
                            .map(|x| text::value(x, 20))
                            .unwrap_or_default(),
                    ),
                    (Tone::Dim, str_at(&v, &["unit"]).unwrap_or("").to_owned()),
                ];
                line(block, "METRIC", Tone::Strong, &parts);
            }
        }
        other => {
            let parts = [(
                Tone::Plain,
                format!("{} ({} items)", other.ty(), other.len()),
            )];
            line(block, "ITEMS", Tone::Strong, &parts);
        }
    }
}

pub(super) fn attachment(block: &mut Block<'_>, attachment: &Attachment) {
    let parts = [
        (Tone::Strong, attachment.filename.clone()),
        (Tone::Plain, format!("{} bytes", attachment.buffer.len())),
        (
            Tone::Dim,
            attachment.content_type.clone().unwrap_or_default(),
        ),
    ];
    line(block, "ATTACHMENT", Tone::Strong, &parts);
}

/// An item this view does not know: its kind, so nothing sent goes unseen.
pub(super) fn other(block: &mut Block<'_>, kind: &str) {
    line(
        block,
        "ITEM",
        Tone::Strong,
        &[(Tone::Plain, kind.to_owned())],
    );
}
