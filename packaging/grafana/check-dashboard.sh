#!/usr/bin/env bash
# Checks the Grafana dashboard against the daemon's metrics. Run by ctest as
# `grafana-dashboard`.
#   packaging/grafana/check-dashboard.sh [SOURCE_DIR]
#
# - the dashboard is valid JSON (python3 -m json.tool);
# - its data source is a `datasource` template variable of type prometheus, every panel and
#   query uses it, and the route and target variables exist;
# - every soar_sync_* metric that the dashboard or the alerting rules
#   (packaging/prometheus/soar-sync-alerts.yml) query is one that renderMetrics() in
#   app/src/StatusMetrics.cpp writes, and every label they group by is one the metrics carry
#   (or one Prometheus adds);
# - with promtool installed, every query parses as PromQL (dashboard variables replaced by
#   sample values; `promtool check rules` on a rule file made of them).
set -euo pipefail
root=$(cd "${1:-$(dirname "$0")/../..}" && pwd)
dashboard=$root/packaging/grafana/soar-sync-dashboard.json
alerts=$root/packaging/prometheus/soar-sync-alerts.yml
render=$root/app/src/StatusMetrics.cpp

command -v python3 >/dev/null || { echo "check-dashboard: python3 not found" >&2; exit 1; }
python3 -m json.tool "$dashboard" >/dev/null || { echo "check-dashboard: $dashboard is not valid JSON" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

python3 - "$dashboard" "$alerts" "$render" "$work/rules.yml" <<'EOF'
import json, re, sys

dashboard_path, alerts_path, render_path, rules_path = sys.argv[1:]
problems = []

with open(render_path, encoding="utf-8") as f:
    render = f.read()
# The metric names renderMetrics() writes: every "soar_sync_..." string literal in it.
exported = set(re.findall(r'"(soar_sync_[a-z0-9_]+)"', render))
if not exported:
    sys.exit(f"check-dashboard: no soar_sync_* metric names found in {render_path}")
# Labels the metrics carry (every with(l, "key", ...) and {"key", ...} in the file), the
# per-target route and target, and those Prometheus adds at scrape time; the metrics' own
# `instance` label is stored as exported_instance.
labels = set(re.findall(r'with\([^,]+,\s*"([a-z_]+)"', render))
labels |= set(re.findall(r'\{"([a-z_]+)",\s*[^"\s]', render))
labels |= {"route", "target", "le", "job", "instance", "exported_instance"}

with open(dashboard_path, encoding="utf-8") as f:
    dash = json.load(f)

variables = {v.get("name"): v for v in dash.get("templating", {}).get("list", [])}
ds = variables.get("datasource")
if not ds or ds.get("type") != "datasource" or ds.get("query") != "prometheus":
    problems.append("no `datasource` template variable of type prometheus")
for name in ("route", "target"):
    v = variables.get(name)
    if not v or "label_values(" not in json.dumps(v.get("query", "")):
        problems.append(f"no `{name}` template variable from label_values()")

def uses_variable(where, datasource):
    if not isinstance(datasource, dict) or datasource.get("uid") != "${datasource}":
        problems.append(f"{where}: data source is not ${{datasource}}: {datasource!r}")

queries = []  # (where, PromQL)
for v in variables.values():
    if v.get("type") == "query":
        uses_variable(f"variable {v['name']}", v.get("datasource"))
        q = v.get("query")
        q = q.get("query", "") if isinstance(q, dict) else q
        m = re.fullmatch(r"\s*label_values\((.*),\s*([a-z_]+)\)\s*", q or "")
        if not m:
            problems.append(f"variable {v['name']}: not a label_values() query: {q!r}")
            continue
        queries.append((f"variable {v['name']}", m.group(1)))
        if m.group(2) not in labels:
            problems.append(f"variable {v['name']}: label {m.group(2)} is not exported")

def panels(items):
    for p in items:
        yield p
        yield from panels(p.get("panels", []))

for p in panels(dash.get("panels", [])):
    if p.get("type") == "row":
        continue
    where = f"panel {p.get('title')!r}"
    uses_variable(where, p.get("datasource"))
    if not p.get("targets"):
        problems.append(f"{where}: no queries")
    for t in p.get("targets", []):
        uses_variable(f"{where} query {t.get('refId')}", t.get("datasource"))
        queries.append((f"{where} query {t.get('refId')}", t.get("expr", "")))

with open(alerts_path, encoding="utf-8") as f:
    for line in f:
        m = re.match(r"\s*expr:\s*(.*)$", line)
        if m:
            queries.append((f"alert rule expr {m.group(1)!r}", m.group(1)))

for where, q in queries:
    for name in re.findall(r"\bsoar_sync_[a-z0-9_]+", q):
        if name not in exported:
            problems.append(f"{where}: metric {name} is not written by renderMetrics()")
    for group in re.findall(r"\b(?:by|without|on|ignoring)\s*\(([^)]*)\)", q):
        for label in filter(None, (l.strip() for l in group.split(","))):
            if label not in labels:
                problems.append(f"{where}: label {label} is not exported")

# Dashboard queries as recording rules, for promtool to parse.
samples = {"$__rate_interval": "1m", "$__interval": "1m", "$__range": "1h",
           "$instance": ".*", "$route": ".*", "$target": ".*"}
with open(rules_path, "w", encoding="utf-8") as out:
    out.write("groups:\n  - name: dashboard\n    rules:\n")
    for i, (where, q) in enumerate(queries):
        for var, value in samples.items():
            q = q.replace(var, value)
        if "$" in q:
            problems.append(f"{where}: unknown dashboard variable in {q!r}")
        out.write(f"      - record: dashboard_query_{i}\n        expr: {json.dumps(q)}\n")

if problems:
    print("check-dashboard: " + "\n check-dashboard: ".join(problems), file=sys.stderr)
    sys.exit(1)
print(f"check-dashboard: {len(queries)} queries use only exported metrics "
      f"({len(exported)} names in renderMetrics) and labels")
EOF

if command -v promtool >/dev/null; then
    promtool check rules "$work/rules.yml" >"$work/promtool.out" 2>&1 ||
        { cat "$work/promtool.out" >&2; echo "check-dashboard: a query is not valid PromQL" >&2; exit 1; }
    echo "check-dashboard: every query parses (promtool)"
else
    echo "check-dashboard: promtool not found (Debian package prometheus): PromQL not parsed"
fi
echo "check-dashboard: ok"
