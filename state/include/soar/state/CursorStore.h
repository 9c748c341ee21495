#pragma once

/// Where each change stream of a (route, target) resumes (design §5, "Finding what changed").
///
/// Contract (shared by every store interface, see `Store.h`): a write is atomic and durable once
/// the call returns, and a call that throws changed nothing; reads see every write that returned
/// before them; failures throw `StateError`. Reading never registers a (route, target).
///
/// Thread safety: implementations are safe to call from any number of threads at once.
/// Ownership: results are plain values.

#include "soar/state/Records.h"

#include <optional>
#include <vector>

namespace soar::state {

class CursorStore {
public:
    virtual ~CursorStore() = default;

    /// The stream's cursor, or nothing before the stream's first advance (start per
    /// `start_from`).
    [[nodiscard]] virtual std::optional<Cursor> cursor(const RouteTarget& key,
                                                       Stream stream) const = 0;
    /// Every cursor of the (route, target), in stream order (the order of `Stream`).
    [[nodiscard]] virtual std::vector<Cursor> cursors(const RouteTarget& key) const = 0;
    /// Sets one cursor on its own (e.g. after draining a page of unchanged records). It may move
    /// backwards: `resync --since` does that on purpose.
    virtual void setCursor(const RouteTarget& key, const Cursor& cursor) = 0;
    /// Forgets every cursor of the (route, target), so the next pass starts per `start_from`.
    virtual void clearCursors(const RouteTarget& key) = 0;
};

}  // namespace soar::state
