// SqlStore: route leases, heartbeats of live daemons and fencing (LeaseStore).
//
// Every lease change is one write transaction: the row is created when missing, then changed by
// one conditional UPDATE whose WHERE clause is the whole rule, so the decision and the change
// cannot be split by another writer, whichever process it is in.

#include "SqliteAccess.h"

#include <chrono>
#include <utility>

namespace soar::state {
namespace sqlite {
namespace {

const std::string kLeaseColumns =
    "SELECT route, holder, epoch, acquired_ms, expires_ms, wanted_by, wanted_ms FROM leases ";
const std::string kSelectLease = kLeaseColumns + "WHERE route = ?1";
const std::string kSelectLeases = kLeaseColumns + "ORDER BY route";
constexpr const char* kSelectFence = "SELECT holder, epoch FROM leases WHERE route = ?1";
// PostgreSQL: the row stays locked until the write commits, so no other daemon takes the lease
// between the check and the commit (SQLite's write lock already excludes every other writer).
constexpr const char* kSelectFenceLocked =
    "SELECT holder, epoch FROM leases WHERE route = ?1 FOR SHARE";
// PostgreSQL: the server's clock, so daemons on hosts whose clocks differ agree.
constexpr const char* kServerClock =
    "SELECT CAST(extract(epoch FROM clock_timestamp()) * 1000 AS BIGINT)";
constexpr const char* kSelectRunRoute =
    "SELECT t.route FROM playbook_runs p JOIN targets t ON t.id = p.target_ref WHERE p.id = ?1";
constexpr const char* kInsertLease =
    "INSERT INTO leases (route) VALUES (?1) ON CONFLICT (route) DO NOTHING";
// ?1 route, ?2 holder, ?3 now, ?4 ttl. Renews the holder's live tenure (epoch kept), or starts a
// new one on a free lease (never taken, released or lapsed) unless a younger request of someone
// else reserves it; the requester taking it clears its request. SET expressions read the row as
// it was before the update.
constexpr const char* kAcquireLease =
    "UPDATE leases SET "
    "epoch = CASE WHEN holder = ?2 AND expires_ms > ?3 THEN epoch ELSE epoch + 1 END, "
    "acquired_ms = CASE WHEN holder = ?2 AND expires_ms > ?3 THEN acquired_ms ELSE ?3 END, "
    "holder = ?2, expires_ms = CAST(?3 AS BIGINT) + ?4, "
    "wanted_by = CASE WHEN wanted_by = ?2 THEN '' ELSE wanted_by END, "
    "wanted_ms = CASE WHEN wanted_by = ?2 THEN 0 ELSE wanted_ms END "
    "WHERE route = ?1 AND ((holder = ?2 AND expires_ms > ?3) OR (expires_ms <= ?3 AND "
    "(wanted_by = '' OR wanted_by = ?2 OR wanted_ms + ?4 <= ?3)))";
// ?1 route, ?2 holder, ?3 epoch, ?4 new expiry.
constexpr const char* kExtendLease =
    "UPDATE leases SET expires_ms = ?4 WHERE route = ?1 AND holder = ?2 AND epoch = ?3";
constexpr const char* kRequestLease =
    "INSERT INTO leases (route, wanted_by, wanted_ms) VALUES (?1, ?2, ?3) "
    "ON CONFLICT (route) DO UPDATE SET wanted_by = excluded.wanted_by, "
    "wanted_ms = excluded.wanted_ms";
constexpr const char* kUpsertNode =
    "INSERT INTO lease_nodes (holder, seen_ms, expires_ms) VALUES (?1, ?2, ?3) "
    "ON CONFLICT (holder) DO UPDATE SET seen_ms = excluded.seen_ms, "
    "expires_ms = excluded.expires_ms";
constexpr const char* kDeleteNode = "DELETE FROM lease_nodes WHERE holder = ?1";
constexpr const char* kSelectLiveNodes =
    "SELECT holder, seen_ms, expires_ms FROM lease_nodes WHERE expires_ms > ?1 ORDER BY holder";

/// The one decoder of a `kLeaseColumns` row.
Lease leaseFrom(Statement& row) {
    Lease lease;
    lease.route = row.getColumn(0).getString();
    lease.holder = row.getColumn(1).getString();
    lease.epoch = row.getColumn(2).getInt64();
    lease.acquired_ms = row.getColumn(3).getInt64();
    lease.expires_ms = row.getColumn(4).getInt64();
    lease.wanted_by = row.getColumn(5).getString();
    lease.wanted_ms = row.getColumn(6).getInt64();
    return lease;
}

std::optional<Lease> readLease(Connection& conn, const std::string& route) {
    Query q(conn, kSelectLease.c_str());
    q->bind(1, route);
    if (!q->executeStep()) return std::nullopt;
    return leaseFrom(*q);
}

/// Sets the expiry of `held`'s tenure when the row still names its holder and epoch.
bool extendLease(Connection& conn, const Lease& held, std::int64_t expires_ms) {
    Query q(conn, kExtendLease);
    q->bind(1, held.route);
    q->bind(2, held.holder);
    q->bind(3, held.epoch);
    q->bind(4, expires_ms);
    return q->exec() > 0;
}

}  // namespace
}  // namespace sqlite

using namespace sqlite;

std::int64_t SqlStore::leaseClockMs() const {
    if (options_.lease_clock) return options_.lease_clock();
    if (options_.backend == StateOptions::Backend::Postgresql) {
        return read("reading the server's clock", [&](Connection& conn) { return clockOn(conn); });
    }
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

std::int64_t SqlStore::clockOn(Connection& conn) const {
    if (options_.lease_clock || conn.dialect() != Connection::Dialect::Postgresql) {
        return leaseClockMs();
    }
    Query q(conn, kServerClock);
    q->executeStep();
    return q->getColumn(0).getInt64();
}

void SqlStore::checkFence(Connection& conn, const std::string& route) const {
    Lease fenced;
    {
        std::lock_guard<std::mutex> lock(fences_mutex_);
        const auto it = fences_.find(route);
        if (it == fences_.end()) return;
        fenced = it->second;
    }
    Query q(conn,
            conn.dialect() == Connection::Dialect::Postgresql ? kSelectFenceLocked : kSelectFence);
    q->bind(1, route);
    std::string now_held;
    if (q->executeStep()) {
        const std::string holder = q->getColumn(0).getString();
        const std::int64_t epoch = q->getColumn(1).getInt64();
        if (holder == fenced.holder && epoch == fenced.epoch) return;
        now_held = " (now held by " + holder + " at epoch " + std::to_string(epoch) + ")";
    }
    throw StateError(StateError::Kind::Fenced,
                     location_ + ": route '" + route + "': the lease of epoch " +
                         std::to_string(fenced.epoch) + " held by " + fenced.holder + " was lost" +
                         now_held + "; nothing was written");
}

void SqlStore::checkRunFence(Connection& conn, std::int64_t id) const {
    {
        std::lock_guard<std::mutex> lock(fences_mutex_);
        if (fences_.empty()) return;
    }
    std::string route;
    {
        Query q(conn, kSelectRunRoute);
        q->bind(1, id);
        if (!q->executeStep()) return;
        route = q->getColumn(0).getString();
    }
    checkFence(conn, route);
}

std::optional<Lease> SqlStore::acquireLease(const std::string& route, const std::string& holder,
                                            std::chrono::milliseconds ttl) {
    return writeTxn("taking a route's lease", [&](Connection& conn) -> std::optional<Lease> {
        const std::int64_t now = clockOn(conn);
        {
            Query insert(conn, kInsertLease);
            insert->bind(1, route);
            insert->exec();
        }
        Query q(conn, kAcquireLease);
        q->bind(1, route);
        q->bind(2, holder);
        q->bind(3, now);
        q->bind(4, static_cast<std::int64_t>(ttl.count()));
        if (q->exec() == 0) return std::nullopt;
        return readLease(conn, route);
    });
}

std::optional<Lease> SqlStore::renewLease(const Lease& held, std::chrono::milliseconds ttl) {
    return writeTxn("renewing a route's lease", [&](Connection& conn) -> std::optional<Lease> {
        if (!extendLease(conn, held, clockOn(conn) + ttl.count())) return std::nullopt;
        return readLease(conn, held.route);
    });
}

void SqlStore::releaseLease(const Lease& held) {
    writeTxn("releasing a route's lease",
             [&](Connection& conn) { (void)extendLease(conn, held, clockOn(conn)); });
}

void SqlStore::requestLease(const std::string& route, const std::string& requester) {
    writeTxn("requesting a route's lease", [&](Connection& conn) {
        Query q(conn, kRequestLease);
        q->bind(1, route);
        q->bind(2, requester);
        q->bind(3, clockOn(conn));
        q->exec();
    });
}

std::vector<Lease> SqlStore::leases() const {
    return read("listing leases", [&](Connection& conn) {
        std::vector<Lease> out;
        Query q(conn, kSelectLeases.c_str());
        while (q->executeStep()) out.push_back(leaseFrom(*q));
        return out;
    });
}

void SqlStore::heartbeat(const std::string& holder, std::chrono::milliseconds ttl) {
    writeTxn("recording a heartbeat", [&](Connection& conn) {
        const std::int64_t now = clockOn(conn);
        Query q(conn, kUpsertNode);
        q->bind(1, holder);
        q->bind(2, now);
        q->bind(3, now + ttl.count());
        q->exec();
    });
}

void SqlStore::forgetNode(const std::string& holder) {
    writeTxn("forgetting a node", [&](Connection& conn) {
        Query q(conn, kDeleteNode);
        q->bind(1, holder);
        q->exec();
    });
}

std::vector<LeaseNode> SqlStore::liveNodes() const {
    return read("listing live nodes", [&](Connection& conn) {
        std::vector<LeaseNode> out;
        Query q(conn, kSelectLiveNodes);
        q->bind(1, clockOn(conn));
        while (q->executeStep()) {
            out.push_back(LeaseNode{q->getColumn(0).getString(), q->getColumn(1).getInt64(),
                                    q->getColumn(2).getInt64()});
        }
        return out;
    });
}

void SqlStore::fence(const Lease& lease) {
    std::lock_guard<std::mutex> lock(fences_mutex_);
    fences_[lease.route] = lease;
}

void SqlStore::unfence(const std::string& route) {
    std::lock_guard<std::mutex> lock(fences_mutex_);
    fences_.erase(route);
}

}  // namespace soar::state
