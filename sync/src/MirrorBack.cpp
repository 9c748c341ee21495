#include "MirrorBack.h"

#include "WorkbookReplayer.h"
#include "soar/client/Errors.h"
#include "soar/client/Timestamp.h"

#include <Poco/Logger.h>

namespace soar::sync {

using state::RecordKind;
using state::Stream;

MirrorBack::MirrorBack(PassScope& pass, FieldMirror* fields)
    : pass_(pass),
      fields_(fields),
      source_(*pass.source_side),
      target_(*pass.target_side),
      back_mapper_(MappingRules{pass.key.target, {}, {}, false}),
      copy_prefix_("soar-sync:" + pass.route.source + ":") {}

void MirrorBack::run() {
    const auto& m = pass_.route.mirror_back;
    if (fields_ && !pass_.cancelled()) walkCopies();
    if ((m.notes || m.tasks) && !pass_.cancelled()) walkChanged(RecordKind::Note);
    if (m.comments && !pass_.cancelled()) walkChanged(RecordKind::Comment);
    if (m.tasks && !pass_.cancelled()) walkChanged(RecordKind::Task);
}

std::optional<KeysetCursor> MirrorBack::start(Stream stream, RecordKind kind) {
    const auto stored = pass_.store.cursor(pass_.key, stream);
    if (!stored) {
        if (const auto newest = target_.newest(kind, copy_prefix_)) {
            const auto at = KeysetCursor::after(*newest);
            pass_.store.setCursor(pass_.key, {stream, at.timestamp, at.last_id});
        } else {
            pass_.store.setCursor(pass_.key, {stream, std::string(), 0});
        }
        return std::nullopt;
    }
    return pass_.lookback->start(stream, KeysetCursor{stored->timestamp, stored->last_id});
}

void MirrorBack::finish(Stream stream, const WalkEnd& end) {
    if (end.stopped) return;
    state::UnitOfWork unit;
    commit(unit, stream, end.end);
    const auto now = pass_.store.cursor(pass_.key, stream);
    if (now) {
        pass_.lookback->walked(stream, KeysetCursor{now->timestamp, now->last_id});
    }
}

void MirrorBack::commit(state::UnitOfWork& unit, Stream stream, const KeysetCursor& at) {
    unit.key = pass_.key;
    unit.cursors.push_back({stream, at.timestamp, at.last_id});
    pass_.store.commit(unit);
    unit = state::UnitOfWork{};
}

void MirrorBack::walkCopies() {
    const auto from = start(Stream::CopiesUpdated, RecordKind::Container);
    if (!from) return;
    const auto end = target_.walkCopies(copy_prefix_, *from, [&](ContainerPage& page) {
        state::UnitOfWork unit;
        for (auto& entry : page) {
            copy(entry.record, unit);
            if (!unit.mirrors.empty()) commit(unit, Stream::CopiesUpdated, entry.position);
        }
        return !pass_.cancelled();
    });
    finish(Stream::CopiesUpdated, end);
}

void MirrorBack::copy(const SourceContainer& copy, state::UnitOfWork& unit) {
    if (copy.unreadable || !copy.body) return;
    const auto sdi = copy.body->optValue<std::string>("source_data_identifier", "");
    if (sdi.rfind(copy_prefix_, 0) != 0) return;
    std::int64_t source_id = 0;
    try {
        std::size_t used = 0;
        source_id = std::stoll(sdi.substr(copy_prefix_.size()), &used);
        if (used != sdi.size() - copy_prefix_.size()) return;
    } catch (const std::exception&) {
        return;  // another shape of sdi: not a container copy of this source
    }
    const auto mapping = pass_.store.containerMapping(pass_.key, source_id);
    if (!mapping || mapping->target_id != copy.id) return;
    const auto base = pass_.store.mirrorState(pass_.key, source_id);
    if (base && FieldMirror::encode(fields_->read(*copy.body)) == base->target_fields) return;
    const auto source = source_.readContainer(source_id);
    if (!source || source->unreadable) return;  // gone from the source: not mirrored back
    try {
        const auto settled = fields_->settle(*source, copy, base);
        counts_.fields_mirrored += settled.to_source;
        counts_.conflicts_source_won += settled.conflicts_source_won;
        counts_.conflicts_target_won += settled.conflicts_target_won;
        if (settled.to_target > 0) ++counts_.containers_updated;
        unit.mirrors.push_back(settled.state);
        if (settled.to_source > 0) {
            poco_information(pass_.logger, pass_.where() + "copy " + std::to_string(copy.id) +
                                               " changed on " + pass_.key.target + ": " +
                                               std::to_string(settled.to_source) +
                                               " field(s) written back to " + pass_.route.source +
                                               " container " + std::to_string(source_id));
        }
    } catch (const RecordError& e) {
        poco_warning(pass_.logger, pass_.where() + "copy " + std::to_string(copy.id) +
                                       " could not be settled with " + pass_.route.source +
                                       " container " + std::to_string(source_id) + ": " +
                                       refusalMessage(e));
    }
}

void MirrorBack::walkChanged(RecordKind kind) {
    const auto stream = kind == RecordKind::Comment ? Stream::CopyComments
                        : kind == RecordKind::Task  ? Stream::CopyTasks
                                                    : Stream::CopyNotes;
    const auto from = start(stream, kind);
    if (!from) return;
    const auto end = target_.walkChanged(kind, *from, [&](ItemPage& page) {
        state::UnitOfWork unit;
        for (auto& entry : page) {
            if (kind == RecordKind::Task) {
                task(entry.record, unit);
            } else {
                note(entry.record, unit);
            }
            if (!unit.notes.empty()) commit(unit, stream, entry.position);
        }
        return !pass_.cancelled();
    });
    finish(stream, end);
}

void MirrorBack::note(const SourceItem& item, state::UnitOfWork& unit) {
    if (item.unreadable || !item.body) return;
    const bool comment = item.kind == RecordKind::Comment;
    // A task's note goes to the source's task, when tasks flow back.
    std::optional<state::NoteMapping> task;
    if (!comment && item.body->has("task") && !item.body->isNull("task")) {
        if (!pass_.route.mirror_back.tasks) return;
        const auto target_task = parseId(item.body->get("task"));
        if (target_task) {
            task = pass_.store.noteMappingByTarget(pass_.key, RecordKind::Task, *target_task);
        }
        if (!task) return;  // a task this route did not copy
    } else if (!comment && !pass_.route.mirror_back.notes) {
        return;  // only tasks' notes flow back
    }
    const auto text = item.body->optValue<std::string>(comment ? "comment" : "content", "");
    // soar-sync's copy of a source note: never mirrored back.
    if (RecordMapper::markedBy(pass_.route.source, text)) return;
    const auto container = pass_.store.containerMappingByTarget(pass_.key, item.container);
    if (!container) return;  // not a copy of this route
    auto mapped = comment ? back_mapper_.comment(*item.body, container->source_id)
                          : back_mapper_.note(*item.body, container->source_id);
    if (task) {
        mapped->set("task_id", task->source_id);
        mapped->set("note_type", "task");
    }
    const auto hash = RecordMapper::contentHash(*mapped);
    const auto known = pass_.store.noteMappingByTarget(pass_.key, item.kind, item.id);
    try {
        std::int64_t source_note = 0;
        if (known) {
            if (comment || known->content_hash == hash) return;
            Poco::JSON::Object fields(*mapped);
            fields.remove("container_id");
            fields.remove("task_id");
            source_.editNote(known->source_id, fields);
            source_note = known->source_id;
        } else {
            // Written before a crash lost the commit: the source has it with this marker.
            const auto marker = back_mapper_.noteMarker(comment, item.id);
            const auto adopt = [&](std::int64_t id, const std::string& existing) {
                if (source_note == 0 && existing.find(marker) != std::string::npos) {
                    source_note = id;
                }
            };
            if (task) {
                pass_.source.forEachTaskNote(task->source_id, [&](SourceItem& existing) {
                    adopt(existing.id, existing.body->optValue<std::string>("content", ""));
                });
            } else {
                source_.forEachNote(item.kind, container->source_id, adopt);
            }
            if (source_note == 0) source_note = source_.addNote(item.kind, *mapped);
        }
        ++counts_.notes_mirrored;
        unit.notes.push_back(
            {item.kind, source_note, item.id, container->source_id, hash, item.changed});
    } catch (const RecordError& e) {
        poco_warning(pass_.logger, pass_.where() + std::string(comment ? "comment " : "note ") +
                                       std::to_string(item.id) + " of copy " +
                                       std::to_string(item.container) +
                                       " could not be written back to " + pass_.route.source +
                                       ": " + refusalMessage(e));
    }
}

void MirrorBack::task(const SourceItem& item, state::UnitOfWork& unit) {
    if (item.unreadable || !item.body) return;
    const auto known = pass_.store.noteMappingByTarget(pass_.key, RecordKind::Task, item.id);
    if (!known) return;  // not a copy of this route's tasks
    const auto settled = SettledTask::parse(known->content_hash);
    const auto status = parseId(item.body->get("status"));
    if (!settled || !status) return;
    const auto owner = item.body->isNull("owner") ? std::optional<std::int64_t>()
                                                  : parseId(item.body->get("owner"));
    // What the copy was last given or held: unchanged there, or soar-sync's own write.
    const bool status_moved = *status != settled->status;
    const bool owner_moved = pass_.route.mirror_back.owner && settled->ownerMoved(owner);
    if (!status_moved && !owner_moved) return;
    std::optional<WorkbookTask> source;
    for (const auto& phase : pass_.source.workbook(known->source_container_id)) {
        for (const auto& t : phase.tasks) {
            if (t.id == known->source_id) source = t;
        }
    }
    if (!source) return;  // gone from the source
    // The source's task changed since it was settled: a field both sides moved is a conflict.
    const bool source_changed = source->modified_time != known->update_time;
    auto next = *settled;
    bool write_status = false;
    if (status_moved) {
        write_status =
            source->status != *status &&
            WorkbookReplayer::copyWins(pass_, counts_, *source, item.changed, "status",
                                       source_changed && source->status != settled->status,
                                       std::to_string(source->status), std::to_string(*status));
        if (write_status || source->status == *status) next.status = *status;
    }
    bool write_owner = false;
    std::optional<std::int64_t> source_owner;  // the copy's owner, as a user of the source
    if (owner_moved) {
        // Users are matched by name; an unassigned task has the empty name.
        const auto name_of = [](MirrorSide& side, const std::optional<std::int64_t>& user) {
            return user ? side.userName(*user) : std::optional<std::string>(std::string());
        };
        const auto name = name_of(target_, owner);
        if (name && !name->empty()) source_owner = source_.userId(*name);
        if (name && (name->empty() || source_owner)) {
            const bool source_moved = source_changed && name_of(source_, source->owner) !=
                                                            name_of(target_, settled->owner);
            write_owner =
                source->owner != source_owner &&
                WorkbookReplayer::copyWins(pass_, counts_, *source, item.changed, "owner",
                                           source_moved, userText(source->owner), userText(owner));
            if (write_owner || source->owner == source_owner) next.owner = owner;
        } else {
            // Left unsettled: the copy keeps its owner, and no pass writes the source's over it.
            poco_warning(pass_.logger, pass_.where() + "task " + std::to_string(item.id) +
                                           " of copy " + std::to_string(item.container) +
                                           ": its owner, " + userText(owner) + ", has no user of " +
                                           "that name on " + pass_.route.source +
                                           "; the source's task keeps its owner");
        }
    }
    try {
        if (write_owner) {
            Poco::JSON::Object fields;
            fields.set("owner_id",
                       source_owner ? Poco::Dynamic::Var(*source_owner) : Poco::Dynamic::Var());
            source_.writeTask(source->id, fields);
            ++counts_.fields_mirrored;
        }
        if (write_status) {
            WorkbookReplayer::moveTask(
                [&](const Poco::JSON::Object& f) { source_.writeTask(source->id, f); },
                source->status, *status,
                "Closed on " + pass_.key.target + " (written back by soar-sync).");
            ++counts_.fields_mirrored;
        }
    } catch (const RecordError& e) {
        poco_warning(pass_.logger, pass_.where() + "task " + std::to_string(item.id) + " of copy " +
                                       std::to_string(item.container) +
                                       " could not be written back to " + pass_.route.source +
                                       ": " + refusalMessage(e));
        return;
    }
    auto settled_mapping = *known;
    settled_mapping.content_hash = SettledTask::format(next.status, next.owner);
    unit.notes.push_back(settled_mapping);
}

}  // namespace soar::sync
