#!/usr/bin/env bash
# Installs what soar-sync needs to build and test on Debian 12, with apt-get.
# Idempotent: packages already installed are skipped, and apt is not touched at all
# when nothing is missing. Needs root (or sudo) only when something must be installed.
set -euo pipefail

packages=(
    cmake g++ make pkg-config openssl curl
    libpoco-dev libsqlitecpp-dev libsqlite3-dev catch2 libssl-dev
    clang-format
    clang libclang-rt-14-dev   # libFuzzer targets and the short fuzz run (packaging/fuzz.sh)
    prometheus      # promtool: the status tests check /metrics with it
)
packages+=("$@")

missing=()
for p in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$p")
    fi
done

if [ ${#missing[@]} -eq 0 ]; then
    echo "install-deps: all ${#packages[@]} packages present"
    exit 0
fi

sudo=()
if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "install-deps: need root to install: ${missing[*]}" >&2; exit 1; }
    sudo=(sudo)
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
