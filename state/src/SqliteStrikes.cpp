// SqlStore: poison strikes (StrikeStore), and the strike deletes that forgetting mappings
// runs.

#include "SqliteAccess.h"
#include "SqliteRows.h"

namespace soar::state {
namespace sqlite {
namespace {

// The first strike inserts the row; each later one counts a pass and keeps `first_pass_at`.
constexpr const char* kUpsertStrike =
    "INSERT INTO strikes (target_ref, source_id, passes, first_pass_at) VALUES (?1, ?2, 1, ?3) "
    "ON CONFLICT (target_ref, source_id) DO UPDATE SET passes = strikes.passes + 1 "
    "RETURNING source_id, passes, first_pass_at";
constexpr const char* kSelectStrikes =
    "SELECT source_id, passes, first_pass_at FROM strikes WHERE target_ref = ?1 "
    "ORDER BY source_id";
constexpr const char* kDeleteStrike =
    "DELETE FROM strikes WHERE target_ref = ?1 AND source_id = ?2";
constexpr const char* kDeleteStrikes = "DELETE FROM strikes WHERE target_ref = ?1";

/// The one decoder of a strike row (`kSelectStrikes`, and `kUpsertStrike`'s RETURNING).
Strike strikeFrom(Statement& row) {
    Strike s;
    s.source_id = row.getColumn(0).getInt64();
    s.passes = row.getColumn(1).getInt64();
    s.first_pass_at = row.getColumn(2).getString();
    return s;
}

}  // namespace

bool deleteStrike(Connection& conn, std::int64_t ref, std::int64_t source_id) {
    Query q(conn, kDeleteStrike);
    q->bind(1, ref);
    q->bind(2, source_id);
    return q->exec() > 0;
}

void deleteStrikes(Connection& conn, std::int64_t ref) {
    Query q(conn, kDeleteStrikes);
    q->bind(1, ref);
    q->exec();
}

}  // namespace sqlite

using namespace sqlite;

Strike SqlStore::addStrike(const RouteTarget& key, std::int64_t source_id,
                           const std::string& pass_started_at) {
    return write("recording a strike", key, [&](Connection& conn, std::int64_t ref) {
        Query q(conn, kUpsertStrike);
        q->bind(1, ref);
        q->bind(2, source_id);
        q->bind(3, pass_started_at);
        q->executeStep();
        Strike strike = strikeFrom(*q);
        // RETURNING: the statement must run to completion before the transaction commits.
        while (q->executeStep()) {
        }
        return strike;
    });
}

std::vector<Strike> SqlStore::strikes(const RouteTarget& key) const {
    return read("listing strikes", [&](Connection& conn) -> std::vector<Strike> {
        const auto ref = findTargetRef(conn, key);
        if (!ref) return {};
        std::vector<Strike> out;
        Query q(conn, kSelectStrikes);
        q->bind(1, *ref);
        while (q->executeStep()) out.push_back(strikeFrom(*q));
        return out;
    });
}

bool SqlStore::clearStrike(const RouteTarget& key, std::int64_t source_id) {
    return write("clearing a strike", key, [&](Connection& conn, std::int64_t ref) {
        return deleteStrike(conn, ref, source_id);
    });
}

}  // namespace soar::state
