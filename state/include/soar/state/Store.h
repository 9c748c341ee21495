#pragma once

/// The state store as the route engine sees it: everything soar-sync must remember between
/// passes and across crashes (design §5), kept per (route, target).
///
/// Contract:
/// - Every write is atomic and durable against a process crash once the call returns. A call
///   that throws has changed nothing.
/// - `commit(UnitOfWork)` is the one way to record a replayed container: its mapping, its
///   artifacts' mappings and the cursor advance land together or not at all.
/// - Reads see every write that returned before the read started, in this process or another.
/// - Failures throw `StateError`; no library exception crosses this interface.
///
/// Thread safety: implementations are safe to call from any number of threads at once (see
/// `SqliteStore` for how). Ownership: the store owns its storage; results are plain values.
///
/// `SqliteStore` implements it on SQLite; tests of the engine use an in-memory fake.

#include "soar/state/Records.h"

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace soar::state {

class Store {
public:
    virtual ~Store() = default;

    // --- Cursors -------------------------------------------------------------------------

    /// The stream's cursor, or nothing before the stream's first advance (start per
    /// `start_from`).
    [[nodiscard]] virtual std::optional<Cursor> cursor(const RouteTarget& key,
                                                       Stream stream) const = 0;
    /// Every cursor of the (route, target), in stream order.
    [[nodiscard]] virtual std::vector<Cursor> cursors(const RouteTarget& key) const = 0;
    /// Sets one cursor on its own (e.g. after draining a page of unchanged records). It may move
    /// backwards: `resync --since` does that on purpose.
    virtual void setCursor(const RouteTarget& key, const Cursor& cursor) = 0;
    /// Forgets every cursor of the (route, target), so the next pass starts per `start_from`.
    virtual void clearCursors(const RouteTarget& key) = 0;

    // --- Id maps and content hashes ------------------------------------------------------

    /// The mapping of one source container, or nothing when it was never written to the target.
    [[nodiscard]] virtual std::optional<ContainerMapping> containerMapping(
        const RouteTarget& key, std::int64_t source_container_id) const = 0;
    /// The mapping of one source artifact.
    [[nodiscard]] virtual std::optional<ArtifactMapping> artifactMapping(
        const RouteTarget& key, std::int64_t source_artifact_id) const = 0;
    /// The mappings of several source containers (e.g. one page from the source), read in one
    /// snapshot: one read transaction for the whole batch, cheaper per id than single lookups.
    /// Unmapped ids are left out; the result follows the order of `source_container_ids`.
    [[nodiscard]] virtual std::vector<ContainerMapping> findContainerMappings(
        const RouteTarget& key, const std::vector<std::int64_t>& source_container_ids) const = 0;
    /// The mappings of several source artifacts, like `findContainerMappings`.
    [[nodiscard]] virtual std::vector<ArtifactMapping> findArtifactMappings(
        const RouteTarget& key, const std::vector<std::int64_t>& source_artifact_ids) const = 0;
    /// The mapping of one source note or comment (`kind` is Note or Comment).
    [[nodiscard]] virtual std::optional<NoteMapping> noteMapping(const RouteTarget& key,
                                                                 RecordKind kind,
                                                                 std::int64_t source_id) const = 0;
    /// The mapped notes and comments of one source container, by kind then source id.
    [[nodiscard]] virtual std::vector<NoteMapping> noteMappingsOf(
        const RouteTarget& key, std::int64_t source_container_id) const = 0;
    /// The mapped artifacts of one source container, by source artifact id.
    [[nodiscard]] virtual std::vector<ArtifactMapping> artifactMappingsOf(
        const RouteTarget& key, std::int64_t source_container_id) const = 0;
    /// Up to `limit` container mappings with source id above `after_source_id`, ascending:
    /// page through all of them without holding them all in memory.
    [[nodiscard]] virtual std::vector<ContainerMapping> containerMappings(
        const RouteTarget& key, std::int64_t after_source_id, std::size_t limit) const = 0;
    /// How many mappings the (route, target) holds.
    [[nodiscard]] virtual MappingCounts mappingCounts(const RouteTarget& key) const = 0;
    /// Forgets one container mapping and its artifacts' mappings (the target lost the
    /// container: the next pass re-creates it). Returns whether it existed.
    virtual bool deleteContainerMapping(const RouteTarget& key,
                                        std::int64_t source_container_id) = 0;
    /// Forgets one artifact mapping (the target lost the artifact). Returns whether it existed.
    virtual bool deleteArtifactMapping(const RouteTarget& key, std::int64_t source_artifact_id) = 0;
    /// Forgets every mapping of the (route, target) (`resync --all`). Returns how many
    /// container mappings went.
    virtual std::int64_t deleteMappings(const RouteTarget& key) = 0;

    // --- The unit of work ----------------------------------------------------------------

    /// Records a replayed container in one transaction: container mappings, then artifact
    /// mappings (upserts), cursor advances, and resolved dead letters. All or nothing.
    /// Throws `StateError` (kind `Constraint`) when an artifact names an unmapped container.
    virtual void commit(const UnitOfWork& unit) = 0;

    // --- Passes and health ---------------------------------------------------------------

    /// Records a finished pass; the store keeps a bounded history per (route, target).
    virtual void recordPass(const RouteTarget& key, const PassRecord& pass) = 0;
    /// The latest recorded pass.
    [[nodiscard]] virtual std::optional<PassRecord> lastPass(const RouteTarget& key) const = 0;
    /// Up to `limit` recent passes, newest first.
    [[nodiscard]] virtual std::vector<PassRecord> recentPasses(const RouteTarget& key,
                                                               std::size_t limit) const = 0;
    /// Records an error that makes the target failing (e.g. credentials refused): sets the last
    /// error, and `failing_since` unless it is already failing.
    virtual void markFailing(const RouteTarget& key, const std::string& message,
                             const std::string& at) = 0;
    /// The target works again: clears `failing_since`, keeps the last error for the record.
    virtual void markHealthy(const RouteTarget& key) = 0;
    /// The last error and failing-since of the (route, target).
    [[nodiscard]] virtual TargetHealth health(const RouteTarget& key) const = 0;

    // --- Playbook runs -------------------------------------------------------------------

    /// Stores the intent to run a playbook before the request is sent (`run.id`, `run_id` and
    /// `status` are ignored: a new intent has status `Intent`). When `run.trigger_key` is
    /// already recorded for the (route, target), nothing is written and the earlier run is
    /// returned with `created == false`: at most once per trigger, across crashes.
    [[nodiscard]] virtual RecordedIntent recordPlaybookIntent(const PlaybookRun& run) = 0;
    /// Moves a run on: its status, the target's run id once known (nothing keeps the stored
    /// one), a message, and when. Returns whether the run exists.
    virtual bool updatePlaybookRun(std::int64_t id, RunStatus status,
                                   std::optional<std::int64_t> run_id, const std::string& message,
                                   const std::string& at) = 0;
    /// The run recorded for one trigger.
    [[nodiscard]] virtual std::optional<PlaybookRun> playbookRun(
        const RouteTarget& key, const std::string& trigger_key) const = 0;
    /// Runs not yet final (intent or running) of the (route, target), oldest first: what a
    /// restarted daemon must check or keep polling.
    [[nodiscard]] virtual std::vector<PlaybookRun> pendingPlaybookRuns(
        const RouteTarget& key) const = 0;
    /// How many runs of the (route, target) are in each status (absent = none).
    [[nodiscard]] virtual std::map<RunStatus, std::int64_t> playbookRunCounts(
        const RouteTarget& key) const = 0;

    // --- Dead letters --------------------------------------------------------------------

    /// Records that the target refused a record: inserts it with one attempt, or counts one
    /// more attempt and keeps the newest message. Returns the number of attempts so far.
    virtual std::int64_t recordDeadLetter(const RouteTarget& key, const DeadLetterRef& ref,
                                          const std::string& message, const std::string& at) = 0;
    /// The dead letters of the (route, target), oldest first.
    [[nodiscard]] virtual std::vector<DeadLetter> deadLetters(const RouteTarget& key) const = 0;
    /// How many dead letters the (route, target) holds.
    [[nodiscard]] virtual std::int64_t deadLetterCount(const RouteTarget& key) const = 0;
    /// Removes a dead letter once the record went through. Returns whether it existed.
    virtual bool clearDeadLetter(const RouteTarget& key, const DeadLetterRef& ref) = 0;

    // --- Status --------------------------------------------------------------------------

    /// Every (route, target) the store has written anything for, sorted.
    [[nodiscard]] virtual std::vector<RouteTarget> targets() const = 0;
    /// All the store knows about a (route, target), read consistently (one snapshot).
    [[nodiscard]] virtual TargetStatus status(const RouteTarget& key) const = 0;
};

}  // namespace soar::state
