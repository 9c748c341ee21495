#!/usr/bin/env bash
# Builds soar-sync in Release and prints the design §8 figures as one table, with the machine
# they came from: `soar-sync-bench sync` on loopback (the arguments go to it), then the same
# benchmark with LATENCY_MS (50) added to every request by both emulators and
# LATENCY_CONNECTIONS (16) connections: 2,000 containers x 5 against the bound the latency
# sets, and against a seed-style serial loop (LATENCY_ARGS go to that run). Last, the idle
# pass with every route feature on (notes, files, workbooks, mirror_back, lists) after a full
# sync of FEATURE_SIZES (100,000) containers; FEATURE_SIZES=0 skips it.
#
#   packaging/bench.sh                                     # 20,000 x 5; RSS/idle at 10k, 100k; latency
#   packaging/bench.sh --containers 2000 --sizes 2000      # a few minutes
#   LATENCY_ARGS="--containers 500 --serial-sample 20" packaging/bench.sh --no-throughput
#   LATENCY_MS=0 packaging/bench.sh                        # loopback only
#   BENCH=state packaging/bench.sh                         # another named benchmark
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

build=${BUILD_DIR:-build/bench}
jobs=${JOBS:-$(nproc)}
latency_ms=${LATENCY_MS:-50}
latency_connections=${LATENCY_CONNECTIONS:-16}
read -r -a latency_args <<<"${LATENCY_ARGS:-}"
feature_sizes=${FEATURE_SIZES:-100000}
echo "== configure ($build, Release)"
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
echo "== build soar-sync-bench (-j$jobs)"
cmake --build "$build" -j "$jobs" --target soar-sync-bench >/dev/null
bench="$build/tests/bench/soar-sync-bench"
echo "== soar-sync-bench ${BENCH:-sync} $*"
echo "commit: $(git rev-parse --short HEAD 2>/dev/null || echo unknown), $(date -u +%Y-%m-%dT%H:%MZ)"
if [[ ${BENCH:-sync} != sync ]]; then
    exec "$bench" "$BENCH" "$@"
fi
# Each run opens with its own settings and the machine; the machine is printed once.
{
    "$bench" sync "$@"
    if [[ $latency_ms != 0 ]]; then
        "$bench" sync --latency-ms "$latency_ms" --connections "$latency_connections" \
            "${latency_args[@]}"
    fi
    if [[ $feature_sizes != 0 ]]; then
        "$bench" sync --no-throughput --no-files --no-large --all-features \
            --sizes "$feature_sizes"
    fi
} | awk '/^machine: / && seen++ { next } { print; fflush() }'
