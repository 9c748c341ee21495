#!/usr/bin/env bash
# First run of soar-sync: installs what is missing, builds, starts a seeded source SOAR
# emulator (127.0.0.1:8441) and an empty target emulator (127.0.0.1:8442), runs the daemon
# on etc/demo.ini and shows its progress. The status page is on http://127.0.0.1:8089/.
# Ctrl-C stops everything this script started.
#
#   packaging/demo.sh                      # interactive: runs until Ctrl-C
#   packaging/demo.sh --exit-when-synced   # exits 0 once the target matches the source
#   DEMO_CONTAINERS=2000 packaging/demo.sh # a bigger source (default 300)
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
exit_when_synced=false
for arg in "$@"; do
    case "$arg" in
        --exit-when-synced) exit_when_synced=true ;;
        -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
        *) echo "demo: unknown argument '$arg' (try --help)" >&2; exit 64 ;;
    esac
done

containers=${DEMO_CONTAINERS:-300}
build=${BUILD_DIR:-$root/build/demo}
work=/tmp/soar-sync-demo
timeout_s=${DEMO_TIMEOUT:-300}

say() { printf '\033[1mdemo:\033[0m %s\n' "$*"; }

"$root/packaging/install-deps.sh"

say "building soar-sync and soar-emulator in $build"
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >"$build.configure.log" 2>&1 ||
    { cat "$build.configure.log"; exit 1; }
cmake --build "$build" -j "$(nproc)" --target soar-sync soar-emulator >"$build.build.log" 2>&1 ||
    { tail -50 "$build.build.log"; exit 1; }
emulator="$build/tests/emulator/soar-emulator"
daemon="$build/app/soar-sync"

for port in 8441 8442 8089; do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
        echo "demo: port $port on 127.0.0.1 is in use; stop what listens there (an earlier demo?)" >&2
        exit 69
    fi
done

# A fresh state file each run: the demo always starts from an empty target.
rm -rf "$work"
mkdir -p "$work"
export SOAR_DEMO_TOKEN="demo-$(od -An -N8 -tx8 /dev/urandom | tr -d ' ')"

pids=()
cleanup() {
    trap - INT TERM EXIT
    if [ ${#pids[@]} -gt 0 ]; then
        say "stopping ${#pids[@]} processes"
        kill -TERM "${pids[@]}" 2>/dev/null || true
        wait "${pids[@]}" 2>/dev/null || true
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

"$emulator" --port 8441 --token "$SOAR_DEMO_TOKEN" --seed 7 --containers "$containers" \
    --artifacts 3 >"$work/source.log" 2>&1 &
pids+=($!)
"$emulator" --port 8442 --token "$SOAR_DEMO_TOKEN" --labels events,incident \
    --playbook local/triage_synced:success:2 >"$work/target.log" 2>&1 &
pids+=($!)

api() {  # api PORT PATH: GET a SOAR REST path from an emulator
    curl -sfg -H "ph-auth-token: $SOAR_DEMO_TOKEN" "http://127.0.0.1:$1$2"
}
count() {  # count PORT TYPE: how many records of TYPE the emulator holds
    api "$1" "/rest/$2?page_size=1" | sed -n 's/.*"count": *\([0-9]*\).*/\1/p'
}

for port in 8441 8442; do
    for _ in $(seq 50); do api "$port" /rest/version >/dev/null 2>&1 && break; sleep 0.1; done
    api "$port" /rest/version >/dev/null || { echo "demo: emulator on $port did not start" >&2; cat "$work"/*.log >&2; exit 69; }
done
say "source emulator on http://127.0.0.1:8441 ($containers containers, 3 artifacts each)"
say "target emulator on http://127.0.0.1:8442 (empty)"

"$daemon" --config "$root/etc/demo.ini" run >"$work/soar-sync.log" 2>&1 &
pids+=($!)
daemon_pid=$!
say "soar-sync is running (log: $work/soar-sync.log)"
say "status page: http://127.0.0.1:8089/   JSON: /status   metrics: /metrics"

source_containers=$(count 8441 container)
source_artifacts=$(count 8441 artifact)
start=$SECONDS
while true; do
    if ! kill -0 "$daemon_pid" 2>/dev/null; then
        echo "demo: soar-sync stopped; its log:" >&2
        tail -30 "$work/soar-sync.log" >&2
        exit 70
    fi
    target_containers=$(count 8442 container || echo 0)
    target_artifacts=$(count 8442 artifact || echo 0)
    runs=$(count 8442 playbook_run || echo 0)
    printf '\rdemo: target holds %s/%s containers, %s/%s artifacts; %s playbook runs   ' \
        "${target_containers:-0}" "$source_containers" "${target_artifacts:-0}" \
        "$source_artifacts" "${runs:-0}"
    if [ "${target_containers:-0}" = "$source_containers" ] &&
       [ "${target_artifacts:-0}" = "$source_artifacts" ]; then
        if $exit_when_synced; then
            echo
            ready=$(curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:8089/readyz || true)
            say "synced in $((SECONDS - start)) s; /readyz answers $ready"
            "$daemon" --config "$root/etc/demo.ini" status
            [ "$ready" = 200 ] || { sleep 6; ready=$(curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:8089/readyz || true); }
            [ "$ready" = 200 ] && exit 0
            echo "demo: synced, but /readyz answers $ready" >&2
            curl -s http://127.0.0.1:8089/readyz >&2 || true
            exit 1
        fi
    fi
    if $exit_when_synced && [ $((SECONDS - start)) -gt "$timeout_s" ]; then
        echo
        echo "demo: not synced after $timeout_s s; the daemon's log:" >&2
        tail -30 "$work/soar-sync.log" >&2
        exit 1
    fi
    sleep 2
done
