#!/usr/bin/env bash
# A local PostgreSQL for the sqlx tests: the server binaries of the `pgserver` wheel (PyPI).
#   .ci/postgres.sh setup   install into .ci/cache and create a cluster (idempotent, cached)
#   .ci/postgres.sh start   setup, then serve on 127.0.0.1:$VIGIL_PG_PORT unless already serving;
#                           prints "started" or "running", then URL=postgres://...
#   .ci/postgres.sh stop    stop it
# PostgreSQL refuses to run as root: as root, the cluster is owned by and run as `nobody`.
set -euo pipefail
cd "$(dirname "$0")"
here="$PWD/cache"
venv="$here/postgres-venv"
home="$here/postgres"
data="$home/data"
port="${VIGIL_PG_PORT:-18900}"
url="postgres://postgres@127.0.0.1:$port/postgres"

as_owner() {
    if [ "$(id -u)" = 0 ]; then
        setpriv --reuid=nobody --regid=nogroup --clear-groups -- "$@"
    else
        "$@"
    fi
}

find_bin() {
    bin="$(dirname "$(ls "$venv"/lib/python3*/site-packages/pgserver/pginstall/bin/pg_ctl | head -n1)")"
}

setup() {
    mkdir -p "$home"
    if ! ls "$venv"/lib/python3*/site-packages/pgserver/pginstall/bin/pg_ctl > /dev/null 2>&1; then
        python3 -m venv "$venv" >&2
        "$venv/bin/pip" install --quiet --disable-pip-version-check "pgserver==0.1.4" >&2
    fi
    find_bin
    if ! [ -f "$data/PG_VERSION" ]; then
        rm -rf "$data"
        mkdir -p "$data"
        if [ "$(id -u)" = 0 ]; then
            chown nobody:nogroup "$data"
            # nobody must reach the data directory through the cache path.
            chmod o+x "$here" "$home"
        fi
        as_owner "$bin/initdb" -D "$data" -U postgres --auth=trust -E UTF8 > "$home/initdb.log" 2>&1 \
            || { cat "$home/initdb.log" >&2; exit 1; }
    fi
}

ready() {
    as_owner "$bin/pg_ctl" -D "$data" status > /dev/null 2>&1
}

case "${1:-}" in
    setup) setup ;;
    start)
        setup
        if ready; then
            echo running
        else
            as_owner "$bin/pg_ctl" -D "$data" -l "$data/server.log" -w -t 60 \
                -o "-p $port -k $data -c listen_addresses=127.0.0.1" start > /dev/null \
                || { cat "$data/server.log" >&2; exit 1; }
            echo started
        fi
        echo "URL=$url"
        ;;
    stop)
        if find_bin 2>/dev/null && [ -f "$data/PG_VERSION" ]; then
            as_owner "$bin/pg_ctl" -D "$data" -m fast stop > /dev/null 2>&1 || true
        fi
        ;;
    *) echo "usage: $0 setup|start|stop" >&2; exit 2 ;;
esac
