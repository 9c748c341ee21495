#!/usr/bin/env bash
# Packs the already-built tree in BUILD_DIR with cpack and inspects the .deb: its files,
# conffiles, maintainer scripts, and the systemd unit (systemd-analyze verify where it is
# installed). Run by ctest as `package-deb`.
#   packaging/check-deb.sh BUILD_DIR
set -euo pipefail
build=$(cd "$1" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "check-deb: $*" >&2; exit 1; }

(cd "$build" && cpack -G DEB -B "$work" >"$work/cpack.log" 2>&1) || { cat "$work/cpack.log"; fail "cpack failed"; }
deb=$(ls "$work"/soar-sync_*.deb 2>/dev/null | head -1)
[ -n "$deb" ] || fail "no .deb produced"
echo "check-deb: built $(basename "$deb")"

files=$(dpkg-deb -c "$deb" | awk '{print $6}')
for f in ./usr/bin/soar-sync ./usr/bin/soar-emulator ./etc/soar-sync/soar-sync.ini \
         ./lib/systemd/system/soar-sync.service ./usr/share/man/man1/soar-sync.1.gz; do
    grep -qx "$f" <<<"$files" || fail "missing $f"
done
mkdir -p "$work/control"
dpkg-deb -e "$deb" "$work/control"
grep -qx /etc/soar-sync/soar-sync.ini "$work/control/conffiles" || fail "soar-sync.ini is not a conffile"
for s in postinst prerm postrm; do
    [ -x "$work/control/$s" ] || fail "maintainer script $s missing or not executable"
done
grep -q 'adduser --system' "$work/control/postinst" || fail "postinst does not create the user"
dpkg-deb -f "$deb" Depends | grep -q libpoconet || fail "Depends lacks the Poco libraries: $(dpkg-deb -f "$deb" Depends)"

mkdir -p "$work/root"
dpkg-deb -x "$deb" "$work/root"
unit="$work/root/lib/systemd/system/soar-sync.service"
for key in 'User=soar-sync' 'StateDirectory=soar-sync' 'EnvironmentFile=-/etc/soar-sync/env' \
           'NoNewPrivileges=true' 'ProtectSystem=strict' 'ProtectHome=true' 'PrivateTmp=true' \
           'ExecStart=/usr/bin/soar-sync --config /etc/soar-sync/soar-sync.ini run'; do
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
else
    echo "check-deb: systemd-analyze not installed; unit checked by keys only"
fi
echo "check-deb: ok ($(dpkg-deb -c "$deb" | wc -l) entries, Depends: $(dpkg-deb -f "$deb" Depends))"
