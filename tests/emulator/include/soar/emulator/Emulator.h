#pragma once

/// soar::emulator::Emulator — an in-memory emulator of the Splunk SOAR REST API
/// (see shared/soar-api.md), served over HTTP or HTTPS by Poco on loopback.
///
/// Contract:
/// - The constructor binds the socket and starts serving; the destructor stops the server
///   (aborting open connections) and frees the data. Construction throws on a bad option
///   or a port that cannot be bound.
/// - Every public member is thread-safe and may be called while HTTP clients are active.
/// - The emulator never links the soar-sync client code it is used to test.
/// - All data lives in memory and dies with the object.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace Poco::JSON {
class Object;
}

namespace soar::emulator {

/// One playbook the emulator knows; a run of it stays `running` for `seconds` and then
/// ends with `outcome` ("success" or "failed"). Each run makes one action run (playbook
/// ids even: "geolocate ip") or two (ids odd: then "whois ip"), with one app run each,
/// which follow the run's status.
struct PlaybookSpec {
    std::string repo = "local";
    std::string name;
    std::string outcome = "success";
    double seconds = 0.5;
};

/// A task of a workbook template phase (POST /rest/workbook_template `phases[].tasks[]`).
struct WorkbookTaskSpec {
    std::string name;
    std::string description;
    bool is_note_required = false;  ///< completing a copy of it needs an inline closing note
};

/// A phase of a workbook template; its tasks get orders 1, 2, ... in this order.
struct WorkbookPhaseSpec {
    std::string name;
    std::vector<WorkbookTaskSpec> tasks;
};

/// A workbook template seeded at start (or added with Emulator::addWorkbookTemplate); its
/// phases get orders 1, 2, ... in this order.
struct WorkbookTemplateSpec {
    std::string name;
    std::vector<WorkbookPhaseSpec> phases;
    std::string description;
    bool is_default = false;
};

/// A container custom field the instance defines.
struct CustomFieldSpec {
    std::string name;
    bool required = false;  ///< a container create without a non-empty value is refused
};

/// A container status the instance defines besides the built-ins new, open and closed.
struct StatusSpec {
    std::string name;           ///< [a-z0-9_-], at most 128 characters
    std::string type = "open";  ///< status_type: "new", "open" or "resolved"
};

/// A custom list (`decided_list`) that exists from the start: its name and its content as
/// JSON (rows of simple values; a value that is not a row becomes a one-cell row).
struct ListSpec {
    std::string name;
    std::string content_json;
};

struct EmulatorOptions {
    std::string host = "127.0.0.1";
    unsigned short port = 0;           ///< 0 = an ephemeral port, read it back with port()
    std::string token = "test-token";  ///< ph-auth-token, bearer, or basic password
    std::string user = "admin";        ///< basic-auth user: the only identity allowed to DELETE
    std::string password = "password";
    std::string tls_cert, tls_key;  ///< both set = HTTPS (PEM files)
    /// With HTTPS: the TLS 1.2 suites offered (OpenSSL notation; empty = Poco's default) and
    /// whether TLS 1.3 is offered at all; lets tests play an old or weak server.
    std::string tls_ciphers;
    bool tls13 = true;
    std::vector<std::string> labels = {"events", "incident"};
    std::uint64_t seed = 0;  ///< seeds the generated data and the fault pattern
    int containers = 0;      ///< seeded containers (0 = none)
    int artifacts = 0;       ///< seeded artifacts per seeded container
    int notes = 0;           ///< seeded notes, and as many comments, per seeded container
    /// After the `containers`, this many more seeded containers carry the label
    /// `extra_label` (added to `labels` if missing): records a target without that label
    /// refuses. Their data comes from the same seed, so the first `containers` are unchanged.
    std::string extra_label;
    int extra_label_containers = 0;
    bool coarse_time = false;       ///< whole-second timestamps (many records tie)
    bool null_update_time = false;  ///< never-edited containers report null update times
    std::vector<PlaybookSpec> playbooks;
    double fail_rate = 0;      ///< fraction of /rest requests answered 500
    double throttle_rate = 0;  ///< fraction of /rest requests answered 429 + Retry-After
    int retry_after_seconds = 1;
    int latency_ms = 0;  ///< added to every /rest request
    /// A write (POST/DELETE) whose body contains this text is answered 500 every time, and
    /// not applied: a record the server cannot store. Empty = none.
    std::string fail_marker;
    int threads = 16;  ///< server worker threads
    /// Vault readings where the sources disagree (README, "Conflicts"): by default a second
    /// upload of the same bytes to the same container makes a second attachment, and the
    /// upload answer carries `vault_id`; these give the other readings.
    bool attachment_dedup = false;
    bool attachment_answer_without_vault_id = false;
    /// Artifacts embedded in a container create (soar-api.md §3.2): by default its answer
    /// carries each one's result under `artifacts` (Splunk's SDK reads them) beside
    /// `new_artifact_ids`; this gives 8.5's observed answer, the new ids only.
    bool embedded_answer_ids_only = false;
    /// Users (`ph_user`, type "normal") after the two built-ins (`user`, id 1, and
    /// "automation", id 2), in this order: ids 3, 4, ...
    std::vector<std::string> users;
    /// Custom fields the instance defines. Empty = any custom field is accepted; otherwise
    /// a container write naming another field, or a create missing a required one, is a 400.
    std::vector<CustomFieldSpec> custom_fields;
    /// Workbook templates that exist from the start (ids 1, 2, ... in this order).
    std::vector<WorkbookTemplateSpec> workbook_templates;
    /// Workbook task status codes, in the order not started, in progress, complete (a
    /// permutation of "012"). Default "021" (Splunk's phantomcyber playbooks: 0 = not
    /// started, 2 = in progress, 1 = complete); "012" is splunkctl's labelling.
    std::string task_status_codes = "021";
    /// Custom container statuses after the built-ins (ids 4, 5, ... in this order; at most
    /// 30), and statuses to delete at start (e.g. "open"). Container writes naming new,
    /// open or closed are accepted even when those are deleted.
    std::vector<StatusSpec> statuses;
    std::vector<std::string> removed_statuses;
    /// When > 0, the first app run ("geolocate ip") of every playbook run carries at least
    /// this many KiB of `result_data` rows when it succeeds (for clients that must
    /// summarise, not paste).
    int large_result_kb = 0;
    /// Custom lists that exist from the start (ids 1, 2, ... in this order); seeding them is
    /// not counted in Emulator::listWrites().
    std::vector<ListSpec> lists;
    /// SOAR stores a list as one string of at most 256 MB and silently truncates a longer
    /// one. A list write whose content, as compact JSON, is longer than this many bytes is
    /// stored without its trailing rows (then trailing cells) until it fits, and still
    /// answered as a success.
    std::size_t list_max_bytes = std::size_t{256} * 1024 * 1024;
    /// Whether `GET /rest/decided_list` (the collection) shows each list's `content`; by
    /// default only `GET /rest/decided_list/<name or id>` does (soar-api-more.md, Conflicts 6).
    bool list_content_in_collection = false;
};

/// Parses the `--workbook-template` text `NAME:PHASE=TASK|TASK;PHASE=TASK...` (a task ending
/// in `!` needs a closing note; a phase may have no `=TASKS`). Throws std::invalid_argument.
WorkbookTemplateSpec parseWorkbookTemplate(const std::string& text);
/// Parses the `--custom-field` text `NAME` or `NAME:required`. Throws std::invalid_argument.
CustomFieldSpec parseCustomField(const std::string& text);
/// Parses the `--status` text `NAME:TYPE` (TYPE new, open or resolved). Throws
/// std::invalid_argument.
StatusSpec parseStatus(const std::string& text);
/// Parses the `--list` text `NAME=JSON` (split at the first `=`; the JSON is checked when
/// the emulator starts). Throws std::invalid_argument.
ListSpec parseList(const std::string& text);

/// The answer of a request made in-process with Emulator::direct().
struct DirectResponse {
    int status = 0;
    std::string body;
};

class Emulator {
public:
    explicit Emulator(EmulatorOptions options);
    ~Emulator();
    Emulator(const Emulator&) = delete;
    Emulator& operator=(const Emulator&) = delete;

    [[nodiscard]] unsigned short port() const;
    /// "http://127.0.0.1:PORT" or "https://127.0.0.1:PORT".
    [[nodiscard]] std::string baseUrl() const;
    [[nodiscard]] bool secure() const;

    [[nodiscard]] std::size_t containerCount() const;
    [[nodiscard]] std::size_t artifactCount() const;
    [[nodiscard]] std::size_t noteCount() const;
    [[nodiscard]] std::size_t commentCount() const;
    [[nodiscard]] std::size_t playbookRunCount() const;
    /// All HTTP requests served, faulted ones included.
    [[nodiscard]] std::uint64_t requestCount() const;

    /// Runs one request against the data as an authenticated caller, bypassing HTTP, auth
    /// and fault injection (not counted in requestCount()). `target` is a path with an
    /// optional query string, e.g. "/rest/container?page_size=0". `as_user` = basic-auth
    /// user (may DELETE); otherwise the caller is the automation token.
    DirectResponse direct(const std::string& method, const std::string& target,
                          const std::string& body = "", bool as_user = true) const;

    /// Edits a container as an analyst would (same rules as POST /rest/container/<id>:
    /// bumps version and container_update_time). Throws std::runtime_error on failure.
    void editContainer(std::int64_t id, const std::string& json_patch);
    /// The same with the fields as a JSON object (status, severity, sensitivity, owner_id,
    /// tags, name, custom_fields, ...).
    void editContainer(std::int64_t id, const Poco::JSON::Object& fields);
    /// Analyst edits, each the REST request it stands for, made as the user (author and
    /// user id 1), with the same validation and update times. Throw std::runtime_error on
    /// failure. addNote: a general markdown note (POST /rest/note) → its id; addComment:
    /// POST /rest/container_comment → its id; editNote: new content of a note (POST
    /// /rest/note/<id>; modified_time moves, version + 1); setTaskStatus: POST
    /// /rest/workbook_task/<id> with `status` (a code of the instance's task status codes)
    /// and, if not empty, the inline closing `note`.
    std::int64_t addNote(std::int64_t container, const std::string& title,
                         const std::string& content);
    std::int64_t addComment(std::int64_t container, const std::string& text);
    void editNote(std::int64_t id, const std::string& content);
    void setTaskStatus(std::int64_t task, int status, const std::string& note = "");
    /// Creates a container (POST /rest/container body); returns its id. Throws on failure.
    std::int64_t createContainer(const std::string& json);
    /// Adds an artifact (POST /rest/artifact body); returns its id (or the existing one).
    std::int64_t addArtifact(const std::string& json);
    /// Attaches `bytes` as file `name` to a container (POST /rest/container_attachment, the
    /// content sent as base64); returns the attachment's id. Throws on failure.
    std::int64_t addAttachment(std::int64_t container, const std::string& name,
                               const std::string& bytes);
    /// Container attachments (links of a file to a container) and vault documents (files).
    [[nodiscard]] std::size_t attachmentCount() const;
    [[nodiscard]] std::size_t vaultDocumentCount() const;
    /// Deletes a container with everything in it; false if it did not exist.
    bool deleteContainer(std::int64_t id);
    /// Adds a container label, as POST /rest/system_settings/events would.
    void addLabel(const std::string& name);
    /// Adds a user (`ph_user`, type "normal") and returns its id; the id it has if a user
    /// of that name exists already.
    std::int64_t addUser(const std::string& username);
    /// Creates a workbook template with its phase and task templates (as POST
    /// /rest/workbook_template); returns its id. Throws std::runtime_error on failure (e.g.
    /// a template of that name exists).
    std::int64_t addWorkbookTemplate(const WorkbookTemplateSpec& spec);
    /// Adds a container status (as POST /rest/container_status) and returns its id; throws
    /// std::runtime_error when the name is taken or invalid, or the type is not new, open
    /// or resolved.
    std::int64_t addStatus(const std::string& name, const std::string& type);
    /// Deletes a container status (built-in or not); false if there is none of that name.
    bool removeStatus(const std::string& name);
    /// Custom lists, as an analyst would edit them (each the REST request it stands for, run
    /// in-process, so not counted in listWrites()). putList: creates the list (POST
    /// /rest/decided_list) or replaces its content (POST /rest/decided_list/<id>
    /// `{"content"}`), returns its id, throws std::runtime_error on refusal; listContent: its
    /// content as compact JSON, nullopt if there is no list of that name; deleteList: false
    /// if there was none.
    std::int64_t putList(const std::string& name, const std::string& content_json);
    [[nodiscard]] std::optional<std::string> listContent(const std::string& name) const;
    bool deleteList(const std::string& name);
    /// Successful creates, updates (changed or not) and deletes of custom lists over HTTP (a
    /// write applied before an injected 500 counts too).
    [[nodiscard]] std::uint64_t listWrites() const;
    /// Action runs of playbook runs, and app runs (one per action run).
    [[nodiscard]] std::size_t actionRunCount() const;
    [[nodiscard]] std::size_t appRunCount() const;
    /// Live workbook phases and tasks on containers.
    [[nodiscard]] std::size_t workbookPhaseCount() const;
    [[nodiscard]] std::size_t workbookTaskCount() const;
    /// The JSON of one record ("container", "artifact", "note", "container_comment",
    /// "playbook_run", "playbook", "ph_user", "workbook_template", "workbook_phase_template",
    /// "workbook_task_template", "workbook_phase", "workbook_task", "container_status",
    /// "action_run", "app_run" (with its result_data), "decided_list"); empty string if it does not
    /// exist.
    [[nodiscard]] std::string recordJson(const std::string& type, std::int64_t id) const;

    /// Changes fault injection while serving (e.g. turn faults on after a clean first pass).
    void setFaults(double fail_rate, double throttle_rate, int latency_ms);
    /// The token it accepts from now on (a rotation on the server side).
    void setToken(const std::string& token);

    class Impl;

private:
    std::unique_ptr<Impl> impl_;
};

}  // namespace soar::emulator
