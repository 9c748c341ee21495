#pragma once

/// LiveStatus: a running pass as plain values (for /status, the page and /metrics).

#include "soar/state/Records.h"

#include <cstdint>
#include <string>

namespace soar::sync {

/// What a pass has done so far, readable while it runs (for `/status` during a long pass).
struct LiveStatus {
    bool running = false;
    /// When the running (or last) pass started.
    std::string started_at;
    /// What the pass is doing: `walking create_time`, `resync`, ...; empty when idle.
    std::string activity;
    state::PassCounts counts;
    /// Containers read from the source so far.
    std::int64_t seen = 0;
    /// Records this pass expects to read in all, from the `count` of each stream's first
    /// page (0 while unknown): with `seen`, the pass's progress.
    std::int64_t total = 0;
};

}  // namespace soar::sync
