#pragma once

/// Lookback: where each change stream's walk starts. A walk starts at its stored cursor less
/// the route's `lookback`, so that a record a peer committed late, with a time before the
/// cursor, is still met. That overlap costs a page per `page_size` records whose times lie
/// within `lookback` of the cursor, on every pass: after a burst (the copies a first sync
/// writes, say) every idle pass would read the whole burst again.
///
/// The overlap is needed only until no late record can still appear in it. Once a walk that
/// began a whole `lookback` after the cursor reached its place (on this host's steady clock)
/// ended with the cursor unmoved, every record timed within the overlap was older than
/// `lookback` on the peer when that walk read it, so the next walks start at the cursor
/// itself, until it moves. The memory lives as long as the route's engine: after a restart
/// the first walks overlap again.
///
/// Thread safety: one pass at a time uses it (the engine's passes do not overlap); a mutex
/// keeps it safe anyway.

#include "soar/client/Clock.h"
#include "soar/client/Paging.h"
#include "soar/state/Records.h"

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>

namespace soar::sync {

class Lookback {
public:
    Lookback(std::chrono::milliseconds lookback, std::shared_ptr<Clock> clock);

    /// Where the walk of `stream` starts, for its stored cursor `stored`.
    [[nodiscard]] KeysetCursor start(state::Stream stream, const KeysetCursor& stored);
    /// The walk of `stream` from start() ran to its end; `stored` is its cursor now.
    void walked(state::Stream stream, const KeysetCursor& stored);

private:
    struct Window {
        KeysetCursor at;
        /// When the cursor was first seen at `at`.
        std::chrono::steady_clock::time_point reached;
        /// When the last walk from `at` began.
        std::optional<std::chrono::steady_clock::time_point> walk_began;
        /// No late record can appear in the overlap any more.
        bool settled = false;
    };

    /// The window of `stream` at `stored`: a new one when the cursor is elsewhere.
    Window& windowOf(state::Stream stream, const KeysetCursor& stored);

    const std::chrono::milliseconds lookback_;
    const std::shared_ptr<Clock> clock_;
    std::mutex mutex_;
    std::map<state::Stream, Window> windows_;
};

}  // namespace soar::sync
