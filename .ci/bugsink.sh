#!/usr/bin/env bash
# A local Sentry-compatible server for the end-to-end tests: Bugsink (PyPI; Django + SQLite).
#   .ci/bugsink.sh setup   install into .ci/cache and prepare the databases (idempotent, cached)
#   .ci/bugsink.sh start   setup, then serve on 127.0.0.1:$BUGSINK_PORT unless already serving;
#                          prints "started" or "running", then KEY=value lines (DSN, TOKEN, URL, PROJECT)
#   .ci/bugsink.sh stop    stop the server started by `start` (by PID)
# Nothing leaves the machine: phone-home is off, everything lives under .ci/cache/bugsink.
set -euo pipefail
cd "$(dirname "$0")"
here="$PWD/cache"
venv="$here/bugsink-venv"
home="$here/bugsink"
port="${BUGSINK_PORT:-18800}"
bin="$venv/bin"
export PYTHONPATH="$home" DJANGO_SETTINGS_MODULE=bugsink_conf

setup() {
    mkdir -p "$home"
    if ! [ -x "$bin/bugsink-manage" ]; then
        python3 -m venv "$venv" >&2
        "$bin/pip" install --quiet --disable-pip-version-check "bugsink==2.*" >&2
    fi
    if ! [ -f "$home/bugsink_conf.py" ]; then
        (cd "$home" && "$bin/bugsink-create-conf" --template=local --host=127.0.0.1 --port="$port" -o bugsink_conf.py > /dev/null)
        cat >> "$home/bugsink_conf.py" <<'CONF'

# vigil's test setup: nothing leaves the machine, everything lives in this folder.
import os as _os
_HERE = _os.path.dirname(_os.path.abspath(__file__))
DATABASES["default"]["NAME"] = _os.path.join(_HERE, "db.sqlite3")
DATABASES["snappea"]["NAME"] = _os.path.join(_HERE, "snappea.sqlite3")
BUGSINK["PHONEHOME"] = False
BUGSINK["INGEST_STORE_BASE_DIR"] = _os.path.join(_HERE, "ingestion")
for _k in ["MAX_EVENTS_PER_PROJECT_PER_5_MINUTES", "MAX_EVENTS_PER_PROJECT_PER_HOUR",
           "MAX_EVENTS_PER_5_MINUTES", "MAX_EVENTS_PER_HOUR"]:
    BUGSINK[_k] = 100_000_000
CONF
    fi
    if ! [ -f "$home/env" ]; then
        "$bin/bugsink-manage" migrate > "$home/setup.log" 2>&1
        "$bin/bugsink-manage" migrate --database=snappea >> "$home/setup.log" 2>&1
        "$bin/bugsink-manage" shell -c '
from teams.models import Team
from projects.models import Project
from bsmain.models import AuthToken
team, _ = Team.objects.get_or_create(name="vigil")
project, _ = Project.objects.get_or_create(name="vigil-e2e", defaults={"team": team})
token = AuthToken.create_full_access()
print("DSN=" + project.dsn)
print("TOKEN=" + token.token)
print("PROJECT=" + str(project.id))
' 2>/dev/null | grep -E '^(DSN|TOKEN|PROJECT)=' > "$home/env.tmp"
        echo "URL=http://127.0.0.1:$port" >> "$home/env.tmp"
        mv "$home/env.tmp" "$home/env"
    fi
}

ready() {
    python3 -c "import urllib.request, sys; urllib.request.urlopen(sys.argv[1], timeout=2)" \
        "http://127.0.0.1:$port/health/ready" >/dev/null 2>&1
}

case "${1:-}" in
    setup) setup ;;
    start)
        setup
        if ready; then
            echo running
        else
            "$bin/gunicorn" --bind "127.0.0.1:$port" --pythonpath "$home" --workers 2 \
                --access-logfile /dev/null bugsink.wsgi > "$home/server.log" 2>&1 &
            echo $! > "$home/pid"
            for _ in $(seq 1 60); do ready && break; sleep 0.5; done
            ready || { echo "Bugsink did not become ready; see $home/server.log" >&2; exit 1; }
            echo started
        fi
        cat "$home/env"
        ;;
    stop)
        if [ -f "$home/pid" ]; then
            kill "$(cat "$home/pid")" 2>/dev/null || true
            rm -f "$home/pid"
        fi
        ;;
    *) echo "usage: $0 setup|start|stop" >&2; exit 2 ;;
esac
