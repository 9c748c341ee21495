#include "soar/sync/SoarAdapter.h"

#include "SoarRecords.h"
#include "soar/client/Errors.h"
#include "soar/sync/RecordMapper.h"

#include <Poco/JSON/Array.h>

#include <algorithm>

namespace soar::sync {

using Poco::JSON::Object;
using state::RecordKind;
using state::Stream;

StreamPath pathOf(Stream stream) {
    switch (stream) {
        case Stream::ContainersCreated:
            return {collection::kContainer, "create_time"};
        case Stream::ContainersUpdated:
            return {collection::kContainer, "container_update_time"};
        case Stream::Artifacts:
            return {collection::kContainer, "artifact_update_time"};
        case Stream::Notes:
            return {collection::kNote, "modified_time"};
        case Stream::Comments:
            return {collection::kComment, "time"};
        case Stream::Attachments:
            return {collection::kAttachment, "create_time"};
        case Stream::Tasks:
            return {collection::kWorkbookTask, "modified_time"};
        case Stream::CopiesUpdated:
            return {collection::kContainer, "container_update_time"};
        case Stream::CopyNotes:
            return {collection::kNote, "modified_time"};
        case Stream::CopyComments:
            return {collection::kComment, "time"};
        case Stream::CopyTasks:
            return {collection::kWorkbookTask, "modified_time"};
    }
    throw ProtocolError("unknown change stream");
}

namespace {

const char* collectionOf(RecordKind kind) {
    switch (kind) {
        case RecordKind::Artifact:
            return collection::kArtifact;
        case RecordKind::Note:
            return collection::kNote;
        case RecordKind::Comment:
            return collection::kComment;
        case RecordKind::Attachment:
            return collection::kAttachment;
        case RecordKind::Task:
            return collection::kWorkbookTask;
        case RecordKind::Container:
        case RecordKind::Playbook:
            break;
    }
    return collection::kContainer;
}

/// The sub-collection of a container that holds its records of `kind`.
std::string itemsPath(RecordKind kind, std::int64_t container) {
    const char* tail = kind == RecordKind::Artifact  ? "/artifacts"
                       : kind == RecordKind::Comment ? "/comments"
                                                     : "/notes";
    return std::string(collection::kContainer) + "/" + std::to_string(container) + tail;
}

}  // namespace

std::optional<std::string> optString(const Object& record, const std::string& key) {
    if (!record.has(key) || record.isNull(key)) return std::nullopt;
    return record.get(key).toString();
}

std::optional<std::int64_t> optId(const Object& record, const std::string& key) {
    return record.has(key) ? parseId(record.get(key)) : std::nullopt;
}

namespace {

/// The id of a source record. Records of a walk always have one (the walk keys those it
/// could not read); one read otherwise (a container's artifacts, a record by id) without a
/// usable id cannot be read, which costs its container a dead letter, not the pass.
std::int64_t requireId(const Object& record, const char* what) {
    const auto id = optId(record, "id");
    if (!id || (*id <= 0 && !record.has(kUnreadableKey))) {
        const std::string reason =
            std::string("a source ") + what + "'s id is out of range ('" +
            (record.has("id") ? record.get("id").toString().substr(0, 32) : std::string()) + "')";
        throw UnreadablePage(reason, reason, 200);
    }
    return *id;
}

}  // namespace

SourceContainer containerOfRecord(const Record& record) {
    SourceContainer c;
    c.id = requireId(*record, "container");
    c.create_time = optString(*record, "create_time");
    c.update_time = optString(*record, "container_update_time");
    c.artifact_update_time = optString(*record, "artifact_update_time");
    c.artifact_count = optId(*record, "artifact_count");
    c.unreadable = unreadableReason(record);
    c.body = record;
    return c;
}

SourceItem itemOfRecord(RecordKind kind, const Record& record) {
    SourceItem item;
    item.kind = kind;
    const bool file = kind == RecordKind::Attachment;
    const bool task = kind == RecordKind::Task;
    const char* what = kind == RecordKind::Artifact  ? "artifact"
                       : kind == RecordKind::Comment ? "comment"
                       : file                        ? "file"
                       : task                        ? "task"
                                                     : "note";
    item.id = requireId(*record, what);
    item.unreadable = unreadableReason(record);
    // An attachment names its container as `container_id` (`container` is its name when the
    // answer is `pretty`).
    auto of = file ? optId(*record, "container_id") : std::nullopt;
    if (!of) of = optId(*record, "container");
    if (!of && !item.unreadable) {
        throw ProtocolError(std::string("a source ") + what + " names no container");
    }
    item.container = of.value_or(0);
    item.changed = optString(*record, kind == RecordKind::Artifact  ? "update_time"
                                      : kind == RecordKind::Comment ? "time"
                                      : file                        ? "create_time"
                                                                    : "modified_time");
    item.body = record;
    return item;
}

Workbook readWorkbook(SoarApi& api, std::int64_t container, std::size_t page_size) {
    Workbook out;
    Query query;
    query.sort("id").pageSize(page_size);
    const auto number = [](const Object& record, const char* key) {
        return optId(record, key).value_or(0);
    };
    forEachPage(api,
                std::string(collection::kContainer) + "/" + std::to_string(container) + "/phases",
                query, [&](const Page& page) {
                    for (const auto& record : page.records) {
                        WorkbookPhase phase;
                        phase.id = requireId(*record, "workbook phase");
                        phase.name = optString(*record, "name").value_or("");
                        phase.order = number(*record, "order");
                        phase.template_id = optId(*record, "template");
                        if (const auto tasks = record->getArray("tasks")) {
                            for (std::size_t i = 0; i < tasks->size(); ++i) {
                                const auto t = tasks->getObject(static_cast<unsigned>(i));
                                if (!t) continue;
                                WorkbookTask task;
                                task.id = requireId(*t, "workbook task");
                                task.name = optString(*t, "name").value_or("");
                                task.order = number(*t, "order");
                                task.description = optString(*t, "description").value_or("");
                                task.status = number(*t, "status");
                                task.owner = optId(*t, "owner");
                                task.note_required = t->has("is_note_required") &&
                                                     t->get("is_note_required").isBoolean() &&
                                                     t->get("is_note_required").extract<bool>();
                                task.modified_time = optString(*t, "modified_time");
                                phase.tasks.push_back(std::move(task));
                            }
                        }
                        out.push_back(std::move(phase));
                    }
                    return true;
                });
    sortByOrder(out);
    return out;
}

/// Each note of a workbook task, in id order.
void forEachNoteOfTask(SoarApi& api, std::int64_t task, std::size_t page_size,
                       const std::function<void(const Record&)>& each) {
    Query query;
    query.exact("task_id", task).sort("id").pageSize(page_size);
    forEachPage(api, collection::kNote, query, [&](const Page& page) {
        for (const auto& record : page.records) each(record);
        return true;
    });
}

void forEachNoteOf(SoarApi& api, RecordKind kind, std::int64_t container, std::size_t page_size,
                   const std::function<void(std::int64_t, const std::string&)>& each) {
    const bool comment = kind == RecordKind::Comment;
    Query query;
    query.sort("id").pageSize(page_size);
    forEachPage(api, itemsPath(kind, container), query, [&](const Page& page) {
        for (const auto& record : page.records) {
            const auto text = optString(*record, comment ? "comment" : "content");
            const auto id = optId(*record, "id");
            if (text && id) each(*id, *text);
        }
        return true;
    });
}

std::optional<std::string> userNameOf(SoarApi& api, std::int64_t id) {
    const auto record = api.get(collection::kUser, id);
    if (!record) return std::nullopt;
    return optString(**record, "username");
}

std::optional<std::int64_t> userIdOf(SoarApi& api, const std::string& username) {
    Query query;
    query.exact("username", username).pageSize(1);
    const auto page = api.listPage(collection::kUser, query, 0);
    if (page.records.empty()) return std::nullopt;
    return optId(*page.records.front(), "id");
}

RecordKind streamKind(Stream stream) {
    switch (stream) {
        case Stream::Notes:
            return RecordKind::Note;
        case Stream::Comments:
            return RecordKind::Comment;
        case Stream::Attachments:
            return RecordKind::Attachment;
        case Stream::Tasks:
            return RecordKind::Task;
        case Stream::CopyNotes:
            return RecordKind::Note;
        case Stream::CopyComments:
            return RecordKind::Comment;
        case Stream::CopyTasks:
            return RecordKind::Task;
        case Stream::ContainersCreated:
        case Stream::ContainersUpdated:
        case Stream::Artifacts:
        case Stream::CopiesUpdated:
            break;
    }
    return RecordKind::Container;
}

const char* streamField(Stream stream) { return pathOf(stream).field; }

Query routeFilterQuery(const RouteConfig& route) {
    Query query;
    query.pageSize(route.page_size);
    const auto list = [](const std::vector<std::string>& values) {
        std::vector<PyValue> out;
        out.reserve(values.size());
        for (const auto& v : values) out.emplace_back(v);
        return out;
    };
    if (!route.filters.labels.empty()) query.in("label", list(route.filters.labels));
    if (!route.filters.severities.empty()) query.in("severity", list(route.filters.severities));
    if (!route.filters.statuses.empty()) query.in("status", list(route.filters.statuses));
    for (const auto& tag : route.filters.tags) query.filter("tags", "contains", tag);
    for (const auto& raw : route.filters.raw) query.raw(raw);
    return query;
}

// --- SoarSource ---------------------------------------------------------------------------

SoarSource::SoarSource(SoarApi& api, const RouteConfig& route)
    : api_(api),
      filters_(routeFilterQuery(route)),
      page_size_(std::max<std::size_t>(1, route.page_size)) {
    artifact_shape_.members = RecordMapper::artifactMembers();
    artifact_shape_.members.insert(artifact_shape_.members.end(),
                                   {"container", "id", "update_time"});
    artifact_shape_.objects_as_text = true;
}

WalkEnd SoarSource::walkContainers(Stream stream, const KeysetCursor& start,
                                   const std::function<bool(ContainerPage&)>& on_page,
                                   const CountCallback& on_count) {
    return walkPages<SourceContainer>(api_, stream, filters_, page_size_, start, on_page, on_count,
                                      containerOfRecord);
}

WalkEnd SoarSource::walkItems(Stream stream, const KeysetCursor& start,
                              const std::function<bool(ItemPage&)>& on_page,
                              const CountCallback& on_count) {
    // Notes, comments and files carry no container fields to filter on: every one is read.
    Query query;
    query.pageSize(page_size_);
    const auto kind = streamKind(stream);
    return walkPages<SourceItem>(api_, stream, query, page_size_, start, on_page, on_count,
                                 [kind](const Record& r) { return itemOfRecord(kind, r); });
}

std::optional<std::string> SoarSource::newest(Stream stream) {
    const auto path = pathOf(stream);
    Query query = streamKind(stream) == RecordKind::Container ? filters_ : Query();
    query.isNull(path.field, false).sort(path.field, SortOrder::Desc).pageSize(1);
    try {
        const auto page = api_.listPage(path.collection, query, 0);
        if (page.records.empty()) return std::nullopt;
        return optString(*page.records.front(), path.field);
    } catch (const UnreadablePage& e) {
        // The newest record cannot be read whole, but its change time can (the walk
        // dead-letters the record itself).
        const auto it = e.first().find(path.field);
        if (it == e.first().end()) throw;
        return it->second;
    }
}

std::optional<SourceContainer> SoarSource::container(std::int64_t id) {
    auto record = api_.get(collection::kContainer, id);
    if (!record) return std::nullopt;
    return containerOfRecord(*record);
}

std::optional<std::int64_t> SoarSource::containerOf(RecordKind kind, std::int64_t id) {
    const auto record = api_.get(collectionOf(kind), id);
    if (!record) return std::nullopt;
    if (kind == RecordKind::Attachment) {
        if (const auto of = optId(**record, "container_id")) return of;
    }
    return optId(**record, "container");
}

void SoarSource::forEachItem(RecordKind kind, std::int64_t container,
                             const std::function<void(SourceItem&)>& each) {
    Query query;
    query.sort("id").pageSize(page_size_);
    if (kind == RecordKind::Artifact) query.shape(artifact_shape_);
    std::string path = collection::kAttachment;
    if (kind == RecordKind::Attachment) {
        query.exact("container_id", container);
    } else {
        path = itemsPath(kind, container);
    }
    forEachPage(api_, path, query, [&](const Page& page) {
        for (const auto& record : page.records) {
            auto item = itemOfRecord(kind, record);
            each(item);
        }
        return true;
    });
}

/// By id keyset over `artifact?_filter_container__in=[...]`, instead of one
/// `container/<id>/artifacts` read per container: a group of up to 100 containers whose
/// counts add up to at most one read's worth costs one request. A container left out (no
/// usable count, too many artifacts) or whose count disagrees with what was read is not
/// returned.
std::map<std::int64_t, std::vector<SourceItem>> SoarSource::artifactsOf(
    const std::map<std::int64_t, std::int64_t>& expected) {
    constexpr std::size_t kGroupContainers = 100;  // ids in one URL
    const std::int64_t budget = static_cast<std::int64_t>(std::max<std::size_t>(1'000, page_size_));
    std::map<std::int64_t, std::vector<SourceItem>> out;
    std::map<std::int64_t, std::int64_t> group;
    std::int64_t group_artifacts = 0;
    const auto read = [&] {
        if (group.empty()) return;
        std::map<std::int64_t, std::vector<SourceItem>> found;
        std::vector<PyValue> ids;
        for (const auto& [id, count] : group) {
            found[id];
            ids.emplace_back(id);
        }
        std::int64_t last = 0;
        std::int64_t total = 0;
        bool complete = true;
        for (;;) {
            Query query;
            query.in("container", ids)
                .gt("id", last)
                .sort("id")
                .pageSize(static_cast<std::size_t>(budget))
                .shape(artifact_shape_);
            const Page answer = api_.listPage(collection::kArtifact, query, 0);
            for (const auto& record : answer.records) {
                auto item = itemOfRecord(RecordKind::Artifact, record);
                const auto into = found.find(item.container);
                if (item.id <= last || into == found.end()) {
                    throw ProtocolError("reading the artifacts of " + std::to_string(group.size()) +
                                        " containers: the source answered artifact " +
                                        std::to_string(item.id) +
                                        " out of id order or of a container not asked for");
                }
                last = item.id;
                into->second.push_back(std::move(item));
            }
            total += static_cast<std::int64_t>(answer.records.size());
            if (answer.records.empty() || answer.num_pages <= 1) break;
            if (total > 2 * budget) {  // the counts were far off: read one by one
                complete = false;
                break;
            }
        }
        for (auto& [id, artifacts] : found) {
            if (complete && static_cast<std::int64_t>(artifacts.size()) == group[id]) {
                out[id] = std::move(artifacts);
            }
        }
        group.clear();
        group_artifacts = 0;
    };
    for (const auto& [id, count] : expected) {
        if (count < 0 || count > budget) continue;
        if (group.size() >= kGroupContainers || group_artifacts + count > budget) read();
        group[id] = count;
        group_artifacts += count;
    }
    read();
    return out;
}

std::uint64_t SoarSource::downloadFile(const std::string& sha1, const std::string& path,
                                       std::uint64_t max_bytes) {
    return api_.downloadFile(sha1, path, max_bytes);
}

std::optional<std::string> SoarSource::userName(std::int64_t id) { return userNameOf(api_, id); }

Workbook SoarSource::workbook(std::int64_t container) {
    return readWorkbook(api_, container, page_size_);
}

std::optional<std::string> SoarSource::templateName(std::int64_t id) {
    const auto record = api_.get(collection::kWorkbookTemplate, id);
    if (!record) return std::nullopt;
    return optString(**record, "name");
}

void SoarSource::forEachTaskNote(std::int64_t task, const std::function<void(SourceItem&)>& each) {
    forEachNoteOfTask(api_, task, page_size_, [&](const Record& record) {
        auto item = itemOfRecord(RecordKind::Note, record);
        each(item);
    });
}

}  // namespace soar::sync
