// Containers: create (with embedded artifacts), partial and bulk update, delete.

#include "Model.h"

#include <Poco/JSON/Parser.h>
#include <Poco/UUIDGenerator.h>

#include <algorithm>

namespace soar::emulator {

using Poco::Dynamic::Var;
using Poco::JSON::Array;
using Poco::JSON::Object;

namespace {

const std::vector<std::string> kContainerHashFields = {
    "name", "label", "description", "source_data_identifier", "data", "custom_fields", "tags"};
const std::vector<std::string> kSensitivities = {"white", "green", "amber", "red"};
const std::vector<std::string> kKillChain = {
    "Reconnaissance",    "Weaponization",        "Delivery", "Exploitation", "Installation",
    "Command & Control", "Actions on Objectives"};

bool isObjectVar(const Var& v) { return !v.isEmpty() && v.type() == typeid(Object::Ptr); }
bool isArrayVar(const Var& v) { return !v.isEmpty() && v.type() == typeid(Array::Ptr); }

std::string requireString(const Var& v, const std::string& key) {
    if (!v.isString()) {
        throw ApiError(400, "Invalid value for '" + key + "': expected a string");
    }
    return v.extract<std::string>();
}

Var nullableString(const Var& v, const std::string& key) {
    if (v.isEmpty()) {
        return v;
    }
    if (v.isNumeric()) {
        return v.convert<std::string>();
    }
    return requireString(v, key);
}

Var timestampField(const Var& v, const std::string& key) {
    if (v.isEmpty()) {
        return v;
    }
    const auto t = parseTimestamp(requireString(v, key));
    if (!t) {
        throw ApiError(400, "Invalid value for '" + key + "': '" + v.extract<std::string>() +
                                "' is not an ISO 8601 timestamp");
    }
    return formatTimestamp(*t);
}

}  // namespace

/// Tags: a list of strings, or one string (SOAR accepts both).
Array::Ptr tagList(const Var& v) {
    Array::Ptr tags = new Array;
    if (v.isEmpty()) {
        return tags;
    }
    if (v.isString()) {
        tags->add(v);
        return tags;
    }
    if (!isArrayVar(v)) {
        throw ApiError(400, "Invalid value for 'tags': expected a list of strings");
    }
    const auto in = v.extract<Array::Ptr>();
    for (std::size_t i = 0; i < in->size(); ++i) {
        const Var tag = in->get(static_cast<unsigned int>(i));
        if (!tag.isString()) {
            throw ApiError(400, "Invalid value for 'tags': expected a list of strings");
        }
        tags->add(tag);
    }
    return tags;
}

Object::Ptr objectField(const Var& v, const std::string& key) {
    if (v.isEmpty()) {
        return new Object;
    }
    if (!isObjectVar(v)) {
        throw ApiError(400, "Invalid value for '" + key + "': expected a JSON object");
    }
    return v.extract<Object::Ptr>();
}

void Model::applyContainerFields(Ptr row, const Ptr& in, bool creating, bool user) {
    (void)user;
    auto given = [&](const char* key) { return in->has(key); };
    if (creating || given("name")) {
        const Var v = in->get("name");
        if (v.isEmpty() || !v.isString() || v.extract<std::string>().empty()) {
            throw ApiError(400, "Invalid value for 'name': a container needs a non-empty name");
        }
        row->set("name", v);
    }
    if (creating || given("label")) {
        Var v = in->get("label");
        if (v.isEmpty() && creating && !labels_.empty()) {
            v = labels_.front();  // the automation user's default label
        }
        const std::string label = requireString(v, "label");
        if (std::find(labels_.begin(), labels_.end(), label) == labels_.end()) {
            throw ApiError(400, "Label \"" + label + "\" is not a known label.");
        }
        row->set("label", label);
    }
    if (creating || given("severity")) {
        const Var v = in->get("severity");
        row->set("severity",
                 v.isEmpty() && creating ? "medium" : vocabularyName(severities_, v, "Severity"));
    }
    std::string old_status = creating ? "" : row->getValue<std::string>("status");
    if (creating || given("status")) {
        const Var v = in->get("status");
        row->set("status", v.isEmpty() && creating ? "new" : containerStatus(v));
    }
    if (creating || given("sensitivity")) {
        Var v = in->get("sensitivity");
        std::string s = v.isEmpty() && creating ? "amber" : requireString(v, "sensitivity");
        std::transform(s.begin(), s.end(), s.begin(),
                       [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        if (std::find(kSensitivities.begin(), kSensitivities.end(), s) == kSensitivities.end()) {
            throw ApiError(400, "Sensitivity \"" + s + "\" is not a known sensitivity.");
        }
        row->set("sensitivity", s);
    }
    if (creating || given("description")) {
        const Var v = in->get("description");
        row->set("description", v.isEmpty() ? std::string() : requireString(v, "description"));
    }
    if (creating || given("container_type")) {
        const Var v = in->get("container_type");
        const std::string type = v.isEmpty() ? "default" : requireString(v, "container_type");
        if (type != "default" && type != "case") {
            throw ApiError(400, "Invalid container_type \"" + type + "\": use default or case");
        }
        row->set("container_type", type);
        row->set("in_case", type == "case");
    }
    if (requestedTemplate(*in) != 0) {  // a workbook makes the container a case
        if (given("container_type") && row->getValue<std::string>("container_type") != "case") {
            throw ApiError(400, "A workbook template needs container_type \"case\"");
        }
        row->set("container_type", "case");
        row->set("in_case", true);
    }
    if (creating || given("kill_chain")) {
        const Var v = in->get("kill_chain");
        if (!v.isEmpty() &&
            (!v.isString() || std::find(kKillChain.begin(), kKillChain.end(),
                                        v.extract<std::string>()) == kKillChain.end())) {
            throw ApiError(400, "Invalid kill_chain: " + v.toString());
        }
        row->set("kill_chain", v);
    }
    if (creating || given("tags")) {
        row->set("tags", tagList(in->get("tags")));
    }
    if (creating || given("custom_fields")) {
        const Object::Ptr incoming = objectField(in->get("custom_fields"), "custom_fields");
        checkCustomFields(*incoming, creating);
        if (creating) {
            row->set("custom_fields", incoming);
        } else {  // custom_fields merge on update
            Object::Ptr merged = new Object(*row->getObject("custom_fields"));
            for (const auto& [key, value] : *incoming) {
                merged->set(key, value);
            }
            row->set("custom_fields", merged);
        }
    }
    if (creating || given("data")) {
        row->set("data", objectField(in->get("data"), "data"));
    }
    if (creating || given("external_id")) {
        row->set("external_id", nullableString(in->get("external_id"), "external_id"));
    }
    if (creating || given("source_data_identifier")) {
        Var v = nullableString(in->get("source_data_identifier"), "source_data_identifier");
        if (v.isEmpty()) {
            if (!creating) {
                throw ApiError(400, "source_data_identifier cannot be null");
            }
            v = Poco::UUIDGenerator::defaultGenerator().createRandom().toString();
        }
        const std::string sdi = v.extract<std::string>();
        const auto it = sdi_index_.find(sdi);
        const std::int64_t self = creating ? 0 : row->getValue<Poco::Int64>("id");
        if (it != sdi_index_.end() && it->second != self) {
            throw ApiError(400,
                           "duplicate with container " + std::to_string(it->second) +
                               ": source_data_identifier \"" + sdi + "\" already exists",
                           "existing_container_id", it->second);
        }
        row->set("source_data_identifier", sdi);
    }
    Var owner = row->get("owner");
    if (given("owner_id")) {
        const Var v = in->get("owner_id");
        owner = Var();
        row->set("owner_name", Var());
        if (!v.isEmpty()) {
            for (const auto& entry : users_.rows) {
                const std::int64_t id = entry.first;
                const auto& u = entry.second;
                if ((v.isString() && u->getValue<std::string>("username") == v.toString()) ||
                    asId(v) == id) {
                    owner = id;
                    row->set("owner_name", u->get("username"));
                }
            }
            if (owner.isEmpty()) {
                throw ApiError(400, "\"owner_id\" Not found: " + v.toString());
            }
        }
    }
    row->set("owner", owner);
    if (creating) {
        row->set("owner_name", owner.isEmpty() ? Var() : row->get("owner_name"));
    }
    if (given("role_id")) {
        const Var v = in->get("role_id");
        if (!v.isEmpty() && !asId(v)) {
            throw ApiError(400, "Invalid role_id: " + v.toString());
        }
        row->set("role", v.isEmpty() ? Var() : Var(*asId(v)));
    } else if (creating) {
        row->set("role", Var());
    }
    // Owner and role exclude each other: writing one clears the other, both is a 400.
    if (!row->get("owner").isEmpty() && !row->get("role").isEmpty()) {
        if (given("owner_id") && given("role_id")) {
            throw ApiError(400, "Container cannot be assigned both an owner and a role");
        }
        if (given("owner_id")) {
            row->set("role", Var());
        } else {
            row->set("owner", Var());
            row->set("owner_name", Var());
        }
    }
    for (const char* key : {"start_time", "end_time", "due_time", "open_time", "close_time"}) {
        if (creating || given(key)) {
            row->set(key, timestampField(in->get(key), key));
        }
    }
    if (creating || given("tenant_id")) {
        const Var v = in->get("tenant_id");
        if (!v.isEmpty() && !asId(v)) {
            throw ApiError(400, "Invalid tenant_id: " + v.toString());
        }
        row->set("tenant", v.isEmpty() ? Var(Poco::Int64{0}) : Var(*asId(v)));
    }
    if (creating || given("parent_container")) {
        const Var v = in->get("parent_container");
        row->set("parent_container",
                 v.isEmpty() ? Var() : Var(requireContainer(v, "parent_container")));
    }
    if (creating || given("asset_id")) {
        const Var v = in->get("asset_id");
        row->set("asset", asId(v) ? Var(*asId(v)) : Var());
    }
    if (creating || given("ingest_app_id")) {
        row->set("ingest_app", nullableString(in->get("ingest_app_id"), "ingest_app_id"));
    }
    // Status side effects, by status_type: the first move to an open-type status stamps
    // open_time, a move to a resolved-type one stamps close_time and the closing owner, and
    // leaving the resolved type clears them.
    const std::string status = row->getValue<std::string>("status");
    if (status != old_status && (!creating || status != "new")) {
        const std::string now = formatTimestamp(clock_.next());
        const std::string type = statusType(status);
        if (type == "open" && row->get("open_time").isEmpty()) {
            row->set("open_time", now);
        }
        if (type == "resolved") {
            if (!given("close_time")) {
                row->set("close_time", now);
            }
            row->set("closing_owner", user ? Var(Poco::Int64{1}) : Var(Poco::Int64{2}));
        } else if (statusType(old_status) == "resolved") {
            row->set("close_time", Var());
            row->set("closing_owner", Var());
        }
    }
}

Object::Ptr Model::createContainer(const Ptr& in, bool user) {
    Ptr row = new Object;
    row->set("closing_owner", Var());
    applyContainerFields(row, in, true, user);
    if (in->has("artifacts") && !isArrayVar(in->get("artifacts"))) {
        throw ApiError(400, "Invalid value for 'artifacts': expected a list");
    }
    const Micros now = clock_.next();
    const std::string created = formatTimestamp(now);
    row->set("version", 1);
    row->set("create_time", created);
    if (row->get("start_time").isEmpty()) {
        row->set("start_time", created);
    }
    const Var update = options_.null_update_time ? Var() : Var(created);
    row->set("container_update_time", update);
    row->set("artifact_update_time", update);
    row->set("artifact_count", 0);
    row->set("closing_rule_run", Var());
    row->set("current_phase", Var());
    row->set("node_guid", "00000000-0000-4000-8000-000000000001");
    row->set("workflow_name", "");
    row->set("hash", contentHash(*row, kContainerHashFields));
    const std::int64_t id = containers_.insert(row);
    sdi_index_[row->getValue<std::string>("source_data_identifier")] = id;
    if (const std::int64_t workbook = requestedTemplate(*in); workbook != 0) {
        containers_.rows.replace(id, addWorkbook(id, workbook));
    }

    Ptr result = new Object;
    result->set("success", true);
    result->set("id", id);
    Array::Ptr new_ids = new Array;
    if (in->has("artifacts")) {
        Array::Ptr results = new Array;
        const auto items = in->getArray("artifacts");
        for (std::size_t i = 0; i < items->size(); ++i) {
            const Var item = items->get(static_cast<unsigned int>(i));
            Ptr r;
            try {
                if (!isObjectVar(item)) {
                    throw ApiError(400, "Each artifact must be a JSON object");
                }
                r = createArtifact(item.extract<Object::Ptr>(), id);
            } catch (const ApiError& e) {
                r = failedBody(e.what());
            }
            if (r->has("id")) {
                new_ids->add(r->get("id"));
            }
            results->add(r);
        }
        if (!options_.embedded_answer_ids_only) result->set("artifacts", results);
    }
    result->set("new_artifact_ids", new_ids);
    return result;
}

Object::Ptr Model::updateContainer(std::int64_t id, const Ptr& in, bool user) {
    Ptr row = containers_.find(id);
    if (row.isNull()) {
        throw ApiError(404, "Invalid container id: " + std::to_string(id) + " (no such record)");
    }
    // Validate on a copy so a rejected update leaves the record untouched.
    Ptr copy = new Object(*row);
    applyContainerFields(copy, in, false, user);
    copy->set("version", copy->getValue<Poco::Int64>("version") + 1);
    copy->set("container_update_time", formatTimestamp(clock_.next()));
    copy->set("hash", contentHash(*copy, kContainerHashFields));
    containers_.rows.replace(id, copy);
    sdi_index_.erase(row->getValue<std::string>("source_data_identifier"));
    sdi_index_[copy->getValue<std::string>("source_data_identifier")] = id;
    if (const std::int64_t workbook = requestedTemplate(*in); workbook != 0) {
        containers_.rows.replace(id, addWorkbook(id, workbook));
    }
    Ptr result = new Object;
    result->set("success", true);
    result->set("id", id);
    return result;
}

void Model::deleteContainer(std::int64_t id) {
    Ptr row = containers_.find(id);
    if (row.isNull()) {
        return;
    }
    sdi_index_.erase(row->getValue<std::string>("source_data_identifier"));
    const auto it = container_artifacts_.find(id);
    if (it != container_artifacts_.end()) {
        for (const std::int64_t aid : it->second) {
            artifacts_.rows.erase(aid);
        }
        container_artifacts_.erase(it);
    }
    artifact_hashes_.erase(id);
    std::vector<std::int64_t> attached;
    for (const auto& entry : attachments_.rows) {
        if (entry.second->getValue<Poco::Int64>("container_id") == id)
            attached.push_back(entry.first);
    }
    for (const auto attachment : attached) deleteAttachment(attachment);
    deleteWorkbooks(id);
    for (Collection* c : {&notes_, &comments_, &runs_, &action_runs_, &app_runs_}) {
        for (auto r = c->rows.begin(); r != c->rows.end();) {
            r = r->second->getValue<Poco::Int64>("container") == id ? c->rows.erase(r)
                                                                    : std::next(r);
        }
    }
    containers_.rows.erase(id);
}

Response Model::postContainers(const Request& request) {
    const Var parsed = parseJsonBody(request.body);
    if (isObjectVar(parsed)) {
        return jsonResponse(200, createContainer(parsed.extract<Object::Ptr>(), request.user_auth));
    }
    if (!isArrayVar(parsed)) {
        throw ApiError(400, "Expected a JSON object or a list of objects");
    }
    // Bulk form: items with an id update that container, the others create one. Not
    // transactional; 200 when at least one item succeeded.
    const auto items = parsed.extract<Array::Ptr>();
    Array::Ptr results = new Array;
    bool any = false;
    for (std::size_t i = 0; i < items->size(); ++i) {
        const Var item = items->get(static_cast<unsigned int>(i));
        try {
            if (!isObjectVar(item)) {
                throw ApiError(400, "Each item must be a JSON object");
            }
            const auto obj = item.extract<Object::Ptr>();
            const auto id = asId(obj->get("id"));
            results->add(id ? updateContainer(*id, obj, request.user_auth)
                            : createContainer(obj, request.user_auth));
            any = true;
        } catch (const ApiError& e) {
            Ptr failed = failedBody(e.what());
            if (!e.extraKey().empty()) {
                failed->set(e.extraKey(), e.extraId());
            }
            results->add(failed);
        }
    }
    return jsonResponse(any ? 200 : 400, results);
}

}  // namespace soar::emulator
