#include "NoteReplayer.h"

#include "soar/client/Errors.h"
#include "soar/sync/RecordMapper.h"

#include <Poco/JSON/Array.h>

namespace soar::sync {

using state::RecordKind;

NoteReplayer::NoteReplayer(PassScope& pass, std::int64_t source_container,
                           std::int64_t target_container, bool fresh, Replayed& out)
    : pass_(pass),
      source_container_(source_container),
      target_container_(target_container),
      fresh_(fresh),
      out_(out) {}

void NoteReplayer::all() {
    std::map<std::pair<RecordKind, std::int64_t>, state::NoteMapping> known;
    if (!fresh_) {
        for (auto& m : pass_.store.noteMappingsOf(pass_.key, source_container_)) {
            known.emplace(std::make_pair(m.kind, m.source_id), std::move(m));
        }
    }
    for (const auto kind : {RecordKind::Note, RecordKind::Comment}) {
        pass_.source.forEachItem(kind, source_container_, [&](SourceItem& item) {
            const auto found = known.find({kind, item.id});
            replay(item, found == known.end() ? std::nullopt
                                              : std::optional<state::NoteMapping>(found->second));
        });
    }
}

void NoteReplayer::one(const SourceItem& item, const std::optional<state::NoteMapping>& known) {
    // A task's note is not the container's: it goes with its task (WorkbookReplayer).
    if (item.kind == RecordKind::Note && item.body->has("task") && !item.body->isNull("task")) {
        return;
    }
    replay(item, known);
}

const std::map<std::pair<bool, std::int64_t>, std::int64_t>& NoteReplayer::copies() {
    if (!copies_) {
        copies_.emplace();
        for (const bool comment : {false, true}) {
            pass_.target.forEachNote(
                comment ? RecordKind::Comment : RecordKind::Note, target_container_,
                [&](std::int64_t id, const std::string& text) {
                    const auto source_id = pass_.mapper.markedSourceId(comment, text);
                    if (source_id >= 0) copies_->emplace(std::make_pair(comment, source_id), id);
                });
        }
    }
    return *copies_;
}

Poco::JSON::Array::Ptr NoteReplayer::fileReferences(const Poco::JSON::Object& note) const {
    const auto given = note.getArray("attachments");
    if (!given) return nullptr;
    Poco::JSON::Array::Ptr out = new Poco::JSON::Array;
    for (const auto& ref : *given) {
        auto id = parseId(ref);
        if (!id && ref.type() == typeid(Poco::JSON::Object::Ptr)) {
            id = parseId(ref.extract<Poco::JSON::Object::Ptr>()->get("id"));
        }
        if (!id) continue;
        // A file copied in this container's replay, else in an earlier one; a file not
        // copied (over the limit, refused) is left out.
        std::optional<std::int64_t> copy;
        for (const auto& m : out_.unit.notes) {
            if (m.kind == RecordKind::Attachment && m.source_id == *id) copy = m.target_id;
        }
        if (!copy) {
            if (const auto stored = pass_.store.noteMapping(pass_.key, RecordKind::Attachment, *id))
                copy = stored->target_id;
        }
        if (copy) out->add(*copy);
    }
    return out;
}

void NoteReplayer::replay(const SourceItem& item, const std::optional<state::NoteMapping>& known) {
    const bool comment = item.kind == RecordKind::Comment;
    // Written back from this target by a two-way route (it carries the target's marker): it
    // is not copied back there. A playbook run's report (report_back) goes nowhere.
    const auto text = item.body->optValue<std::string>(comment ? "comment" : "content", "");
    if (RecordMapper::markedBy(pass_.key.target, text) || RecordMapper::markedBy("result", text)) {
        return;
    }
    auto mapped = comment ? pass_.mapper.comment(*item.body, target_container_)
                          : pass_.mapper.note(*item.body, target_container_);
    if (!comment && pass_.route.attachments) {
        if (const auto files = fileReferences(*item.body)) mapped->set("attachments", files);
    }
    const auto hash = RecordMapper::contentHash(*mapped);
    const auto record = [&](std::int64_t target_id) {
        out_.unit.notes.push_back(
            {item.kind, item.id, target_id, source_container_, hash, item.changed});
        out_.resolve(pass_, item.kind, item.id);
    };
    const auto update = [&](std::int64_t target_id) {
        Poco::JSON::Object fields(*mapped);
        fields.remove("container_id");
        pass_.target.updateNote(target_id, fields);
        ++out_.counts.notes_updated;
        record(target_id);
    };
    try {
        if (known) {
            if (comment || (!pass_.force && known->content_hash == hash)) return;
            try {
                update(known->target_id);
                return;
            } catch (const RecordError& e) {
                if (e.httpStatus() != 404) throw;  // else the target lost it: copy again
            }
        } else if (!fresh_) {
            const auto& found = copies();
            const auto copy = found.find({comment, item.id});
            if (copy != found.end()) {
                if (comment) {
                    record(copy->second);
                } else {
                    update(copy->second);
                }
                return;
            }
        }
        const auto created =
            comment ? pass_.target.createComment(*mapped) : pass_.target.createNote(*mapped);
        ++(comment ? out_.counts.comments_created : out_.counts.notes_created);
        record(created.id);
    } catch (const RecordError& e) {
        out_.refuse(pass_, item.kind, item.id, refusalMessage(e));
    }
}

}  // namespace soar::sync
