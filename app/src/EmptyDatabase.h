#pragma once

/// Whether a read-only open failed only because the PostgreSQL database holds no state yet.
/// Internal to soar_app (`status`, `dead-letters`, `check`).

#include "soar/state/SqliteStore.h"
#include "soar/state/StateError.h"

#include <string>

namespace soar::app {

/// True when `error`, from opening `options` read-only, says the database has no schema (no
/// daemon has written to it and nothing was migrated into it): the state store reports that
/// as `TooOld` at schema version 0, which for a reader means "no state yet", like a missing
/// state file.
[[nodiscard]] inline bool isEmptyDatabase(const state::StateOptions& options,
                                          const state::StateError& error) {
    return options.backend == state::StateOptions::Backend::Postgresql &&
           error.kind() == state::StateError::Kind::TooOld &&
           std::string(error.what()).find(": schema version 0 ") != std::string::npos;
}

}  // namespace soar::app
