#pragma once

/// FakeSource: an in-memory `sync::Source` for the engine's unit tests (style §2.3, "fakes by
/// nature"). It keeps containers and their artifacts, notes and comments in plain maps, with
/// the change times a test gives them (SOAR's text, `2026-01-01T00:00:00.000000Z`), and
/// answers the seam's questions directly; it never parses a filter.
///
/// Walks behave like `keysetWalk` (soar/client/Paging.h) over the real source: ascending by the
/// stream's time field (compared as timestamps), then by id; strictly after the start position
/// (`KeysetCursor::kWholeGroup` = past the whole group); a record whose field is null is never
/// walked; `pageSize()` records per page, each page read afresh (a record added behind the walk
/// is not met, one added ahead of it is); each entry carries the position `{T, id}` reached
/// after it; a walk that runs to its end ends `after()` its last timestamp, one stopped by its
/// callback at the last position it handed out, one that found nothing at its start.
///
/// Container streams: ContainersCreated by `create_time`, ContainersUpdated by
/// `container_update_time`, Artifacts by `artifact_update_time`; item streams: Notes by the
/// note's `modified_time`, Comments by the comment's `time`, Attachments by the file's
/// `create_time`. Containers pass through an optional
/// route filter (`setFilter`); items are walked whatever their container.
///
/// For tests: counters of calls per method (and walks per stream), and error injection — the
/// next call of a method throws a given exception (`failNext`), or a hook runs before every
/// call and may throw (`setHook`). `Call::WalkPage` is each page a walk reads, so a walk can be
/// failed half-way.
///
/// Thread safety: every method takes one mutex, released while a walk's page callback or an
/// item callback runs (they may call back into the fake). Records handed out are deep copies,
/// owned by the caller. Ownership: owns its records.

#include "soar/client/Paging.h"
#include "soar/state/Records.h"
#include "soar/sync/MirrorSide.h"
#include "soar/sync/Source.h"

#include <Poco/JSON/Object.h>

#include <cstddef>
#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace soar::test {

/// `2026-01-01T00:00:00.000000Z` plus `seconds` (and `micros`), as SOAR writes times.
[[nodiscard]] std::string sourceTime(std::int64_t seconds, std::int64_t micros = 0);
/// The SHA-1 of `bytes` in lower-case hex: a vault id.
[[nodiscard]] std::string sha1Hex(const std::string& bytes);

class FakeSource final : public sync::Source, public sync::MirrorSide {
public:
    /// The seam's methods, for counters and error injection. `WalkPage`: one page read by a
    /// walk (walkContainers or walkItems).
    enum class Call {
        WalkContainers,
        WalkItems,
        WalkPage,
        Newest,
        Container,
        ContainerOf,
        ForEachItem,
        ArtifactsOf,
        DownloadFile,
        UserName,
        Workbook,
        TemplateName,
        TaskNotes,
        WriteContainer,
        AddNote,
        EditNote,
        ForEachNote,
        Statuses,
        UserId,
        WriteTask,
        ReadList,
        Existing,
    };

    explicit FakeSource(std::string instance = "src", std::size_t page_size = 100);
    FakeSource(const FakeSource&) = delete;
    FakeSource& operator=(const FakeSource&) = delete;

    // --- records --------------------------------------------------------------------------

    /// Adds a container created at `create_time`, never edited (`container_update_time`
    /// null), without artifacts (`artifact_update_time` null, `artifact_count` 0): name
    /// `container <id>`, label `events`, severity `medium`, status `new`, no tags. `fields`
    /// (when given) are set over those. `id` 0 = the next free id. Returns the id.
    std::int64_t addContainer(const std::string& create_time,
                              const Poco::JSON::Object::Ptr& fields = nullptr, std::int64_t id = 0);
    /// Edits a container at `update_time` (its `container_update_time`): `edit` changes the
    /// body (may be empty: a touch). Throws std::out_of_range for an unknown id.
    void editContainer(std::int64_t id, const std::string& update_time,
                       const std::function<void(Poco::JSON::Object&)>& edit = {});
    /// Sets one field of a container without touching its change times.
    void setContainerField(std::int64_t id, const std::string& key,
                           const Poco::Dynamic::Var& value);
    /// Removes a container with its artifacts, notes and comments.
    void removeContainer(std::int64_t id);
    /// From now on walks hand the container on as SoarSource does one whose answer cannot be
    /// read: `unreadable` set to `reason`, a body of its id and change times only.
    void makeUnreadable(std::int64_t id, const std::string& reason);

    /// Adds an artifact to a container at `update_time` (also its `create_time`); the
    /// container's `artifact_update_time` becomes the newest of its artifacts' and its
    /// `artifact_count` grows. Name `artifact <id>`, label `events`, a cef with
    /// `sourceAddress`; `fields` set over those. Returns the id.
    std::int64_t addArtifact(std::int64_t container, const std::string& update_time,
                             const Poco::JSON::Object::Ptr& fields = nullptr, std::int64_t id = 0);
    /// Edits an artifact at `update_time` (the container's `artifact_update_time` follows).
    void editArtifact(std::int64_t id, const std::string& update_time,
                      const std::function<void(Poco::JSON::Object&)>& edit = {});

    /// Adds a note (`modified_time` and `create_time` = `time`) with that content. Returns
    /// the id.
    std::int64_t addNote(std::int64_t container, const std::string& time,
                         const std::string& content, const std::string& title = "note");
    /// Edits a note's content at `time` (its `modified_time`).
    void editNote(std::int64_t id, const std::string& time, const std::string& content);
    /// Adds a comment (`time`). Returns the id.
    std::int64_t addComment(std::int64_t container, const std::string& time,
                            const std::string& text);

    /// Attaches a vault file created at `time` (its `create_time`): `name`, the SHA-1 of
    /// `bytes` as `hash` and `vault_id`, `size`, `container_id`. Returns the attachment id.
    std::int64_t addAttachment(std::int64_t container, const std::string& time,
                               const std::string& name, const std::string& bytes);
    /// What downloading the file with that SHA-1 hands out from now on (other bytes than
    /// its SHA-1 says: a source whose vault is damaged).
    void setFileBytes(const std::string& sha1, const std::string& bytes);

    /// A user of the source, by id (container `owner` ids name them).
    void addUser(std::int64_t id, const std::string& username);

    /// Custom lists: sets a list's rows (a JSON array of arrays), creating it; removes one.
    void setList(const std::string& name, const std::string& rows_json);
    void removeList(const std::string& name);

    /// Workbooks. A template's name by id (phases name their template by id).
    void addTemplate(std::int64_t id, const std::string& name);
    /// Adds a phase (after the container's others) to a container's workbook. Returns its id.
    std::int64_t addPhase(std::int64_t container, const std::string& name,
                          std::optional<std::int64_t> template_id = std::nullopt);
    /// Adds a task to a phase at `time` (its `modified_time`): walked by the Tasks stream.
    std::int64_t addTask(std::int64_t phase, const std::string& time, const std::string& name,
                         std::int64_t status = 0, std::optional<std::int64_t> owner = std::nullopt,
                         bool note_required = false);
    /// Changes a task's status (and owner, when given) at `time`.
    void editTask(std::int64_t id, const std::string& time, std::int64_t status,
                  std::optional<std::int64_t> owner = std::nullopt);
    /// Adds a note to a task at `time` (the task's `modified_time` moves too, as on SOAR). It
    /// is walked by the Notes stream but is not among its container's notes (forEachItem).
    std::int64_t addTaskNote(std::int64_t task, const std::string& time,
                             const std::string& content);

    /// A deep copy of a container's body; nullopt when there is none.
    [[nodiscard]] std::optional<Poco::JSON::Object::Ptr> containerBody(std::int64_t id) const;
    /// How many containers the source holds.
    [[nodiscard]] std::size_t containerCount() const;

    /// Which containers are the route's (the route filter of the real source); all when
    /// unset. Applies to the container walks and to newest(), not to container(id).
    void setFilter(std::function<bool(const Poco::JSON::Object&)> filter);
    /// Records per walk page.
    void setPageSize(std::size_t page_size);
    [[nodiscard]] std::size_t pageSize() const;
    /// The size the walks give each record (StreamEntry::bytes): a source of large records.
    void setRecordBytes(std::size_t bytes);

    // --- test controls --------------------------------------------------------------------

    /// How many times a method was called (WalkPage: pages read).
    [[nodiscard]] std::int64_t calls(Call call) const;
    /// How many walks of a stream were started.
    [[nodiscard]] std::int64_t walks(state::Stream stream) const;
    /// Writes through the MirrorSide seam (writeContainer, addNote, editNote).
    [[nodiscard]] std::int64_t writes() const;
    /// The statuses statuses() answers (default: new, open and closed).
    void setStatuses(std::vector<sync::StatusInfo> statuses);
    /// Calls of every method together (pages not counted).
    [[nodiscard]] std::int64_t totalCalls() const;
    void resetCounts();
    /// The next call of `call` throws `error` (queued: several calls fail in order).
    void failNext(Call call, std::exception_ptr error);
    /// Runs before every call (after it is counted and before any queued failure), outside
    /// the mutex; it may throw. The id is the container or item id asked for, the stream's
    /// index (static_cast of state::Stream) for walks and newest(), 0 otherwise.
    void setHook(std::function<void(Call, std::int64_t id)> hook);

    // --- sync::Source ---------------------------------------------------------------------

    sync::WalkEnd walkContainers(state::Stream stream, const sync::KeysetCursor& start,
                                 const std::function<bool(sync::ContainerPage&)>& on_page,
                                 const sync::CountCallback& on_count) override;
    sync::WalkEnd walkItems(state::Stream stream, const sync::KeysetCursor& start,
                            const std::function<bool(sync::ItemPage&)>& on_page,
                            const sync::CountCallback& on_count) override;
    [[nodiscard]] std::optional<std::string> newest(state::Stream stream) override;
    [[nodiscard]] std::optional<sync::SourceContainer> container(std::int64_t id) override;
    [[nodiscard]] std::set<std::int64_t> existing(const std::vector<std::int64_t>& ids) override;
    [[nodiscard]] std::optional<std::int64_t> containerOf(state::RecordKind kind,
                                                          std::int64_t id) override;
    void forEachItem(state::RecordKind kind, std::int64_t container,
                     const std::function<void(sync::SourceItem&)>& each) override;
    [[nodiscard]] std::map<std::int64_t, std::vector<sync::SourceItem>> artifactsOf(
        const std::map<std::int64_t, std::int64_t>& expected) override;
    /// Writes the file's bytes as the real client does: a RecordError 404 for an unknown
    /// SHA-1, 413 above `max_bytes` (nothing written), a ProtocolError when the bytes do not
    /// have that SHA-1 (file removed).
    std::uint64_t downloadFile(const std::string& sha1, const std::string& path,
                               std::uint64_t max_bytes) override;
    [[nodiscard]] std::optional<std::string> userName(std::int64_t id) override;
    [[nodiscard]] sync::Workbook workbook(std::int64_t container) override;
    [[nodiscard]] std::optional<std::string> templateName(std::int64_t id) override;
    void forEachTaskNote(std::int64_t task,
                         const std::function<void(sync::SourceItem&)>& each) override;
    [[nodiscard]] std::optional<Poco::JSON::Array::Ptr> readList(const std::string& name) override;

    // --- sync::MirrorSide (userName is the Source's) --------------------------------------
    // Writes through it stamp the container or note just after the newest time the source
    // holds, as a server stamps an edit with its clock.

    sync::WalkEnd walkCopies(const std::string& sdi_prefix, const sync::KeysetCursor& start,
                             const std::function<bool(sync::ContainerPage&)>& on_page) override;
    sync::WalkEnd walkChanged(state::RecordKind kind, const sync::KeysetCursor& start,
                              const std::function<bool(sync::ItemPage&)>& on_page) override;
    [[nodiscard]] std::optional<std::string> newest(state::RecordKind kind,
                                                    const std::string& sdi_prefix) override;
    [[nodiscard]] std::optional<sync::SourceContainer> readContainer(std::int64_t id) override;
    /// Sets the fields (`owner_id` as `owner`), moves `container_update_time`.
    void writeContainer(std::int64_t id, const Poco::JSON::Object& fields) override;
    [[nodiscard]] std::int64_t addNote(state::RecordKind kind,
                                       const Poco::JSON::Object& body) override;
    void forEachNote(
        state::RecordKind kind, std::int64_t container,
        const std::function<void(std::int64_t id, const std::string& text)>& each) override;
    void editNote(std::int64_t id, const Poco::JSON::Object& fields) override;
    /// Sets the status or owner (moving `modified_time`); a note with it becomes a task note.
    void writeTask(std::int64_t id, const Poco::JSON::Object& fields) override;
    [[nodiscard]] std::vector<sync::StatusInfo> statuses() override;
    [[nodiscard]] std::optional<std::int64_t> userId(const std::string& username) override;

private:
    /// A time just after the newest one the source holds; the caller holds the mutex.
    [[nodiscard]] std::string stamp() const;

    struct Item {
        state::RecordKind kind = state::RecordKind::Artifact;
        std::int64_t container = 0;
        Poco::JSON::Object::Ptr body;
    };

    /// A record of a walk: its time, id and (for the callback) its copy.
    struct Hit {
        std::string time;
        std::int64_t id = 0;
    };

    /// Counts a call, then runs the hook and throws a queued failure; takes the mutex.
    void enter(Call call, std::int64_t id);
    /// The records of a stream strictly after `after`, in walk order; the caller holds the
    /// mutex.
    std::vector<Hit> hitsAfter(state::Stream stream, const sync::KeysetCursor& after) const;
    [[nodiscard]] sync::SourceContainer toContainer(std::int64_t id) const;
    [[nodiscard]] sync::SourceItem toItem(state::RecordKind kind, std::int64_t id) const;
    /// Recomputes a container's `artifact_update_time` and `artifact_count`; the caller
    /// holds the mutex.
    void refreshArtifactTimes(std::int64_t container);
    /// `wanted`, or the next free id of that kind (ids of each kind count on their own, as
    /// SOAR's tables do); the caller holds the mutex.
    std::int64_t nextId(state::RecordKind kind, std::int64_t wanted);
    /// Adds an item to an existing container; the caller holds the mutex.
    std::int64_t addItem(state::RecordKind kind, std::int64_t container,
                         Poco::JSON::Object::Ptr body, std::int64_t id);
    Item& itemAt(state::RecordKind kind, std::int64_t id);

    /// The walk both walkContainers and walkItems are.
    template <class Entry, class Make>
    sync::WalkEnd walk(state::Stream stream, const sync::KeysetCursor& start,
                       const std::function<bool(std::vector<sync::StreamEntry<Entry>>&)>& on_page,
                       const sync::CountCallback& on_count, const Make& make);

    std::string instance_;
    mutable std::mutex mutex_;
    std::size_t page_size_;
    std::size_t record_bytes_ = 0;
    std::map<std::int64_t, Poco::JSON::Object::Ptr> containers_;
    std::map<std::int64_t, std::string> unreadable_;
    std::map<std::int64_t, std::string> users_;
    /// Custom lists by name: their rows as JSON.
    std::map<std::string, std::string> lists_;
    std::vector<sync::StatusInfo> statuses_{
        {"new", "new"}, {"open", "open"}, {"closed", "resolved"}};
    struct Phase {
        std::int64_t container = 0;
        std::string name;
        std::int64_t order = 0;
        std::optional<std::int64_t> template_id;
    };
    std::map<std::int64_t, std::string> templates_;
    std::map<std::int64_t, Phase> phases_;
    std::int64_t next_phase_ = 1;
    /// Vault file bytes by SHA-1.
    std::map<std::string, std::string> files_;
    /// Artifacts, notes, comments and files by (kind, id).
    std::map<std::pair<state::RecordKind, std::int64_t>, Item> items_;
    std::map<state::RecordKind, std::int64_t> next_ids_;
    std::function<bool(const Poco::JSON::Object&)> filter_;
    std::map<Call, std::int64_t> calls_;
    std::map<state::Stream, std::int64_t> walks_;
    std::map<Call, std::deque<std::exception_ptr>> failures_;
    std::function<void(Call, std::int64_t)> hook_;
};

}  // namespace soar::test
