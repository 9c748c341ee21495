#include "Reconciler.h"

#include "soar/client/Errors.h"
#include "soar/client/Timestamp.h"

#include <Poco/JSON/Object.h>
#include <Poco/Logger.h>

#include <set>
#include <vector>

namespace soar::sync {
namespace {

using state::DeletionAction;

/// The marker of the comment a closed copy gets.
std::string deletedMarker(const std::string& source, std::int64_t source_id) {
    return "[soar-sync:" + source + ":deleted:" + std::to_string(source_id) + "]";
}

}  // namespace

Reconciler::Reconciler(PassScope& pass) : pass_(pass) {}

std::string Reconciler::closingComment(const std::string& source, std::int64_t source_id,
                                       const std::string& found_at) {
    return "The source container " + std::to_string(source_id) + " on " + source +
           " was deleted; soar-sync found it gone at " + found_at +
           " and closed this copy (on_source_delete = close). " + deletedMarker(source, source_id);
}

bool Reconciler::due(const std::optional<state::ReconcileState>& state) const {
    if (!state || state->started_at || !state->finished_at) return true;
    const auto last = Timestamp::parse(*state->finished_at);
    const auto now = Timestamp::parse(pass_.now());
    if (!last || !now) return true;
    const auto interval =
        std::chrono::duration_cast<std::chrono::microseconds>(pass_.route.reconcile_interval);
    return last->plusMicros(interval.count()) <= *now;
}

void Reconciler::run() {
    auto state = pass_.store.reconcileState(pass_.key);
    if (!due(state)) return;
    if (!state) state = state::ReconcileState{};
    if (!state->started_at) {
        state->started_at = pass_.now();
        state->after_id = 0;
        state->checked = state->requests = state->found = 0;
        pass_.store.saveReconcileState(pass_.key, *state);
    }
    const auto page_size = pass_.route.page_size;
    while (!pass_.cancelled()) {
        const auto batch = pass_.store.containerMappings(pass_.key, state->after_id, page_size);
        if (!batch.empty()) {
            std::vector<std::int64_t> ids;
            ids.reserve(batch.size());
            for (const auto& m : batch) ids.push_back(m.source_id);
            const auto existing = pass_.source.existing(ids);
            ++state->requests;
            for (const auto& m : batch) {
                if (existing.count(m.source_id) != 0) continue;
                if (bury(m)) ++state->found;
            }
            state->after_id = batch.back().source_id;
            state->checked += static_cast<std::int64_t>(batch.size());
        }
        if (batch.size() < page_size) {
            state->finished_at = pass_.now();
            state->last_checked = state->checked;
            state->last_requests = state->requests;
            state->last_found = state->found;
            state->started_at.reset();
            pass_.store.saveReconcileState(pass_.key, *state);
            poco_information(pass_.logger,
                             pass_.where() + "reconcile checked " +
                                 std::to_string(state->last_checked) + " copies with " +
                                 std::to_string(state->last_requests) + " requests to " +
                                 pass_.route.source + "; " + std::to_string(state->last_found) +
                                 " deleted there");
            return;
        }
        pass_.store.saveReconcileState(pass_.key, *state);
    }
}

bool Reconciler::bury(const state::ContainerMapping& mapping) {
    state::Tombstone tombstone;
    tombstone.source_id = mapping.source_id;
    tombstone.generation = mapping.generation;
    tombstone.target_id = mapping.target_id;
    tombstone.found_at = pass_.now();
    const auto what = "source container " + std::to_string(mapping.source_id) + " was deleted on " +
                      pass_.route.source + "; its copy " + std::to_string(mapping.target_id) +
                      " on " + pass_.key.target;
    try {
        switch (pass_.route.on_source_delete) {
            case OnSourceDelete::Keep:
                tombstone.action = DeletionAction::Kept;
                poco_information(pass_.logger,
                                 pass_.where() + what + " is kept (on_source_delete = keep)");
                break;
            case OnSourceDelete::Close:
                if (close(mapping, tombstone.found_at)) {
                    tombstone.action = DeletionAction::Closed;
                    ++counts_.copies_closed;
                    poco_information(pass_.logger, pass_.where() + what + " is closed");
                } else {
                    tombstone.action = DeletionAction::Gone;
                    poco_information(pass_.logger, pass_.where() + what + " was already gone");
                }
                break;
            case OnSourceDelete::Delete:
                if (pass_.target.deleteContainer(mapping.target_id)) {
                    tombstone.action = DeletionAction::Deleted;
                    ++counts_.copies_deleted;
                    poco_information(pass_.logger, pass_.where() + what + " is deleted");
                } else {
                    tombstone.action = DeletionAction::Gone;
                    poco_information(pass_.logger, pass_.where() + what + " was already gone");
                }
                break;
        }
    } catch (const RecordError& e) {
        ++counts_.errors;
        poco_warning(pass_.logger, pass_.where() + what + " could not be handled (" +
                                       refusalMessage(e) + "); the next reconcile tries again");
        return false;
    }
    pass_.store.buryContainer(pass_.key, tombstone);
    ++counts_.deletions_found;
    return true;
}

bool Reconciler::close(const state::ContainerMapping& mapping, const std::string& found_at) {
    Poco::JSON::Object fields;
    fields.set("status", "closed");
    try {
        pass_.target.updateContainer(mapping.target_id, fields);
    } catch (const RecordError& e) {
        if (e.httpStatus() == 404) return false;
        throw;
    }
    // A close retried after a crash finds its comment by the marker.
    const auto marker = deletedMarker(pass_.route.source, mapping.source_id);
    bool commented = false;
    pass_.target.forEachNote(state::RecordKind::Comment, mapping.target_id,
                             [&](std::int64_t, const std::string& text) {
                                 commented = commented || text.find(marker) != std::string::npos;
                             });
    if (!commented) {
        Poco::JSON::Object comment;
        comment.set("container_id", mapping.target_id);
        comment.set("comment", closingComment(pass_.route.source, mapping.source_id, found_at));
        (void)pass_.target.createComment(comment);
    }
    return true;
}

}  // namespace soar::sync
