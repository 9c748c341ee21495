#!/usr/bin/env bash
# Builds the Debian packages: a Release build, then cpack. Prints the paths of the .debs:
# soar-sync (the daemon) and soar-sync-emulator (the test emulator, for test hosts only).
#   packaging/build-deb.sh [OUTPUT_DIR]     (default: build/deb)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=$(mkdir -p "${1:-$root/build/deb}" && cd "${1:-$root/build/deb}" && pwd)
build=${BUILD_DIR:-$root/build/release-deb}
"$root/packaging/install-deps.sh" dpkg-dev
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DSOAR_SYNC_BUILD_TESTS=ON >/dev/null
cmake --build "$build" -j "$(nproc)" --target soar-sync soar-emulator soar_sync_man
(cd "$build" && cpack -G DEB -B "$out" >/dev/null)
rm -rf "$out/_CPack_Packages"
ls "$out"/soar-sync_*.deb "$out"/soar-sync-emulator_*.deb
