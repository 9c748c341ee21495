#pragma once

/// A fake of the whole `state::Store` on plain maps, for tests of the engine: the same
/// behaviour as `SqliteStore` (held to it by `StoreContractTest`), no file, no SQL.
///
/// What it keeps like the real store: `commit` is all or nothing (an artifact, note or comment
/// of an unmapped container, a note mapping of another kind, or an intent for another (route,
/// target) throws `StateError::Kind::Constraint` and changes nothing); the newest
/// `PassLog::kKeptPasses` passes per (route, target); dead letters count attempts and keep the
/// newest message; strikes count passes and keep the first pass's time, and go with the mappings
/// they belong to; a playbook trigger is recorded at most once; results come in the documented
/// orders. Any write registers its (route, target), even one that throws, as the real store's
/// registry does. Leases follow `LeaseStore`'s contract, fencing included.
///
/// Thread safety: every call takes one mutex, so it may be called from any number of threads.
/// Ownership: owns its maps; results are copies.

#include "soar/state/Store.h"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace soar::test {

class InMemoryStore final : public state::Store {
public:
    InMemoryStore() = default;
    InMemoryStore(const InMemoryStore&) = delete;
    InMemoryStore& operator=(const InMemoryStore&) = delete;

    /// Runs before each commit() writes, on the committing thread and outside the store's
    /// lock: a test holds a commit there to order it against other threads.
    void setCommitHook(std::function<void(const state::UnitOfWork&)> hook);

    [[nodiscard]] std::optional<state::Cursor> cursor(const state::RouteTarget& key,
                                                      state::Stream stream) const override;
    [[nodiscard]] std::vector<state::Cursor> cursors(const state::RouteTarget& key) const override;
    void setCursor(const state::RouteTarget& key, const state::Cursor& cursor) override;
    void clearCursors(const state::RouteTarget& key) override;

    [[nodiscard]] std::optional<state::ContainerMapping> containerMapping(
        const state::RouteTarget& key, std::int64_t source_container_id) const override;
    [[nodiscard]] std::optional<state::ArtifactMapping> artifactMapping(
        const state::RouteTarget& key, std::int64_t source_artifact_id) const override;
    [[nodiscard]] std::vector<state::ContainerMapping> findContainerMappings(
        const state::RouteTarget& key,
        const std::vector<std::int64_t>& source_container_ids) const override;
    [[nodiscard]] std::vector<state::ArtifactMapping> findArtifactMappings(
        const state::RouteTarget& key,
        const std::vector<std::int64_t>& source_artifact_ids) const override;
    [[nodiscard]] std::optional<state::NoteMapping> noteMapping(
        const state::RouteTarget& key, state::RecordKind kind,
        std::int64_t source_id) const override;
    [[nodiscard]] std::optional<state::ContainerMapping> containerMappingByTarget(
        const state::RouteTarget& key, std::int64_t target_container_id) const override;
    [[nodiscard]] std::optional<state::NoteMapping> noteMappingByTarget(
        const state::RouteTarget& key, state::RecordKind kind,
        std::int64_t target_id) const override;
    [[nodiscard]] std::optional<state::MirrorState> mirrorState(
        const state::RouteTarget& key, std::int64_t source_container_id) const override;
    [[nodiscard]] std::vector<state::NoteMapping> noteMappingsOf(
        const state::RouteTarget& key, std::int64_t source_container_id) const override;
    [[nodiscard]] std::vector<state::ArtifactMapping> artifactMappingsOf(
        const state::RouteTarget& key, std::int64_t source_container_id) const override;
    [[nodiscard]] std::vector<state::ContainerMapping> containerMappings(
        const state::RouteTarget& key, std::int64_t after_source_id,
        std::size_t limit) const override;
    [[nodiscard]] state::MappingCounts mappingCounts(const state::RouteTarget& key) const override;
    bool deleteContainerMapping(const state::RouteTarget& key,
                                std::int64_t source_container_id) override;
    bool deleteArtifactMapping(const state::RouteTarget& key,
                               std::int64_t source_artifact_id) override;
    std::int64_t deleteMappings(const state::RouteTarget& key) override;

    state::CommitResult commit(const state::UnitOfWork& unit) override;

    [[nodiscard]] state::RecordedIntent recordPlaybookIntent(
        const state::PlaybookRun& run) override;
    bool updatePlaybookRun(std::int64_t id, state::RunStatus status,
                           std::optional<std::int64_t> run_id, const std::string& message,
                           const std::string& at) override;
    [[nodiscard]] std::optional<state::PlaybookRun> playbookRun(
        const state::RouteTarget& key, const std::string& trigger_key) const override;
    [[nodiscard]] std::vector<state::PlaybookRun> unreportedPlaybookRuns(
        const state::RouteTarget& key) const override;
    bool setPlaybookReport(std::int64_t id, state::ReportState state) override;
    [[nodiscard]] std::vector<state::PlaybookRun> pendingPlaybookRuns(
        const state::RouteTarget& key) const override;
    [[nodiscard]] std::map<state::RunStatus, std::int64_t> playbookRunCounts(
        const state::RouteTarget& key) const override;

    std::int64_t recordDeadLetter(const state::RouteTarget& key, const state::DeadLetterRef& ref,
                                  const std::string& message, const std::string& at) override;
    [[nodiscard]] std::vector<state::DeadLetter> deadLetters(
        const state::RouteTarget& key) const override;
    [[nodiscard]] std::int64_t deadLetterCount(const state::RouteTarget& key) const override;
    bool clearDeadLetter(const state::RouteTarget& key, const state::DeadLetterRef& ref) override;

    state::Strike addStrike(const state::RouteTarget& key, std::int64_t source_id,
                            const std::string& pass_started_at) override;
    [[nodiscard]] std::vector<state::Strike> strikes(const state::RouteTarget& key) const override;
    bool clearStrike(const state::RouteTarget& key, std::int64_t source_id) override;

    [[nodiscard]] std::vector<state::ListCopy> listCopies(
        const state::RouteTarget& key) const override;
    void recordListCopy(const state::RouteTarget& key, const state::ListCopy& copy) override;

    [[nodiscard]] std::optional<state::ReconcileState> reconcileState(
        const state::RouteTarget& key) const override;
    void saveReconcileState(const state::RouteTarget& key,
                            const state::ReconcileState& state) override;
    void buryContainer(const state::RouteTarget& key, const state::Tombstone& tombstone) override;
    [[nodiscard]] std::int64_t tombstonesOf(const state::RouteTarget& key,
                                            std::int64_t source_id) const override;
    [[nodiscard]] std::map<std::int64_t, std::int64_t> tombstonesOf(
        const state::RouteTarget& key, const std::vector<std::int64_t>& source_ids) const override;
    [[nodiscard]] std::vector<state::Tombstone> tombstones(
        const state::RouteTarget& key) const override;

    void recordPass(const state::RouteTarget& key, const state::PassRecord& pass) override;
    [[nodiscard]] std::optional<state::PassRecord> lastPass(
        const state::RouteTarget& key) const override;
    [[nodiscard]] std::vector<state::PassRecord> recentPasses(const state::RouteTarget& key,
                                                              std::size_t limit) const override;
    void markFailing(const state::RouteTarget& key, const std::string& message,
                     const std::string& at) override;
    void recordError(const state::RouteTarget& key, const std::string& message,
                     const std::string& at) override;
    void markHealthy(const state::RouteTarget& key) override;
    [[nodiscard]] state::TargetHealth health(const state::RouteTarget& key) const override;

    [[nodiscard]] std::vector<state::RouteTarget> targets() const override;
    [[nodiscard]] state::TargetStatus status(const state::RouteTarget& key) const override;

    // LeaseStore (InMemoryLeases.cpp): leases on the clock set by `setLeaseClock` (the system
    // clock until then); writes of a fenced route check it like the real stores.
    [[nodiscard]] std::int64_t leaseClockMs() const override;
    [[nodiscard]] std::optional<state::Lease> acquireLease(const std::string& route,
                                                           const std::string& holder,
                                                           std::chrono::milliseconds ttl) override;
    [[nodiscard]] std::optional<state::Lease> renewLease(const state::Lease& held,
                                                         std::chrono::milliseconds ttl) override;
    void releaseLease(const state::Lease& held) override;
    void requestLease(const std::string& route, const std::string& requester) override;
    [[nodiscard]] std::vector<state::Lease> leases() const override;
    void heartbeat(const std::string& holder, std::chrono::milliseconds ttl) override;
    void forgetNode(const std::string& holder) override;
    [[nodiscard]] std::vector<state::LeaseNode> liveNodes() const override;
    void fence(const state::Lease& lease) override;
    void unfence(const std::string& route) override;

    /// The clock leases are kept by (ms since the Unix epoch), e.g. a ManualClock's.
    void setLeaseClock(std::function<std::int64_t()> clock);

private:
    std::function<void(const state::UnitOfWork&)> commit_hook_;
    /// (kind name, source id): the order the real store lists notes and dead letters in.
    using KindAndId = std::pair<std::string, std::int64_t>;

    struct Stored {
        std::map<state::Stream, state::Cursor> cursors;
        std::map<std::int64_t, state::ContainerMapping> containers;
        std::map<std::int64_t, state::ArtifactMapping> artifacts;
        std::map<KindAndId, state::NoteMapping> notes;
        std::map<std::int64_t, state::MirrorState> mirrors;
        /// Oldest first; at most `kKeptPasses`.
        std::vector<state::PassRecord> passes;
        state::TargetHealth health;
        std::map<KindAndId, state::DeadLetter> dead_letters;
        /// Source container id -> its strike.
        std::map<std::int64_t, state::Strike> strikes;
        /// Trigger key -> run id.
        std::map<std::string, std::int64_t> triggers;
        /// List name -> what was last written.
        std::map<std::string, state::ListCopy> lists;
        std::optional<state::ReconcileState> reconcile;
        /// (source id, generation) -> tombstone.
        std::map<std::pair<std::int64_t, std::int64_t>, state::Tombstone> tombstones;
    };
    /// Forgets a container's mappings and strikes; the caller holds the mutex.
    static bool forget(Stored& stored, std::int64_t source_container_id);

    /// The (route, target)'s records, registering it; the caller holds `mutex_`.
    Stored& writable(const state::RouteTarget& key);
    /// The (route, target)'s records, or null when it was never written; the caller holds
    /// `mutex_`.
    const Stored* find(const state::RouteTarget& key) const;

    static void upsertDeadLetter(Stored& stored, const state::RouteTarget& key,
                                 const state::DeadLetterRef& ref, const std::string& message,
                                 const std::string& at, std::int64_t& attempts);
    state::RecordedIntent insertIntent(Stored& stored, const state::PlaybookRun& run);
    /// Throws `StateError::Kind::Fenced` when `route` is fenced and its lease changed hands;
    /// the caller holds `mutex_`.
    void checkFence(const std::string& route) const;
    std::int64_t nowMs() const;

    mutable std::mutex mutex_;
    std::map<state::RouteTarget, Stored> stored_;
    /// Every run by id (ids are global, like the real store's rowids).
    std::map<std::int64_t, state::PlaybookRun> runs_;
    std::int64_t next_run_id_ = 1;
    std::map<std::string, state::Lease> leases_;
    std::map<std::string, state::LeaseNode> nodes_;
    /// Route -> the (holder, epoch) its writes must still find.
    std::map<std::string, state::Lease> fences_;
    std::function<std::int64_t()> lease_clock_;
};

}  // namespace soar::test
