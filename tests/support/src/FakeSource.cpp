#include "support/FakeSource.h"

#include "soar/client/Errors.h"
#include "soar/client/Timestamp.h"
#include "soar/sync/RecordMapper.h"

#include <Poco/DigestEngine.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>
#include <Poco/SHA1Engine.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <utility>

namespace soar::test {
namespace {

using Poco::JSON::Array;
using Poco::JSON::Object;
using state::RecordKind;
using state::Stream;
using sync::KeysetCursor;

std::optional<std::string> textOf(const Object& record, const std::string& key) {
    if (!record.has(key) || record.isNull(key)) return std::nullopt;
    return record.get(key).toString();
}

/// Orders SOAR times as times (so `Z` and `+00:00` agree), falling back to the text.
int compareTimes(const std::string& a, const std::string& b) {
    if (a == b) return 0;
    const auto ta = sync::Timestamp::parse(a);
    const auto tb = sync::Timestamp::parse(b);
    if (ta && tb) {
        if (*ta == *tb) return 0;
        return *ta < *tb ? -1 : 1;
    }
    return a < b ? -1 : 1;
}

/// Whether (time, id) lies strictly after a walk position.
bool isAfter(const std::string& time, std::int64_t id, const KeysetCursor& position) {
    if (position.timestamp.empty()) return true;
    const int order = compareTimes(time, position.timestamp);
    if (order != 0) return order > 0;
    return position.last_id != KeysetCursor::kWholeGroup && id > position.last_id;
}

/// The field a stream walks by.
const char* fieldOf(Stream stream) {
    switch (stream) {
        case Stream::ContainersCreated:
            return "create_time";
        case Stream::ContainersUpdated:
            return "container_update_time";
        case Stream::Artifacts:
            return "artifact_update_time";
        case Stream::Notes:
            return "modified_time";
        case Stream::Comments:
            return "time";
        case Stream::Attachments:
            return "create_time";
        case Stream::Tasks:
        case Stream::CopyNotes:
            return "modified_time";
        case Stream::CopiesUpdated:
            return "container_update_time";
        case Stream::CopyComments:
            return "time";
        case Stream::CopyTasks:
            return "modified_time";
    }
    return "";
}

bool isContainerStream(Stream stream) {
    return stream == Stream::ContainersCreated || stream == Stream::ContainersUpdated ||
           stream == Stream::Artifacts;
}

RecordKind itemKindOf(Stream stream) {
    return stream == Stream::Comments      ? RecordKind::Comment
           : stream == Stream::Attachments ? RecordKind::Attachment
           : stream == Stream::Tasks       ? RecordKind::Task
                                           : RecordKind::Note;
}

/// The field an item's `changed` is read from.
const char* changedField(RecordKind kind) {
    switch (kind) {
        case RecordKind::Note:
        case RecordKind::Task:
            return "modified_time";
        case RecordKind::Comment:
            return "time";
        case RecordKind::Attachment:
            return "create_time";
        default:
            return "update_time";
    }
}

void setOver(Object& body, const Object::Ptr& fields) {
    if (!fields) return;
    for (const auto& [key, value] : *fields) body.set(key, sync::deepCopy(value));
}

}  // namespace

std::string sourceTime(std::int64_t seconds, std::int64_t micros) {
    // 2026-01-01T00:00:00Z
    constexpr std::int64_t kBase = 1'767'225'600LL * 1'000'000LL;
    return sync::Timestamp::fromMicros(kBase + seconds * 1'000'000LL + micros).toString();
}

FakeSource::FakeSource(std::string instance, std::size_t page_size)
    : instance_(std::move(instance)), page_size_(page_size == 0 ? 1 : page_size) {}

std::int64_t FakeSource::nextId(RecordKind kind, std::int64_t wanted) {
    auto& next = next_ids_[kind];
    if (next == 0) next = 1;
    if (wanted > 0) {
        next = std::max(next, wanted + 1);
        return wanted;
    }
    return next++;
}

std::int64_t FakeSource::addContainer(const std::string& create_time, const Object::Ptr& fields,
                                      std::int64_t id) {
    std::lock_guard<std::mutex> lock(mutex_);
    id = nextId(RecordKind::Container, id);
    if (containers_.count(id) != 0) {
        throw std::invalid_argument("FakeSource: container " + std::to_string(id) + " exists");
    }
    Object::Ptr body = new Object;
    body->set("id", id);
    body->set("name", "container " + std::to_string(id));
    body->set("label", "events");
    body->set("severity", "medium");
    body->set("status", "new");
    body->set("sensitivity", "amber");
    body->set("description", "");
    body->set("tags", Array::Ptr(new Array));
    body->set("data", Object::Ptr(new Object));
    body->set("custom_fields", Object::Ptr(new Object));
    body->set("source_data_identifier", instance_ + "-" + std::to_string(id));
    body->set("owner_id", Poco::Dynamic::Var());
    body->set("create_time", create_time);
    body->set("container_update_time", Poco::Dynamic::Var());
    body->set("artifact_update_time", Poco::Dynamic::Var());
    body->set("artifact_count", 0);
    setOver(*body, fields);
    body->set("id", id);
    containers_[id] = body;
    return id;
}

void FakeSource::editContainer(std::int64_t id, const std::string& update_time,
                               const std::function<void(Object&)>& edit) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto& body = containers_.at(id);
    if (edit) edit(*body);
    body->set("id", id);
    body->set("container_update_time", update_time);
}

void FakeSource::setContainerField(std::int64_t id, const std::string& key,
                                   const Poco::Dynamic::Var& value) {
    std::lock_guard<std::mutex> lock(mutex_);
    containers_.at(id)->set(key, sync::deepCopy(value));
}

void FakeSource::removeContainer(std::int64_t id) {
    std::lock_guard<std::mutex> lock(mutex_);
    containers_.erase(id);
    for (auto it = items_.begin(); it != items_.end();) {
        it = it->second.container == id ? items_.erase(it) : std::next(it);
    }
}

std::int64_t FakeSource::addItem(RecordKind kind, std::int64_t container, Object::Ptr body,
                                 std::int64_t id) {
    if (containers_.count(container) == 0) {
        throw std::out_of_range("FakeSource: no container " + std::to_string(container));
    }
    id = nextId(kind, id);
    if (items_.count({kind, id}) != 0) {
        throw std::invalid_argument("FakeSource: " + std::string(state::toString(kind)) + " " +
                                    std::to_string(id) + " exists");
    }
    body->set("id", id);
    body->set("container", container);
    items_[{kind, id}] = Item{kind, container, body};
    return id;
}

FakeSource::Item& FakeSource::itemAt(RecordKind kind, std::int64_t id) {
    const auto found = items_.find({kind, id});
    if (found == items_.end()) {
        throw std::out_of_range("FakeSource: no " + std::string(state::toString(kind)) + " " +
                                std::to_string(id));
    }
    return found->second;
}

void FakeSource::refreshArtifactTimes(std::int64_t container) {
    auto& body = containers_.at(container);
    std::optional<std::string> newest;
    std::int64_t count = 0;
    for (const auto& [key, item] : items_) {
        if (key.first != RecordKind::Artifact || item.container != container) continue;
        ++count;
        const auto at = textOf(*item.body, "update_time");
        if (at && (!newest || compareTimes(*at, *newest) > 0)) newest = at;
    }
    if (newest) body->set("artifact_update_time", *newest);
    body->set("artifact_count", count);
}

std::int64_t FakeSource::addArtifact(std::int64_t container, const std::string& update_time,
                                     const Object::Ptr& fields, std::int64_t id) {
    std::lock_guard<std::mutex> lock(mutex_);
    Object::Ptr body = new Object;
    body->set("name", "artifact");
    body->set("label", "events");
    body->set("severity", "medium");
    body->set("type", "network");
    Object::Ptr cef = new Object;
    cef->set("sourceAddress", "10.0.0.1");
    body->set("cef", cef);
    body->set("cef_types", Object::Ptr(new Object));
    body->set("data", Object::Ptr(new Object));
    body->set("tags", Array::Ptr(new Array));
    body->set("create_time", update_time);
    body->set("update_time", update_time);
    setOver(*body, fields);
    id = addItem(RecordKind::Artifact, container, body, id);
    if (!fields || !fields->has("name")) body->set("name", "artifact " + std::to_string(id));
    refreshArtifactTimes(container);
    return id;
}

void FakeSource::editArtifact(std::int64_t id, const std::string& update_time,
                              const std::function<void(Object&)>& edit) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto& item = itemAt(RecordKind::Artifact, id);
    if (edit) edit(*item.body);
    item.body->set("id", id);
    item.body->set("container", item.container);
    item.body->set("update_time", update_time);
    refreshArtifactTimes(item.container);
}

std::int64_t FakeSource::addNote(std::int64_t container, const std::string& time,
                                 const std::string& content, const std::string& title) {
    std::lock_guard<std::mutex> lock(mutex_);
    Object::Ptr body = new Object;
    body->set("title", title);
    body->set("content", content);
    body->set("note_type", "general");
    body->set("note_format", "markdown");
    body->set("author", 1);
    body->set("author_name", "analyst");
    body->set("create_time", time);
    body->set("modified_time", time);
    return addItem(RecordKind::Note, container, body, 0);
}

void FakeSource::editNote(std::int64_t id, const std::string& time, const std::string& content) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto& item = itemAt(RecordKind::Note, id);
    item.body->set("content", content);
    item.body->set("modified_time", time);
}

std::int64_t FakeSource::addComment(std::int64_t container, const std::string& time,
                                    const std::string& text) {
    std::lock_guard<std::mutex> lock(mutex_);
    Object::Ptr body = new Object;
    body->set("comment", text);
    body->set("user", 1);
    body->set("user_name", "analyst");
    body->set("time", time);
    return addItem(RecordKind::Comment, container, body, 0);
}

std::string sha1Hex(const std::string& bytes) {
    Poco::SHA1Engine engine;
    engine.update(bytes);
    return Poco::DigestEngine::digestToHex(engine.digest());
}

std::int64_t FakeSource::addAttachment(std::int64_t container, const std::string& time,
                                       const std::string& name, const std::string& bytes) {
    std::lock_guard<std::mutex> lock(mutex_);
    const auto sha1 = sha1Hex(bytes);
    Object::Ptr body = new Object;
    body->set("name", name);
    body->set("container_id", container);
    body->set("create_time", time);
    body->set("hash", sha1);
    body->set("vault_id", sha1);
    body->set("size", static_cast<std::int64_t>(bytes.size()));
    body->set("created_via", "manual upload");
    files_[sha1] = bytes;
    return addItem(RecordKind::Attachment, container, body, 0);
}

void FakeSource::addUser(std::int64_t id, const std::string& username) {
    std::lock_guard<std::mutex> lock(mutex_);
    users_[id] = username;
}

std::optional<std::string> FakeSource::userName(std::int64_t id) {
    enter(Call::UserName, id);
    std::lock_guard<std::mutex> lock(mutex_);
    const auto found = users_.find(id);
    if (found == users_.end()) return std::nullopt;
    return found->second;
}

void FakeSource::addTemplate(std::int64_t id, const std::string& name) {
    std::lock_guard<std::mutex> lock(mutex_);
    templates_[id] = name;
}

std::int64_t FakeSource::addPhase(std::int64_t container, const std::string& name,
                                  std::optional<std::int64_t> template_id) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (containers_.count(container) == 0) {
        throw std::out_of_range("FakeSource: no container " + std::to_string(container));
    }
    std::int64_t order = 0;
    for (const auto& [id, phase] : phases_) {
        if (phase.container == container) order = std::max(order, phase.order);
    }
    const auto id = next_phase_++;
    phases_[id] = Phase{container, name, order + 1, template_id};
    return id;
}

std::int64_t FakeSource::addTask(std::int64_t phase, const std::string& time,
                                 const std::string& name, std::int64_t status,
                                 std::optional<std::int64_t> owner, bool note_required) {
    std::lock_guard<std::mutex> lock(mutex_);
    const auto& p = phases_.at(phase);
    std::int64_t order = 0;
    for (const auto& [key, item] : items_) {
        if (key.first == RecordKind::Task && item.body->getValue<std::int64_t>("phase") == phase) {
            order = std::max(order, item.body->getValue<std::int64_t>("order"));
        }
    }
    Object::Ptr body = new Object;
    body->set("name", name);
    body->set("order", order + 1);
    body->set("phase", phase);
    body->set("status", status);
    body->set("owner", owner ? Poco::Dynamic::Var(*owner) : Poco::Dynamic::Var());
    body->set("description", "do " + name);
    body->set("is_note_required", note_required);
    body->set("modified_time", time);
    return addItem(RecordKind::Task, p.container, body, 0);
}

void FakeSource::editTask(std::int64_t id, const std::string& time, std::int64_t status,
                          std::optional<std::int64_t> owner) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto& item = itemAt(RecordKind::Task, id);
    item.body->set("status", status);
    if (owner) item.body->set("owner", *owner);
    item.body->set("modified_time", time);
}

std::int64_t FakeSource::addTaskNote(std::int64_t task, const std::string& time,
                                     const std::string& content) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto& owner = itemAt(RecordKind::Task, task);
    owner.body->set("modified_time", time);
    Object::Ptr body = new Object;
    body->set("title", "task note");
    body->set("content", content);
    body->set("note_type", "task");
    body->set("note_format", "markdown");
    body->set("task", task);
    body->set("create_time", time);
    body->set("modified_time", time);
    return addItem(RecordKind::Note, owner.container, body, 0);
}

sync::Workbook FakeSource::workbook(std::int64_t container) {
    enter(Call::Workbook, container);
    std::lock_guard<std::mutex> lock(mutex_);
    sync::Workbook out;
    for (const auto& [id, phase] : phases_) {
        if (phase.container != container) continue;
        sync::WorkbookPhase p;
        p.id = id;
        p.name = phase.name;
        p.order = phase.order;
        p.template_id = phase.template_id;
        for (const auto& [key, item] : items_) {
            if (key.first != RecordKind::Task || item.body->getValue<std::int64_t>("phase") != id) {
                continue;
            }
            sync::WorkbookTask t;
            t.id = key.second;
            t.name = item.body->getValue<std::string>("name");
            t.order = item.body->getValue<std::int64_t>("order");
            t.description = item.body->getValue<std::string>("description");
            t.status = item.body->getValue<std::int64_t>("status");
            if (!item.body->isNull("owner")) t.owner = item.body->getValue<std::int64_t>("owner");
            t.note_required = item.body->getValue<bool>("is_note_required");
            t.modified_time = textOf(*item.body, "modified_time");
            p.tasks.push_back(t);
        }
        out.push_back(std::move(p));
    }
    sync::sortByOrder(out);
    return out;
}

std::optional<std::string> FakeSource::templateName(std::int64_t id) {
    enter(Call::TemplateName, id);
    std::lock_guard<std::mutex> lock(mutex_);
    const auto found = templates_.find(id);
    if (found == templates_.end()) return std::nullopt;
    return found->second;
}

void FakeSource::forEachTaskNote(std::int64_t task,
                                 const std::function<void(sync::SourceItem&)>& each) {
    enter(Call::TaskNotes, task);
    std::vector<sync::SourceItem> found;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        for (const auto& [key, item] : items_) {
            if (key.first == RecordKind::Note && item.body->has("task") &&
                !item.body->isNull("task") && item.body->getValue<std::int64_t>("task") == task) {
                found.push_back(toItem(RecordKind::Note, key.second));
            }
        }
    }
    for (auto& item : found) each(item);
}

void FakeSource::setFileBytes(const std::string& sha1, const std::string& bytes) {
    std::lock_guard<std::mutex> lock(mutex_);
    files_[sha1] = bytes;
}

std::optional<Object::Ptr> FakeSource::containerBody(std::int64_t id) const {
    std::lock_guard<std::mutex> lock(mutex_);
    const auto found = containers_.find(id);
    if (found == containers_.end()) return std::nullopt;
    return sync::deepCopy(*found->second);
}

std::size_t FakeSource::containerCount() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return containers_.size();
}

void FakeSource::setFilter(std::function<bool(const Object&)> filter) {
    std::lock_guard<std::mutex> lock(mutex_);
    filter_ = std::move(filter);
}

void FakeSource::setPageSize(std::size_t page_size) {
    std::lock_guard<std::mutex> lock(mutex_);
    page_size_ = page_size == 0 ? 1 : page_size;
}

void FakeSource::setRecordBytes(std::size_t bytes) {
    std::lock_guard<std::mutex> lock(mutex_);
    record_bytes_ = bytes;
}

std::size_t FakeSource::pageSize() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return page_size_;
}

std::int64_t FakeSource::calls(Call call) const {
    std::lock_guard<std::mutex> lock(mutex_);
    const auto found = calls_.find(call);
    return found == calls_.end() ? 0 : found->second;
}

std::int64_t FakeSource::walks(Stream stream) const {
    std::lock_guard<std::mutex> lock(mutex_);
    const auto found = walks_.find(stream);
    return found == walks_.end() ? 0 : found->second;
}

std::int64_t FakeSource::totalCalls() const {
    std::lock_guard<std::mutex> lock(mutex_);
    std::int64_t total = 0;
    for (const auto& [call, n] : calls_) {
        if (call != Call::WalkPage) total += n;
    }
    return total;
}

void FakeSource::resetCounts() {
    std::lock_guard<std::mutex> lock(mutex_);
    calls_.clear();
    walks_.clear();
}

void FakeSource::failNext(Call call, std::exception_ptr error) {
    std::lock_guard<std::mutex> lock(mutex_);
    failures_[call].push_back(std::move(error));
}

void FakeSource::setHook(std::function<void(Call, std::int64_t)> hook) {
    std::lock_guard<std::mutex> lock(mutex_);
    hook_ = std::move(hook);
}

void FakeSource::enter(Call call, std::int64_t id) {
    std::function<void(Call, std::int64_t)> hook;
    std::exception_ptr failure;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        ++calls_[call];
        hook = hook_;
        auto& queued = failures_[call];
        if (!queued.empty()) {
            failure = queued.front();
            queued.pop_front();
        }
    }
    if (hook) hook(call, id);
    if (failure) std::rethrow_exception(failure);
}

std::vector<FakeSource::Hit> FakeSource::hitsAfter(Stream stream, const KeysetCursor& after) const {
    std::vector<Hit> hits;
    const std::string field = fieldOf(stream);
    const auto consider = [&](const Object& body, std::int64_t id) {
        const auto time = textOf(body, field);
        if (time && isAfter(*time, id, after)) hits.push_back({*time, id});
    };
    if (isContainerStream(stream)) {
        for (const auto& [id, body] : containers_) {
            if (!filter_ || filter_(*body)) consider(*body, id);
        }
    } else {
        const auto kind = itemKindOf(stream);
        for (const auto& [key, item] : items_) {
            if (key.first == kind) consider(*item.body, key.second);
        }
    }
    std::sort(hits.begin(), hits.end(), [](const Hit& a, const Hit& b) {
        const int order = compareTimes(a.time, b.time);
        return order != 0 ? order < 0 : a.id < b.id;
    });
    return hits;
}

sync::SourceContainer FakeSource::toContainer(std::int64_t id) const {
    const auto& body = *containers_.at(id);
    sync::SourceContainer out;
    out.id = id;
    out.create_time = textOf(body, "create_time");
    out.update_time = textOf(body, "container_update_time");
    out.artifact_update_time = textOf(body, "artifact_update_time");
    if (body.has("artifact_count") && !body.isNull("artifact_count")) {
        out.artifact_count = body.getValue<std::int64_t>("artifact_count");
    }
    out.body = sync::deepCopy(body);
    if (const auto it = unreadable_.find(id); it != unreadable_.end()) {
        out.unreadable = it->second;
        out.artifact_count.reset();
        out.body = new Poco::JSON::Object;
        out.body->set("id", id);
    }
    return out;
}

void FakeSource::makeUnreadable(std::int64_t id, const std::string& reason) {
    std::lock_guard<std::mutex> lock(mutex_);
    unreadable_[id] = reason;
}

sync::SourceItem FakeSource::toItem(RecordKind kind, std::int64_t id) const {
    const auto& item = items_.at({kind, id});
    sync::SourceItem out;
    out.kind = kind;
    out.id = id;
    out.container = item.container;
    out.changed = textOf(*item.body, changedField(kind));
    out.body = sync::deepCopy(*item.body);
    return out;
}

template <class Entry, class Make>
sync::WalkEnd FakeSource::walk(
    Stream stream, const KeysetCursor& start,
    const std::function<bool(std::vector<sync::StreamEntry<Entry>>&)>& on_page,
    const sync::CountCallback& on_count, const Make& make) {
    sync::WalkEnd end{start, false};
    KeysetCursor position = start;
    std::optional<std::string> last_time;
    for (bool first = true;; first = false) {
        enter(Call::WalkPage, static_cast<std::int64_t>(stream));
        std::vector<sync::StreamEntry<Entry>> page;
        std::size_t found = 0;
        {
            std::lock_guard<std::mutex> lock(mutex_);
            const auto hits = hitsAfter(stream, position);
            found = hits.size();
            for (std::size_t i = 0; i < hits.size() && i < page_size_; ++i) {
                page.push_back(
                    {make(hits[i].id), KeysetCursor{hits[i].time, hits[i].id}, record_bytes_});
            }
        }
        if (first && on_count) on_count(static_cast<std::int64_t>(found));
        if (page.empty()) break;
        position = page.back().position;
        last_time = position.timestamp;
        const bool more = found > page.size();
        if (!on_page(page)) {
            end.end = position;
            end.stopped = true;
            return end;
        }
        if (!more) break;
    }
    if (last_time) {
        end.end = KeysetCursor::after(*last_time);
    } else if (!start.timestamp.empty() && start.last_id != KeysetCursor::kWholeGroup) {
        end.end = KeysetCursor::after(start.timestamp);  // the group resumed in is done
    }
    return end;
}

sync::WalkEnd FakeSource::walkContainers(Stream stream, const KeysetCursor& start,
                                         const std::function<bool(sync::ContainerPage&)>& on_page,
                                         const sync::CountCallback& on_count) {
    if (!isContainerStream(stream)) {
        throw std::invalid_argument("FakeSource: walkContainers of an item stream");
    }
    {
        std::lock_guard<std::mutex> lock(mutex_);
        ++walks_[stream];
    }
    enter(Call::WalkContainers, static_cast<std::int64_t>(stream));
    return walk<sync::SourceContainer>(stream, start, on_page, on_count,
                                       [this](std::int64_t id) { return toContainer(id); });
}

sync::WalkEnd FakeSource::walkItems(Stream stream, const KeysetCursor& start,
                                    const std::function<bool(sync::ItemPage&)>& on_page,
                                    const sync::CountCallback& on_count) {
    if (isContainerStream(stream)) {
        throw std::invalid_argument("FakeSource: walkItems of a container stream");
    }
    {
        std::lock_guard<std::mutex> lock(mutex_);
        ++walks_[stream];
    }
    enter(Call::WalkItems, static_cast<std::int64_t>(stream));
    const auto kind = itemKindOf(stream);
    return walk<sync::SourceItem>(stream, start, on_page, on_count,
                                  [this, kind](std::int64_t id) { return toItem(kind, id); });
}

std::optional<std::string> FakeSource::newest(Stream stream) {
    enter(Call::Newest, static_cast<std::int64_t>(stream));
    std::lock_guard<std::mutex> lock(mutex_);
    const auto hits = hitsAfter(stream, KeysetCursor{});
    if (hits.empty()) return std::nullopt;
    return hits.back().time;
}

std::optional<sync::SourceContainer> FakeSource::container(std::int64_t id) {
    enter(Call::Container, id);
    std::lock_guard<std::mutex> lock(mutex_);
    if (containers_.count(id) == 0) return std::nullopt;
    return toContainer(id);
}

std::set<std::int64_t> FakeSource::existing(const std::vector<std::int64_t>& ids) {
    enter(Call::Existing, 0);
    std::lock_guard<std::mutex> lock(mutex_);
    std::set<std::int64_t> out;
    for (const auto id : ids) {
        if (containers_.count(id) != 0) out.insert(id);
    }
    return out;
}

std::optional<std::int64_t> FakeSource::containerOf(RecordKind kind, std::int64_t id) {
    enter(Call::ContainerOf, id);
    std::lock_guard<std::mutex> lock(mutex_);
    if (kind == RecordKind::Container) {
        return containers_.count(id) != 0 ? std::optional<std::int64_t>(id) : std::nullopt;
    }
    const auto found = items_.find({kind, id});
    if (found == items_.end()) return std::nullopt;
    return found->second.container;
}

void FakeSource::forEachItem(RecordKind kind, std::int64_t container,
                             const std::function<void(sync::SourceItem&)>& each) {
    enter(Call::ForEachItem, container);
    std::vector<sync::SourceItem> found;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        for (const auto& [key, item] : items_) {
            // A task's notes are not among its container's (SOAR's container/<id>/notes).
            const bool task_note = item.body->has("task") && !item.body->isNull("task");
            if (key.first == kind && item.container == container && !task_note) {
                found.push_back(toItem(kind, key.second));
            }
        }
    }
    for (auto& item : found) each(item);
}

std::uint64_t FakeSource::downloadFile(const std::string& sha1, const std::string& path,
                                       std::uint64_t max_bytes) {
    enter(Call::DownloadFile, 0);
    std::string bytes;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        const auto found = files_.find(sha1);
        if (found == files_.end()) {
            throw sync::RecordError("src: no vault file " + sha1, 404, "Invalid vault_id");
        }
        bytes = found->second;
    }
    if (bytes.size() > max_bytes) {
        const std::string limit = "larger than " + std::to_string(max_bytes) + " bytes";
        throw sync::RecordError("src: the file " + sha1 + " is " + limit, 413, limit);
    }
    {
        std::ofstream out(path, std::ios::binary | std::ios::trunc);
        out << bytes;
        if (!out) throw sync::ProtocolError("src: cannot write " + path);
    }
    if (sha1Hex(bytes) != sha1) {
        std::remove(path.c_str());
        throw sync::ProtocolError("src: the file " + sha1 + " arrived with SHA-1 " +
                                  sha1Hex(bytes) + ": not the file asked for");
    }
    return bytes.size();
}

std::map<std::int64_t, std::vector<sync::SourceItem>> FakeSource::artifactsOf(
    const std::map<std::int64_t, std::int64_t>& expected) {
    enter(Call::ArtifactsOf, 0);
    std::map<std::int64_t, std::vector<sync::SourceItem>> out;
    std::lock_guard<std::mutex> lock(mutex_);
    for (const auto& [container, count] : expected) {
        if (containers_.count(container) == 0) continue;
        std::vector<sync::SourceItem> artifacts;
        for (const auto& [key, item] : items_) {
            if (key.first == RecordKind::Artifact && item.container == container) {
                artifacts.push_back(toItem(RecordKind::Artifact, key.second));
            }
        }
        if (static_cast<std::int64_t>(artifacts.size()) == count) {
            out.emplace(container, std::move(artifacts));
        }
    }
    return out;
}

}  // namespace soar::test

namespace soar::test {

using state::RecordKind;

std::int64_t FakeSource::writes() const {
    std::lock_guard<std::mutex> lock(mutex_);
    std::int64_t n = 0;
    for (const auto call : {Call::WriteContainer, Call::AddNote, Call::EditNote, Call::WriteTask}) {
        const auto found = calls_.find(call);
        if (found != calls_.end()) n += found->second;
    }
    return n;
}

void FakeSource::setStatuses(std::vector<sync::StatusInfo> statuses) {
    std::lock_guard<std::mutex> lock(mutex_);
    statuses_ = std::move(statuses);
}

std::string FakeSource::stamp() const {
    std::optional<sync::Timestamp> newest;
    const auto consider = [&](const Poco::JSON::Object& body, const char* key) {
        if (!body.has(key) || body.isNull(key)) return;
        const auto at = sync::Timestamp::parse(body.get(key).toString());
        if (at && (!newest || *newest < *at)) newest = at;
    };
    for (const auto& [id, body] : containers_) {
        for (const char* key : {"create_time", "container_update_time", "artifact_update_time"}) {
            consider(*body, key);
        }
    }
    for (const auto& [key, item] : items_) {
        for (const char* field : {"update_time", "modified_time", "time", "create_time"}) {
            consider(*item.body, field);
        }
    }
    return newest ? newest->plusMicros(1).toString() : sourceTime(0);
}

sync::WalkEnd FakeSource::walkCopies(const std::string& sdi_prefix, const sync::KeysetCursor& start,
                                     const std::function<bool(sync::ContainerPage&)>& on_page) {
    sync::ContainerPage page;
    sync::KeysetCursor end = start;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        std::vector<std::pair<sync::Timestamp, std::int64_t>> hits;
        const auto from = sync::Timestamp::parse(start.timestamp);
        for (const auto& [id, body] : containers_) {
            if (body->optValue<std::string>("source_data_identifier", "").rfind(sdi_prefix, 0) !=
                0) {
                continue;
            }
            const auto at =
                sync::Timestamp::parse(body->optValue<std::string>("container_update_time", ""));
            if (!at) continue;
            if (from && (*at < *from || (*at == *from && id <= start.last_id))) continue;
            hits.emplace_back(*at, id);
        }
        std::sort(hits.begin(), hits.end());
        for (const auto& [at, id] : hits) {
            auto c = toContainer(id);
            const auto time = *c.update_time;
            page.push_back({std::move(c), {time, id}, 0});
            end = sync::KeysetCursor::after(time);
        }
    }
    if (page.empty()) return {start, false};
    if (!on_page(page)) return {page.back().position, true};
    return {end, false};
}

sync::WalkEnd FakeSource::walkChanged(RecordKind kind, const sync::KeysetCursor& start,
                                      const std::function<bool(sync::ItemPage&)>& on_page) {
    return walkItems(kind == RecordKind::Comment ? state::Stream::Comments
                     : kind == RecordKind::Task  ? state::Stream::Tasks
                                                 : state::Stream::Notes,
                     start, on_page, {});
}

std::optional<std::string> FakeSource::newest(RecordKind kind, const std::string& sdi_prefix) {
    std::lock_guard<std::mutex> lock(mutex_);
    std::optional<sync::Timestamp> best;
    std::string out;
    const auto consider = [&](const std::string& time) {
        const auto at = sync::Timestamp::parse(time);
        if (at && (!best || *best < *at)) {
            best = at;
            out = time;
        }
    };
    if (kind == RecordKind::Container) {
        for (const auto& [id, body] : containers_) {
            if (body->optValue<std::string>("source_data_identifier", "").rfind(sdi_prefix, 0) ==
                0) {
                consider(body->optValue<std::string>("container_update_time", ""));
            }
        }
    } else {
        for (const auto& [key, item] : items_) {
            if (key.first != kind) continue;
            consider(item.body->optValue<std::string>(
                kind == RecordKind::Comment ? "time" : "modified_time", ""));
        }
    }
    if (!best) return std::nullopt;
    return out;
}

std::optional<sync::SourceContainer> FakeSource::readContainer(std::int64_t id) {
    return container(id);
}

void FakeSource::writeContainer(std::int64_t id, const Poco::JSON::Object& fields) {
    enter(Call::WriteContainer, id);
    std::lock_guard<std::mutex> lock(mutex_);
    const auto found = containers_.find(id);
    if (found == containers_.end()) {
        throw sync::RecordError(
            "[instance." + instance_ + "] container " + std::to_string(id) + " not found", 404,
            "container not found");
    }
    const auto time = stamp();
    for (const auto& [key, value] : fields) {
        found->second->set(key == "owner_id" ? std::string("owner") : key, sync::deepCopy(value));
    }
    found->second->set("container_update_time", time);
}

std::int64_t FakeSource::addNote(RecordKind kind, const Poco::JSON::Object& body) {
    enter(Call::AddNote, 0);
    std::lock_guard<std::mutex> lock(mutex_);
    const auto container = sync::parseId(body.get("container_id")).value_or(0);
    if (containers_.count(container) == 0) {
        throw sync::RecordError("[instance." + instance_ + "] container " +
                                    std::to_string(container) + " does not exist",
                                400, "container does not exist");
    }
    const auto time = stamp();
    auto copy = sync::deepCopy(body);
    copy->remove("container_id");
    if (copy->has("task_id")) {  // a task's note, as SOAR files it
        copy->set("task", copy->get("task_id"));
        copy->remove("task_id");
    }
    if (kind == RecordKind::Comment) {
        copy->set("time", time);
    } else {
        copy->set("create_time", time);
        copy->set("modified_time", time);
    }
    return addItem(kind, container, copy, 0);
}

void FakeSource::forEachNote(RecordKind kind, std::int64_t container,
                             const std::function<void(std::int64_t, const std::string&)>& each) {
    enter(Call::ForEachNote, container);
    std::vector<std::pair<std::int64_t, std::string>> found;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        for (const auto& [key, item] : items_) {
            if (key.first != kind || item.container != container) continue;
            found.emplace_back(key.second,
                               item.body->optValue<std::string>(
                                   kind == RecordKind::Comment ? "comment" : "content", ""));
        }
    }
    for (const auto& [id, text] : found) each(id, text);
}

void FakeSource::editNote(std::int64_t id, const Poco::JSON::Object& fields) {
    enter(Call::EditNote, id);
    std::lock_guard<std::mutex> lock(mutex_);
    const auto time = stamp();
    auto& item = itemAt(RecordKind::Note, id);
    for (const auto& [key, value] : fields) item.body->set(key, sync::deepCopy(value));
    item.body->set("modified_time", time);
}

void FakeSource::writeTask(std::int64_t id, const Poco::JSON::Object& fields) {
    enter(Call::WriteTask, id);
    std::lock_guard<std::mutex> lock(mutex_);
    const auto time = stamp();
    auto& item = itemAt(RecordKind::Task, id);
    if (fields.has("status")) item.body->set("status", fields.get("status"));
    if (fields.has("owner_id")) {
        // Null unassigns it; a user the source lacks is refused, as SOAR does.
        const auto owner = sync::parseId(fields.get("owner_id"));
        if (owner && users_.count(*owner) == 0) {
            throw sync::RecordError("[instance." + instance_ + "] task " + std::to_string(id) +
                                        " refused: Invalid owner_id (HTTP 400)",
                                    400, "Invalid owner_id");
        }
        if (owner) {
            item.body->set("owner", *owner);
        } else {
            item.body->remove("owner");
        }
    }
    if (fields.has("note") && !fields.get("note").toString().empty()) {
        Object::Ptr body = new Object;
        body->set("title", "task note");
        body->set("content", fields.get("note").toString());
        body->set("task", id);
        body->set("create_time", time);
        body->set("modified_time", time);
        (void)addItem(RecordKind::Note, item.container, body, 0);
    }
    item.body->set("modified_time", time);
}

void FakeSource::setList(const std::string& name, const std::string& rows_json) {
    std::lock_guard<std::mutex> lock(mutex_);
    lists_[name] = rows_json;
}

void FakeSource::removeList(const std::string& name) {
    std::lock_guard<std::mutex> lock(mutex_);
    lists_.erase(name);
}

std::optional<Poco::JSON::Array::Ptr> FakeSource::readList(const std::string& name) {
    enter(Call::ReadList, 0);
    std::lock_guard<std::mutex> lock(mutex_);
    const auto found = lists_.find(name);
    if (found == lists_.end()) return std::nullopt;
    return Poco::JSON::Parser().parse(found->second).extract<Poco::JSON::Array::Ptr>();
}

std::vector<sync::StatusInfo> FakeSource::statuses() {
    enter(Call::Statuses, 0);
    std::lock_guard<std::mutex> lock(mutex_);
    return statuses_;
}

std::optional<std::int64_t> FakeSource::userId(const std::string& username) {
    enter(Call::UserId, 0);
    std::lock_guard<std::mutex> lock(mutex_);
    for (const auto& [id, name] : users_) {
        if (name == username) return id;
    }
    return std::nullopt;
}

}  // namespace soar::test
