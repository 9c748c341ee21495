#pragma once

/// `soar-sync check`: the config is valid (it was parsed to get here), every instance a
/// route uses answers `/rest/version` with its credentials, the labels a route writes exist
/// on each target (`/rest/container_options`), and each route's playbook exists and is
/// active on each target. It also samples the labels of the source's recent containers
/// (those the route's filters match) and warns about any the target lacks after `label_map`.
/// Prints a table (subject, check, result, detail): `ok`, `WARN` (will cost dead letters),
/// `FAIL`, or `SKIP` with the reason a check could not run (e.g. no token for the instance).
///
/// Thread safety: one call at a time; makes its own clients.

#include "soar/app/Config.h"

#include <iosfwd>
#include <string>
#include <vector>

namespace soar::app {

enum class CheckResult { Ok, Warn, Fail, Skip };
[[nodiscard]] const char* toString(CheckResult result);

struct CheckRow {
    std::string subject;
    std::string check;
    CheckResult result = CheckResult::Fail;
    std::string detail;
};

/// What a `check` run says to a script: 78 when an instance's credentials could not be read
/// (a config error), 69 when an instance did not answer, 1 when another check failed, 0
/// otherwise (warnings included).
[[nodiscard]] int checkExitCode(const std::vector<CheckRow>& rows);

/// Runs every check; never throws for an instance's failure (it becomes a row).
[[nodiscard]] std::vector<CheckRow> runChecks(const AppConfig& config);
[[nodiscard]] std::string renderChecks(const std::vector<CheckRow>& rows);

/// The labels route `spec` writes to its targets: label_map targets, and the filter.label
/// labels that are not mapped.
[[nodiscard]] std::vector<std::string> labelsWritten(const RouteSpec& spec);

}  // namespace soar::app
