#pragma once

/// `soar-sync check`: the config is valid (it was parsed to get here), every instance a
/// route uses answers `/rest/version` with its credentials, the labels a route writes exist
/// on each target (`/rest/container_options`), and each route's playbook exists and is
/// active on each target. Prints a table (subject, check, result, detail).
///
/// Thread safety: one call at a time; makes its own clients.

#include "soar/app/Config.h"

#include <iosfwd>
#include <string>
#include <vector>

namespace soar::app {

struct CheckRow {
    std::string subject;
    std::string check;
    bool ok = false;
    std::string detail;
};

/// Runs every check; never throws for an instance's failure (it becomes a row).
[[nodiscard]] std::vector<CheckRow> runChecks(const AppConfig& config);
[[nodiscard]] std::string renderChecks(const std::vector<CheckRow>& rows);

/// The labels route `spec` writes to its targets: label_map targets, and the filter.label
/// labels that are not mapped.
[[nodiscard]] std::vector<std::string> labelsWritten(const RouteSpec& spec);

}  // namespace soar::app
