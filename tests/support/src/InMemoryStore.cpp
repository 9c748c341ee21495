#include "support/InMemoryStore.h"

#include "soar/state/StateError.h"

#include <algorithm>
#include <iterator>

namespace soar::test {

using namespace soar::state;

namespace {

/// A `StateError` worded like the real store's, naming the (route, target).
StateError constraint(const RouteTarget& key, const std::string& what) {
    return StateError(StateError::Kind::Constraint,
                      "in-memory store: committing a unit of work "
                      "failed: " +
                          what + " (route '" + key.route + "', target '" + key.target + "')");
}

bool isNoteKind(RecordKind kind) {
    return kind == RecordKind::Note || kind == RecordKind::Comment ||
           kind == RecordKind::Attachment || kind == RecordKind::Task;
}

/// The note mappings of the given kinds.
template <class Notes>
std::int64_t countNotes(const Notes& notes, std::initializer_list<RecordKind> kinds) {
    std::int64_t n = 0;
    for (const auto& entry : notes) {
        for (const auto kind : kinds) n += entry.second.kind == kind ? 1 : 0;
    }
    return n;
}

std::pair<std::string, std::int64_t> kindAndId(RecordKind kind, std::int64_t id) {
    return {std::string(toString(kind)), id};
}

/// Forgets the artifact and note mappings of one container (the real store's cascade).
template <class Map>
void eraseOf(Map& map, std::int64_t source_container_id) {
    for (auto it = map.begin(); it != map.end();) {
        it = it->second.source_container_id == source_container_id ? map.erase(it) : std::next(it);
    }
}

}  // namespace

InMemoryStore::Stored& InMemoryStore::writable(const RouteTarget& key) {
    checkFence(key.route);
    return stored_[key];
}

const InMemoryStore::Stored* InMemoryStore::find(const RouteTarget& key) const {
    const auto it = stored_.find(key);
    return it == stored_.end() ? nullptr : &it->second;
}

// --- Cursors -----------------------------------------------------------------------------

std::optional<Cursor> InMemoryStore::cursor(const RouteTarget& key, Stream stream) const {
    std::lock_guard<std::mutex> lock(mutex_);
    const auto* stored = find(key);
    if (!stored) return std::nullopt;
    const auto it = stored->cursors.find(stream);
    if (it == stored->cursors.end()) return std::nullopt;
    return it->second;
}

std::vector<Cursor> InMemoryStore::cursors(const RouteTarget& key) const {
    std::lock_guard<std::mutex> lock(mutex_);
    std::vector<Cursor> out;
    if (const auto* stored = find(key)) {
        for (const auto& [stream, cursor] : stored->cursors) out.push_back(cursor);
    }
    return out;
}

void InMemoryStore::setCursor(const RouteTarget& key, const Cursor& cursor) {
    std::lock_guard<std::mutex> lock(mutex_);
    writable(key).cursors[cursor.stream] = cursor;
}

void InMemoryStore::clearCursors(const RouteTarget& key) {
    std::lock_guard<std::mutex> lock(mutex_);
    writable(key).cursors.clear();
}

// --- Mappings ----------------------------------------------------------------------------

std::optional<ContainerMapping> InMemoryStore::containerMapping(
    const RouteTarget& key, std::int64_t source_container_id) const {
    std::lock_guard<std::mutex> lock(mutex_);
    const auto* stored = find(key);
    if (!stored) return std::nullopt;
    const auto it = stored->containers.find(source_container_id);
    if (it == stored->containers.end()) return std::nullopt;
    return it->second;
}

std::optional<ArtifactMapping> InMemoryStore::artifactMapping(
    const RouteTarget& key, std::int64_t source_artifact_id) const {
    std::lock_guard<std::mutex> lock(mutex_);
    const auto* stored = find(key);
    if (!stored) return std::nullopt;
    const auto it = stored->artifacts.find(source_artifact_id);
    if (it == stored->artifacts.end()) return std::nullopt;
    return it->second;
}

std::vector<ContainerMapping> InMemoryStore::findContainerMappings(
    const RouteTarget& key, const std::vector<std::int64_t>& source_container_ids) const {
    std::lock_guard<std::mutex> lock(mutex_);
    std::vector<ContainerMapping> out;
    const auto* stored = find(key);
    if (!stored) return out;
    for (const auto id : source_container_ids) {
        const auto it = stored->containers.find(id);
        if (it != stored->containers.end()) out.push_back(it->second);
    }
    return out;
}

std::vector<ArtifactMapping> InMemoryStore::findArtifactMappings(
    const RouteTarget& key, const std::vector<std::int64_t>& source_artifact_ids) const {
    std::lock_guard<std::mutex> lock(mutex_);
    std::vector<ArtifactMapping> out;
    const auto* stored = find(key);
    if (!stored) return out;
    for (const auto id : source_artifact_ids) {
        const auto it = stored->artifacts.find(id);
        if (it != stored->artifacts.end()) out.push_back(it->second);
    }
    return out;
}

std::optional<NoteMapping> InMemoryStore::noteMapping(const RouteTarget& key, RecordKind kind,
                                                      std::int64_t source_id) const {
    std::lock_guard<std::mutex> lock(mutex_);
    const auto* stored = find(key);
    if (!stored) return std::nullopt;
    const auto it = stored->notes.find(kindAndId(kind, source_id));
    if (it == stored->notes.end()) return std::nullopt;
    return it->second;
}

std::optional<ContainerMapping> InMemoryStore::containerMappingByTarget(
    const RouteTarget& key, std::int64_t target_container_id) const {
    std::lock_guard<std::mutex> lock(mutex_);
    if (const auto* stored = find(key)) {
        for (const auto& [id, c] : stored->containers) {
            if (c.target_id == target_container_id) return c;
        }
    }
    return std::nullopt;
}

std::optional<NoteMapping> InMemoryStore::noteMappingByTarget(const RouteTarget& key,
                                                              RecordKind kind,
                                                              std::int64_t target_id) const {
    std::lock_guard<std::mutex> lock(mutex_);
    if (const auto* stored = find(key)) {
        for (const auto& [id, note] : stored->notes) {
            if (note.kind == kind && note.target_id == target_id) return note;
        }
    }
    return std::nullopt;
}

std::optional<MirrorState> InMemoryStore::mirrorState(const RouteTarget& key,
                                                      std::int64_t source_container_id) const {
    std::lock_guard<std::mutex> lock(mutex_);
    const auto* stored = find(key);
    if (!stored) return std::nullopt;
    const auto it = stored->mirrors.find(source_container_id);
    if (it == stored->mirrors.end()) return std::nullopt;
    return it->second;
}

std::vector<NoteMapping> InMemoryStore::noteMappingsOf(const RouteTarget& key,
                                                       std::int64_t source_container_id) const {
    std::lock_guard<std::mutex> lock(mutex_);
    std::vector<NoteMapping> out;
    if (const auto* stored = find(key)) {
        for (const auto& [id, note] : stored->notes) {
            if (note.source_container_id == source_container_id) out.push_back(note);
        }
    }
    return out;
}

std::vector<ArtifactMapping> InMemoryStore::artifactMappingsOf(
    const RouteTarget& key, std::int64_t source_container_id) const {
    std::lock_guard<std::mutex> lock(mutex_);
    std::vector<ArtifactMapping> out;
    if (const auto* stored = find(key)) {
        for (const auto& [id, artifact] : stored->artifacts) {
            if (artifact.source_container_id == source_container_id) out.push_back(artifact);
        }
    }
    return out;
}

std::vector<ContainerMapping> InMemoryStore::containerMappings(const RouteTarget& key,
                                                               std::int64_t after_source_id,
                                                               std::size_t limit) const {
    std::lock_guard<std::mutex> lock(mutex_);
    std::vector<ContainerMapping> out;
    const auto* stored = find(key);
    if (!stored) return out;
    for (auto it = stored->containers.upper_bound(after_source_id);
         it != stored->containers.end() && out.size() < limit; ++it) {
        out.push_back(it->second);
    }
    return out;
}

MappingCounts InMemoryStore::mappingCounts(const RouteTarget& key) const {
    std::lock_guard<std::mutex> lock(mutex_);
    MappingCounts counts;
    if (const auto* stored = find(key)) {
        counts.containers = static_cast<std::int64_t>(stored->containers.size());
        counts.artifacts = static_cast<std::int64_t>(stored->artifacts.size());
        counts.notes = countNotes(stored->notes, {RecordKind::Note, RecordKind::Comment});
        counts.files = countNotes(stored->notes, {RecordKind::Attachment});
        counts.tasks = countNotes(stored->notes, {RecordKind::Task});
    }
    return counts;
}

bool InMemoryStore::forget(Stored& stored, std::int64_t source_container_id) {
    stored.strikes.erase(source_container_id);  // mapped or not, as the real store
    if (stored.containers.erase(source_container_id) == 0) return false;
    eraseOf(stored.artifacts, source_container_id);
    eraseOf(stored.notes, source_container_id);
    stored.mirrors.erase(source_container_id);
    return true;
}

bool InMemoryStore::deleteContainerMapping(const RouteTarget& key,
                                           std::int64_t source_container_id) {
    std::lock_guard<std::mutex> lock(mutex_);
    return forget(writable(key), source_container_id);
}

bool InMemoryStore::deleteArtifactMapping(const RouteTarget& key, std::int64_t source_artifact_id) {
    std::lock_guard<std::mutex> lock(mutex_);
    return writable(key).artifacts.erase(source_artifact_id) > 0;
}

std::int64_t InMemoryStore::deleteMappings(const RouteTarget& key) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto& stored = writable(key);
    const auto containers = static_cast<std::int64_t>(stored.containers.size());
    stored.containers.clear();
    stored.artifacts.clear();
    stored.notes.clear();
    stored.mirrors.clear();
    stored.strikes.clear();
    return containers;
}

// --- The unit of work --------------------------------------------------------------------

void InMemoryStore::setCommitHook(std::function<void(const UnitOfWork&)> hook) {
    std::lock_guard<std::mutex> lock(mutex_);
    commit_hook_ = std::move(hook);
}

CommitResult InMemoryStore::commit(const UnitOfWork& unit) {
    std::function<void(const UnitOfWork&)> hook;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        hook = commit_hook_;
    }
    if (hook) hook(unit);
    std::lock_guard<std::mutex> lock(mutex_);
    // All or nothing: the unit goes into a copy of the (route, target)'s records, which
    // replaces them only once every check passed. Intents go last, after the last check, since
    // recording one also files the run under its id.
    Stored draft = writable(unit.key);
    for (const auto& run : unit.playbook_intents) {
        if (run.key != unit.key) {
            throw constraint(unit.key, "a playbook intent for route '" + run.key.route +
                                           "', target '" + run.key.target + "'");
        }
    }
    for (const auto& c : unit.containers) draft.containers[c.source_id] = c;
    for (const auto& a : unit.artifacts) {
        if (draft.containers.count(a.source_container_id) == 0) {
            throw constraint(unit.key, "artifact " + std::to_string(a.source_id) +
                                           " names unmapped container " +
                                           std::to_string(a.source_container_id));
        }
        draft.artifacts[a.source_id] = a;
    }
    for (const auto& n : unit.notes) {
        if (!isNoteKind(n.kind)) {
            throw constraint(unit.key, "a note mapping of kind " + std::string(toString(n.kind)));
        }
        if (draft.containers.count(n.source_container_id) == 0) {
            throw constraint(
                unit.key, std::string(toString(n.kind)) + " " + std::to_string(n.source_id) +
                              " names unmapped container " + std::to_string(n.source_container_id));
        }
        draft.notes[kindAndId(n.kind, n.source_id)] = n;
    }
    for (const auto& m : unit.mirrors) {
        if (draft.containers.count(m.source_id) == 0) {
            throw constraint(unit.key, "the two-way fields of unmapped container " +
                                           std::to_string(m.source_id));
        }
        draft.mirrors[m.source_id] = m;
    }
    for (const auto& c : unit.cursors) draft.cursors[c.stream] = c;
    for (const auto& d : unit.resolved_dead_letters) {
        draft.dead_letters.erase(kindAndId(d.kind, d.source_id));
    }
    CommitResult result;
    for (const auto& d : unit.dead_letters) {
        std::int64_t attempts = 0;
        upsertDeadLetter(draft, unit.key, d.ref, d.message, d.at, attempts);
        result.dead_letter_attempts.push_back(attempts);
    }
    for (const auto& run : unit.playbook_intents) {
        result.intents.push_back(insertIntent(draft, run));
    }
    stored_[unit.key] = std::move(draft);
    return result;
}

// --- Playbook runs -----------------------------------------------------------------------

RecordedIntent InMemoryStore::insertIntent(Stored& stored, const PlaybookRun& run) {
    const auto known = stored.triggers.find(run.trigger_key);
    if (known != stored.triggers.end()) return RecordedIntent{runs_.at(known->second), false};
    PlaybookRun recorded = run;
    recorded.id = next_run_id_++;
    recorded.run_id = std::nullopt;
    recorded.status = RunStatus::Intent;
    recorded.report = ReportState::None;
    recorded.updated_at = run.created_at;
    stored.triggers.emplace(run.trigger_key, recorded.id);
    runs_.emplace(recorded.id, recorded);
    return RecordedIntent{recorded, true};
}

RecordedIntent InMemoryStore::recordPlaybookIntent(const PlaybookRun& run) {
    std::lock_guard<std::mutex> lock(mutex_);
    return insertIntent(writable(run.key), run);
}

bool InMemoryStore::updatePlaybookRun(std::int64_t id, RunStatus status,
                                      std::optional<std::int64_t> run_id,
                                      const std::string& message, const std::string& at) {
    std::lock_guard<std::mutex> lock(mutex_);
    const auto it = runs_.find(id);
    if (it == runs_.end()) return false;
    checkFence(it->second.key.route);
    auto& run = it->second;
    run.status = status;
    if (run_id) run.run_id = run_id;
    run.message = message;
    run.updated_at = at;
    return true;
}

std::optional<PlaybookRun> InMemoryStore::playbookRun(const RouteTarget& key,
                                                      const std::string& trigger_key) const {
    std::lock_guard<std::mutex> lock(mutex_);
    const auto* stored = find(key);
    if (!stored) return std::nullopt;
    const auto it = stored->triggers.find(trigger_key);
    if (it == stored->triggers.end()) return std::nullopt;
    return runs_.at(it->second);
}

std::vector<PlaybookRun> InMemoryStore::pendingPlaybookRuns(const RouteTarget& key) const {
    std::lock_guard<std::mutex> lock(mutex_);
    std::vector<PlaybookRun> out;
    for (const auto& [id, run] : runs_) {  // by id: oldest first
        if (run.key == key && !isTerminal(run.status)) out.push_back(run);
    }
    return out;
}

std::vector<PlaybookRun> InMemoryStore::unreportedPlaybookRuns(const RouteTarget& key) const {
    std::lock_guard<std::mutex> lock(mutex_);
    std::vector<PlaybookRun> out;
    for (const auto& [id, run] : runs_) {
        if (run.key == key && isTerminal(run.status) &&
            (run.report == ReportState::None || run.report == ReportState::Sending)) {
            out.push_back(run);
        }
    }
    return out;
}

bool InMemoryStore::setPlaybookReport(std::int64_t id, ReportState state) {
    std::lock_guard<std::mutex> lock(mutex_);
    const auto found = runs_.find(id);
    if (found == runs_.end()) return false;
    checkFence(found->second.key.route);
    found->second.report = state;
    return true;
}

std::map<RunStatus, std::int64_t> InMemoryStore::playbookRunCounts(const RouteTarget& key) const {
    std::lock_guard<std::mutex> lock(mutex_);
    std::map<RunStatus, std::int64_t> out;
    for (const auto& [id, run] : runs_) {
        if (run.key == key) ++out[run.status];
    }
    return out;
}

// --- Dead letters ------------------------------------------------------------------------

void InMemoryStore::upsertDeadLetter(Stored& stored, const RouteTarget& key,
                                     const DeadLetterRef& ref, const std::string& message,
                                     const std::string& at, std::int64_t& attempts) {
    auto [it, inserted] = stored.dead_letters.try_emplace(kindAndId(ref.kind, ref.source_id));
    auto& letter = it->second;
    if (inserted) {
        letter.key = key;
        letter.kind = ref.kind;
        letter.source_id = ref.source_id;
        letter.first_seen = at;
    }
    letter.message = message;
    letter.last_seen = at;
    attempts = ++letter.attempts;
}

std::int64_t InMemoryStore::recordDeadLetter(const RouteTarget& key, const DeadLetterRef& ref,
                                             const std::string& message, const std::string& at) {
    std::lock_guard<std::mutex> lock(mutex_);
    std::int64_t attempts = 0;
    upsertDeadLetter(writable(key), key, ref, message, at, attempts);
    return attempts;
}

std::vector<DeadLetter> InMemoryStore::deadLetters(const RouteTarget& key) const {
    std::lock_guard<std::mutex> lock(mutex_);
    std::vector<DeadLetter> out;
    const auto* stored = find(key);
    if (!stored) return out;
    for (const auto& [id, letter] : stored->dead_letters) out.push_back(letter);
    // The map is by (kind name, source id); oldest first ahead of that.
    std::stable_sort(out.begin(), out.end(), [](const DeadLetter& a, const DeadLetter& b) {
        return a.first_seen < b.first_seen;
    });
    return out;
}

std::int64_t InMemoryStore::deadLetterCount(const RouteTarget& key) const {
    std::lock_guard<std::mutex> lock(mutex_);
    const auto* stored = find(key);
    return stored ? static_cast<std::int64_t>(stored->dead_letters.size()) : 0;
}

bool InMemoryStore::clearDeadLetter(const RouteTarget& key, const DeadLetterRef& ref) {
    std::lock_guard<std::mutex> lock(mutex_);
    return writable(key).dead_letters.erase(kindAndId(ref.kind, ref.source_id)) > 0;
}

// --- Strikes -----------------------------------------------------------------------------

Strike InMemoryStore::addStrike(const RouteTarget& key, std::int64_t source_id,
                                const std::string& pass_started_at) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto [it, inserted] = writable(key).strikes.try_emplace(source_id);
    auto& strike = it->second;
    if (inserted) {
        strike.source_id = source_id;
        strike.first_pass_at = pass_started_at;
    }
    ++strike.passes;
    return strike;
}

std::vector<Strike> InMemoryStore::strikes(const RouteTarget& key) const {
    std::lock_guard<std::mutex> lock(mutex_);
    std::vector<Strike> out;
    if (const auto* stored = find(key)) {
        for (const auto& [id, strike] : stored->strikes) out.push_back(strike);  // by source id
    }
    return out;
}

bool InMemoryStore::clearStrike(const RouteTarget& key, std::int64_t source_id) {
    std::lock_guard<std::mutex> lock(mutex_);
    return writable(key).strikes.erase(source_id) > 0;
}

// --- Lists -------------------------------------------------------------------------------

std::vector<ListCopy> InMemoryStore::listCopies(const RouteTarget& key) const {
    std::lock_guard<std::mutex> lock(mutex_);
    std::vector<ListCopy> out;
    if (const auto* stored = find(key)) {
        for (const auto& [name, copy] : stored->lists) out.push_back(copy);  // by name
    }
    return out;
}

void InMemoryStore::recordListCopy(const RouteTarget& key, const ListCopy& copy) {
    std::lock_guard<std::mutex> lock(mutex_);
    writable(key).lists[copy.name] = copy;
}

// --- Reconcile ---------------------------------------------------------------------------

std::optional<ReconcileState> InMemoryStore::reconcileState(const RouteTarget& key) const {
    std::lock_guard<std::mutex> lock(mutex_);
    const auto* stored = find(key);
    return stored ? stored->reconcile : std::nullopt;
}

void InMemoryStore::saveReconcileState(const RouteTarget& key, const ReconcileState& state) {
    std::lock_guard<std::mutex> lock(mutex_);
    writable(key).reconcile = state;
}

void InMemoryStore::buryContainer(const RouteTarget& key, const Tombstone& tombstone) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto& stored = writable(key);
    stored.tombstones[{tombstone.source_id, tombstone.generation}] = tombstone;
    (void)forget(stored, tombstone.source_id);
}

std::int64_t InMemoryStore::tombstonesOf(const RouteTarget& key, std::int64_t source_id) const {
    std::lock_guard<std::mutex> lock(mutex_);
    const auto* stored = find(key);
    if (!stored) return 0;
    std::int64_t n = 0;
    for (const auto& [at, tombstone] : stored->tombstones) n += at.first == source_id ? 1 : 0;
    return n;
}

std::map<std::int64_t, std::int64_t> InMemoryStore::tombstonesOf(
    const RouteTarget& key, const std::vector<std::int64_t>& source_ids) const {
    std::map<std::int64_t, std::int64_t> out;
    for (const auto id : source_ids) {
        if (const auto n = tombstonesOf(key, id); n > 0) out[id] = n;
    }
    return out;
}

std::vector<Tombstone> InMemoryStore::tombstones(const RouteTarget& key) const {
    std::lock_guard<std::mutex> lock(mutex_);
    std::vector<Tombstone> out;
    if (const auto* stored = find(key)) {
        for (const auto& [at, tombstone] : stored->tombstones) out.push_back(tombstone);
    }
    return out;
}

// --- Passes and health -------------------------------------------------------------------

void InMemoryStore::recordPass(const RouteTarget& key, const PassRecord& pass) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto& passes = writable(key).passes;
    passes.push_back(pass);
    if (passes.size() > kKeptPasses) {
        passes.erase(passes.begin(),
                     passes.begin() + static_cast<std::ptrdiff_t>(passes.size() - kKeptPasses));
    }
}

std::optional<PassRecord> InMemoryStore::lastPass(const RouteTarget& key) const {
    std::lock_guard<std::mutex> lock(mutex_);
    const auto* stored = find(key);
    if (!stored || stored->passes.empty()) return std::nullopt;
    return stored->passes.back();
}

std::vector<PassRecord> InMemoryStore::recentPasses(const RouteTarget& key,
                                                    std::size_t limit) const {
    std::lock_guard<std::mutex> lock(mutex_);
    std::vector<PassRecord> out;
    const auto* stored = find(key);
    if (!stored) return out;
    for (auto it = stored->passes.rbegin(); it != stored->passes.rend() && out.size() < limit;
         ++it) {
        out.push_back(*it);
    }
    return out;
}

void InMemoryStore::markFailing(const RouteTarget& key, const std::string& message,
                                const std::string& at) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto& health = writable(key).health;
    health.last_error = message;
    health.last_error_at = at;
    if (!health.failing_since) health.failing_since = at;
}

void InMemoryStore::recordError(const RouteTarget& key, const std::string& message,
                                const std::string& at) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto& health = writable(key).health;
    health.last_error = message;
    health.last_error_at = at;
}

void InMemoryStore::markHealthy(const RouteTarget& key) {
    std::lock_guard<std::mutex> lock(mutex_);
    writable(key).health.failing_since = std::nullopt;
}

TargetHealth InMemoryStore::health(const RouteTarget& key) const {
    std::lock_guard<std::mutex> lock(mutex_);
    const auto* stored = find(key);
    return stored ? stored->health : TargetHealth{};
}

// --- Status ------------------------------------------------------------------------------

std::vector<RouteTarget> InMemoryStore::targets() const {
    std::lock_guard<std::mutex> lock(mutex_);
    std::vector<RouteTarget> out;
    for (const auto& [key, stored] : stored_) out.push_back(key);  // a std::map: sorted
    return out;
}

TargetStatus InMemoryStore::status(const RouteTarget& key) const {
    std::lock_guard<std::mutex> lock(mutex_);  // one snapshot
    TargetStatus out;
    out.key = key;
    const auto* stored = find(key);
    if (!stored) return out;
    for (const auto& [stream, cursor] : stored->cursors) out.cursors.push_back(cursor);
    if (!stored->passes.empty()) out.last_pass = stored->passes.back();
    out.health = stored->health;
    out.mappings.containers = static_cast<std::int64_t>(stored->containers.size());
    out.mappings.artifacts = static_cast<std::int64_t>(stored->artifacts.size());
    out.mappings.notes = countNotes(stored->notes, {RecordKind::Note, RecordKind::Comment});
    out.mappings.files = countNotes(stored->notes, {RecordKind::Attachment});
    out.mappings.tasks = countNotes(stored->notes, {RecordKind::Task});
    out.dead_letters = static_cast<std::int64_t>(stored->dead_letters.size());
    for (const auto& [id, run] : runs_) {
        if (run.key == key) ++out.playbook_runs[run.status];
    }
    for (const auto& [name, copy] : stored->lists) out.lists.push_back(copy);
    out.reconcile = stored->reconcile;
    for (const auto& [at, tombstone] : stored->tombstones) ++out.tombstones[tombstone.action];
    return out;
}

}  // namespace soar::test
