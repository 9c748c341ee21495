#include "PoisonTracker.h"

#include "PassScope.h"

#include <utility>

namespace soar::sync {
namespace {

/// Passes looked back in the pass log for the last one with a write, after a restart.
constexpr std::size_t kPassesLookedBack = 50;

}  // namespace

PoisonTracker::PoisonTracker(state::Store& store, state::RouteTarget key, int poison_passes)
    : store_(store), key_(std::move(key)), poison_passes_(poison_passes) {}

void PoisonTracker::load() {
    if (loaded_) return;
    for (const auto& strike : store_.strikes(key_)) struck_.insert(strike.source_id);
    for (const auto& pass : store_.recentPasses(key_, kPassesLookedBack)) {
        if (!wroteAny(pass.counts)) continue;
        const auto at = Timestamp::parse(pass.started_at);
        if (at && (!last_write_pass_ || *at > *last_write_pass_)) last_write_pass_ = at;
    }
    loaded_ = true;
}

void PoisonTracker::succeeded(std::int64_t source_id, bool wrote,
                              const std::string& pass_started_at) {
    bool clear = false;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        load();
        if (wrote) {
            const auto at = Timestamp::parse(pass_started_at);
            if (at && (!last_write_pass_ || *at > *last_write_pass_)) last_write_pass_ = at;
        }
        clear = struck_.erase(source_id) != 0;
    }
    if (clear) (void)store_.clearStrike(key_, source_id);
}

std::optional<std::int64_t> PoisonTracker::struck(std::int64_t source_id,
                                                  const std::string& pass_started_at,
                                                  Target& target) {
    std::int64_t strikes = 0;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        load();
        const auto strike = store_.addStrike(key_, source_id, pass_started_at);
        struck_.insert(source_id);
        strikes = strike.passes;
        // No write accepted since the first 500: the target may refuse every write.
        const auto first = Timestamp::parse(strike.first_pass_at);
        if (!last_write_pass_ || !first || *last_write_pass_ < *first) return std::nullopt;
    }
    if (strikes < poison_passes_) return std::nullopt;
    try {
        target.ping();
    } catch (...) {
        return std::nullopt;  // the target is failing, not the record
    }
    {
        std::lock_guard<std::mutex> lock(mutex_);
        struck_.erase(source_id);
    }
    (void)store_.clearStrike(key_, source_id);
    return strikes;
}

}  // namespace soar::sync
