#include "Model.h"

#include "ListPlan.h"

#include <Poco/DigestEngine.h>
#include <Poco/JSON/Parser.h>
#include <Poco/SHA2Engine.h>

#include <algorithm>
#include <limits>

namespace soar::emulator {

using Poco::Dynamic::Var;
using Poco::JSON::Array;
using Poco::JSON::Object;

namespace {

std::vector<std::string> splitPath(const std::string& path) {
    std::vector<std::string> parts;
    std::string current;
    for (char c : path) {
        if (c == '/') {
            if (!current.empty()) {
                parts.push_back(current);
            }
            current.clear();
        } else {
            current.push_back(c);
        }
    }
    if (!current.empty()) {
        parts.push_back(current);
    }
    return parts;
}

Response methodNotAllowed(const std::string& method, const std::string& allow) {
    Response r = jsonResponse(405, failedBody("Method \"" + method + "\" not allowed."));
    r.allow = allow;
    return r;
}

Response notFound(const std::string& what) { return jsonResponse(404, failedBody(what)); }

std::optional<std::int64_t> pathId(const std::string& text) {
    if (text.empty() || text.size() > 18 ||
        !std::all_of(text.begin(), text.end(),
                     [](unsigned char c) { return c >= '0' && c <= '9'; })) {
        return std::nullopt;
    }
    return std::stoll(text);
}

std::set<std::string> fieldSet(std::initializer_list<const char*> names) {
    std::set<std::string> out;
    for (const char* n : names) {
        out.insert(n);
    }
    return out;
}

}  // namespace

Var parseJsonBody(const std::string& body) {
    try {
        return Poco::JSON::Parser().parse(body);
    } catch (const Poco::Exception& e) {
        // Parser messages may quote the offending raw byte; keep the answer valid UTF-8.
        std::string why;
        for (char ch : e.displayText()) {
            why.push_back(static_cast<unsigned char>(ch) < 0x80 && ch >= 0x20 ? ch : '?');
        }
        throw ApiError(400, "Malformed JSON body: " + why);
    }
}

Object::Ptr failedBody(const std::string& message) {
    Object::Ptr body = new Object;
    body->set("failed", true);
    body->set("message", message);
    return body;
}

Response jsonResponse(int status, const Var& value) {
    Response r;
    r.status = status;
    r.body = toJson(value);
    return r;
}

std::string contentHash(const Object& row, const std::vector<std::string>& fields) {
    Object canonical;  // keys sorted: a stable form of the hashed fields
    for (const auto& f : fields) {
        canonical.set(f, row.get(f));
    }
    Poco::SHA2Engine sha(Poco::SHA2Engine::SHA_256);
    sha.update(toJson(canonical));
    return Poco::DigestEngine::digestToHex(sha.digest());
}

std::optional<std::int64_t> asId(const Var& value) {
    if (value.isEmpty()) {
        return std::nullopt;
    }
    if (value.isInteger()) {
        return value.convert<Poco::Int64>();
    }
    if (value.isString()) {
        return pathId(value.extract<std::string>());
    }
    return std::nullopt;
}

Object::Ptr Model::Collection::find(std::int64_t id) const {
    const auto it = rows.find(id);
    return it == rows.end() ? Object::Ptr() : it->second;
}

std::int64_t Model::Collection::insert(Ptr row) {
    const std::int64_t id = next_id++;
    row->set("id", id);
    rows.emplace(id, row);
    return id;
}

std::vector<Model::Collection*> Model::collections() {
    return {&containers_,  &artifacts_,       &notes_,       &comments_,        &playbooks_,
            &runs_,        &severities_,      &statuses_,    &users_,           &scms_,
            &attachments_, &vault_documents_, &templates_,   &phase_templates_, &task_templates_,
            &phases_,      &tasks_,           &action_runs_, &app_runs_,        &lists_};
}

std::vector<const Model::Collection*> Model::collections() const {
    const auto all = const_cast<Model*>(this)->collections();
    return {all.begin(), all.end()};
}

Model::Model(const EmulatorOptions& options)
    : options_(options), clock_(options.coarse_time), labels_(options.labels) {
    containers_.name = "container";
    containers_.fields = fieldSet({"id",
                                   "version",
                                   "name",
                                   "label",
                                   "description",
                                   "status",
                                   "severity",
                                   "sensitivity",
                                   "owner",
                                   "owner_name",
                                   "role",
                                   "source_data_identifier",
                                   "external_id",
                                   "container_type",
                                   "tags",
                                   "custom_fields",
                                   "data",
                                   "asset",
                                   "ingest_app",
                                   "kill_chain",
                                   "hash",
                                   "artifact_count",
                                   "artifact_update_time",
                                   "container_update_time",
                                   "create_time",
                                   "start_time",
                                   "end_time",
                                   "open_time",
                                   "close_time",
                                   "due_time",
                                   "closing_owner",
                                   "closing_rule_run",
                                   "current_phase",
                                   "in_case",
                                   "tenant",
                                   "parent_container",
                                   "node_guid",
                                   "workflow_name"});
    artifacts_.name = "artifact";
    artifacts_.fields = fieldSet({"id",
                                  "version",
                                  "name",
                                  "label",
                                  "description",
                                  "type",
                                  "severity",
                                  "source_data_identifier",
                                  "external_id",
                                  "container",
                                  "cef",
                                  "cef_types",
                                  "data",
                                  "tags",
                                  "kill_chain",
                                  "hash",
                                  "owner",
                                  "ingest_app",
                                  "playbook_run",
                                  "create_time",
                                  "update_time",
                                  "start_time",
                                  "end_time",
                                  "in_case",
                                  "has_note",
                                  "parent_container",
                                  "parent_artifact"});
    notes_.name = "note";
    notes_.fields = fieldSet({"id", "container", "artifact", "title", "content", "note_type",
                              "note_format", "author", "create_time", "modified_time", "version",
                              "phase", "task", "attachments"});
    comments_.name = "container_comment";
    comments_.fields = fieldSet({"id", "container", "comment", "user", "time"});
    playbooks_.name = "playbook";
    playbooks_.fields =
        fieldSet({"id", "name", "scm", "active", "passed_validation", "version", "labels", "tags",
                  "description", "playbook_type", "create_time", "update_time"});
    runs_.name = "playbook_run";
    runs_.fields =
        fieldSet({"id",         "action_exec",   "cancelled",  "container", "effective_user",
                  "ip_address", "last_artifact", "log_level",  "message",   "misc",
                  "node_guid",  "owner",         "parent_run", "playbook",  "run_data",
                  "start_time", "end_time",      "status",     "test_mode", "update_time",
                  "version",    "num_actions",   "scope"});
    severities_.name = "severity";
    severities_.fields = fieldSet({"id", "name", "color", "is_default"});
    statuses_.name = "container_status";
    statuses_.fields = fieldSet({"id", "name", "status_type", "is_default", "is_mutable",
                                 "disabled", "order", "create_time", "modified_time"});
    users_.name = "ph_user";
    users_.fields =
        fieldSet({"id", "username", "type", "is_active", "first_name", "last_name", "email"});
    scms_.name = "scm";
    scms_.fields = fieldSet({"id", "name", "type", "branch", "uri"});
    attachments_.name = "container_attachment";
    attachments_.fields =
        fieldSet({"id", "container", "container_id", "create_time", "created_via", "name", "user",
                  "vault_document", "mime_type", "hash", "vault_id", "size", "task", "path",
                  "metadata", "aka", "contains"});
    vault_documents_.name = "vault_document";
    vault_documents_.fields =
        fieldSet({"id", "hash", "names", "size", "contains", "meta", "sources", "tags",
                  "first_seen_time", "deleted", "version"});
    templates_.name = "workbook_template";
    templates_.fields = fieldSet({"id", "name", "description", "status", "is_default",
                                  "is_note_required", "creator", "create_time", "modified_time"});
    phase_templates_.name = "workbook_phase_template";
    phase_templates_.fields =
        fieldSet({"id", "name", "order", "template", "create_time", "modified_time"});
    task_templates_.name = "workbook_task_template";
    task_templates_.fields = fieldSet({"id", "name", "order", "description", "phase", "template",
                                       "is_note_required", "owner", "role", "suggestions", "sla",
                                       "sla_type", "create_time", "modified_time"});
    phases_.name = "workbook_phase";
    phases_.fields = fieldSet({"id", "name", "order", "container", "template", "owner",
                               "create_time", "modified_time", "start_time", "end_time"});
    tasks_.name = "workbook_task";
    tasks_.fields =
        fieldSet({"id",        "name",        "order",         "owner",       "role",
                  "container", "phase",       "template",      "description", "suggestions",
                  "status",    "create_time", "modified_time", "notified",    "is_note_required",
                  "sla",       "sla_type",    "start_time",    "end_time",    "notes",
                  "files"});

    action_runs_.name = "action_run";
    action_runs_.fields =
        fieldSet({"id", "name", "action", "type", "status", "message", "playbook_run", "playbook",
                  "container", "owner", "app", "app_name", "asset", "create_time", "start_time",
                  "end_time", "update_time", "version"});
    app_runs_.name = "app_run";
    app_runs_.fields = fieldSet({"id", "action", "action_run", "app", "app_name", "app_version",
                                 "asset", "container", "playbook_run", "effective_user",
                                 "start_time", "end_time", "status", "message", "exception_occured",
                                 "extra_data", "result_summary", "result_data", "version"});
    lists_.name = "decided_list";
    lists_.fields = fieldSet({"id", "name", "content", "tenant"});

    for (Collection* c : collections()) {
        c->rows.setColumns(c->fields);
    }
    // The times the change streams are walked by (keyset paging), and the creation times.
    containers_.rows.setIndexed({"create_time", "container_update_time", "artifact_update_time"});
    artifacts_.rows.setIndexed({"create_time", "update_time"});
    notes_.rows.setIndexed({"create_time", "modified_time"});
    comments_.rows.setIndexed({"time"});
    attachments_.rows.setIndexed({"create_time"});
    tasks_.rows.setIndexed({"modified_time"});
    const std::vector<std::pair<std::string, std::string>> severities = {
        {"low", "yellow"}, {"medium", "orange"}, {"high", "red"}};
    for (const auto& [name, color] : severities) {
        Object::Ptr row = new Object;
        row->set("name", name);
        row->set("color", color);
        row->set("is_default", name == "medium");
        severities_.insert(row);
    }
    setUpStatuses(options);
    for (const auto& [name, type] : std::vector<std::pair<std::string, std::string>>{
             {options.user, "normal"}, {"automation", "automation"}}) {
        Object::Ptr row = new Object;
        row->set("username", name);
        row->set("type", type);
        row->set("is_active", true);
        users_.insert(row);
    }
    for (const auto& name : options.users) {
        if (name.empty()) {
            throw std::invalid_argument("a user needs a non-empty name");
        }
        if (userId(name) == 0) {
            Object::Ptr row = new Object;
            row->set("username", name);
            row->set("type", "normal");
            row->set("is_active", true);
            users_.insert(row);
        }
    }
    {
        std::string codes = options.task_status_codes;
        std::sort(codes.begin(), codes.end());
        if (codes != "012") {
            throw std::invalid_argument("task_status_codes must be a permutation of 012, not '" +
                                        options.task_status_codes + "'");
        }
    }
    for (const auto& field : options.custom_fields) {
        if (field.name.empty()) {
            throw std::invalid_argument("a custom field needs a non-empty name");
        }
    }
    for (const auto& spec : options.workbook_templates) {
        try {
            (void)createTemplate(templateBody(spec));
        } catch (const ApiError& e) {
            throw std::invalid_argument("workbook template '" + spec.name + "': " + e.what());
        }
    }
    scmId("community");
    scmId("local");
    const std::string created = formatTimestamp(wallClockMicros());
    for (const auto& spec : options.playbooks) {
        if (spec.outcome != "success" && spec.outcome != "failed") {
            throw std::invalid_argument("playbook " + spec.repo + "/" + spec.name +
                                        ": outcome must be success or failed, not '" +
                                        spec.outcome + "'");
        }
        Object::Ptr row = new Object;
        row->set("name", spec.name);
        row->set("scm", scmId(spec.repo));
        row->set("active", true);
        row->set("passed_validation", true);
        row->set("version", 1);
        Array::Ptr labels = new Array;
        labels->add("*");
        row->set("labels", labels);
        row->set("tags", Array::Ptr(new Array));
        row->set("description", "");
        row->set("playbook_type", "automation");
        row->set("create_time", created);
        row->set("update_time", created);
        const std::int64_t id = playbooks_.insert(row);
        run_plans_[id] = RunState{static_cast<Micros>(spec.seconds * 1e6), spec.outcome};
    }
    seed(options);
    for (const auto& spec : options.lists) {
        try {
            Object::Ptr body = new Object;
            body->set("name", spec.name);
            body->set("content", parseJsonBody(spec.content_json));
            (void)createList(body);
        } catch (const ApiError& e) {
            throw std::invalid_argument("list '" + spec.name + "': " + e.what());
        }
    }
}

std::int64_t Model::scmId(const std::string& repo) {
    for (const auto& entry : scms_.rows) {
        const std::int64_t id = entry.first;
        const auto& row = entry.second;
        if (row->getValue<std::string>("name") == repo) {
            return id;
        }
    }
    Object::Ptr row = new Object;
    row->set("name", repo);
    row->set("type", "git");
    row->set("branch", "main");
    row->set("uri", "");
    return scms_.insert(row);
}

void Model::setBaseUrl(const std::string& url) {
    std::lock_guard<std::mutex> lock(mutex_);
    base_url_ = url;
}

std::int64_t Model::addUser(const std::string& username) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (username.empty()) {
        throw std::invalid_argument("a user needs a non-empty name");
    }
    if (const std::int64_t id = userId(username); id != 0) {
        return id;
    }
    Object::Ptr row = new Object;
    row->set("username", username);
    row->set("type", "normal");
    row->set("is_active", true);
    return users_.insert(row);
}

bool Model::removeStatus(const std::string& name) {
    std::lock_guard<std::mutex> lock(mutex_);
    return eraseStatus(name);
}

void Model::addLabel(const std::string& name) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (std::find(labels_.begin(), labels_.end(), name) == labels_.end()) {
        labels_.push_back(name);
    }
}

std::string Model::recordJson(const std::string& type, std::int64_t id) const {
    std::lock_guard<std::mutex> lock(mutex_);
    for (const Collection* c : collections()) {
        if (c->name == type) {
            const auto row = c->find(id);
            return row.isNull() ? std::string() : toJson(row);
        }
    }
    return {};
}

std::size_t Model::count(const std::string& type) const {
    std::lock_guard<std::mutex> lock(mutex_);
    for (const Collection* c : collections()) {
        if (c->name == type) {
            return c->rows.size();
        }
    }
    return 0;
}

Response Model::handle(const Request& request) {
    Response r;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        settleRuns(wallClockMicros());
        try {
            r = route(request);
        } catch (const ApiError& e) {
            Object::Ptr body = failedBody(e.what());
            if (!e.extraKey().empty()) {
                body->set(e.extraKey(), e.extraId());
            }
            return jsonResponse(e.status(), body);
        } catch (const Poco::Exception& e) {
            return jsonResponse(400, failedBody("Bad request: " + e.displayText()));
        } catch (const std::exception& e) {
            return jsonResponse(500, failedBody(std::string("Internal error: ") + e.what()));
        }
    }
    if (r.envelope) {
        std::string& out = r.body;
        out = "{\"count\": " + std::to_string(r.count) +
              ", \"num_pages\": " + std::to_string(r.num_pages) + ", \"data\": [";
        for (std::size_t i = 0; i < r.rows.size(); ++i) {
            if (i != 0) {
                out += ", ";
            }
            appendJson(out, *r.rows[i]);
        }
        out += "]}";
        r.rows.clear();
    }
    return r;
}

Object::Ptr Model::related(const std::string& field, const Var& id) const {
    const auto key = asId(id);
    if (!key) {
        return {};
    }
    if (field == "container" || field == "parent_container") {
        return containers_.find(*key);
    }
    if (field == "artifact" || field == "parent_artifact") {
        return artifacts_.find(*key);
    }
    if (field == "playbook") {
        return playbooks_.find(*key);
    }
    if (field == "playbook_run") {
        return runs_.find(*key);
    }
    if (field == "action_run") {
        return action_runs_.find(*key);
    }
    if (field == "scm") {
        return scms_.find(*key);
    }
    if (field == "vault_document") {
        return vault_documents_.find(*key);
    }
    if (field == "owner" || field == "author" || field == "user" || field == "effective_user" ||
        field == "closing_owner") {
        return users_.find(*key);
    }
    return {};
}

Response Model::list(const Collection& collection, const QueryParams& params,
                     const std::set<std::int64_t>* candidates,
                     const std::function<bool(const Object&)>& base) const {
    ListQuery query = parseListQuery(params, collection.fields);
    const RelationResolver resolve = [this](const std::string& field, const Var& id) {
        return related(field, id);
    };

    // Filters on `id` become bounds of the walk over the id-ordered map (the incremental
    // `_filter_id__gt=<last>` pattern then costs only the rows past the watermark).
    std::int64_t low = std::numeric_limits<std::int64_t>::min();
    std::int64_t high = std::numeric_limits<std::int64_t>::max();
    std::vector<Filter> filters;
    for (auto& f : query.filters) {
        if (f.exclude || f.path.size() != 1 || f.path[0] != "id" || !f.value.isInteger()) {
            filters.push_back(std::move(f));
            continue;
        }
        const std::int64_t v = f.value.convert<Poco::Int64>();
        if (f.lookup == "gt") {
            low = std::max(low, v + 1);
        } else if (f.lookup == "gte") {
            low = std::max(low, v);
        } else if (f.lookup == "lt") {
            high = std::min(high, v - 1);
        } else if (f.lookup == "lte") {
            high = std::min(high, v);
        } else if (f.lookup == "exact") {
            low = std::max(low, v);
            high = std::min(high, v);
        } else {
            filters.push_back(std::move(f));
        }
    }
    // Artifacts of one container (or of a list of them): walk those containers' index
    // instead of every artifact.
    std::set<std::int64_t> of_containers;
    if (candidates == nullptr && &collection == &artifacts_) {
        static const std::set<std::int64_t> kNone;
        for (const auto& f : filters) {
            if (f.exclude || f.path.size() != 1 || f.path[0] != "container") {
                continue;
            }
            if (f.lookup == "exact") {
                if (const auto cid = asId(f.value)) {
                    const auto it = container_artifacts_.find(*cid);
                    candidates = it == container_artifacts_.end() ? &kNone : &it->second;
                    break;
                }
            } else if (f.lookup == "in") {
                for (const long double n : f.in_numbers) {
                    const auto it = container_artifacts_.find(static_cast<std::int64_t>(n));
                    if (it != container_artifacts_.end()) {
                        of_containers.insert(it->second.begin(), it->second.end());
                    }
                }
                candidates = &of_containers;  // the filter itself still runs on each row
                break;
            }
        }
    }

    for (auto& f : filters) {
        f.column = collection.rows.columnOf(f.path.front());
    }
    const RowTable& rows = collection.rows;
    ListPlan plan;
    if (candidates == nullptr && low <= high) {
        constexpr auto kMin = std::numeric_limits<std::int64_t>::min();
        constexpr auto kMax = std::numeric_limits<std::int64_t>::max();
        const auto to = high == kMax ? rows.end() : rows.lower_bound(high + 1);
        const auto id_rows = static_cast<std::size_t>(std::distance(rows.lower_bound(low), to));
        plan = planList(rows, query, std::move(filters), id_rows, low != kMin || high != kMax,
                        static_cast<bool>(base));
    } else {
        plan.rest = std::move(filters);
    }
    const auto matches = [&](const RowTable::Entry& entry) {
        return entry.first >= low && entry.first <= high && (!base || base(*entry.second)) &&
               matchesAll(*entry.second, entry.columns, plan.rest, resolve);
    };
    // The page of `total` matches asked for: its first match and the page count.
    const auto pageOf = [&query](std::size_t total) {
        const std::size_t size = query.page_size == 0 ? total : query.page_size;
        const std::size_t pages = size == 0 ? 0 : (total + size - 1) / size;
        if (query.page > 0 && query.page >= pages) {
            throw ApiError(404, "Invalid page: That page contains no results");
        }
        return std::make_pair(std::min(total, query.page * size), pages);
    };
    // The page is serialised after the lock is released (rows are immutable once stored).
    const auto respond = [](std::size_t total, std::size_t pages, const auto begin,
                            const auto end) {
        Response r;
        r.status = 200;
        r.envelope = true;
        r.count = total;
        r.num_pages = pages;
        r.rows.reserve(static_cast<std::size_t>(std::distance(begin, end)));
        for (auto it = begin; it != end; ++it) {
            r.rows.push_back((*it)->second);
        }
        return r;
    };
    std::vector<const RowTable::Entry*> hits;

    if (plan.index != nullptr && plan.in_order) {
        // The range is in the order asked: only the page's records are kept.
        if (plan.exact) {
            const std::size_t total = plan.range.size();
            const auto [begin, pages] = pageOf(total);
            const std::size_t end =
                query.page_size == 0 ? total : std::min(total, begin + query.page_size);
            const OrderIndex::Range slice =
                query.descending
                    ? OrderIndex::Range{plan.range.last - end, plan.range.last - begin}
                    : OrderIndex::Range{plan.range.first + begin, plan.range.first + end};
            plan.index->forEach(slice, query.descending, [&](std::int64_t id) {
                hits.push_back(&*rows.find(id));
                return true;
            });
            return respond(total, pages, hits.cbegin(), hits.cend());
        }
        const std::size_t first = query.page * query.page_size;
        std::size_t total = 0;
        plan.index->forEach(plan.range, query.descending, [&](std::int64_t id) {
            const auto& entry = *rows.find(id);
            if (matches(entry)) {
                if (total >= first && (query.page_size == 0 || total < first + query.page_size)) {
                    hits.push_back(&entry);
                }
                ++total;
            }
            return true;
        });
        return respond(total, pageOf(total).second, hits.cbegin(), hits.cend());
    }

    if (plan.index != nullptr) {
        // A few records found by the index, then read in id order as the walk reads them.
        std::vector<std::int64_t> ids;
        ids.reserve(plan.range.size());
        plan.index->forEach(plan.range, false, [&](std::int64_t id) {
            ids.push_back(id);
            return true;
        });
        std::sort(ids.begin(), ids.end());
        for (const std::int64_t id : ids) {
            if (const auto& entry = *rows.find(id); matches(entry)) {
                hits.push_back(&entry);
            }
        }
    } else if (low <= high) {
        if (candidates != nullptr) {
            for (auto it = candidates->lower_bound(low); it != candidates->end() && *it <= high;
                 ++it) {
                if (const auto row = rows.find(*it); row != rows.end() && matches(*row)) {
                    hits.push_back(&*row);
                }
            }
        } else {
            for (auto it = rows.lower_bound(low); it != rows.end() && it->first <= high; ++it) {
                if (matches(*it)) {
                    hits.push_back(&*it);
                }
            }
        }
    }

    // Rows come in id order; only another sort field needs sorting.
    const bool by_id =
        query.sort_path.empty() || (query.sort_path.size() == 1 && query.sort_path[0] == "id");
    if (!by_id) {
        std::vector<std::pair<SortKey, const RowTable::Entry*>> keyed;
        keyed.reserve(hits.size());
        const int column = query.sort_path.size() == 1 ? rows.columnOf(query.sort_path[0]) : -1;
        for (const RowTable::Entry* row : hits) {
            keyed.emplace_back(column >= 0
                                   ? sortKey(row->columns[static_cast<std::size_t>(column)])
                                   : sortKey(valueAt(*row->second, query.sort_path, resolve)),
                               row);
        }
        // Ties are ordered by id in the direction asked. Only the rows up to the end of the
        // page asked for are sorted (a walk asks for page 0 of a long remainder).
        const bool desc = query.descending;
        const auto before = [desc](const auto& a, const auto& b) {
            const int c = compareKeys(a.first, b.first);
            if (c != 0) {
                return desc ? c > 0 : c < 0;
            }
            return desc ? a.second->first > b.second->first : a.second->first < b.second->first;
        };
        const std::size_t wanted = query.page_size == 0
                                       ? keyed.size()
                                       : std::min(keyed.size(), (query.page + 1) * query.page_size);
        std::partial_sort(keyed.begin(), keyed.begin() + static_cast<std::ptrdiff_t>(wanted),
                          keyed.end(), before);
        for (std::size_t i = 0; i < wanted; ++i) {
            hits[i] = keyed[i].second;
        }
    } else if (query.descending) {
        std::reverse(hits.begin(), hits.end());
    }

    const std::size_t total = hits.size();
    const auto [begin, pages] = pageOf(total);
    const std::size_t end =
        std::min(total, begin + (query.page_size == 0 ? total : query.page_size));
    return respond(total, pages, hits.cbegin() + static_cast<std::ptrdiff_t>(begin),
                   hits.cbegin() + static_cast<std::ptrdiff_t>(end));
}

Response Model::route(const Request& request) {
    const std::vector<std::string> parts = splitPath(request.path);
    if (parts.size() < 2 || parts[0] != "rest") {
        return notFound("Unknown resource: " + request.path);
    }
    const std::string& type = parts[1];
    const std::string& method = request.method;
    if (type == "version" || type == "system_info" || type == "container_options") {
        if (parts.size() != 2) {
            return notFound("Unknown resource: " + request.path);
        }
        if (method != "GET") {
            return methodNotAllowed(method, "GET");
        }
        if (type == "container_options") {
            return containerOptions();
        }
        Object::Ptr body = new Object;
        if (type == "version") {
            body->set("version", "6.4.1.361");
        } else {
            body->set("base_url", base_url_);
            body->set("time_zone", "UTC");
        }
        return jsonResponse(200, body);
    }
    if (type == "system_settings") {
        if (parts.size() != 3 || parts[2] != "events") {
            return notFound("Unknown resource: " + request.path);
        }
        if (method != "POST") {
            return methodNotAllowed(method, "POST");
        }
        return systemSettings(request);
    }
    if (type == "container") {
        return routeContainer(request, parts);
    }
    if (type == "workflow_template") {  // the name of workbook_template before Phantom 4.5
        return routeSimple(templates_, request, parts);
    }
    if (type == "download_attachment") {
        if (parts.size() != 2) {
            return notFound("Unknown resource: " + request.path);
        }
        if (method != "GET") {
            return methodNotAllowed(method, "GET");
        }
        return downloadAttachment(request);
    }
    if (type == lists_.name) {
        return routeLists(request);
    }
    if (type == action_runs_.name || type == app_runs_.name) {
        return routeActions(request, parts);
    }
    for (Collection* c : collections()) {
        if (c != &containers_ && c->name == type) {
            return routeSimple(*c, request, parts);
        }
    }
    return notFound("Unknown resource: " + request.path);
}

Response Model::routeSimple(Collection& collection, const Request& request,
                            const std::vector<std::string>& parts) {
    const std::string& method = request.method;
    const bool writable_list = &collection == &artifacts_ || &collection == &notes_ ||
                               &collection == &comments_ || &collection == &runs_ ||
                               &collection == &severities_ || &collection == &statuses_ ||
                               &collection == &attachments_ || &collection == &templates_ ||
                               &collection == &phases_ || &collection == &tasks_;
    if (parts.size() == 2) {
        if (method == "GET") {
            return list(collection, request.query);
        }
        if (method != "POST" || !writable_list) {
            return methodNotAllowed(method, writable_list ? "GET, POST" : "GET");
        }
        if (&collection == &artifacts_) {
            return postArtifacts(request);
        }
        if (&collection == &notes_) {
            return postNote(request, 0);
        }
        if (&collection == &comments_) {
            return postComment(request);
        }
        if (&collection == &runs_) {
            return postRun(request);
        }
        if (&collection == &attachments_) {
            return postAttachment(request);
        }
        if (&collection == &templates_) {
            const Var parsed = parseJsonBody(request.body);
            if (parsed.isEmpty() || parsed.type() != typeid(Object::Ptr)) {
                throw ApiError(400, "Expected a JSON object");
            }
            Object::Ptr body = new Object;
            body->set("success", true);
            body->set("id", createTemplate(parsed.extract<Object::Ptr>()));
            return jsonResponse(200, body);
        }
        if (&collection == &phases_) {
            return postPhase(request);
        }
        if (&collection == &tasks_) {
            return postTask(request);
        }
        return postVocabulary(collection, request);
    }
    const auto id = pathId(parts[2]);
    if (!id || parts.size() > 3) {
        return notFound("Unknown resource: " + request.path);
    }
    const auto row = collection.find(*id);
    // Which methods each single record takes: comments and playbooks can't be changed here.
    std::string allow = "GET";
    if (&collection == &artifacts_ || &collection == &notes_) {
        allow = "GET, POST, DELETE";
    } else if (&collection == &runs_ || &collection == &tasks_) {
        allow = "GET, POST";
    } else if (&collection == &attachments_ || &collection == &templates_) {
        allow = "GET, DELETE";
    }
    if (allow.find(method) == std::string::npos || method.empty()) {
        return methodNotAllowed(method, allow);
    }
    if (row.isNull()) {
        return notFound("Invalid " + collection.name + " id: " + std::to_string(*id) +
                        " (no such record)");
    }
    if (method == "GET") {
        return jsonResponse(200, row);
    }
    if (method == "DELETE") {
        if (!request.user_auth) {
            return jsonResponse(403, failedBody("Deleting records requires a user account; "
                                                "automation tokens cannot delete"));
        }
        if (&collection == &artifacts_) {
            deleteArtifact(*id);
        } else if (&collection == &attachments_) {
            deleteAttachment(*id);
        } else if (&collection == &templates_) {
            deleteTemplate(*id);
        } else {
            if (&collection == &notes_) {
                detachTaskNote(row);
            }
            collection.rows.erase(*id);
        }
        Object::Ptr body = new Object;
        body->set("success", true);
        body->set("id", std::to_string(*id));
        return jsonResponse(200, body);
    }
    if (&collection == &artifacts_) {
        const Var parsed = parseJsonBody(request.body);
        if (parsed.type() != typeid(Object::Ptr)) {
            throw ApiError(400, "Expected a JSON object");
        }
        return jsonResponse(200, updateArtifact(*id, parsed.extract<Object::Ptr>()));
    }
    if (&collection == &notes_) {
        return postNote(request, *id);
    }
    if (&collection == &tasks_) {
        return updateTask(*id, request);
    }
    return cancelRun(*id, request.body);
}

Response Model::routeContainer(const Request& request, const std::vector<std::string>& parts) {
    const std::string& method = request.method;
    if (parts.size() == 2) {
        if (method == "GET") {
            return list(containers_, request.query);
        }
        if (method == "POST") {
            return postContainers(request);
        }
        return methodNotAllowed(method, "GET, POST");
    }
    const auto id = pathId(parts[2]);
    if (!id || parts.size() > 4) {
        return notFound("Unknown resource: " + request.path);
    }
    if (parts.size() == 4) {
        const std::string& detail = parts[3];
        const Collection* sub = nullptr;
        if (detail == "artifacts") {
            sub = &artifacts_;
        } else if (detail == "notes") {
            sub = &notes_;
        } else if (detail == "comments") {
            sub = &comments_;
        } else if (detail == "playbook_runs") {
            sub = &runs_;
        } else if (detail == "attachments") {
            sub = &attachments_;
        } else if (detail == "phases") {
            sub = &phases_;
        } else if (detail == "actions") {
            sub = &action_runs_;
        } else {
            return notFound("Unknown resource: " + request.path);
        }
        if (method != "GET") {
            return methodNotAllowed(method, "GET");
        }
        if (containers_.find(*id).isNull()) {
            return notFound("Invalid container id: " + std::to_string(*id) + " (no such record)");
        }
        if (sub == &artifacts_) {
            static const std::set<std::int64_t> kNone;
            const auto it = container_artifacts_.find(*id);
            return list(artifacts_, request.query,
                        it == container_artifacts_.end() ? &kNone : &it->second);
        }
        if (sub == &phases_) {
            return containerPhases(*id, request.query);
        }
        const std::int64_t cid = *id;
        if (sub == &notes_) {  // task notes are found by task, not under the container
            return list(*sub, request.query, nullptr, [cid](const Object& row) {
                return row.getValue<Poco::Int64>("container") == cid && row.get("task").isEmpty();
            });
        }
        return list(*sub, request.query, nullptr, [cid](const Object& row) {
            return row.getValue<Poco::Int64>("container") == cid;
        });
    }
    if (method != "GET" && method != "POST" && method != "DELETE") {
        return methodNotAllowed(method, "GET, POST, DELETE");
    }
    const auto row = containers_.find(*id);
    if (row.isNull()) {
        return notFound("Invalid container id: " + std::to_string(*id) + " (no such record)");
    }
    if (method == "GET") {
        return jsonResponse(200, row);
    }
    if (method == "DELETE") {
        if (!request.user_auth) {
            return jsonResponse(403, failedBody("Deleting records requires a user account; "
                                                "automation tokens cannot delete"));
        }
        deleteContainer(*id);
        Object::Ptr body = new Object;
        body->set("success", true);
        body->set("id", std::to_string(*id));
        return jsonResponse(200, body);
    }
    const Var parsed = parseJsonBody(request.body);
    if (parsed.type() != typeid(Object::Ptr)) {
        throw ApiError(400, "Expected a JSON object");
    }
    return jsonResponse(200,
                        updateContainer(*id, parsed.extract<Object::Ptr>(), request.user_auth));
}

std::string Model::vocabularyName(const Collection& collection, const Var& value,
                                  const std::string& what) const {
    if (!value.isString()) {
        throw ApiError(400, "Invalid " + what + ": '" +
                                std::string(value.isInteger() ? "int" : "non-string") +
                                "' object has no attribute 'lower'");
    }
    std::string name = value.extract<std::string>();
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    for (const auto& entry : collection.rows) {
        const auto& row = entry.second;
        if (row->getValue<std::string>("name") == name) {
            return name;
        }
    }
    throw ApiError(400,
                   what + " \"" + value.extract<std::string>() + "\" is not a known " + what + ".");
}

std::int64_t Model::requireContainer(const Var& value, const std::string& key) const {
    if (value.isEmpty()) {
        throw ApiError(400, "Missing required field '" + key + "'");
    }
    const auto id = asId(value);
    if (!id || containers_.find(*id).isNull()) {
        throw ApiError(400, "Invalid " + key + ": " + value.toString() + " (no such container)");
    }
    return *id;
}

}  // namespace soar::emulator
