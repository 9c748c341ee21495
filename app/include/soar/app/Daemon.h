#pragma once

/// Daemon: the composition root of soar-sync. From a validated AppConfig it builds one
/// PocoSoarApi per instance (shared by every route), one SqliteStore, one WorkerPool per
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
/// Stopping sets the flag every running pass watches (records in flight finish and commit),
/// wakes the schedules and joins them.
///
/// Thread safety: start(), stop() and the operations from one thread; snapshot() from any.
/// Ownership: owns everything it builds; the store closes last.

#include "soar/app/Config.h"
#include "soar/app/StatusSource.h"
#include "soar/client/PocoSoarApi.h"
#include "soar/state/SqliteStore.h"
#include "soar/sync/PlaybookTracker.h"
#include "soar/sync/SoarAdapter.h"
#include "soar/sync/TargetSync.h"
#include "soar/sync/WorkerPool.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace Poco {
class Logger;
}

namespace soar::app {

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
    /// made. Throws ConfigError (credentials, client settings) or state::StateError.
    [[nodiscard]] static std::unique_ptr<Daemon> create(const AppConfig& config);
    ~Daemon() override;
    Daemon(const Daemon&) = delete;
    Daemon& operator=(const Daemon&) = delete;

    /// Reads every instance's token_file again (SIGHUP); a new token is used from the next
    /// request on. The clients also notice a changed file by themselves, and re-read it after
    /// a 401.
    void reloadSecrets();
    /// Starts every route's schedule (resolving playbooks first, best effort); idempotent.
    void start();
    /// Asks every pass to stop, wakes the schedules, then joins them; idempotent.
    void stop();

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

    AppConfig config_;
    Poco::Logger& logger_;
    std::string started_at_;
    std::unique_ptr<state::SqliteStore> store_;
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
    mutable std::mutex runtime_mutex_;
};

}  // namespace soar::app
