#include "soar/app/Daemon.h"

#include "DaemonUnits.h"
#include "soar/app/CommandLine.h"
#include "soar/app/Logging.h"
#include "soar/app/StoredStatus.h"
#include "soar/client/Errors.h"
#include "soar/client/Secret.h"

#include <Poco/Logger.h>

#include <algorithm>
#include <condition_variable>
#include <exception>
#include <filesystem>
#include <memory>
#include <mutex>
#include <set>

namespace soar::app {

namespace {

/// Counts down the targets of a pass; shared with the jobs, so the last one may signal
/// after the pass stopped waiting.
struct PassLatch {
    std::mutex mutex;
    std::condition_variable done;
    std::size_t left = 0;
};

std::string errorKind(const sync::PassResult& result) {
    if (result.outcome == sync::PassOutcome::Interrupted && result.unreachable) {
        return "unreachable";
    }
    switch (result.outcome) {
        case sync::PassOutcome::Ok:
            return "";
        case sync::PassOutcome::RecordErrors:
            return "record";
        case sync::PassOutcome::Interrupted:
            return "transient";
        case sync::PassOutcome::Failing:
            return "failing";
        case sync::PassOutcome::Cancelled:
            return "cancelled";
    }
    return "internal";
}

/// Where vault files wait between download and upload: beside the state file, on a disk the
/// operator chose for soar-sync; the system's temporary folder for an in-memory store.
std::string scratchFolderOf(const state::StateOptions& state) {
    if (state.path.empty() || state.path == ":memory:") return {};
    const auto folder = std::filesystem::path(state.path).parent_path();
    return folder.empty() ? std::string(".") : folder.string();
}

}  // namespace

int RunSummary::exitCode() const {
    if (unavailable > 0) return 69;
    if (record_errors > 0) return 1;
    return 0;
}

Daemon::Daemon(AppConfig config)
    : config_(std::move(config)), logger_(Poco::Logger::get("app")), started_at_(nowText()) {}

Daemon::~Daemon() { stop(); }

void Daemon::reloadSecrets() {
    for (auto& [name, client] : clients_) (void)client->reloadCredentials();
}

std::unique_ptr<Daemon> Daemon::create(const AppConfig& config) {
    std::unique_ptr<Daemon> d(new Daemon(config));
    const auto& cfg = d->config_;
    // Only instances some route uses are built (and need their secrets).
    std::vector<std::string> used;
    for (const auto& r : cfg.routes) {
        used.push_back(r.config.source);
        used.insert(used.end(), r.config.targets.begin(), r.config.targets.end());
    }
    for (const auto& instance : cfg.instances) {
        if (std::find(used.begin(), used.end(), instance.name) == used.end()) continue;
        auto credentials = sync::loadCredentials(instance);
        Logging::redactor().addSecret(credentials.secret.reveal());
        auto client = sync::PocoSoarApi::create(instance, std::move(credentials));
        // A rotated token is masked before the first request sends it.
        client->onNewSecret(
            [](const std::string& secret) { Logging::redactor().addSecret(secret); });
        d->clients_[instance.name] = std::move(client);
    }
    state::StateOptions state_options = stateOptionsOf(cfg);
    if (!state_options.password.empty()) Logging::redactor().addSecret(state_options.password);
    // Texts are stored as the log would show them: secrets masked, control characters escaped.
    state_options.scrub = [](const std::string& text) { return Logging::redactor().clean(text); };
    d->store_ = state::SqliteStore::open(state_options);
    sync::RouteLeasesOptions lease_options;
    lease_options.node = cfg.cluster.node;
    lease_options.ttl = cfg.cluster.lease_ttl;
    for (const auto& spec : cfg.routes) {
        const auto& only = cfg.cluster.routes;
        if (only.empty() || std::find(only.begin(), only.end(), spec.config.name) != only.end()) {
            lease_options.routes.push_back(spec.config.name);
        }
    }
    // Hosts share a database; one state file is one host's, where the others are standbys.
    lease_options.spread = cfg.state.backend == state::StateOptions::Backend::Postgresql;
    d->clock_ = sync::SystemClock::instance();
    d->leases_ = std::make_unique<sync::RouteLeases>(*d->store_, lease_options, *d->clock_);
    std::size_t units = 0;
    for (const auto& spec : cfg.routes) {
        auto route = std::make_unique<RouteUnit>();
        route->spec = &spec;
        route->source_api = std::make_unique<sync::FencedApi>(*d->clients_.at(spec.config.source),
                                                              *d->leases_, spec.config.name);
        route->source = std::make_unique<sync::SoarSource>(*route->source_api, spec.config);
        if (spec.config.mirror_back.any() || spec.config.report_back != sync::ReportBack::Off) {
            route->source_side =
                std::make_unique<sync::SoarMirrorSide>(*route->source_api, spec.config.page_size);
        }
        for (const auto& target : spec.config.targets) {
            const unsigned connections = cfg.instance(target)->connections;
            auto& workers = d->workers_[target];
            if (!workers) {
                workers = std::make_unique<sync::WorkerPool>("target." + target, connections);
            }
            auto unit = std::make_unique<Unit>();
            unit->key = {spec.config.name, target};
            unit->halt = &route->halt;
            unit->api = std::make_unique<sync::FencedApi>(*d->clients_.at(target), *d->leases_,
                                                          spec.config.name);
            unit->target = std::make_unique<sync::SoarTarget>(*unit->api, spec.config.page_size);
            sync::TargetSyncOptions options;
            options.target = target;
            options.in_flight = connections;
            options.workers = workers.get();
            options.scratch_dir = scratchFolderOf(cfg.state);
            if (route->source_side) {
                unit->target_side =
                    std::make_unique<sync::SoarMirrorSide>(*unit->api, spec.config.page_size);
                options.source_side = route->source_side.get();
                options.target_side = unit->target_side.get();
            }
            if (spec.playbook) {
                unit->playbooks = std::make_unique<sync::PlaybookTracker>(
                    *spec.playbook, unit->key, *unit->target, *d->store_);
                options.playbooks = unit->playbooks.get();
            }
            unit->sync = std::make_unique<sync::TargetSync>(spec.config, options, *route->source,
                                                            *unit->target, *d->store_);
            route->targets.push_back(std::move(unit));
            ++units;
        }
        d->routes_.push_back(std::move(route));
    }
    d->passes_ = std::make_unique<sync::WorkerPool>(
        "passes", static_cast<unsigned>(std::max<std::size_t>(units, 1)));
    return d;
}

sync::PocoSoarApi& Daemon::client(const std::string& instance) { return *clients_.at(instance); }

void Daemon::record(Unit& unit, const sync::PassResult& result, RunSummary* summary) {
    {
        const std::lock_guard<std::mutex> lock(runtime_mutex_);
        auto& rt = unit.runtime;
        ++rt.passes;
        rt.totals += result.counts;
        const auto kind = errorKind(result);
        if (!kind.empty()) ++rt.errors[kind];
        const double seconds = static_cast<double>(result.duration.count()) / 1000.0;
        for (std::size_t i = 0; i < kPassDurationBuckets.size(); ++i) {
            if (seconds <= kPassDurationBuckets[i]) ++rt.duration_buckets[i];
        }
        rt.duration_sum += seconds;
        ++rt.duration_count;
        rt.last_outcome = sync::toString(result.outcome);
        rt.last_error = result.error;
    }
    if (!summary) return;
    ++summary->passes;
    const std::string where = unit.key.route + " -> " + unit.key.target + ": ";
    switch (result.outcome) {
        case sync::PassOutcome::Ok:
        case sync::PassOutcome::Cancelled:
            break;
        case sync::PassOutcome::RecordErrors:
            ++summary->record_errors;
            summary->problems.push_back(where + std::to_string(result.dead_lettered) +
                                        " record(s) dead-lettered");
            break;
        case sync::PassOutcome::Interrupted:
        case sync::PassOutcome::Failing:
            ++summary->unavailable;
            summary->problems.push_back(where + result.error);
            break;
    }
    if (!result.not_found.empty()) {
        std::string ids;
        for (const auto id : result.not_found)
            ids += (ids.empty() ? "" : ", ") + std::to_string(id);
        ++summary->record_errors;
        summary->problems.push_back(where + "not found: " + ids);
    }
}

void Daemon::routePass(RouteUnit& route, RunSummary* summary) {
    const std::lock_guard<std::mutex> pass_lock(route.pass_mutex);
    std::vector<sync::PassResult> results(route.targets.size());
    std::vector<std::exception_ptr> errors(route.targets.size());
    const auto latch = std::make_shared<PassLatch>();
    latch->left = route.targets.size();
    for (std::size_t i = 0; i < route.targets.size(); ++i) {
        passes_->post([&route, &results, &errors, latch, i] {
            try {
                results[i] = route.targets[i]->sync->runPass(&route.halt);
            } catch (...) {
                errors[i] = std::current_exception();
            }
            const std::lock_guard<std::mutex> lock(latch->mutex);
            if (--latch->left == 0) latch->done.notify_all();
        });
    }
    {
        std::unique_lock<std::mutex> lock(latch->mutex);
        latch->done.wait(lock, [&latch] { return latch->left == 0; });
    }
    for (std::size_t i = 0; i < route.targets.size(); ++i) {
        if (errors[i]) {
            // runPass sorts every expected failure itself; what reaches here is a bug or a
            // broken store: count the pass as interrupted and keep the daemon up.
            try {
                std::rethrow_exception(errors[i]);
            } catch (const std::exception& e) {
                results[i].outcome = sync::PassOutcome::Interrupted;
                results[i].error = e.what();
                poco_error(logger_, "pass " + route.targets[i]->key.route + " -> " +
                                        route.targets[i]->key.target + " failed: " + e.what());
            }
        }
        record(*route.targets[i], results[i], summary);
    }
}

void Daemon::schedule(RouteUnit& route) {
    const auto interval = route.spec->config.poll_interval;
    std::unique_lock<std::mutex> lock(schedule_mutex_);
    while (!stop_) {
        route.kick = false;
        lock.unlock();
        // Only under a lease this daemon can prove; a standby waits for the keeper's kick.
        if (route.owned && leases_->mayWrite(route.spec->config.name)) {
            route.halt = false;
            // stop() sets stop_ before the halt flags: a stop that raced the line above shows.
            if (stop_) break;
            routePass(route, nullptr);
        }
        if (route.yielding.exchange(false)) {
            const std::lock_guard<std::mutex> pass_lock(route.pass_mutex);
            handOver(route);
        }
        lock.lock();
        if (stop_ || route.kick) continue;
        wake_.wait_for(lock, interval, [this, &route] { return stop_ || route.kick; });
    }
}

void Daemon::start() {
    if (schedules_) return;
    {
        const std::lock_guard<std::mutex> lock(schedule_mutex_);
        stop_ = false;
    }
    for (auto& route : routes_) {
        for (auto& unit : route->targets) {
            if (!unit->playbooks) continue;
            try {
                (void)unit->playbooks->resolve();
            } catch (const std::exception& e) {
                poco_warning(logger_, "route " + unit->key.route + " -> " + unit->key.target +
                                          ": playbook not resolved yet: " + e.what());
            }
        }
    }
    {
        const std::lock_guard<std::mutex> lock(schedule_mutex_);
        keeper_stop_ = false;
    }
    // The first round before the schedules: a daemon starts on the routes it can take now.
    started_ = true;
    keeper_ = std::thread([this] { keep(); });
    schedules_ = std::make_unique<sync::WorkerPool>(
        "routes", static_cast<unsigned>(std::max<std::size_t>(routes_.size(), 1)));
    for (auto& route : routes_) {
        RouteUnit* r = route.get();
        schedules_->post([this, r] { schedule(*r); });
    }
    poco_information(logger_, "started " + std::to_string(routes_.size()) +
                                  " route schedule(s) as " + leases_->holder() + ", lease_ttl " +
                                  std::to_string(config_.cluster.lease_ttl.count() / 1000) + "s");
}

void Daemon::stop() {
    {
        const std::lock_guard<std::mutex> lock(schedule_mutex_);
        stop_ = true;
        keeper_stop_ = true;
    }
    for (auto& route : routes_) route->halt = true;
    wake_.notify_all();
    if (!schedules_ && !keeper_.joinable()) return;
    // Each schedule ends its pass (which watches its halt flag) and leaves its loop; the pool
    // joins. Then the keeper, and the leases go: the others need not wait out lease_ttl.
    schedules_.reset();
    if (keeper_.joinable()) keeper_.join();
    try {
        leases_->releaseAll();
        poco_information(logger_, "every route stopped; leases released");
    } catch (const std::exception& e) {
        poco_warning(logger_, std::string("every route stopped; the leases could not be "
                                          "released (they lapse after lease_ttl): ") +
                                  e.what());
    }
}

template <class Fn>
RunSummary Daemon::forTargets(const std::string& route, const std::string& target, Fn&& fn) {
    RunSummary summary;
    bool found = false;
    for (auto& r : routes_) {
        if (!route.empty() && r->spec->config.name != route) continue;
        const std::lock_guard<std::mutex> pass_lock(r->pass_mutex);
        for (auto& unit : r->targets) {
            if (!target.empty() && unit->key.target != target) continue;
            found = true;
            sync::PassResult result;
            try {
                leases_->checkWritable(r->spec->config.name);
                result = fn(*unit);
            } catch (const std::exception& e) {
                result.outcome = sync::PassOutcome::Interrupted;
                result.error = e.what();
            }
            record(*unit, result, &summary);
        }
    }
    if (!found) {
        if (!config_.route(route)) throw UsageError(unknownRouteMessage(config_, route));
        throw UsageError("route '" + route + "' has no target '" + target +
                         "'; its targets: " + [&] {
                             std::string out;
                             for (const auto& t : config_.route(route)->config.targets) {
                                 out += (out.empty() ? "" : ", ") + t;
                             }
                             return out;
                         }());
    }
    return summary;
}

RunSummary Daemon::syncOnce(const std::string& route, std::chrono::milliseconds playbook_wait) {
    if (!route.empty() && !config_.route(route))
        throw UsageError(unknownRouteMessage(config_, route));
    return underLeases(route, [&] { return syncOnceHeld(route, playbook_wait); });
}

RunSummary Daemon::syncOnceHeld(const std::string& route, std::chrono::milliseconds playbook_wait) {
    RunSummary summary;
    bool found = false;
    for (auto& r : routes_) {
        if (!route.empty() && r->spec->config.name != route) continue;
        found = true;
        routePass(*r, &summary);
    }
    if (!found) throw UsageError(unknownRouteMessage(config_, route));
    // The runs the passes triggered are followed for a bounded time; what is still pending
    // then stays in the store for the next run (pending runs survive restarts).
    const auto deadline = std::chrono::steady_clock::now() + playbook_wait;
    for (auto& r : routes_) {
        if (!route.empty() && r->spec->config.name != route) continue;
        for (auto& unit : r->targets) {
            if (!unit->playbooks) continue;
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                deadline - std::chrono::steady_clock::now());
            try {
                const auto pending = unit->playbooks->waitAll(std::max(left, decltype(left){0}));
                if (pending > 0) {
                    poco_warning(logger_, unit->key.route + " -> " + unit->key.target + ": " +
                                              std::to_string(pending) +
                                              " playbook run(s) still running; the next pass "
                                              "follows them");
                }
            } catch (const std::exception& e) {
                poco_warning(logger_, unit->key.route + " -> " + unit->key.target +
                                          ": following playbook runs failed: " + e.what());
            }
        }
    }
    return summary;
}

RunSummary Daemon::resyncContainers(const std::string& route, const std::string& target,
                                    const std::vector<std::int64_t>& ids) {
    return underLeases(route, [&] {
        return forTargets(route, target, [&](Unit& u) { return u.sync->resyncContainers(ids); });
    });
}

RunSummary Daemon::resyncSince(const std::string& route, const std::string& target,
                               sync::Timestamp since) {
    return underLeases(route, [&] {
        return forTargets(route, target,
                          [&](Unit& u) { return u.sync->resyncSince(since, u.halt); });
    });
}

RunSummary Daemon::resyncAll(const std::string& route, const std::string& target) {
    return underLeases(route, [&] {
        return forTargets(route, target, [&](Unit& u) { return u.sync->resyncAll(u.halt); });
    });
}

RunSummary Daemon::retryDead(const std::string& route, const std::vector<std::int64_t>& ids) {
    if (!ids.empty()) {
        // Every id asked for must be dead-lettered on some target of the routes in scope.
        std::set<std::int64_t> known;
        for (const auto& r : routes_) {
            if (!route.empty() && r->spec->config.name != route) continue;
            for (const auto& unit : r->targets) {
                for (const auto& letter : store_->deadLetters(unit->key)) {
                    known.insert(letter.source_id);
                }
            }
        }
        std::string unknown;
        for (const auto id : ids) {
            if (known.count(id) == 0) unknown += (unknown.empty() ? "" : ", ") + std::to_string(id);
        }
        if (!unknown.empty()) {
            throw UsageError("no dead letter for source id(s) " + unknown +
                             (route.empty() ? std::string() : " on route " + route) +
                             "; `soar-sync dead-letters` lists them");
        }
    }
    return underLeases(route, [&] {
        return forTargets(route, "", [&](Unit& u) { return u.sync->retryDead(ids); });
    });
}

StatusSnapshot Daemon::snapshot() const {
    StatusSnapshot snap;
    std::string unreadable;
    try {
        snap = readStoredStatus(config_, *store_);
    } catch (const state::StateError& e) {
        // The store is away: the snapshot says so (and /readyz why) instead of failing.
        snap.version = versionString();
        snap.now = nowText();
        unreadable = Logging::redactor().clean(e.what());
    }
    snap.started_at = started_at_;
    snap.live = true;
    if (started_) {
        const auto lc = leases_->cluster();
        ClusterView c;
        c.node = config_.cluster.node;
        c.holder = lc.holder;
        c.lease_ttl_seconds = static_cast<double>(config_.cluster.lease_ttl.count()) / 1000.0;
        c.share = lc.share;
        c.held = lc.held;
        c.live_nodes = lc.live_nodes;
        {
            const std::lock_guard<std::mutex> lock(runtime_mutex_);
            c.store_problem = store_problem_;
            c.store_problem_since = store_problem_since_;
        }
        if (c.store_problem.empty() && !unreadable.empty()) {
            c.store_problem = unreadable;
            c.store_problem_since = snap.now;
        }
        c.standby = c.held == 0 && c.store_problem.empty();
        snap.cluster = c;
    }
    for (auto& view : snap.routes) {
        if (view.lease && view.lease->holder == leases_->holder()) {
            view.lease->mine = leases_->mayWrite(view.name);
        }
    }
    for (std::size_t r = 0; r < routes_.size() && r < snap.routes.size(); ++r) {
        auto& views = snap.routes[r].targets;
        for (std::size_t t = 0; t < routes_[r]->targets.size() && t < views.size(); ++t) {
            const auto& unit = *routes_[r]->targets[t];
            {
                const std::lock_guard<std::mutex> lock(runtime_mutex_);
                views[t].runtime = unit.runtime;
            }
            auto live = unit.sync->live();
            if (live.running) views[t].runtime.live = live;
        }
    }
    for (const auto& [name, client] : clients_) snap.clients[name] = client->stats();
    return snap;
}

bool Daemon::storeOpens() const {
    try {
        (void)store_->targets();
        return true;
    } catch (const std::exception&) {
        return false;
    }
}

}  // namespace soar::app
