#pragma once

/// Pass: one pass (or resync, or dead-letter re-drive) of a route for one target. It walks
/// change streams from the source a page at a time and decides, per record, what to do:
///
/// - a container whose stored mapping already has the change times read now was written at
///   this version (in this pass, by another stream, or an earlier one): only the cursor moves;
/// - a container dead-lettered before and met again in the lookback overlap (at or before the
///   stored cursor) has not changed since it was refused: left to retry-dead;
/// - a container queued before in this pass at the same version is not queued again;
/// - a container that is itself a soar-sync copy made from this route's target (its
///   `source_data_identifier` is `soar-sync:<target>:...`) is never replayed back to it, so
///   routes hq -> dr and dr -> hq run together without copies bouncing;
/// - anything else goes to the ReplayQueue, which replays it on the workers (ContainerReplayer)
///   and commits it with the stream's cursor.
///
/// The artifacts of a page's containers are read ahead together (ArtifactPrefetcher).
///
/// Thread safety: one thread drives it; its parts run replays on the worker pool.

#include "ArtifactPrefetcher.h"
#include "ContainerReplayer.h"
#include "PassReport.h"
#include "PassScope.h"
#include "PoisonTracker.h"
#include "ReplayQueue.h"

#include <atomic>
#include <map>
#include <mutex>
#include <string>
#include <unordered_map>

namespace soar::sync {

class Pass {
public:
    Pass(PassScope& scope, WorkerPool& pool, PoisonTracker& poison);
    ~Pass();
    Pass(const Pass&) = delete;
    Pass& operator=(const Pass&) = delete;

    /// Walks one stream from `start`. With `commit_cursor`, the stream's cursor (`stored`, as
    /// the store has it) is committed as the frontier moves past it.
    void walk(state::Stream stream, const KeysetCursor& start, std::optional<KeysetCursor> stored,
              bool commit_cursor);
    /// Replays one container by its source id; no cursor moves. False when the source no
    /// longer has it.
    bool replayId(std::int64_t source_id);

    void fail(std::exception_ptr error) { queue_.fail(std::move(error)); }
    [[nodiscard]] PassScope& scope() { return scope_; }
    [[nodiscard]] bool stopped() const { return queue_.stopped(); }
    /// Waits for what is in flight, then sums the pass up.
    [[nodiscard]] PassResult result();

private:
    using Mappings = ArtifactPrefetcher::Mappings;

    /// Source container id -> its tombstones, for those that have any.
    using Buried = std::map<std::int64_t, std::int64_t>;

    /// The stored mappings of a page's containers, in one read (none on a forced pass).
    Mappings mappingsOf(const ContainerPage& page);
    /// The tombstones of a page's containers without a mapping, in one read (none on a
    /// forced pass): a new container's replay then reads nothing from the store.
    Buried buriedOf(const ContainerPage& page, const Mappings& known);
    bool submitContainer(StreamEntry<SourceContainer> entry, const Mappings* known,
                         const Buried* buried, const std::optional<KeysetCursor>& stored);
    bool submitItem(StreamEntry<SourceItem> entry);
    void counted(std::size_t records);

    PassScope& scope_;
    ArtifactPrefetcher prefetcher_;
    ContainerReplayer replayer_;
    ReplayQueue queue_;
    ProgressLog progress_;
    /// Container id -> the change times queued for replay in this pass; kept after the replay
    /// only when it had refused records. Bounded by the queue and the refusals.
    std::mutex versions_mutex_;
    std::unordered_map<std::int64_t, std::string> versions_;
    std::atomic<std::int64_t> seen_{0};
    /// seen_ plus what the current stream's first page counted.
    std::atomic<std::int64_t> total_{0};
};

}  // namespace soar::sync
