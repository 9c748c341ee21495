#include "soar/state/SqliteStore.h"

#include "Connection.h"
#include "Schema.h"

#include <SQLiteCpp/Column.h>
#include <SQLiteCpp/Transaction.h>

#include <algorithm>
#include <new>
#include <type_traits>
#include <utility>

namespace soar::state {

static_assert(SqliteStore::kSchemaVersion == kLatestSchemaVersion,
              "the public schema version follows the migrations");

namespace {

/// Passes kept per (route, target); older ones are trimmed as new ones are recorded.
constexpr std::int64_t kPassHistory = 100;

// Every statement is a static string: the per-connection cache keys on its address.
constexpr const char* kSelectTargetRef = "SELECT id FROM targets WHERE route = ?1 AND target = ?2";
constexpr const char* kInsertTarget =
    "INSERT INTO targets (route, target) VALUES (?1, ?2) ON CONFLICT DO NOTHING";
constexpr const char* kSelectTargets = "SELECT route, target FROM targets ORDER BY route, target";

constexpr const char* kSelectCursor =
    "SELECT timestamp, last_id FROM cursors WHERE target_ref = ?1 AND stream = ?2";
constexpr const char* kSelectCursors =
    "SELECT stream, timestamp, last_id FROM cursors WHERE target_ref = ?1";
constexpr const char* kUpsertCursor =
    "INSERT INTO cursors (target_ref, stream, timestamp, last_id) VALUES (?1, ?2, ?3, ?4) "
    "ON CONFLICT (target_ref, stream) DO UPDATE SET timestamp = excluded.timestamp, "
    "last_id = excluded.last_id";
constexpr const char* kDeleteCursors = "DELETE FROM cursors WHERE target_ref = ?1";

constexpr const char* kSelectContainer =
    "SELECT target_id, content_hash, create_time, container_update_time, artifact_update_time "
    "FROM container_map WHERE target_ref = ?1 AND source_id = ?2";
constexpr const char* kSelectContainersAfter =
    "SELECT source_id, target_id, content_hash, create_time, container_update_time, "
    "artifact_update_time FROM container_map WHERE target_ref = ?1 AND source_id > ?2 "
    "ORDER BY source_id LIMIT ?3";
// An upsert, never INSERT OR REPLACE: a replace deletes the row first, and the delete would
// cascade to the container's artifact mappings.
constexpr const char* kUpsertContainer =
    "INSERT INTO container_map (target_ref, source_id, target_id, content_hash, create_time, "
    "container_update_time, artifact_update_time) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) "
    "ON CONFLICT (target_ref, source_id) DO UPDATE SET target_id = excluded.target_id, "
    "content_hash = excluded.content_hash, create_time = excluded.create_time, "
    "container_update_time = excluded.container_update_time, "
    "artifact_update_time = excluded.artifact_update_time";
constexpr const char* kDeleteContainer =
    "DELETE FROM container_map WHERE target_ref = ?1 AND source_id = ?2";
constexpr const char* kDeleteContainers = "DELETE FROM container_map WHERE target_ref = ?1";
constexpr const char* kCountContainers = "SELECT count(*) FROM container_map WHERE target_ref = ?1";

constexpr const char* kSelectArtifact =
    "SELECT target_id, source_container_id, content_hash, update_time FROM artifact_map "
    "WHERE target_ref = ?1 AND source_id = ?2";
constexpr const char* kSelectArtifactsOf =
    "SELECT source_id, target_id, content_hash, update_time FROM artifact_map "
    "WHERE target_ref = ?1 AND source_container_id = ?2 ORDER BY source_id";
constexpr const char* kUpsertArtifact =
    "INSERT INTO artifact_map (target_ref, source_id, target_id, source_container_id, "
    "content_hash, update_time) VALUES (?1, ?2, ?3, ?4, ?5, ?6) "
    "ON CONFLICT (target_ref, source_id) DO UPDATE SET target_id = excluded.target_id, "
    "source_container_id = excluded.source_container_id, content_hash = excluded.content_hash, "
    "update_time = excluded.update_time";
constexpr const char* kDeleteArtifact =
    "DELETE FROM artifact_map WHERE target_ref = ?1 AND source_id = ?2";
constexpr const char* kDeleteArtifacts = "DELETE FROM artifact_map WHERE target_ref = ?1";
constexpr const char* kCountArtifacts = "SELECT count(*) FROM artifact_map WHERE target_ref = ?1";

constexpr const char* kSelectNote =
    "SELECT target_id, source_container_id, content_hash, update_time FROM note_map "
    "WHERE target_ref = ?1 AND kind = ?2 AND source_id = ?3";
constexpr const char* kSelectNotesOf =
    "SELECT kind, source_id, target_id, content_hash, update_time FROM note_map "
    "WHERE target_ref = ?1 AND source_container_id = ?2 ORDER BY kind, source_id";
constexpr const char* kUpsertNote =
    "INSERT INTO note_map (target_ref, kind, source_id, target_id, source_container_id, "
    "content_hash, update_time) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) "
    "ON CONFLICT (target_ref, kind, source_id) DO UPDATE SET target_id = excluded.target_id, "
    "source_container_id = excluded.source_container_id, content_hash = excluded.content_hash, "
    "update_time = excluded.update_time";
constexpr const char* kDeleteNotes = "DELETE FROM note_map WHERE target_ref = ?1";
constexpr const char* kCountNotes = "SELECT count(*) FROM note_map WHERE target_ref = ?1";

constexpr const char* kInsertPass =
    "INSERT INTO passes (target_ref, started_at, finished_at, outcome, containers_created, "
    "containers_updated, containers_unchanged, artifacts_created, artifacts_updated, "
    "artifacts_unchanged, errors, notes_created, notes_updated, comments_created) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)";
constexpr const char* kTrimPasses =
    "DELETE FROM passes WHERE target_ref = ?1 AND id <= (SELECT id FROM passes "
    "WHERE target_ref = ?1 ORDER BY id DESC LIMIT 1 OFFSET ?2)";
constexpr const char* kSelectPasses =
    "SELECT started_at, finished_at, outcome, containers_created, containers_updated, "
    "containers_unchanged, artifacts_created, artifacts_updated, artifacts_unchanged, errors, "
    "notes_created, notes_updated, comments_created "
    "FROM passes WHERE target_ref = ?1 ORDER BY id DESC LIMIT ?2";

constexpr const char* kMarkFailing =
    "UPDATE targets SET last_error = ?2, last_error_at = ?3, "
    "failing_since = coalesce(failing_since, ?3) WHERE id = ?1";
constexpr const char* kMarkHealthy = "UPDATE targets SET failing_since = NULL WHERE id = ?1";
constexpr const char* kSelectHealth =
    "SELECT last_error, last_error_at, failing_since FROM targets WHERE id = ?1";

constexpr const char* kRunColumns =
    "SELECT id, trigger_key, source_container_id, target_container_id, playbook, trigger_kind, "
    "run_id, status, message, created_at, updated_at FROM playbook_runs ";
constexpr const char* kInsertIntent =
    "INSERT INTO playbook_runs (target_ref, trigger_key, source_container_id, "
    "target_container_id, playbook, trigger_kind, status, message, created_at, updated_at) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'intent', ?7, ?8, ?8) "
    "ON CONFLICT (target_ref, trigger_key) DO NOTHING";
constexpr const char* kUpdateRun =
    "UPDATE playbook_runs SET status = ?2, run_id = coalesce(?3, run_id), message = ?4, "
    "updated_at = ?5 WHERE id = ?1";
constexpr const char* kCountRuns =
    "SELECT status, count(*) FROM playbook_runs WHERE target_ref = ?1 GROUP BY status";

constexpr const char* kUpsertDeadLetter =
    "INSERT INTO dead_letters (target_ref, kind, source_id, message, attempts, first_seen, "
    "last_seen) VALUES (?1, ?2, ?3, ?4, 1, ?5, ?5) "
    "ON CONFLICT (target_ref, kind, source_id) DO UPDATE SET message = excluded.message, "
    "attempts = attempts + 1, last_seen = excluded.last_seen RETURNING attempts";
constexpr const char* kSelectDeadLetters =
    "SELECT kind, source_id, message, attempts, first_seen, last_seen FROM dead_letters "
    "WHERE target_ref = ?1 ORDER BY first_seen, kind, source_id";
constexpr const char* kCountDeadLetters = "SELECT count(*) FROM dead_letters WHERE target_ref = ?1";
constexpr const char* kDeleteDeadLetter =
    "DELETE FROM dead_letters WHERE target_ref = ?1 AND kind = ?2 AND source_id = ?3";

// Static strings for the statements built from kRunColumns (the cache keys on the address).
const std::string kSelectRunByTrigger =
    std::string(kRunColumns) + "WHERE target_ref = ?1 AND trigger_key = ?2";
const std::string kSelectPendingRuns = std::string(kRunColumns) +
                                       "WHERE target_ref = ?1 AND status IN ('intent', 'running') "
                                       "ORDER BY id";

std::optional<std::string> optionalText(const SQLite::Column& column) {
    if (column.isNull()) return std::nullopt;
    return column.getString();
}

void bindOptional(SQLite::Statement& stmt, int index, const std::optional<std::string>& value) {
    if (value) {
        stmt.bind(index, *value);
    } else {
        stmt.bind(index);
    }
}

void bindText(SQLite::Statement& stmt, int index, std::string_view value) {
    stmt.bind(index, std::string(value));
}

std::int64_t limitOf(std::size_t limit) {
    return static_cast<std::int64_t>(std::min<std::size_t>(limit, INT64_MAX));
}

std::optional<RunStatus> parseRunStatus(std::string_view name) {
    for (auto s : {RunStatus::Intent, RunStatus::Running, RunStatus::Success, RunStatus::Failed,
                   RunStatus::Cancelled, RunStatus::TimedOut}) {
        if (toString(s) == name) return s;
    }
    return std::nullopt;
}

std::optional<RecordKind> parseRecordKind(std::string_view name) {
    for (auto k : {RecordKind::Container, RecordKind::Artifact, RecordKind::Note,
                   RecordKind::Comment, RecordKind::Playbook}) {
        if (toString(k) == name) return k;
    }
    return std::nullopt;
}

[[noreturn]] void unknownValue(const Connection& conn, const char* what, const std::string& v) {
    throw StateError(StateError::Kind::Corrupt, "state file " + conn.path() + ": unknown " + what +
                                                    " '" + v + "' (written by a newer soar-sync?)");
}

// Reads shared by the single-item accessors and `status` (one snapshot).

std::vector<Cursor> readCursors(Connection& conn, std::int64_t ref) {
    std::vector<Cursor> out;
    Query q(conn, kSelectCursors);
    q->bind(1, ref);
    while (q->executeStep()) {
        const auto stream = parseStream(q->getColumn(0).getString());
        if (!stream) continue;  // a stream a newer binary added; this one cannot walk it
        out.push_back(Cursor{*stream, q->getColumn(1).getString(), q->getColumn(2).getInt64()});
    }
    std::sort(out.begin(), out.end(),
              [](const Cursor& a, const Cursor& b) { return a.stream < b.stream; });
    return out;
}

std::vector<PassRecord> readPasses(Connection& conn, std::int64_t ref, std::size_t limit) {
    std::vector<PassRecord> out;
    Query q(conn, kSelectPasses);
    q->bind(1, ref);
    q->bind(2, limitOf(limit));
    while (q->executeStep()) {
        PassRecord pass;
        pass.started_at = q->getColumn(0).getString();
        pass.finished_at = q->getColumn(1).getString();
        pass.outcome = q->getColumn(2).getString();
        pass.counts.containers_created = q->getColumn(3).getInt64();
        pass.counts.containers_updated = q->getColumn(4).getInt64();
        pass.counts.containers_unchanged = q->getColumn(5).getInt64();
        pass.counts.artifacts_created = q->getColumn(6).getInt64();
        pass.counts.artifacts_updated = q->getColumn(7).getInt64();
        pass.counts.artifacts_unchanged = q->getColumn(8).getInt64();
        pass.counts.errors = q->getColumn(9).getInt64();
        pass.counts.notes_created = q->getColumn(10).getInt64();
        pass.counts.notes_updated = q->getColumn(11).getInt64();
        pass.counts.comments_created = q->getColumn(12).getInt64();
        out.push_back(std::move(pass));
    }
    return out;
}

TargetHealth readHealth(Connection& conn, std::int64_t ref) {
    TargetHealth health;
    Query q(conn, kSelectHealth);
    q->bind(1, ref);
    if (q->executeStep()) {
        health.last_error = optionalText(q->getColumn(0));
        health.last_error_at = optionalText(q->getColumn(1));
        health.failing_since = optionalText(q->getColumn(2));
    }
    return health;
}

std::int64_t count(Connection& conn, const char* sql, std::int64_t ref) {
    Query q(conn, sql);
    q->bind(1, ref);
    q->executeStep();
    return q->getColumn(0).getInt64();
}

MappingCounts readMappingCounts(Connection& conn, std::int64_t ref) {
    MappingCounts counts;
    counts.containers = count(conn, kCountContainers, ref);
    counts.artifacts = count(conn, kCountArtifacts, ref);
    counts.notes = count(conn, kCountNotes, ref);
    return counts;
}

std::map<RunStatus, std::int64_t> readRunCounts(Connection& conn, std::int64_t ref) {
    std::map<RunStatus, std::int64_t> out;
    Query q(conn, kCountRuns);
    q->bind(1, ref);
    while (q->executeStep()) {
        const std::string name = q->getColumn(0).getString();
        const auto status = parseRunStatus(name);
        if (!status) unknownValue(conn, "playbook run status", name);
        out[*status] = q->getColumn(1).getInt64();
    }
    return out;
}

PlaybookRun readRun(Connection& conn, SQLite::Statement& row, const RouteTarget& key) {
    PlaybookRun run;
    run.id = row.getColumn(0).getInt64();
    run.key = key;
    run.trigger_key = row.getColumn(1).getString();
    run.source_container_id = row.getColumn(2).getInt64();
    run.target_container_id = row.getColumn(3).getInt64();
    run.playbook = row.getColumn(4).getString();
    run.trigger =
        row.getColumn(5).getString() == "update" ? TriggerKind::Update : TriggerKind::Create;
    if (!row.getColumn(6).isNull()) run.run_id = row.getColumn(6).getInt64();
    const std::string status = row.getColumn(7).getString();
    const auto parsed = parseRunStatus(status);
    if (!parsed) unknownValue(conn, "playbook run status", status);
    run.status = *parsed;
    run.message = row.getColumn(8).getString();
    run.created_at = row.getColumn(9).getString();
    run.updated_at = row.getColumn(10).getString();
    return run;
}

/// A container mapping from a row whose target_id, content_hash and three times start at
/// column `at`.
ContainerMapping containerFrom(const SQLite::Statement& row, int at, std::int64_t source_id) {
    ContainerMapping m;
    m.source_id = source_id;
    m.target_id = row.getColumn(at).getInt64();
    m.content_hash = row.getColumn(at + 1).getString();
    m.create_time = optionalText(row.getColumn(at + 2));
    m.container_update_time = optionalText(row.getColumn(at + 3));
    m.artifact_update_time = optionalText(row.getColumn(at + 4));
    return m;
}

std::optional<ContainerMapping> readContainer(Connection& conn, std::int64_t ref,
                                              std::int64_t source_id) {
    Query q(conn, kSelectContainer);
    q->bind(1, ref);
    q->bind(2, source_id);
    if (!q->executeStep()) return std::nullopt;
    return containerFrom(*q, 0, source_id);
}

std::optional<ArtifactMapping> readArtifact(Connection& conn, std::int64_t ref,
                                            std::int64_t source_id) {
    Query q(conn, kSelectArtifact);
    q->bind(1, ref);
    q->bind(2, source_id);
    if (!q->executeStep()) return std::nullopt;
    ArtifactMapping m;
    m.source_id = source_id;
    m.target_id = q->getColumn(0).getInt64();
    m.source_container_id = q->getColumn(1).getInt64();
    m.content_hash = q->getColumn(2).getString();
    m.update_time = optionalText(q->getColumn(3));
    return m;
}

/// Looks up each id with `lookup`, inside one read transaction.
template <class T, class Lookup>
std::vector<T> readBatch(Connection& conn, std::int64_t ref, const std::vector<std::int64_t>& ids,
                         Lookup lookup) {
    std::vector<T> out;
    out.reserve(ids.size());
    SQLite::Transaction snapshot(conn.db());
    for (const auto id : ids) {
        if (auto found = lookup(conn, ref, id)) out.push_back(std::move(*found));
    }
    snapshot.commit();
    return out;
}

std::optional<PlaybookRun> readRunByTrigger(Connection& conn, std::int64_t ref,
                                            const RouteTarget& key,
                                            const std::string& trigger_key) {
    Query q(conn, kSelectRunByTrigger.c_str());
    q->bind(1, ref);
    q->bind(2, trigger_key);
    if (!q->executeStep()) return std::nullopt;
    return readRun(conn, *q, key);
}

}  // namespace

// --- Connections -------------------------------------------------------------------------

/// A read connection borrowed from the pool for one call, given back when the call ends.
class SqliteStore::ReaderLease {
public:
    explicit ReaderLease(const SqliteStore& store) : store_(store) {
        {
            std::lock_guard<std::mutex> lock(store_.readers_mutex_);
            if (!store_.idle_readers_.empty()) {
                conn_ = std::move(store_.idle_readers_.back());
                store_.idle_readers_.pop_back();
            }
        }
        if (!conn_) conn_ = store_.openReader();
    }
    ~ReaderLease() {
        std::lock_guard<std::mutex> lock(store_.readers_mutex_);
        try {
            store_.idle_readers_.push_back(std::move(conn_));
        } catch (const std::bad_alloc&) {
            // Not pooled: the connection closes with the lease; the next reader opens another.
        }
    }
    ReaderLease(const ReaderLease&) = delete;
    ReaderLease& operator=(const ReaderLease&) = delete;

    Connection& connection() { return *conn_; }

private:
    const SqliteStore& store_;
    std::unique_ptr<Connection> conn_;
};

std::unique_ptr<Connection> SqliteStore::openReader() const {
    return Connection::open(options_.path, options_.busy_timeout, Connection::Mode::ReadOnly,
                            /*quick_check=*/false);
}

template <class Fn>
auto SqliteStore::read(const char* what, Fn&& fn) const {
    try {
        if (in_memory_) {
            // One private database per ":memory:" connection: reads share the writer.
            std::lock_guard<std::mutex> lock(write_mutex_);
            return fn(*writer_);
        }
        ReaderLease lease(*this);
        return fn(lease.connection());
    } catch (const SQLite::Exception& e) {
        throw translateError(e, options_.path, what);
    }
}

template <class Fn>
auto SqliteStore::writeTxn(const char* what, Fn&& fn) {
    if (!writer_) {
        throw StateError(StateError::Kind::Unwritable,
                         "state file " + options_.path + ": " + what +
                             " failed: the store was opened read-only");
    }
    try {
        std::lock_guard<std::mutex> lock(write_mutex_);
        // IMMEDIATE takes the write lock now (waiting up to the busy timeout), so this
        // transaction never has to upgrade a read lock another writer also holds.
        SQLite::Transaction txn(writer_->db(), SQLite::TransactionBehavior::IMMEDIATE);
        if constexpr (std::is_void_v<decltype(fn(*writer_))>) {
            fn(*writer_);
            txn.commit();
        } else {
            auto result = fn(*writer_);
            txn.commit();
            return result;
        }
    } catch (const SQLite::Exception& e) {
        throw translateError(e, options_.path, what);
    }
}

template <class Fn>
auto SqliteStore::write(const char* what, const RouteTarget& key, Fn&& fn) {
    try {
        const std::int64_t ref = ensureTargetRef(key);
        return writeTxn(what, [&](Connection& conn) { return fn(conn, ref); });
    } catch (const StateError& e) {
        throw StateError(e.kind(), std::string(e.what()) + " (route '" + key.route + "', target '" +
                                       key.target + "')");
    }
}

std::int64_t SqliteStore::ensureTargetRef(const RouteTarget& key) {
    {
        std::lock_guard<std::mutex> lock(refs_mutex_);
        const auto it = refs_.find(key);
        if (it != refs_.end()) return it->second;
    }
    const std::int64_t ref = writeTxn("registering the route and target", [&](Connection& conn) {
        {
            Query insert(conn, kInsertTarget);
            insert->bind(1, key.route);
            insert->bind(2, key.target);
            insert->exec();
        }
        Query select(conn, kSelectTargetRef);
        select->bind(1, key.route);
        select->bind(2, key.target);
        select->executeStep();
        return select->getColumn(0).getInt64();
    });
    std::lock_guard<std::mutex> lock(refs_mutex_);
    refs_.emplace(key, ref);
    return ref;
}

std::optional<std::int64_t> SqliteStore::findTargetRef(Connection& conn,
                                                       const RouteTarget& key) const {
    {
        std::lock_guard<std::mutex> lock(refs_mutex_);
        const auto it = refs_.find(key);
        if (it != refs_.end()) return it->second;
    }
    Query q(conn, kSelectTargetRef);
    q->bind(1, key.route);
    q->bind(2, key.target);
    if (!q->executeStep()) return std::nullopt;
    const std::int64_t ref = q->getColumn(0).getInt64();
    std::lock_guard<std::mutex> lock(refs_mutex_);
    refs_.emplace(key, ref);
    return ref;
}

// --- Opening -----------------------------------------------------------------------------

SqliteStore::SqliteStore(StateOptions options, std::unique_ptr<Connection> writer)
    : options_(std::move(options)),
      in_memory_(options_.path == ":memory:"),
      writer_(std::move(writer)) {}

SqliteStore::~SqliteStore() = default;

std::unique_ptr<SqliteStore> SqliteStore::open(const StateOptions& options) {
    const bool in_memory = options.path == ":memory:";
    if (in_memory || !options.read_only) {
        auto writer = Connection::open(options.path, options.busy_timeout,
                                       Connection::Mode::ReadWrite, options.quick_check);
        try {
            migrate(*writer, kLatestSchemaVersion);
        } catch (const SQLite::Exception& e) {
            throw translateError(e, options.path, "migrating the schema");
        }
        return std::unique_ptr<SqliteStore>(new SqliteStore(options, std::move(writer)));
    }
    auto reader = Connection::open(options.path, options.busy_timeout, Connection::Mode::ReadOnly,
                                   options.quick_check);
    int version = 0;
    try {
        version = reader->userVersion();
    } catch (const SQLite::Exception& e) {
        throw translateError(e, options.path, "reading the schema version");
    }
    if (version < kLatestSchemaVersion) {
        throw StateError(StateError::Kind::TooOld,
                         "state file " + options.path + ": schema version " +
                             std::to_string(version) + " needs migrating to " +
                             std::to_string(kLatestSchemaVersion) +
                             "; run soar-sync (not read-only) once to upgrade it");
    }
    std::unique_ptr<SqliteStore> store(new SqliteStore(options, nullptr));
    store->idle_readers_.push_back(std::move(reader));
    return store;
}

void SqliteStore::migrateFileTo(const StateOptions& options, int version) {
    if (version < 0 || version > kLatestSchemaVersion) {
        throw StateError(StateError::Kind::TooNew, "state file " + options.path +
                                                       ": cannot migrate to schema version " +
                                                       std::to_string(version));
    }
    auto conn = Connection::open(options.path, options.busy_timeout, Connection::Mode::ReadWrite,
                                 options.quick_check);
    try {
        migrate(*conn, version);
    } catch (const SQLite::Exception& e) {
        throw translateError(e, options.path, "migrating the schema");
    }
}

int SqliteStore::schemaVersion() const {
    return read("reading the schema version", [](Connection& conn) { return conn.userVersion(); });
}

std::string SqliteStore::integrityCheck() const {
    return read("checking integrity", [](Connection& conn) {
        SQLite::Statement q(conn.db(), "PRAGMA integrity_check");
        std::string out;
        while (q.executeStep()) {
            if (!out.empty()) out += '\n';
            out += q.getColumn(0).getString();
        }
        return out;
    });
}

// --- Cursors -----------------------------------------------------------------------------

std::optional<Cursor> SqliteStore::cursor(const RouteTarget& key, Stream stream) const {
    return read("reading a cursor", [&](Connection& conn) -> std::optional<Cursor> {
        const auto ref = findTargetRef(conn, key);
        if (!ref) return std::nullopt;
        Query q(conn, kSelectCursor);
        q->bind(1, *ref);
        bindText(*q, 2, toString(stream));
        if (!q->executeStep()) return std::nullopt;
        return Cursor{stream, q->getColumn(0).getString(), q->getColumn(1).getInt64()};
    });
}

std::vector<Cursor> SqliteStore::cursors(const RouteTarget& key) const {
    return read("reading cursors", [&](Connection& conn) -> std::vector<Cursor> {
        const auto ref = findTargetRef(conn, key);
        if (!ref) return {};
        return readCursors(conn, *ref);
    });
}

void SqliteStore::setCursor(const RouteTarget& key, const Cursor& cursor) {
    write("setting a cursor", key, [&](Connection& conn, std::int64_t ref) {
        Query q(conn, kUpsertCursor);
        q->bind(1, ref);
        bindText(*q, 2, toString(cursor.stream));
        q->bind(3, cursor.timestamp);
        q->bind(4, cursor.last_id);
        q->exec();
    });
}

void SqliteStore::clearCursors(const RouteTarget& key) {
    write("clearing cursors", key, [&](Connection& conn, std::int64_t ref) {
        Query q(conn, kDeleteCursors);
        q->bind(1, ref);
        q->exec();
    });
}

// --- Id maps -----------------------------------------------------------------------------

std::optional<ContainerMapping> SqliteStore::containerMapping(
    const RouteTarget& key, std::int64_t source_container_id) const {
    return read("looking up a container mapping",
                [&](Connection& conn) -> std::optional<ContainerMapping> {
                    const auto ref = findTargetRef(conn, key);
                    if (!ref) return std::nullopt;
                    return readContainer(conn, *ref, source_container_id);
                });
}

std::optional<ArtifactMapping> SqliteStore::artifactMapping(const RouteTarget& key,
                                                            std::int64_t source_artifact_id) const {
    return read("looking up an artifact mapping",
                [&](Connection& conn) -> std::optional<ArtifactMapping> {
                    const auto ref = findTargetRef(conn, key);
                    if (!ref) return std::nullopt;
                    return readArtifact(conn, *ref, source_artifact_id);
                });
}

std::vector<ContainerMapping> SqliteStore::findContainerMappings(
    const RouteTarget& key, const std::vector<std::int64_t>& source_container_ids) const {
    return read(
        "looking up container mappings", [&](Connection& conn) -> std::vector<ContainerMapping> {
            const auto ref = findTargetRef(conn, key);
            if (!ref) return {};
            return readBatch<ContainerMapping>(conn, *ref, source_container_ids, readContainer);
        });
}

std::vector<ArtifactMapping> SqliteStore::findArtifactMappings(
    const RouteTarget& key, const std::vector<std::int64_t>& source_artifact_ids) const {
    return read(
        "looking up artifact mappings", [&](Connection& conn) -> std::vector<ArtifactMapping> {
            const auto ref = findTargetRef(conn, key);
            if (!ref) return {};
            return readBatch<ArtifactMapping>(conn, *ref, source_artifact_ids, readArtifact);
        });
}

std::optional<NoteMapping> SqliteStore::noteMapping(const RouteTarget& key, RecordKind kind,
                                                    std::int64_t source_id) const {
    return read("looking up a note mapping", [&](Connection& conn) -> std::optional<NoteMapping> {
        const auto ref = findTargetRef(conn, key);
        if (!ref) return std::nullopt;
        Query q(conn, kSelectNote);
        q->bind(1, *ref);
        bindText(*q, 2, toString(kind));
        q->bind(3, source_id);
        if (!q->executeStep()) return std::nullopt;
        NoteMapping m;
        m.kind = kind;
        m.source_id = source_id;
        m.target_id = q->getColumn(0).getInt64();
        m.source_container_id = q->getColumn(1).getInt64();
        m.content_hash = q->getColumn(2).getString();
        m.update_time = optionalText(q->getColumn(3));
        return m;
    });
}

std::vector<NoteMapping> SqliteStore::noteMappingsOf(const RouteTarget& key,
                                                     std::int64_t source_container_id) const {
    return read("listing a container's note mappings",
                [&](Connection& conn) -> std::vector<NoteMapping> {
                    const auto ref = findTargetRef(conn, key);
                    if (!ref) return {};
                    std::vector<NoteMapping> out;
                    Query q(conn, kSelectNotesOf);
                    q->bind(1, *ref);
                    q->bind(2, source_container_id);
                    while (q->executeStep()) {
                        const std::string kind = q->getColumn(0).getString();
                        const auto parsed = parseRecordKind(kind);
                        if (!parsed) unknownValue(conn, "note kind", kind);
                        NoteMapping m;
                        m.kind = *parsed;
                        m.source_id = q->getColumn(1).getInt64();
                        m.target_id = q->getColumn(2).getInt64();
                        m.source_container_id = source_container_id;
                        m.content_hash = q->getColumn(3).getString();
                        m.update_time = optionalText(q->getColumn(4));
                        out.push_back(std::move(m));
                    }
                    return out;
                });
}

std::vector<ArtifactMapping> SqliteStore::artifactMappingsOf(
    const RouteTarget& key, std::int64_t source_container_id) const {
    return read("listing a container's artifact mappings",
                [&](Connection& conn) -> std::vector<ArtifactMapping> {
                    const auto ref = findTargetRef(conn, key);
                    if (!ref) return {};
                    std::vector<ArtifactMapping> out;
                    Query q(conn, kSelectArtifactsOf);
                    q->bind(1, *ref);
                    q->bind(2, source_container_id);
                    while (q->executeStep()) {
                        ArtifactMapping m;
                        m.source_id = q->getColumn(0).getInt64();
                        m.target_id = q->getColumn(1).getInt64();
                        m.source_container_id = source_container_id;
                        m.content_hash = q->getColumn(2).getString();
                        m.update_time = optionalText(q->getColumn(3));
                        out.push_back(std::move(m));
                    }
                    return out;
                });
}

std::vector<ContainerMapping> SqliteStore::containerMappings(const RouteTarget& key,
                                                             std::int64_t after_source_id,
                                                             std::size_t limit) const {
    return read("listing container mappings",
                [&](Connection& conn) -> std::vector<ContainerMapping> {
                    const auto ref = findTargetRef(conn, key);
                    if (!ref) return {};
                    std::vector<ContainerMapping> out;
                    Query q(conn, kSelectContainersAfter);
                    q->bind(1, *ref);
                    q->bind(2, after_source_id);
                    q->bind(3, limitOf(limit));
                    while (q->executeStep()) {
                        out.push_back(containerFrom(*q, 1, q->getColumn(0).getInt64()));
                    }
                    return out;
                });
}

MappingCounts SqliteStore::mappingCounts(const RouteTarget& key) const {
    return read("counting mappings", [&](Connection& conn) -> MappingCounts {
        const auto ref = findTargetRef(conn, key);
        if (!ref) return {};
        SQLite::Transaction snapshot(conn.db());  // both counts from one snapshot
        const auto counts = readMappingCounts(conn, *ref);
        snapshot.commit();
        return counts;
    });
}

bool SqliteStore::deleteContainerMapping(const RouteTarget& key, std::int64_t source_container_id) {
    return write("deleting a container mapping", key, [&](Connection& conn, std::int64_t ref) {
        Query q(conn, kDeleteContainer);
        q->bind(1, ref);
        q->bind(2, source_container_id);
        return q->exec() > 0;
    });
}

bool SqliteStore::deleteArtifactMapping(const RouteTarget& key, std::int64_t source_artifact_id) {
    return write("deleting an artifact mapping", key, [&](Connection& conn, std::int64_t ref) {
        Query q(conn, kDeleteArtifact);
        q->bind(1, ref);
        q->bind(2, source_artifact_id);
        return q->exec() > 0;
    });
}

std::int64_t SqliteStore::deleteMappings(const RouteTarget& key) {
    return write("deleting mappings", key, [&](Connection& conn, std::int64_t ref) {
        {
            // Artifacts and notes first, in one statement each, rather than one cascade per
            // container.
            Query artifacts(conn, kDeleteArtifacts);
            artifacts->bind(1, ref);
            artifacts->exec();
            Query notes(conn, kDeleteNotes);
            notes->bind(1, ref);
            notes->exec();
        }
        Query containers(conn, kDeleteContainers);
        containers->bind(1, ref);
        return static_cast<std::int64_t>(containers->exec());
    });
}

// --- The unit of work --------------------------------------------------------------------

void SqliteStore::commit(const UnitOfWork& unit) {
    write("committing a unit of work", unit.key, [&](Connection& conn, std::int64_t ref) {
        for (const auto& c : unit.containers) {
            Query q(conn, kUpsertContainer);
            q->bind(1, ref);
            q->bind(2, c.source_id);
            q->bind(3, c.target_id);
            q->bind(4, c.content_hash);
            bindOptional(*q, 5, c.create_time);
            bindOptional(*q, 6, c.container_update_time);
            bindOptional(*q, 7, c.artifact_update_time);
            q->exec();
        }
        for (const auto& a : unit.artifacts) {
            Query q(conn, kUpsertArtifact);
            q->bind(1, ref);
            q->bind(2, a.source_id);
            q->bind(3, a.target_id);
            q->bind(4, a.source_container_id);
            q->bind(5, a.content_hash);
            bindOptional(*q, 6, a.update_time);
            q->exec();
        }
        for (const auto& n : unit.notes) {
            Query q(conn, kUpsertNote);
            q->bind(1, ref);
            bindText(*q, 2, toString(n.kind));
            q->bind(3, n.source_id);
            q->bind(4, n.target_id);
            q->bind(5, n.source_container_id);
            q->bind(6, n.content_hash);
            bindOptional(*q, 7, n.update_time);
            q->exec();
        }
        for (const auto& c : unit.cursors) {
            Query q(conn, kUpsertCursor);
            q->bind(1, ref);
            bindText(*q, 2, toString(c.stream));
            q->bind(3, c.timestamp);
            q->bind(4, c.last_id);
            q->exec();
        }
        for (const auto& d : unit.resolved_dead_letters) {
            Query q(conn, kDeleteDeadLetter);
            q->bind(1, ref);
            bindText(*q, 2, toString(d.kind));
            q->bind(3, d.source_id);
            q->exec();
        }
    });
}

// --- Passes and health -------------------------------------------------------------------

void SqliteStore::recordPass(const RouteTarget& key, const PassRecord& pass) {
    write("recording a pass", key, [&](Connection& conn, std::int64_t ref) {
        {
            Query q(conn, kInsertPass);
            q->bind(1, ref);
            q->bind(2, pass.started_at);
            q->bind(3, pass.finished_at);
            q->bind(4, pass.outcome);
            q->bind(5, pass.counts.containers_created);
            q->bind(6, pass.counts.containers_updated);
            q->bind(7, pass.counts.containers_unchanged);
            q->bind(8, pass.counts.artifacts_created);
            q->bind(9, pass.counts.artifacts_updated);
            q->bind(10, pass.counts.artifacts_unchanged);
            q->bind(11, pass.counts.errors);
            q->bind(12, pass.counts.notes_created);
            q->bind(13, pass.counts.notes_updated);
            q->bind(14, pass.counts.comments_created);
            q->exec();
        }
        Query trim(conn, kTrimPasses);
        trim->bind(1, ref);
        trim->bind(2, kPassHistory);
        trim->exec();
    });
}

std::optional<PassRecord> SqliteStore::lastPass(const RouteTarget& key) const {
    auto passes = recentPasses(key, 1);
    if (passes.empty()) return std::nullopt;
    return std::move(passes.front());
}

std::vector<PassRecord> SqliteStore::recentPasses(const RouteTarget& key, std::size_t limit) const {
    return read("reading passes", [&](Connection& conn) -> std::vector<PassRecord> {
        const auto ref = findTargetRef(conn, key);
        if (!ref) return {};
        return readPasses(conn, *ref, limit);
    });
}

void SqliteStore::markFailing(const RouteTarget& key, const std::string& message,
                              const std::string& at) {
    write("marking the target failing", key, [&](Connection& conn, std::int64_t ref) {
        Query q(conn, kMarkFailing);
        q->bind(1, ref);
        q->bind(2, message);
        q->bind(3, at);
        q->exec();
    });
}

void SqliteStore::markHealthy(const RouteTarget& key) {
    write("marking the target healthy", key, [&](Connection& conn, std::int64_t ref) {
        Query q(conn, kMarkHealthy);
        q->bind(1, ref);
        q->exec();
    });
}

TargetHealth SqliteStore::health(const RouteTarget& key) const {
    return read("reading target health", [&](Connection& conn) -> TargetHealth {
        const auto ref = findTargetRef(conn, key);
        if (!ref) return {};
        return readHealth(conn, *ref);
    });
}

// --- Playbook runs -----------------------------------------------------------------------

RecordedIntent SqliteStore::recordPlaybookIntent(const PlaybookRun& run) {
    return write("recording a playbook intent", run.key, [&](Connection& conn, std::int64_t ref) {
        int inserted = 0;
        {
            Query q(conn, kInsertIntent);
            q->bind(1, ref);
            q->bind(2, run.trigger_key);
            q->bind(3, run.source_container_id);
            q->bind(4, run.target_container_id);
            q->bind(5, run.playbook);
            bindText(*q, 6, toString(run.trigger));
            q->bind(7, run.message);
            q->bind(8, run.created_at);
            inserted = q->exec();
        }
        auto stored = readRunByTrigger(conn, ref, run.key, run.trigger_key);
        return RecordedIntent{std::move(*stored), inserted > 0};
    });
}

bool SqliteStore::updatePlaybookRun(std::int64_t id, RunStatus status,
                                    std::optional<std::int64_t> run_id, const std::string& message,
                                    const std::string& at) {
    return writeTxn("updating a playbook run", [&](Connection& conn) {
        Query q(conn, kUpdateRun);
        q->bind(1, id);
        bindText(*q, 2, toString(status));
        if (run_id) {
            q->bind(3, *run_id);
        } else {
            q->bind(3);
        }
        q->bind(4, message);
        q->bind(5, at);
        return q->exec() > 0;
    });
}

std::optional<PlaybookRun> SqliteStore::playbookRun(const RouteTarget& key,
                                                    const std::string& trigger_key) const {
    return read("reading a playbook run", [&](Connection& conn) -> std::optional<PlaybookRun> {
        const auto ref = findTargetRef(conn, key);
        if (!ref) return std::nullopt;
        return readRunByTrigger(conn, *ref, key, trigger_key);
    });
}

std::vector<PlaybookRun> SqliteStore::pendingPlaybookRuns(const RouteTarget& key) const {
    return read("listing pending playbook runs", [&](Connection& conn) -> std::vector<PlaybookRun> {
        const auto ref = findTargetRef(conn, key);
        if (!ref) return {};
        std::vector<PlaybookRun> out;
        Query q(conn, kSelectPendingRuns.c_str());
        q->bind(1, *ref);
        while (q->executeStep()) out.push_back(readRun(conn, *q, key));
        return out;
    });
}

std::map<RunStatus, std::int64_t> SqliteStore::playbookRunCounts(const RouteTarget& key) const {
    return read("counting playbook runs",
                [&](Connection& conn) -> std::map<RunStatus, std::int64_t> {
                    const auto ref = findTargetRef(conn, key);
                    if (!ref) return {};
                    return readRunCounts(conn, *ref);
                });
}

// --- Dead letters ------------------------------------------------------------------------

std::int64_t SqliteStore::recordDeadLetter(const RouteTarget& key, const DeadLetterRef& ref,
                                           const std::string& message, const std::string& at) {
    return write("recording a dead letter", key, [&](Connection& conn, std::int64_t target_ref) {
        Query q(conn, kUpsertDeadLetter);
        q->bind(1, target_ref);
        bindText(*q, 2, toString(ref.kind));
        q->bind(3, ref.source_id);
        q->bind(4, message);
        q->bind(5, at);
        q->executeStep();
        const std::int64_t attempts = q->getColumn(0).getInt64();
        // RETURNING: the statement must run to completion before the transaction commits.
        while (q->executeStep()) {
        }
        return attempts;
    });
}

std::vector<DeadLetter> SqliteStore::deadLetters(const RouteTarget& key) const {
    return read("listing dead letters", [&](Connection& conn) -> std::vector<DeadLetter> {
        const auto ref = findTargetRef(conn, key);
        if (!ref) return {};
        std::vector<DeadLetter> out;
        Query q(conn, kSelectDeadLetters);
        q->bind(1, *ref);
        while (q->executeStep()) {
            const std::string kind = q->getColumn(0).getString();
            const auto parsed = parseRecordKind(kind);
            if (!parsed) unknownValue(conn, "dead-letter kind", kind);
            DeadLetter d;
            d.key = key;
            d.kind = *parsed;
            d.source_id = q->getColumn(1).getInt64();
            d.message = q->getColumn(2).getString();
            d.attempts = q->getColumn(3).getInt64();
            d.first_seen = q->getColumn(4).getString();
            d.last_seen = q->getColumn(5).getString();
            out.push_back(std::move(d));
        }
        return out;
    });
}

std::int64_t SqliteStore::deadLetterCount(const RouteTarget& key) const {
    return read("counting dead letters", [&](Connection& conn) -> std::int64_t {
        const auto ref = findTargetRef(conn, key);
        if (!ref) return 0;
        return count(conn, kCountDeadLetters, *ref);
    });
}

bool SqliteStore::clearDeadLetter(const RouteTarget& key, const DeadLetterRef& ref) {
    return write("clearing a dead letter", key, [&](Connection& conn, std::int64_t target_ref) {
        Query q(conn, kDeleteDeadLetter);
        q->bind(1, target_ref);
        bindText(*q, 2, toString(ref.kind));
        q->bind(3, ref.source_id);
        return q->exec() > 0;
    });
}

// --- Status ------------------------------------------------------------------------------

std::vector<RouteTarget> SqliteStore::targets() const {
    return read("listing routes and targets", [&](Connection& conn) {
        std::vector<RouteTarget> out;
        Query q(conn, kSelectTargets);
        while (q->executeStep()) {
            out.push_back(RouteTarget{q->getColumn(0).getString(), q->getColumn(1).getString()});
        }
        return out;
    });
}

TargetStatus SqliteStore::status(const RouteTarget& key) const {
    return read("reading status", [&](Connection& conn) {
        TargetStatus out;
        out.key = key;
        // One read transaction: every part comes from the same snapshot, even while the
        // daemon commits.
        SQLite::Transaction snapshot(conn.db());
        const auto ref = findTargetRef(conn, key);
        if (!ref) return out;
        out.cursors = readCursors(conn, *ref);
        auto passes = readPasses(conn, *ref, 1);
        if (!passes.empty()) out.last_pass = std::move(passes.front());
        out.health = readHealth(conn, *ref);
        out.mappings = readMappingCounts(conn, *ref);
        out.dead_letters = count(conn, kCountDeadLetters, *ref);
        out.playbook_runs = readRunCounts(conn, *ref);
        snapshot.commit();
        return out;
    });
}

}  // namespace soar::state
