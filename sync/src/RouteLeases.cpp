#include "soar/sync/RouteLeases.h"

#include "soar/state/StateError.h"

#include <Poco/Environment.h>
#include <Poco/NumberParser.h>
#include <Poco/Random.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <unistd.h>

namespace soar::sync {

namespace {

std::string randomHex4() {
    Poco::Random random;
    random.seed();
    char text[16];
    std::snprintf(text, sizeof text, "%04x", random.next(0x10000));
    return text;
}

std::vector<std::string> split(const std::string& text, char sep) {
    std::vector<std::string> parts;
    std::size_t from = 0;
    for (;;) {
        const auto at = text.find(sep, from);
        parts.push_back(text.substr(from, at == std::string::npos ? std::string::npos : at - from));
        if (at == std::string::npos) return parts;
        from = at + 1;
    }
}

}  // namespace

std::string nodeOf(const std::string& holder) { return holder.substr(0, holder.find('/')); }

RouteLeases::RouteLeases(state::LeaseStore& store, RouteLeasesOptions options, const Clock& clock)
    : store_(store), options_(std::move(options)), clock_(clock) {
    host_ = Poco::Environment::nodeName();
    std::replace(host_.begin(), host_.end(), '/', '_');
    holder_ = options_.node + "/" + host_ + "/" + std::to_string(::getpid()) + "/" + randomHex4();
    share_ = options_.routes.size();
}

void RouteLeases::take(const state::Lease& lease, std::chrono::steady_clock::time_point asked_at,
                       LeaseChanges* changes) {
    // Fenced before it counts as held: no write of this route passes the store unchecked.
    store_.fence(lease);
    held_[lease.route] = {lease, asked_at};
    requested_.erase(lease.route);
    if (changes) changes->taken.push_back(lease.route);
}

void RouteLeases::renewHeld(std::chrono::steady_clock::time_point asked_at, std::int64_t now_ms,
                            LeaseChanges* changes) {
    const auto ttl = options_.ttl;
    for (auto it = held_.begin(); it != held_.end();) {
        const auto renewed = store_.renewLease(it->second.lease, ttl);
        if (!renewed) {
            changes->lost.push_back(it->first);
            it = held_.erase(it);
            continue;
        }
        it->second = {*renewed, asked_at};
        if (!renewed->wanted_by.empty() && renewed->wanted_by != holder_ &&
            now_ms - renewed->wanted_ms < ttl.count()) {
            changes->yield.push_back(it->first);
        }
        ++it;
    }
}

LeaseChanges RouteLeases::renew() {
    const std::lock_guard<std::mutex> lock(mutex_);
    LeaseChanges changes;
    const auto asked_at = clock_.now();
    renewHeld(asked_at, store_.leaseClockMs(), &changes);
    return changes;
}

LeaseChanges RouteLeases::round() {
    const std::lock_guard<std::mutex> lock(mutex_);
    LeaseChanges changes;
    const auto asked_at = clock_.now();
    const auto ttl = options_.ttl;
    store_.heartbeat(holder_, ttl);
    const auto now_ms = store_.leaseClockMs();
    // Renewals first: what is held stays held while it can be proved.
    renewHeld(asked_at, now_ms, &changes);

    live_nodes_ = std::max<std::size_t>(store_.liveNodes().size(), 1);
    const auto routes = options_.routes.size();
    share_ = options_.spread ? (routes + live_nodes_ - 1) / live_nodes_ : routes;

    // Beyond the share (a daemon joined): the last routes held go, after their pass.
    std::size_t keep = held_.size() - std::min(held_.size(), changes.yield.size());
    for (auto r = options_.routes.rbegin(); r != options_.routes.rend() && keep > share_; ++r) {
        if (held_.count(*r) == 0) continue;
        if (std::find(changes.yield.begin(), changes.yield.end(), *r) != changes.yield.end()) {
            continue;
        }
        changes.yield.push_back(*r);
        --keep;
    }

    if (held_.size() >= share_) return changes;
    std::map<std::string, state::Lease> stored;
    for (auto& lease : store_.leases()) stored[lease.route] = std::move(lease);
    for (const auto& route : options_.routes) {
        if (held_.size() >= share_) break;
        if (held_.count(route) != 0) continue;
        const auto found = stored.find(route);
        if (found != stored.end()) {
            const auto& lease = found->second;
            const bool reserved = !lease.wanted_by.empty() && lease.wanted_by != holder_ &&
                                  now_ms - lease.wanted_ms < ttl.count();
            if (reserved) continue;
            const bool live = !lease.holder.empty() && lease.expires_ms > now_ms;
            if (live && lease.holder != holder_) {
                if (!holderIsGone(lease.holder)) continue;
                // Its process is gone: the lease is free now rather than after its ttl.
                store_.releaseLease(lease);
            }
        }
        if (const auto got = store_.acquireLease(route, holder_, ttl)) {
            take(*got, asked_at, &changes);
        }
    }
    return changes;
}

void RouteLeases::release(const std::string& route) {
    std::optional<state::Lease> lease;
    {
        const std::lock_guard<std::mutex> lock(mutex_);
        const auto it = held_.find(route);
        if (it == held_.end()) return;
        lease = it->second.lease;
        held_.erase(it);
    }
    store_.releaseLease(*lease);
}

void RouteLeases::releaseAll() {
    std::vector<state::Lease> leases;
    {
        const std::lock_guard<std::mutex> lock(mutex_);
        for (const auto& [route, held] : held_) leases.push_back(held.lease);
        held_.clear();
        requested_.clear();
    }
    for (const auto& lease : leases) store_.releaseLease(lease);
    store_.forgetNode(holder_);
}

bool RouteLeases::acquire(const std::string& route) {
    const std::lock_guard<std::mutex> lock(mutex_);
    const auto asked_at = clock_.now();
    if (const auto got = store_.acquireLease(route, holder_, options_.ttl)) {
        take(*got, asked_at, nullptr);
        return true;
    }
    if (!requested_[route]) {
        store_.requestLease(route, holder_);
        requested_[route] = true;
    }
    return false;
}

bool RouteLeases::mayWrite(const std::string& route) const {
    const std::lock_guard<std::mutex> lock(mutex_);
    const auto it = held_.find(route);
    if (it == held_.end()) return false;
    const auto margin = options_.ttl - options_.ttl / 5;
    return clock_.now() < it->second.renewed_at + margin;
}

void RouteLeases::checkWritable(const std::string& route) const {
    if (mayWrite(route)) return;
    throw state::StateError(state::StateError::Kind::Fenced,
                            "route '" + route +
                                "': this daemon no longer holds a lease it can prove (not "
                                "renewed within lease_ttl); the write was not sent");
}

std::vector<std::string> RouteLeases::held() const {
    const std::lock_guard<std::mutex> lock(mutex_);
    std::vector<std::string> routes;
    for (const auto& route : options_.routes) {
        if (held_.count(route) != 0) routes.push_back(route);
    }
    for (const auto& [route, held] : held_) {
        if (std::find(routes.begin(), routes.end(), route) == routes.end()) routes.push_back(route);
    }
    return routes;
}

std::optional<state::Lease> RouteLeases::lease(const std::string& route) const {
    const std::lock_guard<std::mutex> lock(mutex_);
    const auto it = held_.find(route);
    if (it == held_.end()) return std::nullopt;
    return it->second.lease;
}

LeaseCluster RouteLeases::cluster() const {
    const std::lock_guard<std::mutex> lock(mutex_);
    return {holder_, live_nodes_, share_, held_.size()};
}

bool RouteLeases::holderIsGone(const std::string& holder) const {
    // Only where every holder is on this host for sure: one state file. Hosts sharing a
    // database may share a name too, and another host's pid says nothing here.
    if (options_.spread) return false;
    const auto parts = split(holder, '/');
    if (parts.size() != 4 || parts[1] != host_) return false;
    int pid = 0;
    if (!Poco::NumberParser::tryParse(parts[2], pid) || pid <= 0 || pid == ::getpid()) {
        return false;
    }
    return ::kill(pid, 0) != 0 && errno == ESRCH;
}

}  // namespace soar::sync
