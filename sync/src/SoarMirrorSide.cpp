#include "SoarRecords.h"
#include "soar/client/Errors.h"
#include "soar/sync/SoarAdapter.h"

#include <algorithm>

namespace soar::sync {

using Poco::JSON::Object;
using state::RecordKind;
using state::Stream;

SoarMirrorSide::SoarMirrorSide(SoarApi& api, std::size_t page_size)
    : api_(api), page_size_(std::max<std::size_t>(1, page_size)) {}

WalkEnd SoarMirrorSide::walkCopies(const std::string& sdi_prefix, const KeysetCursor& start,
                                   const std::function<bool(ContainerPage&)>& on_page) {
    Query query;
    query.filter("source_data_identifier", "startswith", sdi_prefix).pageSize(page_size_);
    return walkPages<SourceContainer>(api_, Stream::CopiesUpdated, query, page_size_, start,
                                      on_page, {}, containerOfRecord);
}

WalkEnd SoarMirrorSide::walkChanged(RecordKind kind, const KeysetCursor& start,
                                    const std::function<bool(ItemPage&)>& on_page) {
    Query query;
    query.pageSize(page_size_);
    const auto stream = kind == RecordKind::Comment ? Stream::CopyComments
                        : kind == RecordKind::Task  ? Stream::CopyTasks
                                                    : Stream::CopyNotes;
    return walkPages<SourceItem>(api_, stream, query, page_size_, start, on_page, {},
                                 [kind](const Record& r) { return itemOfRecord(kind, r); });
}

std::optional<std::string> SoarMirrorSide::newest(RecordKind kind, const std::string& sdi_prefix) {
    const auto path = pathOf(kind == RecordKind::Container ? Stream::CopiesUpdated
                             : kind == RecordKind::Comment ? Stream::CopyComments
                             : kind == RecordKind::Task    ? Stream::CopyTasks
                                                           : Stream::CopyNotes);
    Query query;
    if (kind == RecordKind::Container) {
        query.filter("source_data_identifier", "startswith", sdi_prefix);
    }
    query.isNull(path.field, false).sort(path.field, SortOrder::Desc).pageSize(1);
    const auto page = api_.listPage(path.collection, query, 0);
    if (page.records.empty()) return std::nullopt;
    return optString(*page.records.front(), path.field);
}

std::optional<SourceContainer> SoarMirrorSide::readContainer(std::int64_t id) {
    auto record = api_.get(collection::kContainer, id);
    if (!record) return std::nullopt;
    return containerOfRecord(*record);
}

void SoarMirrorSide::writeContainer(std::int64_t id, const Object& fields) {
    api_.updateContainer(id, fields);
}

std::int64_t SoarMirrorSide::addNote(RecordKind kind, const Object& body) {
    return (kind == RecordKind::Comment ? api_.createComment(body) : api_.createNote(body)).id;
}

void SoarMirrorSide::forEachNote(
    RecordKind kind, std::int64_t container,
    const std::function<void(std::int64_t, const std::string&)>& each) {
    forEachNoteOf(api_, kind, container, page_size_, each);
}

void SoarMirrorSide::editNote(std::int64_t id, const Object& fields) {
    api_.updateNote(id, fields);
}

void SoarMirrorSide::writeTask(std::int64_t id, const Object& fields) {
    api_.updateRecord(collection::kWorkbookTask, id, fields);
}

std::vector<StatusInfo> SoarMirrorSide::statuses() {
    std::vector<StatusInfo> out;
    Query query;
    query.sort("id").pageSize(page_size_);
    forEachPage(api_, "container_status", query, [&](const Page& page) {
        for (const auto& record : page.records) {
            const auto name = optString(*record, "name");
            if (!name) continue;
            if (record->has("disabled") && record->get("disabled").isBoolean() &&
                record->get("disabled").extract<bool>()) {
                continue;
            }
            out.push_back({*name, optString(*record, "status_type").value_or("")});
        }
        return true;
    });
    return out;
}

std::optional<std::string> SoarMirrorSide::userName(std::int64_t id) {
    return userNameOf(api_, id);
}

std::optional<std::int64_t> SoarMirrorSide::userId(const std::string& username) {
    return userIdOf(api_, username);
}

}  // namespace soar::sync
