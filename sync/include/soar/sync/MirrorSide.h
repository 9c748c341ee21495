#pragma once

/// MirrorSide: what a two-way route (design.md §5, "Two-way without loops") needs of each of
/// its instances besides the one-way seams: on a target, the copies and the notes and comments
/// that changed there; on either side, a container as it stands, a partial write to it, notes
/// and comments written back, the statuses it knows and its users. The same interface serves
/// both sides, since what flows back is the one-way path the other way round.
/// SoarMirrorSide (SoarAdapter.h) implements it on the REST client; the fakes implement it too.
///
/// Errors: the types of soar/client/Errors.h (a refused write is a RecordError). Thread
/// safety: implementations may be called from many threads at once.

#include "soar/client/Paging.h"
#include "soar/client/SoarApi.h"
#include "soar/state/Records.h"
#include "soar/sync/Source.h"

#include <Poco/JSON/Object.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace soar::sync {

/// A container status an instance knows: its name and its `status_type` (`new`, `open` or
/// `resolved`).
struct StatusInfo {
    std::string name;
    std::string type;
};

class MirrorSide {
public:
    virtual ~MirrorSide() = default;

    /// Walks the containers whose `source_data_identifier` starts with `sdi_prefix` (the copies
    /// one route made here) in ascending order of `container_update_time`, from `start`, a
    /// page at a time; `on_page` returns false to stop.
    virtual WalkEnd walkCopies(const std::string& sdi_prefix, const KeysetCursor& start,
                               const std::function<bool(ContainerPage&)>& on_page) = 0;
    /// Walks the notes (`kind` Note, by `modified_time`), comments (Comment, by `time`) or
    /// workbook tasks (Task, by `modified_time`) of every container, from `start`.
    virtual WalkEnd walkChanged(state::RecordKind kind, const KeysetCursor& start,
                                const std::function<bool(ItemPage&)>& on_page) = 0;
    /// The newest `container_update_time` of the copies with that prefix, or the newest change
    /// time of notes or comments (`kind`), now; nullopt when there is none.
    [[nodiscard]] virtual std::optional<std::string> newest(state::RecordKind kind,
                                                            const std::string& sdi_prefix) = 0;

    /// A container as it stands; nullopt when there is none.
    [[nodiscard]] virtual std::optional<SourceContainer> readContainer(std::int64_t id) = 0;
    /// Writes the given fields of a container (status, severity, sensitivity, owner_id, tags).
    virtual void writeContainer(std::int64_t id, const Poco::JSON::Object& fields) = 0;
    /// Adds a note (`kind` Note) or comment (Comment): its id. Never deduplicated.
    [[nodiscard]] virtual std::int64_t addNote(state::RecordKind kind,
                                               const Poco::JSON::Object& body) = 0;
    /// Each note (`kind` Note) or comment (Comment) of a container, in id order: its id and
    /// its text (`content` or `comment`).
    virtual void forEachNote(
        state::RecordKind kind, std::int64_t container,
        const std::function<void(std::int64_t id, const std::string& text)>& each) = 0;
    /// Rewrites a note's title and content.
    virtual void editNote(std::int64_t id, const Poco::JSON::Object& fields) = 0;
    /// Writes fields of a workbook task (`status`, with its closing `note`).
    virtual void writeTask(std::int64_t id, const Poco::JSON::Object& fields) = 0;

    /// The container statuses the instance knows, in its order.
    [[nodiscard]] virtual std::vector<StatusInfo> statuses() = 0;
    /// A user's username; nullopt when there is no such user.
    [[nodiscard]] virtual std::optional<std::string> userName(std::int64_t id) = 0;
    /// The id of the user with that username; nullopt when there is none.
    [[nodiscard]] virtual std::optional<std::int64_t> userId(const std::string& username) = 0;
};

}  // namespace soar::sync
