#pragma once

/// TargetSync: what a route does for one of its targets (design.md §5). Each pass polls the
/// source's change streams from their cursors, replays what changed to the target and
/// commits after the target accepted:
///
/// - Three streams, each a keyset walk (Paging.h) from its cursor minus `lookback`: new
///   containers by `create_time`, edited ones by `container_update_time` (null on a
///   never-edited container: the first stream covers those) and containers whose artifacts
///   changed by `artifact_update_time` (plus new vault files, notes and comments when the
///   route asks). A
///   container met again with the change timestamps its stored mapping already has is not
///   replayed again, so one met in several streams of a pass is replayed once. The first
///   walk of new containers from the beginning starts the other streams at the newest
///   values the source holds before it, rather than re-reading the source for each.
/// - A container is mapped (RecordMapper) and diffed by content hash against the store:
///   created (a duplicate answer is adopted), updated, re-created when the target lost it
///   (404), or left alone. Its artifacts are read when it is new to the target, when its
///   `artifact_update_time` moved, or on resync, for a page of containers at a time
///   (`_filter_container__in`); a copy is found by its sdi on the target before one is
///   posted, unless soar-sync just created the container.
/// - Up to `in_flight` containers are replayed at once, with up to a page queued behind
///   them; finished containers are committed in groups (one transaction per 256 containers
///   and artifacts, or as soon as nothing more is queued), and a stream's cursor, in the same
///   transaction, only up to the oldest container not yet finished, so a crash never skips
///   one.
/// - Errors are sorted: a record the target refuses (400, unknown label, ...) is
///   dead-lettered and the pass goes on; a transient failure that outlived the client's
///   retries stops this target's pass with its cursors where they are, except a 500 that
///   persists for one container over `poison_passes` passes (dead-lettered); refused
///   credentials mark the target failing with a message naming the instance and key to fix.
///
/// The parts of a pass, each in a file of its own under sync/src: Pass (the stream walks and
/// their cursors), ReplayQueue (containers replayed on the worker pool, the commit frontier,
/// group commits), ContainerReplayer with ArtifactReplayer, AttachmentReplayer and
/// NoteReplayer (one container in one unit of work), ArtifactPrefetcher, PoisonTracker (stored
/// strikes) and PassReport (the pass's log lines and its record in the store).
///
/// Thread safety: one pass at a time per object (the daemon never overlaps passes of a
/// route); a pass replays up to `in_flight` containers at once on the worker pool. The
/// Source, Target and Store must be safe for concurrent use (the SOAR adapters and
/// SqliteStore are). Ownership: borrows the seams, the store and the pool, which must
/// outlive it.

#include "soar/client/Clock.h"
#include "soar/client/Timestamp.h"
#include "soar/state/Records.h"
#include "soar/state/Store.h"
#include "soar/sync/LiveStatus.h"
#include "soar/sync/MirrorSide.h"
#include "soar/sync/PlaybookTracker.h"
#include "soar/sync/RecordMapper.h"
#include "soar/sync/RouteConfig.h"
#include "soar/sync/Source.h"
#include "soar/sync/Target.h"
#include "soar/sync/WorkerPool.h"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace soar::sync {

/// How a pass ended.
enum class PassOutcome {
    /// Everything found was replayed.
    Ok,
    /// The pass ran to its end, but some records went to dead letters.
    RecordErrors,
    /// A transient failure (or a broken answer) outlived the retries: the pass stopped, the
    /// cursors stay where they are and the next pass picks up from there.
    Interrupted,
    /// The target (or source) refused the credentials, or TLS failed: the target is marked
    /// failing until a pass succeeds.
    Failing,
    /// Stopped on request (shutdown).
    Cancelled,
};

/// `ok`, `errors`, `interrupted`, `failing`, `cancelled`: the pass record's outcome word.
[[nodiscard]] const char* toString(PassOutcome outcome);

struct PassResult {
    PassOutcome outcome = PassOutcome::Ok;
    state::PassCounts counts;
    /// Records dead-lettered in this pass.
    std::int64_t dead_lettered = 0;
    /// Containers read from the source streams (before merging).
    std::int64_t seen = 0;
    std::chrono::milliseconds duration{0};
    /// The error that stopped the pass (Interrupted, Failing).
    std::string error;
    /// An Interrupted pass stopped because an instance could not be reached at all
    /// (connection refused, name not resolved).
    bool unreachable = false;
    /// Source container ids a resync was asked for that the source does not have.
    std::vector<std::int64_t> not_found;
    /// What the playbook tracker did in the pass ("3 started, 2 ended (2 success), 1
    /// running"); empty when nothing.
    std::string playbooks;
};

struct TargetSyncOptions {
    /// The target instance's name (the `[instance.<name>]` of the target).
    std::string target;
    /// Containers replayed at once (the target's `connections`).
    unsigned in_flight = 4;
    /// Artifacts per batch POST.
    std::size_t artifact_batch = 100;
    /// How often a long pass logs its progress.
    std::chrono::milliseconds progress_interval{5'000};
    /// Where the engine reads time (pass durations, progress and idle log pacing, the times
    /// it stores): a ManualClock in tests.
    std::shared_ptr<Clock> clock = SystemClock::instance();
    /// The route's playbook on this target, when it has one (borrowed).
    PlaybookTracker* playbooks = nullptr;
    /// Where containers are replayed (borrowed; the daemon's pool of the target instance,
    /// shared by the routes writing to it). Without one, the object makes a pool of
    /// `in_flight` threads that lives as long as it does.
    WorkerPool* workers = nullptr;
    /// A container whose writes the target answers 500 (once the client's retries are
    /// spent) in this many passes in a row is dead-lettered instead of stopping every pass
    /// at the same place, if the target accepted other writes since the first of them and
    /// answers a plain request now (a target that fails every write holds the pass).
    int poison_passes = 3;
    /// Where a vault file waits between its download and its upload (the state file's
    /// folder); empty = the system's temporary folder.
    std::string scratch_dir;
    /// Two-way routes (`mirror_back`): the source and this target as mirroring reads and
    /// writes them (borrowed). Without both, the route runs one-way. `report_back` writes the
    /// outcomes of playbook runs through `source_side` too.
    MirrorSide* source_side = nullptr;
    MirrorSide* target_side = nullptr;
};

class TargetSync {
public:
    TargetSync(RouteConfig route, TargetSyncOptions options, Source& source, Target& target,
               state::Store& store);
    ~TargetSync();
    TargetSync(const TargetSync&) = delete;
    TargetSync& operator=(const TargetSync&) = delete;

    /// One pass over the change streams. `stop`, when set, ends the pass early: records in
    /// flight finish and commit first.
    PassResult runPass(const std::atomic<bool>* stop = nullptr);

    /// Replays the given source containers whatever their hashes say; cursors do not move.
    PassResult resyncContainers(const std::vector<std::int64_t>& source_ids);
    /// Replays every matching container created or edited at or after `since`.
    PassResult resyncSince(Timestamp since, const std::atomic<bool>* stop = nullptr);
    /// Replays every matching container.
    PassResult resyncAll(const std::atomic<bool>* stop = nullptr);
    /// Re-drives the dead letters of this (route, target); only those of the source ids
    /// `only` when it is not empty.
    PassResult retryDead(const std::vector<std::int64_t>& only = {});

    [[nodiscard]] const state::RouteTarget& key() const { return key_; }
    /// A snapshot of the running pass (or of the last one); safe from any thread.
    [[nodiscard]] LiveStatus live() const;

private:
    struct Parts;

    /// Runs `body` on a fresh pass and reports it ("pass", "resync", "retry-dead").
    template <class Body>
    PassResult run(const char* what, bool force, const std::atomic<bool>* stop, Body&& body);

    RouteConfig route_;
    TargetSyncOptions options_;
    Source& source_;
    Target& target_;
    state::Store& store_;
    state::RouteTarget key_;
    std::unique_ptr<Parts> parts_;
};

}  // namespace soar::sync
