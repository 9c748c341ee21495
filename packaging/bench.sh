#!/usr/bin/env bash
# Builds soar-sync in Release and prints the design §8 figures (soar-sync-bench sync) as one
# table, with the machine they came from. Arguments go to the benchmark, e.g. a quick run:
#
#   packaging/bench.sh                                     # 20,000 x 5; RSS/idle at 10k, 100k
#   packaging/bench.sh --containers 2000 --sizes 2000      # a minute
#   BENCH=state packaging/bench.sh                         # another named benchmark
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

build=${BUILD_DIR:-build/bench}
jobs=${JOBS:-$(nproc)}
echo "== configure ($build, Release)"
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
echo "== build soar-sync-bench (-j$jobs)"
cmake --build "$build" -j "$jobs" --target soar-sync-bench >/dev/null
echo "== soar-sync-bench ${BENCH:-sync} $*"
echo "commit: $(git rev-parse --short HEAD 2>/dev/null || echo unknown), $(date -u +%Y-%m-%dT%H:%MZ)"
exec "$build/tests/bench/soar-sync-bench" "${BENCH:-sync}" "$@"
