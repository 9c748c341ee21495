#!/usr/bin/env bash
# First run of soar-sync, from a fresh clone. It installs what the demo needs
# (install-deps.sh --demo), builds soar-sync and soar-emulator in build/demo, and starts:
#   - a source SOAR emulator on 127.0.0.1:8441: 300 containers, each with 3 artifacts, a
#     note and a comment, plus 5 containers labelled "phishing";
#   - a target emulator on 127.0.0.1:8442, empty, that knows only the labels events and
#     incident: it refuses the phishing containers, and soar-sync dead-letters them;
#   - soar-sync on etc/demo.ini, with its status page on http://127.0.0.1:8089/.
# It shows the progress; once the target holds everything it accepts, it prints the next
# steps (what was refused, add the label, re-drive the dead letters). Both emulators take
# the token in /tmp/soar-sync-demo/token (0600), which etc/demo.ini reads: the printed
# commands work from any shell. Ctrl-C stops everything it started.
#
#   packaging/demo.sh                      # interactive: runs until Ctrl-C
#   packaging/demo.sh --exit-when-synced   # once synced, also runs the next steps itself
#                                          # (dead-letters, add the label, retry-dead),
#                                          # checks that the target then holds every record,
#                                          # stops everything and exits 0
#   DEMO_CONTAINERS=2000 packaging/demo.sh # a bigger source (default 300)
#   DEMO_TIMEOUT=600 packaging/demo.sh --exit-when-synced  # seconds to wait (default 300)
#   BUILD_DIR=/tmp/demo-build packaging/demo.sh            # build elsewhere than build/demo
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
exit_when_synced=false
for arg in "$@"; do
    case "$arg" in
        --exit-when-synced) exit_when_synced=true ;;
        -h|--help) sed -n '2,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) echo "demo: unknown argument '$arg' (try --help)" >&2; exit 64 ;;
    esac
done

containers=${DEMO_CONTAINERS:-300}
refused_label=phishing   # a label the target lacks
refused=5                # source containers with that label
build=${BUILD_DIR:-$root/build/demo}
case "$build" in /*) ;; *) build=$PWD/$build ;; esac
work=/tmp/soar-sync-demo
token_file=$work/token
config=$root/etc/demo.ini
timeout_s=${DEMO_TIMEOUT:-300}

# On a terminal: bold prefixes and one progress line rewritten in place. Elsewhere (a CI
# log, a pipe): plain lines, progress at most every few seconds.
if [ -t 1 ]; then tty=true; else tty=false; fi
progress_open=false
last_progress=-100
end_progress() {  # ends a pending progress line, so that the next line starts on its own
    if $progress_open; then printf '\n'; progress_open=false; fi
}
say() {
    end_progress
    if $tty; then printf '\033[1mdemo:\033[0m %s\n' "$*"; else printf 'demo: %s\n' "$*"; fi
}
warn() { end_progress; echo "demo: $*" >&2; }
progress() {  # progress TEXT [now]: "now" prints a plain line even within the few seconds
    if $tty; then
        printf '\r\033[Kdemo: %s' "$1"
        progress_open=true
    elif [ "${2:-}" = now ] || [ $((SECONDS - last_progress)) -ge 5 ]; then
        printf 'demo: %s\n' "$1"
        last_progress=$SECONDS
    fi
}
# A path as the user would type it: relative to the repository when they ran the demo
# from its root, absolute otherwise.
shown() {
    if [ "$(pwd -P)" = "$(cd "$root" && pwd -P)" ] && [ "${1#"$root"/}" != "$1" ]; then
        printf '%s' "${1#"$root"/}"
    else
        printf '%s' "$1"
    fi
}

"$root/packaging/install-deps.sh" --demo

say "building soar-sync and soar-emulator in $(shown "$build")"
mkdir -p "$(dirname "$build")"
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >"$build.configure.log" 2>&1 ||
    { cat "$build.configure.log"; exit 1; }
cmake --build "$build" -j "$(nproc)" --target soar-sync soar-emulator >"$build.build.log" 2>&1 ||
    { tail -50 "$build.build.log"; exit 1; }
emulator="$build/tests/emulator/soar-emulator"
daemon="$build/app/soar-sync"

for port in 8441 8442 8089; do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
        warn "port $port on 127.0.0.1 is in use; stop what listens there (an earlier demo?)"
        exit 69
    fi
done

# A fresh state file and token each run: the demo always starts from an empty target.
rm -rf "$work"
(
    umask 077
    mkdir -p "$work"
    printf 'demo-%s\n' "$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')" >"$token_file"
)
token=$(cat "$token_file")

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
# After the terminal's ^C echo, the next line starts on a line of its own.
trap 'if $tty; then progress_open=true; fi; exit 130' INT
trap 'exit 143' TERM

"$emulator" --port 8441 --token "$token" --seed 7 --containers "$containers" --artifacts 3 \
    --notes 1 --extra-label "$refused_label:$refused" >"$work/source.log" 2>&1 &
pids+=($!)
"$emulator" --port 8442 --token "$token" --labels events,incident \
    --playbook local/triage_synced:success:2 >"$work/target.log" 2>&1 &
pids+=($!)

api() {  # api PORT PATH [curl args]: GET a SOAR REST path from an emulator
    local port=$1 path=$2
    shift 2
    curl -sfG --max-time 10 -H "ph-auth-token: $token" "$@" "http://127.0.0.1:$port$path"
}
count() {  # count PORT TYPE [filter]: how many records of TYPE the emulator holds
    local port=$1 type=$2 page n
    shift 2
    local filter=()
    if [ $# -gt 0 ]; then filter=(--data-urlencode "$1"); fi
    # A busy emulator may drop a connection (its queue is full while the daemon writes).
    for _ in 1 2 3; do
        if page=$(api "$port" "/rest/$type" --data-urlencode page_size=1 "${filter[@]}"); then
            n=$(sed -n 's/^{"count": *\([0-9]*\).*/\1/p' <<<"$page")
            if [ -n "$n" ]; then echo "$n"; return 0; fi
        fi
        sleep 0.2
    done
    return 1
}
dead_letters() {  # dead letters the daemon holds, all routes and targets (from /status)
    local status
    status=$(curl -sf --max-time 10 http://127.0.0.1:8089/status) || return 1
    sed -n 's/.*"dead_letters" *: *\([0-9]*\).*/\1/p' <<<"$status" |
        awk '{ n += $1 } END { print n + 0 }'
}
readyz() { curl -s --max-time 10 -o /dev/null -w '%{http_code}' http://127.0.0.1:8089/readyz || true; }

for port in 8441 8442; do
    for _ in $(seq 50); do api "$port" /rest/version >/dev/null 2>&1 && break; sleep 0.1; done
    api "$port" /rest/version >/dev/null ||
        { warn "emulator on $port did not start"; cat "$work"/*.log >&2; exit 69; }
done

# What the target can accept: the source's records whose container has a label it knows.
known='["events", "incident"]'
src_containers=$(count 8441 container)
src_artifacts=$(count 8441 artifact)
src_notes=$(count 8441 note)
src_comments=$(count 8441 container_comment)
want_containers=$(count 8441 container "_filter_label__in=$known")
want_artifacts=$(count 8441 artifact "_filter_container__label__in=$known")
want_notes=$(count 8441 note "_filter_container__label__in=$known")
want_comments=$(count 8441 container_comment "_filter_container__label__in=$known")
want_dead=$((src_containers - want_containers))
say "source emulator on http://127.0.0.1:8441: $src_containers containers, $src_artifacts" \
    "artifacts, $src_notes notes, $src_comments comments ($want_dead containers labelled" \
    "$refused_label)"
say "target emulator on http://127.0.0.1:8442: empty, labels events and incident only"

"$daemon" --config "$config" run >"$work/soar-sync.log" 2>&1 &
pids+=($!)
daemon_pid=$!
say "soar-sync is running (log: $work/soar-sync.log)"
say "status page: http://127.0.0.1:8089/   JSON: /status   metrics: /metrics"

sync_cmd="$(shown "$daemon") --config $(shown "$config")"
# shellcheck disable=SC2016  # $(cat ...) is for the user's shell
label_cmd='curl -s -H "ph-auth-token: $(cat '"$token_file"')" -d '"'"'{"add_label": true, "label_name": "'"$refused_label"'"}'"'"' http://127.0.0.1:8442/rest/system_settings/events'
next_steps() {
    end_progress
    printf 'Next steps:\n'
    printf '  status page        http://127.0.0.1:8089/\n'
    printf '  what was refused   %s dead-letters\n' "$sync_cmd"
    printf '  add the label      %s\n' "$label_cmd"
    printf '  re-drive them      %s retry-dead\n' "$sync_cmd"
}

# Records (containers/artifacts/notes/comments) the target holds, and the dead letters.
# A count that cannot be read keeps its last value. The containers are counted last, so that
# while the daemon writes, a line never shows more of a container's records than containers.
t_containers=0 t_artifacts=0 t_notes=0 t_comments=0 t_runs=0 dead=0
read_target() {
    local n
    n=$(dead_letters) && dead=$n
    n=$(count 8442 playbook_run) && t_runs=$n
    n=$(count 8442 container_comment) && t_comments=$n
    n=$(count 8442 note) && t_notes=$n
    n=$(count 8442 artifact) && t_artifacts=$n
    n=$(count 8442 container) && t_containers=$n
    return 0
}
report() {
    printf 'target holds %s/%s containers, %s/%s artifacts, %s/%s notes, %s/%s comments; %s playbook runs; %s dead letters' \
        "$t_containers" "$src_containers" "$t_artifacts" "$src_artifacts" \
        "$t_notes" "$src_notes" "$t_comments" "$src_comments" "$t_runs" "$dead"
}

# The dead-letter workflow the next steps describe, run end to end: list the dead letters,
# add the label on the target, re-drive them, and check that the target then holds every
# record.
self_check() {
    local before=$dead listed listed_n response
    if ! listed=$("$daemon" --config "$config" dead-letters --json 2>&1); then
        warn "soar-sync dead-letters failed: $listed"
        return 1
    fi
    listed_n=$(sed -n 's/^ *"total" *: *\([0-9]*\).*/\1/p' <<<"$listed")
    if [ "$listed_n" != "$before" ]; then
        warn "soar-sync dead-letters lists ${listed_n:-none} dead letters, /status $before"
        return 1
    fi
    response=$(eval "$label_cmd") || { warn "adding the label failed: $response"; return 1; }
    case "$response" in *'"success": true'*|*'"success":true'*) ;;
        *) warn "adding the label answered: $response"; return 1 ;;
    esac
    if ! "$daemon" --config "$config" retry-dead >"$work/retry-dead.log" 2>&1; then
        warn "soar-sync retry-dead failed; its output:"
        tail -20 "$work/retry-dead.log" >&2
        return 1
    fi
    local deadline=$((SECONDS + 30))
    while true; do
        read_target
        if [ "$dead" = 0 ] && [ "$t_containers" = "$src_containers" ] &&
           [ "$t_artifacts" = "$src_artifacts" ] && [ "$t_notes" = "$src_notes" ] &&
           [ "$t_comments" = "$src_comments" ]; then
            say "dead-letter workflow: $listed_n listed, label added, $((before - dead))" \
                "re-driven; target holds $t_containers/$src_containers containers"
            return 0
        fi
        if [ $SECONDS -gt $deadline ]; then
            warn "after retry-dead: $(report)"
            tail -20 "$work/retry-dead.log" >&2
            return 1
        fi
        sleep 1
    done
}

start=$SECONDS
synced=false
last_line=
while true; do
    if ! kill -0 "$daemon_pid" 2>/dev/null; then
        warn "soar-sync stopped; its log:"
        tail -30 "$work/soar-sync.log" >&2
        exit 70
    fi
    read_target
    ready=$(readyz)
    line=$(report)
    if ! $synced && [ "$ready" = 200 ] && [ "$t_containers" = "$want_containers" ] &&
       [ "$t_artifacts" = "$want_artifacts" ] && [ "$t_notes" = "$want_notes" ] &&
       [ "$t_comments" = "$want_comments" ] && [ "$dead" = "$want_dead" ]; then
        synced=true
        progress "$line" now
        last_line=$line
        say "synced in $((SECONDS - start)) s: the target holds every record it accepts;" \
            "$want_dead containers labelled $refused_label were refused (dead letters)"
        next_steps
        if $exit_when_synced; then
            self_check || exit 1
            exit 0
        fi
        say "Ctrl-C stops the demo"
    elif ! $synced; then
        progress "$line"
    elif [ "$line" != "$last_line" ]; then
        # Once synced, a line only when something changed (the next steps were followed).
        progress "$line" now
        last_line=$line
    fi
    if $exit_when_synced && [ $((SECONDS - start)) -gt "$timeout_s" ]; then
        warn "not synced after $timeout_s s: $line (want $want_containers containers," \
            "$want_artifacts artifacts, $want_notes notes, $want_comments comments," \
            "$want_dead dead letters)"
        if [ "$ready" != 200 ]; then
            warn "/readyz answers $ready: $(curl -s http://127.0.0.1:8089/readyz || true)"
        fi
        warn "the daemon's log:"
        tail -30 "$work/soar-sync.log" >&2
        exit 1
    fi
    sleep 2
done
