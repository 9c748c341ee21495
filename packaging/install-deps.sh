#!/usr/bin/env bash
# Installs what soar-sync needs on Debian 12, with apt-get.
#
#   packaging/install-deps.sh --demo      # build and run the demo: soar-sync, soar-emulator
#   packaging/install-deps.sh             # everything packaging/test.sh needs (a superset)
#   packaging/install-deps.sh PKG...      # also these packages (build-deb.sh adds dpkg-dev)
#
# Idempotent: packages already installed are skipped, and apt is not touched at all when
# nothing is missing. Needs root (or sudo) only when something must be installed.
#
# prometheus is installed only for its promtool, postgresql only for the server binaries the
# state tests run in a temporary folder (packaging/pg-test-server.sh). Their maintainer
# scripts would enable and start a Prometheus server listening on every interface and a
# system PostgreSQL cluster; while either is installed here, a policy-rc.d that refuses every
# service start is in place (any existing one is put back afterwards); their services are then
# disabled (and stopped, where systemd runs), so that no server starts at the next boot either.
set -euo pipefail

demo=false
extra=()
for arg in "$@"; do
    case "$arg" in
        --demo) demo=true ;;
        -h|--help) awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"; exit 0 ;;
        -*) echo "install-deps: unknown option '$arg' (try --help)" >&2; exit 64 ;;
        *) extra+=("$arg") ;;
    esac
done

# The demo builds the soar-sync and soar-emulator targets. Configuring the project needs
# Catch2 even for those: soar-emulator lives under tests/, which find_package(Catch2)s.
packages=(
    g++ make cmake pkg-config curl
    libpoco-dev libsqlitecpp-dev libsqlite3-dev libssl-dev catch2
    libpq-dev         # the PostgreSQL state backend (libpq)
    libjemalloc-dev   # the allocator the executables link (SOAR_SYNC_ALLOCATOR)
)
if ! $demo; then
    packages+=(
        openssl           # the TLS tests make their certificates with the openssl tool
        dpkg-dev          # the package-deb test: cpack resolves Depends with dpkg-shlibdeps
        python3           # the dashboard test (packaging/grafana/check-dashboard.sh)
        clang-format      # the format check of packaging/test.sh
        clang libclang-rt-14-dev   # libFuzzer targets and the short fuzz run (packaging/fuzz.sh)
        chromium          # the status page's browser test
        prometheus        # promtool: /metrics and the alerting rules are checked with it
        postgresql        # the state tests' private server (packaging/pg-test-server.sh)
    )
fi
packages+=(${extra[@]+"${extra[@]}"})

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }

missing=()
for p in "${packages[@]}"; do
    installed "$p" || missing+=("$p")
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

# With prometheus to install: no service may start while apt runs (policy-rc.d answers 101,
# "action forbidden", to invoke-rc.d and deb-systemd-invoke alike).
policy=/usr/sbin/policy-rc.d
saved_policy=/usr/sbin/policy-rc.d.install-deps-saved
marker="# soar-sync install-deps: no service starts during this install"
guarded=false
restore_policy() {
    $guarded || return 0
    if [ -e "$saved_policy" ]; then
        "${sudo[@]}" mv -f "$saved_policy" "$policy"
    else
        "${sudo[@]}" rm -f "$policy"
    fi
    guarded=false
}
if [[ " ${missing[*]} " == *" prometheus "* || " ${missing[*]} " == *" postgresql "* ]]; then
    # A policy-rc.d of ours left by an interrupted run is not saved over the original.
    if [ -e "$policy" ] && ! grep -qxF "$marker" "$policy"; then
        "${sudo[@]}" cp -p "$policy" "$saved_policy"
    fi
    trap restore_policy EXIT
    guarded=true
    printf '#!/bin/sh\n%s\nexit 101\n' "$marker" | "${sudo[@]}" tee "$policy" >/dev/null
    "${sudo[@]}" chmod 0755 "$policy"
    node_exporter_before=false
    installed prometheus-node-exporter && node_exporter_before=true
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"

if $guarded; then
    restore_policy
    # Enabled by the package, refused a start above: disabled here so that no server starts
    # at the next boot either. A node exporter that was there before is left alone. The
    # postgresql cluster service is never used: the tests run their own server.
    units=()
    [[ " ${missing[*]} " == *" prometheus "* ]] && units+=(prometheus)
    [[ " ${missing[*]} " == *" postgresql "* ]] && units+=(postgresql)
    if ! $node_exporter_before && installed prometheus-node-exporter; then
        units+=(prometheus-node-exporter)
    fi
    if [ -d /run/systemd/system ]; then
        "${sudo[@]}" systemctl disable --now "${units[@]}" 2>/dev/null || true
    else
        # No systemd now: the sysvinit links and the systemd enablement (for a later boot
        # with systemd) are both turned off.
        for unit in "${units[@]}"; do
            if [ -e "/etc/init.d/$unit" ]; then
                "${sudo[@]}" update-rc.d "$unit" disable >/dev/null 2>&1 || true
            fi
        done
        if command -v systemctl >/dev/null; then
            "${sudo[@]}" systemctl disable "${units[@]}" >/dev/null 2>&1 || true
        fi
    fi
    echo "install-deps: ${units[*]} installed for their tools; no server of theirs runs or is enabled"
fi
