"""What the sentry_sdk_*.py comparison scripts share: vigil's envelopes (files named on the
command line) read with sentry-python's own envelope parser, and sentry-python started with
a transport that keeps what it sends."""
import json
import sys

import sentry_sdk
from sentry_sdk.envelope import Envelope
from sentry_sdk.transport import Transport


def payload(item):
    """The item's JSON: parsed by the envelope parser where it can, from its bytes otherwise."""
    if item.payload.json is not None:
        return item.payload.json
    return json.loads(item.payload.get_bytes())


def vigil_items():
    """[(item type, payload, envelope headers)] of the envelopes named on the command line."""
    items = []
    for path in sys.argv[1:]:
        with open(path, "rb") as f:
            envelope = Envelope.deserialize(f.read())
        for item in envelope.items:
            items.append((item.type, payload(item), envelope.headers))
    return items


def start_python(release, environment):
    """Starts sentry-python; returns the list its envelopes are kept in."""
    sent = []

    class Keep(Transport):
        def capture_envelope(self, envelope):
            sent.append(envelope)

    sentry_sdk.init(
        dsn="https://public@localhost.invalid/1",
        transport=Keep(),
        release=release,
        environment=environment,
    )
    return sent
