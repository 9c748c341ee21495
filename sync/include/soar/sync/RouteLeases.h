#pragma once

/// RouteLeases: one daemon's side of "one owner per route" (design §5). It holds the leases
/// this daemon replays under, in the state store's `LeaseStore`, and tells the daemon which
/// routes it may replay right now.
///
/// Every `round()` (the daemon calls it every lease_ttl/3) says this daemon is alive, renews
/// the leases it holds, and takes free ones (never taken, released or lapsed) up to its share:
/// every route it may run when the store is one file (a second daemon on it is a standby), or
/// ceil(routes / live daemons) when several hosts share a database, so the routes spread
/// evenly and a daemon holding more than its share hands the rest over after their pass.
/// Taking a lease fences the store's writes of that route with its epoch (see LeaseStore.h),
/// so a daemon that lost a lease while paused cannot commit afterwards.
///
/// `mayWrite(route)` is the proof a write to a peer needs: the lease was renewed less than
/// lease_ttl − lease_ttl/5 ago on this host's monotonic clock (timed from before the renewal
/// was asked for), so a daemon that cannot reach the store stops writing before its lease can
/// lapse and another daemon can take it. `FencedApi` checks it before every write.
///
/// Commands (`sync-once`, `resync`, `retry-dead`) take their routes' leases through `acquire`:
/// a route held by a daemon is asked for (`requestLease`); its owner hands it over after the
/// pass in progress and the lease stays reserved for the command for one lease_ttl.
///
/// Thread safety: every member may be called from any thread. Ownership: plain references to
/// the store and the clock, which outlive it.

#include "soar/client/Clock.h"
#include "soar/state/LeaseStore.h"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace soar::sync {

struct RouteLeasesOptions {
    /// This daemon's name (`[cluster] node`).
    std::string node;
    std::chrono::milliseconds ttl{30'000};
    /// The routes this daemon may replay, in config order.
    std::vector<std::string> routes;
    /// Share the routes with the other live daemons (a database several hosts use); false:
    /// take every route that is free (one state file: the others are standbys).
    bool spread = false;
};

/// What a round changed, for the log and the daemon's schedules.
struct LeaseChanges {
    /// Leases taken this round.
    std::vector<std::string> taken;
    /// Leases found lost on renewal (another daemon holds them now).
    std::vector<std::string> lost;
    /// Held leases to hand over after the pass in progress: asked for by another daemon or a
    /// command, or beyond this daemon's share.
    std::vector<std::string> yield;
    [[nodiscard]] bool any() const { return !taken.empty() || !lost.empty() || !yield.empty(); }
};

/// How this daemon sees the cluster, for status.
struct LeaseCluster {
    std::string holder;
    std::size_t live_nodes = 0;
    /// The most routes this daemon takes.
    std::size_t share = 0;
    std::size_t held = 0;
};

/// The node part of a holder identity (`node/host/pid/random`, RouteLeases::holder()): the
/// `[cluster] node` of the daemon that holds a lease or asks for it, for status and the log.
[[nodiscard]] std::string nodeOf(const std::string& holder);

class RouteLeases {
public:
    RouteLeases(state::LeaseStore& store, RouteLeasesOptions options, const Clock& clock);
    RouteLeases(const RouteLeases&) = delete;
    RouteLeases& operator=(const RouteLeases&) = delete;

    /// `node/host/pid/random`: unique per process, so two daemons never share an identity.
    [[nodiscard]] const std::string& holder() const { return holder_; }
    [[nodiscard]] std::chrono::milliseconds ttl() const { return options_.ttl; }

    /// Heartbeat, renewals, then free routes up to the share. Throws `state::StateError` when
    /// the store cannot be reached; the leases then stay as they were (mayWrite() runs out).
    LeaseChanges round();
    /// Renews the held leases only (a command's keeper: no heartbeat, nothing taken).
    LeaseChanges renew();

    /// Hands `route` over now (after its pass): releases the lease and ends the fence's claim.
    void release(const std::string& route);
    /// Releases every held lease and forgets this daemon's heartbeat (a stopping daemon).
    void releaseAll();

    /// A command's turn at `route`: takes the lease when it is free or reserved for this
    /// holder, else asks its owner for it (once) and returns false; call again until it is
    /// true or the caller gives up.
    bool acquire(const std::string& route);

    /// Held, and renewed recently enough to write (see above).
    [[nodiscard]] bool mayWrite(const std::string& route) const;
    /// Throws `state::StateError` of kind `Fenced` naming `route` unless mayWrite(route).
    void checkWritable(const std::string& route) const;
    [[nodiscard]] std::vector<std::string> held() const;
    /// The lease held for `route`, as last renewed; nothing when not held.
    [[nodiscard]] std::optional<state::Lease> lease(const std::string& route) const;
    [[nodiscard]] LeaseCluster cluster() const;

private:
    struct Held {
        state::Lease lease;
        /// Monotonic time just before the renewal (or acquisition) that stands.
        std::chrono::steady_clock::time_point renewed_at;
    };
    void renewHeld(std::chrono::steady_clock::time_point asked_at, std::int64_t now_ms,
                   LeaseChanges* changes);
    void take(const state::Lease& lease, std::chrono::steady_clock::time_point asked_at,
              LeaseChanges* changes);
    /// A holder on this host whose process is gone (SIGKILL, crash): its leases need not
    /// wait out their ttl.
    [[nodiscard]] bool holderIsGone(const std::string& holder) const;

    state::LeaseStore& store_;
    const RouteLeasesOptions options_;
    const Clock& clock_;
    std::string host_;
    std::string holder_;
    mutable std::mutex mutex_;
    std::map<std::string, Held> held_;
    std::size_t live_nodes_ = 1;
    std::size_t share_ = 0;
    /// Routes a command asked for (requestLease sent once per acquire streak).
    std::map<std::string, bool> requested_;
};

}  // namespace soar::sync
