"""Checks what `cargo run --example service -- --demo` spooled (JSON lines on stdin)."""
import json
import sys

events, transactions = [], []
for line in sys.stdin:
    line = line.strip()
    if not line.startswith("{"):
        continue
    assert "correct-horse" not in line, "the login password reached the spool"
    for item in json.loads(line).get("items", []):
        payload = item.get("payload", item)
        if "transaction" in payload and "spans" in payload:
            transactions.append(payload)
        elif "event_id" in payload:
            events.append(payload)

names = sorted(t["transaction"] for t in transactions)
assert names == sorted([
    "GET /orders/{id}", "GET /orders/{id}", "GET /reports/slow", "GET /invoices/{id}",
    "POST /login", "GET /me",
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
print(f"service demo: {len(transactions)} transactions, {len(queries)} query spans, "
      f"{len(errors)} error event, nothing secret")
