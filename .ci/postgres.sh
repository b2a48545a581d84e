#!/usr/bin/env bash
# A throwaway PostgreSQL server for tests and benchmarks: installed from Debian's packages when missing,
# started as its own (non-root) user on a free port of 127.0.0.1, with a random password.
#
#   eval "$(bash .ci/postgres.sh start)"          # prints export lines: VIDEOBOT_TEST_POSTGRES_URL and _DIR
#   bash .ci/postgres.sh stop "$VIDEOBOT_TEST_POSTGRES_DIR"
#
# Durability is off (fsync, synchronous_commit, full_page_writes): the server lives for one run and
# creates a database per test, which would otherwise wait on the disk. bench/ prints these settings.
set -euo pipefail

log() { echo "postgres.sh: $*" >&2; }

bin_dir() {
    local found
    found=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
    [[ -n "$found" && -x "$found/initdb" ]] && echo "$found"
}

install_if_missing() {
    if bin_dir >/dev/null; then
        return
    fi
    if [[ $(id -u) -ne 0 ]]; then
        log "PostgreSQL is not installed; run as root, or: sudo apt-get install -y postgresql"
        exit 1
    fi
    log "installing PostgreSQL from Debian's packages"
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql >&2
}

# PostgreSQL refuses to run as root: as root, the server runs as the package's `postgres` user.
as_server_user() {
    if [[ $(id -u) -eq 0 ]]; then
        (cd / && runuser -u postgres -- "$@")  # from a folder that user may enter
    else
        "$@"
    fi
}

start() {
    install_if_missing
    local bin dir port password
    bin=$(bin_dir)
    dir=$(mktemp -d /tmp/videobot-postgres.XXXXXX)
    port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    password=$(python3 -c 'import secrets; print(secrets.token_hex(16))')
    printf '%s\n' "$password" >"$dir/pwfile"
    chmod 700 "$dir"
    [[ $(id -u) -eq 0 ]] && chown -R postgres: "$dir"
    as_server_user "$bin/initdb" -D "$dir/data" -U videobot --pwfile="$dir/pwfile" --auth=scram-sha-256 \
        -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 1; }
    rm -f "$dir/pwfile"
    as_server_user "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start -o \
        "-p $port -k $dir -c listen_addresses=127.0.0.1 -c max_connections=200 \
         -c fsync=off -c synchronous_commit=off -c full_page_writes=off" >&2 \
        || { cat "$dir/server.log" >&2; exit 1; }
    log "PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port (data in $dir)"
    echo "export VIDEOBOT_TEST_POSTGRES_URL='postgresql://videobot:$password@127.0.0.1:$port/postgres'"
    echo "export VIDEOBOT_TEST_POSTGRES_DIR='$dir'"
}

stop() {
    local dir=${1:?usage: postgres.sh stop DIR}
    [[ -d "$dir/data" ]] || return 0
    as_server_user "$(bin_dir)/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
    rm -rf "$dir"
}

case "${1:-}" in
    start) start ;;
    stop) stop "${2:-}" ;;
    *) echo "usage: postgres.sh start | stop DIR" >&2; exit 2 ;;
esac
