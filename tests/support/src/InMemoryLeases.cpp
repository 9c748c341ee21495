// InMemoryStore's LeaseStore: route leases and fencing on plain maps (see LeaseStore.h).

#include "soar/state/StateError.h"
#include "support/InMemoryStore.h"

#include <chrono>

namespace soar::test {

using state::Lease;
using state::LeaseNode;
using state::StateError;

std::int64_t InMemoryStore::nowMs() const {
    if (lease_clock_) return lease_clock_();
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

void InMemoryStore::setLeaseClock(std::function<std::int64_t()> clock) {
    std::lock_guard<std::mutex> lock(mutex_);
    lease_clock_ = std::move(clock);
}

std::int64_t InMemoryStore::leaseClockMs() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return nowMs();
}

void InMemoryStore::checkFence(const std::string& route) const {
    const auto fence = fences_.find(route);
    if (fence == fences_.end()) return;
    const auto stored = leases_.find(route);
    if (stored != leases_.end() && stored->second.holder == fence->second.holder &&
        stored->second.epoch == fence->second.epoch) {
        return;
    }
    throw StateError(
        StateError::Kind::Fenced,
        "route '" + route + "': the lease of epoch " + std::to_string(fence->second.epoch) +
            " was lost" +
            (stored == leases_.end() ? std::string()
                                     : " (now held by " + stored->second.holder + " at epoch " +
                                           std::to_string(stored->second.epoch) + ")") +
            "; nothing was written");
}

std::optional<Lease> InMemoryStore::acquireLease(const std::string& route,
                                                 const std::string& holder,
                                                 std::chrono::milliseconds ttl) {
    std::lock_guard<std::mutex> lock(mutex_);
    const auto now = nowMs();
    auto& lease = leases_[route];
    lease.route = route;
    if (lease.holder == holder && lease.expires_ms > now) {
        lease.expires_ms = now + ttl.count();
    } else {
        if (lease.expires_ms > now) return std::nullopt;  // another holder's live tenure
        const bool reserved = !lease.wanted_by.empty() && lease.wanted_by != holder &&
                              lease.wanted_ms + ttl.count() > now;
        if (reserved) return std::nullopt;
        lease.holder = holder;
        ++lease.epoch;
        lease.acquired_ms = now;
        lease.expires_ms = now + ttl.count();
    }
    if (lease.wanted_by == holder) {
        lease.wanted_by.clear();
        lease.wanted_ms = 0;
    }
    return lease;
}

std::optional<Lease> InMemoryStore::renewLease(const Lease& held, std::chrono::milliseconds ttl) {
    std::lock_guard<std::mutex> lock(mutex_);
    const auto it = leases_.find(held.route);
    if (it == leases_.end() || it->second.holder != held.holder || it->second.epoch != held.epoch) {
        return std::nullopt;
    }
    it->second.expires_ms = nowMs() + ttl.count();
    return it->second;
}

void InMemoryStore::releaseLease(const Lease& held) {
    std::lock_guard<std::mutex> lock(mutex_);
    const auto it = leases_.find(held.route);
    if (it == leases_.end() || it->second.holder != held.holder || it->second.epoch != held.epoch) {
        return;
    }
    it->second.expires_ms = nowMs();
}

void InMemoryStore::requestLease(const std::string& route, const std::string& requester) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto& lease = leases_[route];
    lease.route = route;
    lease.wanted_by = requester;
    lease.wanted_ms = nowMs();
}

std::vector<Lease> InMemoryStore::leases() const {
    std::lock_guard<std::mutex> lock(mutex_);
    std::vector<Lease> out;
    for (const auto& [route, lease] : leases_) out.push_back(lease);
    return out;
}

void InMemoryStore::heartbeat(const std::string& holder, std::chrono::milliseconds ttl) {
    std::lock_guard<std::mutex> lock(mutex_);
    const auto now = nowMs();
    nodes_[holder] = LeaseNode{holder, now, now + ttl.count()};
}

void InMemoryStore::forgetNode(const std::string& holder) {
    std::lock_guard<std::mutex> lock(mutex_);
    nodes_.erase(holder);
}

std::vector<LeaseNode> InMemoryStore::liveNodes() const {
    std::lock_guard<std::mutex> lock(mutex_);
    const auto now = nowMs();
    std::vector<LeaseNode> out;
    for (const auto& [holder, node] : nodes_) {
        if (node.expires_ms > now) out.push_back(node);
    }
    return out;
}

void InMemoryStore::fence(const Lease& lease) {
    std::lock_guard<std::mutex> lock(mutex_);
    fences_[lease.route] = lease;
}

void InMemoryStore::unfence(const std::string& route) {
    std::lock_guard<std::mutex> lock(mutex_);
    fences_.erase(route);
}

}  // namespace soar::test
