#pragma once

/// `Store` on SQL: one SQLite file (design §4 `[state] backend = sqlite`, `path`) or one
/// PostgreSQL database (`backend = postgresql`, `url`). Every query is written once and runs on
/// both (state/src/Sql.h). The code is split by concern: SqliteStore.cpp (opening, cursors,
/// commit, status), SqliteMappings.cpp, SqlitePlaybookRuns.cpp, SqliteDeadLetters.cpp,
/// SqliteStrikes.cpp, SqliteLists.cpp, SqliteReconcile.cpp, SqlitePassLog.cpp and
/// SqliteLeases.cpp.
///
/// SQLite: the file runs in WAL mode with `synchronous = NORMAL`: a committed transaction
/// survives the process being killed at any moment (SIGKILL), and at worst the last transaction
/// before an OS crash or power loss is lost, which only causes an idempotent replay (design §5).
/// Every write transaction starts with `BEGIN IMMEDIATE`, taking the file's write lock up front,
/// so two writers never both hold a read snapshot and then deadlock upgrading it; a writer that
/// finds the lock taken waits up to `busy_timeout` and only then fails with
/// `StateError::Kind::Busy`. Readers never wait for writers and never see half a transaction.
///
/// PostgreSQL: the server's durability and row locks; the lease clock is the server's. A lost
/// connection (server restart, network cut) fails the call with `StateError::Kind::Unavailable`
/// and is dropped; the next call connects again.
///
/// Concurrency, in one process: one write connection behind a mutex, so writes from any thread
/// serialise; reads use a pool of separate connections, one per concurrent reader. Every
/// connection caches its prepared statements.
///
/// Leases: fencing (`LeaseStore::fence`): the store remembers the fenced lease of each route,
/// and every write of a fenced route checks the route's lease row in its own write transaction
/// before changing anything, holding the row (SQLite: the write lock; PostgreSQL: a row lock)
/// so no other daemon can take the lease between the check and the commit.
///
/// Thread safety: all methods may be called from any number of threads at once.
/// Ownership: `open` returns the only handle; destroying it closes every connection. Do not
/// keep a store across `fork()`; open a new one in the child.

#include "soar/state/StateError.h"
#include "soar/state/Store.h"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace soar::state {

class Connection;

/// How to open the state store (from `[state]` in the config).
struct StateOptions {
    enum class Backend { Sqlite, Postgresql };

    /// The state file (sqlite); ":memory:" for a private in-memory database (tests; no WAL,
    /// one connection).
    std::string path;
    /// How long a write waits for another process's write lock before `StateError::Busy`.
    std::chrono::milliseconds busy_timeout{10'000};
    /// Open read-only (the `status` command): never creates, migrates or writes; writes throw
    /// `StateError::Kind::Unwritable`.
    bool read_only = false;
    /// Run `PRAGMA quick_check` when opening, so a damaged file is refused at start rather than
    /// at the first read of a damaged page. Costs a read of the whole file.
    bool quick_check = true;
    /// Applied to every free text before it is stored (last errors, dead-letter and playbook
    /// messages): the daemon masks its secrets and escapes control characters here, so the
    /// file never holds what its logs would not show. Unset: stored as given.
    std::function<std::string(const std::string&)> scrub{};
    /// The lease clock (ms since the Unix epoch), for tests that move time by hand. Unset: the
    /// system clock.
    std::function<std::int64_t()> lease_clock{};

    Backend backend = Backend::Sqlite;
    /// The database (postgresql): `postgresql://USER@HOST[:PORT]/DB[?PARAMS]`, e.g.
    /// `?sslmode=verify-full&sslrootcert=/etc/ssl/db-ca.pem`. Never holds the password.
    std::string url{};
    /// The database password (postgresql), read by the caller from `password_env` or
    /// `password_file`. Never shown in a message.
    std::string password{};
    /// Read connections kept open for reuse (postgresql).
    std::size_t idle_readers = 4;

    /// Where the store is, for messages: "state file PATH" or "state database URL" (the URL
    /// without its query and any password).
    [[nodiscard]] std::string describe() const;
};

/// Opens the store `options` name, whichever backend: see `SqlStore::open`.
[[nodiscard]] std::unique_ptr<Store> openStore(const StateOptions& options);

class SqlStore final : public Store {
public:
    /// The schema version this binary writes; files at a higher version are refused.
    static constexpr int kSchemaVersion = 7;

    /// Opens (creating it and its folders when missing) and migrates the state file or
    /// database. Throws `StateError` naming where (`describe()`): `Unwritable` when it cannot be
    /// created or written, `Corrupt` when it is not a soar-sync database or is damaged,
    /// `TooNew` when a newer soar-sync wrote it, `Unavailable` when the server cannot be
    /// reached. A refused database is never written to.
    [[nodiscard]] static std::unique_ptr<SqlStore> open(const StateOptions& options);

    /// Creates or migrates the file to exactly `version` (0 = an empty file with no schema) and
    /// closes it: for upgrade tests and tooling, never for the daemon.
    static void migrateFileTo(const StateOptions& options, int version);

    ~SqlStore() override;
    SqlStore(const SqlStore&) = delete;
    SqlStore& operator=(const SqlStore&) = delete;

    /// The path it was opened with (sqlite).
    [[nodiscard]] const std::string& path() const { return options_.path; }
    /// The schema version of the open file or database.
    [[nodiscard]] int schemaVersion() const;
    /// SQLite: runs `PRAGMA integrity_check`: "ok", or SQLite's list of problems (for
    /// `check`). PostgreSQL keeps its own consistency: "ok" once the database answers.
    [[nodiscard]] std::string integrityCheck() const;

    // The Store interfaces, one block per concern, each documented in its own header
    // (CursorStore.h, MappingStore.h, ...). Reads run on a pooled read connection, writes in
    // their own BEGIN IMMEDIATE transaction on the write connection.

    [[nodiscard]] std::optional<Cursor> cursor(const RouteTarget& key,
                                               Stream stream) const override;
    [[nodiscard]] std::vector<Cursor> cursors(const RouteTarget& key) const override;
    void setCursor(const RouteTarget& key, const Cursor& cursor) override;
    void clearCursors(const RouteTarget& key) override;

    [[nodiscard]] std::optional<ContainerMapping> containerMapping(
        const RouteTarget& key, std::int64_t source_container_id) const override;
    [[nodiscard]] std::optional<ArtifactMapping> artifactMapping(
        const RouteTarget& key, std::int64_t source_artifact_id) const override;
    [[nodiscard]] std::vector<ContainerMapping> findContainerMappings(
        const RouteTarget& key,
        const std::vector<std::int64_t>& source_container_ids) const override;
    [[nodiscard]] std::vector<ArtifactMapping> findArtifactMappings(
        const RouteTarget& key,
        const std::vector<std::int64_t>& source_artifact_ids) const override;
    [[nodiscard]] std::optional<NoteMapping> noteMapping(const RouteTarget& key, RecordKind kind,
                                                         std::int64_t source_id) const override;
    [[nodiscard]] std::optional<ContainerMapping> containerMappingByTarget(
        const RouteTarget& key, std::int64_t target_container_id) const override;
    [[nodiscard]] std::optional<NoteMapping> noteMappingByTarget(
        const RouteTarget& key, RecordKind kind, std::int64_t target_id) const override;
    [[nodiscard]] std::optional<MirrorState> mirrorState(
        const RouteTarget& key, std::int64_t source_container_id) const override;
    [[nodiscard]] std::vector<NoteMapping> noteMappingsOf(
        const RouteTarget& key, std::int64_t source_container_id) const override;
    [[nodiscard]] std::vector<ArtifactMapping> artifactMappingsOf(
        const RouteTarget& key, std::int64_t source_container_id) const override;
    [[nodiscard]] std::vector<ContainerMapping> containerMappings(const RouteTarget& key,
                                                                  std::int64_t after_source_id,
                                                                  std::size_t limit) const override;
    [[nodiscard]] MappingCounts mappingCounts(const RouteTarget& key) const override;
    bool deleteContainerMapping(const RouteTarget& key, std::int64_t source_container_id) override;
    bool deleteArtifactMapping(const RouteTarget& key, std::int64_t source_artifact_id) override;
    std::int64_t deleteMappings(const RouteTarget& key) override;

    CommitResult commit(const UnitOfWork& unit) override;

    void recordPass(const RouteTarget& key, const PassRecord& pass) override;
    [[nodiscard]] std::optional<PassRecord> lastPass(const RouteTarget& key) const override;
    [[nodiscard]] std::vector<PassRecord> recentPasses(const RouteTarget& key,
                                                       std::size_t limit) const override;
    void markFailing(const RouteTarget& key, const std::string& message,
                     const std::string& at) override;
    void recordError(const RouteTarget& key, const std::string& message,
                     const std::string& at) override;
    void markHealthy(const RouteTarget& key) override;
    [[nodiscard]] TargetHealth health(const RouteTarget& key) const override;

    [[nodiscard]] RecordedIntent recordPlaybookIntent(const PlaybookRun& run) override;
    bool updatePlaybookRun(std::int64_t id, RunStatus status, std::optional<std::int64_t> run_id,
                           const std::string& message, const std::string& at) override;
    [[nodiscard]] std::optional<PlaybookRun> playbookRun(
        const RouteTarget& key, const std::string& trigger_key) const override;
    [[nodiscard]] std::vector<PlaybookRun> unreportedPlaybookRuns(
        const RouteTarget& key) const override;
    bool setPlaybookReport(std::int64_t id, ReportState state) override;
    [[nodiscard]] std::vector<PlaybookRun> pendingPlaybookRuns(
        const RouteTarget& key) const override;
    [[nodiscard]] std::map<RunStatus, std::int64_t> playbookRunCounts(
        const RouteTarget& key) const override;

    std::int64_t recordDeadLetter(const RouteTarget& key, const DeadLetterRef& ref,
                                  const std::string& message, const std::string& at) override;
    [[nodiscard]] std::vector<DeadLetter> deadLetters(const RouteTarget& key) const override;
    [[nodiscard]] std::int64_t deadLetterCount(const RouteTarget& key) const override;
    bool clearDeadLetter(const RouteTarget& key, const DeadLetterRef& ref) override;

    Strike addStrike(const RouteTarget& key, std::int64_t source_id,
                     const std::string& pass_started_at) override;
    [[nodiscard]] std::vector<Strike> strikes(const RouteTarget& key) const override;
    bool clearStrike(const RouteTarget& key, std::int64_t source_id) override;

    [[nodiscard]] std::vector<ListCopy> listCopies(const RouteTarget& key) const override;
    void recordListCopy(const RouteTarget& key, const ListCopy& copy) override;

    [[nodiscard]] std::optional<ReconcileState> reconcileState(
        const RouteTarget& key) const override;
    void saveReconcileState(const RouteTarget& key, const ReconcileState& state) override;
    void buryContainer(const RouteTarget& key, const Tombstone& tombstone) override;
    [[nodiscard]] std::int64_t tombstonesOf(const RouteTarget& key,
                                            std::int64_t source_id) const override;
    [[nodiscard]] std::map<std::int64_t, std::int64_t> tombstonesOf(
        const RouteTarget& key, const std::vector<std::int64_t>& source_ids) const override;
    [[nodiscard]] std::vector<Tombstone> tombstones(const RouteTarget& key) const override;

    [[nodiscard]] std::vector<RouteTarget> targets() const override;
    [[nodiscard]] TargetStatus status(const RouteTarget& key) const override;

    [[nodiscard]] std::int64_t leaseClockMs() const override;
    [[nodiscard]] std::optional<Lease> acquireLease(const std::string& route,
                                                    const std::string& holder,
                                                    std::chrono::milliseconds ttl) override;
    [[nodiscard]] std::optional<Lease> renewLease(const Lease& held,
                                                  std::chrono::milliseconds ttl) override;
    void releaseLease(const Lease& held) override;
    void requestLease(const std::string& route, const std::string& requester) override;
    [[nodiscard]] std::vector<Lease> leases() const override;
    void heartbeat(const std::string& holder, std::chrono::milliseconds ttl) override;
    void forgetNode(const std::string& holder) override;
    [[nodiscard]] std::vector<LeaseNode> liveNodes() const override;
    void fence(const Lease& lease) override;
    void unfence(const std::string& route) override;

private:
    class ReaderLease;

    SqlStore(StateOptions options, std::unique_ptr<Connection> writer);

    /// Runs `fn(Connection&)` on a read connection (the writer, under its mutex, for
    /// ":memory:"), translating SQLite errors into `StateError` naming `what`.
    template <class Fn>
    auto read(const char* what, Fn&& fn) const;
    /// Runs `fn(Connection&, target_ref)` in one `BEGIN IMMEDIATE` transaction on the write
    /// connection, creating the (route, target) row first when needed.
    template <class Fn>
    auto write(const char* what, const RouteTarget& key, Fn&& fn);
    /// Like `write`, for writes not tied to one (route, target).
    template <class Fn>
    auto writeTxn(const char* what, Fn&& fn);
    /// The row id of a (route, target), creating it when missing (in its own transaction, so
    /// the cached id never names a row a rollback removed).
    std::int64_t ensureTargetRef(const RouteTarget& key);
    /// The row id of a (route, target), or nothing when the store never saw it.
    std::optional<std::int64_t> findTargetRef(Connection& conn, const RouteTarget& key) const;
    std::unique_ptr<Connection> openReader() const;
    std::unique_ptr<Connection> openWriter() const;
    /// Throws `StateError::Kind::Fenced` when `route` is fenced and its lease row (read on
    /// `conn`, in the caller's write transaction) no longer names the fenced holder and epoch.
    void checkFence(Connection& conn, const std::string& route) const;
    /// `checkFence` for the route of the playbook run `id` (none when no route is fenced or
    /// the run does not exist).
    void checkRunFence(Connection& conn, std::int64_t id) const;
    /// The lease clock read on `conn` (PostgreSQL: the server's, in the caller's transaction).
    std::int64_t clockOn(Connection& conn) const;

    StateOptions options_;
    std::string location_;
    bool in_memory_;
    bool read_only_;

    /// Serialises writes on `writer_` (and, for ":memory:", reads too).
    mutable std::mutex write_mutex_;
    /// Null when opened read-only, or after its PostgreSQL connection was lost (the next write
    /// connects again).
    std::unique_ptr<Connection> writer_;

    /// Idle read connections; a reader takes one (or opens one) and gives it back.
    mutable std::mutex readers_mutex_;
    mutable std::vector<std::unique_ptr<Connection>> idle_readers_;

    /// (route, target) -> row id; rows are never deleted, so entries never go stale.
    mutable std::mutex refs_mutex_;
    mutable std::map<RouteTarget, std::int64_t> refs_;

    /// Route -> the lease its writes must still find (`fence`).
    mutable std::mutex fences_mutex_;
    std::map<std::string, Lease> fences_;
};

/// The name the daemon and the tools have always used: the store on SQL, SQLite or PostgreSQL.
using SqliteStore = SqlStore;

}  // namespace soar::state
