#pragma once

/// Frontier: the commit point of a stream walked with several records in flight.
///
/// Records get a sequence number in walk order, with the walk position reached after them.
/// They may finish in any order; the frontier is the position of the last record such that it
/// and every record before it have finished. Storing only the frontier means a crash never
/// skips an unfinished record (design.md §5, "the cursor commits only up to the oldest
/// unfinished container").
///
/// Thread safety: none; the route engine calls it under its own mutex.

#include "soar/client/Paging.h"

#include <cstdint>
#include <deque>
#include <optional>

namespace soar::sync {

class Frontier {
public:
    /// Registers the next record; returns its sequence number.
    std::uint64_t add(const KeysetCursor& position_after);
    /// Marks a record finished. Returns the new frontier when it moved.
    std::optional<KeysetCursor> finish(std::uint64_t sequence);
    /// Records added and not finished.
    [[nodiscard]] std::size_t pending() const;

private:
    struct Entry {
        KeysetCursor position;
        bool finished = false;
    };
    /// Entries from sequence `base_` on; finished entries at the front are popped.
    std::deque<Entry> entries_;
    std::uint64_t base_ = 0;
    std::size_t unfinished_ = 0;
};

}  // namespace soar::sync
