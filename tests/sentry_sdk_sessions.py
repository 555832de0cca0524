"""Reads vigil's envelopes (files named on the command line) with sentry-python's own
envelope parser, and makes sentry-python send release health sessions of both kinds, for
comparison: an application session with one error, and request sessions (one healthy, one
errored).

Prints one JSON object: {"vigil": [[item type, payload], ...], "python": [[item type,
payload], ...]} with only the session items ("session" and "sessions").
"""
import json
import sys

import sentry_sdk
from sentry_sdk.sessions import track_session

SESSION_TYPES = ("session", "sessions")


from sentry_sdk_side import payload, start_python, vigil_items

vigil = [[ty, body] for ty, body, _ in vigil_items()]
sent = start_python("vigil-health@1.0.0", "production")


def fail(message):
    """An error event (sentry-python counts exceptions only, not error-level messages)."""
    try:
        raise RuntimeError(message)
    except RuntimeError:
        sentry_sdk.capture_exception()


scope = sentry_sdk.get_isolation_scope()
with track_session(scope, session_mode="application"):
    fail("disk full")
for failing in (False, True):
    with sentry_sdk.isolation_scope() as request_scope:
        with track_session(request_scope, session_mode="request"):
            if failing:
                fail("responded 500")
sentry_sdk.flush()
python = [
    [item.type, payload(item)]
    for envelope in sent
    for item in envelope.items
    if item.type in SESSION_TYPES
]
json.dump({"vigil": vigil, "python": python}, sys.stdout)
