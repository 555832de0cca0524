"""Runs events through Sentry's own scrubbers, for `tests/relay_compare.rs`.

Reads one JSON object per line on stdin: {"sent": <event as the Rust SDK sends it, unscrubbed>,
"vigil": <the same event as vigil sent it>}. Writes one JSON object per line on stdout, every
event in the shape Sentry's ingest gives it (Relay's `StoreNormalizer`), so that the same
value stands at the same path in all four:

- "normalized": the unscrubbed event, normalized;
- "relay": that, through Relay's default data scrubbing (`pii_strip_event` with scrub data,
  scrub defaults and scrub IP addresses on, as a new Sentry project has it);
- "python": the unscrubbed event through sentry-python's `EventScrubber` (its defaults:
  `send_default_pii` off), then normalized;
- "vigil": vigil's event, normalized.
"""
import copy
import json
import sys

from sentry_relay.processing import (
    StoreNormalizer,
    convert_datascrubbing_config,
    pii_strip_event,
)
from sentry_sdk.scrubber import EventScrubber
from sentry_sdk.utils import AnnotatedValue

config = convert_datascrubbing_config(
    {
        "scrubData": True,
        "scrubDefaults": True,
        "scrubIpAddresses": True,
        "sensitiveFields": [],
        "excludeFields": [],
    }
)
normalizer = StoreNormalizer(project_id=1)


def annotated(value):
    """sentry-python's serializer writes an `AnnotatedValue` as its value."""
    if isinstance(value, AnnotatedValue):
        return value.value
    raise TypeError(type(value))


def python_scrubbed(event):
    event = copy.deepcopy(event)
    EventScrubber().scrub_event(event)
    return json.loads(json.dumps(event, default=annotated))


for line in sys.stdin:
    if not line.strip():
        continue
    item = json.loads(line)
    normalized = normalizer.normalize_event(copy.deepcopy(item["sent"]))
    print(
        json.dumps(
            {
                "normalized": normalized,
                "relay": pii_strip_event(config, copy.deepcopy(normalized)),
                "python": normalizer.normalize_event(python_scrubbed(item["sent"])),
                "vigil": normalizer.normalize_event(item["vigil"]),
            }
        )
    )
    sys.stdout.flush()
