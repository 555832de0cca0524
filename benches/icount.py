#!/usr/bin/env python3
"""Instructions per operation under valgrind (callgrind): the `icount` bench's cases, each run
twice with a different count, the difference divided by the difference in counts.

    python3 benches/icount.py            # every table
    python3 benches/icount.py service    # one: calls, requests, router, service or http

Deterministic (the machine's load does not move it), so it judges a change on a busy
machine where the timed benches (`overhead`, `request`, `service`) swing. Needs valgrind.

- calls: one monitored call in a transaction, instructions on the caller's thread.
- requests: one request through an axum router, on the request's thread alone.
- router: the same request, every thread of the process counted (as below).
- service: one request of the `service` bench's service (its two routes in turn), every
  thread of the process counted: the request's, SQLite's worker and vigil's worker (building,
  scrubbing and the transport's serializing of each transaction). The client is flushed
  every 50 requests. The column "overhead" is the instructions over the service without an
  SDK; the last line divides vigil's overhead at 1.0 by sentry-tower + sentry-tracing's.
- http: the service at rate 1.0 with each SDK's own HTTP transport sending to a stand-in for
  Sentry on loopback (`icount sink`, a process of its own, not counted): what a service pays
  in production, the writing of each envelope and its HTTP request included.
"""
import json
import os
import re
import subprocess
import sys
import tempfile

FEATURES = "axum,sqlx"

CALLS = [
    ("sync", "`#[vigil::monitored] fn -> Result`, sampled"),
    ("async", "`#[vigil::monitored] async fn -> Result`, sampled"),
    ("sync_unsampled", "`#[vigil::monitored] fn -> Result`, unsampled"),
    ("raw", "raw `sentry` `start_child` + status + `finish`"),
]
REQUESTS = [
    ("req_disabled", "vigil disabled"),
    ("req0", "vigil at rate 0"),
    ("req1", "vigil at rate 1"),
    ("tower", "sentry-tower + sentry-tracing, rate 1"),
]
ROUTER = [
    ("req_bare", "no SDK"),
    ("req_disabled", "vigil disabled"),
    ("req0", "vigil at rate 0"),
    ("req1", "vigil at rate 1"),
    ("tower", "sentry-tower + sentry-tracing, rate 1"),
]
SERVICE_HTTP = [
    ("svc_bare", "no SDK"),
    ("svc1_http", "vigil at rate 1.0, its HTTP transport"),
    ("svc_tower_http", "sentry-tower + sentry-tracing, rate 1.0, the `sentry` crate's HTTP transport"),
]
SERVICE = [
    ("svc_bare", "no SDK"),
    ("svc_disabled", "vigil disabled"),
    ("svc0", "vigil at rate 0"),
    ("svc_unsampled", "vigil, tracing on, the request not sampled"),
    ("svc01", "vigil at rate 0.1"),
    ("svc1", "vigil at rate 1.0"),
    ("svc_tower", "sentry-tower + sentry-tracing, rate 1.0"),
]


def executable():
    out = subprocess.run(
        ["cargo", "bench", "--bench", "icount", "--features", FEATURES, "--no-run",
         "--message-format", "json"],
        check=True, capture_output=True, text=True).stdout
    for line in out.splitlines():
        msg = json.loads(line)
        if msg.get("reason") == "compiler-artifact" and msg["target"]["name"] == "icount" \
                and msg.get("executable"):
            return msg["executable"]
    sys.exit("icount: no executable built")


def collected(exe, case, n, options, env):
    with tempfile.NamedTemporaryFile(prefix="icount.", delete=False) as out:
        path = out.name
    try:
        run = subprocess.run(
            ["valgrind", "--tool=callgrind", f"--callgrind-out-file={path}", *options,
             exe, case, str(n)],
            capture_output=True, text=True, env={**os.environ, **env})
        if run.returncode != 0:
            sys.exit(f"icount {case} {n}: exit {run.returncode}\n{run.stderr[-2000:]}")
        found = re.search(r"Collected : ([\d,]+)", run.stderr)
        if case.endswith("_http"):
            # Every transaction reached the stand-in: none dropped on a full queue, which
            # would leave its writing and sending out of the count.
            served = re.search(r"sink: (\d+) requests", run.stderr)
            if not served or int(served.group(1)) < n:
                sys.exit(f"icount {case} {n}: the stand-in served "
                         f"{served.group(1) if served else 'no'} requests")
        return int(found.group(1).replace(",", ""))
    finally:
        os.unlink(path)


def per_op(exe, case, small, large, options=(), env=None):
    a = collected(exe, case, small, options, env or {})
    b = collected(exe, case, large, options, env or {})
    return (b - a) // (large - small)


def calls(exe):
    toggles = ["--toggle-collect=icount::measure"]
    print("| call | instructions |\n|---|---:|")
    for case, label in CALLS:
        print(f"| {label} | {per_op(exe, case, 1000, 3000, toggles):,} |")


def requests(exe):
    toggles = ["--toggle-collect=icount::request::measure_request"]
    print("| request, on its thread | instructions |\n|---|---:|")
    for case, label in REQUESTS:
        print(f"| {label} | {per_op(exe, case, 1000, 3000, toggles):,} |")


def router(exe):
    whole(exe, ROUTER, "icount::request::run", "request, every thread", "req1")


def service(exe):
    whole(exe, SERVICE, "icount::service::run", "service request, every thread", "svc1")


def service_http(exe):
    # The `sentry` crate's transport queue holds 30 envelopes: flush before it fills.
    whole(exe, SERVICE_HTTP, "icount::service::run",
          "service request over HTTP, every thread but the stand-in's", "svc1_http", flush=20)


def whole(exe, cases, run, title, vigil, flush=50):
    options = [f"--zero-before={run}"]
    env = {"VIGIL_ICOUNT_FLUSH_EVERY": str(flush)}
    counts = {}
    bare, tower = cases[0][0], cases[-1][0]
    print(f"| {title} | instructions | overhead |\n|---|---:|---:|")
    for case, label in cases:
        # Rate 0.1 samples at random: more requests, for a steadier mean.
        small, large = (2000, 8000) if case == "svc01" else (1000, 3000)
        counts[case] = per_op(exe, case, small, large, options, env)
        over = counts[case] - counts[bare]
        share = f"{over:+,} ({over / counts[bare]:+.0%})" if case != bare else ""
        print(f"| {label} | {counts[case]:,} | {share} |")
    ratio = (counts[vigil] - counts[bare]) / (counts[tower] - counts[bare])
    print(f"\nAt rate 1.0, vigil's overhead is {ratio:.2f}x "
          "sentry-tower + sentry-tracing's, in instructions.")


def main():
    tables = {"calls": calls, "requests": requests, "router": router, "service": service,
              "http": service_http}
    wanted = sys.argv[1:] or list(tables)
    unknown = [w for w in wanted if w not in tables]
    if unknown:
        sys.exit(f"unknown table(s) {unknown}; choose from {list(tables)}")
    exe = executable()
    for name in wanted:
        tables[name](exe)
        print()


if __name__ == "__main__":
    main()
