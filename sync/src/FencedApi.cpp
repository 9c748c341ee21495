#include "soar/sync/FencedApi.h"

namespace soar::sync {

FencedApi::FencedApi(SoarApi& inner, const RouteLeases& leases, std::string route)
    : inner_(inner), leases_(leases), route_(std::move(route)) {}

std::string FencedApi::version() { return inner_.version(); }

Page FencedApi::listPage(const std::string& path, const Query& query, std::size_t page) {
    return inner_.listPage(path, query, page);
}

Record FencedApi::getObject(const std::string& path) { return inner_.getObject(path); }

std::optional<Record> FencedApi::find(const std::string& path) { return inner_.find(path); }

std::optional<Record> FencedApi::get(const std::string& collection, std::int64_t id) {
    return inner_.get(collection, id);
}

ContainerCreated FencedApi::createContainer(const Poco::JSON::Object& container) {
    check();
    return inner_.createContainer(container);
}

void FencedApi::updateContainer(std::int64_t id, const Poco::JSON::Object& fields) {
    check();
    inner_.updateContainer(id, fields);
}

CreateResult FencedApi::createArtifact(const Poco::JSON::Object& artifact) {
    check();
    return inner_.createArtifact(artifact);
}

std::vector<BatchItemResult> FencedApi::createArtifacts(const Poco::JSON::Array& artifacts) {
    check();
    return inner_.createArtifacts(artifacts);
}

void FencedApi::updateArtifact(std::int64_t id, const Poco::JSON::Object& fields) {
    check();
    inner_.updateArtifact(id, fields);
}

CreateResult FencedApi::createNote(const Poco::JSON::Object& note) {
    check();
    return inner_.createNote(note);
}

CreateResult FencedApi::createComment(const Poco::JSON::Object& comment) {
    check();
    return inner_.createComment(comment);
}

void FencedApi::updateNote(std::int64_t id, const Poco::JSON::Object& fields) {
    check();
    inner_.updateNote(id, fields);
}

std::int64_t FencedApi::createRecord(const std::string& collection,
                                     const Poco::JSON::Object& body) {
    check();
    return inner_.createRecord(collection, body);
}

void FencedApi::updateRecord(const std::string& collection, std::int64_t id,
                             const Poco::JSON::Object& fields) {
    check();
    inner_.updateRecord(collection, id, fields);
}

bool FencedApi::deleteRecord(const std::string& collection, std::int64_t id) {
    check();
    return inner_.deleteRecord(collection, id);
}

std::optional<PlaybookInfo> FencedApi::findPlaybook(const std::string& spec) {
    return inner_.findPlaybook(spec);
}

std::int64_t FencedApi::runPlaybook(const PlaybookRunRequest& request) {
    check();
    return inner_.runPlaybook(request);
}

PlaybookRunStatus FencedApi::playbookRun(std::int64_t run_id) { return inner_.playbookRun(run_id); }

void FencedApi::cancelPlaybookRun(std::int64_t run_id) {
    check();
    inner_.cancelPlaybookRun(run_id);
}

std::uint64_t FencedApi::downloadFile(const std::string& sha1, const std::string& path,
                                      std::uint64_t max_bytes) {
    return inner_.downloadFile(sha1, path, max_bytes);
}

std::int64_t FencedApi::attachFile(std::int64_t container, const std::string& name,
                                   const std::string& path, const std::string& sha1) {
    check();
    return inner_.attachFile(container, name, path, sha1);
}

}  // namespace soar::sync
