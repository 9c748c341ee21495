// Notes, comments, labels and vocabularies, playbooks and playbook runs.

#include "Model.h"

#include <Poco/JSON/Parser.h>

#include <algorithm>
#include <stdexcept>

namespace soar::emulator {

using Poco::Dynamic::Var;
using Poco::JSON::Array;
using Poco::JSON::Object;

namespace {

Object::Ptr parseObjectBody(const std::string& body) {
    const Var parsed = parseJsonBody(body);
    if (parsed.isEmpty() || parsed.type() != typeid(Object::Ptr)) {
        throw ApiError(400, "Expected a JSON object");
    }
    return parsed.extract<Object::Ptr>();
}

std::string stringField(const Object& in, const std::string& key, const std::string& fallback) {
    const Var v = in.get(key);
    if (v.isEmpty()) {
        return fallback;
    }
    if (!v.isString()) {
        throw ApiError(400, "Invalid value for '" + key + "': expected a string");
    }
    return v.extract<std::string>();
}

Object::Ptr success(std::int64_t id) {
    Object::Ptr body = new Object;
    body->set("success", true);
    body->set("id", id);
    return body;
}

std::string runMessage(const std::string& playbook, const std::string& status) {
    Object message;
    message.set("playbook", playbook);
    message.set("status", status);
    message.set("message", "");
    message.set("result", Array::Ptr(new Array));
    return toJson(Var(Object::Ptr(new Object(message))));
}

}  // namespace

Response Model::postNote(const Request& request, std::int64_t id) {
    const Object::Ptr in = parseObjectBody(request.body);
    return jsonResponse(200, success(writeNote(in, id, request.user_auth ? 1 : 2)));
}

std::int64_t Model::writeNote(const Ptr& in, std::int64_t id, std::int64_t author) {
    Ptr row;
    Ptr task;
    if (id != 0) {
        row = new Object(*notes_.find(id));
        if (const auto t = asId(row->get("task"))) {
            task = tasks_.find(*t);
        }
    } else {
        row = new Object;
        const Var task_ref = in->get("task_id");
        if (!task_ref.isEmpty()) {
            const auto t = asId(task_ref);
            task = t ? tasks_.find(*t) : Ptr();
            if (task.isNull()) {
                throw ApiError(400, "Invalid task_id: " + task_ref.toString() + " (no such task)");
            }
            const std::int64_t container = task->getValue<Poco::Int64>("container");
            if (in->has("container_id") && !in->get("container_id").isEmpty() &&
                asId(in->get("container_id")) != container) {
                throw ApiError(400, "Invalid container_id: task " + task_ref.toString() +
                                        " belongs to container " + std::to_string(container));
            }
            row->set("container", container);
        } else {
            row->set("container", requireContainer(in->get("container_id"), "container_id"));
        }
        const Var artifact = in->get("artifact_id");
        if (!artifact.isEmpty() && (!asId(artifact) || artifacts_.find(*asId(artifact)).isNull())) {
            throw ApiError(400, "Invalid artifact_id: " + artifact.toString());
        }
        row->set("artifact", artifact.isEmpty() ? Var() : Var(*asId(artifact)));
        row->set("author", author);
        row->set("phase", task.isNull() ? Var() : task->get("phase"));
        row->set("task", task.isNull() ? Var() : task->get("id"));
        row->set("version", 0);
    }
    auto current = [&](const char* key, const char* fallback) {
        return row->has(key) ? row->getValue<std::string>(key) : std::string(fallback);
    };
    row->set("title", stringField(*in, "title", current("title", "")));
    row->set("content", stringField(*in, "content", current("content", "")));
    const std::string type =
        stringField(*in, "note_type", current("note_type", task.isNull() ? "general" : "task"));
    if (type != "general" && type != "artifact" && type != "task") {
        throw ApiError(400, "Invalid note_type \"" + type + "\": use general, artifact or task");
    }
    if ((type == "task") != !row->get("task").isEmpty()) {
        throw ApiError(400, type == "task" ? "A task note needs a task_id"
                                           : "A note of a task has note_type \"task\"");
    }
    row->set("note_type", type);
    const std::string format = stringField(*in, "note_format", current("note_format", "markdown"));
    if (format != "markdown" && format != "html") {
        throw ApiError(400, "Invalid note_format \"" + format + "\": use markdown or html");
    }
    row->set("note_format", format);
    // Up to 10 files of the note's container (soar-api-more.md §1.4), as attachment ids.
    if (in->has("attachments") || id == 0) {
        Array::Ptr files = new Array;
        const Var given = in->get("attachments");
        if (!given.isEmpty()) {
            if (given.type() != typeid(Array::Ptr)) {
                throw ApiError(400, "Invalid attachments: expected a list of attachment ids");
            }
            const auto list = given.extract<Array::Ptr>();
            if (list->size() > 10) throw ApiError(400, "A note may reference up to 10 attachments");
            const std::int64_t container = row->getValue<Poco::Int64>("container");
            for (const auto& ref : *list) {
                const auto file = asId(ref);
                const auto found = file ? attachments_.find(*file) : Ptr();
                if (found.isNull() || found->getValue<Poco::Int64>("container_id") != container) {
                    throw ApiError(400, "Invalid attachment id " + ref.toString() +
                                            ": not a file of container " +
                                            std::to_string(container));
                }
                files->add(*file);
            }
        }
        row->set("attachments", files);
    }
    const std::string now = formatTimestamp(clock_.next());
    if (id == 0) {
        row->set("create_time", now);
    }
    row->set("modified_time", now);
    row->set("version", row->getValue<Poco::Int64>("version") + 1);
    if (id == 0) {
        id = notes_.insert(row);
    } else {
        notes_.rows.replace(id, row);
    }
    if (!task.isNull()) {
        // A task's notes belong to it: adding or editing one is a change of the task.
        Ptr copy = new Object(*task);
        Array::Ptr notes = new Array;
        bool listed = false;
        const auto old = task->getArray("notes");
        for (std::size_t i = 0; old && i < old->size(); ++i) {
            const Var n = old->get(static_cast<unsigned int>(i));
            listed = listed || asId(n) == id;
            notes->add(n);
        }
        if (!listed) {
            notes->add(id);
        }
        copy->set("notes", notes);
        copy->set("modified_time", now);
        tasks_.rows.replace(copy->getValue<Poco::Int64>("id"), copy);
    }
    return id;
}

Response Model::postComment(const Request& request) {
    const Object::Ptr in = parseObjectBody(request.body);
    Ptr row = new Object;
    row->set("container", requireContainer(in->get("container_id"), "container_id"));
    const std::string comment = stringField(*in, "comment", "");
    if (comment.empty()) {
        throw ApiError(400, "Missing required field 'comment'");
    }
    row->set("comment", comment);
    row->set("user", request.user_auth ? 1 : 2);
    row->set("time", formatTimestamp(clock_.next()));
    return jsonResponse(200, success(comments_.insert(row)));
}

Response Model::systemSettings(const Request& request) {
    const Object::Ptr in = parseObjectBody(request.body);
    const bool add = in->has("add_label") && in->get("add_label") == true;
    const bool remove = in->has("remove_label") && in->get("remove_label") == true;
    if (add == remove) {
        throw ApiError(400, "Expected exactly one of add_label or remove_label set to true");
    }
    const std::string name = stringField(*in, "label_name", "");
    if (name.empty()) {
        throw ApiError(400, "Missing required field 'label_name'");
    }
    const auto it = std::find(labels_.begin(), labels_.end(), name);
    if (add && it == labels_.end()) {
        labels_.push_back(name);
    }
    if (remove && it != labels_.end()) {
        labels_.erase(it);
    }
    Object::Ptr body = new Object;
    body->set("success", true);
    return jsonResponse(200, body);
}

Response Model::postVocabulary(Collection& collection, const Request& request) {
    const Object::Ptr in = parseObjectBody(request.body);
    std::string name = stringField(*in, "name", "");
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (name.empty()) {
        throw ApiError(400, "Missing required field 'name'");
    }
    for (const auto& entry : collection.rows) {
        const auto& row = entry.second;
        if (row->getValue<std::string>("name") == name) {
            throw ApiError(400, collection.name + " \"" + name + "\" already exists");
        }
    }
    if (&collection == &statuses_) {
        return jsonResponse(
            200, success(insertStatus(name, stringField(*in, "status_type", "open"), false)));
    }
    Ptr row = new Object;
    row->set("name", name);
    row->set("is_default", false);
    row->set("color", stringField(*in, "color", "white"));
    return jsonResponse(200, success(collection.insert(row)));
}

namespace {

/// The statuses a container write may name even after they were deleted (soar-api-more.md
/// §4), with their types.
const std::vector<std::pair<std::string, std::string>> kBuiltinStatuses = {
    {"new", "new"}, {"open", "open"}, {"closed", "resolved"}};
constexpr std::size_t kMaxCustomStatuses = 30;
constexpr std::size_t kMaxStatusName = 128;

}  // namespace

std::int64_t Model::insertStatus(const std::string& name, const std::string& type, bool builtin) {
    if (name.empty() || name.size() > kMaxStatusName ||
        !std::all_of(name.begin(), name.end(), [](unsigned char c) {
            return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
        })) {
        throw ApiError(400, "Invalid status name \"" + name +
                                "\": use 1 to 128 of the characters a-z, 0-9, _ and -");
    }
    if (type != "new" && type != "open" && type != "resolved") {
        throw ApiError(400, "Invalid status_type \"" + type + "\": use new, open or resolved");
    }
    std::size_t custom = 0;
    std::int64_t order = 0;
    for (const auto& entry : statuses_.rows) {
        const auto& row = entry.second;
        if (row->getValue<std::string>("name") == name) {
            throw ApiError(400, "container_status \"" + name + "\" already exists");
        }
        custom += row->getValue<bool>("is_mutable") ? 1U : 0U;
        order = std::max(order, row->getValue<Poco::Int64>("order"));
    }
    if (!builtin && custom >= kMaxCustomStatuses) {
        throw ApiError(400, "An instance has at most " + std::to_string(kMaxCustomStatuses) +
                                " custom statuses");
    }
    const std::string now = formatTimestamp(clock_.next());
    Ptr row = new Object;
    row->set("name", name);
    row->set("status_type", type);
    row->set("is_default", builtin && name == "new");
    row->set("is_mutable", !builtin);
    row->set("disabled", false);
    row->set("order", order + 1);
    row->set("create_time", now);
    row->set("modified_time", now);
    return statuses_.insert(row);
}

void Model::setUpStatuses(const EmulatorOptions& options) {
    for (const auto& [name, type] : kBuiltinStatuses) {
        (void)insertStatus(name, type, true);
    }
    for (const auto& status : options.statuses) {
        try {
            (void)insertStatus(status.name, status.type, false);
        } catch (const ApiError& e) {
            throw std::invalid_argument("status '" + status.name + "': " + e.what());
        }
    }
    for (const auto& name : options.removed_statuses) {
        if (!eraseStatus(name)) {
            throw std::invalid_argument("cannot remove status '" + name + "': no such status");
        }
    }
}

bool Model::eraseStatus(const std::string& name) {
    for (const auto& entry : statuses_.rows) {
        if (entry.second->getValue<std::string>("name") == name) {
            statuses_.rows.erase(entry.first);
            return true;
        }
    }
    return false;
}

std::string Model::containerStatus(const Var& value) const {
    if (!value.isString()) {
        throw ApiError(400, "Invalid status: expected a status name, not " + value.toString());
    }
    std::string name = value.extract<std::string>();
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (!statusType(name).empty()) {
        return name;
    }
    std::string known;
    for (const auto& entry : statuses_.rows) {
        known += (known.empty() ? "" : ", ") + entry.second->getValue<std::string>("name");
    }
    for (const auto& builtin : kBuiltinStatuses) {
        const bool listed =
            std::any_of(statuses_.rows.begin(), statuses_.rows.end(), [&](const auto& entry) {
                return entry.second->template getValue<std::string>("name") == builtin.first;
            });
        if (!listed) {
            known += ", " + builtin.first;  // deleted, and still accepted
        }
    }
    throw ApiError(400, "Status \"" + value.extract<std::string>() +
                            "\" is not a known status (known: " + known + ")");
}

std::string Model::statusType(const std::string& name) const {
    for (const auto& entry : statuses_.rows) {
        if (entry.second->getValue<std::string>("name") == name) {
            return entry.second->getValue<std::string>("status_type");
        }
    }
    for (const auto& [builtin, type] : kBuiltinStatuses) {
        if (builtin == name) {
            return type;
        }
    }
    return {};
}

StatusSpec parseStatus(const std::string& text) {
    const auto colon = text.rfind(':');
    StatusSpec status;
    status.name = text.substr(0, colon);
    status.type = colon == std::string::npos ? "" : text.substr(colon + 1);
    if (status.name.empty() ||
        (status.type != "new" && status.type != "open" && status.type != "resolved")) {
        throw std::invalid_argument("status '" + text +
                                    "': expected NAME:TYPE with TYPE new, open or resolved");
    }
    return status;
}

Response Model::containerOptions() const {
    Object::Ptr body = new Object;
    Array::Ptr labels = new Array;
    for (const auto& l : labels_) {
        labels->add(l);
    }
    body->set("label", labels);
    for (const auto& [key, c] : std::vector<std::pair<std::string, const Collection*>>{
             {"severity", &severities_}, {"status", &statuses_}}) {
        Array::Ptr names = new Array;
        for (const auto& entry : c->rows) {
            const auto& row = entry.second;
            names->add(row->get("name"));
        }
        body->set(key, names);
    }
    Array::Ptr sensitivity = new Array;
    for (const char* s : {"white", "green", "amber", "red"}) {
        sensitivity->add(s);
    }
    body->set("sensitivity", sensitivity);
    Array::Ptr types = new Array;
    types->add("default");
    types->add("case");
    body->set("container_type", types);
    return jsonResponse(200, body);
}

std::int64_t Model::findPlaybook(const Var& ref) const {
    if (const auto id = asId(ref)) {
        return playbooks_.find(*id).isNull() ? 0 : *id;
    }
    if (!ref.isString()) {
        return 0;
    }
    const std::string text = ref.extract<std::string>();
    const auto slash = text.find('/');
    const std::string repo = slash == std::string::npos ? "" : text.substr(0, slash);
    const std::string name = slash == std::string::npos ? text : text.substr(slash + 1);
    for (const auto& entry : playbooks_.rows) {
        const std::int64_t id = entry.first;
        const auto& row = entry.second;
        if (row->getValue<std::string>("name") != name) {
            continue;
        }
        const auto scm = scms_.find(row->getValue<Poco::Int64>("scm"));
        if (repo.empty() || (!scm.isNull() && scm->getValue<std::string>("name") == repo)) {
            return id;
        }
    }
    return 0;
}

Response Model::postRun(const Request& request) {
    const Object::Ptr in = parseObjectBody(request.body);
    const Var playbook_ref = in->get("playbook_id");
    if (playbook_ref.isEmpty()) {
        throw ApiError(400, "Missing required field 'playbook_id'");
    }
    const std::int64_t playbook = findPlaybook(playbook_ref);
    if (playbook == 0) {
        throw ApiError(404, "Playbook \"" + playbook_ref.toString() + "\" not found");
    }
    const Var container_ref = in->get("container_id");
    const auto container = asId(container_ref);
    if (!container || containers_.find(*container).isNull()) {
        throw ApiError(404, "Container \"" + container_ref.toString() + "\" not found");
    }
    if (!(in->has("run") && in->get("run") == true)) {
        throw ApiError(400, "'run' must be true");
    }
    Var scope = in->get("scope");
    if (scope.isEmpty()) {
        scope = "new";
    }
    if (!(scope == "new" || scope == "all" ||
          (!scope.isEmpty() && scope.type() == typeid(Array::Ptr)))) {
        throw ApiError(400, "Invalid scope: use \"new\", \"all\" or a list of artifact ids");
    }
    const Ptr pb = playbooks_.find(playbook);
    const auto scm = scms_.find(pb->getValue<Poco::Int64>("scm"));
    const std::string full_name =
        scm->getValue<std::string>("name") + "/" + pb->getValue<std::string>("name");
    const Micros now = clock_.next();
    const std::string started = formatTimestamp(now);
    const std::int64_t user = request.user_auth ? 1 : 2;
    Ptr row = new Object;
    row->set("action_exec", Array::Ptr(new Array));
    row->set("cancelled", "");
    row->set("container", *container);
    row->set("effective_user", user);
    row->set("owner", user);
    row->set("ip_address", "127.0.0.1");
    const auto arts = container_artifacts_.find(*container);
    row->set("last_artifact", arts == container_artifacts_.end() || arts->second.empty()
                                  ? Var()
                                  : Var(*arts->second.rbegin()));
    row->set("log_level", 1);
    row->set("message", runMessage(full_name, "running"));
    row->set("misc", Object::Ptr(new Object));
    row->set("node_guid", "00000000-0000-4000-8000-000000000001");
    row->set("parent_run", Var());
    row->set("playbook", playbook);
    row->set("run_data", Object::Ptr(new Object));
    row->set("start_time", started);
    row->set("end_time", Var());
    row->set("status", "running");
    row->set("test_mode", false);
    row->set("update_time", started);
    row->set("version", 1);
    row->set("num_actions", static_cast<Poco::Int64>(actionCount(playbook)));
    row->set("scope", scope);
    const std::int64_t id = runs_.insert(row);
    createActions(row);
    const RunState& plan = run_plans_.at(playbook);
    running_[id] = RunState{wallClockMicros() + plan.deadline, plan.outcome};
    Object::Ptr body = new Object;
    body->set("playbook_run_id", std::to_string(id));
    body->set("received", true);
    return jsonResponse(200, body);
}

void Model::settleRuns(Micros now) {
    for (auto it = running_.begin(); it != running_.end();) {
        if (it->second.deadline > now) {
            ++it;
            continue;
        }
        Ptr row = runs_.find(it->first);
        if (!row.isNull()) {
            Ptr copy = new Object(*row);
            const Micros end = clock_.truncate(it->second.deadline);
            clock_.observe(end);
            copy->set("status", it->second.outcome);
            copy->set("end_time", formatTimestamp(end));
            copy->set("update_time", formatTimestamp(end));
            Var message = Poco::JSON::Parser().parse(copy->getValue<std::string>("message"));
            auto m = message.extract<Object::Ptr>();
            m->set("status", it->second.outcome);
            copy->set("message", toJson(message));
            runs_.rows.replace(it->first, copy);
            finishActions(it->first, it->second.outcome, formatTimestamp(end));
        }
        run_actions_.erase(it->first);
        it = running_.erase(it);
    }
}

Response Model::cancelRun(std::int64_t id, const std::string& request_body) {
    // The caller already checked that the run exists.
    const Object::Ptr in = parseObjectBody(request_body);
    if (!(in->has("cancel") && in->get("cancel") == true)) {
        throw ApiError(400, "Expected {\"cancel\": true}");
    }
    const auto it = running_.find(id);
    if (it != running_.end()) {
        Ptr copy = new Object(*runs_.find(id));
        const std::string now = formatTimestamp(clock_.next());
        copy->set("status", "cancelled");
        copy->set("cancelled", now);
        copy->set("end_time", now);
        copy->set("update_time", now);
        runs_.rows.replace(id, copy);
        finishActions(id, "cancelled", now);
        running_.erase(it);
    }
    // A cancel of a finished run is accepted and does nothing, like the real server.
    Object::Ptr body = new Object;
    body->set("cancelled", true);
    body->set("message", "Playbook run cancelled");
    body->set("playbook_run_id", std::to_string(id));
    return jsonResponse(200, body);
}

}  // namespace soar::emulator
