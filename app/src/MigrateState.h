#pragma once

/// `soar-sync migrate-state --to URL [--into-non-empty]` (design §3, §9): the configured
/// SQLite state file copied whole into a PostgreSQL database (state::copyState), then a
/// summary and the next step. Internal to soar_app; SoarSyncApp runs it under its error
/// mapping.
///
/// Thread safety: one call at a time; opens and closes its own connections.

#include "soar/app/Config.h"

#include <iosfwd>
#include <string>

namespace soar::app {

/// Copies the state `config` names ([state] backend = sqlite) into the database at `url`, with
/// the password of `[state] password_env` / `password_file` (registered with the log redactor
/// before any connection), and prints what was copied, how long it took and what to do next
/// to `out`. Returns 0.
///
/// Throws UsageError (exit 64) when the config's state is already in PostgreSQL, when `url`
/// is no PostgreSQL URL or holds a password, when there is no state file to copy, and when the
/// database already holds a state and `into_non_empty` is false (nothing is copied then);
/// ConfigError when the password cannot be read; state::StateError for the rest (the kind
/// `Unavailable` when the server cannot be reached).
int migrateState(const AppConfig& config, const std::string& url, bool into_non_empty,
                 std::ostream& out);

}  // namespace soar::app
