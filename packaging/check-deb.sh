#!/usr/bin/env bash
# Packs the already-built tree in BUILD_DIR with cpack and inspects the .deb: its files,
# conffiles, maintainer scripts (postinst runs in a sandbox), and the systemd unit
# (systemd-analyze verify where it is installed). Run by ctest as `package-deb`.
#   packaging/check-deb.sh BUILD_DIR
set -euo pipefail
build=$(cd "$1" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "check-deb: $*" >&2; exit 1; }

(cd "$build" && cpack -G DEB -B "$work" >"$work/cpack.log" 2>&1) || { cat "$work/cpack.log"; fail "cpack failed"; }
deb=$(ls "$work"/soar-sync_*.deb 2>/dev/null | head -1)  # the daemon's
[ -n "$deb" ] || fail "no .deb produced"
echo "check-deb: built $(basename "$deb")"

files=$(dpkg-deb -c "$deb" | awk '{print $6}')
for f in ./usr/bin/soar-sync ./etc/soar-sync/soar-sync.ini \
         ./lib/systemd/system/soar-sync.service ./usr/share/man/man1/soar-sync.1.gz; do
    grep -qx "$f" <<<"$files" || fail "missing $f"
done
# The emulator (a server with default credentials) comes in its own package, never with the
# daemon.
! grep -qx ./usr/bin/soar-emulator <<<"$files" || fail "the daemon's package ships soar-emulator"
emulator_deb=$(ls "$work"/soar-sync-emulator_*.deb 2>/dev/null | head -1)
[ -n "$emulator_deb" ] || fail "no soar-sync-emulator .deb produced"
dpkg-deb -c "$emulator_deb" | awk '{print $6}' | grep -qx ./usr/bin/soar-emulator ||
    fail "soar-sync-emulator lacks /usr/bin/soar-emulator"
echo "check-deb: built $(basename "$emulator_deb") apart, with soar-emulator only"
mkdir -p "$work/control"
dpkg-deb -e "$deb" "$work/control"
grep -qx /etc/soar-sync/soar-sync.ini "$work/control/conffiles" || fail "soar-sync.ini is not a conffile"
for s in postinst prerm postrm; do
    [ -x "$work/control/$s" ] || fail "maintainer script $s missing or not executable"
done
grep -q 'adduser --system' "$work/control/postinst" || fail "postinst does not create the user"
# /etc/soar-sync/env is made by postinst, never shipped: as a conffile, the administrator's
# tokens would meet the packaged version at every upgrade.
! grep -qx ./etc/soar-sync/env <<<"$files" || fail "the package ships /etc/soar-sync/env"
! grep -qx /etc/soar-sync/env "$work/control/conffiles" || fail "/etc/soar-sync/env is a conffile"
grep -q 'rm -f /etc/soar-sync/env' "$work/control/postrm" || fail "postrm purge keeps /etc/soar-sync/env"

# The packaged postinst, run for real in a sandbox: the commands that would change this
# system (adduser, install, chgrp, chmod outside the sandbox, systemctl, deb-systemd-invoke)
# are stand-ins that log their arguments; DPKG_ROOT puts the env file in the sandbox; and a
# sandbox folder stands for /run/systemd/system (systemd running).
sandbox=$work/postinst
mkdir -p "$sandbox/bin" "$sandbox/root/etc/soar-sync" "$sandbox/systemd"
for tool in cat sh; do ln -s "$(command -v "$tool")" "$sandbox/bin/$tool"; done
for tool in adduser install chgrp systemctl deb-systemd-invoke; do
    printf '#!/bin/sh\necho "%s $*" >>"%s"\n' "$tool" "$sandbox/calls" >"$sandbox/bin/$tool"
done
printf '#!/bin/sh\nexit 0\n' >"$sandbox/bin/getent"   # the soar-sync user exists
# shellcheck disable=SC2016  # $2, $@ and $* are the stand-in's own arguments
printf '#!/bin/sh\ncase "$2" in "%s"/*) exec %s "$@" ;; esac\necho "chmod $*" >>"%s"\n' \
    "$sandbox" "$(command -v chmod)" "$sandbox/calls" >"$sandbox/bin/chmod"
chmod +x "$sandbox"/bin/*
sed "s|/run/systemd/system|$sandbox/systemd|g" "$work/control/postinst" >"$sandbox/postinst"
env_file=$sandbox/root/etc/soar-sync/env
postinst() {  # postinst ARGS...: the sandboxed postinst; what it called is in $sandbox/calls
    : >"$sandbox/calls"
    PATH=$sandbox/bin DPKG_ROOT=$sandbox/root "$sandbox/bin/sh" "$sandbox/postinst" "$@" ||
        fail "postinst $* failed"
}
calls() { tr '\n' ';' <"$sandbox/calls"; }

postinst configure ""
[ -f "$env_file" ] || fail "postinst configure did not create /etc/soar-sync/env"
mode=$(stat -c %a "$env_file")
[ "$mode" = 600 ] || fail "/etc/soar-sync/env has mode $mode, not 0600"
[ "$(stat -c %u "$env_file")" = "$(id -u)" ] || fail "/etc/soar-sync/env is not owned by postinst's user"
! grep -qv '^#' "$env_file" || fail "/etc/soar-sync/env holds more than comments: $(grep -v '^#' "$env_file")"
grep -q '^# SOAR_HQ_TOKEN=' "$env_file" || fail "/etc/soar-sync/env shows no commented example"
! grep -q '^adduser' "$sandbox/calls" || fail "adduser ran for an existing user: $(calls)"
! grep -q 'try-restart' "$sandbox/calls" || fail "a first install restarted the service: $(calls)"

echo 'SOAR_HQ_TOKEN=kept' >>"$env_file"
postinst configure 0.0.1
grep -qx 'SOAR_HQ_TOKEN=kept' "$env_file" || fail "an upgrade rewrote /etc/soar-sync/env"
grep -qx 'deb-systemd-invoke try-restart soar-sync.service' "$sandbox/calls" ||
    fail "an upgrade did not try-restart the service: $(calls)"
rm "$sandbox/bin/deb-systemd-invoke"
postinst configure 0.0.1
grep -qx 'systemctl try-restart soar-sync.service' "$sandbox/calls" ||
    fail "without deb-systemd-invoke, an upgrade did not systemctl try-restart: $(calls)"
rmdir "$sandbox/systemd"
postinst configure 0.0.1
! grep -q 'systemctl\|deb-systemd-invoke' "$sandbox/calls" || fail "without systemd, postinst ran: $(calls)"
echo "check-deb: postinst: env file made once (0600, comments only); try-restart on upgrade only"
dpkg-deb -f "$deb" Depends | grep -q libpoconet || fail "Depends lacks the Poco libraries: $(dpkg-deb -f "$deb" Depends)"

mkdir -p "$work/root"
dpkg-deb -x "$deb" "$work/root"
# A daemon linked with jemalloc (SOAR_SYNC_ALLOCATOR, the default) needs its runtime package.
if readelf -d "$work/root/usr/bin/soar-sync" | grep -q 'NEEDED.*libjemalloc'; then
    dpkg-deb -f "$deb" Depends | grep -q libjemalloc ||
        fail "soar-sync links jemalloc but Depends lacks it: $(dpkg-deb -f "$deb" Depends)"
    echo "check-deb: Depends names jemalloc, which soar-sync links"
fi
unit="$work/root/lib/systemd/system/soar-sync.service"
for key in 'User=soar-sync' 'StateDirectory=soar-sync' 'EnvironmentFile=-/etc/soar-sync/env' \
           'NoNewPrivileges=true' 'ProtectSystem=strict' 'ProtectHome=true' 'PrivateTmp=true' \
           'ExecStart=/usr/bin/soar-sync --config /etc/soar-sync/soar-sync.ini run' \
           'Restart=on-failure' 'RestartPreventExitStatus=64 78'; do
    grep -qx "$key" "$unit" || fail "unit lacks $key"
done
"$work/root/usr/bin/soar-sync" --version >/dev/null || fail "the packaged soar-sync does not run"
if command -v systemd-analyze >/dev/null; then
    # verify resolves ExecStart: point it at the packaged binary through a copy of the unit.
    sed "s|/usr/bin/soar-sync|$work/root/usr/bin/soar-sync|" "$unit" >"$work/soar-sync.service"
    out=$(systemd-analyze verify --man=no "$work/soar-sync.service" 2>&1 || true)
    # Only lines about our unit count (the host's own units may warn too).
    bad=$(grep 'soar-sync.service' <<<"$out" | grep -v 'Failed to prepare filename\|not executable' || true)
    [ -z "$bad" ] || { echo "$out" >&2; fail "systemd-analyze verify reported problems"; }
    echo "check-deb: systemd-analyze verify: ok"
    # The sandbox's score (0 = locked down, 10 = exposed); 2.0 or better is required.
    score=$(systemd-analyze security --offline=true "$work/soar-sync.service" 2>&1 |
        sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')
    [ -n "$score" ] || fail "systemd-analyze security printed no score"
    echo "check-deb: systemd-analyze security: exposure $score"
    awk -v s="$score" 'BEGIN { exit !(s <= 2.0) }' || fail "the unit's exposure $score is above 2.0"
else
    echo "check-deb: systemd-analyze not installed; unit checked by keys only"
fi
echo "check-deb: ok ($(dpkg-deb -c "$deb" | wc -l) entries, Depends: $(dpkg-deb -f "$deb" Depends))"
