#include "PassScope.h"

#include "soar/client/Errors.h"
#include "soar/client/Timestamp.h"

namespace soar::sync {

std::string PassScope::now() const { return Timestamp::at(options.clock->wallNow()).toString(); }

std::string PassScope::where() const { return "route " + key.route + " -> " + key.target + ": "; }

void Replayed::refuse(PassScope& pass, state::RecordKind kind, std::int64_t source_id,
                      std::string message) {
    unit.dead_letters.push_back({{kind, source_id}, std::move(message), pass.now()});
    pass.dead_letters.insert(kind, source_id);
    ++counts.errors;
}

void Replayed::resolve(const PassScope& pass, state::RecordKind kind, std::int64_t source_id) {
    if (pass.dead_letters.contains(kind, source_id)) {
        unit.resolved_dead_letters.push_back({kind, source_id});
    }
}

bool Replayed::wrote() const { return wroteAny(counts); }

bool wroteAny(const state::PassCounts& c) {
    return c.containers_created + c.containers_updated + c.artifacts_created + c.artifacts_updated +
               c.notes_created + c.notes_updated + c.comments_created + c.files_copied +
               c.workbooks_copied + c.tasks_written >
           0;
}

std::string refusalMessage(const RecordError& e) {
    return e.serverMessage().empty() ? std::string(e.what()) : e.serverMessage();
}

int compare(const KeysetCursor& a, const KeysetCursor& b) {
    if (a.timestamp != b.timestamp) {
        if (a.timestamp.empty()) return -1;
        if (b.timestamp.empty()) return 1;
        const auto ta = Timestamp::parse(a.timestamp);
        const auto tb = Timestamp::parse(b.timestamp);
        if (ta && tb && *ta != *tb) return *ta < *tb ? -1 : 1;
        if (!ta || !tb) return a.timestamp < b.timestamp ? -1 : 1;
    }
    if (a.last_id == b.last_id) return 0;
    return a.last_id < b.last_id ? -1 : 1;
}

}  // namespace soar::sync
