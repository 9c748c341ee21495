// Users, custom fields, workbook templates and the live workbooks (phases, tasks) of cases.

#include "Model.h"

#include <Poco/JSON/Parser.h>

#include <algorithm>
#include <map>
#include <stdexcept>
#include <tuple>

namespace soar::emulator {

using Poco::Dynamic::Var;
using Poco::JSON::Array;
using Poco::JSON::Object;

namespace {

/// What a task status code means; the codes themselves depend on the options.
enum class TaskState { NotStarted, InProgress, Complete };

bool isObjectVar(const Var& v) { return !v.isEmpty() && v.type() == typeid(Object::Ptr); }
bool isArrayVar(const Var& v) { return !v.isEmpty() && v.type() == typeid(Array::Ptr); }

Object::Ptr objectBody(const std::string& body) {
    const Var parsed = parseJsonBody(body);
    if (!isObjectVar(parsed)) {
        throw ApiError(400, "Expected a JSON object");
    }
    return parsed.extract<Object::Ptr>();
}

std::string requiredName(const Object& in, const std::string& what) {
    const Var v = in.get("name");
    if (v.isEmpty() || !v.isString() || v.extract<std::string>().empty()) {
        throw ApiError(400, "Missing required field 'name' of " + what);
    }
    return v.extract<std::string>();
}

std::string optionalString(const Object& in, const std::string& key) {
    const Var v = in.get(key);
    if (v.isEmpty()) {
        return {};
    }
    if (!v.isString()) {
        throw ApiError(400, "Invalid value for '" + key + "': expected a string");
    }
    return v.extract<std::string>();
}

bool optionalBool(const Object& in, const std::string& key, bool fallback) {
    const Var v = in.get(key);
    if (v.isEmpty()) {
        return fallback;
    }
    if (!v.isBoolean()) {
        throw ApiError(400, "Invalid value for '" + key + "': expected true or false");
    }
    return v.extract<bool>();
}

/// An `order`: a positive integer, or `fallback` when absent.
std::int64_t optionalOrder(const Object& in, std::int64_t fallback) {
    const Var v = in.get("order");
    if (v.isEmpty()) {
        return fallback;
    }
    const auto n = asId(v);
    if (!n || *n < 1) {
        throw ApiError(
            400, "Invalid value for 'order': " + v.toString() + " (expected a positive integer)");
    }
    return *n;
}

Array::Ptr arrayField(const Object& in, const std::string& key) {
    const Var v = in.get(key);
    if (v.isEmpty()) {
        return new Array;
    }
    if (!isArrayVar(v)) {
        throw ApiError(400, "Invalid value for '" + key + "': expected a list");
    }
    return v.extract<Array::Ptr>();
}

/// The objects of a list field, each checked to be an object.
std::vector<Object::Ptr> objectItems(const Object& in, const std::string& key) {
    std::vector<Object::Ptr> out;
    const auto items = arrayField(in, key);
    for (std::size_t i = 0; i < items->size(); ++i) {
        const Var item = items->get(static_cast<unsigned int>(i));
        if (!isObjectVar(item)) {
            throw ApiError(400, "Invalid value for '" + key + "': expected a list of objects");
        }
        out.push_back(item.extract<Object::Ptr>());
    }
    return out;
}

/// Rows sorted by (order, id).
std::vector<Object::Ptr> byOrder(std::vector<Object::Ptr> rows) {
    std::sort(rows.begin(), rows.end(), [](const Object::Ptr& a, const Object::Ptr& b) {
        return std::make_tuple(a->getValue<Poco::Int64>("order"), a->getValue<Poco::Int64>("id")) <
               std::make_tuple(b->getValue<Poco::Int64>("order"), b->getValue<Poco::Int64>("id"));
    });
    return rows;
}

bool emptyValue(const Var& v) {
    return v.isEmpty() || (v.isString() && v.extract<std::string>().empty());
}

}  // namespace

Object::Ptr templateBody(const WorkbookTemplateSpec& spec) {
    Object::Ptr body = new Object;
    body->set("name", spec.name);
    body->set("description", spec.description);
    body->set("is_default", spec.is_default);
    Array::Ptr phases = new Array;
    for (std::size_t p = 0; p < spec.phases.size(); ++p) {
        Object::Ptr phase = new Object;
        phase->set("name", spec.phases[p].name);
        phase->set("order", static_cast<Poco::Int64>(p + 1));
        Array::Ptr tasks = new Array;
        for (std::size_t t = 0; t < spec.phases[p].tasks.size(); ++t) {
            const WorkbookTaskSpec& task = spec.phases[p].tasks[t];
            Object::Ptr row = new Object;
            row->set("name", task.name);
            row->set("order", static_cast<Poco::Int64>(t + 1));
            row->set("description", task.description);
            row->set("is_note_required", task.is_note_required);
            tasks->add(row);
        }
        phase->set("tasks", tasks);
        phases->add(phase);
    }
    body->set("phases", phases);
    return body;
}

// ---- Users and custom fields ----

std::int64_t Model::userId(const std::string& username) const {
    for (const auto& entry : users_.rows) {
        if (entry.second->getValue<std::string>("username") == username) {
            return entry.first;
        }
    }
    return 0;
}

std::int64_t Model::requireUser(const Var& value, const std::string& key, bool by_name) const {
    if (const auto id = asId(value); id && !users_.find(*id).isNull()) {
        return *id;
    }
    if (by_name && value.isString()) {
        if (const std::int64_t id = userId(value.extract<std::string>()); id != 0) {
            return id;
        }
    }
    throw ApiError(400, "Invalid " + key + ": " + value.toString() + " (no such user)");
}

void Model::checkCustomFields(const Object& incoming, bool creating) const {
    const auto& defined = options_.custom_fields;
    if (defined.empty()) {
        return;  // an instance that defines none: anything goes, as before
    }
    for (const auto& [key, value] : incoming) {
        (void)value;
        if (std::none_of(defined.begin(), defined.end(),
                         [&key = key](const CustomFieldSpec& f) { return f.name == key; })) {
            throw ApiError(400, "Invalid custom field: '" + key + "'");
        }
    }
    for (const auto& field : defined) {
        if (!field.required) {
            continue;
        }
        if (creating && emptyValue(incoming.get(field.name))) {
            throw ApiError(400, "Missing required custom field: '" + field.name + "'");
        }
        if (!creating && incoming.has(field.name) && emptyValue(incoming.get(field.name))) {
            throw ApiError(400, "Required custom field '" + field.name + "' cannot be empty");
        }
    }
}

// ---- Templates ----

std::int64_t Model::createTemplate(const Ptr& in) {
    // Everything is checked before anything is stored.
    const std::string name = requiredName(*in, "a workbook template");
    for (const auto& entry : templates_.rows) {
        if (entry.second->getValue<std::string>("name") == name) {
            throw ApiError(400, "A workbook template named '" + name + "' already exists",
                           "existing_template_id", entry.first);
        }
    }
    if (!in->has("is_default") || !in->get("is_default").isBoolean()) {
        throw ApiError(400, "Missing required field 'is_default' (true or false)");
    }
    const bool is_default = in->getValue<bool>("is_default");
    const bool note_required = optionalBool(*in, "is_note_required", false);
    const std::string description = optionalString(*in, "description");
    const auto phases = objectItems(*in, "phases");
    std::vector<std::vector<Object::Ptr>> tasks;
    for (const auto& phase : phases) {
        (void)requiredName(*phase, "a phase");
        (void)optionalOrder(*phase, 1);
        tasks.push_back(objectItems(*phase, "tasks"));
        for (const auto& task : tasks.back()) {
            (void)requiredName(*task, "a task");
            (void)optionalOrder(*task, 1);
            (void)optionalString(*task, "description");
            (void)optionalBool(*task, "is_note_required", false);
            (void)arrayField(*task, "playbooks");
            (void)arrayField(*task, "actions");
        }
    }

    const std::string now = formatTimestamp(clock_.next());
    if (is_default) {  // one default template at a time
        for (auto& entry : templates_.rows) {
            if (entry.second->getValue<bool>("is_default")) {
                Ptr copy = new Object(*entry.second);
                copy->set("is_default", false);
                copy->set("modified_time", now);
                templates_.rows.replace(entry.first, copy);
            }
        }
    }
    Ptr row = new Object;
    row->set("name", name);
    row->set("description", description);
    row->set("status", "published");
    row->set("is_default", is_default);
    row->set("is_note_required", note_required);
    row->set("creator", Poco::Int64{1});
    row->set("create_time", now);
    row->set("modified_time", now);
    const std::int64_t id = templates_.insert(row);
    for (std::size_t p = 0; p < phases.size(); ++p) {
        Ptr phase = new Object;
        phase->set("name", requiredName(*phases[p], "a phase"));
        phase->set("order", optionalOrder(*phases[p], static_cast<std::int64_t>(p + 1)));
        phase->set("template", id);
        phase->set("create_time", now);
        phase->set("modified_time", now);
        const std::int64_t phase_id = phase_templates_.insert(phase);
        for (std::size_t t = 0; t < tasks[p].size(); ++t) {
            const Object& in_task = *tasks[p][t];
            Ptr task = new Object;
            task->set("name", requiredName(in_task, "a task"));
            task->set("order", optionalOrder(in_task, static_cast<std::int64_t>(t + 1)));
            task->set("description", optionalString(in_task, "description"));
            task->set("phase", phase_id);
            task->set("template", id);
            task->set("is_note_required", optionalBool(in_task, "is_note_required", note_required));
            task->set("owner", Var());
            task->set("role", Var());
            Object::Ptr suggestions = new Object;
            suggestions->set("playbooks", arrayField(in_task, "playbooks"));
            suggestions->set("actions", arrayField(in_task, "actions"));
            task->set("suggestions", suggestions);
            task->set("sla", Var());
            task->set("sla_type", "minutes");
            task->set("create_time", now);
            task->set("modified_time", now);
            task_templates_.insert(task);
        }
    }
    return id;
}

void Model::deleteTemplate(std::int64_t id) {
    // Workbooks already copied onto containers stay as they are.
    for (Collection* c : {&phase_templates_, &task_templates_}) {
        for (auto r = c->rows.begin(); r != c->rows.end();) {
            r = r->second->getValue<Poco::Int64>("template") == id ? c->rows.erase(r)
                                                                   : std::next(r);
        }
    }
    templates_.rows.erase(id);
}

std::int64_t Model::requestedTemplate(const Object& in) const {
    std::int64_t found = 0;
    for (const char* key : {"template_id", "template"}) {
        const Var v = in.get(key);
        if (v.isEmpty()) {
            continue;
        }
        const auto id = asId(v);
        if (!id || templates_.find(*id).isNull()) {
            throw ApiError(400, "Invalid " + std::string(key) + ": " + v.toString() +
                                    " (no such workbook template)");
        }
        if (found != 0 && found != *id) {
            throw ApiError(400, "template and template_id name different workbook templates");
        }
        found = *id;
    }
    return found;
}

// ---- Live workbooks ----

std::int64_t Model::insertPhase(std::int64_t container_id, const std::string& name,
                                std::int64_t order, const Var& template_id) {
    const std::string now = formatTimestamp(clock_.next());
    Ptr row = new Object;
    row->set("name", name);
    row->set("order", order);
    row->set("container", container_id);
    row->set("template", template_id);
    row->set("owner", Var());
    row->set("create_time", now);
    row->set("modified_time", now);
    row->set("start_time", Var());
    row->set("end_time", Var());
    return phases_.insert(row);
}

std::int64_t Model::insertTask(const Ptr& phase, const Ptr& spec, std::int64_t order,
                               const Var& template_id) {
    const std::string now = formatTimestamp(clock_.next());
    Ptr row = new Object;
    row->set("name", requiredName(*spec, "a task"));
    row->set("order", order);
    row->set("owner", Var());
    row->set("role", Var());
    row->set("container", phase->get("container"));
    row->set("phase", phase->get("id"));
    row->set("template", template_id);
    row->set("description", optionalString(*spec, "description"));
    const Var suggestions = spec->get("suggestions");
    if (isObjectVar(suggestions)) {
        row->set("suggestions", Object::Ptr(new Object(*suggestions.extract<Object::Ptr>())));
    } else {
        Object::Ptr empty = new Object;
        empty->set("playbooks", Array::Ptr(new Array));
        empty->set("actions", Array::Ptr(new Array));
        row->set("suggestions", empty);
    }
    row->set("status", static_cast<Poco::Int64>(options_.task_status_codes[0] - '0'));
    row->set("create_time", now);
    row->set("modified_time", now);
    row->set("notified", false);
    row->set("is_note_required", optionalBool(*spec, "is_note_required", false));
    row->set("sla", Var());
    row->set("sla_type", "minutes");
    row->set("start_time", Var());
    row->set("end_time", Var());
    row->set("notes", Array::Ptr(new Array));
    row->set("files", Array::Ptr(new Array));
    return tasks_.insert(row);
}

Object::Ptr Model::addWorkbook(std::int64_t container_id, std::int64_t template_id) {
    // The copy goes after any phases the container has: a template added twice gives its
    // phases twice (the docs' add_workbook dedupes by name for this reason).
    std::int64_t last_order = 0;
    for (const auto& entry : phases_.rows) {
        if (entry.second->getValue<Poco::Int64>("container") == container_id) {
            last_order = std::max(last_order, entry.second->getValue<Poco::Int64>("order"));
        }
    }
    std::vector<Ptr> phase_templates;
    std::vector<Ptr> task_templates;
    for (const auto& entry : phase_templates_.rows) {
        if (entry.second->getValue<Poco::Int64>("template") == template_id) {
            phase_templates.push_back(entry.second);
        }
    }
    for (const auto& entry : task_templates_.rows) {
        if (entry.second->getValue<Poco::Int64>("template") == template_id) {
            task_templates.push_back(entry.second);
        }
    }
    std::int64_t first_phase = 0;
    std::int64_t position = 0;
    for (const auto& phase_template : byOrder(phase_templates)) {
        const std::int64_t phase_id =
            insertPhase(container_id, phase_template->getValue<std::string>("name"),
                        last_order + ++position, template_id);
        first_phase = first_phase == 0 ? phase_id : first_phase;
        const Ptr phase = phases_.find(phase_id);
        const Var template_phase = phase_template->get("id");
        for (const auto& task_template : byOrder(task_templates)) {
            if (task_template->get("phase") == template_phase) {
                (void)insertTask(phase, task_template,
                                 task_template->getValue<Poco::Int64>("order"), template_id);
            }
        }
    }
    Ptr container = new Object(*containers_.find(container_id));
    if (container->get("current_phase").isEmpty() && first_phase != 0) {
        container->set("current_phase", first_phase);
    }
    return container;
}

void Model::deleteWorkbooks(std::int64_t container_id) {
    for (Collection* c : {&phases_, &tasks_}) {
        for (auto r = c->rows.begin(); r != c->rows.end();) {
            r = r->second->getValue<Poco::Int64>("container") == container_id ? c->rows.erase(r)
                                                                              : std::next(r);
        }
    }
}

Response Model::containerPhases(std::int64_t container_id, const QueryParams& query) const {
    Response r = list(phases_, query, nullptr, [container_id](const Object& row) {
        return row.getValue<Poco::Int64>("container") == container_id;
    });
    std::map<std::int64_t, std::vector<Ptr>> tasks;
    for (const auto& entry : tasks_.rows) {
        if (entry.second->getValue<Poco::Int64>("container") == container_id) {
            tasks[entry.second->getValue<Poco::Int64>("phase")].push_back(entry.second);
        }
    }
    for (auto& row : r.rows) {
        Ptr copy = new Object(*row);
        Array::Ptr nested = new Array;
        for (const auto& task : byOrder(tasks[row->getValue<Poco::Int64>("id")])) {
            nested->add(task);
        }
        copy->set("tasks", nested);
        row = copy;
    }
    return r;
}

Response Model::postPhase(const Request& request) {
    const Ptr in = objectBody(request.body);
    const std::int64_t container = requireContainer(in->get("container_id"), "container_id");
    const std::string name = requiredName(*in, "a phase");
    std::int64_t last_order = 0;
    for (const auto& entry : phases_.rows) {
        if (entry.second->getValue<Poco::Int64>("container") == container) {
            last_order = std::max(last_order, entry.second->getValue<Poco::Int64>("order"));
        }
    }
    const std::int64_t id = insertPhase(container, name, optionalOrder(*in, last_order + 1), Var());
    Object::Ptr body = new Object;
    body->set("success", true);
    body->set("id", id);
    return jsonResponse(200, body);
}

Response Model::postTask(const Request& request) {
    const Ptr in = objectBody(request.body);
    const Var ref = in->get("phase_id");
    if (ref.isEmpty()) {
        throw ApiError(400, "Missing required field 'phase_id'");
    }
    const auto phase_id = asId(ref);
    const Ptr phase = phase_id ? phases_.find(*phase_id) : Ptr();
    if (phase.isNull()) {
        throw ApiError(400, "Invalid phase_id: " + ref.toString() + " (no such phase)");
    }
    (void)requiredName(*in, "a task");
    (void)optionalString(*in, "description");
    (void)optionalBool(*in, "is_note_required", false);
    std::int64_t last_order = 0;
    for (const auto& entry : tasks_.rows) {
        if (entry.second->get("phase") == phase->get("id")) {
            last_order = std::max(last_order, entry.second->getValue<Poco::Int64>("order"));
        }
    }
    Ptr spec = new Object(*in);
    spec->remove("suggestions");
    const std::int64_t id = insertTask(phase, spec, optionalOrder(*in, last_order + 1), Var());
    Object::Ptr body = new Object;
    body->set("success", true);
    body->set("id", id);
    return jsonResponse(200, body);
}

Response Model::updateTask(std::int64_t id, const Request& request) {
    const Ptr in = objectBody(request.body);
    Ptr task = new Object(*tasks_.find(id));
    const std::string& codes = options_.task_status_codes;
    auto stateOf = [&codes](std::int64_t code) {
        const auto at = codes.find(static_cast<char>('0' + code));
        return static_cast<TaskState>(at);
    };
    const Var note = in->get("note");
    if (!note.isEmpty() && !note.isString()) {
        throw ApiError(400, "Invalid value for 'note': expected a string");
    }
    const bool has_note = !emptyValue(note);
    const std::string note_format =
        in->has("note_format") ? optionalString(*in, "note_format") : "markdown";
    if (has_note && note_format != "markdown" && note_format != "html") {
        throw ApiError(400, "Invalid note_format \"" + note_format + "\": use markdown or html");
    }
    const std::string title = optionalString(*in, "title");
    if (in->has("name")) {
        task->set("name", requiredName(*in, "a task"));
    }
    if (in->has("description")) {
        task->set("description", optionalString(*in, "description"));
    }
    if (in->has("order")) {
        task->set("order", optionalOrder(*in, 1));
    }
    if (in->has("is_note_required")) {
        task->set("is_note_required", optionalBool(*in, "is_note_required", false));
    }

    const std::string now = formatTimestamp(clock_.next());
    if (in->has("status")) {
        const Var v = in->get("status");
        const auto code =
            v.isInteger() ? std::optional<std::int64_t>(v.convert<Poco::Int64>()) : std::nullopt;
        if (!code || *code < 0 || *code > 2) {
            throw ApiError(400, "Invalid status: " + v.toString() + " (expected 0, 1 or 2)");
        }
        const TaskState from = stateOf(task->getValue<Poco::Int64>("status"));
        const TaskState to = stateOf(*code);
        // Forward one step at a time (not started -> in progress -> complete), and back the
        // same way (complete -> in progress reopens, in progress -> not started resets).
        const bool allowed = from == to ||
                             (from == TaskState::NotStarted && to == TaskState::InProgress) ||
                             (from == TaskState::InProgress && to != TaskState::InProgress) ||
                             (from == TaskState::Complete && to == TaskState::InProgress);
        if (!allowed) {
            throw ApiError(400, "Invalid status transition");
        }
        if (from != to && to == TaskState::Complete && task->getValue<bool>("is_note_required") &&
            !has_note) {
            throw ApiError(400, "Closing note content is required");
        }
        if (from != to) {
            task->set("status", *code);
            if (to == TaskState::NotStarted) {
                task->set("start_time", Var());
                task->set("end_time", Var());
            } else if (to == TaskState::InProgress) {
                if (task->get("start_time").isEmpty()) {
                    task->set("start_time", now);
                }
                task->set("end_time", Var());
            } else {
                task->set("end_time", now);
            }
        }
    }
    const Var owner = in->get("owner_id");
    const Var role = in->get("role_id");
    if (!owner.isEmpty() && !role.isEmpty()) {
        throw ApiError(400, "A task cannot be assigned both an owner and a role");
    }
    if (in->has("owner_id")) {
        task->set("owner", owner.isEmpty() ? Var() : Var(requireUser(owner, "owner_id", false)));
        if (!owner.isEmpty()) {
            task->set("role", Var());
        }
    }
    if (in->has("role_id")) {
        const auto role_id = asId(role);
        if (!role.isEmpty() && (!role_id || *role_id < 1)) {
            throw ApiError(400, "Invalid role_id: " + role.toString());
        }
        task->set("role", role.isEmpty() ? Var() : Var(*role_id));
        if (!role.isEmpty()) {
            task->set("owner", Var());
        }
    }
    task->set("modified_time", now);
    tasks_.rows.replace(id, task);
    if (has_note) {
        Ptr note_in = new Object;
        note_in->set("task_id", id);
        note_in->set("title", title);
        note_in->set("content", note);
        note_in->set("note_type", "task");
        note_in->set("note_format", note_format);
        (void)writeNote(note_in, 0, request.user_auth ? 1 : 2);
    }
    Object::Ptr body = new Object;
    body->set("success", true);
    body->set("id", id);
    return jsonResponse(200, body);
}

void Model::detachTaskNote(const Ptr& note) {
    const auto task_id = asId(note->get("task"));
    const Ptr task = task_id ? tasks_.find(*task_id) : Ptr();
    if (task.isNull()) {
        return;
    }
    Ptr copy = new Object(*task);
    Array::Ptr notes = new Array;
    const auto old = task->getArray("notes");
    for (std::size_t i = 0; old && i < old->size(); ++i) {
        const Var n = old->get(static_cast<unsigned int>(i));
        if (n != note->get("id")) {
            notes->add(n);
        }
    }
    copy->set("notes", notes);
    copy->set("modified_time", formatTimestamp(clock_.next()));
    tasks_.rows.replace(*task_id, copy);
}

}  // namespace soar::emulator

namespace soar::emulator {

namespace {

std::vector<std::string> splitText(const std::string& text, char sep) {
    std::vector<std::string> parts;
    std::size_t start = 0;
    while (true) {
        const auto at = text.find(sep, start);
        parts.push_back(text.substr(start, at == std::string::npos ? at : at - start));
        if (at == std::string::npos) {
            return parts;
        }
        start = at + 1;
    }
}

}  // namespace

WorkbookTemplateSpec parseWorkbookTemplate(const std::string& text) {
    const auto bad = [&text](const std::string& why) {
        return std::invalid_argument("workbook template '" + text + "': " + why +
                                     " (expected NAME:PHASE=TASK|TASK;PHASE=TASK...)");
    };
    const auto colon = text.find(':');
    WorkbookTemplateSpec spec;
    spec.name = text.substr(0, colon);
    if (spec.name.empty()) {
        throw bad("no name");
    }
    if (colon == std::string::npos || colon + 1 == text.size()) {
        return spec;  // a template without phases
    }
    for (const auto& phase_text : splitText(text.substr(colon + 1), ';')) {
        const auto eq = phase_text.find('=');
        WorkbookPhaseSpec phase;
        phase.name = phase_text.substr(0, eq);
        if (phase.name.empty()) {
            throw bad("a phase without a name");
        }
        if (eq != std::string::npos && eq + 1 < phase_text.size()) {
            for (auto task_name : splitText(phase_text.substr(eq + 1), '|')) {
                WorkbookTaskSpec task;
                if (!task_name.empty() && task_name.back() == '!') {
                    task.is_note_required = true;
                    task_name.pop_back();
                }
                if (task_name.empty()) {
                    throw bad("a task without a name in phase '" + phase.name + "'");
                }
                task.name = task_name;
                phase.tasks.push_back(task);
            }
        }
        spec.phases.push_back(phase);
    }
    return spec;
}

CustomFieldSpec parseCustomField(const std::string& text) {
    CustomFieldSpec field;
    const auto colon = text.rfind(':');
    field.name = text.substr(0, colon);
    if (colon != std::string::npos) {
        if (text.substr(colon + 1) != "required") {
            throw std::invalid_argument("custom field '" + text +
                                        "': expected NAME or NAME:required");
        }
        field.required = true;
    }
    if (field.name.empty()) {
        throw std::invalid_argument("custom field '" + text + "': no name");
    }
    return field;
}

}  // namespace soar::emulator
