#!/usr/bin/env bash
# Builds soar-sync in Release and prints the design §8 figures, with the machine they came
# from: `soar-sync-bench sync` on loopback (the arguments go to it); the CPU of the syncing
# process per replayed container with CPU_ARTIFACTS (5) artifacts over CPU_SIZE (10,000)
# containers (CPU_SIZE=0 skips it); the same benchmark with LATENCY_MS (50) added to every
# request by both emulators and LATENCY_CONNECTIONS (16) connections: 2,000 containers x 5
# against the bound the latency sets, and against a seed-style serial loop (LATENCY_ARGS go to
# that run); last, the idle pass with every route feature on (notes, files, workbooks,
# mirror_back, lists) after a full sync of FEATURE_SIZES (100,000) containers (0 skips it).
# It ends with one table of the headline figures beside their targets.
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
cpu_size=${CPU_SIZE:-10000}
cpu_artifacts=${CPU_ARTIFACTS:-5}
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
out=$(mktemp)
trap 'rm -f "$out"' EXIT
# Each run opens with its own settings and the machine; the machine is printed once.
{
    "$bench" sync "$@"
    if [[ $cpu_size != 0 ]]; then
        "$bench" sync --no-throughput --no-files --no-large --sizes "$cpu_size" \
            --size-artifacts "$cpu_artifacts"
    fi
    if [[ $latency_ms != 0 ]]; then
        "$bench" sync --latency-ms "$latency_ms" --connections "$latency_connections" \
            "${latency_args[@]}"
    fi
    if [[ $feature_sizes != 0 ]]; then
        "$bench" sync --no-throughput --no-files --no-large --all-features \
            --sizes "$feature_sizes"
    fi
} | awk '/^machine: / && seen++ { next } { print; fflush() }' | tee "$out"

# The headline figures, taken from the runs above (a run that was skipped shows "-").
awk -v cpu_artifacts="$cpu_artifacts" '
    /^machine: / { machine = substr($0, 10) }
    /^full sync of / { section = "throughput"; what = $4 " x " $7 }
    /source containers x / { section = ($0 ~ /every feature on/) ? "features" : "sizes"
                              what = $1 " x " $5 }
    /^latency: / { section = "latency" }
    /sync \/ raw ingest/ { ratio = $6; ratio_what = what }
    section == "sizes" && /CPU of the syncing process/ && what ~ (" x " cpu_artifacts "$") {
        cpu = $10 " us"; cpu_what = what }
    section == "latency" && /^  bound:/ { bound = $7 " /s" }
    section == "latency" && /^  sync: containers\/s/ { rate = $3 " /s" }
    /sync \/ bound/ { of_bound = $4 }
    /sync \/ serial/ { serial = $5 "x" }
    section == "features" && /idle pass: requests/ { idle_requests = $4; features_what = what }
    section == "features" && /idle pass: CPU/ { idle_cpu = $4 " ms" }
    function line(name, got, target) {
        printf "  %-52s %20s   %s\n", name, (got == "" ? "-" : got), target }
    END {
        print "summary (" machine ")"
        line("full sync / raw ingest, " (ratio_what == "" ? "-" : ratio_what), ratio, ">= 0.85")
        line("CPU per replayed container, " (cpu_what == "" ? "-" : cpu_what), cpu, "<= 200 us")
        line("latency: full sync rate / bound", rate " / " bound, "")
        line("latency: full sync / bound", of_bound, ">= 0.85")
        line("latency: full sync / seed-style serial loop", serial, ">= 55x")
        line("idle pass, every feature on, " (features_what == "" ? "-" : features_what) ": requests",
             idle_requests, "1 per stream and per list")
        line("idle pass, every feature on: CPU", idle_cpu, "< 20 ms")
    }' "$out"
