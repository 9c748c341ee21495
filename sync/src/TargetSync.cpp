#include "soar/sync/TargetSync.h"

#include "soar/client/Errors.h"
#include "soar/client/Paging.h"
#include "soar/state/StateError.h"
#include "soar/sync/Frontier.h"

#include <Poco/JSON/Array.h>
#include <Poco/Logger.h>

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <exception>
#include <iterator>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>
#include <unordered_map>
#include <utility>

namespace soar::sync {
namespace {

using Poco::JSON::Object;
using state::RecordKind;
using state::Stream;

struct StreamSpec {
    Stream stream;
    /// The collection walked and the timestamp field it is walked by.
    const char* path;
    const char* field;
    /// What the records are: containers, or notes and comments of containers.
    RecordKind kind;
};

constexpr StreamSpec kCreated{Stream::ContainersCreated, "container", "create_time",
                              RecordKind::Container};
constexpr StreamSpec kUpdated{Stream::ContainersUpdated, "container", "container_update_time",
                              RecordKind::Container};
constexpr StreamSpec kArtifacts{Stream::Artifacts, "container", "artifact_update_time",
                                RecordKind::Container};
constexpr StreamSpec kNotes{Stream::Notes, "note", "modified_time", RecordKind::Note};
constexpr StreamSpec kComments{Stream::Comments, "container_comment", "time", RecordKind::Comment};

std::optional<std::string> optString(const Object& record, const std::string& key) {
    if (!record.has(key) || record.isNull(key)) return std::nullopt;
    return record.get(key).toString();
}

std::int64_t requireId(const Object& record, const char* what) {
    const auto id = record.has("id") ? parseId(record.get("id")) : std::nullopt;
    if (!id) throw ProtocolError(std::string("a source ") + what + " has no numeric id");
    return *id;
}

/// Orders walk positions: by timestamp (parsed, so `Z` and `+00:00` compare right), then id.
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

KeysetCursor toKeyset(const state::Cursor& c) { return {c.timestamp, c.last_id}; }
state::Cursor toCursor(Stream stream, const KeysetCursor& k) {
    return {stream, k.timestamp, k.last_id};
}

/// `clock`'s wall time as the store keeps it.
std::string nowText(const Clock& clock) { return Timestamp::at(clock.wallNow()).toString(); }

std::string messageOf(const RecordError& e) {
    return e.serverMessage().empty() ? std::string(e.what()) : e.serverMessage();
}

bool isRefusal(ErrorKind kind) {
    return kind == ErrorKind::Auth || kind == ErrorKind::Tls || kind == ErrorKind::Config;
}

}  // namespace

const char* toString(PassOutcome outcome) {
    switch (outcome) {
        case PassOutcome::Ok:
            return "ok";
        case PassOutcome::RecordErrors:
            return "errors";
        case PassOutcome::Interrupted:
            return "interrupted";
        case PassOutcome::Failing:
            return "failing";
        case PassOutcome::Cancelled:
            return "cancelled";
    }
    return "unknown";
}

/// One pass (or resync, or dead-letter re-drive): the worker threads, the frontier of the
/// stream being walked, the pass's counts and its first fatal error.
class TargetSync::Pass {
public:
    Pass(TargetSync& owner, bool force, const std::atomic<bool>* stop)
        : owner_(owner), force_(force), stop_(stop), started_(owner.options_.clock->now()) {
        {
            std::lock_guard<std::mutex> lock(owner_.strikes_mutex_);
            number_ = ++owner_.passes_started_;
        }
        for (const auto& letter : owner_.store_.deadLetters(owner_.key_)) {
            dead_letters_.insert({letter.kind, letter.source_id});
        }
        LiveStatus live;
        live.running = true;
        live.started_at = nowText(*owner_.options_.clock);
        owner_.publish(live);
        const unsigned workers = owner_.options_.in_flight == 0 ? 1 : owner_.options_.in_flight;
        for (unsigned i = 0; i < workers; ++i) threads_.emplace_back([this] { workerLoop(); });
    }

    ~Pass() {
        {
            std::lock_guard<std::mutex> lock(mutex_);
            closing_ = true;
        }
        work_ready_.notify_all();
        for (auto& t : threads_) t.join();
        LiveStatus live = owner_.live();
        live.running = false;
        live.activity.clear();
        owner_.publish(live);
    }

    Pass(const Pass&) = delete;
    Pass& operator=(const Pass&) = delete;

    /// Walks one stream from `start`, replaying each container on the workers. With
    /// `stored`, the stream's cursor is committed as the frontier moves past it.
    void walk(const StreamSpec& spec, const KeysetCursor& start, std::optional<KeysetCursor> stored,
              bool commit_cursor) {
        drain();  // a new stream starts with nothing in flight
        owner_.publishActivity(std::string("walking ") + spec.field);
        {
            std::lock_guard<std::mutex> lock(mutex_);
            frontier_ = Frontier();
            stream_ = spec.stream;
            commit_cursor_ = commit_cursor;
            stored_ = std::move(stored);
        }
        KeysetWalkResult result;
        // Notes and comments carry no container fields to filter on: the walk reads them all
        // and keeps those whose container this route copied (it is mapped).
        Query query = owner_.routeQuery();
        if (spec.kind != RecordKind::Container) {
            query = Query();
            query.pageSize(owner_.route_.page_size);
        }
        // Records are handed to the workers a page at a time, so that the artifacts of the
        // page's containers are read together (prefetchArtifacts).
        std::vector<std::pair<Record, KeysetCursor>> page;
        const auto flush = [&] {
            Mappings known;
            if (spec.kind == RecordKind::Container) {
                known = mappingsOf(page);
                prefetchArtifacts(page, known);
            }
            bool go_on = true;
            for (const auto& [record, position] : page) {
                if (!(go_on = submit(record, position, spec.kind, &known))) break;
            }
            page.clear();
            return go_on;
        };
        try {
            result = keysetWalk(
                owner_.source_, spec.path, spec.field, query, start,
                [&](const Record& record, const KeysetCursor& position) {
                    ++seen_;
                    logProgress();
                    page.emplace_back(record, position);
                    return page.size() < owner_.route_.page_size || flush();
                },
                {}, [&](std::int64_t count) { total_ = seen_ + count; });
            if (!result.stopped && !flush()) result.stopped = true;
        } catch (...) {
            fail(std::current_exception());
        }
        drain();
        std::lock_guard<std::mutex> lock(mutex_);
        if (error_ || result.stopped || !commit_cursor_) return;
        // The walk ran to its end and every container finished: the cursor moves past the
        // last group read (or stays, when nothing was found).
        if (!stored_ || compare(result.end, *stored_) > 0) {
            if (!result.end.timestamp.empty()) {
                owner_.store_.setCursor(owner_.key_, toCursor(spec.stream, result.end));
                stored_ = result.end;
            }
        }
    }

    /// Replays one container by its source id (resync by id, retry-dead). False when the
    /// source no longer has it.
    bool replayId(std::int64_t source_id) {
        auto record = owner_.source_.get("container", source_id);
        if (!record) return false;
        {
            // Replays by id move no cursor; the frontier only keeps the sequence numbering.
            std::lock_guard<std::mutex> lock(mutex_);
            commit_cursor_ = false;
        }
        ++seen_;
        submit(*record, KeysetCursor{}, RecordKind::Container, nullptr);
        return true;
    }

    void drain() {
        std::unique_lock<std::mutex> lock(mutex_);
        idle_.wait(lock, [this] { return queue_.empty() && active_ == 0 && !committing_; });
    }

    void fail(std::exception_ptr error) {
        std::lock_guard<std::mutex> lock(mutex_);
        if (!error_) error_ = std::move(error);
        space_.notify_all();
    }

    [[nodiscard]] bool stopped() const {
        std::lock_guard<std::mutex> lock(mutex_);
        return error_ != nullptr || cancelled();
    }

    PassResult result() {
        drain();
        PassResult r;
        std::lock_guard<std::mutex> lock(mutex_);
        r.counts = counts_;
        r.dead_lettered = dead_lettered_;
        r.seen = seen_;
        r.duration = std::chrono::duration_cast<std::chrono::milliseconds>(
            owner_.options_.clock->now() - started_);
        if (error_) {
            r.outcome = PassOutcome::Interrupted;
            try {
                std::rethrow_exception(error_);
            } catch (const SoarError& e) {
                r.error = e.what();
                if (isRefusal(e.kind())) r.outcome = PassOutcome::Failing;
                r.unreachable = dynamic_cast<const UnreachableError*>(&e) != nullptr;
            } catch (const std::exception& e) {
                r.error = e.what();
            }
        } else if (cancelled()) {
            r.outcome = PassOutcome::Cancelled;
        } else if (dead_lettered_ > 0) {
            r.outcome = PassOutcome::RecordErrors;
        }
        return r;
    }

private:
    struct Job {
        std::uint64_t sequence = 0;
        Record record;
        /// The container the job writes to: jobs of one container never run at once.
        std::int64_t id = 0;
        RecordKind kind = RecordKind::Container;
    };

    /// What one container's replay wrote, to commit once the target accepted it.
    struct Replayed {
        state::UnitOfWork unit;
        state::PassCounts counts;
        /// A playbook run to request once the unit is committed.
        std::optional<state::PlaybookRun> intent;
    };

    [[nodiscard]] bool cancelled() const { return stop_ != nullptr && stop_->load(); }

    using Mappings = std::unordered_map<std::int64_t, state::ContainerMapping>;

    /// The stored mappings of a page's containers, in one read (none on a resync, which
    /// writes everything again).
    Mappings mappingsOf(const std::vector<std::pair<Record, KeysetCursor>>& page) {
        Mappings known;
        if (force_ || page.empty()) return known;
        std::vector<std::int64_t> ids;
        ids.reserve(page.size());
        for (const auto& entry : page) {
            const auto id = entry.first->has("id") ? parseId(entry.first->get("id")) : std::nullopt;
            if (id) ids.push_back(*id);
        }
        for (auto& m : owner_.store_.findContainerMappings(owner_.key_, ids)) {
            const auto id = m.source_id;
            known.emplace(id, std::move(m));
        }
        return known;
    }

    /// Queues a record; blocks while the queue is full or the same container is still being
    /// replayed. A container whose stored mapping already has the change timestamps read now
    /// (`known`) was written at this version, in this pass (another stream) or an earlier
    /// one: only the cursor moves. False stops the walk (an error, or shutdown).
    bool submit(const Record& record, const KeysetCursor& position, RecordKind kind,
                const Mappings* known) {
        const bool container = kind == RecordKind::Container;
        std::int64_t id = 0;
        if (container) {
            id = requireId(*record, "container");
        } else {
            const auto of =
                record->has("container") ? parseId(record->get("container")) : std::nullopt;
            if (!of) throw ProtocolError("a source note or comment names no container");
            id = *of;
        }
        // The change timestamps identify what was replayed: a container met again with the
        // same ones is done; one edited since is replayed again.
        const auto create_time = container ? optString(*record, "create_time") : std::nullopt;
        const auto update_time =
            container ? optString(*record, "container_update_time") : std::nullopt;
        const auto artifact_time =
            container ? optString(*record, "artifact_update_time") : std::nullopt;
        const std::string version =
            container ? update_time.value_or("-") + "|" + artifact_time.value_or("-")
                      : std::string();
        bool written_already = false;
        if (container && !force_ && known) {
            const auto m = known->find(id);
            written_already = m != known->end() && m->second.create_time == create_time &&
                              m->second.container_update_time == update_time &&
                              m->second.artifact_update_time == artifact_time;
        }
        std::unique_lock<std::mutex> lock(mutex_);
        // Up to a page waits in the queue, so the walk reads the next page (and its
        // artifacts) while the workers replay this one.
        space_.wait(lock, [&] {
            return error_ || cancelled() ||
                   (queue_.size() + active_ < threads_.size() + owner_.route_.page_size &&
                    busy_ids_.count(id) == 0);
        });
        if (error_ || cancelled()) return false;
        const auto sequence = frontier_.add(position);
        const auto done = container ? replayed_.find(id) : replayed_.end();
        // A dead-lettered container met again in the lookback overlap (at or before the
        // stored cursor) has not changed since it was refused: retry-dead re-drives it.
        const bool refused_before = container && !force_ && commit_cursor_ && stored_ &&
                                    compare(position, *stored_) <= 0 &&
                                    dead_letters_.count({RecordKind::Container, id}) != 0;
        if (written_already || refused_before ||
            (!force_ && done != replayed_.end() && done->second == version)) {
            // Only the cursor may move.
            stage(frontier_.finish(sequence), state::UnitOfWork{}, std::nullopt);
            commitStaged(lock);
            prefetched_.erase(id);
            return !error_;
        }
        if (container) replayed_[id] = version;
        busy_ids_.insert(id);
        queue_.push_back({sequence, record, id, kind});
        work_ready_.notify_one();
        return true;
    }

    void workerLoop() {
        for (;;) {
            Job job;
            {
                std::unique_lock<std::mutex> lock(mutex_);
                work_ready_.wait(lock, [this] { return closing_ || !queue_.empty(); });
                if (queue_.empty()) return;
                job = std::move(queue_.front());
                queue_.pop_front();
                ++active_;
                if (error_ || cancelled()) {
                    // Not started: dropped. Its frontier entry stays open, so no cursor
                    // moves past it, and a later stream of this pass must not skip it.
                    if (job.kind == RecordKind::Container) replayed_.erase(job.id);
                    finishJob(job.id);
                    continue;
                }
            }
            try {
                Replayed replayed = job.kind == RecordKind::Container
                                        ? replayOrStrike(*job.record, job.id)
                                        : replayNoteOf(*job.record, job.kind, job.id);
                std::unique_lock<std::mutex> lock(mutex_);
                // A replay that wrote everything leaves its version in the stored mapping,
                // which submit() reads; one with refused records stays here, so that later
                // streams of this pass do not retry them again.
                if (job.kind == RecordKind::Container && replayed.counts.errors == 0) {
                    replayed_.erase(job.id);
                }
                counts_ += replayed.counts;
                stage(frontier_.finish(job.sequence), std::move(replayed.unit),
                      std::move(replayed.intent));
                LiveStatus live = owner_.live();
                live.counts = counts_;
                live.seen = seen_;
                live.total = std::max<std::int64_t>(total_, seen_);
                owner_.publish(live);
                commitStaged(lock);
            } catch (...) {
                fail(std::current_exception());
            }
            std::lock_guard<std::mutex> lock(mutex_);
            finishJob(job.id);
        }
    }

    /// Caller holds the mutex.
    void finishJob(std::int64_t id) {
        --active_;
        busy_ids_.erase(id);
        prefetched_.erase(id);
        space_.notify_all();
        idle_.notify_all();
    }

    /// Adds a finished container's unit, with the cursor advance it allows and the playbook
    /// run it asks for, to what the next commit writes. Caller holds the mutex, so units are
    /// staged in frontier order.
    void stage(std::optional<KeysetCursor> moved, state::UnitOfWork unit,
               std::optional<state::PlaybookRun> intent) {
        if (error_) return;  // nothing more is committed after a failure
        if (moved && commit_cursor_ && (!stored_ || compare(*moved, *stored_) > 0)) {
            staged_cursor_ = moved;
        }
        const auto append = [](auto& into, auto& from) {
            into.insert(into.end(), std::make_move_iterator(from.begin()),
                        std::make_move_iterator(from.end()));
        };
        append(staged_.containers, unit.containers);
        append(staged_.artifacts, unit.artifacts);
        append(staged_.notes, unit.notes);
        append(staged_.resolved_dead_letters, unit.resolved_dead_letters);
        if (intent) staged_intents_.push_back(std::move(*intent));
    }

    /// Group commit: the thread that finds no commit running writes everything staged, in
    /// one transaction, without the mutex, and again while more was staged meanwhile; the
    /// others go back to work. The staged playbook runs are requested once their units are
    /// committed (write, commit, then trigger: the stored intent covers a crash from there
    /// on). `lock` holds the mutex on entry and on return.
    void commitStaged(std::unique_lock<std::mutex>& lock) {
        if (committing_) return;
        committing_ = true;
        while (!error_ && (staged_cursor_ || !staged_.containers.empty() ||
                           !staged_.artifacts.empty() || !staged_.notes.empty() ||
                           !staged_.resolved_dead_letters.empty() || !staged_intents_.empty())) {
            state::UnitOfWork unit = std::exchange(staged_, state::UnitOfWork{});
            unit.key = owner_.key_;
            const auto moved = std::exchange(staged_cursor_, std::nullopt);
            if (moved) unit.cursors.push_back(toCursor(stream_, *moved));
            auto intents = std::exchange(staged_intents_, {});
            lock.unlock();
            std::exception_ptr failure;
            try {
                owner_.store_.commit(unit);
                for (const auto& intent : intents) owner_.options_.playbooks->start(intent);
            } catch (...) {
                failure = std::current_exception();
            }
            lock.lock();
            if (failure) {
                if (!error_) error_ = failure;
                space_.notify_all();
            } else if (moved && (!stored_ || compare(*moved, *stored_) > 0)) {
                stored_ = moved;
            }
        }
        if (error_) {
            staged_ = state::UnitOfWork{};
            staged_cursor_.reset();
            staged_intents_.clear();
        }
        committing_ = false;
        idle_.notify_all();
    }

    void deadLetter(RecordKind kind, std::int64_t source_id, const std::string& message,
                    state::PassCounts& counts) {
        const auto attempts = owner_.store_.recordDeadLetter(
            owner_.key_, {kind, source_id}, message, nowText(*owner_.options_.clock));
        poco_warning(owner_.logger_, "route " + owner_.route_.name + " -> " + owner_.key_.target +
                                         ": source " + std::string(toString(kind)) + " " +
                                         std::to_string(source_id) + " dead-lettered (attempt " +
                                         std::to_string(attempts) + "): " + message);
        ++counts.errors;
        std::lock_guard<std::mutex> lock(mutex_);
        ++dead_lettered_;
        dead_letters_.insert({kind, source_id});
    }

    bool isDeadLettered(RecordKind kind, std::int64_t source_id) {
        std::lock_guard<std::mutex> lock(mutex_);
        return dead_letters_.count({kind, source_id}) != 0;
    }

    void resolved(RecordKind kind, std::int64_t source_id, state::UnitOfWork& unit) {
        if (isDeadLettered(kind, source_id))
            unit.resolved_dead_letters.push_back({kind, source_id});
    }

    /// replay(), counting the passes in a row in which the target answered a write of this
    /// container with 500 (design.md §5: a 500 that persists for one record across passes
    /// is a record error). Below `poison_passes` the error stops the pass as any transient
    /// one; at it, and only if the target answers a plain request (so it is not simply
    /// down), the container is dead-lettered and the pass goes on.
    Replayed replayOrStrike(const Object& source, std::int64_t source_id) {
        try {
            Replayed out = replay(source, source_id);
            const auto& c = out.counts;
            const bool wrote = c.containers_created + c.containers_updated + c.artifacts_created +
                                   c.artifacts_updated + c.notes_created + c.notes_updated +
                                   c.comments_created >
                               0;
            std::lock_guard<std::mutex> lock(owner_.strikes_mutex_);
            owner_.strikes_.erase(source_id);
            if (wrote) owner_.last_write_pass_ = std::max(owner_.last_write_pass_, number_);
            return out;
        } catch (const TransientError& e) {
            if (e.httpStatus() != 500) throw;
            int strikes = 0;
            {
                std::lock_guard<std::mutex> lock(owner_.strikes_mutex_);
                auto& record = owner_.strikes_[source_id];
                if (record.passes == 0) record.first_pass = number_;
                strikes = ++record.passes;
                // No write accepted since the first 500: the target may refuse every write.
                if (owner_.last_write_pass_ < record.first_pass) throw;
            }
            if (strikes < owner_.options_.poison_passes) throw;
            const auto original = std::current_exception();
            try {
                (void)owner_.target_.version();
            } catch (...) {
                std::rethrow_exception(original);  // the target is failing, not the record
            }
            Replayed out;
            out.unit.key = owner_.key_;
            deadLetter(RecordKind::Container, source_id,
                       "the target answered 500 to this container in " + std::to_string(strikes) +
                           " passes in a row: " + e.what(),
                       out.counts);
            std::lock_guard<std::mutex> lock(owner_.strikes_mutex_);
            owner_.strikes_.erase(source_id);
            return out;
        }
    }

    /// Writes one container (and its artifacts when they may have changed) to the target.
    /// Record-level refusals are dead-lettered here; anything else propagates and stops the
    /// pass.
    Replayed replay(const Object& source, std::int64_t source_id) {
        Replayed out;
        out.unit.key = owner_.key_;
        const auto mapped = owner_.mapper_.container(source);
        const auto hash = RecordMapper::contentHash(*mapped);
        const auto mapping = owner_.store_.containerMapping(owner_.key_, source_id);

        std::int64_t target_id = 0;
        bool fresh = false;    // soar-sync made this container now: no copies to look for
        bool adopted = false;  // it was on the target already, unknown to the state file
        bool written = false;  // the container's mapping must be (re)stored
        try {
            if (!mapping) {
                const auto created = owner_.target_.createContainer(*mapped);
                target_id = created.id;
                if (created.existed) {
                    // Written before the state file knew (a crash, a lost file): bring the
                    // copy up to date rather than trusting it.
                    owner_.target_.updateContainer(target_id, *mapped);
                    ++out.counts.containers_updated;
                    adopted = true;
                } else {
                    fresh = true;
                    ++out.counts.containers_created;
                }
                written = true;
            } else if (force_ || mapping->content_hash != hash) {
                target_id = mapping->target_id;
                try {
                    owner_.target_.updateContainer(target_id, *mapped);
                    ++out.counts.containers_updated;
                } catch (const RecordError& e) {
                    if (e.httpStatus() != 404) throw;
                    // The target lost its copy: make a new one (and new artifact copies).
                    const auto created = owner_.target_.createContainer(*mapped);
                    target_id = created.id;
                    fresh = !created.existed;
                    ++out.counts.containers_created;
                }
                written = true;
            } else {
                target_id = mapping->target_id;
                ++out.counts.containers_unchanged;
            }
        } catch (const RecordError& e) {
            deadLetter(RecordKind::Container, source_id, messageOf(e), out.counts);
            return out;
        }

        auto artifact_update_time = optString(source, "artifact_update_time");
        const bool artifacts_due =
            owner_.route_.artifacts && (force_ || fresh || written || !mapping ||
                                        mapping->artifact_update_time != artifact_update_time);
        if (artifacts_due) {
            if (!replayArtifacts(source_id, target_id, fresh, out)) {
                // Some artifact was refused: keep the old artifact time so the container's
                // artifacts are read again when it next shows up (and retry-dead re-drives).
                artifact_update_time = mapping ? mapping->artifact_update_time : std::nullopt;
            }
            written =
                written || !out.unit.artifacts.empty() ||
                artifact_update_time != (mapping ? mapping->artifact_update_time : std::nullopt);
        }
        // A container new to the target brings its notes and comments; later ones come
        // through the notes and comments streams.
        if (owner_.route_.notes && (force_ || fresh || adopted || !mapping)) {
            replayNotes(source_id, target_id, fresh, out);
        }
        if (auto* playbooks = owner_.options_.playbooks) {
            const auto& config = playbooks->config();
            if ((fresh || adopted) && config.on_create) {
                out.intent = playbooks->intend(source_id, target_id, state::TriggerKind::Create,
                                               "create:" + std::to_string(source_id), adopted);
            } else if (mapping && written && !fresh && config.on_update &&
                       mapping->content_hash != hash) {
                out.intent = playbooks->intend(
                    source_id, target_id, state::TriggerKind::Update,
                    "update:" + std::to_string(source_id) + ":" + hash.substr(0, 16));
            }
        }
        // An edit that changed nothing soar-sync copies still moves the stored timestamps, so
        // that the container is not replayed again for it (submit()).
        const bool times_moved =
            mapping &&
            (mapping->create_time != optString(source, "create_time") ||
             mapping->container_update_time != optString(source, "container_update_time"));
        if (written || times_moved) {
            out.unit.containers.push_back(
                {source_id, target_id, hash, optString(source, "create_time"),
                 optString(source, "container_update_time"), artifact_update_time});
            resolved(RecordKind::Container, source_id, out.unit);
        }
        return out;
    }

    /// Target note and comment ids by (is comment, source id), read from the markers of the
    /// copies in a target container.
    using NoteCopies = std::map<std::pair<bool, std::int64_t>, std::int64_t>;

    NoteCopies noteCopiesOnTarget(std::int64_t target_container) {
        NoteCopies copies;
        Query query;
        query.sort("id").pageSize(owner_.route_.page_size);
        for (const bool comment : {false, true}) {
            const std::string path = "container/" + std::to_string(target_container) +
                                     (comment ? "/comments" : "/notes");
            forEachPage(owner_.target_, path, query, [&](const Page& page) {
                for (const auto& record : page.records) {
                    const auto text = optString(*record, comment ? "comment" : "content");
                    const auto id = record->has("id") ? parseId(record->get("id")) : std::nullopt;
                    if (!text || !id) continue;
                    const auto source_id = owner_.mapper_.markedSourceId(comment, *text);
                    if (source_id >= 0) copies.emplace(std::make_pair(comment, source_id), *id);
                }
                return true;
            });
        }
        return copies;
    }

    /// Copies one note or comment to the target container unless its copy is up to date
    /// (comments are append-only on SOAR: once copied, never written again). Without a
    /// mapping, a copy is looked for by its marker first, unless the container is `fresh`.
    void replayNote(const Object& source, RecordKind kind, std::int64_t source_container,
                    std::int64_t target_container, const std::optional<state::NoteMapping>& known,
                    bool fresh, std::optional<NoteCopies>& copies, Replayed& out) {
        const bool comment = kind == RecordKind::Comment;
        const auto source_id = requireId(source, comment ? "comment" : "note");
        const auto mapped = comment ? owner_.mapper_.comment(source, target_container)
                                    : owner_.mapper_.note(source, target_container);
        const auto hash = RecordMapper::contentHash(*mapped);
        const auto record = [&](std::int64_t target_id) {
            out.unit.notes.push_back({kind, source_id, target_id, source_container, hash,
                                      optString(source, comment ? "time" : "modified_time")});
            resolved(kind, source_id, out.unit);
        };
        const auto update = [&](std::int64_t target_id) {
            Object fields(*mapped);
            fields.remove("container_id");
            owner_.target_.updateNote(target_id, fields);
            ++out.counts.notes_updated;
            record(target_id);
        };
        try {
            if (known) {
                if (comment || (!force_ && known->content_hash == hash)) return;
                try {
                    update(known->target_id);
                    return;
                } catch (const RecordError& e) {
                    if (e.httpStatus() != 404) throw;  // else the target lost it: copy again
                }
            } else if (!fresh) {
                if (!copies) copies = noteCopiesOnTarget(target_container);
                const auto copy = copies->find({comment, source_id});
                if (copy != copies->end()) {
                    if (comment) {
                        record(copy->second);
                    } else {
                        update(copy->second);
                    }
                    return;
                }
            }
            const auto created = comment ? owner_.target_.createComment(*mapped)
                                         : owner_.target_.createNote(*mapped);
            ++(comment ? out.counts.comments_created : out.counts.notes_created);
            record(created.id);
        } catch (const RecordError& e) {
            deadLetter(kind, source_id, messageOf(e), out.counts);
        }
    }

    /// Copies the notes and comments of a container new to the target (or replayed).
    void replayNotes(std::int64_t source_container, std::int64_t target_container, bool fresh,
                     Replayed& out) {
        std::map<std::pair<RecordKind, std::int64_t>, state::NoteMapping> known;
        if (!fresh) {
            for (auto& m : owner_.store_.noteMappingsOf(owner_.key_, source_container)) {
                known.emplace(std::make_pair(m.kind, m.source_id), std::move(m));
            }
        }
        std::optional<NoteCopies> copies;
        Query query;
        query.sort("id").pageSize(owner_.route_.page_size);
        for (const auto kind : {RecordKind::Note, RecordKind::Comment}) {
            const std::string path = "container/" + std::to_string(source_container) +
                                     (kind == RecordKind::Comment ? "/comments" : "/notes");
            forEachPage(owner_.source_, path, query, [&](const Page& page) {
                for (const auto& note : page.records) {
                    const auto id = requireId(*note, "note");
                    const auto found = known.find({kind, id});
                    replayNote(*note, kind, source_container, target_container,
                               found == known.end()
                                   ? std::nullopt
                                   : std::optional<state::NoteMapping>(found->second),
                               fresh, copies, out);
                }
                return true;
            });
        }
    }

    /// A note or comment met in its own stream: copied when its container is on the target
    /// (mapped); otherwise it is not this route's, or comes with its container later.
    Replayed replayNoteOf(const Object& source, RecordKind kind, std::int64_t source_container) {
        Replayed out;
        out.unit.key = owner_.key_;
        const auto container = owner_.store_.containerMapping(owner_.key_, source_container);
        if (!container) return out;
        const auto id = requireId(source, "note");
        std::optional<NoteCopies> copies;
        replayNote(source, kind, source_container, container->target_id,
                   owner_.store_.noteMapping(owner_.key_, kind, id), false, copies, out);
        return out;
    }

    struct PendingArtifact {
        std::int64_t source_id;
        Object::Ptr mapped;
        std::string hash;
        std::optional<std::string> update_time;
    };

    /// Reads the artifacts of a page's containers together, by id keyset over
    /// `artifact?_filter_container__in=[...]`, instead of one `container/<id>/artifacts` read
    /// per container: a group of up to 100 containers whose `artifact_count`s add up to at
    /// most one read's worth costs one request. Only containers whose artifacts the replay
    /// will read are asked for (not yet on the target, `artifact_update_time` moved, or a
    /// resync). A container left out (no usable count, too many artifacts) or whose count
    /// disagrees with what was read (artifacts added since its page was read) is read on
    /// its own by the replay, as before.
    void prefetchArtifacts(const std::vector<std::pair<Record, KeysetCursor>>& page,
                           const Mappings& known) {
        if (!owner_.route_.artifacts || page.empty()) return;
        constexpr std::size_t kGroupContainers = 100;  // ids in one URL
        const std::int64_t budget =
            static_cast<std::int64_t>(std::max<std::size_t>(1'000, owner_.route_.page_size));
        std::map<std::int64_t, std::int64_t> group;  // container id -> artifact_count
        // Containers that count no artifacts but have had some: their count is checked too.
        std::set<std::int64_t> asked_anyway;
        std::int64_t group_artifacts = 0;
        const auto read = [&] {
            if (group.empty()) return;
            std::map<std::int64_t, std::vector<Record>> found;
            std::vector<PyValue> ids;
            for (const auto& [id, count] : group) {
                found[id];
                if (count > 0 || asked_anyway.count(id)) ids.emplace_back(id);
            }
            std::int64_t last = 0;
            std::int64_t total = 0;
            bool complete = true;
            while (!ids.empty()) {
                Query query;
                query.in("container", ids)
                    .gt("id", last)
                    .sort("id")
                    .pageSize(static_cast<std::size_t>(budget));
                const Page answer = owner_.source_.listPage("artifact", query, 0);
                for (const auto& record : answer.records) {
                    const auto id = requireId(*record, "artifact");
                    const auto of =
                        record->has("container") ? parseId(record->get("container")) : std::nullopt;
                    const auto into = of ? found.find(*of) : found.end();
                    if (id <= last || into == found.end()) {
                        throw ProtocolError(
                            "reading the artifacts of " + std::to_string(group.size()) +
                            " containers: the source answered artifact " + std::to_string(id) +
                            " out of id order or of a container not asked for");
                    }
                    last = id;
                    into->second.push_back(record);
                }
                total += static_cast<std::int64_t>(answer.records.size());
                if (answer.records.empty() || answer.num_pages <= 1) break;
                if (total > 2 * budget) {  // the counts were far off: read one by one
                    complete = false;
                    break;
                }
            }
            std::lock_guard<std::mutex> lock(mutex_);
            for (auto& [id, artifacts] : found) {
                if (complete && static_cast<std::int64_t>(artifacts.size()) == group[id]) {
                    prefetched_[id] = std::move(artifacts);
                }
            }
            group.clear();
            asked_anyway.clear();
            group_artifacts = 0;
        };
        for (const auto& entry : page) {
            const Object& container = *entry.first;
            const auto id = container.has("id") ? parseId(container.get("id")) : std::nullopt;
            const std::int64_t count =
                (container.has("artifact_count") ? parseId(container.get("artifact_count"))
                                                 : std::nullopt)
                    .value_or(-1);
            if (!id || count < 0 || count > budget) continue;
            const auto mapping = known.find(*id);
            if (!force_ && mapping != known.end() &&
                mapping->second.artifact_update_time ==
                    optString(container, "artifact_update_time")) {
                continue;  // artifacts unchanged: the replay reads none
            }
            if (group.size() >= kGroupContainers || group_artifacts + count > budget) read();
            group[*id] = count;
            if (count == 0 && optString(container, "artifact_update_time")) {
                asked_anyway.insert(*id);
            }
            group_artifacts += count;
        }
        read();
    }

    /// Replays a container's artifacts. Returns false when any was dead-lettered.
    bool replayArtifacts(std::int64_t source_container, std::int64_t target_container, bool fresh,
                         Replayed& out) {
        std::unordered_map<std::int64_t, state::ArtifactMapping> known;
        if (!fresh) {
            for (auto& m : owner_.store_.artifactMappingsOf(owner_.key_, source_container)) {
                known.emplace(m.source_id, std::move(m));
            }
        }
        std::optional<std::map<std::string, std::int64_t>> copies_by_sdi;
        std::vector<PendingArtifact> to_create;
        bool all_ok = true;

        const auto written = [&](const PendingArtifact& a, std::int64_t target_id) {
            out.unit.artifacts.push_back(
                {a.source_id, target_id, source_container, a.hash, a.update_time});
            resolved(RecordKind::Artifact, a.source_id, out.unit);
        };
        const auto update = [&](const PendingArtifact& a, std::int64_t target_id) {
            try {
                owner_.target_.updateArtifact(target_id, *a.mapped);
                ++out.counts.artifacts_updated;
                written(a, target_id);
            } catch (const RecordError& e) {
                if (e.httpStatus() == 404) {
                    to_create.push_back(a);  // the target lost it
                    return;
                }
                deadLetter(RecordKind::Artifact, a.source_id, messageOf(e), out.counts);
                all_ok = false;
            }
        };
        const auto flush = [&] {
            if (to_create.empty()) return;
            createArtifacts(to_create, out, all_ok, written);
            to_create.clear();
        };

        const auto replayOne = [&](const Record& record) {
            PendingArtifact a;
            a.source_id = requireId(*record, "artifact");
            a.mapped = owner_.mapper_.artifact(*record, target_container);
            a.hash = RecordMapper::contentHash(*a.mapped);
            a.update_time = optString(*record, "update_time");
            const auto mapping = known.find(a.source_id);
            if (mapping != known.end()) {
                if (!force_ && mapping->second.content_hash == a.hash) {
                    ++out.counts.artifacts_unchanged;
                } else {
                    update(a, mapping->second.target_id);
                }
                return;
            }
            if (!fresh) {
                if (!copies_by_sdi) copies_by_sdi = copiesOnTarget(target_container);
                const auto copy = copies_by_sdi->find(owner_.mapper_.artifactSdi(a.source_id));
                if (copy != copies_by_sdi->end()) {
                    update(a, copy->second);
                    return;
                }
            }
            to_create.push_back(std::move(a));
            if (to_create.size() >= owner_.options_.artifact_batch) flush();
        };

        std::optional<std::vector<Record>> prefetched;
        {
            std::lock_guard<std::mutex> lock(mutex_);
            const auto found = prefetched_.find(source_container);
            if (found != prefetched_.end()) {
                prefetched = std::move(found->second);
                prefetched_.erase(found);
            }
        }
        if (prefetched) {
            for (const auto& record : *prefetched) replayOne(record);
        } else {
            Query query;
            query.sort("id").pageSize(owner_.route_.page_size);
            forEachPage(owner_.source_,
                        "container/" + std::to_string(source_container) + "/artifacts", query,
                        [&](const Page& page) {
                            for (const auto& record : page.records) replayOne(record);
                            return true;
                        });
        }
        flush();
        return all_ok;
    }

    template <typename Written>
    void createArtifacts(const std::vector<PendingArtifact>& batch, Replayed& out, bool& all_ok,
                         const Written& written) {
        Poco::JSON::Array array;
        for (const auto& a : batch) array.add(a.mapped);
        std::vector<BatchItemResult> results;
        try {
            results = owner_.target_.createArtifacts(array);
        } catch (const RecordError&) {
            // The whole batch was refused: one at a time, so that only the bad ones are
            // dead-lettered.
            for (const auto& a : batch) {
                try {
                    const auto created = owner_.target_.createArtifact(*a.mapped);
                    ++out.counts.artifacts_created;
                    written(a, created.id);
                } catch (const RecordError& e) {
                    deadLetter(RecordKind::Artifact, a.source_id, messageOf(e), out.counts);
                    all_ok = false;
                }
            }
            return;
        }
        if (results.size() != batch.size()) {
            throw ProtocolError("the target answered " + std::to_string(results.size()) +
                                " results to a batch of " + std::to_string(batch.size()) +
                                " artifacts");
        }
        for (std::size_t i = 0; i < batch.size(); ++i) {
            if (results[i].ok()) {
                ++out.counts.artifacts_created;
                written(batch[i], *results[i].id);
            } else {
                deadLetter(RecordKind::Artifact, batch[i].source_id, results[i].error, out.counts);
                all_ok = false;
            }
        }
    }

    /// The target's soar-sync copies in a container, by sdi: SOAR does not dedup artifacts
    /// by sdi, so they are looked up before any is posted into a container soar-sync did not
    /// just create.
    std::map<std::string, std::int64_t> copiesOnTarget(std::int64_t target_container) {
        std::map<std::string, std::int64_t> copies;
        Query query;
        query.exact("container", target_container)
            .filter(
                "source_data_identifier", "startswith",
                owner_.mapper_.artifactSdi(0).substr(0, owner_.mapper_.artifactSdi(0).size() - 1))
            .sort("id")
            .pageSize(owner_.route_.page_size);
        forEachPage(owner_.target_, "artifact", query, [&](const Page& page) {
            for (const auto& record : page.records) {
                const auto sdi = optString(*record, "source_data_identifier");
                const auto id = record->has("id") ? parseId(record->get("id")) : std::nullopt;
                // The lowest id wins, should a copy ever exist twice.
                if (sdi && id) copies.emplace(*sdi, *id);
            }
            return true;
        });
        return copies;
    }

    void logProgress() {
        const auto now = owner_.options_.clock->now();
        if (now - last_progress_ < owner_.options_.progress_interval) return;
        if (last_progress_ == std::chrono::steady_clock::time_point{}) {
            last_progress_ = now;
            return;
        }
        last_progress_ = now;
        const double seconds = std::chrono::duration<double>(now - started_).count();
        state::PassCounts counts;
        {
            std::lock_guard<std::mutex> lock(mutex_);
            counts = counts_;
        }
        const auto done =
            counts.containers_created + counts.containers_updated + counts.containers_unchanged;
        std::ostringstream line;
        line.precision(1);
        line << std::fixed << "route " << owner_.route_.name << " -> " << owner_.key_.target << ": "
             << done << " containers done (" << counts.containers_created << " created, "
             << counts.containers_updated << " updated), " << counts.artifacts_created
             << " artifacts created, " << counts.errors << " errors, "
             << (seconds > 0 ? static_cast<double>(done) / seconds : 0.0) << " containers/s";
        poco_information(owner_.logger_, line.str());
    }

    TargetSync& owner_;
    /// This pass's number in the object's life (for the strikes of replayOrStrike).
    std::uint64_t number_ = 0;
    const bool force_;
    const std::atomic<bool>* stop_;
    const std::chrono::steady_clock::time_point started_;
    std::chrono::steady_clock::time_point last_progress_{};

    mutable std::mutex mutex_;
    std::condition_variable work_ready_;
    std::condition_variable space_;
    std::condition_variable idle_;
    std::vector<std::thread> threads_;
    std::deque<Job> queue_;
    std::size_t active_ = 0;
    bool closing_ = false;
    std::set<std::int64_t> busy_ids_;
    /// Container id -> the version (change timestamps) queued for replay; kept after the
    /// replay only when it had refused records. Bounded by the queue and the refusals, not
    /// by the source's size.
    std::unordered_map<std::int64_t, std::string> replayed_;
    /// Artifacts read ahead for queued containers (prefetchArtifacts), by source container.
    std::unordered_map<std::int64_t, std::vector<Record>> prefetched_;
    std::set<std::pair<RecordKind, std::int64_t>> dead_letters_;

    Frontier frontier_;
    /// What the next group commit writes (commitStaged).
    state::UnitOfWork staged_;
    std::optional<KeysetCursor> staged_cursor_;
    std::vector<state::PlaybookRun> staged_intents_;
    bool committing_ = false;
    Stream stream_ = Stream::ContainersCreated;
    bool commit_cursor_ = false;
    std::optional<KeysetCursor> stored_;

    state::PassCounts counts_;
    std::int64_t dead_lettered_ = 0;
    std::atomic<std::int64_t> seen_{0};
    /// seen_ plus what the current stream's first page counted.
    std::atomic<std::int64_t> total_{0};
    std::exception_ptr error_;
};

TargetSync::TargetSync(RouteConfig route, TargetSyncOptions options, SoarApi& source,
                       SoarApi& target, state::Store& store)
    : route_(std::move(route)),
      options_(std::move(options)),
      source_(source),
      target_(target),
      store_(store),
      key_{route_.name, options_.target},
      mapper_(MappingRules{route_.source, route_.label_map, route_.add_tags}),
      logger_(Poco::Logger::get("sync.route")) {}

LiveStatus TargetSync::live() const {
    std::lock_guard<std::mutex> lock(live_mutex_);
    return live_;
}

void TargetSync::publish(const LiveStatus& status) {
    std::lock_guard<std::mutex> lock(live_mutex_);
    live_ = status;
}

void TargetSync::publishActivity(const std::string& activity) {
    std::lock_guard<std::mutex> lock(live_mutex_);
    live_.activity = activity;
}

Query routeFilterQuery(const RouteConfig& route_) {
    Query query;
    query.pageSize(route_.page_size);
    const auto list = [](const std::vector<std::string>& values) {
        std::vector<PyValue> out;
        out.reserve(values.size());
        for (const auto& v : values) out.emplace_back(v);
        return out;
    };
    if (!route_.filters.labels.empty()) query.in("label", list(route_.filters.labels));
    if (!route_.filters.severities.empty()) query.in("severity", list(route_.filters.severities));
    if (!route_.filters.statuses.empty()) query.in("status", list(route_.filters.statuses));
    for (const auto& tag : route_.filters.tags) query.filter("tags", "contains", tag);
    for (const auto& raw : route_.filters.raw) query.raw(raw);
    return query;
}

namespace {

/// Sets a stream's cursor to the newest value of its field the source holds now (among the
/// containers `route_query` filters; notes and comments unfiltered), so that a walk from it
/// reads only what changes later.
void startAtNewest(SoarApi& source, state::Store& store, const state::RouteTarget& key,
                   const Query& route_query, const StreamSpec& spec) {
    Query query = spec.kind == RecordKind::Container ? route_query : Query();
    query.isNull(spec.field, false).sort(spec.field, SortOrder::Desc).pageSize(1);
    const auto page = source.listPage(spec.path, query, 0);
    if (page.records.empty()) return;
    if (const auto newest = optString(*page.records.front(), spec.field)) {
        store.setCursor(key, toCursor(spec.stream, KeysetCursor::after(*newest)));
    }
}

/// How often an idle route says so at Information; other idle passes log at debug.
constexpr std::chrono::minutes kIdleInfoInterval{5};

/// Logs a finished pass (one line per pass and target) and records it in the store. An idle
/// pass (nothing written, nothing refused) of a daemon (`idle_logged` set) logs at debug,
/// and at Information at most every kIdleInfoInterval, saying where the cursor is.
PassResult finishPass(const char* what, const state::RouteTarget& key, state::Store& store,
                      Poco::Logger& logger, const Clock& clock, const std::string& started_at,
                      PassResult result,
                      std::chrono::steady_clock::time_point* idle_logged = nullptr) {
    std::ostringstream line;
    line.precision(2);
    const auto& c = result.counts;
    line << std::fixed << what << " " << key.route << " -> " << key.target << ": "
         << toString(result.outcome) << " in "
         << static_cast<double>(result.duration.count()) / 1000.0 << " s; containers "
         << c.containers_created << " created, " << c.containers_updated << " updated, "
         << c.containers_unchanged << " unchanged; artifacts " << c.artifacts_created
         << " created, " << c.artifacts_updated << " updated, " << c.artifacts_unchanged
         << " unchanged; notes " << c.notes_created << " created, " << c.notes_updated
         << " updated; comments " << c.comments_created << " created; " << result.dead_lettered
         << " dead-lettered";
    if (!result.playbooks.empty()) line << "; playbook runs " << result.playbooks;
    if (!result.error.empty()) line << "; " << result.error;
    const bool idle = result.outcome == PassOutcome::Ok && c.containers_created == 0 &&
                      c.containers_updated == 0 && c.artifacts_created == 0 &&
                      c.artifacts_updated == 0 && c.notes_created == 0 && c.notes_updated == 0 &&
                      c.comments_created == 0 && c.errors == 0 && result.dead_lettered == 0 &&
                      result.playbooks.empty();
    try {
        store.recordPass(key, {started_at, nowText(clock), toString(result.outcome), c});
        if (result.outcome == PassOutcome::Failing) {
            store.markFailing(key, result.error, nowText(clock));
        } else if (result.outcome == PassOutcome::Ok ||
                   result.outcome == PassOutcome::RecordErrors) {
            if (store.health(key).failing_since) store.markHealthy(key);
        } else if (result.outcome == PassOutcome::Interrupted) {
            // Transient (design §5): the next pass resumes, so the target is not failing;
            // the error stays visible as the last one.
            store.recordError(key, result.error, nowText(clock));
        }
    } catch (const state::StateError& e) {
        line << "; the pass could not be recorded: " << e.what();
        if (result.outcome == PassOutcome::Ok) result.outcome = PassOutcome::Interrupted;
    }
    if (idle && idle_logged) {
        const auto now = clock.now();
        if (*idle_logged == std::chrono::steady_clock::time_point{} ||
            now - *idle_logged >= kIdleInfoInterval) {
            *idle_logged = now;
            std::string cursor = "none yet";
            try {
                if (const auto at = store.cursor(key, Stream::ContainersCreated)) {
                    cursor = at->timestamp;
                }
            } catch (const state::StateError&) {
                cursor = "unreadable";
            }
            poco_information(logger, "route " + key.route + " -> " + key.target +
                                         ": idle, nothing changed on the source; create_time "
                                         "cursor at " +
                                         cursor + " (idle passes log at debug)");
        } else {
            poco_debug(logger, line.str());
        }
        return result;
    }
    if (idle_logged) *idle_logged = {};
    switch (result.outcome) {
        case PassOutcome::Ok:
        case PassOutcome::Cancelled:
            poco_information(logger, line.str());
            break;
        case PassOutcome::RecordErrors:
        case PassOutcome::Interrupted:
            poco_warning(logger, line.str());
            break;
        case PassOutcome::Failing:
            poco_error(logger, line.str());
            break;
    }
    return result;
}

}  // namespace

PassResult TargetSync::runPass(const std::atomic<bool>* stop) {
    const auto started_at = nowText(*options_.clock);
    Pass pass(*this, false, stop);
    if (options_.playbooks) {
        // Intents a crash left without a run id are settled before anything new is sent.
        try {
            options_.playbooks->recover();
        } catch (...) {
            pass.fail(std::current_exception());
        }
    }
    std::vector<StreamSpec> streams{kCreated, kUpdated};
    if (route_.artifacts) streams.push_back(kArtifacts);
    if (route_.notes) {
        streams.push_back(kNotes);
        streams.push_back(kComments);
    }
    // A first walk of new containers from the beginning reads every container as it is now,
    // with its artifacts, notes and comments: the other streams need only what changes from
    // here on. Their cursors start at the newest value the source holds before that walk
    // (less the lookback, as every walk), instead of re-reading the whole source.
    try {
        if (route_.start_from == "beginning" && !pass.stopped() &&
            !store_.cursor(key_, Stream::ContainersCreated)) {
            for (const auto& spec : streams) {
                if (spec.stream != Stream::ContainersCreated && !store_.cursor(key_, spec.stream)) {
                    startAtNewest(source_, store_, key_, routeQuery(), spec);
                }
            }
        }
    } catch (...) {
        pass.fail(std::current_exception());
    }
    for (const auto& spec : streams) {
        if (pass.stopped()) break;
        try {
            const auto stored = store_.cursor(key_, spec.stream);
            std::optional<KeysetCursor> stored_position;
            KeysetCursor start;
            if (stored) {
                stored_position = toKeyset(*stored);
                start = *stored_position;
                const auto at = Timestamp::parse(stored->timestamp);
                if (at && route_.lookback.count() > 0) {
                    start = KeysetCursor::after(
                        at->plusMicros(-std::chrono::duration_cast<std::chrono::microseconds>(
                                            route_.lookback)
                                            .count())
                            .toString());
                }
            } else if (route_.start_from == "now") {
                startAtNewest(source_, store_, key_, routeQuery(), spec);  // nothing older
                continue;
            } else if (route_.start_from != "beginning") {
                start = KeysetCursor::after(route_.start_from);
            }
            pass.walk(spec, start, stored_position, true);
        } catch (...) {
            pass.fail(std::current_exception());
        }
    }
    if (options_.playbooks && !pass.stopped()) {
        try {
            (void)options_.playbooks->poll();
        } catch (...) {
            pass.fail(std::current_exception());
        }
    }
    auto result = pass.result();
    if (options_.playbooks) result.playbooks = options_.playbooks->takeActivity();
    return finishPass("pass", key_, store_, logger_, *options_.clock, started_at, std::move(result),
                      &idle_logged_);
}

PassResult TargetSync::resyncContainers(const std::vector<std::int64_t>& source_ids) {
    const auto started_at = nowText(*options_.clock);
    Pass pass(*this, true, nullptr);
    std::vector<std::int64_t> missing;
    for (const auto id : source_ids) {
        if (pass.stopped()) break;
        try {
            if (!pass.replayId(id)) {
                missing.push_back(id);
                poco_warning(logger_, "resync " + route_.name + " -> " + key_.target +
                                          ": source container " + std::to_string(id) +
                                          " does not exist on " + route_.source);
            }
        } catch (...) {
            pass.fail(std::current_exception());
        }
    }
    auto result = pass.result();
    result.not_found = std::move(missing);
    return finishPass("resync", key_, store_, logger_, *options_.clock, started_at,
                      std::move(result));
}

PassResult TargetSync::resyncSince(Timestamp since, const std::atomic<bool>* stop) {
    const auto started_at = nowText(*options_.clock);
    Pass pass(*this, true, stop);
    // after(since - 1 µs): every record stamped at or after `since`.
    const auto start = KeysetCursor::after(since.plusMicros(-1).toString());
    for (const auto& spec : {kCreated, kUpdated}) {
        if (pass.stopped()) break;
        pass.walk(spec, start, std::nullopt, false);
    }
    return finishPass("resync", key_, store_, logger_, *options_.clock, started_at, pass.result());
}

PassResult TargetSync::resyncAll(const std::atomic<bool>* stop) {
    const auto started_at = nowText(*options_.clock);
    Pass pass(*this, true, stop);
    pass.walk(kCreated, KeysetCursor{}, std::nullopt, false);
    return finishPass("resync", key_, store_, logger_, *options_.clock, started_at, pass.result());
}

PassResult TargetSync::retryDead(const std::vector<std::int64_t>& only) {
    const auto started_at = nowText(*options_.clock);
    Pass pass(*this, true, nullptr);
    std::set<std::int64_t> containers;
    const std::set<std::int64_t> wanted(only.begin(), only.end());
    for (const auto& letter : store_.deadLetters(key_)) {
        if (pass.stopped()) break;
        if (!wanted.empty() && wanted.count(letter.source_id) == 0) continue;
        try {
            std::optional<std::int64_t> container;
            if (letter.kind == RecordKind::Container) {
                container = letter.source_id;
            } else if (letter.kind == RecordKind::Playbook) {
                continue;  // the playbook tracker settles its own
            } else {
                // An artifact, note or comment: its container is replayed whole.
                const char* collection = letter.kind == RecordKind::Artifact ? "artifact"
                                         : letter.kind == RecordKind::Note   ? "note"
                                                                             : "container_comment";
                const auto record = source_.get(collection, letter.source_id);
                if (record && (*record)->has("container")) {
                    container = parseId((*record)->get("container"));
                }
            }
            if (!container) {
                store_.clearDeadLetter(key_, {letter.kind, letter.source_id});
                poco_information(logger_, "retry-dead " + route_.name + " -> " + key_.target +
                                              ": source " + std::string(toString(letter.kind)) +
                                              " " + std::to_string(letter.source_id) +
                                              " no longer exists; its dead letter is cleared");
                continue;
            }
            if (!containers.insert(*container).second) continue;
            if (!pass.replayId(*container)) {
                store_.clearDeadLetter(key_, {letter.kind, letter.source_id});
            }
        } catch (...) {
            pass.fail(std::current_exception());
        }
    }
    return finishPass("retry-dead", key_, store_, logger_, *options_.clock, started_at,
                      pass.result());
}

}  // namespace soar::sync
