// SqlStore: deletions reconciled (ReconcileStore): where a reconcile is, and tombstones.

#include "SqliteAccess.h"
#include "SqliteRows.h"

namespace soar::state {
namespace sqlite {
namespace {

constexpr const char* kSelectReconcile =
    "SELECT started_at, after_id, checked, requests, found, finished_at, last_checked, "
    "last_requests, last_found FROM reconcile WHERE target_ref = ?1";
constexpr const char* kUpsertReconcile =
    "INSERT INTO reconcile (target_ref, started_at, after_id, checked, requests, found, "
    "finished_at, last_checked, last_requests, last_found) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, "
    "?8, ?9, ?10) ON CONFLICT (target_ref) DO UPDATE SET started_at = excluded.started_at, "
    "after_id = excluded.after_id, checked = excluded.checked, requests = excluded.requests, "
    "found = excluded.found, finished_at = excluded.finished_at, "
    "last_checked = excluded.last_checked, last_requests = excluded.last_requests, "
    "last_found = excluded.last_found";
constexpr const char* kInsertTombstone =
    "INSERT INTO tombstones (target_ref, source_id, generation, target_id, found_at, action) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (target_ref, source_id, generation) DO UPDATE "
    "SET target_id = excluded.target_id, found_at = excluded.found_at, action = excluded.action";
constexpr const char* kCountTombstonesOf =
    "SELECT count(*) FROM tombstones WHERE target_ref = ?1 AND source_id = ?2";
constexpr const char* kSelectTombstones =
    "SELECT source_id, generation, target_id, found_at, action FROM tombstones "
    "WHERE target_ref = ?1 ORDER BY source_id, generation";
constexpr const char* kCountTombstones =
    "SELECT action, count(*) FROM tombstones WHERE target_ref = ?1 GROUP BY action";

DeletionAction actionFrom(const Connection& conn, const std::string& text) {
    const auto action = parseDeletionAction(text);
    if (!action) unknownValue(conn, "deletion action", text);
    return *action;
}

}  // namespace

std::optional<ReconcileState> readReconcile(Connection& conn, std::int64_t ref) {
    Query q(conn, kSelectReconcile);
    q->bind(1, ref);
    if (!q->executeStep()) return std::nullopt;
    ReconcileState s;
    s.started_at = optionalText(q->getColumn(0));
    s.after_id = q->getColumn(1).getInt64();
    s.checked = q->getColumn(2).getInt64();
    s.requests = q->getColumn(3).getInt64();
    s.found = q->getColumn(4).getInt64();
    s.finished_at = optionalText(q->getColumn(5));
    s.last_checked = q->getColumn(6).getInt64();
    s.last_requests = q->getColumn(7).getInt64();
    s.last_found = q->getColumn(8).getInt64();
    return s;
}

std::map<DeletionAction, std::int64_t> readTombstoneCounts(Connection& conn, std::int64_t ref) {
    std::map<DeletionAction, std::int64_t> out;
    Query q(conn, kCountTombstones);
    q->bind(1, ref);
    while (q->executeStep()) {
        out[actionFrom(conn, q->getColumn(0).getString())] = q->getColumn(1).getInt64();
    }
    return out;
}

}  // namespace sqlite

using namespace sqlite;

std::optional<ReconcileState> SqlStore::reconcileState(const RouteTarget& key) const {
    return read("reading the reconcile state",
                [&](Connection& conn) -> std::optional<ReconcileState> {
                    const auto ref = findTargetRef(conn, key);
                    if (!ref) return std::nullopt;
                    return readReconcile(conn, *ref);
                });
}

void SqlStore::saveReconcileState(const RouteTarget& key, const ReconcileState& state) {
    write("saving the reconcile state", key, [&](Connection& conn, std::int64_t ref) {
        Query q(conn, kUpsertReconcile);
        q->bind(1, ref);
        bindOptional(*q, 2, state.started_at);
        q->bind(3, state.after_id);
        q->bind(4, state.checked);
        q->bind(5, state.requests);
        q->bind(6, state.found);
        bindOptional(*q, 7, state.finished_at);
        q->bind(8, state.last_checked);
        q->bind(9, state.last_requests);
        q->bind(10, state.last_found);
        q->exec();
    });
}

void SqlStore::buryContainer(const RouteTarget& key, const Tombstone& tombstone) {
    write("recording a deleted container", key, [&](Connection& conn, std::int64_t ref) {
        Query q(conn, kInsertTombstone);
        q->bind(1, ref);
        q->bind(2, tombstone.source_id);
        q->bind(3, tombstone.generation);
        q->bind(4, tombstone.target_id);
        q->bind(5, tombstone.found_at);
        bindText(*q, 6, toString(tombstone.action));
        q->exec();
        (void)forgetContainer(conn, ref, tombstone.source_id);
    });
}

std::int64_t SqlStore::tombstonesOf(const RouteTarget& key, std::int64_t source_id) const {
    const auto counts = tombstonesOf(key, std::vector<std::int64_t>{source_id});
    return counts.empty() ? 0 : counts.begin()->second;
}

std::map<std::int64_t, std::int64_t> SqlStore::tombstonesOf(
    const RouteTarget& key, const std::vector<std::int64_t>& source_ids) const {
    return read("counting tombstones",
                [&](Connection& conn) -> std::map<std::int64_t, std::int64_t> {
                    std::map<std::int64_t, std::int64_t> out;
                    const auto ref = findTargetRef(conn, key);
                    if (!ref || source_ids.empty()) return out;
                    Transaction snapshot(conn, Connection::TxnKind::Snapshot);
                    for (const auto id : source_ids) {
                        Query q(conn, kCountTombstonesOf);
                        q->bind(1, *ref);
                        q->bind(2, id);
                        q->executeStep();
                        if (const auto n = q->getColumn(0).getInt64(); n > 0) out[id] = n;
                    }
                    snapshot.commit();
                    return out;
                });
}

std::vector<Tombstone> SqlStore::tombstones(const RouteTarget& key) const {
    return read("listing tombstones", [&](Connection& conn) -> std::vector<Tombstone> {
        const auto ref = findTargetRef(conn, key);
        if (!ref) return {};
        std::vector<Tombstone> out;
        Query q(conn, kSelectTombstones);
        q->bind(1, *ref);
        while (q->executeStep()) {
            Tombstone t;
            t.source_id = q->getColumn(0).getInt64();
            t.generation = q->getColumn(1).getInt64();
            t.target_id = q->getColumn(2).getInt64();
            t.found_at = q->getColumn(3).getString();
            t.action = actionFrom(conn, q->getColumn(4).getString());
            out.push_back(t);
        }
        return out;
    });
}

}  // namespace soar::state
