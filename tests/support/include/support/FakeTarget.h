#pragma once

/// FakeTarget: an in-memory `sync::Target` for the engine's and the playbook tracker's unit
/// tests. It keeps containers, artifacts, notes, comments, playbooks and playbook runs in
/// plain maps and answers as SOAR does where the engine's decisions depend on it:
///
/// - createContainer answers `existed = true` with the existing id when a container with the
///   same `source_data_identifier` is there (SOAR's duplicate answer) and changes nothing;
/// - artifacts, notes, comments and files are never deduplicated: a second POST makes a
///   second one;
/// - a container whose `owner_id` names no user (addUser) is refused (RecordError 400);
/// - task statuses move as SOAR's community functions read them (0 not started, 2 in
///   progress, 1 complete) one step at a time: 0->2, 2->1, 1->2, 2->0; any other change is
///   refused "Invalid status transition", and completing a task that needs a closing note
///   without one "Closing note content is required"; a note with the status is a task note;
/// - an update (container, artifact, note) of an unknown id is a RecordError 404; an artifact,
///   note or comment for an unknown container a RecordError 400;
/// - runs of a registered playbook stay `running` until a test sets their status; a cancel is
///   recorded and ends the run `cancelled`.
///
/// Ids are its own (containers from 1001, artifacts from 20001, notes from 30001, comments
/// from 40001, files from 50001, runs from 100), so a test notices a source id used as a target id.
///
/// Test controls: counters of calls per method; refusals (RecordError 400 with the target's
/// message) by container label or by any predicate; a TransientError 500 for every write to
/// one container (by its `source_data_identifier`) while others succeed; AuthError on every
/// call; a queued failure for the next call of a method; a gate that holds the writes to one
/// container until released (a condition variable, no sleeps); a run request that is recorded
/// and then answered with an error ("the request reached the server").
///
/// Thread safety: every method takes one mutex (a gated write waits without holding it), so
/// the engine may call it from several workers; callbacks run outside the mutex. Bodies
/// handed in are copied; bodies handed out are copies. Ownership: owns its records; borrows
/// the optional clock.

#include "soar/client/Clock.h"
#include "soar/client/SoarApi.h"
#include "soar/state/Records.h"
#include "soar/sync/MirrorSide.h"
#include "soar/sync/Target.h"

#include <Poco/JSON/Object.h>

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace soar::test {

class FakeTarget final : public sync::Target, public sync::MirrorSide {
public:
    enum class Call {
        Ping,
        CreateContainer,
        UpdateContainer,
        ArtifactCopies,
        CreateArtifacts,
        CreateArtifact,
        UpdateArtifact,
        ForEachNote,
        CreateNote,
        CreateComment,
        UpdateNote,
        FindPlaybook,
        RunPlaybook,
        PlaybookRun,
        CancelPlaybookRun,
        PlaybookRuns,
        FileCopies,
        AttachFile,
        UserId,
        Workbook,
        FindTemplate,
        CreatePhase,
        CreateTask,
        UpdateTask,
        TaskNotes,
        Container,
        Statuses,
        RunReport,
        WriteList,
        DeleteContainer,
    };

    /// A vault file attached to a container.
    struct File {
        std::int64_t container = 0;
        std::string name;
        std::string sha1;
        std::string bytes;
    };

    /// A playbook run as the target holds it.
    struct Run {
        std::int64_t id = 0;
        std::int64_t playbook = 0;
        std::int64_t container = 0;
        /// `running` until set (setRunStatus) or cancelled.
        std::string status = "running";
        std::string message;
        /// When the run was requested, on the clock; nullopt without a clock.
        std::optional<std::string> start_time;
    };

    /// `instance` names the target in error messages; `clock`, when given, stamps the runs'
    /// `start_time` (as SOAR does, so the tracker's "started since the intent" check has
    /// something to compare).
    explicit FakeTarget(std::string instance = "dst", std::shared_ptr<sync::Clock> clock = nullptr);
    FakeTarget(const FakeTarget&) = delete;
    FakeTarget& operator=(const FakeTarget&) = delete;

    // --- contents -------------------------------------------------------------------------

    /// Puts a container on the target without a call (a copy made before the state was
    /// lost, say). Returns its id.
    std::int64_t seedContainer(const Poco::JSON::Object& body);
    [[nodiscard]] std::size_t containerCount() const;
    /// Every container id, ascending.
    [[nodiscard]] std::vector<std::int64_t> containerIds() const;
    /// The container with that `source_data_identifier`.
    [[nodiscard]] std::optional<std::int64_t> containerBySdi(const std::string& sdi) const;
    /// A copy of a container's body (with its `id`).
    [[nodiscard]] std::optional<Poco::JSON::Object::Ptr> container(std::int64_t id) const;
    [[nodiscard]] std::size_t artifactCount() const;
    /// Copies of the artifacts of a container, by id.
    [[nodiscard]] std::vector<Poco::JSON::Object::Ptr> artifactsIn(std::int64_t container) const;
    /// How many notes (`kind` Note) or comments (Comment) the target holds.
    [[nodiscard]] std::size_t noteCount(state::RecordKind kind) const;
    /// The texts of the notes or comments of a container, by id (not its tasks' notes).
    [[nodiscard]] std::vector<std::string> notesIn(state::RecordKind kind,
                                                   std::int64_t container) const;

    /// A workbook template: phase names with their task names. A container updated with its
    /// id as `template` (or `template_id`) gets a copy of its phases and tasks. Returns its id.
    std::int64_t addTemplate(
        const std::string& name,
        const std::vector<std::pair<std::string, std::vector<std::string>>>& phases);
    /// A container's workbook as it stands (not counted as a call).
    [[nodiscard]] sync::Workbook workbookOf(std::int64_t container) const;
    /// The contents of a task's notes, by id.
    [[nodiscard]] std::vector<std::string> taskNotesIn(std::int64_t task) const;
    /// Makes completing a task need a closing note.
    void requireClosingNote(std::int64_t task);

    /// Adds a user (ids from 501): container `owner_id`s must name one. Returns its id.
    std::int64_t addUser(const std::string& username);

    /// A custom list's rows as compact JSON; nullopt when the target has no such list.
    [[nodiscard]] std::optional<std::string> listRows(const std::string& name) const;
    /// Changes a list as a person would (not counted as a write of soar-sync's).
    void setListAsAnalyst(const std::string& name, const std::string& rows_json);

    /// The files attached to a container, by attachment id.
    [[nodiscard]] std::vector<File> filesIn(std::int64_t container) const;
    [[nodiscard]] std::size_t fileCount() const;

    // --- analysts (two-way routes) -------------------------------------------------------

    /// Edits a container as a person on the target would, at `time` (its
    /// `container_update_time`): `edit` changes the body (`status`, `owner_id`, `tags`, ...).
    /// Not counted as a call. Every write through the seams stamps its container (and note)
    /// just after the newest time the fake has seen, so walks meet soar-sync's writes too.
    void editAsAnalyst(std::int64_t id, const std::string& time,
                       const std::function<void(Poco::JSON::Object&)>& edit);
    /// Adds a note (or comment, `kind`) to a container as a person would, at `time`: its id.
    std::int64_t addNoteAsAnalyst(state::RecordKind kind, std::int64_t container,
                                  const std::string& time, const std::string& text);
    /// Edits a note's content as a person would, at `time`.
    void editNoteAsAnalyst(std::int64_t id, const std::string& time, const std::string& text);
    /// Adds a note to a workbook task as a person would, at `time`: its id.
    std::int64_t addTaskNoteAsAnalyst(std::int64_t task, const std::string& time,
                                      const std::string& text);
    /// Sets a workbook task's status as a person would, at `time` (its `modified_time`).
    void setTaskStatusAsAnalyst(std::int64_t task, const std::string& time, std::int64_t status);
    /// Assigns a workbook task (nullopt: unassigns it) as a person would, at `time`.
    void setTaskOwnerAsAnalyst(std::int64_t task, const std::string& time,
                               std::optional<std::int64_t> owner);
    /// A container's `container_update_time` (nullopt when none was stamped).
    [[nodiscard]] std::optional<std::string> updateTimeOf(std::int64_t id) const;
    /// The statuses statuses() answers (default: new, open and closed).
    void setStatuses(std::vector<sync::StatusInfo> statuses);

    // --- refusals and failures ------------------------------------------------------------

    /// Containers written with this label are refused: RecordError 400 with `message` as the
    /// target's own message (an unknown label, say).
    void refuseLabel(const std::string& label, const std::string& message);
    void acceptLabel(const std::string& label);
    /// Refuses any written record for which `refuse` names a message (RecordError 400; in a
    /// batch, that item's error). `call` is the write; the body is the record as sent.
    void refuseIf(
        std::function<std::optional<std::string>(Call call, const Poco::JSON::Object& body)>
            refuse);
    /// Every write to the container with this `source_data_identifier` (its create, update,
    /// and the artifacts, notes and comments written into it) throws TransientError with
    /// `status` (500: the client's retries spent); other writes succeed.
    void failWritesOf(const std::string& container_sdi, int status = 500);
    void stopFailingWritesOf(const std::string& container_sdi);
    /// Every call, ping() included, throws AuthError (401), until called with false.
    void refuseCredentials(bool refuse = true);
    /// deleteContainer throws AuthError 403, as SOAR answers a token's DELETE.
    void refuseDeletes(bool refuse = true);
    /// The next call of `call` throws `error` before it does anything (queued).
    void failNext(Call call, std::exception_ptr error);

    // --- artifacts embedded in a container create -------------------------------------------

    /// What a create's answer says of the artifacts embedded in it (soar-api.md §3.2): each
    /// one's result (Splunk's SDK reads `artifacts`), the new ids only (8.5's
    /// `new_artifact_ids`: readable when every one was made), or nothing. Embedded artifacts are
    /// refused as a batch's items are (refuseIf with Call::CreateArtifacts).
    enum class EmbeddedAnswer { PerItem, NewIds, Nothing };
    void answerEmbedded(EmbeddedAnswer answer);
    /// How many container creates carried embedded artifacts.
    [[nodiscard]] std::size_t containersWithEmbeddedArtifacts() const;

    // --- the gate -------------------------------------------------------------------------

    /// Writes to the container with this `source_data_identifier` wait until release().
    void gate(const std::string& container_sdi);
    void release(const std::string& container_sdi);
    /// Waits until a write to the gated container is waiting; false when none came within
    /// `deadline` (a safety net against a hung test, not a pacing wait).
    [[nodiscard]] bool waitUntilBlocked(
        const std::string& container_sdi,
        std::chrono::milliseconds deadline = std::chrono::seconds(30));

    // --- playbooks ------------------------------------------------------------------------

    /// Registers a playbook by "repo/name". `id` 0 = the next id from 7. Returns the id.
    std::int64_t addPlaybook(const std::string& repo_name, bool active = true, std::int64_t id = 0);
    /// The next runPlaybook records its run, then throws `error` (the request reached the
    /// server, its answer was lost).
    void failNextRunAfterRecording(std::exception_ptr error);
    void setRunStatus(std::int64_t run_id, const std::string& status,
                      const std::string& message = "");
    /// What runReport answers for a run (its actions, times); by default the run's start time
    /// and no action.
    void setRunReport(std::int64_t run_id, sync::RunReport report);
    /// Every run, by id.
    [[nodiscard]] std::vector<Run> runs() const;
    /// Run ids cancelled, in order.
    [[nodiscard]] std::vector<std::int64_t> cancels() const;

    // --- counters -------------------------------------------------------------------------

    [[nodiscard]] std::int64_t calls(Call call) const;
    /// Calls that write (creates, updates, run requests, cancels), failed ones included.
    [[nodiscard]] std::int64_t writes() const;
    void resetCounts();

    // --- sync::Target ---------------------------------------------------------------------

    void ping() override;
    [[nodiscard]] sync::ContainerCreated createContainer(
        const Poco::JSON::Object& container) override;
    void updateContainer(std::int64_t id, const Poco::JSON::Object& fields) override;
    bool deleteContainer(std::int64_t id) override;
    [[nodiscard]] std::map<std::string, std::int64_t> artifactCopies(
        std::int64_t container, const std::string& sdi_prefix) override;
    [[nodiscard]] std::vector<sync::BatchItemResult> createArtifacts(
        const Poco::JSON::Array& artifacts) override;
    [[nodiscard]] sync::CreateResult createArtifact(const Poco::JSON::Object& artifact) override;
    void updateArtifact(std::int64_t id, const Poco::JSON::Object& fields) override;
    void forEachNote(
        state::RecordKind kind, std::int64_t container,
        const std::function<void(std::int64_t id, const std::string& text)>& each) override;
    [[nodiscard]] sync::CreateResult createNote(const Poco::JSON::Object& note) override;
    [[nodiscard]] sync::CreateResult createComment(const Poco::JSON::Object& comment) override;
    void updateNote(std::int64_t id, const Poco::JSON::Object& fields) override;
    [[nodiscard]] std::optional<sync::PlaybookInfo> findPlaybook(const std::string& spec) override;
    [[nodiscard]] std::int64_t runPlaybook(const sync::PlaybookRunRequest& request) override;
    [[nodiscard]] sync::PlaybookRunStatus playbookRun(std::int64_t run_id) override;
    void cancelPlaybookRun(std::int64_t run_id) override;
    [[nodiscard]] std::vector<sync::PlaybookRunSeen> playbookRuns(std::int64_t playbook,
                                                                  std::int64_t container) override;
    /// Refused (RecordError 400) for empty rows, as SOAR answers an empty content.
    void writeList(const std::string& name, const Poco::JSON::Array& rows) override;
    [[nodiscard]] sync::RunReport runReport(std::int64_t run_id) override;
    [[nodiscard]] std::map<std::string, std::int64_t> fileCopies(std::int64_t container) override;
    [[nodiscard]] std::optional<std::int64_t> userId(const std::string& username) override;
    [[nodiscard]] sync::Workbook workbook(std::int64_t container) override;
    [[nodiscard]] std::optional<std::int64_t> findTemplate(const std::string& name) override;
    [[nodiscard]] std::int64_t createPhase(std::int64_t container, const std::string& name,
                                           std::int64_t order) override;
    [[nodiscard]] std::int64_t createTask(std::int64_t phase,
                                          const sync::WorkbookTask& task) override;
    void updateTask(std::int64_t id, const Poco::JSON::Object& fields) override;
    void forEachTaskNote(
        std::int64_t task,
        const std::function<void(std::int64_t id, const std::string& text)>& each) override;
    // --- sync::MirrorSide (userId and forEachNote are the Target's) ----------------------

    sync::WalkEnd walkCopies(const std::string& sdi_prefix, const sync::KeysetCursor& start,
                             const std::function<bool(sync::ContainerPage&)>& on_page) override;
    sync::WalkEnd walkChanged(state::RecordKind kind, const sync::KeysetCursor& start,
                              const std::function<bool(sync::ItemPage&)>& on_page) override;
    [[nodiscard]] std::optional<std::string> newest(state::RecordKind kind,
                                                    const std::string& sdi_prefix) override;
    [[nodiscard]] std::optional<sync::SourceContainer> readContainer(std::int64_t id) override;
    /// As updateContainer (counted as one).
    void writeContainer(std::int64_t id, const Poco::JSON::Object& fields) override;
    /// As createNote or createComment.
    [[nodiscard]] std::int64_t addNote(state::RecordKind kind,
                                       const Poco::JSON::Object& body) override;
    /// As updateNote.
    void editNote(std::int64_t id, const Poco::JSON::Object& fields) override;
    /// As updateTask.
    void writeTask(std::int64_t id, const Poco::JSON::Object& fields) override;
    [[nodiscard]] std::vector<sync::StatusInfo> statuses() override;
    [[nodiscard]] std::optional<std::string> userName(std::int64_t id) override;

    /// Reads the file at `path` whole; attaches it even when the container has those bytes
    /// already (as SOAR may); a ProtocolError when its bytes do not have the SHA-1 `sha1`.
    [[nodiscard]] std::int64_t attachFile(std::int64_t container, const std::string& name,
                                          const std::string& path,
                                          const std::string& sha1) override;

private:
    struct Note {
        state::RecordKind kind = state::RecordKind::Note;
        std::int64_t container = 0;
        Poco::JSON::Object::Ptr body;
        /// The workbook task a task note belongs to; 0 for the container's notes.
        std::int64_t task = 0;
    };
    struct Phase {
        std::int64_t container = 0;
        std::string name;
        std::int64_t order = 0;
        std::optional<std::int64_t> template_id;
    };
    struct Task {
        std::int64_t phase = 0;
        sync::WorkbookTask task;
    };
    struct Template {
        std::string name;
        std::vector<std::pair<std::string, std::vector<std::string>>> phases;
    };
    /// Copies a template's phases and tasks into a container; the caller holds the mutex.
    void instantiate(std::int64_t container, std::int64_t template_id);
    /// A phase appended to a container's workbook; the caller holds the mutex.
    std::int64_t storePhase(std::int64_t container, const std::string& name,
                            std::optional<std::int64_t> template_id);
    struct Artifact {
        std::int64_t container = 0;
        Poco::JSON::Object::Ptr body;
    };

    /// Counts a call, then throws AuthError when credentials are refused, or a queued
    /// failure. Takes the mutex through `lock`.
    void enter(Call call, std::unique_lock<std::mutex>& lock);
    /// The gate, then the 500 of a failing container, for a write into `container` (a target
    /// id, 0 for a container being created) or to the container with `sdi`. The caller holds
    /// `lock`.
    void writeInto(std::unique_lock<std::mutex>& lock, std::int64_t container,
                   std::string sdi = {});
    /// The message a refusal hook or a refused label gives `body`; the caller holds the mutex.
    [[nodiscard]] std::optional<std::string> refusal(Call call,
                                                     const Poco::JSON::Object& body) const;
    [[noreturn]] void refuse(const std::string& what, const std::string& message) const;
    /// An artifact stored into `container` (an existing target container); the caller holds
    /// the mutex.
    std::int64_t storeArtifact(std::int64_t container, const Poco::JSON::Object& body);
    sync::CreateResult storeNote(state::RecordKind kind, Call call, const Poco::JSON::Object& body);
    std::int64_t containerIdOf(const Poco::JSON::Object& body) const;
    /// A time just after the newest one seen; the caller holds the mutex.
    std::string stamp();
    /// Records `time` as seen; the caller holds the mutex.
    void saw(const std::string& time);
    /// Entries of a walk over `times` (id -> time), strictly after `start`, by time then id.
    std::vector<std::pair<std::string, std::int64_t>> after(
        const std::map<std::int64_t, std::string>& times, const sync::KeysetCursor& start) const;

    std::string instance_;
    std::shared_ptr<sync::Clock> clock_;
    mutable std::mutex mutex_;
    std::condition_variable gate_changed_;

    std::map<std::int64_t, Poco::JSON::Object::Ptr> containers_;
    /// `container_update_time` of each container, `modified_time` (`time`) of each note.
    std::map<std::int64_t, std::string> container_times_;
    std::map<std::int64_t, std::string> note_times_;
    std::string latest_;
    std::vector<sync::StatusInfo> statuses_{
        {"new", "new"}, {"open", "open"}, {"closed", "resolved"}};
    std::map<std::string, std::int64_t> by_sdi_;
    std::map<std::int64_t, Artifact> artifacts_;
    std::map<std::int64_t, Note> notes_;
    std::int64_t next_container_ = 1001;
    std::int64_t next_artifact_ = 20001;
    std::int64_t next_note_ = 30001;
    std::int64_t next_comment_ = 40001;
    std::map<std::int64_t, File> files_;
    std::map<std::string, std::int64_t> users_;
    /// Custom lists by name: their rows as compact JSON.
    std::map<std::string, std::string> lists_;
    bool refuse_deletes_ = false;
    EmbeddedAnswer embedded_answer_ = EmbeddedAnswer::PerItem;
    std::size_t embedded_artifacts_ = 0;
    std::int64_t next_user_ = 501;
    std::map<std::int64_t, Template> templates_;
    std::int64_t next_template_ = 61;
    std::map<std::int64_t, Phase> phases_;
    std::int64_t next_phase_ = 601;
    std::map<std::int64_t, Task> tasks_;
    std::int64_t next_task_ = 6001;
    std::int64_t next_file_ = 50001;

    std::map<std::int64_t, sync::PlaybookInfo> playbooks_;
    std::int64_t next_playbook_ = 7;
    std::map<std::int64_t, Run> runs_;
    std::map<std::int64_t, sync::RunReport> run_reports_;
    std::int64_t next_run_ = 100;
    std::vector<std::int64_t> cancels_;
    std::deque<std::exception_ptr> fail_after_run_;

    std::map<std::string, std::string> refused_labels_;
    std::function<std::optional<std::string>(Call, const Poco::JSON::Object&)> refuse_if_;
    std::map<std::string, int> failing_;
    bool refuse_credentials_ = false;
    std::map<Call, std::deque<std::exception_ptr>> failures_;
    std::set<std::string> gates_;
    std::multiset<std::string> blocked_;
    std::map<Call, std::int64_t> calls_;
};

}  // namespace soar::test
