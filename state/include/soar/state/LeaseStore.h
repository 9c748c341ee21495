#pragma once

/// One owner per route (design §5): route leases with fencing, kept in the state store so that
/// every daemon sharing it (several on one SQLite file, several hosts on one PostgreSQL
/// database) agrees on who replays which route.
///
/// A lease names its holder (a daemon's identity: node name, process and a random part, so two
/// daemons never share one) and an epoch, the fencing token: the epoch grows by one whenever
/// the lease changes hands or is taken again after a release or a lapse. Times are
/// milliseconds since the Unix epoch on the store's own clock (`leaseClockMs`): this host's for
/// SQLite, the database server's for PostgreSQL, so daemons on hosts whose clocks differ still
/// agree on when a lease lapsed.
///
/// Fencing: after `fence(lease)`, every write of this store that belongs to `lease.route` (any
/// of its targets; whatever the call: commit, cursors, pass log, playbook runs, dead letters,
/// lists, reconcile) checks in its own transaction that the route's lease row still names
/// `lease.holder` at `lease.epoch`, and when it does not throws `StateError` of kind `Fenced`
/// having changed nothing. So a daemon that was paused past its lease (GC, SIGSTOP, a slow disk)
/// and lost it cannot commit afterwards. An expired lease that nobody took is still the
/// holder's: renewing it works and its commits pass (no one else wrote).
///
/// Contract (shared by every store interface, see `Store.h`): writes are atomic and durable
/// once the call returns; a call that throws changed nothing; reads see every write that
/// returned before them, in this process or another; failures throw `StateError`.
///
/// Thread safety: implementations are safe to call from any number of threads at once.
/// Ownership: results are plain values.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace soar::state {

/// A route's lease as stored.
struct Lease {
    std::string route;
    /// The holding daemon's identity; empty when the route was never taken.
    std::string holder;
    /// The fencing token: 0 for a route never taken, then one more per new tenure.
    std::int64_t epoch = 0;
    /// When the current tenure began and when it lapses unless renewed (store clock, ms).
    std::int64_t acquired_ms = 0;
    std::int64_t expires_ms = 0;
    /// A daemon or command that asked the holder to hand the route over (`requestLease`), and
    /// when; empty when none.
    std::string wanted_by;
    std::int64_t wanted_ms = 0;
};

/// A daemon that said it is alive (`heartbeat`), for sharing the routes out.
struct LeaseNode {
    std::string holder;
    std::int64_t seen_ms = 0;
    std::int64_t expires_ms = 0;
};

class LeaseStore {
public:
    virtual ~LeaseStore() = default;

    /// Now, on the clock leases are kept by (ms since the Unix epoch).
    [[nodiscard]] virtual std::int64_t leaseClockMs() const = 0;

    /// Takes `route`'s lease for `holder` until now + `ttl`, when `holder` holds a live tenure
    /// of it (then the epoch stays: it is a renewal) or when it is free: never taken, released,
    /// or lapsed (expires_ms <= now), whoever held it. Taking a free lease starts a new tenure:
    /// epoch + 1, acquired_ms = now. A request (`wanted_by`) younger than `ttl` reserves a free
    /// lease for the requester: anyone else is refused until it is older; the requester taking it
    /// clears the request. Returns the lease as stored when `holder` holds it afterwards, nothing
    /// when another holder keeps it.
    [[nodiscard]] virtual std::optional<Lease> acquireLease(const std::string& route,
                                                            const std::string& holder,
                                                            std::chrono::milliseconds ttl) = 0;

    /// Extends a tenure to now + `ttl` when the stored lease still names `held.holder` at
    /// `held.epoch` (lapsed or not). Returns the lease as stored, or nothing when it was lost.
    [[nodiscard]] virtual std::optional<Lease> renewLease(const Lease& held,
                                                          std::chrono::milliseconds ttl) = 0;

    /// Ends a tenure now (expires_ms = now, holder and epoch kept, so the next taker's epoch is
    /// higher) when the stored lease still names `held.holder` at `held.epoch`; else nothing.
    virtual void releaseLease(const Lease& held) = 0;

    /// Asks `route`'s holder to hand it over to `requester` (sets wanted_by and wanted_ms =
    /// now, creating the row of a route never taken). A holder sees it on its next renewal.
    virtual void requestLease(const std::string& route, const std::string& requester) = 0;

    /// Every route's lease, ordered by route.
    [[nodiscard]] virtual std::vector<Lease> leases() const = 0;

    /// Says `holder` is alive until now + `ttl` (a daemon calls it with each renewal round).
    virtual void heartbeat(const std::string& holder, std::chrono::milliseconds ttl) = 0;
    /// Forgets `holder` (a daemon stopping); its leases are released by the caller.
    virtual void forgetNode(const std::string& holder) = 0;
    /// The holders whose heartbeat has not lapsed, ordered by holder.
    [[nodiscard]] virtual std::vector<LeaseNode> liveNodes() const = 0;

    /// From now on this store's writes for `lease.route` check the lease (see the header's
    /// comment): holder and epoch must still be `lease`'s, or the write throws
    /// `StateError::Kind::Fenced`. A later `fence` for the same route replaces the check.
    virtual void fence(const Lease& lease) = 0;
    /// Ends the check for `route`: its writes are no longer fenced by this store.
    virtual void unfence(const std::string& route) = 0;
};

}  // namespace soar::state
