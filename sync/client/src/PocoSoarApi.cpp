// PocoSoarApi's endpoints: each SoarApi member as a REST call through the Caller (which
// sends, retries and classifies) and the reading of its answer into the value structs of
// SoarApi.h. The HTTP side lives in Transport and SessionPool, the list body in ParsePage.

#include "soar/client/PocoSoarApi.h"

#include "AnswerBody.h"
#include "Caller.h"
#include "soar/client/Errors.h"
#include "soar/client/JsonText.h"

#include <Poco/Base64Encoder.h>
#include <Poco/DigestEngine.h>
#include <Poco/Exception.h>
#include <Poco/SHA1Engine.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

namespace soar::sync {
namespace {

bool allDigits(const std::string& text) {
    return !text.empty() &&
           std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::string idPath(const std::string& collection, std::int64_t id) {
    return collection + "/" + std::to_string(id);
}

}  // namespace

std::unique_ptr<PocoSoarApi> PocoSoarApi::create(const InstanceConfig& config,
                                                 Credentials credentials,
                                                 std::shared_ptr<Clock> clock, std::uint64_t seed) {
    if (!clock) clock = SystemClock::instance();
    auto caller = std::make_unique<Caller>(config, std::move(credentials), std::move(clock), seed);
    return std::unique_ptr<PocoSoarApi>(new PocoSoarApi(std::move(caller)));
}

PocoSoarApi::PocoSoarApi(std::unique_ptr<Caller> caller) : caller_(std::move(caller)) {}

PocoSoarApi::~PocoSoarApi() = default;

ClientStats PocoSoarApi::stats() const { return caller_->stats(); }

const InstanceConfig& PocoSoarApi::config() const { return caller_->config(); }

bool PocoSoarApi::reloadCredentials() { return caller_->transport().reloadCredentials(); }

void PocoSoarApi::onNewSecret(std::function<void(const std::string&)> listener) {
    caller_->transport().onNewSecret(std::move(listener));
}

std::string PocoSoarApi::version() {
    const Reply reply = caller_->call("GET", "version", "", "", {});
    const auto object = asObject(reply.json);
    const std::string version = stringField(object, "version");
    if (version.empty()) caller_->failShape("GET /rest/version", reply, "{\"version\": ...}");
    return version;
}

Page PocoSoarApi::listPage(const std::string& path, const Query& query, std::size_t page) {
    return caller_->listPage(path, query.toQueryString(page), query.recordShape());
}

Record PocoSoarApi::getObject(const std::string& path) {
    const Reply reply = caller_->call("GET", path, "", "", {});
    auto object = asObject(reply.json);
    if (!object) caller_->failShape("GET /rest/" + path, reply, "an object");
    return object;
}

std::optional<Record> PocoSoarApi::find(const std::string& path) {
    CallOptions options;
    options.accept_not_found = true;
    const Reply reply = caller_->call("GET", path, "", "", options);
    if (reply.status == 404) return std::nullopt;
    auto object = asObject(reply.json);
    if (!object) caller_->failShape("GET /rest/" + path, reply, "an object");
    if (isFailed(object) && stringField(object, "message").find("not found") != std::string::npos) {
        return std::nullopt;
    }
    if (isFailed(object)) caller_->failRecord("GET /rest/" + path, reply);
    return object;
}

std::optional<Record> PocoSoarApi::get(const std::string& collection, std::int64_t id) {
    CallOptions options;
    options.accept_not_found = true;
    const Reply reply = caller_->call("GET", idPath(collection, id), "", "", options);
    if (reply.status == 404) return std::nullopt;
    auto object = asObject(reply.json);
    if (!object) caller_->failShape("GET /rest/" + collection + "/<id>", reply, "an object");
    return object;
}

namespace {

CreateResult createResult(Caller& caller, const std::string& what, const Reply& reply,
                          const char* existing_key) {
    const auto object = asObject(reply.json);
    if (!object) caller.failShape(what, reply, "an object");
    if (object->has(existing_key)) {
        const auto id = parseId(object->get(existing_key));
        if (!id) caller.failShape(what, reply, std::string("a numeric ") + existing_key);
        return {*id, true};
    }
    if (isFailed(object)) caller.failRecord(what, reply);
    const auto id = parseId(object->get("id"));
    if (!id) caller.failShape(what, reply, "{\"id\": N}");
    return {*id, false};
}

/// The per-item answers of a batch create (or of the artifacts embedded in a container
/// create): an id, an existing id, or a failure with the server's message.
std::vector<BatchItemResult> itemResults(Caller& caller, const std::string& what,
                                         const Reply& reply, const Poco::JSON::Array& items) {
    std::vector<BatchItemResult> results;
    results.reserve(items.size());
    for (std::size_t i = 0; i < items.size(); ++i) {
        const auto item = items.getObject(static_cast<unsigned>(i));
        if (!item) caller.failShape(what, reply, "objects in the result array");
        BatchItemResult result;
        if (item->has("existing_artifact_id")) {
            result.id = parseId(item->get("existing_artifact_id"));
            result.existed = true;
        } else if (isFailed(item)) {
            result.error = caller.scrub(stringField(item, "message"));
            if (result.error.empty()) result.error = "failed without a message";
        } else {
            result.id = parseId(item->get("id"));
        }
        if (!result.id && result.error.empty()) {
            caller.failShape(what, reply, "an id or a failure per item");
        }
        results.push_back(std::move(result));
    }
    return results;
}

}  // namespace

ContainerCreated PocoSoarApi::createContainer(const Poco::JSON::Object& container) {
    const std::string what = "POST /rest/container";
    CallOptions options;
    options.accept_duplicate = true;
    const Reply reply = caller_->call("POST", "container", "", jsonText(container), options);
    ContainerCreated created;
    static_cast<CreateResult&>(created) =
        createResult(*caller_, what, reply, "existing_container_id");
    const auto embedded = container.getArray("artifacts");
    if (created.existed || !embedded || embedded->size() == 0) return created;
    // Each embedded artifact's own answer where the server gives one (Splunk's SDK reads
    // `artifacts`); otherwise the new ids in order, which say which became what only when every
    // one was made (8.5 answers `new_artifact_ids`).
    const auto answer = asObject(reply.json);
    if (const auto items = answer->getArray("artifacts");
        items && items->size() == embedded->size()) {
        created.artifacts = itemResults(*caller_, what, reply, *items);
    } else if (const auto ids = answer->getArray("new_artifact_ids");
               ids && ids->size() == embedded->size()) {
        std::vector<BatchItemResult> results(ids->size());
        for (std::size_t i = 0; i < ids->size(); ++i) {
            results[i].id = parseId(ids->get(static_cast<unsigned>(i)));
            if (!results[i].id) caller_->failShape(what, reply, "numeric new_artifact_ids");
        }
        created.artifacts = std::move(results);
    }
    return created;
}

void PocoSoarApi::updateContainer(std::int64_t id, const Poco::JSON::Object& fields) {
    (void)caller_->call("POST", idPath("container", id), "", jsonText(fields), {});
}

CreateResult PocoSoarApi::createArtifact(const Poco::JSON::Object& artifact) {
    CallOptions options;
    options.accept_duplicate = true;
    const Reply reply = caller_->call("POST", "artifact", "", jsonText(artifact), options);
    return createResult(*caller_, "POST /rest/artifact", reply, "existing_artifact_id");
}

std::vector<BatchItemResult> PocoSoarApi::createArtifacts(const Poco::JSON::Array& artifacts) {
    const std::string what = "POST /rest/artifact (batch)";
    CallOptions options;
    options.accept_array = true;
    const Reply reply = caller_->call("POST", "artifact", "", jsonText(artifacts), options);
    const auto items = asArray(reply.json);
    if (!items || items->size() != artifacts.size()) {
        caller_->failShape(what, reply,
                           "an array of " + std::to_string(artifacts.size()) + " results");
    }
    return itemResults(*caller_, what, reply, *items);
}

void PocoSoarApi::updateArtifact(std::int64_t id, const Poco::JSON::Object& fields) {
    (void)caller_->call("POST", idPath("artifact", id), "", jsonText(fields), {});
}

CreateResult PocoSoarApi::createNote(const Poco::JSON::Object& note) {
    CallOptions options;
    options.retry = RetryMode::OnlyUnsent;  // no server-side dedup: a resend could double it
    const Reply reply = caller_->call("POST", "note", "", jsonText(note), options);
    return createResult(*caller_, "POST /rest/note", reply, "existing_note_id");
}

CreateResult PocoSoarApi::createComment(const Poco::JSON::Object& comment) {
    CallOptions options;
    options.retry = RetryMode::OnlyUnsent;
    const Reply reply = caller_->call("POST", "container_comment", "", jsonText(comment), options);
    return createResult(*caller_, "POST /rest/container_comment", reply, "existing_comment_id");
}

void PocoSoarApi::updateNote(std::int64_t id, const Poco::JSON::Object& fields) {
    (void)caller_->call("POST", idPath("note", id), "", jsonText(fields), {});
}

std::int64_t PocoSoarApi::createRecord(const std::string& collection,
                                       const Poco::JSON::Object& body) {
    CallOptions options;
    options.retry = RetryMode::OnlyUnsent;
    const Reply reply = caller_->call("POST", collection, "", jsonText(body), options);
    return createResult(*caller_, "POST /rest/" + collection, reply, "existing_id").id;
}

void PocoSoarApi::updateRecord(const std::string& collection, std::int64_t id,
                               const Poco::JSON::Object& fields) {
    (void)caller_->call("POST", idPath(collection, id), "", jsonText(fields), {});
}

bool PocoSoarApi::deleteRecord(const std::string& collection, std::int64_t id) {
    // Idempotent: a retry after a DELETE that went through finds nothing (404).
    CallOptions options;
    options.accept_not_found = true;
    const Reply reply = caller_->call("DELETE", idPath(collection, id), "", "", options);
    return reply.status != 404;
}

std::optional<PlaybookInfo> PocoSoarApi::findPlaybook(const std::string& spec) {
    const auto info = [](const Record& record) {
        PlaybookInfo result;
        result.id = parseId(record->get("id")).value_or(0);
        result.name = stringField(record, "name");
        result.scm_id = parseId(record->get("scm")).value_or(0);
        const auto active = record->get("active");
        try {
            result.active = active.isEmpty() || active.convert<bool>();
        } catch (const Poco::Exception&) {
            result.active = true;
        }
        return result;
    };
    if (allDigits(spec)) {
        const auto id = parseId(Poco::Dynamic::Var(spec));
        if (!id) return std::nullopt;
        const auto record = get(collection::kPlaybook, *id);
        if (!record) return std::nullopt;
        return info(*record);
    }
    Query query;
    query.pageSize(50);
    std::string name = spec;
    const auto slash = spec.find('/');
    if (slash != std::string::npos) {
        const std::string repo = spec.substr(0, slash);
        name = spec.substr(slash + 1);
        const Page scms = listPage(collection::kScm, Query().exact("name", repo).pageSize(2), 0);
        if (scms.records.empty()) return std::nullopt;
        const auto scm = parseId(scms.records.front()->get("id"));
        if (!scm) return std::nullopt;
        query.exact("scm", *scm);
    }
    query.exact("name", name).sort("id");
    const Page page = listPage(collection::kPlaybook, query, 0);
    if (page.records.empty()) return std::nullopt;
    if (page.records.size() > 1 && slash == std::string::npos) {
        throw RecordError(caller_->config().section() + " playbook '" + spec + "' exists in " +
                              std::to_string(page.records.size()) +
                              " repositories; name it as repo/name",
                          0, "ambiguous playbook name");
    }
    // Several with one repo and name: re-imports; the newest (highest id) is the live one.
    return info(page.records.back());
}

std::int64_t PocoSoarApi::runPlaybook(const PlaybookRunRequest& request) {
    Poco::JSON::Object body;
    body.set("container_id", request.container_id);
    if (request.playbook_id) {
        body.set("playbook_id", *request.playbook_id);
    } else {
        body.set("playbook_id", request.playbook_name);
    }
    body.set("scope", request.scope);
    body.set("run", true);
    CallOptions options;
    options.retry = RetryMode::OnlyUnsent;
    const Reply reply = caller_->call("POST", "playbook_run", "", jsonText(body), options);
    const auto object = asObject(reply.json);
    const auto id = object ? parseId(object->get("playbook_run_id")) : std::nullopt;
    if (!id) caller_->failShape("POST /rest/playbook_run", reply, "{\"playbook_run_id\": N}");
    return *id;
}

PlaybookRunStatus PocoSoarApi::playbookRun(std::int64_t run_id) {
    const std::string what = "GET /rest/playbook_run/<id>";
    const Reply reply = caller_->call("GET", idPath("playbook_run", run_id), "", "", {});
    const auto object = asObject(reply.json);
    if (!object) caller_->failShape(what, reply, "an object");
    PlaybookRunStatus status;
    status.id = parseId(object->get("id")).value_or(run_id);
    status.status = stringField(object, "status");
    if (status.status.empty()) caller_->failShape(what, reply, "a run with a status");
    status.outcome = playbookOutcome(status.status);
    status.message = caller_->scrub(stringField(object, "message"));
    return status;
}

bool PocoSoarApi::remove(const std::string& collection, std::int64_t id) {
    CallOptions options;
    options.accept_not_found = true;
    const Reply reply = caller_->call("DELETE", idPath(collection, id), "", "", options);
    return reply.status != 404;
}

void PocoSoarApi::cancelPlaybookRun(std::int64_t run_id) {
    Poco::JSON::Object body;
    body.set("cancel", true);
    (void)caller_->call("POST", idPath("playbook_run", run_id), "", jsonText(body), {});
}

namespace {

/// A vault id as SOAR writes it: 40 lower-case hex digits.
bool isSha1(const std::string& text) {
    return text.size() == 40 && std::all_of(text.begin(), text.end(), [](char c) {
               return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
           });
}

void removeQuietly(const std::string& path) {
    std::error_code ignored;
    std::filesystem::remove(path, ignored);
}

}  // namespace

std::uint64_t PocoSoarApi::downloadFile(const std::string& sha1, const std::string& path,
                                        std::uint64_t max_bytes) {
    const std::string what = config().section() + " GET /rest/download_attachment";
    if (!isSha1(sha1)) throw ProtocolError(what + ": '" + sha1.substr(0, 64) + "' is no vault id");
    std::ofstream file;
    Poco::SHA1Engine digest;
    std::uint64_t size = 0;
    Streams streams;
    streams.read_body = [&](const char* data, std::size_t length) {
        if (data == nullptr) {  // an attempt starts (again)
            file.close();
            file.clear();
            file.open(path, std::ios::binary | std::ios::trunc);
            if (!file) throw ProtocolError(what + ": cannot write " + path);
            digest.reset();
            size = 0;
            return;
        }
        size += length;
        if (size > max_bytes) {
            const std::string limit = "larger than " + std::to_string(max_bytes) + " bytes";
            throw RecordError(what + ": the file " + sha1 + " is " + limit, 413, limit);
        }
        digest.update(data, length);
        file.write(data, static_cast<std::streamsize>(length));
        if (!file) throw ProtocolError(what + ": cannot write " + path);
    };
    CallOptions options;
    options.streams = &streams;
    try {
        (void)caller_->call("GET", "download_attachment", "vault_id=" + sha1, "", options);
        file.close();
        if (!file) throw ProtocolError(what + ": cannot write " + path);
    } catch (...) {
        file.close();
        removeQuietly(path);
        throw;
    }
    const std::string got = Poco::DigestEngine::digestToHex(digest.digest());
    if (got != sha1) {
        removeQuietly(path);
        throw ProtocolError(what + ": the file " + sha1 + " arrived with SHA-1 " + got + " (" +
                            std::to_string(size) + " bytes): not the file asked for");
    }
    return size;
}

std::int64_t PocoSoarApi::attachFile(std::int64_t container, const std::string& name,
                                     const std::string& path, const std::string& sha1) {
    const std::string what = config().section() + " POST /rest/container_attachment";
    std::error_code error;
    const auto size = std::filesystem::file_size(path, error);
    if (error) throw ProtocolError(what + ": cannot read " + path + ": " + error.message());
    Poco::JSON::Object head;
    head.set("container_id", container);
    head.set("file_name", name);
    std::string prefix = jsonText(head);  // {"container_id":N,"file_name":"..."}
    prefix.pop_back();
    prefix += ",\"file_content\":\"";
    const std::string suffix = "\"}";
    Streams streams;
    streams.body_length = prefix.size() + (size + 2) / 3 * 4 + suffix.size();
    streams.write_body = [&](std::ostream& out) {
        std::ifstream in(path, std::ios::binary);
        if (!in) throw ProtocolError(what + ": cannot read " + path);
        out << prefix;
        Poco::Base64Encoder encoder(out);
        encoder.rdbuf()->setLineLength(0);
        char buffer[48 * 1024];
        while (in.read(buffer, sizeof buffer) || in.gcount() > 0) {
            encoder.write(buffer, in.gcount());
        }
        encoder.close();
        out << suffix;
    };
    CallOptions options;
    options.retry = RetryMode::OnlyUnsent;  // the same bytes may be attached twice
    options.streams = &streams;
    const Reply reply = caller_->call("POST", "container_attachment", "", "", options);
    const auto object = asObject(reply.json);
    const auto id = object ? parseId(object->get("id")) : std::nullopt;
    if (!id) caller_->failShape("POST /rest/container_attachment", reply, "an attachment id");
    // Older servers answer `hash` without `vault_id`.
    const std::string stored = object->has("vault_id") ? object->get("vault_id").toString()
                               : object->has("hash")   ? object->get("hash").toString()
                                                       : sha1;
    if (stored != sha1) {
        throw ProtocolError(what + ": the target stored " + name + " as " + stored +
                            ", not as the file's SHA-1 " + sha1);
    }
    return *id;
}

}  // namespace soar::sync
