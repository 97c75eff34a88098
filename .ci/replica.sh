#!/usr/bin/env bash
# A real streaming replica of the machine's PostgreSQL, for CI and for trying the read replica by hand.
#
#   .ci/replica.sh start    pg_basebackup -R of the primary (127.0.0.1:5432) into a throw-away data directory,
#                           started as a hot standby on 127.0.0.1:5433; does nothing when it already runs
#   .ci/replica.sh status   whether it answers, is in recovery and streams, and its lag
#   .ci/replica.sh stop     stops it and removes its data directory
#
# The primary must allow replication connections from 127.0.0.1: when pg_hba.conf has no such line, `start`
# adds `host replication all 127.0.0.1/32 trust` and reloads the primary (CI runs as root on its own machine).
# Run as root, the standby runs as the postgres user (PostgreSQL refuses to run as root).
# Environment: ANJU_REPLICA_PRIMARY_PORT (5432), ANJU_REPLICA_PORT (5433), ANJU_REPLICA_DIR (/tmp/anju-replica-PORT).
set -euo pipefail

HOST=127.0.0.1
PRIMARY_PORT="${ANJU_REPLICA_PRIMARY_PORT:-5432}"
PORT="${ANJU_REPLICA_PORT:-5433}"
DIR="${ANJU_REPLICA_DIR:-/tmp/anju-replica-$PORT}"

primary() { psql -X -q -h "$HOST" -p "$PRIMARY_PORT" -U postgres -d postgres -At -c "$1"; }
standby() { psql -X -q -h "$HOST" -p "$PORT" -U postgres -d postgres -At -c "$1"; }

# The binaries of the primary's major version (a standby must match it).
bindir() {
    local major
    major="$(primary "show server_version_num")"
    major="$((major / 10000))"
    if [[ -x "/usr/lib/postgresql/$major/bin/pg_ctl" ]]; then
        echo "/usr/lib/postgresql/$major/bin"
    else
        echo "replica: no PostgreSQL $major binaries under /usr/lib/postgresql/$major/bin" >&2
        exit 1
    fi
}

# Run a command as the postgres user when we are root; as ourselves otherwise.
as_postgres() {
    if [[ "$(id -u)" == 0 ]]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

running() {
    [[ "$(standby "select pg_is_in_recovery()" 2>/dev/null || true)" == "t" ]]
}

allow_replication() {
    local rules
    rules="$(primary "select count(*) from pg_hba_file_rules where 'replication' = any(database)
                      and (address = '127.0.0.1' or type = 'local') and auth_method = 'trust'")"
    if [[ "$rules" == 0 ]]; then
        local hba
        hba="$(primary "show hba_file")"
        echo "replica: allowing replication from 127.0.0.1 in $hba"
        printf '\n# Added by Anju .ci/replica.sh: the CI read replica streams from here.\nhost replication all 127.0.0.1/32 trust\n' >>"$hba"
        primary "select pg_reload_conf()" >/dev/null
        sleep 1
    fi
}

start() {
    if running; then
        echo "replica: already running on $HOST:$PORT ($DIR)"
        return 0
    fi
    local bin
    bin="$(bindir)"
    allow_replication
    # Whatever is left of an earlier standby (crashed, or too far behind) is thrown away: a fresh base backup
    # of the small CI cluster takes seconds.
    if [[ -f "$DIR/postmaster.pid" ]]; then
        as_postgres "$bin/pg_ctl" -D "$DIR" stop -m immediate >/dev/null 2>&1 || true
    fi
    rm -rf "$DIR"
    mkdir -p "$DIR"
    chmod 700 "$DIR"
    [[ "$(id -u)" == 0 ]] && chown postgres: "$DIR"
    as_postgres "$bin/pg_basebackup" -h "$HOST" -p "$PRIMARY_PORT" -U postgres -D "$DIR" -R -X stream -c fast
    # Debian keeps the primary's configuration under /etc: the standby gets its own. A hot standby needs
    # these limits at least as high as the primary's.
    {
        echo "# Written by .ci/replica.sh"
        echo "port = $PORT"
        echo "listen_addresses = '$HOST'"
        echo "unix_socket_directories = '$DIR'"
        echo "hba_file = '$DIR/pg_hba.conf'"
        echo "ident_file = '$DIR/pg_ident.conf'"
        echo "hot_standby = on"
        echo "hot_standby_feedback = on"
        echo "shared_buffers = 32MB"
        echo "logging_collector = off"
        for name in max_connections max_worker_processes max_wal_senders max_prepared_transactions \
            max_locks_per_transaction; do
            echo "$name = $(primary "show $name")"
        done
    } >"$DIR/postgresql.conf"
    printf 'local all all trust\nhost all all 127.0.0.1/32 trust\n' >"$DIR/pg_hba.conf"
    : >"$DIR/pg_ident.conf"
    [[ "$(id -u)" == 0 ]] && chown postgres: "$DIR/postgresql.conf" "$DIR/pg_hba.conf" "$DIR/pg_ident.conf"
    as_postgres "$bin/pg_ctl" -D "$DIR" -l "$DIR/standby.log" -w -t 60 start >/dev/null
    for _ in $(seq 1 30); do
        if [[ "$(standby "select status from pg_stat_wal_receiver" 2>/dev/null || true)" == "streaming" ]]; then
            echo "replica: streaming from $HOST:$PRIMARY_PORT on $HOST:$PORT ($DIR)"
            return 0
        fi
        sleep 1
    done
    echo "replica: started but not streaming; see $DIR/standby.log" >&2
    tail -n 20 "$DIR/standby.log" >&2 || true
    return 1
}

status() {
    if ! running; then
        echo "replica: not running on $HOST:$PORT"
        return 3
    fi
    echo "replica: $HOST:$PORT in recovery, receiver $(standby "select coalesce((select status from pg_stat_wal_receiver), 'none')"),"\
        "lag $(standby "select case when pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() then 0
                            else extract(epoch from now() - pg_last_xact_replay_timestamp()) end")s"
}

stop() {
    if [[ -f "$DIR/postmaster.pid" ]]; then
        as_postgres "$(bindir)/pg_ctl" -D "$DIR" stop -m fast -w >/dev/null || true
    fi
    rm -rf "$DIR"
    echo "replica: stopped"
}

case "${1:-}" in
    start) start ;;
    status) status ;;
    stop) stop ;;
    *)
        echo "usage: $0 start|status|stop" >&2
        exit 2
        ;;
esac
