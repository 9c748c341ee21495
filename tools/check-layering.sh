#!/usr/bin/env bash
# Fails when an include crosses a layer the wrong way. Dependencies point one way:
# app -> sync -> {sync/client, state}.
#   state/        nothing of sync, client or app, and no Poco header at all;
#   sync/client/  the REST client: no soar/state, soar/sync (the engine), soar/app,
#                 Poco/Util or SQLiteCpp;
#   sync/ (the engine, outside sync/client): no soar/app, Poco/Util, SQLiteCpp or Poco/Net,
#                 and of the client only its public headers (soar/client/*.h), never a
#                 header of sync/client/src;
#   everywhere:   no #include "../".
set -uo pipefail
root=${1:-.}
cd "$root" || exit 2
status=0
include_re='^[[:space:]]*#[[:space:]]*include[[:space:]]*[<"]'
# The same, on a line of includes() below (file:line: in front).
hit_head='^[^:]+:[0-9]+:[[:space:]]*#[[:space:]]*include[[:space:]]*'
hit_re="${hit_head}[<\"]"

# The #include lines of C++ files under $1 (file:line:text), leaving out the folders given
# after it.
includes() {
    local dir=$1
    shift
    [ -d "$dir" ] || return 0
    local excludes=()
    for skip in "$@"; do excludes+=(-path "$skip" -prune -o); done
    find "$dir" "${excludes[@]}" -type f \( -name '*.h' -o -name '*.cpp' \) -print0 |
        xargs -0 -r grep -nHE "$include_re" || true
}

report() {
    local what=$1 hits=$2
    if [ -n "$hits" ]; then
        echo "layering: $what:"
        echo "$hits"
        status=1
    fi
}

# check DIR PATTERN WHAT [EXCLUDED_DIR...]: no include of DIR (but the excluded folders) may
# start with PATTERN.
check() {
    local dir=$1 pattern=$2 what=$3
    shift 3
    report "$dir must not include $what" \
        "$(includes "$dir" "$@" | grep -E "${hit_re}(${pattern})" || true)"
}

check state 'soar/sync|soar/client|soar/app|Poco/' 'sync, client, app or any Poco header'
check sync/client 'soar/state|soar/sync/|soar/app|Poco/Util|SQLiteCpp' \
    'state, the engine (soar/sync), app, Poco/Util or SQLiteCpp'
check sync 'soar/app|Poco/Util|SQLiteCpp|Poco/Net' 'app, Poco/Util, SQLiteCpp or Poco/Net' \
    sync/client

# The engine reaches the client through soar/client/*.h only: no other path with a client/
# folder in it (sync/client/src/..., client/src/...), and no bare name of one of the client's
# private headers (sync/client/src/*.h), which only that folder's include path could resolve.
private_names='client/[^"]*'
for header in sync/client/src/*.h; do
    [ -e "$header" ] || continue
    private_names+="|$(basename "$header" | sed 's/\./\\./g')"
done
report "sync/ must include the client as soar/client/*.h only, never its implementation" \
    "$(includes sync sync/client | grep -E "${hit_head}\"" |
        grep -vE "${hit_head}\"soar/client/[A-Za-z0-9_]+\.h\"" |
        grep -E "${hit_head}\"([^\"]*/)?(${private_names})\"" || true)"

hits=$(grep -rnE '#[[:space:]]*include[[:space:]]*"\.\./' state sync app tests \
    --include='*.h' --include='*.cpp' 2>/dev/null || true)
report 'relative includes with ../ are not allowed' "$hits"
[ $status -eq 0 ] && echo "layering: ok"
exit $status
