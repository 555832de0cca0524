#!/usr/bin/env python3
"""Prints the BENCHMARKS.md table from criterion's results (target/criterion)."""
import json
import pathlib
import sys

root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "target/criterion")


def ns(group, name):
    path = root / group / name / "new" / "estimates.json"
    if not path.exists():
        return None
    est = json.loads(path.read_text())
    return est["median"]["point_estimate"]


def fmt(v):
    if v is None:
        return "n/a"
    return f"{v:,.1f} ns" if v < 10_000 else f"{v / 1000:,.1f} µs"


rows = [
    ("call", "bare", "bare function", None),
    ("call", "vigil_monitored_disabled", "`#[vigil::monitored]`, vigil disabled", ("call", "bare")),
    ("call", "tracing_instrument_no_subscriber", "`#[tracing::instrument]`, no subscriber", ("call", "bare")),
    ("span", "vigil_monitored_no_transaction", "`#[vigil::monitored]`, enabled, no transaction", ("call", "bare")),
    ("span", "vigil_monitored_unsampled", "`#[vigil::monitored]` in an unsampled transaction", ("span", "sentry_start_child_unsampled")),
    ("span", "sentry_start_child_unsampled", "raw `sentry` `start_child` + `finish`, unsampled", None),
    ("span", "tracing_instrument_sentry_tracing_unsampled", "`#[tracing::instrument]` + `sentry-tracing`, unsampled", None),
    ("span", "vigil_monitored_sampled", "`#[vigil::monitored]` in a sampled transaction", ("span", "sentry_start_child_sampled")),
    ("span", "sentry_start_child_sampled", "raw `sentry` `start_child` + `finish`, sampled", None),
    ("span", "tracing_instrument_sentry_tracing_sampled", "`#[tracing::instrument]` + `sentry-tracing`, sampled", None),
    # Functions that return `Result` (Ok unless said)
    ("call", "result_bare", "bare `fn -> Result<u64, io::Error>`", None),
    ("call", "vigil_monitored_result_disabled", "`#[vigil::monitored] fn -> Result`, vigil disabled", ("call", "result_bare")),
    ("span", "vigil_monitored_result_unsampled", "`#[vigil::monitored] fn -> Result` in an unsampled transaction", ("span", "sentry_start_child_unsampled")),
    ("span", "vigil_monitored_result_sampled", "`#[vigil::monitored] fn -> Result` in a sampled transaction", ("span", "sentry_start_child_result_sampled")),
    ("span", "sentry_start_child_result_sampled", "raw `sentry` `start_child` + status + `finish` around it, sampled", None),
    ("async", "vigil_monitored_async_result_sampled", "`#[vigil::monitored] async fn -> Result`, sampled", ("span", "sentry_start_child_result_sampled")),
    ("span", "vigil_monitored_result_err_sampled", "`#[vigil::monitored] fn -> Result`, `Err` path: span failed, error captured and scrubbed", ("span", "sentry_start_child_capture_error_sampled")),
    ("span", "sentry_start_child_capture_error_sampled", "raw `sentry`: `start_child`, `capture_error`, status, `finish` (no scrubbing)", None),
    ("transaction", "vigil_transaction_unsampled", "`#[vigil::transaction]`, not sampled", ("transaction", "sentry_transaction_unsampled")),
    ("transaction", "sentry_transaction_unsampled", "raw `sentry` `start_transaction` + `finish`, rate 0", None),
    ("transaction", "vigil_transaction_sampled", "`#[vigil::transaction]`, sampled (built, scrubbed, handed to the transport)", ("transaction", "sentry_transaction_sampled")),
    ("transaction", "sentry_transaction_sampled", "raw `sentry` `start_transaction` + `finish`, rate 1", None),
    ("capture", "sentry_capture_error", "`sentry::capture_error` (no scrubbing)", None),
    ("capture", "vigil_capture_exception", "`vigil::capture_exception!` (scrubbed)", ("capture", "sentry_capture_error")),
    ("capture", "vigil_capture_exception_with_secrets", "`vigil::capture_exception!`, secrets in the message and a secret key", ("capture", "sentry_capture_error")),
    ("scrub", "clone_event", "clone a ~10 KB event", None),
    ("scrub", "serialize_event_json", "serialize it to JSON (what sending costs anyway)", None),
    ("scrub", "vigil_scrub_event", "vigil's scrubber on it", ("scrub", "serialize_event_json")),
    ("async", "bare_async", "bare async fn, polled to completion", None),
    ("async", "vigil_monitored_async_sampled", "`#[vigil::monitored]` async fn, sampled", ("span", "sentry_start_child_sampled")),
    # `cargo bench --bench request --features axum`: one request through an axum router
    ("request", "bare", "a request through an axum router (`oneshot`), no SDK", None),
    ("request", "vigil_disabled", "the same with `vigil::axum::layer()` and a monitored fn, vigil disabled", ("request", "bare")),
    ("request", "vigil_rate_0", "... vigil at sample rate 0", ("request", "vigil_disabled")),
    ("request", "vigil_rate_0.1", "... vigil at sample rate 0.1", ("request", "vigil_disabled")),
    ("request", "vigil_rate_1", "... vigil at sample rate 1.0", ("request", "sentry_tower_rate_1")),
    ("request", "sentry_tower_rate_1", "`sentry-tower` + `sentry-tracing` + `#[tracing::instrument(err)]`, rate 1.0", ("request", "bare")),
    # `cargo bench --bench overhead --features sqlx -- sql`
    ("sql", "sqlx_event_nobody_listening", "sqlx's per-query event, nobody listening", None),
    ("sql", "vigil_query_span_sampled", "vigil turns it into a `db.sql.query` span + breadcrumb, sampled", ("sql", "sentry_span_and_breadcrumb_by_hand")),
    ("sql", "sentry_span_and_breadcrumb_by_hand", "the same span + breadcrumb by hand with `sentry`", None),
    ("sql", "sqlite_select_in_sampled_transaction", "a real `SELECT` on in-memory SQLite through sqlx, recorded by vigil", None),
]

print("| what | time per call | ratio |")
print("|---|---:|---|")
for group, name, label, base in rows:
    v = ns(group, name)
    if v is None and group in ("sql", "request"):
        continue  # not run: needs `--features sqlx` / `--features axum`
    ratio = ""
    if base and v is not None:
        b = ns(*base)
        if b:
            ratio = f"{v / b:.2f}x of `{base[1]}`" if v * 2 >= b else f"1/{b / v:.0f} of `{base[1]}`"
    print(f"| {label} | {fmt(v)} | {ratio} |")
over = [
    ("disabled", ("call", "vigil_monitored_result_disabled"), ("call", "result_bare")),
    ("in an unsampled transaction", ("span", "vigil_monitored_result_unsampled"), ("call", "result_bare")),
]
lines = []
for label, row, base in over:
    v, b = ns(*row), ns(*base)
    if v is not None and b is not None:
        lines.append(f"{label} {v - b:+.1f} ns")
if lines:
    print("\n`#[vigil::monitored] fn -> Result` over the bare function: " + "; ".join(lines) + ".")
bare_req = ns("request", "bare")
if bare_req:
    parts = []
    v1, s1 = ns("request", "vigil_rate_1"), ns("request", "sentry_tower_rate_1")
    if v1 and s1:
        parts.append(
            f"at rate 1.0 vigil adds {(v1 - bare_req) / 1000:.2f} µs, sentry-tower + sentry-tracing "
            f"{(s1 - bare_req) / 1000:.2f} µs ({(v1 - bare_req) / (s1 - bare_req):.2f}x)"
        )
    v0, off = ns("request", "vigil_rate_0"), ns("request", "vigil_disabled")
    if v0 and off:
        parts.append(f"an unsampled request costs {(v0 - off) / 1000:+.2f} µs over vigil disabled")
    if parts:
        print("\nPer request: " + "; ".join(parts) + ".")
service = root.parent / "service-bench.json"
if service.exists():
    runs = json.loads(service.read_text())
    bare_rps = runs["bare"]["rps"]
    print("\nThe whole service under load (`cargo bench --bench service --features axum,sqlx`):\n")
    print("| set-up | requests/s | p50 | p99 | throughput lost |")
    print("|---|---:|---:|---:|---:|")
    for name, r in runs.items():
        print(f"| {name} | {r['rps']:,.0f} | {r['p50_us']} µs | {r['p99_us']} µs | {(1 - r['rps'] / bare_rps) * 100:.1f} % |")
scrub = ns("scrub", "vigil_scrub_event")
if scrub:
    print(f"\nScrubber throughput: {1e9 / scrub:,.0f} events/s on the ~10 KB event.")
