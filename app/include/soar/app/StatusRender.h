#pragma once

/// Renderings of a StatusSnapshot: the `status` table, the `/status` JSON, the `/` HTML page,
/// the `/metrics` Prometheus text exposition and the `/readyz` verdict. Pure functions of the
/// snapshot: no I/O, no locking, safe from any thread.

#include "soar/app/StatusSource.h"

#include <string>
#include <vector>

namespace soar::app {

[[nodiscard]] std::string renderTable(const StatusSnapshot& snapshot);
[[nodiscard]] std::string renderJson(const StatusSnapshot& snapshot);
/// A page that refreshes itself every `refresh_seconds`; every text is HTML-escaped.
[[nodiscard]] std::string renderHtml(const StatusSnapshot& snapshot, int refresh_seconds = 5);
/// Prometheus text format 0.0.4 (checked with `promtool check metrics` in the tests).
[[nodiscard]] std::string renderMetrics(const StatusSnapshot& snapshot);
[[nodiscard]] std::string htmlEscape(const std::string& text);
/// The dead letters the snapshot carries, as `/dead-letters` and `dead-letters --json` print
/// them: `{"total": N, "dead_letters": [{route, target, kind, source_id, attempts, first_seen,
/// last_seen, message}, ...]}` (total counts every dead letter, listed or not).
[[nodiscard]] std::string renderDeadLettersJson(const StatusSnapshot& snapshot);
/// The same as a table for people (`soar-sync dead-letters`).
[[nodiscard]] std::string renderDeadLettersTable(const StatusSnapshot& snapshot);

struct Readiness {
    bool ready = false;
    std::vector<std::string> reasons;
};
/// Ready when every (route, target) finished a pass and none is failing.
[[nodiscard]] Readiness readiness(const StatusSnapshot& snapshot);
[[nodiscard]] std::string renderReadiness(const Readiness& readiness);

/// `soar-sync status`'s exit code for a snapshot: 1 when a target is failing or holds dead
/// letters, else 3 when some (route, target) has not finished a pass yet, else 0.
[[nodiscard]] int statusExitCode(const StatusSnapshot& snapshot);

}  // namespace soar::app
