#pragma once

/// PoisonTracker: design.md §5, "a 500 that persists for one record across passes is a record
/// error". It counts, in the store, the passes in a row in which the target answered a write
/// of a container with 500 (once the client's retries were spent). Below `poison_passes` the
/// error stops the pass as any transient one; at it, and only if the target accepted other
/// writes since the first of those passes and answers a plain request now (so it is not
/// simply down or refusing every write), the container is dead-lettered and the pass goes on.
/// Strikes are stored, so a restart does not reset them; when the last pass with a write
/// happened is read back from the pass log.
///
/// Thread safety: all methods from any worker.

#include "soar/client/Timestamp.h"
#include "soar/state/Records.h"
#include "soar/state/Store.h"
#include "soar/sync/Target.h"

#include <cstdint>
#include <mutex>
#include <optional>
#include <set>
#include <string>

namespace soar::sync {

class PoisonTracker {
public:
    PoisonTracker(state::Store& store, state::RouteTarget key, int poison_passes);

    /// A replay of `source_id` in the pass started at `pass_started_at` went through;
    /// `wrote` when the target accepted a write.
    void succeeded(std::int64_t source_id, bool wrote, const std::string& pass_started_at);
    /// The target answered 500 to a write of `source_id`: one more strike. Returns the strikes
    /// when the container is to be dead-lettered now; nullopt when the error is to stop the
    /// pass (`target` is asked a plain request at the threshold).
    [[nodiscard]] std::optional<std::int64_t> struck(std::int64_t source_id,
                                                     const std::string& pass_started_at,
                                                     Target& target);

private:
    void load();

    state::Store& store_;
    state::RouteTarget key_;
    int poison_passes_;
    std::mutex mutex_;
    bool loaded_ = false;
    /// Containers with stored strikes (so a success clears only those).
    std::set<std::int64_t> struck_;
    /// The start of the last pass in which the target accepted a write.
    std::optional<Timestamp> last_write_pass_;
};

}  // namespace soar::sync
