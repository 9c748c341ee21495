#!/usr/bin/env bash
# Takes a screenshot of the status page: runs packaging/demo.sh (a seeded source emulator on
# 8441, a target on 8442 and the daemon with its status page on 127.0.0.1:8089), waits until
# /readyz answers 200 and a little longer, shoots http://127.0.0.1:8089/ with headless
# Chromium at 1280x1000, then stops the demo.
#
#   packaging/screenshot.sh                 # writes docs/status-page.png
#   packaging/screenshot.sh /tmp/page.png   # writes there instead
#
# Environment: SCREENSHOT_TIMEOUT (seconds to wait for /readyz, default 900: the demo builds
# first), SCREENSHOT_SETTLE (seconds to wait after that, default 3), and what demo.sh reads
# (BUILD_DIR, DEMO_CONTAINERS).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
case "${1:-}" in
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
esac
out=${1:-$root/docs/status-page.png}
case "$out" in /*) ;; *) out="$PWD/$out" ;; esac
base=http://127.0.0.1:8089
timeout_s=${SCREENSHOT_TIMEOUT:-900}
settle_s=${SCREENSHOT_SETTLE:-3}
chromium=/usr/bin/chromium

say() { printf '\033[1mscreenshot:\033[0m %s\n' "$*"; }

[ -x "$chromium" ] || {
    echo "screenshot: headless Chromium ($chromium) is missing; packaging/install-deps.sh installs it" >&2
    exit 69
}
command -v curl >/dev/null || { echo "screenshot: curl is missing" >&2; exit 69; }
# Another demo's page would answer /readyz before ours fails to bind: refuse up front.
for port in 8441 8442 8089; do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
        echo "screenshot: port $port on 127.0.0.1 is in use; stop what listens there (a demo?)" >&2
        exit 69
    fi
done

work=$(mktemp -d /tmp/soar-sync-screenshot.XXXXXX)
demo_log="$work/demo.log"

# Job control: the demo runs in its own process group, with SIGINT not ignored (a background
# job of a non-interactive shell ignores it otherwise), so it can be stopped as Ctrl-C would.
set -m
"$root/packaging/demo.sh" >"$demo_log" 2>&1 &
demo_pid=$!
set +m

stop_demo() {
    trap - EXIT INT TERM
    if kill -0 "$demo_pid" 2>/dev/null; then
        say "stopping the demo"
        kill -INT -- "-$demo_pid" 2>/dev/null || true
        for _ in $(seq 150); do
            kill -0 "$demo_pid" 2>/dev/null || break
            sleep 0.2
        done
        if kill -0 "$demo_pid" 2>/dev/null; then
            echo "screenshot: the demo did not stop on SIGINT within 30 s; killing it" >&2
            kill -KILL -- "-$demo_pid" 2>/dev/null || true
        fi
    fi
    wait "$demo_pid" 2>/dev/null || true
    rm -rf "$work"
}
trap stop_demo EXIT
trap 'exit 130' INT TERM

say "starting packaging/demo.sh (log: $demo_log)"
start=$SECONDS
while true; do
    code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$base/readyz" || true)
    [ "$code" = 200 ] && break
    if ! kill -0 "$demo_pid" 2>/dev/null; then
        echo "screenshot: the demo stopped before the status page was ready; its output:" >&2
        tail -40 "$demo_log" >&2
        exit 1
    fi
    if [ $((SECONDS - start)) -ge "$timeout_s" ]; then
        echo "screenshot: $base/readyz did not answer 200 within $timeout_s s (last: $code);" \
            "the demo's output:" >&2
        tail -40 "$demo_log" >&2
        exit 1
    fi
    sleep 1
done
say "$base/readyz answers 200 after $((SECONDS - start)) s; waiting $settle_s s more"
sleep "$settle_s"

mkdir -p "$(dirname "$out")"
rm -f "$out"
say "shooting $base/ at 1280x1000"
# Under load Chromium now and then exits 0 without writing the file: try a few times.
for attempt in 1 2 3; do
    timeout 120 "$chromium" --headless=new --no-sandbox --disable-gpu --disable-dev-shm-usage \
        --no-first-run --disable-background-networking --disable-component-update \
        --hide-scrollbars --user-data-dir="$work/profile" --window-size=1280,1000 \
        --screenshot="$out" "$base/" >"$work/chromium.log" 2>&1 || {
        echo "screenshot: chromium failed; its output:" >&2
        tail -20 "$work/chromium.log" >&2
        exit 1
    }
    [ -s "$out" ] && break
    echo "screenshot: attempt $attempt: chromium wrote no $out; trying again" >&2
    sleep 2
done
[ -s "$out" ] || {
    echo "screenshot: chromium wrote no $out; its output:" >&2
    tail -20 "$work/chromium.log" >&2
    exit 1
}
say "wrote $out ($(stat -c %s "$out") bytes)"
