// SqlStore: the (route, target) registry, cursors (CursorStore), the unit of work and the
// status snapshot. Opening lives in SqlOpen.cpp; the other concerns in SqliteMappings.cpp,
// SqlitePlaybookRuns.cpp, SqliteDeadLetters.cpp, SqliteStrikes.cpp, SqlitePassLog.cpp, etc.

#include "soar/state/SqliteStore.h"

#include "SqliteAccess.h"
#include "SqliteRows.h"

#include <algorithm>
#include <utility>

namespace soar::state {

namespace sqlite {
namespace {

// Every statement is a static string: the per-connection cache keys on its address.
constexpr const char* kSelectTargetRef = "SELECT id FROM targets WHERE route = ?1 AND target = ?2";
constexpr const char* kInsertTarget =
    "INSERT INTO targets (route, target) VALUES (?1, ?2) ON CONFLICT DO NOTHING";
constexpr const char* kSelectTargets = "SELECT route, target FROM targets ORDER BY route, target";

// One column list for every SELECT of a cursor, so `cursorFrom` decodes them all.
const std::string kCursorColumns = "SELECT stream, timestamp, last_id FROM cursors ";
const std::string kSelectCursor = kCursorColumns + "WHERE target_ref = ?1 AND stream = ?2";
const std::string kSelectCursors = kCursorColumns + "WHERE target_ref = ?1";
constexpr const char* kUpsertCursor =
    "INSERT INTO cursors (target_ref, stream, timestamp, last_id) VALUES (?1, ?2, ?3, ?4) "
    "ON CONFLICT (target_ref, stream) DO UPDATE SET timestamp = excluded.timestamp, "
    "last_id = excluded.last_id";
constexpr const char* kDeleteCursors = "DELETE FROM cursors WHERE target_ref = ?1";

/// The one decoder of a `kCursorColumns` row; nothing for a stream a newer binary added (this
/// one cannot walk it).
std::optional<Cursor> cursorFrom(Statement& row) {
    const auto stream = parseStream(row.getColumn(0).getString());
    if (!stream) return std::nullopt;
    return Cursor{*stream, row.getColumn(1).getString(), row.getColumn(2).getInt64()};
}

}  // namespace

std::vector<Cursor> readCursors(Connection& conn, std::int64_t ref) {
    std::vector<Cursor> out;
    Query q(conn, kSelectCursors.c_str());
    q->bind(1, ref);
    while (q->executeStep()) {
        if (auto cursor = cursorFrom(*q)) out.push_back(std::move(*cursor));
    }
    std::sort(out.begin(), out.end(),
              [](const Cursor& a, const Cursor& b) { return a.stream < b.stream; });
    return out;
}

void upsertCursor(Connection& conn, std::int64_t ref, const Cursor& cursor) {
    Query q(conn, kUpsertCursor);
    q->bind(1, ref);
    bindText(*q, 2, toString(cursor.stream));
    q->bind(3, cursor.timestamp);
    q->bind(4, cursor.last_id);
    q->exec();
}

}  // namespace sqlite

using namespace sqlite;

// --- The (route, target) registry ------------------------------------------------------

std::int64_t SqlStore::ensureTargetRef(const RouteTarget& key) {
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

std::optional<std::int64_t> SqlStore::findTargetRef(Connection& conn,
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

// --- Cursors -----------------------------------------------------------------------------

std::optional<Cursor> SqlStore::cursor(const RouteTarget& key, Stream stream) const {
    return read("reading a cursor", [&](Connection& conn) -> std::optional<Cursor> {
        const auto ref = findTargetRef(conn, key);
        if (!ref) return std::nullopt;
        Query q(conn, kSelectCursor.c_str());
        q->bind(1, *ref);
        bindText(*q, 2, toString(stream));
        if (!q->executeStep()) return std::nullopt;
        return cursorFrom(*q);
    });
}

std::vector<Cursor> SqlStore::cursors(const RouteTarget& key) const {
    return read("reading cursors", [&](Connection& conn) -> std::vector<Cursor> {
        const auto ref = findTargetRef(conn, key);
        if (!ref) return {};
        return readCursors(conn, *ref);
    });
}

void SqlStore::setCursor(const RouteTarget& key, const Cursor& cursor) {
    write("setting a cursor", key,
          [&](Connection& conn, std::int64_t ref) { upsertCursor(conn, ref, cursor); });
}

void SqlStore::clearCursors(const RouteTarget& key) {
    write("clearing cursors", key, [&](Connection& conn, std::int64_t ref) {
        Query q(conn, kDeleteCursors);
        q->bind(1, ref);
        q->exec();
    });
}

// --- The unit of work --------------------------------------------------------------------

CommitResult SqlStore::commit(const UnitOfWork& unit) {
    return write("committing a unit of work", unit.key, [&](Connection& conn, std::int64_t ref) {
        for (const auto& run : unit.playbook_intents) {
            if (run.key != unit.key) {
                throw StateError(StateError::Kind::Constraint,
                                 location_ +
                                     ": committing a unit of work failed: a playbook intent for "
                                     "route '" +
                                     run.key.route + "', target '" + run.key.target + "'");
            }
        }
        for (const auto& c : unit.containers) upsertContainer(conn, ref, c);
        for (const auto& a : unit.artifacts) upsertArtifact(conn, ref, a);
        for (const auto& n : unit.notes) upsertNote(conn, ref, n);
        for (const auto& m : unit.mirrors) upsertMirror(conn, ref, m);
        for (const auto& c : unit.cursors) upsertCursor(conn, ref, c);
        for (const auto& d : unit.resolved_dead_letters) (void)deleteDeadLetter(conn, ref, d);
        CommitResult result;
        result.dead_letter_attempts.reserve(unit.dead_letters.size());
        for (const auto& d : unit.dead_letters) {
            result.dead_letter_attempts.push_back(
                upsertDeadLetter(conn, ref, d.ref, d.message, d.at));
        }
        result.intents.reserve(unit.playbook_intents.size());
        for (const auto& run : unit.playbook_intents) {
            result.intents.push_back(insertIntent(conn, ref, run));
        }
        return result;
    });
}

// --- Status ------------------------------------------------------------------------------

std::vector<RouteTarget> SqlStore::targets() const {
    return read("listing routes and targets", [&](Connection& conn) {
        std::vector<RouteTarget> out;
        Query q(conn, kSelectTargets);
        while (q->executeStep()) {
            out.push_back(RouteTarget{q->getColumn(0).getString(), q->getColumn(1).getString()});
        }
        return out;
    });
}

TargetStatus SqlStore::status(const RouteTarget& key) const {
    return read("reading status", [&](Connection& conn) {
        TargetStatus out;
        out.key = key;
        // One read transaction: every part comes from the same snapshot, even while the
        // daemon commits.
        Transaction snapshot(conn, Connection::TxnKind::Snapshot);
        const auto ref = findTargetRef(conn, key);
        if (!ref) return out;
        out.cursors = readCursors(conn, *ref);
        auto passes = readPasses(conn, *ref, 1);
        if (!passes.empty()) out.last_pass = std::move(passes.front());
        out.health = readHealth(conn, *ref);
        out.mappings = readMappingCounts(conn, *ref);
        out.dead_letters = countDeadLetters(conn, *ref);
        out.playbook_runs = readRunCounts(conn, *ref);
        out.lists = readListCopies(conn, *ref);
        out.reconcile = readReconcile(conn, *ref);
        out.tombstones = readTombstoneCounts(conn, *ref);
        snapshot.commit();
        return out;
    });
}

}  // namespace soar::state
