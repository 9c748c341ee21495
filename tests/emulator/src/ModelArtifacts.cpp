// Artifacts: create (single and list, content-hash dedup per container), update, delete.

#include "Model.h"

#include <Poco/JSON/Parser.h>

namespace soar::emulator {

using Poco::Dynamic::Var;
using Poco::JSON::Array;
using Poco::JSON::Object;

namespace {

/// What the content hash covers. SOAR does not document its set; these are the fields
/// that make up an artifact's content (not its ids, times or container).
const std::vector<std::string> kArtifactHashFields = {
    "name",     "label", "type",
    "severity", "cef",   "cef_types",
    "data",     "tags",  "source_data_identifier"};

bool isObjectVar(const Var& v) { return !v.isEmpty() && v.type() == typeid(Object::Ptr); }
bool isArrayVar(const Var& v) { return !v.isEmpty() && v.type() == typeid(Array::Ptr); }

Var optionalString(const Var& v, const std::string& key) {
    if (v.isEmpty()) {
        return v;
    }
    if (v.isNumeric()) {
        return v.convert<std::string>();
    }
    if (!v.isString()) {
        throw ApiError(400, "Invalid value for '" + key + "': expected a string");
    }
    return v;
}

}  // namespace

void Model::touchArtifacts(std::int64_t container_id, Micros t) {
    const Ptr stored = containers_.find(container_id);
    if (!stored.isNull()) {
        // Copy on write: stored rows are never changed in place, so pages can be
        // serialised outside the lock.
        Ptr container = new Object(*stored);
        container->set("artifact_update_time", formatTimestamp(t));
        const auto it = container_artifacts_.find(container_id);
        container->set(
            "artifact_count",
            static_cast<Poco::Int64>(it == container_artifacts_.end() ? 0 : it->second.size()));
        containers_.rows.replace(container_id, container);
    }
}

Object::Ptr Model::createArtifact(const Ptr& in, std::int64_t forced_container) {
    const std::int64_t container_id =
        forced_container != 0 ? forced_container
                              : requireContainer(in->get("container_id"), "container_id");
    Ptr row = new Object;
    row->set("container", container_id);
    row->set("name", optionalString(in->get("name"), "name"));
    const Var label = optionalString(in->get("label"), "label");
    row->set("label", label.isEmpty() ? Var("event") : label);
    const Var type = optionalString(in->get("type"), "type");
    row->set("type", type.isEmpty() ? Var("") : type);
    const Var description = optionalString(in->get("description"), "description");
    row->set("description", description.isEmpty() ? Var("") : description);
    const Var severity = in->get("severity");
    row->set("severity",
             severity.isEmpty() ? "medium" : vocabularyName(severities_, severity, "Severity"));
    row->set("cef", objectField(in->get("cef"), "cef"));
    row->set("cef_types", objectField(in->get("cef_types"), "cef_types"));
    row->set("data", objectField(in->get("data"), "data"));
    row->set("tags", tagList(in->get("tags")));
    row->set("source_data_identifier",
             optionalString(in->get("source_data_identifier"), "source_data_identifier"));
    row->set("external_id", optionalString(in->get("external_id"), "external_id"));
    row->set("kill_chain", optionalString(in->get("kill_chain"), "kill_chain"));
    row->set("ingest_app", optionalString(in->get("ingest_app_id"), "ingest_app_id"));
    row->set("owner", asId(in->get("owner_id")) ? Var(*asId(in->get("owner_id"))) : Var());
    row->set("parent_artifact",
             asId(in->get("parent_artifact")) ? Var(*asId(in->get("parent_artifact"))) : Var());
    row->set("parent_container",
             asId(in->get("parent_container")) ? Var(*asId(in->get("parent_container"))) : Var());
    row->set("playbook_run", Var());
    for (const char* key : {"start_time", "end_time"}) {
        const Var v = in->get(key);
        if (v.isEmpty()) {
            row->set(key, Var());
            continue;
        }
        const auto t = v.isString() ? parseTimestamp(v.extract<std::string>()) : std::nullopt;
        if (!t) {
            throw ApiError(
                400, std::string("Invalid value for '") + key + "': not an ISO 8601 timestamp");
        }
        row->set(key, formatTimestamp(*t));
    }
    const std::string hash = contentHash(*row, kArtifactHashFields);
    auto& hashes = artifact_hashes_[container_id];
    if (const auto dup = hashes.find(hash); dup != hashes.end()) {
        Ptr result = failedBody("artifact already exists");
        result->set("existing_artifact_id", dup->second);
        return result;
    }
    const Micros now = clock_.next();
    const std::string created = formatTimestamp(now);
    row->set("hash", hash);
    row->set("version", 1);
    row->set("create_time", created);
    row->set("update_time", created);
    row->set("in_case", false);
    row->set("has_note", false);
    if (row->get("start_time").isEmpty()) {
        row->set("start_time", created);
    }
    const std::int64_t id = artifacts_.insert(row);
    hashes.emplace(hash, id);
    container_artifacts_[container_id].insert(id);
    touchArtifacts(container_id, now);
    Ptr result = new Object;
    result->set("success", true);
    result->set("id", id);
    return result;
}

Object::Ptr Model::updateArtifact(std::int64_t id, const Ptr& in) {
    Ptr row = artifacts_.find(id);
    if (row.isNull()) {
        throw ApiError(404, "Invalid artifact id: " + std::to_string(id) + " (no such record)");
    }
    Ptr copy = new Object(*row);
    for (const char* key : {"name", "label", "type", "description", "source_data_identifier",
                            "external_id", "kill_chain"}) {
        if (in->has(key)) {
            copy->set(key, optionalString(in->get(key), key));
        }
    }
    if (in->has("severity")) {
        copy->set("severity", vocabularyName(severities_, in->get("severity"), "Severity"));
    }
    // cef, cef_types and data are replaced wholesale, not merged (as on real SOAR).
    for (const char* key : {"cef", "cef_types", "data"}) {
        if (in->has(key)) {
            copy->set(key, objectField(in->get(key), key));
        }
    }
    if (in->has("tags")) {
        copy->set("tags", tagList(in->get("tags")));
    }
    for (const char* key : {"start_time", "end_time"}) {
        if (in->has(key)) {
            const Var v = in->get(key);
            const auto t = v.isString() ? parseTimestamp(v.extract<std::string>()) : std::nullopt;
            if (!v.isEmpty() && !t) {
                throw ApiError(
                    400, std::string("Invalid value for '") + key + "': not an ISO 8601 timestamp");
            }
            copy->set(key, t ? Var(formatTimestamp(*t)) : Var());
        }
    }
    const std::int64_t container_id = copy->getValue<Poco::Int64>("container");
    const std::string old_hash = row->getValue<std::string>("hash");
    const std::string new_hash = contentHash(*copy, kArtifactHashFields);
    auto& hashes = artifact_hashes_[container_id];
    if (const auto it = hashes.find(old_hash); it != hashes.end() && it->second == id) {
        hashes.erase(it);
    }
    hashes.emplace(new_hash, id);  // keeps an older holder of the same content, if any
    const Micros now = clock_.next();
    copy->set("hash", new_hash);
    copy->set("version", copy->getValue<Poco::Int64>("version") + 1);
    copy->set("update_time", formatTimestamp(now));
    artifacts_.rows.replace(id, copy);
    touchArtifacts(container_id, now);
    Ptr result = new Object;
    result->set("success", true);
    result->set("id", id);
    return result;
}

void Model::deleteArtifact(std::int64_t id) {
    Ptr row = artifacts_.find(id);
    if (row.isNull()) {
        return;
    }
    const std::int64_t container_id = row->getValue<Poco::Int64>("container");
    auto& hashes = artifact_hashes_[container_id];
    if (const auto it = hashes.find(row->getValue<std::string>("hash"));
        it != hashes.end() && it->second == id) {
        hashes.erase(it);
    }
    container_artifacts_[container_id].erase(id);
    artifacts_.rows.erase(id);
    touchArtifacts(container_id, clock_.next());
}

Response Model::postArtifacts(const Request& request) {
    const Var parsed = parseJsonBody(request.body);
    if (isObjectVar(parsed)) {
        const Ptr result = createArtifact(parsed.extract<Object::Ptr>(), 0);
        return jsonResponse(200, result);
    }
    if (!isArrayVar(parsed)) {
        throw ApiError(400, "Expected a JSON object or a list of objects");
    }
    const auto items = parsed.extract<Array::Ptr>();
    if (items->size() == 0) {
        throw ApiError(400, "Empty list of artifacts");
    }
    Array::Ptr results = new Array;
    bool any = false;
    for (std::size_t i = 0; i < items->size(); ++i) {
        const Var item = items->get(static_cast<unsigned int>(i));
        try {
            if (!isObjectVar(item)) {
                throw ApiError(400, "Each artifact must be a JSON object");
            }
            const Ptr r = createArtifact(item.extract<Object::Ptr>(), 0);
            any = any || r->has("id") || r->has("existing_artifact_id");
            results->add(r);
        } catch (const ApiError& e) {
            results->add(failedBody(e.what()));
        }
    }
    return jsonResponse(any ? 200 : 400, results);
}

}  // namespace soar::emulator
