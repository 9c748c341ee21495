#!/usr/bin/env bash
# A private PostgreSQL server for the tests, in a folder of its own; never the system cluster.
#
#   packaging/pg-test-server.sh start DIR     # initdb in DIR, start, print `export` lines
#   packaging/pg-test-server.sh restart DIR   # restart it (same port, same data)
#   packaging/pg-test-server.sh halt DIR      # stop it, keeping its data (an outage)
#   packaging/pg-test-server.sh resume DIR    # start it again after halt
#   packaging/pg-test-server.sh stop DIR      # stop it; removes only what start made in DIR
#
# The server listens on 127.0.0.1 only, on a free port, with TLS (a CA and a server certificate
# for 127.0.0.1/localhost made with openssl in DIR) and scram-sha-256 passwords; its unix
# sockets stay in DIR; fsync is off (test data). Run as root, it runs as the `postgres` user
# (else `nobody`), which gets DIR. `start` prints:
#   SOAR_SYNC_TEST_PG_URL       postgresql://ROLE@127.0.0.1:PORT/DB
#   SOAR_SYNC_TEST_PG_PASSWORD  the role's random password
#   SOAR_SYNC_TEST_PG_CA        the CA file, for sslmode=verify-full&sslrootcert=...
#   SOAR_SYNC_TEST_PG_DIR       DIR, for restart and stop
set -euo pipefail

cmd=${1:-}
dir=${2:-}
[ -n "$cmd" ] && [ -n "$dir" ] || { echo "usage: $0 start|restart|halt|resume|stop DIR" >&2; exit 64; }

bin=${SOAR_SYNC_PG_BIN:-}
if [ -z "$bin" ]; then
    for candidate in /usr/lib/postgresql/*/bin; do bin=$candidate; done
fi
[ -x "$bin/initdb" ] || { echo "pg-test-server: no PostgreSQL server binaries (install postgresql)" >&2; exit 1; }

run_as=()
if [ "$(id -u)" -eq 0 ]; then
    user=postgres
    id "$user" >/dev/null 2>&1 || user=nobody
    run_as=(runuser -u "$user" --)
fi
as_server() { "${run_as[@]+"${run_as[@]}"}" "$@"; }

data="$dir/pgdata"
log="$dir/server.log"

case "$cmd" in
start)
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    data="$dir/pgdata"
    log="$dir/server.log"
    [ -e "$data" ] && { echo "pg-test-server: $data exists already" >&2; exit 1; }
    # A free port: bind port 0 and read what the kernel gave.
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    password=$(openssl rand -hex 16)
    role=soar_sync_test
    db=soar_sync_test
    (
        cd "$dir"
        openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=soar-sync test CA" \
            -keyout ca.key -out ca.crt >/dev/null 2>&1
        openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" \
            -keyout server.key -out server.csr >/dev/null 2>&1
        printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' > server.ext
        openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 \
            -extfile server.ext -out server.crt >/dev/null 2>&1
        chmod 0600 server.key ca.key
    )
    printf '%s\n' "$password" > "$dir/pwfile"
    chmod 0600 "$dir/pwfile"
    if [ ${#run_as[@]} -gt 0 ]; then
        chown -R "$user" "$dir"
        # The server user must reach DIR through its parents (a mktemp folder is 0700).
        parent=$(dirname "$dir")
        while [ "$parent" != / ]; do chmod o+x "$parent" 2>/dev/null || true; parent=$(dirname "$parent"); done
    fi
    as_server "$bin/initdb" -D "$data" -U postgres --auth-local=trust --auth-host=scram-sha-256 \
        --locale=C.UTF-8 -E UTF8 >"$dir/initdb.log" 2>&1
    cat >> "$data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$dir'
fsync = off
synchronous_commit = off
full_page_writes = off
ssl = on
ssl_cert_file = '$dir/server.crt'
ssl_key_file = '$dir/server.key'
password_encryption = scram-sha-256
max_connections = 200
CONF
    cat > "$data/pg_hba.conf" <<HBA
local all all trust
host all all 127.0.0.1/32 scram-sha-256
HBA
    as_server "$bin/pg_ctl" -D "$data" -l "$log" -w -t 60 start >/dev/null
    as_server "$bin/psql" -h "$dir" -p "$port" -U postgres -d postgres -v ON_ERROR_STOP=1 -q \
        -c "CREATE ROLE $role LOGIN PASSWORD '$password'" \
        -c "CREATE DATABASE $db OWNER $role" >/dev/null
    echo "$port" > "$dir/port"
    echo "export SOAR_SYNC_TEST_PG_URL=postgresql://$role@127.0.0.1:$port/$db"
    echo "export SOAR_SYNC_TEST_PG_PASSWORD=$password"
    echo "export SOAR_SYNC_TEST_PG_CA=$dir/ca.crt"
    echo "export SOAR_SYNC_TEST_PG_DIR=$dir"
    ;;
restart)
    as_server "$bin/pg_ctl" -D "$data" -l "$log" -w -t 60 -m fast restart >/dev/null
    ;;
halt)
    as_server "$bin/pg_ctl" -D "$data" -w -t 60 -m fast stop >/dev/null
    ;;
resume)
    as_server "$bin/pg_ctl" -D "$data" -l "$log" -w -t 60 start >/dev/null
    ;;
stop)
    if [ -f "$data/postmaster.pid" ]; then
        as_server "$bin/pg_ctl" -D "$data" -w -t 60 -m fast stop >/dev/null
    fi
    rm -rf "$data"
    rm -f "$dir"/{ca.key,ca.crt,ca.srl,server.key,server.csr,server.crt,server.ext,pwfile,port,server.log,initdb.log}
    ;;
*)
    echo "usage: $0 start|restart|halt|resume|stop DIR" >&2
    exit 64
    ;;
esac
