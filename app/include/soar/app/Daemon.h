#pragma once

/// Daemon: the composition root of soar-sync. From a validated AppConfig it builds one
/// PocoSoarApi per instance (shared by every route), one state store (SQLite or PostgreSQL),
/// the route leases (RouteLeases) and, per route and peer, a FencedApi that writes only under
/// the route's lease; one WorkerPool per
/// target instance (its `connections` threads, shared by every route writing to it: where
/// the engine replays containers), and per route a SoarSource on its source's client; per
/// (route, target) a SoarTarget, a TargetSync and, when the route has a playbook, its
/// PlaybookTracker. Then it either runs every route on its own schedule (start/stop) or runs
/// single operations (sync-once, resync, retry-dead) for the command line.
///
/// Threads: besides the target instances' pools, the daemon owns a pool with one thread per
/// (route, target), on which a pass runs the targets of its route in parallel (the pass
/// waits for all of them), and, while started, a pool with one thread per route, each the
/// route's schedule: a pass, then `poll_interval` on a condition variable that stop()
/// signals. No thread is created per pass. Passes of one route never overlap, whoever runs
/// them.
///
/// One owner per route (design §5): while started, a keeper thread runs a lease round every
/// lease_ttl/3 (RouteLeases::round). A route's schedule replays only while this daemon holds
/// its lease: a daemon holding none is a standby and says so. A lost lease stops the route's
/// pass at once; a lease asked for by a command or beyond this daemon's share is handed over
/// after the pass in progress. When the store cannot be reached the keeper retries with backoff,
/// and the routes whose leases can no longer be proved stop before those leases lapse. The
/// commands (sync-once, resync, retry-dead) take their routes' leases first: a route another
/// daemon holds is asked for, and its owner hands it over after its pass.
///
/// Stopping sets the flag every running pass watches (records in flight finish and commit),
/// wakes the schedules and joins them, then releases the leases.
///
/// Thread safety: start(), stop() and the operations from one thread; snapshot() from any.
/// Ownership: owns everything it builds; the store closes last.

#include "soar/app/Config.h"
#include "soar/app/StatusSource.h"
#include "soar/client/PocoSoarApi.h"
#include "soar/state/SqliteStore.h"
#include "soar/sync/PlaybookTracker.h"
#include "soar/sync/RouteLeases.h"
#include "soar/sync/SoarAdapter.h"
#include "soar/sync/TargetSync.h"
#include "soar/sync/WorkerPool.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace Poco {
class Logger;
}

namespace soar::app {

/// A command's route stayed with another daemon that did not hand it over in time (exit 75,
/// a temporary failure).
class RouteBusy : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// How a set of passes went, for the exit code: 0 ok, 1 records in error, 69 a target
/// failing or interrupted.
struct RunSummary {
    int passes = 0;
    int record_errors = 0;
    int unavailable = 0;
    std::vector<std::string> problems;
    [[nodiscard]] int exitCode() const;
};

class Daemon final : public StatusSource {
public:
    /// Opens the store, reads every instance's secret (registering it with the log redactor,
    /// which also cleans every text the store keeps) and builds the clients; no request is
    /// made, no lease taken. Throws ConfigError (credentials, client settings) or
    /// state::StateError.
    [[nodiscard]] static std::unique_ptr<Daemon> create(const AppConfig& config);
    ~Daemon() override;
    Daemon(const Daemon&) = delete;
    Daemon& operator=(const Daemon&) = delete;

    /// Reads every instance's token_file again (SIGHUP); a new token is used from the next
    /// request on. The clients also notice a changed file by themselves, and re-read it after
    /// a 401.
    void reloadSecrets();
    /// Starts the lease keeper and every route's schedule (resolving playbooks first, best
    /// effort); idempotent.
    void start();
    /// Asks every pass to stop, wakes the schedules, then joins them and the keeper, and
    /// releases the leases; idempotent.
    void stop();

    /// The commands below take the leases of the routes they touch first (asking their owners
    /// to hand them over, waiting up to 3 × lease_ttl + 30 s, else RouteBusy) and release them
    /// when done.
    ///
    /// One pass of each route (or of `route`) for every target, then waits up to
    /// `playbook_wait` for the triggered playbook runs.
    RunSummary syncOnce(const std::string& route, std::chrono::milliseconds playbook_wait);
    RunSummary resyncContainers(const std::string& route, const std::string& target,
                                const std::vector<std::int64_t>& ids);
    RunSummary resyncSince(const std::string& route, const std::string& target,
                           sync::Timestamp since);
    RunSummary resyncAll(const std::string& route, const std::string& target);
    RunSummary retryDead(const std::string& route, const std::vector<std::int64_t>& ids = {});

    [[nodiscard]] StatusSnapshot snapshot() const override;
    [[nodiscard]] bool storeOpens() const override;
    [[nodiscard]] state::SqliteStore& store() { return *store_; }
    [[nodiscard]] sync::PocoSoarApi& client(const std::string& instance);
    /// This daemon's identity in the leases (node/host/pid/random).
    [[nodiscard]] const std::string& holder() const { return leases_->holder(); }

    struct Unit;
    struct RouteUnit;

private:
    explicit Daemon(AppConfig config);
    /// One pass of every target of `route`, in parallel on `passes_`; returns when all ended.
    void routePass(RouteUnit& route, RunSummary* summary);
    /// `route`'s schedule, on `schedules_`: a pass, then `poll_interval`, until stop().
    void schedule(RouteUnit& route);
    void record(Unit& unit, const sync::PassResult& result, RunSummary* summary);
    template <class Fn>
    RunSummary forTargets(const std::string& route, const std::string& target, Fn&& fn);

    // Leases (DaemonLeases.cpp).
    /// The keeper thread: a lease round every lease_ttl/3, with backoff while the store fails.
    void keep();
    /// After a round: each route's schedule told whether it may replay; yields handed over.
    void applyLeases(const sync::LeaseChanges& changes);
    /// Logs what this daemon holds (at start and on every change).
    void logHoldings();
    /// Runs `fn` holding the leases of `route` (every route when empty), renewing them on a
    /// thread of its own meanwhile; throws RouteBusy when they stay held by another daemon.
    RunSummary underLeases(const std::string& route, const std::function<RunSummary()>& fn);
    /// Releases `route`'s lease after its pass (asked for, or beyond the share); the caller
    /// holds its pass_mutex.
    void handOver(RouteUnit& route);
    RunSummary syncOnceHeld(const std::string& route, std::chrono::milliseconds playbook_wait);

    AppConfig config_;
    Poco::Logger& logger_;
    std::string started_at_;
    std::unique_ptr<state::SqliteStore> store_;
    std::shared_ptr<sync::Clock> clock_;
    std::unique_ptr<sync::RouteLeases> leases_;
    std::map<std::string, std::unique_ptr<sync::PocoSoarApi>> clients_;
    /// Per target instance: where its routes' engines replay containers.
    std::map<std::string, std::unique_ptr<sync::WorkerPool>> workers_;
    std::vector<std::unique_ptr<RouteUnit>> routes_;
    /// One thread per (route, target): the targets of passes.
    std::unique_ptr<sync::WorkerPool> passes_;
    std::atomic<bool> stop_{false};
    /// stop_ is set under it, so a schedule waiting out its interval never misses the wake.
    std::mutex schedule_mutex_;
    std::condition_variable wake_;
    /// One thread per route while started: the schedules.
    std::unique_ptr<sync::WorkerPool> schedules_;
    /// The lease keeper while started (daemon) or while a command runs.
    std::thread keeper_;
    bool keeper_stop_ = false;  // guarded by schedule_mutex_
    /// Set by start(): the snapshot shows this daemon among the others.
    std::atomic<bool> started_{false};
    mutable std::mutex runtime_mutex_;
    /// Why the last lease round failed, and since when (guarded by runtime_mutex_).
    std::string store_problem_;
    std::string store_problem_since_;
};

}  // namespace soar::app
