#include "support/FakeTarget.h"

#include "soar/client/Errors.h"
#include "soar/client/JsonText.h"
#include "soar/client/JsonTree.h"
#include "soar/client/Timestamp.h"
#include "soar/sync/RecordMapper.h"
#include "support/FakeSource.h"

#include <Poco/JSON/Array.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace soar::test {
namespace {

using Poco::JSON::Array;
using Poco::JSON::Object;
using state::RecordKind;

/// An item of a body as the target reads it off the wire: an object, or the object a
/// JsonFragment's text is; null for anything else.
Object::Ptr wireObject(const Poco::Dynamic::Var& item) {
    if (item.type() == typeid(Object::Ptr)) return item.extract<Object::Ptr>();
    if (item.type() == typeid(sync::JsonFragment)) {
        return sync::parseJson(item.extract<sync::JsonFragment>().text).extract<Object::Ptr>();
    }
    return nullptr;
}

std::string textOf(const Object& body, const std::string& key) {
    if (!body.has(key) || body.isNull(key)) return {};
    return body.get(key).toString();
}

bool isWrite(FakeTarget::Call call) {
    switch (call) {
        case FakeTarget::Call::CreateContainer:
        case FakeTarget::Call::UpdateContainer:
        case FakeTarget::Call::CreateArtifacts:
        case FakeTarget::Call::CreateArtifact:
        case FakeTarget::Call::UpdateArtifact:
        case FakeTarget::Call::CreateNote:
        case FakeTarget::Call::CreateComment:
        case FakeTarget::Call::UpdateNote:
        case FakeTarget::Call::RunPlaybook:
        case FakeTarget::Call::CancelPlaybookRun:
        case FakeTarget::Call::AttachFile:
        case FakeTarget::Call::CreatePhase:
        case FakeTarget::Call::CreateTask:
        case FakeTarget::Call::UpdateTask:
        case FakeTarget::Call::WriteList:
        case FakeTarget::Call::DeleteContainer:
            return true;
        default:
            return false;
    }
}

void mergeInto(Object& stored, const Object& fields) {
    for (const auto& [key, value] : fields) stored.set(key, sync::deepCopy(value));
}

bool isNumber(const std::string& text) {
    return !text.empty() && std::all_of(text.begin(), text.end(),
                                        [](unsigned char c) { return std::isdigit(c) != 0; });
}

}  // namespace

FakeTarget::FakeTarget(std::string instance, std::shared_ptr<sync::Clock> clock)
    : instance_(std::move(instance)), clock_(std::move(clock)) {}

// --- contents ---------------------------------------------------------------------------

std::int64_t FakeTarget::seedContainer(const Object& body) {
    std::lock_guard<std::mutex> lock(mutex_);
    const auto id = next_container_++;
    auto copy = sync::deepCopy(body);
    copy->set("id", id);
    containers_[id] = copy;
    const auto sdi = textOf(body, "source_data_identifier");
    if (!sdi.empty()) by_sdi_.emplace(sdi, id);
    return id;
}

std::size_t FakeTarget::containerCount() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return containers_.size();
}

std::vector<std::int64_t> FakeTarget::containerIds() const {
    std::lock_guard<std::mutex> lock(mutex_);
    std::vector<std::int64_t> ids;
    for (const auto& entry : containers_) ids.push_back(entry.first);
    return ids;
}

std::optional<std::int64_t> FakeTarget::containerBySdi(const std::string& sdi) const {
    std::lock_guard<std::mutex> lock(mutex_);
    const auto found = by_sdi_.find(sdi);
    if (found == by_sdi_.end()) return std::nullopt;
    return found->second;
}

std::optional<Object::Ptr> FakeTarget::container(std::int64_t id) const {
    std::lock_guard<std::mutex> lock(mutex_);
    const auto found = containers_.find(id);
    if (found == containers_.end()) return std::nullopt;
    return sync::deepCopy(*found->second);
}

std::size_t FakeTarget::artifactCount() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return artifacts_.size();
}

std::vector<Object::Ptr> FakeTarget::artifactsIn(std::int64_t container) const {
    std::lock_guard<std::mutex> lock(mutex_);
    std::vector<Object::Ptr> out;
    for (const auto& [id, artifact] : artifacts_) {
        if (artifact.container == container) out.push_back(sync::deepCopy(*artifact.body));
    }
    return out;
}

std::size_t FakeTarget::noteCount(RecordKind kind) const {
    std::lock_guard<std::mutex> lock(mutex_);
    return static_cast<std::size_t>(
        std::count_if(notes_.begin(), notes_.end(),
                      [kind](const auto& entry) { return entry.second.kind == kind; }));
}

std::vector<std::string> FakeTarget::notesIn(RecordKind kind, std::int64_t container) const {
    std::lock_guard<std::mutex> lock(mutex_);
    std::vector<std::string> out;
    for (const auto& [id, note] : notes_) {
        if (note.kind == kind && note.container == container && note.task == 0) {
            out.push_back(textOf(*note.body, kind == RecordKind::Comment ? "comment" : "content"));
        }
    }
    return out;
}

std::vector<FakeTarget::File> FakeTarget::filesIn(std::int64_t container) const {
    std::lock_guard<std::mutex> lock(mutex_);
    std::vector<File> out;
    for (const auto& [id, file] : files_) {
        if (file.container == container) out.push_back(file);
    }
    return out;
}

std::int64_t FakeTarget::addUser(const std::string& username) {
    std::lock_guard<std::mutex> lock(mutex_);
    const auto found = users_.find(username);
    if (found != users_.end()) return found->second;
    const auto id = next_user_++;
    users_[username] = id;
    return id;
}

std::size_t FakeTarget::fileCount() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return files_.size();
}

// --- refusals and failures --------------------------------------------------------------

void FakeTarget::refuseLabel(const std::string& label, const std::string& message) {
    std::lock_guard<std::mutex> lock(mutex_);
    refused_labels_[label] = message;
}

void FakeTarget::acceptLabel(const std::string& label) {
    std::lock_guard<std::mutex> lock(mutex_);
    refused_labels_.erase(label);
}

void FakeTarget::refuseIf(std::function<std::optional<std::string>(Call, const Object&)> refuse) {
    std::lock_guard<std::mutex> lock(mutex_);
    refuse_if_ = std::move(refuse);
}

void FakeTarget::failWritesOf(const std::string& container_sdi, int status) {
    std::lock_guard<std::mutex> lock(mutex_);
    failing_[container_sdi] = status;
}

void FakeTarget::stopFailingWritesOf(const std::string& container_sdi) {
    std::lock_guard<std::mutex> lock(mutex_);
    failing_.erase(container_sdi);
}

void FakeTarget::refuseCredentials(bool refuse) {
    std::lock_guard<std::mutex> lock(mutex_);
    refuse_credentials_ = refuse;
}

void FakeTarget::failNext(Call call, std::exception_ptr error) {
    std::lock_guard<std::mutex> lock(mutex_);
    failures_[call].push_back(std::move(error));
}

// --- the gate ---------------------------------------------------------------------------

void FakeTarget::gate(const std::string& container_sdi) {
    std::lock_guard<std::mutex> lock(mutex_);
    gates_.insert(container_sdi);
}

void FakeTarget::release(const std::string& container_sdi) {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        gates_.erase(container_sdi);
    }
    gate_changed_.notify_all();
}

bool FakeTarget::waitUntilBlocked(const std::string& container_sdi,
                                  std::chrono::milliseconds deadline) {
    std::unique_lock<std::mutex> lock(mutex_);
    return gate_changed_.wait_for(lock, deadline,
                                  [&] { return blocked_.count(container_sdi) != 0; });
}

// --- playbooks ----------------------------------------------------------------------------

std::int64_t FakeTarget::addPlaybook(const std::string& repo_name, bool active, std::int64_t id) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (id == 0) id = next_playbook_;
    next_playbook_ = std::max(next_playbook_, id + 1);
    sync::PlaybookInfo info;
    info.id = id;
    info.name = repo_name;
    info.scm_id = 1;
    info.active = active;
    playbooks_[id] = info;
    return id;
}

void FakeTarget::failNextRunAfterRecording(std::exception_ptr error) {
    std::lock_guard<std::mutex> lock(mutex_);
    fail_after_run_.push_back(std::move(error));
}

void FakeTarget::setRunStatus(std::int64_t run_id, const std::string& status,
                              const std::string& message) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto& run = runs_.at(run_id);
    run.status = status;
    run.message = message;
}

std::vector<FakeTarget::Run> FakeTarget::runs() const {
    std::lock_guard<std::mutex> lock(mutex_);
    std::vector<Run> out;
    for (const auto& entry : runs_) out.push_back(entry.second);
    return out;
}

std::vector<std::int64_t> FakeTarget::cancels() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return cancels_;
}

// --- counters ---------------------------------------------------------------------------

std::int64_t FakeTarget::calls(Call call) const {
    std::lock_guard<std::mutex> lock(mutex_);
    const auto found = calls_.find(call);
    return found == calls_.end() ? 0 : found->second;
}

std::int64_t FakeTarget::writes() const {
    std::lock_guard<std::mutex> lock(mutex_);
    std::int64_t total = 0;
    for (const auto& [call, n] : calls_) {
        if (isWrite(call)) total += n;
    }
    return total;
}

void FakeTarget::resetCounts() {
    std::lock_guard<std::mutex> lock(mutex_);
    calls_.clear();
}

// --- helpers ----------------------------------------------------------------------------

void FakeTarget::enter(Call call, std::unique_lock<std::mutex>& lock) {
    lock = std::unique_lock<std::mutex>(mutex_);
    ++calls_[call];
    if (refuse_credentials_) {
        throw sync::AuthError("[instance." + instance_ +
                                  "] the target refused the credentials (HTTP 401); check "
                                  "token_env or token_file",
                              401);
    }
    auto& queued = failures_[call];
    if (!queued.empty()) {
        const auto failure = queued.front();
        queued.pop_front();
        std::rethrow_exception(failure);
    }
}

void FakeTarget::writeInto(std::unique_lock<std::mutex>& lock, std::int64_t container,
                           std::string sdi) {
    if (sdi.empty() && container != 0) {
        const auto found = containers_.find(container);
        if (found != containers_.end()) sdi = textOf(*found->second, "source_data_identifier");
    }
    if (sdi.empty()) return;
    if (gates_.count(sdi) != 0) {
        const auto waiting = blocked_.insert(sdi);
        gate_changed_.notify_all();
        gate_changed_.wait(lock, [&] { return gates_.count(sdi) == 0; });
        blocked_.erase(waiting);
    }
    const auto failing = failing_.find(sdi);
    if (failing != failing_.end()) {
        throw sync::TransientError("[instance." + instance_ +
                                       "] the target answered an internal server error to a "
                                       "write into container " +
                                       sdi,
                                   failing->second);
    }
}

std::optional<std::string> FakeTarget::refusal(Call call, const Object& body) const {
    if (call == Call::CreateContainer || call == Call::UpdateContainer) {
        const auto label = textOf(body, "label");
        const auto refused = refused_labels_.find(label);
        if (!label.empty() && refused != refused_labels_.end()) return refused->second;
        if (body.has("owner_id")) {
            const auto owner = sync::parseId(body.get("owner_id"));
            bool known = false;
            for (const auto& [name, id] : users_) known = known || (owner && id == *owner);
            if (!known) return "Invalid owner_id: " + body.get("owner_id").toString();
        }
    }
    if (refuse_if_) return refuse_if_(call, body);
    return std::nullopt;
}

void FakeTarget::refuse(const std::string& what, const std::string& message) const {
    throw sync::RecordError(
        "[instance." + instance_ + "] " + what + " was refused (HTTP 400): " + message, 400,
        message);
}

std::int64_t FakeTarget::containerIdOf(const Object& body) const {
    if (!body.has("container_id")) return 0;
    return sync::parseId(body.get("container_id")).value_or(0);
}

std::int64_t FakeTarget::storeArtifact(std::int64_t container, const Object& body) {
    const auto id = next_artifact_++;
    auto copy = sync::deepCopy(body);
    copy->set("id", id);
    copy->set("container", container);
    artifacts_[id] = Artifact{container, copy};
    return id;
}

sync::CreateResult FakeTarget::storeNote(RecordKind kind, Call call, const Object& body) {
    std::unique_lock<std::mutex> lock;
    enter(call, lock);
    std::int64_t task = 0;
    if (body.has("task_id")) {
        task = sync::parseId(body.get("task_id")).value_or(0);
        if (tasks_.count(task) == 0) refuse("a note", "Invalid task_id: " + std::to_string(task));
    }
    const auto container = containerIdOf(body);
    const char* what = kind == RecordKind::Comment ? "a comment" : "a note";
    if (containers_.count(container) == 0) {
        refuse(what, "container " + std::to_string(container) + " does not exist");
    }
    writeInto(lock, container);
    if (const auto message = refusal(call, body)) refuse(what, *message);
    const auto id = kind == RecordKind::Comment ? next_comment_++ : next_note_++;
    auto copy = sync::deepCopy(body);
    copy->set("id", id);
    copy->set("container", container);
    notes_[id] = Note{kind, container, copy, task};
    note_times_[id] = stamp();
    return {id, false};
}

std::string FakeTarget::stamp() {
    const auto at = sync::Timestamp::parse(latest_);
    latest_ = at ? at->plusMicros(1).toString() : sourceTime(0);
    return latest_;
}

void FakeTarget::saw(const std::string& time) {
    const auto at = sync::Timestamp::parse(time);
    const auto newest = sync::Timestamp::parse(latest_);
    if (at && (!newest || *newest < *at)) latest_ = time;
}

std::vector<std::pair<std::string, std::int64_t>> FakeTarget::after(
    const std::map<std::int64_t, std::string>& times, const sync::KeysetCursor& start) const {
    std::vector<std::pair<sync::Timestamp, std::int64_t>> hits;
    const auto from = sync::Timestamp::parse(start.timestamp);
    for (const auto& [id, time] : times) {
        const auto at = sync::Timestamp::parse(time);
        if (!at) continue;
        if (from &&
            (*at < *from || (*at == *from && (start.last_id == sync::KeysetCursor::kWholeGroup ||
                                              id <= start.last_id)))) {
            continue;
        }
        hits.emplace_back(*at, id);
    }
    std::sort(hits.begin(), hits.end());
    std::vector<std::pair<std::string, std::int64_t>> out;
    for (const auto& [at, id] : hits) out.emplace_back(times.at(id), id);
    return out;
}

// --- analysts ---------------------------------------------------------------------------

void FakeTarget::editAsAnalyst(std::int64_t id, const std::string& time,
                               const std::function<void(Object&)>& edit) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto& body = *containers_.at(id);
    edit(body);
    container_times_[id] = time;
    saw(time);
}

std::int64_t FakeTarget::addNoteAsAnalyst(RecordKind kind, std::int64_t container,
                                          const std::string& time, const std::string& text) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (containers_.count(container) == 0) throw std::out_of_range("no such container");
    const bool comment = kind == RecordKind::Comment;
    const auto id = comment ? next_comment_++ : next_note_++;
    Object::Ptr body = new Object;
    body->set("id", id);
    body->set("container", container);
    if (comment) {
        body->set("comment", text);
        body->set("time", time);
    } else {
        body->set("title", "analyst note");
        body->set("content", text);
        body->set("note_type", "general");
        body->set("modified_time", time);
    }
    notes_[id] = Note{kind, container, body, 0};
    note_times_[id] = time;
    saw(time);
    return id;
}

void FakeTarget::editNoteAsAnalyst(std::int64_t id, const std::string& time,
                                   const std::string& text) {
    std::lock_guard<std::mutex> lock(mutex_);
    notes_.at(id).body->set("content", text);
    note_times_[id] = time;
    saw(time);
}

std::optional<std::string> FakeTarget::updateTimeOf(std::int64_t id) const {
    std::lock_guard<std::mutex> lock(mutex_);
    const auto found = container_times_.find(id);
    if (found == container_times_.end()) return std::nullopt;
    return found->second;
}

void FakeTarget::setStatuses(std::vector<sync::StatusInfo> statuses) {
    std::lock_guard<std::mutex> lock(mutex_);
    statuses_ = std::move(statuses);
}

void FakeTarget::setRunReport(std::int64_t run_id, sync::RunReport report) {
    std::lock_guard<std::mutex> lock(mutex_);
    run_reports_[run_id] = std::move(report);
}

sync::RunReport FakeTarget::runReport(std::int64_t run_id) {
    std::unique_lock<std::mutex> lock;
    enter(Call::RunReport, lock);
    const auto found = run_reports_.find(run_id);
    if (found != run_reports_.end()) return found->second;
    sync::RunReport report;
    const auto run = runs_.find(run_id);
    if (run != runs_.end()) report.start_time = run->second.start_time;
    return report;
}

// --- sync::MirrorSide -------------------------------------------------------------------

sync::WalkEnd FakeTarget::walkCopies(const std::string& sdi_prefix, const sync::KeysetCursor& start,
                                     const std::function<bool(sync::ContainerPage&)>& on_page) {
    sync::ContainerPage page;
    sync::KeysetCursor end = start;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        std::map<std::int64_t, std::string> times;
        for (const auto& [id, time] : container_times_) {
            if (textOf(*containers_.at(id), "source_data_identifier").rfind(sdi_prefix, 0) == 0) {
                times[id] = time;
            }
        }
        for (const auto& [time, id] : after(times, start)) {
            sync::SourceContainer c;
            c.id = id;
            c.update_time = time;
            c.body = sync::deepCopy(*containers_.at(id));
            page.push_back({std::move(c), {time, id}, 0});
            end = sync::KeysetCursor::after(time);
        }
    }
    if (page.empty()) return {start, false};
    if (!on_page(page)) return {page.back().position, true};
    return {end, false};
}

sync::WalkEnd FakeTarget::walkChanged(RecordKind kind, const sync::KeysetCursor& start,
                                      const std::function<bool(sync::ItemPage&)>& on_page) {
    sync::ItemPage page;
    sync::KeysetCursor end = start;
    if (kind == RecordKind::Task) {
        std::lock_guard<std::mutex> lock(mutex_);
        std::map<std::int64_t, std::string> times;
        for (const auto& [id, task] : tasks_) {
            if (task.task.modified_time) times[id] = *task.task.modified_time;
        }
        for (const auto& [time, id] : after(times, start)) {
            const auto& task = tasks_.at(id);
            sync::SourceItem item;
            item.kind = kind;
            item.id = id;
            item.container = phases_.at(task.phase).container;
            item.changed = time;
            item.body = new Object;
            item.body->set("id", id);
            item.body->set("status", task.task.status);
            if (task.task.owner) item.body->set("owner", *task.task.owner);
            item.body->set("container", item.container);
            item.body->set("modified_time", time);
            page.push_back({std::move(item), {time, id}, 0});
            end = sync::KeysetCursor::after(time);
        }
    } else {
        std::lock_guard<std::mutex> lock(mutex_);
        std::map<std::int64_t, std::string> times;
        for (const auto& [id, time] : note_times_) {
            if (notes_.at(id).kind == kind) times[id] = time;
        }
        for (const auto& [time, id] : after(times, start)) {
            const auto& note = notes_.at(id);
            sync::SourceItem item;
            item.kind = kind;
            item.id = id;
            item.container = note.container;
            item.changed = time;
            item.body = sync::deepCopy(*note.body);
            if (note.task != 0) item.body->set("task", note.task);
            page.push_back({std::move(item), {time, id}, 0});
            end = sync::KeysetCursor::after(time);
        }
    }
    if (page.empty()) return {start, false};
    if (!on_page(page)) return {page.back().position, true};
    return {end, false};
}

std::optional<std::string> FakeTarget::newest(RecordKind kind, const std::string& sdi_prefix) {
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
        for (const auto& [id, time] : container_times_) {
            if (textOf(*containers_.at(id), "source_data_identifier").rfind(sdi_prefix, 0) == 0) {
                consider(time);
            }
        }
    } else if (kind == RecordKind::Task) {
        for (const auto& [id, task] : tasks_) {
            if (task.task.modified_time) consider(*task.task.modified_time);
        }
    } else {
        for (const auto& [id, time] : note_times_) {
            if (notes_.at(id).kind == kind) consider(time);
        }
    }
    if (!best) return std::nullopt;
    return out;
}

std::optional<sync::SourceContainer> FakeTarget::readContainer(std::int64_t id) {
    std::unique_lock<std::mutex> lock;
    enter(Call::Container, lock);
    const auto found = containers_.find(id);
    if (found == containers_.end()) return std::nullopt;
    sync::SourceContainer c;
    c.id = id;
    const auto time = container_times_.find(id);
    if (time != container_times_.end()) c.update_time = time->second;
    c.body = sync::deepCopy(*found->second);
    return c;
}

void FakeTarget::writeContainer(std::int64_t id, const Object& fields) {
    updateContainer(id, fields);
}

std::int64_t FakeTarget::addNote(RecordKind kind, const Object& body) {
    return (kind == RecordKind::Comment ? createComment(body) : createNote(body)).id;
}

void FakeTarget::editNote(std::int64_t id, const Object& fields) { updateNote(id, fields); }

void FakeTarget::writeTask(std::int64_t id, const Object& fields) { updateTask(id, fields); }

std::int64_t FakeTarget::addTaskNoteAsAnalyst(std::int64_t task, const std::string& time,
                                              const std::string& text) {
    std::lock_guard<std::mutex> lock(mutex_);
    const auto container = phases_.at(tasks_.at(task).phase).container;
    const auto id = next_note_++;
    Object::Ptr body = new Object;
    body->set("id", id);
    body->set("container", container);
    body->set("title", "analyst task note");
    body->set("content", text);
    body->set("note_type", "task");
    body->set("modified_time", time);
    notes_[id] = Note{RecordKind::Note, container, body, task};
    note_times_[id] = time;
    tasks_.at(task).task.modified_time = time;
    saw(time);
    return id;
}

void FakeTarget::setTaskStatusAsAnalyst(std::int64_t task, const std::string& time,
                                        std::int64_t status) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto& stored = tasks_.at(task).task;
    stored.status = status;
    stored.modified_time = time;
    saw(time);
}

void FakeTarget::setTaskOwnerAsAnalyst(std::int64_t task, const std::string& time,
                                       std::optional<std::int64_t> owner) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto& stored = tasks_.at(task).task;
    stored.owner = owner;
    stored.modified_time = time;
    saw(time);
}

std::vector<sync::StatusInfo> FakeTarget::statuses() {
    std::unique_lock<std::mutex> lock;
    enter(Call::Statuses, lock);
    return statuses_;
}

std::optional<std::string> FakeTarget::userName(std::int64_t id) {
    std::unique_lock<std::mutex> lock;
    enter(Call::UserId, lock);
    for (const auto& [name, user] : users_) {
        if (user == id) return name;
    }
    return std::nullopt;
}

// --- sync::Target -----------------------------------------------------------------------

void FakeTarget::ping() {
    std::unique_lock<std::mutex> lock;
    enter(Call::Ping, lock);
}

sync::ContainerCreated FakeTarget::createContainer(const Object& sent) {
    // The body as the target reads it: embedded artifacts sent as text are objects to it.
    Object container(sent);
    if (const auto items = sent.getArray("artifacts")) {
        Array::Ptr artifacts = new Array;
        for (const auto& item : *items) {
            const auto object = wireObject(item);
            object ? artifacts->add(object) : artifacts->add(item);
        }
        container.set("artifacts", artifacts);
    }
    std::unique_lock<std::mutex> lock;
    enter(Call::CreateContainer, lock);
    const auto sdi = textOf(container, "source_data_identifier");
    writeInto(lock, 0, sdi);
    if (const auto message = refusal(Call::CreateContainer, container)) {
        refuse("a container", *message);
    }
    sync::ContainerCreated created;
    if (!sdi.empty()) {
        const auto existing = by_sdi_.find(sdi);
        if (existing != by_sdi_.end()) {
            created.id = existing->second;
            created.existed = true;
            return created;
        }
    }
    const auto id = next_container_++;
    auto copy = sync::deepCopy(container);
    copy->set("id", id);
    copy->remove("artifacts");
    containers_[id] = copy;
    container_times_[id] = stamp();
    if (!sdi.empty()) by_sdi_.emplace(sdi, id);
    created.id = id;
    const auto embedded = container.getArray("artifacts");
    if (!embedded) return created;
    // As SOAR: each embedded artifact is made (or refused) on its own, into the new container.
    std::vector<sync::BatchItemResult> results;
    for (std::size_t i = 0; i < embedded->size(); ++i) {
        sync::BatchItemResult result;
        const auto artifact = embedded->getObject(static_cast<unsigned>(i));
        if (!artifact) {
            result.error = "not an object";
        } else if (const auto message = refusal(Call::CreateArtifacts, *artifact)) {
            result.error = *message;
        } else {
            result.id = storeArtifact(id, *artifact);
        }
        results.push_back(std::move(result));
    }
    ++embedded_artifacts_;
    if (embedded_answer_ == EmbeddedAnswer::PerItem) {
        created.artifacts = std::move(results);
    } else if (embedded_answer_ == EmbeddedAnswer::NewIds &&
               std::all_of(results.begin(), results.end(), [](const auto& r) { return r.ok(); })) {
        created.artifacts = std::move(results);
    }
    return created;
}

void FakeTarget::answerEmbedded(EmbeddedAnswer answer) {
    std::lock_guard<std::mutex> lock(mutex_);
    embedded_answer_ = answer;
}

std::size_t FakeTarget::containersWithEmbeddedArtifacts() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return embedded_artifacts_;
}

void FakeTarget::refuseDeletes(bool refuse) {
    std::lock_guard<std::mutex> lock(mutex_);
    refuse_deletes_ = refuse;
}

bool FakeTarget::deleteContainer(std::int64_t id) {
    std::unique_lock<std::mutex> lock;
    enter(Call::DeleteContainer, lock);
    if (refuse_deletes_) {
        throw sync::AuthError("[instance." + instance_ +
                                  "] DELETE needs a user account; automation tokens cannot "
                                  "delete (HTTP 403)",
                              403);
    }
    const auto found = containers_.find(id);
    if (found == containers_.end()) return false;
    by_sdi_.erase(textOf(*found->second, "source_data_identifier"));
    containers_.erase(found);
    container_times_.erase(id);
    for (auto it = artifacts_.begin(); it != artifacts_.end();) {
        it = it->second.container == id ? artifacts_.erase(it) : std::next(it);
    }
    for (auto it = notes_.begin(); it != notes_.end();) {
        if (it->second.container == id) {
            note_times_.erase(it->first);
            it = notes_.erase(it);
        } else {
            ++it;
        }
    }
    return true;
}

void FakeTarget::updateContainer(std::int64_t id, const Object& fields) {
    std::unique_lock<std::mutex> lock;
    enter(Call::UpdateContainer, lock);
    if (containers_.count(id) == 0) {
        throw sync::RecordError("[instance." + instance_ + "] container " + std::to_string(id) +
                                    " not found (HTTP 404)",
                                404, "container not found");
    }
    writeInto(lock, id);
    if (const auto message = refusal(Call::UpdateContainer, fields)) {
        refuse("container " + std::to_string(id), *message);
    }
    // The gate released the mutex: the container may be gone meanwhile.
    const auto found = containers_.find(id);
    if (found == containers_.end()) {
        throw sync::RecordError("[instance." + instance_ + "] container " + std::to_string(id) +
                                    " not found (HTTP 404)",
                                404, "container not found");
    }
    const auto old_sdi = textOf(*found->second, "source_data_identifier");
    for (const char* key : {"template", "template_id"}) {
        if (!fields.has(key)) continue;
        const auto chosen = sync::parseId(fields.get(key));
        if (!chosen || templates_.count(*chosen) == 0) {
            refuse("container " + std::to_string(id), "Invalid " + std::string(key));
        }
        instantiate(id, *chosen);
        break;
    }
    mergeInto(*found->second, fields);
    found->second->set("id", id);
    container_times_[id] = stamp();
    const auto new_sdi = textOf(*found->second, "source_data_identifier");
    if (new_sdi != old_sdi) {
        by_sdi_.erase(old_sdi);
        if (!new_sdi.empty()) by_sdi_.emplace(new_sdi, id);
    }
}

std::map<std::string, std::int64_t> FakeTarget::artifactCopies(std::int64_t container,
                                                               const std::string& sdi_prefix) {
    std::unique_lock<std::mutex> lock;
    enter(Call::ArtifactCopies, lock);
    std::map<std::string, std::int64_t> copies;
    for (const auto& [id, artifact] : artifacts_) {  // by id: the lowest wins
        if (artifact.container != container) continue;
        const auto sdi = textOf(*artifact.body, "source_data_identifier");
        if (sdi.compare(0, sdi_prefix.size(), sdi_prefix) == 0) copies.emplace(sdi, id);
    }
    return copies;
}

std::vector<sync::BatchItemResult> FakeTarget::createArtifacts(const Poco::JSON::Array& items) {
    std::vector<sync::Record> artifacts;
    for (const auto& item : items) artifacts.push_back(wireObject(item));
    std::unique_lock<std::mutex> lock;
    enter(Call::CreateArtifacts, lock);
    std::set<std::int64_t> into;
    for (const auto& artifact : artifacts) {
        if (artifact) into.insert(containerIdOf(*artifact));
    }
    for (const auto container : into) writeInto(lock, container);
    std::vector<sync::BatchItemResult> results;
    for (const auto& artifact : artifacts) {
        sync::BatchItemResult result;
        if (!artifact) {
            result.error = "not an object";
        } else if (containers_.count(containerIdOf(*artifact)) == 0) {
            result.error =
                "container " + std::to_string(containerIdOf(*artifact)) + " does not exist";
        } else if (const auto message = refusal(Call::CreateArtifacts, *artifact)) {
            result.error = *message;
        } else {
            result.id = storeArtifact(containerIdOf(*artifact), *artifact);
        }
        results.push_back(std::move(result));
    }
    return results;
}

sync::CreateResult FakeTarget::createArtifact(const Object& artifact) {
    std::unique_lock<std::mutex> lock;
    enter(Call::CreateArtifact, lock);
    const auto container = containerIdOf(artifact);
    if (containers_.count(container) == 0) {
        refuse("an artifact", "container " + std::to_string(container) + " does not exist");
    }
    writeInto(lock, container);
    if (const auto message = refusal(Call::CreateArtifact, artifact)) {
        refuse("an artifact", *message);
    }
    return {storeArtifact(container, artifact), false};
}

void FakeTarget::updateArtifact(std::int64_t id, const Object& fields) {
    std::unique_lock<std::mutex> lock;
    enter(Call::UpdateArtifact, lock);
    const auto known = artifacts_.find(id);
    if (known == artifacts_.end()) {
        throw sync::RecordError(
            "[instance." + instance_ + "] artifact " + std::to_string(id) + " not found (HTTP 404)",
            404, "artifact not found");
    }
    writeInto(lock, known->second.container);
    if (const auto message = refusal(Call::UpdateArtifact, fields)) {
        refuse("artifact " + std::to_string(id), *message);
    }
    const auto found = artifacts_.find(id);
    if (found == artifacts_.end()) {
        throw sync::RecordError(
            "[instance." + instance_ + "] artifact " + std::to_string(id) + " not found (HTTP 404)",
            404, "artifact not found");
    }
    mergeInto(*found->second.body, fields);
    found->second.body->set("id", id);
    found->second.body->set("container", found->second.container);
}

void FakeTarget::forEachNote(RecordKind kind, std::int64_t container,
                             const std::function<void(std::int64_t, const std::string&)>& each) {
    std::vector<std::pair<std::int64_t, std::string>> found;
    {
        std::unique_lock<std::mutex> lock;
        enter(Call::ForEachNote, lock);
        for (const auto& [id, note] : notes_) {
            if (note.kind == kind && note.container == container && note.task == 0) {
                found.emplace_back(
                    id, textOf(*note.body, kind == RecordKind::Comment ? "comment" : "content"));
            }
        }
    }
    for (const auto& [id, text] : found) each(id, text);
}

sync::CreateResult FakeTarget::createNote(const Object& note) {
    return storeNote(RecordKind::Note, Call::CreateNote, note);
}

sync::CreateResult FakeTarget::createComment(const Object& comment) {
    return storeNote(RecordKind::Comment, Call::CreateComment, comment);
}

void FakeTarget::updateNote(std::int64_t id, const Object& fields) {
    std::unique_lock<std::mutex> lock;
    enter(Call::UpdateNote, lock);
    const auto known = notes_.find(id);
    if (known == notes_.end()) {
        throw sync::RecordError(
            "[instance." + instance_ + "] note " + std::to_string(id) + " not found (HTTP 404)",
            404, "note not found");
    }
    writeInto(lock, known->second.container);
    if (const auto message = refusal(Call::UpdateNote, fields)) {
        refuse("note " + std::to_string(id), *message);
    }
    const auto found = notes_.find(id);
    if (found == notes_.end()) {
        throw sync::RecordError(
            "[instance." + instance_ + "] note " + std::to_string(id) + " not found (HTTP 404)",
            404, "note not found");
    }
    mergeInto(*found->second.body, fields);
    found->second.body->set("id", id);
    found->second.body->set("container", found->second.container);
    note_times_[id] = stamp();
}

std::optional<sync::PlaybookInfo> FakeTarget::findPlaybook(const std::string& spec) {
    std::unique_lock<std::mutex> lock;
    enter(Call::FindPlaybook, lock);
    if (isNumber(spec)) {
        const auto found = playbooks_.find(std::stoll(spec));
        if (found == playbooks_.end()) return std::nullopt;
        return found->second;
    }
    std::vector<sync::PlaybookInfo> bare;
    for (const auto& [id, info] : playbooks_) {
        if (info.name == spec) return info;
        const auto slash = info.name.find('/');
        if (slash != std::string::npos && info.name.substr(slash + 1) == spec) bare.push_back(info);
    }
    if (bare.size() > 1) {
        refuse("playbook \"" + spec + "\"", "the name is in several repositories");
    }
    if (bare.empty()) return std::nullopt;
    return bare.front();
}

std::int64_t FakeTarget::runPlaybook(const sync::PlaybookRunRequest& request) {
    std::unique_lock<std::mutex> lock;
    enter(Call::RunPlaybook, lock);
    std::optional<std::int64_t> playbook = request.playbook_id;
    if (!playbook) {
        for (const auto& [id, info] : playbooks_) {
            if (info.name == request.playbook_name) playbook = id;
        }
    }
    if (!playbook || playbooks_.count(*playbook) == 0) {
        refuse("a playbook run", "no such playbook");
    }
    Run run;
    run.id = next_run_++;
    run.playbook = *playbook;
    run.container = request.container_id;
    if (clock_) run.start_time = sync::Timestamp::at(clock_->wallNow()).toString();
    runs_[run.id] = run;
    if (!fail_after_run_.empty()) {
        const auto failure = fail_after_run_.front();
        fail_after_run_.pop_front();
        std::rethrow_exception(failure);
    }
    return run.id;
}

sync::PlaybookRunStatus FakeTarget::playbookRun(std::int64_t run_id) {
    std::unique_lock<std::mutex> lock;
    enter(Call::PlaybookRun, lock);
    const auto found = runs_.find(run_id);
    if (found == runs_.end()) {
        throw sync::RecordError("[instance." + instance_ + "] playbook run " +
                                    std::to_string(run_id) + " not found (HTTP 404)",
                                404, "playbook run not found");
    }
    sync::PlaybookRunStatus status;
    status.id = run_id;
    status.status = found->second.status;
    status.outcome = sync::playbookOutcome(status.status);
    status.message = found->second.message;
    return status;
}

void FakeTarget::cancelPlaybookRun(std::int64_t run_id) {
    std::unique_lock<std::mutex> lock;
    enter(Call::CancelPlaybookRun, lock);
    const auto found = runs_.find(run_id);
    if (found == runs_.end()) {
        throw sync::RecordError("[instance." + instance_ + "] playbook run " +
                                    std::to_string(run_id) + " not found (HTTP 404)",
                                404, "playbook run not found");
    }
    cancels_.push_back(run_id);
    found->second.status = "cancelled";
}

void FakeTarget::writeList(const std::string& name, const Poco::JSON::Array& rows) {
    std::unique_lock<std::mutex> lock;
    enter(Call::WriteList, lock);
    if (rows.size() == 0) refuse("list " + name, "A list needs at least one row");
    Object body;
    body.set("name", name);
    body.set("content", Poco::JSON::Array::Ptr(new Poco::JSON::Array(rows)));
    if (const auto message = refusal(Call::WriteList, body)) refuse("list " + name, *message);
    std::ostringstream text;
    rows.stringify(text);
    lists_[name] = text.str();
}

std::optional<std::string> FakeTarget::listRows(const std::string& name) const {
    std::lock_guard<std::mutex> lock(mutex_);
    const auto found = lists_.find(name);
    if (found == lists_.end()) return std::nullopt;
    return found->second;
}

void FakeTarget::setListAsAnalyst(const std::string& name, const std::string& rows_json) {
    std::lock_guard<std::mutex> lock(mutex_);
    lists_[name] = rows_json;
}

std::vector<sync::PlaybookRunSeen> FakeTarget::playbookRuns(std::int64_t playbook,
                                                            std::int64_t container) {
    std::unique_lock<std::mutex> lock;
    enter(Call::PlaybookRuns, lock);
    std::vector<sync::PlaybookRunSeen> out;
    for (const auto& [id, run] : runs_) {
        if (run.playbook != playbook || run.container != container) continue;
        out.push_back({id, run.start_time});
        if (out.size() == 50) break;
    }
    return out;
}

std::map<std::string, std::int64_t> FakeTarget::fileCopies(std::int64_t container) {
    std::unique_lock<std::mutex> lock;
    enter(Call::FileCopies, lock);
    std::map<std::string, std::int64_t> out;
    for (const auto& [id, file] : files_) {
        if (file.container == container) out.emplace(file.sha1, id);
    }
    return out;
}

std::int64_t FakeTarget::attachFile(std::int64_t container, const std::string& name,
                                    const std::string& path, const std::string& sha1) {
    std::string bytes;
    {
        std::ifstream in(path, std::ios::binary);
        if (!in) throw sync::ProtocolError("cannot read " + path);
        std::ostringstream read;
        read << in.rdbuf();
        bytes = read.str();
    }
    std::unique_lock<std::mutex> lock;
    enter(Call::AttachFile, lock);
    if (containers_.count(container) == 0) {
        refuse("a file", "container " + std::to_string(container) + " does not exist");
    }
    writeInto(lock, container);
    Object body;
    body.set("container_id", container);
    body.set("file_name", name);
    body.set("hash", sha1);
    if (const auto message = refusal(Call::AttachFile, body)) refuse("a file", *message);
    if (sha1Hex(bytes) != sha1) {
        throw sync::ProtocolError("the target stored " + name + " as " + sha1Hex(bytes) +
                                  ", not as the file's SHA-1 " + sha1);
    }
    const auto id = next_file_++;
    files_[id] = File{container, name, sha1, std::move(bytes)};
    return id;
}

std::optional<std::int64_t> FakeTarget::userId(const std::string& username) {
    std::unique_lock<std::mutex> lock;
    enter(Call::UserId, lock);
    const auto found = users_.find(username);
    if (found == users_.end()) return std::nullopt;
    return found->second;
}

// --- workbooks ---------------------------------------------------------------------------

std::int64_t FakeTarget::addTemplate(
    const std::string& name,
    const std::vector<std::pair<std::string, std::vector<std::string>>>& phases) {
    std::lock_guard<std::mutex> lock(mutex_);
    const auto id = next_template_++;
    templates_[id] = Template{name, phases};
    return id;
}

std::int64_t FakeTarget::storePhase(std::int64_t container, const std::string& name,
                                    std::optional<std::int64_t> template_id) {
    std::int64_t order = 0;
    for (const auto& [id, phase] : phases_) {
        if (phase.container == container) order = std::max(order, phase.order);
    }
    const auto id = next_phase_++;
    phases_[id] = Phase{container, name, order + 1, template_id};
    return id;
}

void FakeTarget::instantiate(std::int64_t container, std::int64_t template_id) {
    for (const auto& [phase_name, task_names] : templates_.at(template_id).phases) {
        const auto phase = storePhase(container, phase_name, template_id);
        std::int64_t order = 0;
        for (const auto& task_name : task_names) {
            sync::WorkbookTask task;
            task.id = next_task_++;
            task.name = task_name;
            task.order = ++order;
            task.modified_time = stamp();
            tasks_[task.id] = Task{phase, task};
        }
    }
}

sync::Workbook FakeTarget::workbookOf(std::int64_t container) const {
    std::lock_guard<std::mutex> lock(mutex_);
    sync::Workbook out;
    for (const auto& [id, phase] : phases_) {
        if (phase.container != container) continue;
        sync::WorkbookPhase p;
        p.id = id;
        p.name = phase.name;
        p.order = phase.order;
        p.template_id = phase.template_id;
        for (const auto& [task_id, task] : tasks_) {
            if (task.phase == id) p.tasks.push_back(task.task);
        }
        out.push_back(std::move(p));
    }
    sync::sortByOrder(out);
    return out;
}

std::vector<std::string> FakeTarget::taskNotesIn(std::int64_t task) const {
    std::lock_guard<std::mutex> lock(mutex_);
    std::vector<std::string> out;
    for (const auto& [id, note] : notes_) {
        if (note.task == task) out.push_back(textOf(*note.body, "content"));
    }
    return out;
}

void FakeTarget::requireClosingNote(std::int64_t task) {
    std::lock_guard<std::mutex> lock(mutex_);
    tasks_.at(task).task.note_required = true;
}

sync::Workbook FakeTarget::workbook(std::int64_t container) {
    {
        std::unique_lock<std::mutex> lock;
        enter(Call::Workbook, lock);
    }
    return workbookOf(container);
}

std::optional<std::int64_t> FakeTarget::findTemplate(const std::string& name) {
    std::unique_lock<std::mutex> lock;
    enter(Call::FindTemplate, lock);
    for (const auto& [id, t] : templates_) {
        if (t.name == name) return id;
    }
    return std::nullopt;
}

std::int64_t FakeTarget::createPhase(std::int64_t container, const std::string& name,
                                     std::int64_t /*order*/) {
    std::unique_lock<std::mutex> lock;
    enter(Call::CreatePhase, lock);
    if (containers_.count(container) == 0) {
        refuse("a phase", "container " + std::to_string(container) + " does not exist");
    }
    writeInto(lock, container);
    return storePhase(container, name, std::nullopt);
}

std::int64_t FakeTarget::createTask(std::int64_t phase, const sync::WorkbookTask& task) {
    std::unique_lock<std::mutex> lock;
    enter(Call::CreateTask, lock);
    const auto found = phases_.find(phase);
    if (found == phases_.end())
        refuse("a task", "phase " + std::to_string(phase) + " does not exist");
    Object body;
    body.set("name", task.name);
    if (const auto message = refusal(Call::CreateTask, body)) refuse("a task", *message);
    sync::WorkbookTask stored;
    stored.id = next_task_++;
    stored.name = task.name;
    stored.description = task.description;
    stored.note_required = task.note_required;
    std::int64_t order = 0;
    for (const auto& [id, t] : tasks_) {
        if (t.phase == phase) order = std::max(order, t.task.order);
    }
    stored.order = order + 1;
    stored.modified_time = stamp();
    tasks_[stored.id] = Task{phase, stored};
    return stored.id;
}

void FakeTarget::updateTask(std::int64_t id, const Object& fields) {
    std::unique_lock<std::mutex> lock;
    enter(Call::UpdateTask, lock);
    const auto found = tasks_.find(id);
    if (found == tasks_.end()) {
        throw sync::RecordError(
            "[instance." + instance_ + "] task " + std::to_string(id) + " not found (HTTP 404)",
            404, "task not found");
    }
    if (const auto message = refusal(Call::UpdateTask, fields)) {
        refuse("task " + std::to_string(id), *message);
    }
    auto& task = found->second.task;
    const bool has_note = fields.has("note") && !fields.get("note").toString().empty();
    if (fields.has("status")) {
        const auto to = sync::parseId(fields.get("status")).value_or(-1);
        const auto from = task.status;
        // 0 not started, 2 in progress, 1 complete: one step at a time, either way.
        const bool allowed = from == to || (from == 0 && to == 2) || (from == 2 && to == 1) ||
                             (from == 1 && to == 2) || (from == 2 && to == 0);
        if (!allowed) refuse("task " + std::to_string(id), "Invalid status transition");
        if (from != to && to == 1 && task.note_required && !has_note) {
            refuse("task " + std::to_string(id), "Closing note content is required");
        }
        task.status = to;
    }
    if (fields.has("owner_id")) {
        // Null unassigns it.
        const auto owner = sync::parseId(fields.get("owner_id"));
        bool known = !owner;
        for (const auto& [name, user] : users_) known = known || (owner && user == *owner);
        if (!known) refuse("task " + std::to_string(id), "Invalid owner_id");
        task.owner = owner;
    }
    if (has_note) {
        Object::Ptr note = new Object;
        note->set("content", fields.get("note").toString());
        const auto note_id = next_note_++;
        notes_[note_id] =
            Note{RecordKind::Note, phases_.at(found->second.phase).container, note, id};
    }
    task.modified_time = stamp();
}

void FakeTarget::forEachTaskNote(
    std::int64_t task, const std::function<void(std::int64_t, const std::string&)>& each) {
    std::vector<std::pair<std::int64_t, std::string>> found;
    {
        std::unique_lock<std::mutex> lock;
        enter(Call::TaskNotes, lock);
        for (const auto& [id, note] : notes_) {
            if (note.task == task) found.emplace_back(id, textOf(*note.body, "content"));
        }
    }
    for (const auto& [id, text] : found) each(id, text);
}

}  // namespace soar::test
