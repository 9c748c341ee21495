#pragma once

/// AttachmentReplayer: a container's vault files onto its copy (design.md §5, "Complete
/// copies"). A file is known by its SHA-1 (its vault id, the same on every instance): one the
/// copy already has is adopted, not uploaded again (SOAR may attach the same bytes twice), so
/// a lost state file costs a listing, not a duplicate. Otherwise its bytes are streamed from
/// the source into a scratch file while their SHA-1 is checked, and attached to the copy from
/// that file: memory does not grow with the file. A file above the route's
/// `attachment_max_size` is dead-lettered with its size and the limit, without a download;
/// one the source or the target refuses, with their message. Files never change: a mapped
/// file is not looked at again, except on a forced pass.
///
/// Thread safety: one object per container replay.

#include "PassScope.h"

#include <map>
#include <optional>
#include <string>

namespace soar::sync {

class AttachmentReplayer {
public:
    /// `fresh`: the container copy was just created (it has no files yet).
    AttachmentReplayer(PassScope& pass, std::int64_t source_container,
                       std::int64_t target_container, bool fresh, Replayed& out);

    /// Copies every file of the container not copied yet (every one, on a forced pass).
    void all();
    /// Copies one file met in its own stream; `known` is its stored mapping. A file
    /// dead-lettered before is left to retry-dead (it cannot have changed).
    void one(const SourceItem& file, const std::optional<state::NoteMapping>& known);

private:
    void replay(const SourceItem& file, const std::optional<state::NoteMapping>& known);
    /// The files of the copy by SHA-1, read once (none when `fresh`).
    std::map<std::string, std::int64_t>& copies();

    PassScope& pass_;
    std::int64_t source_container_;
    std::int64_t target_container_;
    bool fresh_;
    Replayed& out_;
    std::optional<std::map<std::string, std::int64_t>> copies_;
};

}  // namespace soar::sync
