#pragma once

/// SoarApi: the seam between soar-sync and one SOAR instance (style §2.1). The route engine
/// and the playbook tracker talk to SOAR only through it; PocoSoarApi implements it over
/// HTTP(S), and unit tests of the engine implement it with a fake.
///
/// The interface holds the primitive calls only; paging and the keyset walk are free
/// functions over it (Paging.h), so a fake gets them for free and behaves like the real thing.
///
/// Errors: every call throws the types of Errors.h. A duplicate answer on create is not an
/// error: it is a CreateResult with `existed = true`.
///
/// Thread safety: PocoSoarApi may be called from many threads (up to its `connections`
/// requests run at once). Records are Poco::JSON::Object::Ptr owned by the caller once
/// returned; Poco::JSON objects are not thread-safe, so do not share one between threads.

#include "soar/client/Query.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace soar::sync {

/// One SOAR record (container, artifact, note, ...) as the server returned it.
using Record = Poco::JSON::Object::Ptr;

/// REST collection names (the `<type>` of `/rest/<type>`).
namespace collection {
inline constexpr const char* kContainer = "container";
inline constexpr const char* kArtifact = "artifact";
inline constexpr const char* kNote = "note";
inline constexpr const char* kComment = "container_comment";
inline constexpr const char* kPlaybook = "playbook";
inline constexpr const char* kPlaybookRun = "playbook_run";
inline constexpr const char* kScm = "scm";
inline constexpr const char* kAttachment = "container_attachment";
inline constexpr const char* kUser = "ph_user";
inline constexpr const char* kWorkbookTemplate = "workbook_template";
inline constexpr const char* kWorkbookPhase = "workbook_phase";
inline constexpr const char* kWorkbookTask = "workbook_task";
inline constexpr const char* kList = "decided_list";
}  // namespace collection

/// One page of a list answer (`{"count", "num_pages", "data"}`).
struct Page {
    std::vector<Record> records;
    std::int64_t count = 0;
    std::int64_t num_pages = 0;
    /// The server answered "That page contains no results" (a page past the end).
    bool past_end = false;
    /// The size of the answer's body.
    std::size_t bytes = 0;
};

/// What a create did: made a record, or found one that already existed (SOAR's
/// `existing_container_id` / `existing_artifact_id` answer). Either way `id` is the record.
struct CreateResult {
    std::int64_t id = 0;
    bool existed = false;

    friend bool operator==(const CreateResult& a, const CreateResult& b) {
        return a.id == b.id && a.existed == b.existed;
    }
};

/// One element of a batch create answer.
struct BatchItemResult {
    /// Set when the item was created or already existed.
    std::optional<std::int64_t> id;
    bool existed = false;
    /// The server's message when the item failed (then `id` is empty).
    std::string error;

    [[nodiscard]] bool ok() const { return id.has_value(); }
};

/// What a container create did, and with the artifacts embedded in it (soar-api.md §3.2), what
/// became of each: one result per embedded artifact, in order, read from the answer's
/// per-item `artifacts` (Splunk's SDK) or, when every one was made, from `new_artifact_ids`
/// (8.5). Empty when none were embedded, when the container already existed (then none were
/// made), or when the answer does not say which became what (then the caller looks for them).
struct ContainerCreated : CreateResult {
    std::optional<std::vector<BatchItemResult>> artifacts;
};

struct PlaybookInfo {
    std::int64_t id = 0;
    std::string name;
    std::int64_t scm_id = 0;
    bool active = true;
};

struct PlaybookRunRequest {
    std::int64_t container_id = 0;
    /// The playbook id, sent as an integer (resolve "repo/name" with findPlaybook first, or
    /// pass `playbook_name` instead).
    std::optional<std::int64_t> playbook_id;
    /// "repo/name", sent as SOAR's string form of `playbook_id` when no id is given.
    std::string playbook_name;
    /// "new" or "all".
    std::string scope = "new";
};

/// How a playbook run ended, as SOAR reports it.
enum class PlaybookOutcome { Success, Failed, Cancelled };

/// The outcome a run status names ("success", "failed", "cancelled" or "canceled"; SOAR has
/// written both spellings), or nothing while the run is not over ("running", "pending").
/// The one reader of run statuses.
[[nodiscard]] std::optional<PlaybookOutcome> playbookOutcome(const std::string& status);

struct PlaybookRunStatus {
    std::int64_t id = 0;
    /// As SOAR reports it: running, success, failed, cancelled, pending, ...
    std::string status;
    /// Set once the run is over (playbookOutcome of `status`): polling can stop.
    std::optional<PlaybookOutcome> outcome;
    std::string message;
};

class SoarApi {
public:
    virtual ~SoarApi() = default;

    /// GET /rest/version: the product version, e.g. "6.4.1.361". Also a cheap check of
    /// reachability, TLS and credentials.
    [[nodiscard]] virtual std::string version() = 0;

    /// One page of `GET /rest/<path>?<query>&page=<page>`. `path` is a collection
    /// ("container") or a sub-collection ("container/12/artifacts"). A page past the end comes
    /// back empty with `past_end` set rather than as an error.
    [[nodiscard]] virtual Page listPage(const std::string& path, const Query& query,
                                        std::size_t page) = 0;

    /// GET /rest/<path> whose answer is one plain object rather than a list envelope
    /// (`container_options`, `system_info`).
    [[nodiscard]] virtual Record getObject(const std::string& path) = 0;

    /// GET /rest/<path> for one record addressed by its path (a custom list by name);
    /// std::nullopt when there is none: a 404, or an older server's `failed` answer saying
    /// "not found" (soar-api-more.md §2).
    [[nodiscard]] virtual std::optional<Record> find(const std::string& path) = 0;

    /// GET /rest/<collection>/<id>; std::nullopt on 404.
    [[nodiscard]] virtual std::optional<Record> get(const std::string& collection,
                                                    std::int64_t id) = 0;

    /// POST /rest/container. Embedded `artifacts` are allowed (ContainerCreated::artifacts).
    [[nodiscard]] virtual ContainerCreated createContainer(const Poco::JSON::Object& container) = 0;
    /// POST /rest/container/<id> with the changed fields only.
    virtual void updateContainer(std::int64_t id, const Poco::JSON::Object& fields) = 0;

    /// POST /rest/artifact with one object (needs `container_id`).
    [[nodiscard]] virtual CreateResult createArtifact(const Poco::JSON::Object& artifact) = 0;
    /// POST /rest/artifact with an array: one result per item, in order. Not transactional:
    /// some items may fail while others are created.
    [[nodiscard]] virtual std::vector<BatchItemResult> createArtifacts(
        const Poco::JSON::Array& artifacts) = 0;
    /// POST /rest/artifact/<id>. Note SOAR replaces `cef` wholesale: send the merged cef.
    virtual void updateArtifact(std::int64_t id, const Poco::JSON::Object& fields) = 0;

    /// POST /rest/note and POST /rest/container_comment. SOAR dedups neither, so these are
    /// retried only when the request cannot have reached the server; after any other failure
    /// the caller looks for its copy (by the marker it wrote) before posting again.
    [[nodiscard]] virtual CreateResult createNote(const Poco::JSON::Object& note) = 0;
    [[nodiscard]] virtual CreateResult createComment(const Poco::JSON::Object& comment) = 0;
    /// POST /rest/note/<id> with the changed fields.
    virtual void updateNote(std::int64_t id, const Poco::JSON::Object& fields) = 0;

    /// POST /rest/<collection> for a record SOAR never deduplicates (a workbook phase or
    /// task): its id. Retried only when it cannot have reached the server.
    [[nodiscard]] virtual std::int64_t createRecord(const std::string& collection,
                                                    const Poco::JSON::Object& body) = 0;
    /// POST /rest/<collection>/<id> with the changed fields (a RecordError 404 when it is
    /// gone).
    virtual void updateRecord(const std::string& collection, std::int64_t id,
                              const Poco::JSON::Object& fields) = 0;
    /// DELETE /rest/<collection>/<id>: true when deleted, false when it was not there (404).
    /// SOAR takes it from a user only (custom lists excepted): with a token, an AuthError 403.
    virtual bool deleteRecord(const std::string& collection, std::int64_t id) = 0;

    /// A playbook by numeric id ("42"), by "repo/name", or by a bare name when it is unique;
    /// std::nullopt when there is none. A bare name found in several repos is a RecordError.
    [[nodiscard]] virtual std::optional<PlaybookInfo> findPlaybook(const std::string& spec) = 0;
    /// POST /rest/playbook_run: the run id. Never retried after the request may have reached
    /// the server (a run must start at most once); see PocoSoarApi.
    [[nodiscard]] virtual std::int64_t runPlaybook(const PlaybookRunRequest& request) = 0;
    /// GET /rest/playbook_run/<id>.
    [[nodiscard]] virtual PlaybookRunStatus playbookRun(std::int64_t run_id) = 0;
    /// POST /rest/playbook_run/<id> {"cancel": true}.
    virtual void cancelPlaybookRun(std::int64_t run_id) = 0;

    /// GET /rest/download_attachment?vault_id=<sha1>: the vault file streamed into `path`
    /// (created or truncated), never held whole; returns its size. The bytes must have the
    /// SHA-1 `sha1` (ProtocolError otherwise, `path` removed); more than `max_bytes` stops the
    /// download (RecordError 413, `path` removed).
    virtual std::uint64_t downloadFile(const std::string& sha1, const std::string& path,
                                       std::uint64_t max_bytes) = 0;
    /// POST /rest/container_attachment: the file at `path` (whose SHA-1 is `sha1`) attached
    /// to `container` as `name`, base64-encoded while it is sent; returns the attachment id.
    /// Retried only when it cannot have reached the server (SOAR may attach the same bytes
    /// twice): after any other failure the caller looks for the file before sending again.
    [[nodiscard]] virtual std::int64_t attachFile(std::int64_t container, const std::string& name,
                                                  const std::string& path,
                                                  const std::string& sha1) = 0;
};

/// Reads an id that SOAR may send as a number or a numeric string; std::nullopt otherwise.
[[nodiscard]] std::optional<std::int64_t> parseId(const Poco::Dynamic::Var& value);

/// The SHA-1 of a container attachment record (its vault id): `vault_id`, else `hash`, else
/// `metadata.sha1`, in lower case; std::nullopt when none is 40 hex digits.
[[nodiscard]] std::optional<std::string> vaultIdOf(const Poco::JSON::Object& attachment);

}  // namespace soar::sync
