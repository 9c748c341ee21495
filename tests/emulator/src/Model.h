#pragma once

/// The emulated SOAR instance: every collection in memory plus the REST semantics of
/// shared/soar-api.md (validation, dedup, paging, filters, playbook runs). Model knows
/// nothing of HTTP: it takes an already-authenticated Request and returns a Response.
/// Thread-safe: one mutex guards all data; each request runs under it from start to end,
/// so a request sees and leaves consistent data.

#include "Clock.h"
#include "Query.h"
#include "RowTable.h"
#include "soar/emulator/Emulator.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

namespace soar::emulator {

class Dice;

struct Request {
    std::string method;
    std::string path;
    /// The path as sent, percent-encoding kept (a list name may hold an encoded '/');
    /// empty = `path`.
    std::string raw_path;
    QueryParams query;
    std::string body;
    bool user_auth = false;  ///< basic auth as the configured user (not the token)
    bool over_http = false;  ///< served to an HTTP client (not Emulator::direct())
};

struct Response {
    int status = 200;
    std::string body;
    std::string allow;         ///< set on 405: the methods the resource accepts
    std::string content_type;  ///< empty = application/json
    /// A list page still to be serialised (outside the data lock) into `body`.
    bool envelope = false;
    std::size_t count = 0;
    std::size_t num_pages = 0;
    std::vector<Poco::JSON::Object::Ptr> rows;
};

class Model {
public:
    explicit Model(const EmulatorOptions& options);
    Model(const Model&) = delete;
    Model& operator=(const Model&) = delete;

    Response handle(const Request& request);

    void setBaseUrl(const std::string& url);
    void addLabel(const std::string& name);
    /// The id of the user of that name, added (type "normal") if missing.
    std::int64_t addUser(const std::string& username);
    /// Deletes the container status of that name; false if there is none.
    bool removeStatus(const std::string& name);
    [[nodiscard]] std::string recordJson(const std::string& type, std::int64_t id) const;
    [[nodiscard]] std::size_t count(const std::string& type) const;
    /// The id of the custom list of that name, 0 if none.
    [[nodiscard]] std::int64_t listId(const std::string& name) const;
    /// A custom list's content as compact JSON; nullopt if there is no list of that name.
    [[nodiscard]] std::optional<std::string> listContent(const std::string& name) const;
    /// Successful list creates, updates and deletes made over HTTP.
    [[nodiscard]] std::uint64_t listWrites() const;

private:
    using Ptr = Poco::JSON::Object::Ptr;
    struct Collection {
        std::string name;
        std::set<std::string> fields;
        RowTable rows;
        std::int64_t next_id = 1;
        Ptr find(std::int64_t id) const;
        std::int64_t insert(Ptr row);
    };
    struct RunState {
        Micros deadline = 0;
        std::string outcome;
    };

    Response route(const Request& request);
    Response routeContainer(const Request& request, const std::vector<std::string>& parts);
    Response routeSimple(Collection& collection, const Request& request,
                         const std::vector<std::string>& parts);
    /// Every collection, in a fixed order (lookups by name go through it).
    std::vector<Collection*> collections();
    std::vector<const Collection*> collections() const;

    Response list(const Collection& collection, const QueryParams& params,
                  const std::set<std::int64_t>* candidates = nullptr,
                  const std::function<bool(const Poco::JSON::Object&)>& base = {}) const;
    Poco::JSON::Object::Ptr related(const std::string& field, const Poco::Dynamic::Var& id) const;

    // Containers (ModelContainers.cpp)
    Ptr createContainer(const Ptr& in, bool user);
    Ptr updateContainer(std::int64_t id, const Ptr& in, bool user);
    void deleteContainer(std::int64_t id);
    void applyContainerFields(Ptr row, const Ptr& in, bool creating, bool user);
    Response postContainers(const Request& request);

    // Artifacts (ModelArtifacts.cpp)
    Ptr createArtifact(const Ptr& in, std::int64_t forced_container);
    Ptr updateArtifact(std::int64_t id, const Ptr& in);
    void deleteArtifact(std::int64_t id);
    Response postArtifacts(const Request& request);
    void touchArtifacts(std::int64_t container_id, Micros t);

    // Notes, comments, labels, vocabularies, playbooks (ModelOther.cpp)
    Response postNote(const Request& request, std::int64_t id);
    Response postComment(const Request& request);
    Response postRun(const Request& request);
    Response cancelRun(std::int64_t id, const std::string& body);
    Response systemSettings(const Request& request);
    Response postVocabulary(Collection& collection, const Request& request);
    Response containerOptions() const;
    void settleRuns(Micros now);
    std::int64_t findPlaybook(const Poco::Dynamic::Var& ref) const;
    std::int64_t scmId(const std::string& repo);

    // Container statuses (ModelOther.cpp)
    /// The built-in statuses new, open, closed, then the options' custom ones and deletions.
    void setUpStatuses(const EmulatorOptions& options);
    /// Adds a container status: name `[a-z0-9_-]`, at most 128 characters, not taken;
    /// type new, open or resolved; at most 30 besides the built-ins. Throws ApiError(400).
    std::int64_t insertStatus(const std::string& name, const std::string& type, bool builtin);
    bool eraseStatus(const std::string& name);
    /// The status a container write names, lower case: one that exists, or new, open or
    /// closed (accepted even when deleted). Throws ApiError(400) otherwise.
    std::string containerStatus(const Poco::Dynamic::Var& value) const;
    /// The status_type of a status (the built-ins' even when deleted); "" if unknown.
    std::string statusType(const std::string& name) const;

    // Action runs and app runs of playbook runs (ModelActions.cpp)
    /// How many action runs a run of this playbook makes (1 or 2).
    static std::size_t actionCount(std::int64_t playbook);
    /// Makes the running action runs, and one app run each, of a new playbook run.
    void createActions(const Ptr& run);
    /// Ends the action and app runs of a playbook run that ended as `outcome` (success,
    /// failed or cancelled) at `end`.
    void finishActions(std::int64_t run_id, const std::string& outcome, const std::string& end);
    /// action_run and app_run requests (list, record, /rest/action_run/<id>/app_runs);
    /// app runs carry `result_data` only with `include_expensive`.
    Response routeActions(const Request& request, const std::vector<std::string>& parts);
    /// Drops `result_data` from the app runs of a list page unless the query asks for it.
    static void hideExpensive(Response& page, const QueryParams& query);

    // Vault files (ModelVault.cpp)
    Response postAttachment(const Request& request);
    Response downloadAttachment(const Request& request) const;
    void deleteAttachment(std::int64_t id);

    // Users, custom fields, workbook templates and live workbooks (ModelWorkbooks.cpp)
    std::int64_t userId(const std::string& username) const;
    /// The id of an existing user named by id (or, with `by_name`, by username); throws
    /// ApiError(400) naming `key` otherwise.
    std::int64_t requireUser(const Poco::Dynamic::Var& value, const std::string& key,
                             bool by_name) const;
    /// Checks a container write's custom_fields against the fields the instance defines.
    void checkCustomFields(const Poco::JSON::Object& incoming, bool creating) const;
    /// The workbook template a container write names (`template` or `template_id`), 0 if
    /// none; throws ApiError(400) when it names none that exists.
    std::int64_t requestedTemplate(const Poco::JSON::Object& in) const;
    /// Copies a template's phases and tasks onto a container (after any phases it has) and
    /// makes the first new phase current if none is; returns the container record to store.
    Ptr addWorkbook(std::int64_t container_id, std::int64_t template_id);
    std::int64_t createTemplate(const Ptr& in);
    void deleteTemplate(std::int64_t id);
    std::int64_t insertPhase(std::int64_t container_id, const std::string& name, std::int64_t order,
                             const Poco::Dynamic::Var& template_id);
    std::int64_t insertTask(const Ptr& phase, const Ptr& spec, std::int64_t order,
                            const Poco::Dynamic::Var& template_id);
    Response postPhase(const Request& request);
    Response postTask(const Request& request);
    Response updateTask(std::int64_t id, const Request& request);
    /// Creates (id 0) or edits note `id`; a note naming a task becomes a task note, listed
    /// in the task's `notes` (which moves the task's modified_time). Returns the note's id.
    std::int64_t writeNote(const Ptr& in, std::int64_t id, std::int64_t author);
    /// Forgets a deleted note in its task's `notes`.
    void detachTaskNote(const Ptr& note);
    Response containerPhases(std::int64_t container_id, const QueryParams& query) const;
    void deleteWorkbooks(std::int64_t container_id);

    // Custom lists (ModelLists.cpp)
    /// /rest/decided_list and /rest/decided_list/<name or id>.
    Response routeLists(const Request& request);
    /// Creates a list from a POST body ({name, content}); returns its id. Throws ApiError.
    std::int64_t createList(const Ptr& in);
    /// Applies an update body (content, name, update_rows, delete_rows, append_rows) to a
    /// list; nothing is stored when any part is refused. Throws ApiError.
    void updateList(std::int64_t id, const Ptr& in);
    /// Stores a list's record with `name` and `content` (cut to options_.list_max_bytes).
    void storeList(std::int64_t id, const std::string& name, Poco::JSON::Array::Ptr content);

    // Seeded data (ModelSeed.cpp)
    void seed(const EmulatorOptions& options);
    /// Seeds container number `i` (0-based) with its artifacts, notes and comments, labelled
    /// `*label` or a label picked by `dice`; returns the latest timestamp it used.
    Micros seedContainer(Dice& dice, Dice& note_dice, const EmulatorOptions& options,
                         std::int64_t i, const std::string* label);

    // Validation helpers
    std::string vocabularyName(const Collection& collection, const Poco::Dynamic::Var& value,
                               const std::string& what) const;
    std::int64_t requireContainer(const Poco::Dynamic::Var& value, const std::string& key) const;

    mutable std::mutex mutex_;
    EmulatorOptions options_;
    Clock clock_;
    std::string base_url_;
    std::vector<std::string> labels_;
    Collection containers_, artifacts_, notes_, comments_, playbooks_, runs_, severities_,
        statuses_, users_, scms_, attachments_, vault_documents_, templates_, phase_templates_,
        task_templates_, phases_, tasks_, action_runs_, app_runs_, lists_;
    /// Custom list ids by name (names are unique, compared as given).
    std::map<std::string, std::int64_t> list_by_name_;
    std::uint64_t list_writes_ = 0;
    /// Vault documents by SHA-1, and the bytes of each.
    std::unordered_map<std::string, std::int64_t> vault_by_hash_;
    std::unordered_map<std::string, std::string> vault_bytes_;
    std::unordered_map<std::string, std::int64_t> sdi_index_;
    std::unordered_map<std::int64_t, std::set<std::int64_t>> container_artifacts_;
    std::unordered_map<std::int64_t, std::map<std::string, std::int64_t>> artifact_hashes_;
    std::map<std::int64_t, RunState> running_;
    std::map<std::int64_t, RunState> run_plans_;
    /// The (action run, app run) ids of each playbook run whose actions have not ended.
    std::map<std::int64_t, std::vector<std::pair<std::int64_t, std::int64_t>>> run_actions_;
};

/// The POST /rest/workbook_template body of a template spec.
Poco::JSON::Object::Ptr templateBody(const WorkbookTemplateSpec& spec);

/// JSON helpers shared by the model's files.
Poco::JSON::Object::Ptr failedBody(const std::string& message);
/// The compact JSON text Poco's Stringifier writes for `value` (JsonWriter.cpp).
std::string toJson(const Poco::Dynamic::Var& value);
std::string toJson(const Poco::JSON::Object& value);
/// toJson(value) appended to `out`.
void appendJson(std::string& out, const Poco::Dynamic::Var& value);
void appendJson(std::string& out, const Poco::JSON::Object& value);
Response jsonResponse(int status, const Poco::Dynamic::Var& value);
/// SHA-256 (hex) of the canonical JSON of the given fields of `row`.
std::string contentHash(const Poco::JSON::Object& row, const std::vector<std::string>& fields);
/// The parsed request body; throws ApiError(400) naming the problem if it is not JSON.
Poco::Dynamic::Var parseJsonBody(const std::string& body);
/// Tags as a list of strings (a single string is accepted); throws ApiError(400).
Poco::JSON::Array::Ptr tagList(const Poco::Dynamic::Var& value);
/// A JSON object field (null = {}); throws ApiError(400) otherwise.
Poco::JSON::Object::Ptr objectField(const Poco::Dynamic::Var& value, const std::string& key);
/// An integer from a JSON int or a decimal string; nullopt otherwise.
std::optional<std::int64_t> asId(const Poco::Dynamic::Var& value);

}  // namespace soar::emulator
