#include "WorkbookReplayer.h"

#include "FieldMirror.h"
#include "soar/client/Errors.h"

#include <Poco/Logger.h>

#include <algorithm>
#include <cctype>

namespace soar::sync {
namespace {

using state::RecordKind;

/// The target's refusal mentions `word` (its messages are the only way SOAR says why).
bool mentions(const RecordError& e, const std::string& word) {
    std::string text = refusalMessage(e);
    std::transform(text.begin(), text.end(), text.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return e.httpStatus() == 400 && text.find(word) != std::string::npos;
}

/// The n-th element of `items` named `name` (n from 0), or nullptr.
template <class T>
T* nthNamed(std::vector<T>& items, const std::string& name, std::size_t n) {
    for (auto& item : items) {
        if (item.name == name && n-- == 0) return &item;
    }
    return nullptr;
}

}  // namespace

std::string userText(const std::optional<std::int64_t>& user) {
    return user ? "user " + std::to_string(*user) : "unassigned";
}

std::optional<SettledTask> SettledTask::parse(const std::string& text) {
    SettledTask out;
    const auto slash = text.find('/');
    const auto status = parseId(text.substr(0, slash));
    if (!status) return std::nullopt;
    out.status = *status;
    if (slash != std::string::npos) {
        out.owner_known = true;
        if (slash + 1 < text.size()) {
            out.owner = parseId(text.substr(slash + 1));
            if (!out.owner) return std::nullopt;
        }
    }
    return out;
}

std::string SettledTask::format(std::int64_t status, std::optional<std::int64_t> owner) {
    return std::to_string(status) + "/" + (owner ? std::to_string(*owner) : std::string());
}

WorkbookReplayer::WorkbookReplayer(PassScope& pass, std::int64_t source_container,
                                   std::int64_t target_container, bool fresh, Replayed& out)
    : pass_(pass),
      source_container_(source_container),
      target_container_(target_container),
      fresh_(fresh),
      out_(out) {}

void WorkbookReplayer::all() { replay(std::nullopt); }

void WorkbookReplayer::one(const SourceItem& task) {
    if (task.unreadable) {
        out_.refuse(pass_, RecordKind::Task, task.id,
                    "the source's answer cannot be read: " + *task.unreadable);
        return;
    }
    replay(task.id);
}

void WorkbookReplayer::replay(std::optional<std::int64_t> only) {
    const Workbook source = pass_.source.workbook(source_container_);
    if (source.empty()) return;
    Workbook target = fresh_ ? Workbook{} : pass_.target.workbook(target_container_);
    if (!fresh_) {
        for (auto& m : pass_.store.noteMappingsOf(pass_.key, source_container_)) {
            if (m.kind == RecordKind::Task) known_.emplace(m.source_id, std::move(m));
        }
    }
    try {
        if (target.empty()) {
            addTemplate(source, target);
            ++out_.counts.workbooks_copied;
        }
        std::map<std::string, std::size_t> phases_seen;
        for (const auto& phase : source) {
            auto* copy = nthNamed(target, phase.name, phases_seen[phase.name]++);
            if (!copy) {
                WorkbookPhase made;
                made.name = phase.name;
                made.order = phase.order;
                made.id = pass_.target.createPhase(target_container_, phase.name, phase.order);
                target.push_back(std::move(made));
                copy = &target.back();
            }
            std::map<std::string, std::size_t> tasks_seen;
            for (const auto& task : phase.tasks) {
                auto* task_copy = nthNamed(copy->tasks, task.name, tasks_seen[task.name]++);
                if (only && *only != task.id) continue;
                if (!task_copy) {
                    WorkbookTask made = task;
                    made.status = 0;  // not started, under both readings of the codes
                    made.owner.reset();
                    try {
                        made.id = pass_.target.createTask(copy->id, task);
                    } catch (const RecordError& e) {
                        out_.refuse(pass_, RecordKind::Task, task.id, refusalMessage(e));
                        continue;
                    }
                    copy->tasks.push_back(made);
                    task_copy = &copy->tasks.back();
                }
                syncTask(task, *task_copy);
            }
        }
    } catch (const RecordError& e) {
        // The workbook itself (the template, a phase) was refused: the case's dead letter.
        out_.refuse(pass_, RecordKind::Container, source_container_,
                    "its workbook was refused: " + refusalMessage(e));
    }
}

void WorkbookReplayer::addTemplate(const Workbook& source, Workbook& target) {
    std::optional<std::int64_t> template_id;
    for (const auto& phase : source) {
        if (!phase.template_id) continue;
        if (const auto name = pass_.source.templateName(*phase.template_id)) {
            template_id = pass_.target.findTemplate(*name);
        }
        break;
    }
    if (!template_id) return;  // made phase by phase
    Poco::JSON::Object fields;
    fields.set("container_type", "case");
    fields.set("template", *template_id);
    fields.set("template_id", *template_id);
    pass_.target.updateContainer(target_container_, fields);
    target = pass_.target.workbook(target_container_);
}

void WorkbookReplayer::syncTask(const WorkbookTask& source, const WorkbookTask& target) {
    const auto known = known_.find(source.id);
    if (!pass_.force && known != known_.end() && known->second.target_id == target.id &&
        known->second.update_time == source.modified_time) {
        return;  // written at this version already
    }
    try {
        bool wrote = copyNotes(source.id, target.id);
        // The owner the copy follows: the source owner's, by username (none: left as it is).
        std::optional<std::int64_t> owner;
        if (pass_.owners && source.owner) {
            bool unmatched = false;
            owner = pass_.owners->targetUser(*source.owner, pass_.source, pass_.target,
                                             pass_.where(), unmatched);
        }
        // A two-way route: what moved on the copy since it was settled stays when it wins.
        const auto& mirror = pass_.route.mirror_back;
        const auto settled = mirror.tasks && known != known_.end()
                                 ? SettledTask::parse(known->second.content_hash)
                                 : std::nullopt;
        const bool keep_status =
            settled && target.status != settled->status && source.status != target.status &&
            copyWins(pass_, out_.counts, source, target.modified_time, "status",
                     source.status != settled->status, std::to_string(source.status),
                     std::to_string(target.status));
        const bool keep_owner = settled && mirror.owner && owner &&
                                settled->ownerMoved(target.owner) && owner != target.owner &&
                                copyWins(pass_, out_.counts, source, target.modified_time, "owner",
                                         owner != settled->owner, "user " + std::to_string(*owner),
                                         userText(target.owner));
        if (owner && owner != target.owner && !keep_owner) {
            Poco::JSON::Object fields;
            fields.set("owner_id", *owner);
            pass_.target.updateTask(target.id, fields);
            wrote = true;
        }
        if (source.status != target.status && !keep_status) {
            moveTask(
                [&](const Poco::JSON::Object& f) { pass_.target.updateTask(target.id, f); },
                target.status, source.status,
                "Closed to match the source, " + pass_.route.source + " (written by soar-sync).");
            wrote = true;
        }
        if (wrote) ++out_.counts.tasks_written;
        // What the copy holds now, but for a change of its own that won: that stays unsettled,
        // for MirrorBack to carry to the source in this pass.
        const auto held_owner = keep_owner ? settled->owner : owner ? owner : target.owner;
        out_.unit.notes.push_back(
            {RecordKind::Task, source.id, target.id, source_container_,
             SettledTask::format(keep_status ? settled->status : source.status, held_owner),
             source.modified_time});
        out_.resolve(pass_, RecordKind::Task, source.id);
    } catch (const RecordError& e) {
        out_.refuse(pass_, RecordKind::Task, source.id, refusalMessage(e));
    }
}

bool WorkbookReplayer::copyWins(PassScope& pass, state::PassCounts& counts,
                                const WorkbookTask& source,
                                const std::optional<std::string>& copy_time,
                                const std::string& field, bool source_moved,
                                const std::string& source_value, const std::string& copy_value) {
    if (!source_moved) return true;  // only the copy's moved
    const bool copy_wins =
        FieldMirror::targetWins(pass.route.conflict, source.modified_time, copy_time);
    ++(copy_wins ? counts.conflicts_target_won : counts.conflicts_source_won);
    poco_information(pass.logger,
                     pass.where() + "task " + std::to_string(source.id) + " " + field +
                         " changed on both sides (" + pass.route.source + " " + source_value +
                         " at " + source.modified_time.value_or("?") + ", " + pass.key.target +
                         " " + copy_value + " at " + copy_time.value_or("?") + "); " +
                         (copy_wins ? pass.key.target : pass.route.source) + "'s is kept");
    return copy_wins;
}

void WorkbookReplayer::moveTask(const std::function<void(const Poco::JSON::Object&)>& update,
                                std::int64_t from, std::int64_t to,
                                const std::string& closing_note) {
    const auto post = [&](std::int64_t code) {
        Poco::JSON::Object fields;
        fields.set("status", code);
        try {
            update(fields);
        } catch (const RecordError& e) {
            if (!mentions(e, "note")) throw;
            fields.set("title", "Closing note");
            fields.set("note", closing_note);
            fields.set("note_format", "markdown");
            update(fields);
        }
    };
    try {
        post(to);
    } catch (const RecordError& e) {
        // Statuses move one step at a time: go through the third of 0, 1 and 2.
        const auto via = 3 - to - from;
        if (!mentions(e, "transition") || via < 0 || via > 2 || via == to || via == from) {
            throw;
        }
        post(via);
        post(to);
    }
}

bool WorkbookReplayer::copyNotes(std::int64_t source_task, std::int64_t target_task) {
    bool wrote = false;
    std::optional<std::map<std::int64_t, std::int64_t>> marked;  // source note -> its copy
    pass_.source.forEachTaskNote(source_task, [&](SourceItem& note) {
        // Written back from this target's task by a two-way route: not copied back there.
        if (RecordMapper::markedBy(pass_.key.target,
                                   note.body->optValue<std::string>("content", ""))) {
            return;
        }
        auto mapped = pass_.mapper.note(*note.body, target_container_);
        mapped->set("task_id", target_task);
        mapped->set("note_type", "task");
        const auto hash = RecordMapper::contentHash(*mapped);
        const auto known = pass_.store.noteMapping(pass_.key, RecordKind::Note, note.id);
        if (known && known->content_hash == hash && !pass_.force) return;
        std::optional<std::int64_t> copy = known ? std::optional(known->target_id) : std::nullopt;
        if (!copy) {
            if (!marked) {
                marked.emplace();
                pass_.target.forEachTaskNote(
                    target_task, [&](std::int64_t id, const std::string& text) {
                        const auto from = pass_.mapper.markedSourceId(false, text);
                        if (from >= 0) marked->emplace(from, id);
                    });
            }
            if (const auto found = marked->find(note.id); found != marked->end()) {
                copy = found->second;
            }
        }
        if (copy) {
            Poco::JSON::Object fields(*mapped);
            fields.remove("container_id");
            fields.remove("task_id");
            pass_.target.updateNote(*copy, fields);
            ++out_.counts.notes_updated;
        } else {
            copy = pass_.target.createNote(*mapped).id;
            ++out_.counts.notes_created;
        }
        wrote = true;
        out_.unit.notes.push_back(
            {RecordKind::Note, note.id, *copy, source_container_, hash, note.changed});
    });
    return wrote;
}

}  // namespace soar::sync
