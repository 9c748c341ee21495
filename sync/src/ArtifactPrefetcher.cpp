#include "ArtifactPrefetcher.h"

#include "soar/client/Errors.h"

#include <map>

namespace soar::sync {

void ArtifactPrefetcher::prefetch(Source& source, const ContainerPage& page, const Mappings& known,
                                  bool force) {
    std::map<std::int64_t, std::int64_t> expected;
    std::vector<std::int64_t> none;  // counted no artifacts and never had any
    for (const auto& entry : page) {
        const auto& c = entry.record;
        if (!c.artifact_count || *c.artifact_count < 0) continue;
        const auto mapping = known.find(c.id);
        if (!force && mapping != known.end() &&
            mapping->second.artifact_update_time == c.artifact_update_time) {
            continue;  // artifacts unchanged: the replay reads none
        }
        // A container that counts none but has had some is asked too, to check its count.
        if (*c.artifact_count == 0 && !c.artifact_update_time) {
            none.push_back(c.id);
        } else {
            expected[c.id] = *c.artifact_count;
        }
    }
    std::map<std::int64_t, std::vector<SourceItem>> found;
    try {
        if (!expected.empty()) found = source.artifactsOf(expected);
    } catch (const UnreadablePage&) {
        // Some artifact of these containers cannot be read: each replay reads its own
        // container's artifacts, so the one it belongs to is found and dead-lettered alone.
        found.clear();
    }
    std::lock_guard<std::mutex> lock(mutex_);
    for (const auto id : none) read_[id];
    for (auto& [id, artifacts] : found) read_[id] = std::move(artifacts);
}

std::optional<std::vector<SourceItem>> ArtifactPrefetcher::take(std::int64_t container) {
    std::lock_guard<std::mutex> lock(mutex_);
    const auto found = read_.find(container);
    if (found == read_.end()) return std::nullopt;
    auto artifacts = std::move(found->second);
    read_.erase(found);
    return artifacts;
}

void ArtifactPrefetcher::drop(std::int64_t container) {
    std::lock_guard<std::mutex> lock(mutex_);
    read_.erase(container);
}

}  // namespace soar::sync
