#!/usr/bin/env bash
# Installs Sentry's own event processor (the `sentry-relay` package from PyPI) in a
# virtualenv under .ci/cache, for the test that compares vigil's scrubbing with Sentry's
# server-side default. Idempotent: does nothing when it is already there. Prints the path
# of the virtualenv's python on its last line.
set -euo pipefail
cd "$(dirname "$0")"
venv="$PWD/cache/relay-venv"
python="$venv/bin/python"
if [ -x "$python" ] && "$python" -c "import sentry_relay" 2>/dev/null; then
    echo "$python"
    exit 0
fi
mkdir -p cache
python3 -m venv "$venv" >&2
"$python" -m pip install --quiet --disable-pip-version-check "sentry-relay==0.10.1" >&2
"$python" -c "import sentry_relay" >&2
echo "$python"
