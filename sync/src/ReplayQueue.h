#pragma once

/// ReplayQueue: replays the containers a stream walk hands it on the worker pool, up to
/// `in_flight` at once with up to a page waiting behind them, and commits what finished.
///
/// - Records waiting or replaying hold at most kHeldBytes of the source's answers between
///   them (any one record is let in alone): a walk over records of megabytes reads no further
///   ahead than that, so memory does not grow with the page size.
/// - A full queue makes the walk wait until half of it is free, so that it is woken once for
///   many finished replays rather than once for each (a thread hand-off per container).
/// - Each record gets a place in the stream's Frontier; the stream's cursor is committed only
///   up to the oldest record not yet finished, so a crash never skips one.
/// - Group commit: finished replays are staged until they hold kCommitGroup containers and
///   artifacts, or until a worker finds nothing more queued. The worker that
///   then finds no commit running writes everything staged (units of work and the cursor
///   advance) in one transaction, outside the queue's lock, and again while more finished
///   meanwhile; then it starts the playbook runs those units asked for and logs their dead
///   letters. A crash loses at most a group's state, never a record: the next pass replays
///   those containers and the target's duplicate check finds their copies.
/// - The first failure stops the pass: what finished before it is committed, queued replays
///   are dropped (their frontier places stay open, so no cursor passes them), nothing more is
///   committed.
///
/// Thread safety: submit(), skip(), drain(), beginStream() and finishStream() from the one
/// walking thread; the rest from any. No network call or store write runs under the lock.

#include "PassScope.h"
#include "soar/sync/Frontier.h"
#include "soar/sync/WorkerPool.h"

#include <condition_variable>
#include <deque>
#include <exception>
#include <functional>
#include <mutex>
#include <optional>
#include <set>
#include <vector>

namespace soar::sync {

class ReplayQueue {
public:
    ReplayQueue(PassScope& pass, WorkerPool& pool, unsigned in_flight, std::size_t depth);
    /// Waits for the replays in flight.
    ~ReplayQueue();
    ReplayQueue(const ReplayQueue&) = delete;
    ReplayQueue& operator=(const ReplayQueue&) = delete;

    /// Starts a stream with nothing in flight. With `commit_cursor`, its cursor (`stored`, as
    /// the store has it) is committed as the frontier moves past it.
    void beginStream(state::Stream stream, bool commit_cursor, std::optional<KeysetCursor> stored);
    /// After the stream's walk ran to its end and everything finished: its cursor moves to
    /// `end` when that is past the stored one.
    void finishStream(const KeysetCursor& end);

    /// What the records waiting and replaying may hold between them (StreamEntry::bytes).
    static constexpr std::size_t kHeldBytes = 16U << 20U;
    /// Containers and artifacts staged before a commit is due while replays are still queued:
    /// one transaction per some 40 containers of 5 artifacts rather than one per container.
    static constexpr std::size_t kCommitGroup = 256;

    /// Queues the replay of a container (`id`: replays of one container never run at once)
    /// that holds `bytes`; blocks while the queue is full. False when the pass is stopping.
    bool submit(std::int64_t id, const KeysetCursor& position, std::size_t bytes,
                std::function<Replayed()> work);
    /// A record that needs no replay: only the cursor may move past it. False when stopping.
    bool skip(const KeysetCursor& position);

    /// Waits until nothing is queued, replaying or being committed.
    void drain();
    /// Records the pass's first failure (later ones are dropped) and stops the pass.
    void fail(std::exception_ptr error);
    /// A failure or a stop request.
    [[nodiscard]] bool stopped() const;
    /// Whether the stream's cursor was committed as stored (for the walk's start).
    [[nodiscard]] std::exception_ptr error() const;
    [[nodiscard]] state::PassCounts counts() const;

private:
    struct Job {
        std::uint64_t sequence = 0;
        std::int64_t id = 0;
        std::size_t bytes = 0;
        std::function<Replayed()> work;
    };

    /// What the walk waits for in submit(): a place for the replay of container `id`, holding
    /// `bytes`, with `slack` more places free.
    struct Wanted {
        std::int64_t id = 0;
        std::size_t bytes = 0;
        std::size_t slack = 0;
    };

    void pump();
    void runJobs();
    /// Places neither queued nor replaying (of in_flight + depth). Caller holds the lock.
    [[nodiscard]] std::size_t freePlaces() const;
    /// Caller holds the lock.
    [[nodiscard]] bool roomFor(const Wanted& wanted) const;
    /// Caller holds the lock.
    void stage(std::optional<KeysetCursor> moved, Replayed replayed);
    void commitStaged(std::unique_lock<std::mutex>& lock);

    PassScope& pass_;
    WorkerPool& pool_;
    const unsigned in_flight_;
    const std::size_t depth_;

    mutable std::mutex mutex_;
    std::condition_variable space_;
    std::condition_variable idle_;
    std::deque<Job> queue_;
    /// StreamEntry::bytes of the jobs queued and running.
    std::size_t held_bytes_ = 0;
    unsigned runners_ = 0;
    std::size_t active_ = 0;
    std::set<std::int64_t> busy_ids_;
    std::exception_ptr error_;
    /// Set while the walk waits in submit(); a finished replay wakes it only when this holds.
    std::optional<Wanted> wanted_;

    Frontier frontier_;
    state::Stream stream_ = state::Stream::ContainersCreated;
    bool commit_cursor_ = false;
    std::optional<KeysetCursor> stored_;

    /// What the next group commit writes.
    state::UnitOfWork staged_;
    std::optional<KeysetCursor> staged_cursor_;
    std::vector<PlaybookTrigger> staged_triggers_;
    bool committing_ = false;
    state::PassCounts counts_;
};

}  // namespace soar::sync
