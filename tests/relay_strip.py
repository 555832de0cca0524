"""Runs events the way Sentry's ingest does with its default data scrubbing.

Reads one JSON event per line on stdin; writes one JSON object per line on stdout:
{"normalized": <event after StoreNormalizer>, "stripped": <after pii_strip_event>}.
"""
import json
import sys

from sentry_relay.processing import (
    StoreNormalizer,
    convert_datascrubbing_config,
    pii_strip_event,
)

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
for line in sys.stdin:
    if not line.strip():
        continue
    normalized = normalizer.normalize_event(json.loads(line))
    stripped = pii_strip_event(config, normalized)
    print(json.dumps({"normalized": normalized, "stripped": stripped}))
