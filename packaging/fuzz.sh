#!/usr/bin/env bash
# Runs every libFuzzer target of tests/fuzz for a share of SECONDS (default 600), each from its
# checked-in seed corpus plus what earlier runs found (kept in the build folder, so the
# checked-in corpus only changes when someone copies a useful input there on purpose).
# Builds the targets with clang first unless SOAR_FUZZ_NO_BUILD=1.
#
#   packaging/fuzz.sh               # 10 minutes in all
#   packaging/fuzz.sh 3600          # an hour
#   packaging/fuzz.sh 600 query     # only the targets whose name contains "query"
#
# A crash leaves its input as crash-* in the target's work folder and fails the script; rerun
# it with `build/fuzz/tests/fuzz/fuzz-<target> <file>`.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

seconds=${1:-600}
only=${2:-}
build=$(realpath -m "${FUZZ_BUILD_DIR:-build/fuzz}")
jobs=${JOBS:-$(nproc)}

if [ "${SOAR_FUZZ_NO_BUILD:-0}" != "1" ]; then
    echo "== build fuzz targets ($build, clang)"
    CC=clang CXX=clang++ cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
        -DSOAR_SYNC_WERROR=ON -DSOAR_SYNC_FUZZ=ON -DSOAR_SYNC_BUILD_TESTS=OFF >/dev/null
    cmake --build "$build" -j "$jobs"
fi

targets=()
for corpus in tests/fuzz/corpus/*/; do
    name=$(basename "$corpus")
    [ -z "$only" ] || [[ "$name" == *"$only"* ]] || continue
    targets+=("$name")
done
[ ${#targets[@]} -gt 0 ] || { echo "fuzz: no targets match '$only'" >&2; exit 64; }
per=$((seconds / ${#targets[@]}))
[ "$per" -ge 1 ] || per=1

status=0
for name in "${targets[@]}"; do
    exe="$build/tests/fuzz/fuzz-$name"
    [ -x "$exe" ] || { echo "fuzz: $exe not built" >&2; exit 1; }
    work="$build/fuzz-work/$name"
    mkdir -p "$work/corpus"
    echo "== fuzz $name (${per} s)"
    # New inputs go to the work corpus (first folder); the seeds are read from the second.
    if ! (cd "$work" && "$exe" -max_total_time="$per" -timeout=10 -rss_limit_mb=2048 \
            -print_final_stats=1 corpus "$root/tests/fuzz/corpus/$name" 2>&1 | tail -n 25); then
        echo "fuzz: $name FAILED; inputs in $work" >&2
        status=1
    fi
done
[ $status -eq 0 ] && echo "fuzz: ${#targets[@]} targets, no findings"
exit $status
