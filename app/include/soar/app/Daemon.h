#pragma once

/// Daemon: the composition root of soar-sync. From a validated AppConfig it builds one
/// PocoSoarApi per instance (shared by every route), one SqliteStore, and per (route,
/// target) a TargetSync with, when the route has a playbook, its PlaybookTracker. Then it
/// either runs every route on its own schedule (start/stop: each route a Poco::Task that
/// waits out `poll_interval` in Task::sleep(), its targets in parallel, one thread each, so
/// passes of one route never overlap), or runs single operations (sync-once, resync,
/// retry-dead) for the command line.
///
/// Stopping sets the flag every running pass watches (records in flight finish and commit),
/// cancels the tasks and joins them.
///
/// Thread safety: start(), stop() and the operations from one thread; snapshot() from any.
/// Ownership: owns everything it builds; the store closes last.

#include "soar/app/Config.h"
#include "soar/app/StatusSource.h"
#include "soar/client/PocoSoarApi.h"
#include "soar/state/SqliteStore.h"
#include "soar/sync/PlaybookTracker.h"
#include "soar/sync/TargetSync.h"

#include <Poco/TaskManager.h>
#include <Poco/ThreadPool.h>

#include <atomic>
#include <chrono>
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
    /// Opens the store, reads every instance's secret and builds the clients; no request is
    /// made. Throws ConfigError (credentials, client settings) or state::StateError.
    [[nodiscard]] static std::unique_ptr<Daemon> create(const AppConfig& config);
    ~Daemon() override;
    Daemon(const Daemon&) = delete;
    Daemon& operator=(const Daemon&) = delete;

    /// Starts one task per route (resolving playbooks first, best effort).
    void start();
    /// Asks every pass to stop, then joins; idempotent.
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

    /// Every secret the daemon read (to register with the log redactor).
    [[nodiscard]] std::vector<std::string> secrets() const;
    [[nodiscard]] state::SqliteStore& store() { return *store_; }
    [[nodiscard]] sync::PocoSoarApi& client(const std::string& instance);

    struct Unit;
    struct RouteUnit;

private:
    explicit Daemon(AppConfig config);
    /// One pass of every target of `route`, in parallel (one thread per target).
    void routePass(RouteUnit& route, RunSummary* summary);
    void record(Unit& unit, const sync::PassResult& result, RunSummary* summary);
    template <class Fn>
    RunSummary forTargets(const std::string& route, const std::string& target, Fn&& fn);

    AppConfig config_;
    Poco::Logger& logger_;
    std::string started_at_;
    std::unique_ptr<state::SqliteStore> store_;
    std::map<std::string, std::unique_ptr<sync::PocoSoarApi>> clients_;
    std::vector<std::string> secrets_;
    std::vector<std::unique_ptr<RouteUnit>> routes_;
    std::atomic<bool> stop_{false};
    mutable std::mutex runtime_mutex_;
    std::unique_ptr<Poco::ThreadPool> pool_;
    std::unique_ptr<Poco::TaskManager> tasks_;
};

}  // namespace soar::app
