#pragma once

/// ContainerReplayer: one source container onto the target, in one unit of work.
///
/// The container is mapped (RecordMapper) and compared by content hash with its stored
/// mapping: created (a duplicate answer is adopted and brought up to date), updated,
/// re-created when the target lost it (404), or left alone. Its artifacts follow
/// (ArtifactReplayer; the first batch inside the create of a new copy) when it is new to the
/// target, when its `artifact_update_time` moved, or on a forced pass; its files
/// (AttachmentReplayer), notes and comments (NoteReplayer) when it is new to the target. The
/// route's playbook is asked for when the copy was created (or adopted) or its content
/// changed. A record the target refuses is dead-lettered with the unit; a 500 that persists
/// over passes for this container is settled by the PoisonTracker; anything else propagates
/// and stops the pass.
///
/// Thread safety: replay() may run on several workers at once (for different containers).

#include "ArtifactPrefetcher.h"
#include "ArtifactReplayer.h"
#include "PassScope.h"
#include "PoisonTracker.h"

namespace soar::sync {

/// What the store held for a source container: its mapping, and without one how many
/// tombstones its id has (the generation of its next copy is one more).
struct StoredCopy {
    std::optional<state::ContainerMapping> mapping;
    std::int64_t tombstones = 0;
};

class ContainerReplayer {
public:
    ContainerReplayer(PassScope& pass, ArtifactPrefetcher& prefetched, PoisonTracker& poison);

    /// Replays one container; its outcome is to be committed. `stored` is what the walk read
    /// of it with its page (nullptr: read it now). A container the source's answer
    /// could not hold readably (SourceContainer::unreadable) is dead-lettered with the reason,
    /// as is such a note or comment in replayItem().
    [[nodiscard]] Replayed replay(const SourceContainer& source, const StoredCopy* stored);
    /// Replays a note, comment or file met in its own stream, when its container is on the target
    /// (mapped); otherwise it is not this route's, or comes with its container later.
    [[nodiscard]] Replayed replayItem(const SourceItem& item);

private:
    Replayed unreadable(state::RecordKind kind, std::int64_t id, const std::string& reason);
    /// Two-way routes: settles the container's mirrored fields with its copy (FieldMirror).
    /// `whole`: the copy was just written with all of `mapped`, so both sides are known.
    void settle(const SourceContainer& source, std::int64_t target_id, bool whole,
                const Poco::JSON::Object& mapped, Replayed& out);
    /// Creates the container's copy with the artifacts `embedded` in `mapped`, or without
    /// them when the target refuses the two together; fills in what became of them.
    ContainerCreated create(Poco::JSON::Object& mapped, ArtifactReplayer::Embedded& embedded);
    Replayed write(const SourceContainer& source, const StoredCopy& stored);

    PassScope& pass_;
    ArtifactPrefetcher& prefetched_;
    PoisonTracker& poison_;
};

}  // namespace soar::sync
