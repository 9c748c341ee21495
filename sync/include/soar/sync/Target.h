#pragma once

/// Target: the engine's and the playbook tracker's seam to an instance a route writes
/// (design.md §5): find the copies soar-sync made, create and update containers, artifacts,
/// notes and comments, attach files, and start, poll and cancel playbook runs. SoarTarget
/// (SoarAdapter.h) implements it on the REST client; tests use FakeTarget.
///
/// Errors: the types of soar/client/Errors.h. A refused record is a RecordError (404 when
/// the record to update is gone); a duplicate answer on create is not an error but a
/// CreateResult with `existed`. Thread safety: implementations may be called from many
/// threads at once.

#include "soar/client/SoarApi.h"
#include "soar/state/Records.h"
#include "soar/sync/Workbook.h"

#include <Poco/JSON/Array.h>

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace soar::sync {

/// A playbook run found on a target container.
struct PlaybookRunSeen {
    std::int64_t id = 0;
    /// Its `start_time`, as the target wrote it; nullopt when it has none.
    std::optional<std::string> start_time;
};

/// One action of a playbook run, as a report to the source shows it.
struct ActionReport {
    /// The action run's name and its action (`geolocate_ip_1`, `geolocate ip`).
    std::string name;
    std::string action;
    /// The apps that ran it (app runs' `app_name`), comma-joined.
    std::string app;
    std::string status;
    std::string message;
    /// From the app runs' `result_summary`: objects and successful objects, never the result
    /// data itself.
    std::int64_t objects = 0;
    std::int64_t objects_successful = 0;
};

/// What a report of an ended playbook run says besides its outcome.
struct RunReport {
    std::optional<std::string> start_time;
    std::optional<std::string> end_time;
    std::vector<ActionReport> actions;
};

class Target {
public:
    virtual ~Target() = default;

    /// A plain request that succeeds when the target is up and accepts the credentials.
    virtual void ping() = 0;

    /// Creates a container, with the artifacts embedded under `artifacts` when it carries them
    /// (objects, or their text as JsonFragment; none are made when it already existed):
    /// ContainerCreated says what became of each when the target's answer does.
    [[nodiscard]] virtual ContainerCreated createContainer(const Poco::JSON::Object& container) = 0;
    /// Writes the given fields of a container.
    virtual void updateContainer(std::int64_t id, const Poco::JSON::Object& fields) = 0;
    /// Deletes a container (and with it its artifacts, notes, files and workbook); false when
    /// it was already gone. SOAR takes it from a user only: with a token, an AuthError.
    virtual bool deleteContainer(std::int64_t id) = 0;

    /// The artifacts of a target container whose `source_data_identifier` starts with
    /// `sdi_prefix`: sdi -> artifact id, the lowest id where one is there twice.
    [[nodiscard]] virtual std::map<std::string, std::int64_t> artifactCopies(
        std::int64_t container, const std::string& sdi_prefix) = 0;
    /// Creates several artifacts in one request: one result per item, in order (some may
    /// fail while others are created). A RecordError means the whole batch was refused. Each
    /// item is an object or its text (JsonFragment), as the `artifacts` of createContainer.
    [[nodiscard]] virtual std::vector<BatchItemResult> createArtifacts(
        const Poco::JSON::Array& artifacts) = 0;
    [[nodiscard]] virtual CreateResult createArtifact(const Poco::JSON::Object& artifact) = 0;
    /// Writes an artifact (SOAR replaces `cef` whole).
    virtual void updateArtifact(std::int64_t id, const Poco::JSON::Object& fields) = 0;

    /// Each note (`kind` Note) or comment (Comment) of a target container, in id order: its
    /// id and its text (`content` or `comment`).
    virtual void forEachNote(
        state::RecordKind kind, std::int64_t container,
        const std::function<void(std::int64_t id, const std::string& text)>& each) = 0;
    /// Notes and comments are never deduplicated by the target: look for a copy first.
    [[nodiscard]] virtual CreateResult createNote(const Poco::JSON::Object& note) = 0;
    [[nodiscard]] virtual CreateResult createComment(const Poco::JSON::Object& comment) = 0;
    virtual void updateNote(std::int64_t id, const Poco::JSON::Object& fields) = 0;

    /// The vault files attached to a target container: SHA-1 -> attachment id, the lowest id
    /// where the same bytes are attached twice.
    [[nodiscard]] virtual std::map<std::string, std::int64_t> fileCopies(
        std::int64_t container) = 0;
    /// Attaches the file at `path` (whose SHA-1 is `sha1`) to a container as `name`: the
    /// attachment id. SOAR may attach the same bytes twice, so the caller looks first
    /// (fileCopies); it is never resent after the request may have reached the target.
    [[nodiscard]] virtual std::int64_t attachFile(std::int64_t container, const std::string& name,
                                                  const std::string& path,
                                                  const std::string& sha1) = 0;

    /// A case copy's workbook, as Source::workbook.
    [[nodiscard]] virtual Workbook workbook(std::int64_t container) = 0;
    /// The id of the workbook template with that name; nullopt when there is none.
    [[nodiscard]] virtual std::optional<std::int64_t> findTemplate(const std::string& name) = 0;
    /// Adds a phase to a container's workbook: its id.
    [[nodiscard]] virtual std::int64_t createPhase(std::int64_t container, const std::string& name,
                                                   std::int64_t order) = 0;
    /// Adds a task to a phase: its id.
    [[nodiscard]] virtual std::int64_t createTask(std::int64_t phase, const WorkbookTask& task) = 0;
    /// Writes fields of a task (`status`, `owner_id`, and the closing `note` with it).
    virtual void updateTask(std::int64_t id, const Poco::JSON::Object& fields) = 0;
    /// The notes of a task: id and content, in id order.
    virtual void forEachTaskNote(
        std::int64_t task,
        const std::function<void(std::int64_t id, const std::string& text)>& each) = 0;

    /// The id of the target's user with that username; nullopt when it has none.
    [[nodiscard]] virtual std::optional<std::int64_t> userId(const std::string& username) = 0;

    /// A playbook by numeric id, "repo/name" or a unique bare name; nullopt when none.
    [[nodiscard]] virtual std::optional<PlaybookInfo> findPlaybook(const std::string& spec) = 0;
    /// Starts a run: its id. Never repeated after the request may have reached the target.
    [[nodiscard]] virtual std::int64_t runPlaybook(const PlaybookRunRequest& request) = 0;
    [[nodiscard]] virtual PlaybookRunStatus playbookRun(std::int64_t run_id) = 0;
    virtual void cancelPlaybookRun(std::int64_t run_id) = 0;
    /// A run's times and its actions with their app runs (for `report_back`).
    [[nodiscard]] virtual RunReport runReport(std::int64_t run_id) = 0;
    /// The first runs (by id, up to 50) of a playbook on a target container.
    [[nodiscard]] virtual std::vector<PlaybookRunSeen> playbookRuns(std::int64_t playbook,
                                                                    std::int64_t container) = 0;
    /// Gives the custom list of that name exactly these rows (at least one): its whole content
    /// replaced in one request, or the list created when the target lacks it.
    virtual void writeList(const std::string& name, const Poco::JSON::Array& rows) = 0;
};

}  // namespace soar::sync
