#!/usr/bin/env bash
# Installs Sentry's Python SDK (the `sentry-sdk` package from PyPI) in a virtualenv under
# .ci/cache, for the tests that parse vigil's cron check-ins and sessions with its envelope
# parser and compare them with what sentry-python sends. Idempotent. Prints the path of the
# virtualenv's python on its last line.
set -euo pipefail
cd "$(dirname "$0")"
venv="$PWD/cache/sentry-sdk-venv"
python="$venv/bin/python"
if [ -x "$python" ] && "$python" -c "import sentry_sdk" 2>/dev/null; then
    echo "$python"
    exit 0
fi
mkdir -p cache
python3 -m venv "$venv" >&2
"$python" -m pip install --quiet --disable-pip-version-check "sentry-sdk==2.*" >&2
"$python" -c "import sentry_sdk" >&2
echo "$python"
