#!/usr/bin/env bash
# Fails when an include crosses a layer the wrong way (dependencies point app -> sync -> state):
# state/ may not include sync, app, Poco/Net or Poco/Util; sync/ may not include app,
# Poco/Util or SQLiteCpp; nothing includes "../".
set -uo pipefail
root=${1:-.}
cd "$root" || exit 2
status=0
check() {
    local dir=$1 pattern=$2 what=$3
    [ -d "$dir" ] || return 0
    local hits
    hits=$(grep -rnE "^[[:space:]]*#[[:space:]]*include[[:space:]]*[<\"]($pattern)" "$dir" \
        --include='*.h' --include='*.cpp' || true)
    if [ -n "$hits" ]; then
        echo "layering: $dir must not include $what:"
        echo "$hits"
        status=1
    fi
}
check state 'soar/sync|soar/app|Poco/Net|Poco/Util' 'sync, app, Poco/Net or Poco/Util'
check sync 'soar/app|Poco/Util|SQLiteCpp' 'app, Poco/Util or SQLiteCpp'
hits=$(grep -rnE '#[[:space:]]*include[[:space:]]*"\.\./' state sync app tests \
    --include='*.h' --include='*.cpp' 2>/dev/null || true)
if [ -n "$hits" ]; then
    echo "layering: relative includes with ../ are not allowed:"
    echo "$hits"
    status=1
fi
[ $status -eq 0 ] && echo "layering: ok"
exit $status
