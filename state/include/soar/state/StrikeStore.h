#pragma once

/// Poison strikes (design §5, "a 500 that persists for one record across passes is a record
/// error"): per (route, target) and source container, how many passes in a row the target
/// answered a write of it with 500, and when the first of those passes started. Stored, so a
/// restart of the daemon does not give a poison container its chances again.
///
/// Intended use: the engine adds a strike once per pass in which a container's write ended in a
/// 500, clears it when a write of the container succeeds or the container is dead-lettered, and
/// reads `passes` to decide when a 500 has persisted long enough to be a record error. Forgetting a
/// container's mapping, or all of a (route, target)'s (`MappingStore`), forgets the strikes
/// too.
///
/// Contract (shared by every store interface, see `Store.h`): a write is atomic and durable once
/// the call returns, and a call that throws changed nothing; reads see every write that returned
/// before them (across a restart too); a read never registers a (route, target); failures throw
/// `StateError`.
///
/// Thread safety: implementations are safe to call from any number of threads at once.
/// Ownership: results are plain values.

#include "soar/state/Records.h"

#include <cstdint>
#include <string>
#include <vector>

namespace soar::state {

struct Strike {
    std::int64_t source_id = 0;
    /// Passes in a row whose write of the container ended in a 500.
    std::int64_t passes = 0;
    /// The start of the first of those passes (as passed to `addStrike`).
    std::string first_pass_at;
};

class StrikeStore {
public:
    virtual ~StrikeStore() = default;

    /// One more strike for a container: inserted with `passes = 1` and `first_pass_at =
    /// pass_started_at`, or one more pass on the stored row (its `first_pass_at` kept, the
    /// given time ignored). Returns the row as stored. Call it at most once per pass and
    /// container: it counts calls, not distinct passes.
    virtual Strike addStrike(const RouteTarget& key, std::int64_t source_id,
                             const std::string& pass_started_at) = 0;
    /// Every strike of a (route, target), by source id ascending; empty for one never written.
    [[nodiscard]] virtual std::vector<Strike> strikes(const RouteTarget& key) const = 0;
    /// Forgets a container's strikes (its write succeeded, or it was dead-lettered). False
    /// when it had none.
    virtual bool clearStrike(const RouteTarget& key, std::int64_t source_id) = 0;
};

}  // namespace soar::state
