// The daemon's side of "one owner per route" (design §5): the lease keeper, hand-overs, and
// the commands run under their routes' leases. See Daemon.h.

#include "DaemonUnits.h"
#include "soar/app/CommandLine.h"
#include "soar/app/Logging.h"
#include "soar/state/StateError.h"

#include <Poco/Logger.h>

#include <algorithm>
#include <chrono>
#include <thread>

namespace soar::app {

namespace {

std::string joined(const std::vector<std::string>& items) {
    std::string out;
    for (const auto& item : items) out += (out.empty() ? "" : ", ") + item;
    return out;
}

std::string secondsText(std::chrono::milliseconds d) {
    return std::to_string(std::chrono::duration_cast<std::chrono::seconds>(d).count()) + "s";
}

constexpr std::chrono::milliseconds kFirstBackoff{500};

}  // namespace

void Daemon::keep() {
    const auto period = config_.cluster.lease_ttl / 3;
    auto backoff = kFirstBackoff;
    bool first = true;
    std::unique_lock<std::mutex> lock(schedule_mutex_);
    while (!keeper_stop_) {
        lock.unlock();
        auto wait = period;
        try {
            const auto changes = leases_->round();
            bool recovered = false;
            {
                const std::lock_guard<std::mutex> guard(runtime_mutex_);
                recovered = !store_problem_.empty();
                store_problem_.clear();
                store_problem_since_.clear();
            }
            if (recovered) {
                poco_notice(logger_, "the state store answers again; route leases renewed");
            }
            applyLeases(changes);
            if (first || recovered || changes.any()) logHoldings();
            first = false;
            backoff = kFirstBackoff;
        } catch (const std::exception& e) {
            const auto problem = Logging::redactor().clean(e.what());
            bool first_failure = false;
            {
                const std::lock_guard<std::mutex> guard(runtime_mutex_);
                first_failure = store_problem_.empty();
                store_problem_ = problem;
                if (first_failure) store_problem_since_ = nowText();
            }
            if (first_failure) {
                poco_error(logger_, "cannot renew route leases: " + problem +
                                        "; a route whose lease cannot be proved stops replaying "
                                        "before the lease lapses; retrying with backoff");
            } else {
                poco_debug(logger_, "cannot renew route leases yet: " + problem);
            }
            // The routes whose leases ran out of proof stop now.
            applyLeases({});
            wait = std::min(backoff, period);
            backoff = std::min(backoff * 2, period);
        }
        lock.lock();
        if (keeper_stop_) break;
        wake_.wait_for(lock, wait, [this] { return keeper_stop_; });
    }
}

void Daemon::applyLeases(const sync::LeaseChanges& changes) {
    for (const auto& name : changes.lost) {
        poco_warning(logger_, "route " + name +
                                  ": lease lost to another daemon; its pass stops and this "
                                  "daemon writes nothing more for it");
    }
    const auto held = leases_->held();
    bool kicked = false;
    for (auto& route : routes_) {
        const auto& name = route->spec->config.name;
        const bool has =
            std::find(held.begin(), held.end(), name) != held.end() && leases_->mayWrite(name);
        const bool had = route->owned.exchange(has);
        if (had && !has) {
            route->halt = true;
            if (std::find(changes.lost.begin(), changes.lost.end(), name) == changes.lost.end()) {
                poco_warning(logger_, "route " + name +
                                          ": stopped replaying: its lease could not be renewed "
                                          "in time");
            }
        } else if (!had && has) {
            const auto lease = leases_->lease(name);
            poco_information(logger_, "route " + name + ": lease taken (epoch " +
                                          std::to_string(lease ? lease->epoch : 0) +
                                          "); replaying");
            const std::lock_guard<std::mutex> lock(schedule_mutex_);
            route->kick = true;
            kicked = true;
        }
    }
    for (const auto& name : changes.yield) {
        for (auto& route : routes_) {
            if (route->spec->config.name != name) continue;
            std::unique_lock<std::mutex> pass(route->pass_mutex, std::try_to_lock);
            if (pass.owns_lock()) {
                handOver(*route);
            } else {
                route->yielding = true;  // its schedule hands it over after the pass
            }
        }
    }
    if (kicked) wake_.notify_all();
}

void Daemon::handOver(RouteUnit& route) {
    const auto& name = route.spec->config.name;
    route.owned = false;
    try {
        leases_->release(name);
        poco_information(logger_, "route " + name + ": lease handed over after its pass");
    } catch (const std::exception& e) {
        poco_warning(logger_, "route " + name +
                                  ": the lease could not be handed over (it lapses after "
                                  "lease_ttl): " +
                                  e.what());
    }
}

void Daemon::logHoldings() {
    const auto cluster = leases_->cluster();
    const auto held = leases_->held();
    const std::string nodes = std::to_string(cluster.live_nodes) +
                              (cluster.live_nodes == 1 ? " daemon" : " daemons") + " alive";
    if (held.empty()) {
        poco_notice(logger_, "node " + config_.cluster.node + ": standby, holds no route (" +
                                 nodes +
                                 "); takes over a route whose owner stops renewing its lease");
        return;
    }
    poco_information(logger_, "node " + config_.cluster.node + " holds " +
                                  std::to_string(held.size()) +
                                  (held.size() == 1 ? " route: " : " routes: ") + joined(held) +
                                  " (share " + std::to_string(cluster.share) + ", " + nodes + ")");
}

RunSummary Daemon::underLeases(const std::string& route, const std::function<RunSummary()>& fn) {
    std::vector<RouteUnit*> wanted;
    for (auto& r : routes_) {
        if (route.empty() || r->spec->config.name == route) wanted.push_back(r.get());
    }
    if (wanted.empty()) throw UsageError(unknownRouteMessage(config_, route));
    const auto ttl = config_.cluster.lease_ttl;
    const auto patience = 3 * ttl + std::chrono::seconds(30);
    const auto deadline = std::chrono::steady_clock::now() + patience;
    std::vector<bool> have(wanted.size(), false);
    bool told = false;
    for (;;) {
        std::vector<std::string> missing;
        for (std::size_t i = 0; i < wanted.size(); ++i) {
            if (!have[i]) have[i] = leases_->acquire(wanted[i]->spec->config.name);
            if (!have[i]) missing.push_back(wanted[i]->spec->config.name);
        }
        if (missing.empty()) break;
        std::string owners;
        for (const auto& lease : store_->leases()) {
            if (std::find(missing.begin(), missing.end(), lease.route) == missing.end()) continue;
            owners += (owners.empty() ? "" : ", ") + lease.route + " by " +
                      sync::nodeOf(lease.holder) + " (epoch " + std::to_string(lease.epoch) + ")";
        }
        if (std::chrono::steady_clock::now() >= deadline) {
            try {
                leases_->releaseAll();
            } catch (const std::exception&) {  // NOLINT(bugprone-empty-catch)
                // They lapse after lease_ttl.
            }
            throw RouteBusy(
                "route(s) held by another daemon and not handed over within " +
                secondsText(std::chrono::duration_cast<std::chrono::milliseconds>(patience)) +
                ": " + owners + "; try again later");
        }
        if (!told) {
            poco_information(logger_, "waiting for route(s) held by other daemons (" + owners +
                                          "): asked them to hand over after their pass");
            told = true;
        }
        std::this_thread::sleep_for(
            std::min<std::chrono::milliseconds>(ttl / 10, std::chrono::milliseconds(500)));
    }
    for (auto* r : wanted) {
        r->owned = true;
        r->halt = false;
    }
    {
        const std::lock_guard<std::mutex> lock(schedule_mutex_);
        keeper_stop_ = false;
    }
    // The command's keeper: renewals only, every lease_ttl/3; a lost lease halts its route.
    keeper_ = std::thread([this] {
        std::unique_lock<std::mutex> lock(schedule_mutex_);
        while (
            !wake_.wait_for(lock, config_.cluster.lease_ttl / 3, [this] { return keeper_stop_; })) {
            lock.unlock();
            try {
                const auto changes = leases_->renew();
                applyLeases(changes);
            } catch (const std::exception& e) {
                poco_warning(logger_, std::string("cannot renew route leases: ") + e.what());
                applyLeases({});
            }
            lock.lock();
        }
    });
    const auto finish = [this] {
        {
            const std::lock_guard<std::mutex> lock(schedule_mutex_);
            keeper_stop_ = true;
        }
        wake_.notify_all();
        keeper_.join();
        try {
            leases_->releaseAll();
        } catch (const std::exception& e) {
            poco_warning(logger_, std::string("the route leases could not be released (they "
                                              "lapse after lease_ttl): ") +
                                      e.what());
        }
    };
    try {
        auto summary = fn();
        finish();
        return summary;
    } catch (...) {
        finish();
        throw;
    }
}

}  // namespace soar::app
