"""Checks what `cargo run --example service -- --demo` spooled (JSON lines on stdin)."""
import json
import sys

events, transactions, check_ins, sessions = [], [], [], []
for line in sys.stdin:
    line = line.strip()
    if not line.startswith("{"):
        continue
    assert "correct-horse" not in line, "the login password reached the spool"
    for item in json.loads(line).get("items", []):
        payload = item.get("payload", item)
        if item.get("type") == "check_in":
            check_ins.append(payload)
        elif item.get("type") == "sessions":
            sessions.append(payload)
        elif "transaction" in payload and "spans" in payload:
            transactions.append(payload)
        elif "event_id" in payload:
            events.append(payload)

names = sorted(t["transaction"] for t in transactions)
assert names == sorted([
    "GET /orders/{id}", "GET /orders/{id}", "GET /reports/slow", "GET /invoices/{id}",
    "POST /login", "GET /me", "GET /orders/summary", "GET /dashboard",
    "GET /orders/{id}",  # called by GET /dashboard through reqwest
    "cleanup_orders",  # the scheduled job
]), names
queries = [s for t in transactions for s in t["spans"] if s.get("op") == "db.sql.query"]
assert any(s["description"].startswith("WITH RECURSIVE") for s in queries), queries
assert all(s["data"]["db.system"] == "sqlite" for s in queries), queries
errors = [e for e in events if e.get("level", "error") == "error"]
assert len(errors) == 1, errors
assert errors[0]["contexts"]["db"]["statement"] == "SELECT pdf FROM invoices WHERE id = ?", errors[0]
assert errors[0]["tags"]["db.error_code"] == "1", errors[0]["tags"]
login = next(t for t in transactions if t["transaction"] == "POST /login")
assert login["user"]["username"] == "ada", login.get("user")
me = next(t for t in transactions if t["transaction"] == "GET /me")
assert me["request"]["headers"]["authorization"] == "[Filtered]", me["request"]

def trace(t):
    return t["contexts"]["trace"]


# How each transaction got its name and what made each span (fields the `sentry` crate's
# types lack, written by vigil): routes, the job (a #[transaction] of op task).
for t in transactions:
    want = "task" if t["transaction"] == "cleanup_orders" else "route"
    assert t.get("transaction_info") == {"source": want}, (t["transaction"], t.get("transaction_info"))
    assert "__vigil_wire" not in t["contexts"], t["contexts"].keys()
    assert all("origin" in s for s in t["spans"]), t["spans"]
assert all(s["origin"] == "auto.db.sqlx" for s in queries), queries


# The fan-out: each spawned task's span (bound with vigil::bind) is under the request's root.
summary = next(t for t in transactions if t["transaction"] == "GET /orders/summary")
tasks = [s for s in summary["spans"] if s["description"] == "service::find_order"]
assert len(tasks) == 3 and all(s["parent_span_id"] == trace(summary)["span_id"] for s in tasks), summary

# The outgoing call: an http.client span, and the called endpoint's transaction continues the
# trace under it.
dashboard = next(t for t in transactions if t["transaction"] == "GET /dashboard")
[call] = [s for s in dashboard["spans"] if s["op"] == "http.client"]
assert call["description"].startswith("GET http://") and call["description"].endswith("/orders/2"), call
assert call["data"]["http.response.status_code"] == 200, call
assert call["origin"] == "auto.http.reqwest", call
called = [t for t in transactions if trace(t).get("parent_span_id") == call["span_id"]]
assert len(called) == 1 and called[0]["transaction"] == "GET /orders/{id}", called
assert trace(called[0])["trace_id"] == trace(dashboard)["trace_id"]

# The scheduled job: in_progress then ok, one check-in id, in the job's transaction's trace.
assert [c["status"] for c in check_ins] == ["in_progress", "ok"], check_ins
assert len({c["check_in_id"] for c in check_ins}) == 1, check_ins
job = next(t for t in transactions if t["transaction"] == "cleanup_orders")
assert all(c["monitor_slug"] == "cleanup-orders" for c in check_ins), check_ins
assert all(c["contexts"]["trace"]["trace_id"] == trace(job)["trace_id"] for c in check_ins), check_ins
assert check_ins[0]["monitor_config"]["schedule"] == {"type": "crontab", "value": "*/10 * * * *"}
assert check_ins[1]["duration"] >= 0, check_ins

# Release health, request mode: one session per request, the failed one errored.
requests = [t for t in transactions if trace(t)["op"] == "http.server"]
buckets = [b for s in sessions for b in s["aggregates"]]
counts = {k: sum(b.get(k, 0) for b in buckets) for k in ("exited", "errored", "crashed", "abnormal")}
assert sum(counts.values()) == len(requests), (counts, len(requests))
assert counts["errored"] == len(errors) and counts["crashed"] == 0, counts
assert all(s["attrs"]["release"].startswith("vigil@") for s in sessions), sessions

print(f"service demo: {len(transactions)} transactions, {len(queries)} query spans, "
      f"{len(errors)} error event, {len(check_ins)} check-ins, {len(requests)} request sessions "
      f"({counts['errored']} errored), a trace across an HTTP call, "
      f"nothing secret")
