#pragma once

/// Custom lists copied to a target (design §5, "Lists"): per (route, target) and list name, the
/// hash of the content last written there. Lists carry no timestamps, so each pass reads the
/// source's and writes a target's only when the hash differs from the one stored here.
///
/// Contract (shared by every store interface, see `Store.h`): a write is atomic and durable once
/// the call returns, and a call that throws changed nothing; reads see every write that returned
/// before them; a read never registers a (route, target); failures throw `StateError`.
///
/// Thread safety: implementations are safe to call from any number of threads at once.
/// Ownership: results are plain values.

#include "soar/state/Records.h"

#include <vector>

namespace soar::state {

class ListStore {
public:
    virtual ~ListStore() = default;

    /// Every list copied to a (route, target), by name; empty for one never written.
    [[nodiscard]] virtual std::vector<ListCopy> listCopies(const RouteTarget& key) const = 0;
    /// Records a list written to the target (inserted, or replacing the row of that name).
    virtual void recordListCopy(const RouteTarget& key, const ListCopy& copy) = 0;
};

}  // namespace soar::state
