#pragma once

/// readStoredStatus: a StatusSnapshot built from the state store and the config alone (the
/// `status` and `dead-letters` commands, and the stored part of the daemon's snapshot).

#include "soar/app/Config.h"
#include "soar/app/StatusSource.h"
#include "soar/state/Store.h"

#include <cstddef>

namespace soar::app {

/// Fills the stored part of the snapshot (cursors, last pass, health, dead letters, runs and
/// lag) for every route and target of `config`, with up to `dead_letter_limit` dead letters
/// per (route, target), the newest.
[[nodiscard]] StatusSnapshot readStoredStatus(const AppConfig& config, const state::Store& store,
                                              std::size_t dead_letter_limit = kDeadLetterListLimit);

}  // namespace soar::app
