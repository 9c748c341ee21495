#pragma once

/// Deletions reconciled (design §5, "Deletions reconciled"): SOAR keeps no record of deleted
/// containers, so the engine asks the source for the mapped ids a batch at a time, in id order,
/// and forgets those it no longer has. This store keeps where a reconcile is (so one interrupted
/// by a crash resumes there), what the last one cost, and a tombstone per container found
/// deleted: a source that later reuses the id (after a restore) gets a new copy, not an update
/// of the old one.
///
/// Contract (shared by every store interface, see `Store.h`): a write is atomic and durable once
/// the call returns, and a call that throws changed nothing; reads see every write that returned
/// before them; a read never registers a (route, target); failures throw `StateError`.
///
/// Thread safety: implementations are safe to call from any number of threads at once.
/// Ownership: results are plain values.

#include "soar/state/Records.h"

#include <cstdint>
#include <map>
#include <optional>
#include <vector>

namespace soar::state {

class ReconcileStore {
public:
    virtual ~ReconcileStore() = default;

    /// Where the (route, target)'s reconcile is; nothing before its first round.
    [[nodiscard]] virtual std::optional<ReconcileState> reconcileState(
        const RouteTarget& key) const = 0;
    virtual void saveReconcileState(const RouteTarget& key, const ReconcileState& state) = 0;
    /// Records a container found deleted on the source, in one transaction: the tombstone is
    /// stored and the container's mapping forgotten (with its artifacts', notes', two-way
    /// fields' and strikes', as `MappingStore::deleteContainerMapping`).
    virtual void buryContainer(const RouteTarget& key, const Tombstone& tombstone) = 0;
    /// How many tombstones a source id has (the generation of its next copy is one more).
    [[nodiscard]] virtual std::int64_t tombstonesOf(const RouteTarget& key,
                                                    std::int64_t source_id) const = 0;
    /// The same for several source ids read together: those with any, and how many.
    [[nodiscard]] virtual std::map<std::int64_t, std::int64_t> tombstonesOf(
        const RouteTarget& key, const std::vector<std::int64_t>& source_ids) const = 0;
    /// Every tombstone of a (route, target), by source id then generation.
    [[nodiscard]] virtual std::vector<Tombstone> tombstones(const RouteTarget& key) const = 0;
};

}  // namespace soar::state
