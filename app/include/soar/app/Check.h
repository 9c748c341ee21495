#pragma once

/// `soar-sync check`: the config is valid (it was parsed to get here), the state store opens
/// (read-only: check never creates, migrates or writes it) with its password, every instance a
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
    /// What a failure of this row makes `check` exit with (78 config, 69 a peer unavailable);
    /// 0: as its `check` says (checkExitCode()).
    int exit_code = 0;
};

/// What a `check` run says to a script: 78 when an instance's credentials or the state
/// database's password could not be read (a config error), 69 when an instance or the state
/// database did not answer, 1 when another check failed, 0 otherwise (warnings included).
[[nodiscard]] int checkExitCode(const std::vector<CheckRow>& rows);

/// Runs every check; never throws for an instance's failure (it becomes a row).
[[nodiscard]] std::vector<CheckRow> runChecks(const AppConfig& config);
[[nodiscard]] std::string renderChecks(const std::vector<CheckRow>& rows);

/// The rows about the state store (stateOptionsOf()): its password can be read (a failure with
/// sqlite is only a warning: only migrate-state needs it then), it opens read-only (backend,
/// where, schema version), a SQLite file is writable (or its folder, when the file is not
/// created yet); then this daemon's `[cluster]` settings. Never throws.
[[nodiscard]] std::vector<CheckRow> stateChecks(const AppConfig& config);

/// The labels route `spec` writes to its targets: label_map targets, and the filter.label
/// labels that are not mapped.
[[nodiscard]] std::vector<std::string> labelsWritten(const RouteSpec& spec);

}  // namespace soar::app
