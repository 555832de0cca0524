"""Reads vigil's envelopes (files named on the command line) with sentry-python's own
envelope parser, and sends the same check-ins through sentry-python, for comparison.

Prints one JSON object: {"vigil": [[item type, payload, envelope headers], ...],
"python": [payload, ...]}.
"""
import json
import sys

import sentry_sdk
from sentry_sdk.crons import capture_checkin

from sentry_sdk_side import payload, start_python, vigil_items

vigil = [[ty, body, headers] for ty, body, headers in vigil_items()]
sent = start_python("vigil-e2e@1.0.0", "staging")
config = {"schedule": {"type": "crontab", "value": "0 3 * * *"}, "max_runtime": 30}
check_in_id = capture_checkin(
    monitor_slug="nightly-report", status="in_progress", monitor_config=config
)
capture_checkin(
    monitor_slug="nightly-report",
    check_in_id=check_in_id,
    status="ok",
    duration=0.5,
    monitor_config=config,
)
sentry_sdk.flush()
python = [
    payload(item)
    for envelope in sent
    for item in envelope.items
    if item.type == "check_in"
]
print(json.dumps({"vigil": vigil, "python": python}))
