// SoarTarget of SoarAdapter.h: the Target seam on a SoarApi.

#include "SoarRecords.h"
#include "soar/client/Errors.h"
#include "soar/sync/SoarAdapter.h"

#include <Poco/JSON/Array.h>

#include <algorithm>

namespace soar::sync {

using Poco::JSON::Object;
using state::RecordKind;

// --- SoarTarget ---------------------------------------------------------------------------

SoarTarget::SoarTarget(SoarApi& api, std::size_t page_size)
    : api_(api), page_size_(std::max<std::size_t>(1, page_size)) {}

void SoarTarget::ping() { (void)api_.version(); }

ContainerCreated SoarTarget::createContainer(const Object& container) {
    return api_.createContainer(container);
}

void SoarTarget::updateContainer(std::int64_t id, const Object& fields) {
    api_.updateContainer(id, fields);
}

std::map<std::string, std::int64_t> SoarTarget::artifactCopies(std::int64_t container,
                                                               const std::string& sdi_prefix) {
    std::map<std::string, std::int64_t> copies;
    Query query;
    query.exact("container", container)
        .filter("source_data_identifier", "startswith", sdi_prefix)
        .sort("id")
        .pageSize(page_size_);
    forEachPage(api_, collection::kArtifact, query, [&](const Page& page) {
        for (const auto& record : page.records) {
            const auto sdi = optString(*record, "source_data_identifier");
            const auto id = optId(*record, "id");
            // The lowest id wins, should a copy ever exist twice.
            if (sdi && id) copies.emplace(*sdi, *id);
        }
        return true;
    });
    return copies;
}

std::vector<BatchItemResult> SoarTarget::createArtifacts(const Poco::JSON::Array& artifacts) {
    return api_.createArtifacts(artifacts);
}

CreateResult SoarTarget::createArtifact(const Object& artifact) {
    return api_.createArtifact(artifact);
}

void SoarTarget::updateArtifact(std::int64_t id, const Object& fields) {
    api_.updateArtifact(id, fields);
}

void SoarTarget::forEachNote(RecordKind kind, std::int64_t container,
                             const std::function<void(std::int64_t, const std::string&)>& each) {
    forEachNoteOf(api_, kind, container, page_size_, each);
}

CreateResult SoarTarget::createNote(const Object& note) { return api_.createNote(note); }

CreateResult SoarTarget::createComment(const Object& comment) {
    return api_.createComment(comment);
}

void SoarTarget::updateNote(std::int64_t id, const Object& fields) { api_.updateNote(id, fields); }

std::map<std::string, std::int64_t> SoarTarget::fileCopies(std::int64_t container) {
    std::map<std::string, std::int64_t> copies;
    Query query;
    query.exact("container_id", container).sort("id").pageSize(page_size_);
    forEachPage(api_, collection::kAttachment, query, [&](const Page& page) {
        for (const auto& record : page.records) {
            const auto sha1 = vaultIdOf(*record);
            const auto id = optId(*record, "id");
            if (sha1 && id) copies.emplace(*sha1, *id);  // the lowest id wins
        }
        return true;
    });
    return copies;
}

Workbook SoarTarget::workbook(std::int64_t container) {
    return readWorkbook(api_, container, page_size_);
}

std::optional<std::int64_t> SoarTarget::findTemplate(const std::string& name) {
    Query query;
    query.exact("name", name).sort("id").pageSize(1);
    const auto page = api_.listPage(collection::kWorkbookTemplate, query, 0);
    if (page.records.empty()) return std::nullopt;
    return optId(*page.records.front(), "id");
}

std::int64_t SoarTarget::createPhase(std::int64_t container, const std::string& name,
                                     std::int64_t order) {
    Object body;
    body.set("container_id", container);
    body.set("name", name);
    body.set("order", order);
    return api_.createRecord(collection::kWorkbookPhase, body);
}

std::int64_t SoarTarget::createTask(std::int64_t phase, const WorkbookTask& task) {
    Object body;
    body.set("phase_id", phase);
    body.set("name", task.name);
    body.set("description", task.description);
    body.set("order", task.order);
    body.set("is_note_required", task.note_required);
    return api_.createRecord(collection::kWorkbookTask, body);
}

void SoarTarget::updateTask(std::int64_t id, const Object& fields) {
    api_.updateRecord(collection::kWorkbookTask, id, fields);
}

void SoarTarget::forEachTaskNote(
    std::int64_t task, const std::function<void(std::int64_t, const std::string&)>& each) {
    forEachNoteOfTask(api_, task, page_size_, [&](const Record& record) {
        const auto text = optString(*record, "content");
        const auto id = optId(*record, "id");
        if (text && id) each(*id, *text);
    });
}

std::optional<std::int64_t> SoarTarget::userId(const std::string& username) {
    return userIdOf(api_, username);
}

std::int64_t SoarTarget::attachFile(std::int64_t container, const std::string& name,
                                    const std::string& path, const std::string& sha1) {
    return api_.attachFile(container, name, path, sha1);
}

std::optional<PlaybookInfo> SoarTarget::findPlaybook(const std::string& spec) {
    return api_.findPlaybook(spec);
}

std::int64_t SoarTarget::runPlaybook(const PlaybookRunRequest& request) {
    return api_.runPlaybook(request);
}

PlaybookRunStatus SoarTarget::playbookRun(std::int64_t run_id) { return api_.playbookRun(run_id); }

void SoarTarget::cancelPlaybookRun(std::int64_t run_id) { api_.cancelPlaybookRun(run_id); }

std::vector<PlaybookRunSeen> SoarTarget::playbookRuns(std::int64_t playbook,
                                                      std::int64_t container) {
    Query query;
    query.exact("container", container).exact("playbook", playbook).sort("id").pageSize(50);
    const auto page = api_.listPage(collection::kPlaybookRun, query, 0);
    std::vector<PlaybookRunSeen> runs;
    for (const auto& record : page.records) {
        const auto id = optId(*record, "id");
        if (id) runs.push_back({*id, optString(*record, "start_time")});
    }
    return runs;
}

}  // namespace soar::sync
