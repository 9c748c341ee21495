#pragma once

/// ArtifactReplayer: the artifacts of one container onto its copy. Each is mapped and
/// compared by content hash with its stored mapping: unchanged, updated, or created in
/// batches. A container new to the target takes its first batch along in its own create
/// (embed(), soar-api.md §3.2), one request for both; run() then records what the create's
/// answer says became of each, or looks for them by sdi when it does not say. Without a mapping, a
/// copy is first looked for by its sdi on the target (SOAR does not deduplicate artifacts), unless
/// soar-sync just created the container. A refused artifact is dead-lettered (a whole batch refused
/// is retried one at a time, so only the bad ones are); a 404 on update means the target lost it,
/// so it is created again.
///
/// Thread safety: one object per container replay.

#include "PassScope.h"
#include "soar/client/JsonText.h"

#include <map>
#include <optional>
#include <unordered_map>
#include <vector>

namespace soar::sync {

/// An artifact mapped for the target (RecordMapper::artifactText), with its content hash: the
/// text is written once and goes as it is into the bodies that create it.
struct MappedArtifact {
    std::int64_t source_id = 0;
    /// Without `container_id` and `run_automation`.
    std::string text;
    std::string hash;
    std::optional<std::string> update_time;

    /// The body for a create: `text` with `run_automation` false and, unless the artifact
    /// goes inside its container's create, `container_id`.
    [[nodiscard]] JsonFragment body(std::optional<std::int64_t> container) const;
    /// The same body as an object (an update, or a create of one).
    [[nodiscard]] Record object(std::int64_t container) const;
};

class ArtifactReplayer {
public:
    /// Artifacts sent inside their container's create, and what its answer said of them.
    struct Embedded {
        std::vector<MappedArtifact> sent;
        /// One per sent artifact; nullopt when the answer did not say (or none were made).
        std::optional<std::vector<BatchItemResult>> results;
        /// The create may have made them (false: refused with them and sent again without, or
        /// the container was there already).
        bool maybe_made = false;
        /// The target refused the create with them and took the container without: the
        /// target's message.
        std::optional<std::string> refused;
    };

    /// Maps the first of a new container's `artifacts` (at most one batch, taken from the
    /// front) for embedding in its create, and sets them as `container`'s `artifacts`.
    [[nodiscard]] static std::vector<MappedArtifact> embed(PassScope& pass,
                                                           std::vector<SourceItem>& artifacts,
                                                           Poco::JSON::Object& container);

    /// `fresh`: the container copy was just created (no copies to look for).
    ArtifactReplayer(PassScope& pass, std::int64_t source_container, std::int64_t target_container,
                     bool fresh, Replayed& out);

    /// Replays every artifact of the container: those `embedded` in its create first, then the
    /// rest (`prefetched` when read ahead, otherwise read now). Returns false when any was
    /// dead-lettered.
    [[nodiscard]] bool run(std::optional<std::vector<SourceItem>> prefetched, Embedded embedded);

private:
    using Pending = MappedArtifact;

    static Pending map(PassScope& pass, const SourceItem& artifact);
    /// `made_now`: the container's create may just have made this very artifact, so a copy
    /// found by its sdi is it (no update needed).
    void place(Pending a, bool made_now);
    void update(const Pending& a, std::int64_t target_id);
    void written(const Pending& a, std::int64_t target_id);
    void flush();
    /// What a create answered for each of `sent` (as many results): written or dead-lettered.
    void record(const std::vector<Pending>& sent, const std::vector<BatchItemResult>& results);

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
