#!/usr/bin/env bash
# The one test entry point (CI runs exactly this through .ci/run):
# installs missing dependencies, checks formatting and layering, builds with warnings
# as errors, runs every test with ctest and prints ctest's summary, runs the demo from a
# fresh clone of the last commit (as a new user would) until the target is synced and the
# dead-letter workflow it prints works; then builds again with clang, AddressSanitizer,
# UndefinedBehaviorSanitizer and libFuzzer's coverage instrumentation, runs every test
# again on that build and gives each libFuzzer target of the same build a short run; then
# builds with clang and ThreadSanitizer and runs the unit and integration tests (the route
# engine's workers, group commits, the daemon's threads, the status server).
#
#   packaging/test.sh                 # everything
#   SOAR_TEST_TSAN=0 packaging/test.sh           # without the ThreadSanitizer build
#   SOAR_TEST_QUICK=1 packaging/test.sh          # skip the sanitizer builds and the fuzz run
#   SOAR_TEST_ARGS="-L unit" packaging/test.sh   # extra ctest arguments (every ctest run)
#   BUILD_DIR=build/mine CHECKED_BUILD_DIR=build/mine-checked TSAN_BUILD_DIR=build/mine-tsan \
#       packaging/test.sh
#   SOAR_FUZZ_SECONDS=60 packaging/test.sh       # total fuzzing time, split over the targets
set -euo pipefail
# The whole script is one block, read before it runs: editing this file during a run (a
# checkout, a rebase) cannot make bash execute a half-old, half-new script.
{
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

started=$(date +%s)
step() { echo "== $* ($(($(date +%s) - started)) s)"; }

step "install-deps"
"$root/packaging/install-deps.sh"

step "format check (clang-format)"
mapfile -t sources < <(git ls-files '*.cpp' '*.h' 2>/dev/null || find state sync app tests -name '*.cpp' -o -name '*.h')
if [ ${#sources[@]} -gt 0 ]; then
    clang-format --dry-run -Werror "${sources[@]}"
fi

step "layering check"
"$root/tools/check-layering.sh" "$root"

build=${BUILD_DIR:-build/ci}
checked_build=${CHECKED_BUILD_DIR:-build/checked}
tsan_build=${TSAN_BUILD_DIR:-build/tsan}
jobs=${JOBS:-$(nproc)}

# ctest prints its summary ("100% tests passed, ..." and the list of failures) last; it is
# kept even when tests fail, and the script then fails with ctest's status.
run_ctest() {
    local dir=$1
    shift
    local status=0
    # shellcheck disable=SC2086
    (cd "$dir" && ${ctest_prefix:-} ctest --output-on-failure -j "$jobs" "$@" ${SOAR_TEST_ARGS:-}) ||
        status=$?
    return $status
}

# One private PostgreSQL server (initdb in a temporary folder, as an unprivileged user) for
# every ctest run below; the state tests read SOAR_SYNC_TEST_PG_*. Stopped on any exit.
step "PostgreSQL test server (packaging/pg-test-server.sh)"
pg_dir=$(mktemp -d)
stop_pg() { "$root/packaging/pg-test-server.sh" stop "$pg_dir" >/dev/null 2>&1 || true; rm -rf "$pg_dir"; }
trap stop_pg EXIT
eval "$("$root/packaging/pg-test-server.sh" start "$pg_dir")"

step "configure ($build)"
# shellcheck disable=SC2086
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSOAR_SYNC_WERROR=ON ${SOAR_CMAKE_ARGS:-}
step "build (-j$jobs)"
cmake --build "$build" -j "$jobs"
step "test"
run_ctest "$build"

step "demo from a fresh clone (packaging/demo.sh --exit-when-synced)"
# The README's first command as a new user runs it: a clone of the commit under test, built
# in the clone's own build/demo, so it cannot lean on this tree's build directories.
demo_tmp=$(mktemp -d)
trap 'rm -rf "$demo_tmp"; stop_pg' EXIT
if head=$(git -C "$root" rev-parse --verify --quiet HEAD 2>/dev/null); then
    if [ -n "$(git -C "$root" status --porcelain)" ]; then
        echo "demo: this tree has uncommitted changes; the demo tests the last commit, ${head:0:12}"
    fi
    git clone --quiet --no-local "$root" "$demo_tmp/soar-sync"
    git -C "$demo_tmp/soar-sync" checkout --quiet "$head"
else
    # Not a git checkout (a source archive): a copy of the tree without its build folders.
    echo "demo: $root is not a git checkout; the demo runs on a copy of it without build/"
    mkdir "$demo_tmp/soar-sync"
    tar -C "$root" --exclude=./build --exclude='./build-*' -cf - . | tar -C "$demo_tmp/soar-sync" -xf -
fi
demo_status=0
"$demo_tmp/soar-sync/packaging/demo.sh" --exit-when-synced >"$demo_tmp/demo.log" 2>&1 ||
    demo_status=$?
# The demo's last lines: its next steps and the dead-letter check, or why it failed.
if [ "$demo_status" -eq 0 ]; then tail -n 12 "$demo_tmp/demo.log"; else tail -n 60 "$demo_tmp/demo.log"; fi
rm -rf "$demo_tmp"
[ "$demo_status" -eq 0 ] || { echo "== demo failed (exit $demo_status)"; exit "$demo_status"; }

if [ "${SOAR_TEST_QUICK:-0}" = "1" ]; then
    step "done (SOAR_TEST_QUICK=1: sanitizer builds and fuzzing skipped)"
    exit 0
fi

step "configure asan+ubsan+fuzz ($checked_build, clang)"
# One clang build serves both: every library and test is checked by ASan and UBSan, and the
# same libraries carry libFuzzer's coverage instrumentation for the fuzz targets.
# shellcheck disable=SC2086
CC=clang CXX=clang++ cmake -S . -B "$checked_build" -DCMAKE_BUILD_TYPE=Debug \
    -DSOAR_SYNC_WERROR=ON -DSOAR_SYNC_FUZZ=ON ${SOAR_CMAKE_ARGS:-}
step "build asan+ubsan+fuzz (-j$jobs)"
cmake --build "$checked_build" -j "$jobs"
step "test asan+ubsan"
# Leaks are reported (detect_leaks) and fail the test; UBSan findings abort (the build uses
# -fno-sanitize-recover=all) with a stack trace.
ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:strict_string_checks=1} \
UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
    run_ctest "$checked_build"
step "fuzz (${SOAR_FUZZ_SECONDS:-60} s in all)"
SOAR_FUZZ_NO_BUILD=1 FUZZ_BUILD_DIR="$checked_build" "$root/packaging/fuzz.sh" "${SOAR_FUZZ_SECONDS:-60}"

if [ "${SOAR_TEST_TSAN:-1}" = "0" ]; then
    step "done (SOAR_TEST_TSAN=0: ThreadSanitizer build skipped)"
    exit 0
fi

step "configure tsan ($tsan_build, clang)"
# shellcheck disable=SC2086
CC=clang CXX=clang++ cmake -S . -B "$tsan_build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DSOAR_SYNC_WERROR=ON -DSOAR_SYNC_SANITIZE=thread ${SOAR_CMAKE_ARGS:-}
step "build tsan (-j$jobs)"
cmake --build "$tsan_build" -j "$jobs"
step "test tsan (unit and integration)"
# A data race or lock-order inversion fails the test that shows it. The crash and fault
# suites are left to the other two builds: they add minutes, not threads.
# Without address randomisation (setarch -R, inherited by the test children): TSan's fixed
# memory layout fails at start on kernels with more mmap randomisation bits than it expects.
# tests/tsan.supp names the races TSan reports inside the C++ runtime itself.
ctest_prefix="setarch $(uname -m) -R" \
TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=1:second_deadlock_stack=1:suppressions=$root/tests/tsan.supp} \
    run_ctest "$tsan_build" -L "unit|integration"

step "done"
exit 0
}
