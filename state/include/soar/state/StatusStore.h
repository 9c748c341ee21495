#pragma once

/// The store seen whole, for `status`, the status endpoint and the metrics: which (route,
/// target) pairs it knows, and one consistent snapshot of each.
///
/// Contract (shared by every store interface, see `Store.h`): reads see every write that
/// returned before them; failures throw `StateError`.
///
/// Thread safety: implementations are safe to call from any number of threads at once.
/// Ownership: results are plain values.

#include "soar/state/Records.h"

#include <vector>

namespace soar::state {

class StatusStore {
public:
    virtual ~StatusStore() = default;

    /// Every (route, target) a write was ever asked of (even one that failed or changed
    /// nothing), sorted by route then target. Reads never add one.
    [[nodiscard]] virtual std::vector<RouteTarget> targets() const = 0;
    /// All the store knows about a (route, target), read consistently (one snapshot). For a
    /// (route, target) the store never saw: only `key` is set.
    [[nodiscard]] virtual TargetStatus status(const RouteTarget& key) const = 0;
};

}  // namespace soar::state
