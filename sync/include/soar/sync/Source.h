#pragma once

/// Source: the engine's seam to the instance a route reads (design.md §5, "Finding what
/// changed"). The engine asks for change streams, a container by id and the records of a
/// container, as typed records; it never builds a path, a filter or a page number.
/// SoarSource (SoarAdapter.h) implements it on the REST client; tests use FakeSource.
///
/// Errors: the types of soar/client/Errors.h (a record without a numeric id is a
/// ProtocolError). Thread safety: implementations may be called from many threads at once.
/// Records (`body`) are owned by the caller once returned and are not shared between threads.

#include "soar/client/Paging.h"
#include "soar/client/SoarApi.h"
#include "soar/state/Records.h"
#include "soar/sync/Workbook.h"

#include <Poco/JSON/Array.h>

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace soar::sync {

/// A container as the source holds it: its id, its change times (null where SOAR writes
/// null), its artifact count when the source said, and the whole record.
struct SourceContainer {
    std::int64_t id = 0;
    std::optional<std::string> create_time;
    /// `container_update_time`: null on a container never edited.
    std::optional<std::string> update_time;
    std::optional<std::string> artifact_update_time;
    std::optional<std::int64_t> artifact_count;
    Record body;
    /// Set when the source's answer could not be read (the walk isolated this record; see
    /// keysetWalk): why. `body` then holds only the id and the change time.
    std::optional<std::string> unreadable;
};

/// An artifact, note, comment, vault file (container attachment) or workbook task of a
/// container.
struct SourceItem {
    state::RecordKind kind = state::RecordKind::Artifact;
    std::int64_t id = 0;
    /// The source container it belongs to.
    std::int64_t container = 0;
    /// When it last changed: `update_time` (artifact), `modified_time` (note), `time`
    /// (comment, which never changes), `create_time` (file, which never changes either),
    /// `modified_time` (workbook task).
    std::optional<std::string> changed;
    Record body;
    /// As SourceContainer::unreadable; `container` is 0 when it could not be read either.
    std::optional<std::string> unreadable;
};

/// A record met in a change stream, with the position a commit may checkpoint once it and
/// everything before it is done.
template <class T>
struct StreamEntry {
    T record;
    KeysetCursor position;
    /// Its share of the answer it was read in (bytes / records): what holding it costs,
    /// roughly, so that big records are not read far ahead of the workers.
    std::size_t bytes = 0;
};

using ContainerPage = std::vector<StreamEntry<SourceContainer>>;
using ItemPage = std::vector<StreamEntry<SourceItem>>;

/// How a walk ended: where a later walk resumes (equal to the start when nothing was found),
/// and whether the page callback stopped it.
struct WalkEnd {
    KeysetCursor end;
    bool stopped = false;
};

/// What a walk reports besides its pages: how many records its first page counted.
using CountCallback = std::function<void(std::int64_t count)>;

/// The record kind a stream carries: containers for the three container streams, notes,
/// comments or files for theirs.
[[nodiscard]] state::RecordKind streamKind(state::Stream stream);
/// The change time a stream follows, as SOAR names it (`create_time`, ...), for logs and the
/// live status.
[[nodiscard]] const char* streamField(state::Stream stream);

class Source {
public:
    virtual ~Source() = default;

    /// Walks a container stream (ContainersCreated, ContainersUpdated, Artifacts) of the
    /// route's containers in ascending order of its change time, from `start`, a page at a
    /// time; `on_page` may move the entries out and returns false to stop.
    virtual WalkEnd walkContainers(state::Stream stream, const KeysetCursor& start,
                                   const std::function<bool(ContainerPage&)>& on_page,
                                   const CountCallback& on_count) = 0;
    /// The same for the Notes, Comments and Attachments streams (of every container: the
    /// engine keeps those of containers it copied).
    virtual WalkEnd walkItems(state::Stream stream, const KeysetCursor& start,
                              const std::function<bool(ItemPage&)>& on_page,
                              const CountCallback& on_count) = 0;
    /// The newest change time of the stream on the source now (of the route's containers);
    /// nullopt when no record has one.
    [[nodiscard]] virtual std::optional<std::string> newest(state::Stream stream) = 0;

    /// A container by id; nullopt when the source has none.
    [[nodiscard]] virtual std::optional<SourceContainer> container(std::int64_t id) = 0;
    /// Which of these container ids the source still has, whatever the route's filters (one
    /// request for up to `page_size` ids).
    [[nodiscard]] virtual std::set<std::int64_t> existing(const std::vector<std::int64_t>& ids) = 0;
    /// The container an artifact, note or comment belongs to; nullopt when it is gone.
    [[nodiscard]] virtual std::optional<std::int64_t> containerOf(state::RecordKind kind,
                                                                  std::int64_t id) = 0;
    /// Every artifact, note, comment or file (`kind`) of a container in id order, one at a
    /// time.
    virtual void forEachItem(state::RecordKind kind, std::int64_t container,
                             const std::function<void(SourceItem&)>& each) = 0;
    /// The artifacts of several containers read together: `expected` maps each container to
    /// the artifact count its record gave. A container comes back only when exactly that many
    /// were read for it (one whose artifacts changed since is left out: read it with
    /// forEachItem).
    [[nodiscard]] virtual std::map<std::int64_t, std::vector<SourceItem>> artifactsOf(
        const std::map<std::int64_t, std::int64_t>& expected) = 0;
    /// The vault file with SHA-1 `sha1` streamed into the file `path` (created or truncated),
    /// never held whole in memory; returns its size. Bytes of another SHA-1 are a
    /// ProtocolError, more than `max_bytes` a RecordError 413 (`path` removed either way).
    virtual std::uint64_t downloadFile(const std::string& sha1, const std::string& path,
                                       std::uint64_t max_bytes) = 0;
    /// The username of a user of the source; nullopt when it has no such user.
    [[nodiscard]] virtual std::optional<std::string> userName(std::int64_t id) = 0;

    /// A case's workbook: its phases with their tasks, in order (empty when it has none).
    [[nodiscard]] virtual Workbook workbook(std::int64_t container) = 0;
    /// The name of a workbook template; nullopt when the source has no such template.
    [[nodiscard]] virtual std::optional<std::string> templateName(std::int64_t id) = 0;
    /// The notes of a workbook task in id order (they are not among the container's notes).
    virtual void forEachTaskNote(std::int64_t task,
                                 const std::function<void(SourceItem&)>& each) = 0;
    /// The rows of the custom list of that name (each row an array of simple values); nullopt
    /// when the source has no such list.
    [[nodiscard]] virtual std::optional<Poco::JSON::Array::Ptr> readList(
        const std::string& name) = 0;
};

}  // namespace soar::sync
