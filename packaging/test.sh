#!/usr/bin/env bash
# The one test entry point (CI runs exactly this through .ci/run):
# installs missing dependencies, checks formatting and layering, builds with warnings
# as errors, runs every test with ctest and prints ctest's summary.
#
#   packaging/test.sh                 # everything
#   SOAR_TEST_ARGS="-L unit" packaging/test.sh   # extra ctest arguments
#   BUILD_DIR=build/mine packaging/test.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

"$root/packaging/install-deps.sh"

echo "== format check (clang-format)"
mapfile -t sources < <(git ls-files '*.cpp' '*.h' 2>/dev/null || find state sync app tests -name '*.cpp' -o -name '*.h')
if [ ${#sources[@]} -gt 0 ]; then
    clang-format --dry-run -Werror "${sources[@]}"
fi

echo "== layering check"
"$root/tools/check-layering.sh" "$root"

build=${BUILD_DIR:-build/ci}
jobs=${JOBS:-$(nproc)}
echo "== configure ($build)"
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSOAR_SYNC_WERROR=ON ${SOAR_CMAKE_ARGS:-}
echo "== build (-j$jobs)"
cmake --build "$build" -j "$jobs"
echo "== test"
cd "$build"
# shellcheck disable=SC2086
ctest --output-on-failure -j "$jobs" ${SOAR_TEST_ARGS:-}
