#include "Pass.h"

#include <algorithm>

namespace soar::sync {
namespace {

/// What identifies the version of a container that was replayed.
std::string versionOf(const SourceContainer& c) {
    return c.update_time.value_or("-") + "|" + c.artifact_update_time.value_or("-");
}

}  // namespace

Pass::Pass(PassScope& scope, WorkerPool& pool, PoisonTracker& poison)
    : scope_(scope),
      replayer_(scope, prefetcher_, poison),
      queue_(scope, pool, scope.options.in_flight, scope.route.page_size),
      progress_(scope.key, scope.logger, *scope.options.clock, scope.options.progress_interval,
                scope.started) {
    for (const auto& letter : scope_.store.deadLetters(scope_.key)) {
        scope_.dead_letters.insert(letter.kind, letter.source_id);
    }
    scope_.live.update([&](LiveStatus& live) {
        live = LiveStatus{};
        live.running = true;
        live.started_at = scope_.started_at;
    });
}

Pass::~Pass() {
    queue_.drain();
    scope_.live.update([](LiveStatus& live) {
        live.running = false;
        live.activity.clear();
    });
}

void Pass::counted(std::size_t records) {
    seen_ += static_cast<std::int64_t>(records);
    const auto seen = seen_.load();
    const auto total = std::max<std::int64_t>(total_.load(), seen);
    scope_.live.update([&](LiveStatus& live) {
        live.seen = seen;
        live.total = total;
    });
    progress_.tick(queue_.counts());
}

void Pass::walk(state::Stream stream, const KeysetCursor& start, std::optional<KeysetCursor> stored,
                bool commit_cursor) {
    queue_.beginStream(stream, commit_cursor, stored);
    scope_.live.update(
        [&](LiveStatus& live) { live.activity = std::string("walking ") + streamField(stream); });
    const auto on_count = [this](std::int64_t count) { total_ = seen_ + count; };
    const auto skip_refused = commit_cursor && !scope_.force ? stored : std::nullopt;
    WalkEnd end;
    try {
        if (streamKind(stream) == state::RecordKind::Container) {
            end = scope_.source.walkContainers(
                stream, start,
                [&](ContainerPage& page) {
                    counted(page.size());
                    const auto known = mappingsOf(page);
                    const auto buried = buriedOf(page, known);
                    if (scope_.route.artifacts) {
                        prefetcher_.prefetch(scope_.source, page, known, scope_.force);
                    }
                    for (auto& entry : page) {
                        if (!submitContainer(std::move(entry), &known, &buried, skip_refused)) {
                            return false;
                        }
                    }
                    return true;
                },
                on_count);
        } else {
            end = scope_.source.walkItems(
                stream, start,
                [&](ItemPage& page) {
                    counted(page.size());
                    for (auto& entry : page) {
                        if (!submitItem(std::move(entry))) return false;
                    }
                    return true;
                },
                on_count);
        }
    } catch (...) {
        queue_.fail(std::current_exception());
    }
    queue_.drain();
    // The walk ran to its end and every container finished: the cursor moves past the last
    // group read (or stays, when nothing was found).
    if (!end.stopped && !queue_.stopped()) queue_.finishStream(end.end);
}

bool Pass::replayId(std::int64_t source_id) {
    auto container = scope_.source.container(source_id);
    if (!container) return false;
    counted(1);
    submitContainer({std::move(*container), KeysetCursor{}, 0}, nullptr, nullptr, std::nullopt);
    return true;
}

Pass::Mappings Pass::mappingsOf(const ContainerPage& page) {
    Mappings known;
    if (scope_.force || page.empty()) return known;
    std::vector<std::int64_t> ids;
    ids.reserve(page.size());
    for (const auto& entry : page) ids.push_back(entry.record.id);
    for (auto& m : scope_.store.findContainerMappings(scope_.key, ids)) {
        const auto id = m.source_id;
        known.emplace(id, std::move(m));
    }
    return known;
}

Pass::Buried Pass::buriedOf(const ContainerPage& page, const Mappings& known) {
    if (scope_.force) return {};
    std::vector<std::int64_t> ids;
    for (const auto& entry : page) {
        if (known.count(entry.record.id) == 0) ids.push_back(entry.record.id);
    }
    if (ids.empty()) return {};
    return scope_.store.tombstonesOf(scope_.key, ids);
}

bool Pass::submitContainer(StreamEntry<SourceContainer> entry, const Mappings* known,
                           const Buried* buried, const std::optional<KeysetCursor>& stored) {
    auto& container = entry.record;
    const auto& position = entry.position;
    const auto id = container.id;
    bool written_already = false;
    if (!scope_.force && known) {
        const auto m = known->find(id);
        written_already = m != known->end() && m->second.create_time == container.create_time &&
                          m->second.container_update_time == container.update_time &&
                          m->second.artifact_update_time == container.artifact_update_time;
    }
    // A dead-lettered container met again in the lookback overlap (at or before the stored
    // cursor) has not changed since it was refused: retry-dead re-drives it.
    const bool refused_before = stored && compare(position, *stored) <= 0 &&
                                scope_.dead_letters.contains(state::RecordKind::Container, id);
    // A copy soar-sync made from this route's target (a reverse route's copy, say dr -> hq
    // meeting hq's containers copied to dr) is never replayed back: copies never bounce.
    const bool copy_of_target =
        container.body && container.body->optValue<std::string>("source_data_identifier", "")
                                  .rfind("soar-sync:" + scope_.key.target + ":", 0) == 0;
    const auto version = versionOf(container);
    bool queued_before = false;
    {
        std::lock_guard<std::mutex> lock(versions_mutex_);
        const auto done = versions_.find(id);
        queued_before = !scope_.force && done != versions_.end() && done->second == version;
        if (!written_already && !refused_before && !queued_before && !copy_of_target) {
            versions_[id] = version;
        }
    }
    if (written_already || refused_before || queued_before || copy_of_target) {
        prefetcher_.drop(id);
        return queue_.skip(position);
    }
    // The mapping read with the page is the one to compare with (a container is met once per
    // walk, and streams do not overlap); a forced pass or a replay by id reads it afresh.
    std::optional<StoredCopy> stored_copy;
    if (known && !scope_.force) {
        StoredCopy copy;
        if (const auto m = known->find(id); m != known->end()) {
            copy.mapping = m->second;
        } else if (buried) {
            if (const auto t = buried->find(id); t != buried->end()) copy.tombstones = t->second;
        }
        stored_copy = std::move(copy);
    }
    return queue_.submit(
        id, position, entry.bytes, [this, container = std::move(container), stored_copy] {
            Replayed replayed = replayer_.replay(container, stored_copy ? &*stored_copy : nullptr);
            // A replay that wrote everything leaves its version in the stored mapping, which a
            // later stream reads; one with refused records stays here, so that later streams of
            // this pass do not retry them again.
            if (replayed.counts.errors == 0) {
                std::lock_guard<std::mutex> lock(versions_mutex_);
                versions_.erase(container.id);
            }
            return replayed;
        });
}

bool Pass::submitItem(StreamEntry<SourceItem> entry) {
    const auto container = entry.record.container;
    return queue_.submit(
        container, entry.position, entry.bytes,
        [this, item = std::move(entry.record)] { return replayer_.replayItem(item); });
}

PassResult Pass::result() {
    queue_.drain();
    auto result = makeResult(queue_.counts(), queue_.error(), scope_.cancelled(),
                             std::chrono::duration_cast<std::chrono::milliseconds>(
                                 scope_.options.clock->now() - scope_.started));
    result.seen = seen_;
    return result;
}

}  // namespace soar::sync
