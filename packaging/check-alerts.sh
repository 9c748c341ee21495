#!/usr/bin/env bash
# Checks the Prometheus alerting rules: `promtool check rules` on the rules, then
# `promtool test rules` on their unit tests. Run by ctest as `alerts-check` and
# `alerts-test`.
#   packaging/check-alerts.sh check|test
set -euo pipefail
dir=$(cd "$(dirname "$0")/prometheus" && pwd)

if ! command -v promtool >/dev/null; then
    echo "check-alerts: promtool not found; it comes with the Debian package prometheus" \
         "(packaging/install-deps.sh installs it without starting a server)" >&2
    exit 1
fi

case "${1:-}" in
    check) promtool check rules "$dir/soar-sync-alerts.yml" ;;
    # promtool resolves rule_files against the test file's folder.
    test) promtool test rules "$dir/soar-sync-alerts.test.yml" ;;
    *) echo "usage: packaging/check-alerts.sh check|test" >&2; exit 64 ;;
esac
