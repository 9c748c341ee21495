#pragma once

/// ArtifactPrefetcher: reads the artifacts of a page of containers together (one request
/// for many containers, Source::artifactsOf) before the page is replayed, for the containers
/// whose replay will read them: not yet on the target, `artifact_update_time` moved, or a
/// forced pass. The replay of a container takes its artifacts from here, or reads them on its
/// own when they were not prefetched (no usable count, or a count that disagreed).
///
/// Thread safety: prefetch() from the walking thread, take() and drop() from any.

#include "soar/state/Records.h"
#include "soar/sync/Source.h"

#include <cstdint>
#include <mutex>
#include <optional>
#include <unordered_map>
#include <vector>

namespace soar::sync {

class ArtifactPrefetcher {
public:
    using Mappings = std::unordered_map<std::int64_t, state::ContainerMapping>;

    /// Reads ahead the artifacts of `page`'s containers; `known` are their stored mappings.
    void prefetch(Source& source, const ContainerPage& page, const Mappings& known, bool force);
    /// The artifacts read ahead for a container, handed over once.
    [[nodiscard]] std::optional<std::vector<SourceItem>> take(std::int64_t container);
    /// Forgets what was read for a container that is not replayed after all.
    void drop(std::int64_t container);

private:
    std::mutex mutex_;
    std::unordered_map<std::int64_t, std::vector<SourceItem>> read_;
};

}  // namespace soar::sync
