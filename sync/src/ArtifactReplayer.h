#pragma once

/// ArtifactReplayer: the artifacts of one container onto its copy. Each is mapped and
/// compared by content hash with its stored mapping: unchanged, updated, or created in
/// batches. Without a mapping, a copy is first looked for by its sdi on the target (SOAR does
/// not deduplicate artifacts), unless soar-sync just created the container. A refused
/// artifact is dead-lettered (a whole batch refused is retried one at a time, so only the bad
/// ones are); a 404 on update means the target lost it, so it is created again.
///
/// Thread safety: one object per container replay.

#include "PassScope.h"

#include <map>
#include <optional>
#include <unordered_map>
#include <vector>

namespace soar::sync {

class ArtifactReplayer {
public:
    /// `fresh`: the container copy was just created (no copies to look for).
    ArtifactReplayer(PassScope& pass, std::int64_t source_container, std::int64_t target_container,
                     bool fresh, Replayed& out);

    /// Replays every artifact of the container (`prefetched` when read ahead, otherwise
    /// read now). Returns false when any was dead-lettered.
    [[nodiscard]] bool run(std::optional<std::vector<SourceItem>> prefetched);

private:
    struct Pending {
        std::int64_t source_id = 0;
        Record mapped;
        std::string hash;
        std::optional<std::string> update_time;
    };

    void replayOne(const SourceItem& artifact);
    void update(const Pending& a, std::int64_t target_id);
    void written(const Pending& a, std::int64_t target_id);
    void flush();

    PassScope& pass_;
    std::int64_t source_container_;
    std::int64_t target_container_;
    bool fresh_;
    Replayed& out_;
    std::unordered_map<std::int64_t, state::ArtifactMapping> known_;
    std::optional<std::map<std::string, std::int64_t>> copies_by_sdi_;
    std::vector<Pending> to_create_;
    bool all_ok_ = true;
};

}  // namespace soar::sync
