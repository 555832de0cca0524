#!/usr/bin/env bash
# Installs Sentry's own scrubbers in a virtualenv under .ci/cache, for the test that compares
# vigil's scrubbing with them: Relay's event processor (the `sentry-relay` package from PyPI:
# server-side default data scrubbing) and sentry-python (the `sentry-sdk` package: its
# client-side `EventScrubber`). Idempotent: does nothing when both are there. Prints the path
# of the virtualenv's python on its last line.
set -euo pipefail
cd "$(dirname "$0")"
venv="$PWD/cache/relay-venv"
python="$venv/bin/python"
relay_version="0.10.1"
sdk_version="2.75.0"
installed() {
    "$python" - "$relay_version" "$sdk_version" <<'PY' 2>/dev/null
import sys
from importlib.metadata import version
import sentry_relay, sentry_sdk.scrubber
sys.exit(0 if (version("sentry-relay"), version("sentry-sdk")) == (sys.argv[1], sys.argv[2]) else 1)
PY
}
if [ -x "$python" ] && installed; then
    echo "$python"
    exit 0
fi
mkdir -p cache
[ -x "$python" ] || python3 -m venv "$venv" >&2
"$python" -m pip install --quiet --disable-pip-version-check \
    "sentry-relay==$relay_version" "sentry-sdk==$sdk_version" >&2
installed || { echo "sentry-relay $relay_version / sentry-sdk $sdk_version not importable" >&2; exit 1; }
echo "$python"
