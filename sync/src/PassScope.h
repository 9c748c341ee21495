#pragma once

/// What every part of one pass shares: the route, the seams, the store, whether the pass
/// forces writes (resync, retry-dead), the stop flag, the live status it publishes, and the
/// dead letters of the (route, target). Plus `Replayed`, what one container's replay hands
/// to the commit.
///
/// Thread safety: the references are to thread-safe objects; DeadLetterSet and LiveBoard
/// lock themselves. Ownership: borrows everything; lives as long as the pass.

#include "Lookback.h"
#include "OwnerMap.h"
#include "soar/client/Clock.h"
#include "soar/client/Paging.h"
#include "soar/state/Records.h"
#include "soar/state/Store.h"
#include "soar/sync/LiveStatus.h"
#include "soar/sync/MirrorSide.h"
#include "soar/sync/PlaybookTracker.h"
#include "soar/sync/RecordMapper.h"
#include "soar/sync/RouteConfig.h"
#include "soar/sync/Source.h"
#include "soar/sync/Target.h"
#include "soar/sync/TargetSync.h"

#include <atomic>
#include <chrono>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <utility>

namespace Poco {
class Logger;
}

namespace soar::sync {

class FieldMirror;

/// The dead letters of a (route, target) as a pass knows them: read once when it starts,
/// plus those it refuses.
class DeadLetterSet {
public:
    void insert(state::RecordKind kind, std::int64_t id) {
        std::lock_guard<std::mutex> lock(mutex_);
        refs_.insert({kind, id});
    }
    [[nodiscard]] bool contains(state::RecordKind kind, std::int64_t id) const {
        std::lock_guard<std::mutex> lock(mutex_);
        return refs_.count({kind, id}) != 0;
    }

private:
    mutable std::mutex mutex_;
    std::set<std::pair<state::RecordKind, std::int64_t>> refs_;
};

/// The running pass's LiveStatus, published for readers on other threads.
class LiveBoard {
public:
    [[nodiscard]] LiveStatus get() const {
        std::lock_guard<std::mutex> lock(mutex_);
        return status_;
    }
    template <class Change>
    void update(Change&& change) {
        std::lock_guard<std::mutex> lock(mutex_);
        change(status_);
    }

private:
    mutable std::mutex mutex_;
    LiveStatus status_;
};

/// Whether a new container takes its artifacts along in its create (the engine's, kept across
/// passes): yes until the target has, three times in a row, refused a create with artifacts
/// and then taken the same container without them and the same artifacts in a batch. A
/// target that takes no artifacts inside a create then costs one refused request three times,
/// not on every new container.
class EmbedPolicy {
public:
    [[nodiscard]] bool on() const { return refusals_.load() < kRefusals; }
    void accepted() { refusals_.store(0); }
    /// Returns true when this refusal turned embedding off.
    bool refused() { return refusals_.fetch_add(1) + 1 == kRefusals; }

private:
    static constexpr int kRefusals = 3;
    std::atomic<int> refusals_{0};
};

struct PassScope {
    const RouteConfig& route;
    const TargetSyncOptions& options;
    const state::RouteTarget& key;
    Source& source;
    Target& target;
    state::Store& store;
    const RecordMapper& mapper;
    Poco::Logger& logger;
    LiveBoard& live;
    /// Write everything again whatever the stored hashes say (resync, retry-dead).
    bool force = false;
    const std::atomic<bool>* stop = nullptr;
    /// When the pass started, on the wall clock as stored and on the steady clock.
    std::string started_at;
    std::chrono::steady_clock::time_point started;
    DeadLetterSet dead_letters;
    /// Owners by username (`owner_map = by_name`); nullptr when owners are not copied.
    OwnerMap* owners = nullptr;
    /// Two-way routes: both instances as mirroring sees them (nullptr on a one-way route), and
    /// the container fields settled between them (nullptr when none flows back).
    MirrorSide* source_side = nullptr;
    MirrorSide* target_side = nullptr;
    FieldMirror* fields = nullptr;
    /// Where each stream's walk starts (the engine's, kept across passes).
    Lookback* lookback = nullptr;
    /// Whether new containers take their artifacts along (the engine's); nullptr: never.
    EmbedPolicy* embed = nullptr;

    [[nodiscard]] bool cancelled() const { return stop != nullptr && stop->load(); }
    /// The clock's wall time as the store keeps it.
    [[nodiscard]] std::string now() const;
    /// "route <name> -> <target>: "
    [[nodiscard]] std::string where() const;
};

/// What one container's replay wrote, to commit once the target accepted it: its unit of
/// work (mappings, resolved and new dead letters, the playbook intent), its counts, and the
/// playbook run to start after the commit.
struct Replayed {
    state::UnitOfWork unit;
    state::PassCounts counts;
    std::optional<PlaybookTrigger> trigger;

    /// A record of this container the target refused: dead-lettered with the unit.
    void refuse(PassScope& pass, state::RecordKind kind, std::int64_t source_id,
                std::string message);
    /// A record written: its dead letter, if it had one, is resolved with the unit.
    void resolve(const PassScope& pass, state::RecordKind kind, std::int64_t source_id);
    /// Whether the target accepted a write.
    [[nodiscard]] bool wrote() const;
};

/// Whether counts include a write the target accepted.
[[nodiscard]] bool wroteAny(const state::PassCounts& c);

class RecordError;
/// The target's own message of a refusal (the error's text when it gave none).
[[nodiscard]] std::string refusalMessage(const RecordError& e);

/// Orders walk positions: by timestamp (parsed, so `Z` and `+00:00` compare right), then id.
[[nodiscard]] int compare(const KeysetCursor& a, const KeysetCursor& b);

}  // namespace soar::sync
