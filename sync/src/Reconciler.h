#pragma once

/// Reconciler: deletions reconciled (design.md §5; soar-api-more.md §5). SOAR keeps no record
/// of deleted containers, so every `reconcile_interval` the route's mappings are walked in id
/// order, `page_size` at a time, and the source is asked which of each batch it still has (one
/// `_filter_id__in` request per batch, not one per container). For each id it no longer has:
///
/// - `keep`: the deletion is recorded and logged, the copy left as it is;
/// - `close`: the copy's status is set to closed (a resolved status that always exists) and a
///   comment says when soar-sync found the source container deleted and on which instance; the
///   comment carries a marker, so a close retried after a crash does not comment twice;
/// - `delete`: the copy is deleted (SOAR takes DELETE from a user only: the target instance
///   needs `user` + `password_env`, which the config checks at start).
///
/// A copy already gone from the target is fine (recorded as gone). Then the mapping is forgotten
/// and a tombstone kept (ReconcileStore::buryContainer), so a later container with the same
/// source id (a restore) gets a new copy. Progress is stored after each batch: a reconcile
/// interrupted by a crash or a failing instance resumes after the last batch it finished. A copy
/// the target refuses to close is logged and counted, and tried again by the next reconcile.
///
/// Thread safety: runs on the pass's thread. Ownership: borrows the scope.

#include "PassScope.h"

#include <optional>
#include <string>

namespace soar::sync {

class Reconciler {
public:
    explicit Reconciler(PassScope& pass);

    /// Runs a reconcile when one is due or was interrupted; transient errors propagate (the
    /// batches finished so far stay done).
    void run();
    [[nodiscard]] const state::PassCounts& counts() const { return counts_; }

    /// The comment a closed copy gets, marker last.
    [[nodiscard]] static std::string closingComment(const std::string& source,
                                                    std::int64_t source_id,
                                                    const std::string& found_at);

private:
    [[nodiscard]] bool due(const std::optional<state::ReconcileState>& state) const;
    /// One mapped container the source no longer has; false when its copy could not be handled
    /// (it stays mapped, for the next reconcile).
    bool bury(const state::ContainerMapping& mapping);
    /// Closes a copy with its comment; false when the target no longer has it.
    bool close(const state::ContainerMapping& mapping, const std::string& found_at);

    PassScope& pass_;
    state::PassCounts counts_;
};

}  // namespace soar::sync
