#include "ReplayQueue.h"

#include <Poco/Logger.h>

#include <iterator>
#include <utility>

namespace soar::sync {
namespace {

template <class T>
void append(std::vector<T>& into, std::vector<T>& from) {
    into.insert(into.end(), std::make_move_iterator(from.begin()),
                std::make_move_iterator(from.end()));
}

bool empty(const state::UnitOfWork& unit) {
    return unit.containers.empty() && unit.artifacts.empty() && unit.notes.empty() &&
           unit.mirrors.empty() && unit.resolved_dead_letters.empty() &&
           unit.dead_letters.empty() && unit.playbook_intents.empty();
}

}  // namespace

ReplayQueue::ReplayQueue(PassScope& pass, WorkerPool& pool, unsigned in_flight, std::size_t depth)
    : pass_(pass), pool_(pool), in_flight_(in_flight == 0 ? 1 : in_flight), depth_(depth) {}

ReplayQueue::~ReplayQueue() {
    fail(nullptr);  // wake a waiting walker (there is none by now) and drop what is queued
    std::unique_lock<std::mutex> lock(mutex_);
    queue_.clear();
    idle_.wait(lock, [this] { return runners_ == 0 && !committing_; });
}

void ReplayQueue::beginStream(state::Stream stream, bool commit_cursor,
                              std::optional<KeysetCursor> stored) {
    drain();
    std::lock_guard<std::mutex> lock(mutex_);
    frontier_ = Frontier();
    stream_ = stream;
    commit_cursor_ = commit_cursor;
    stored_ = std::move(stored);
}

void ReplayQueue::finishStream(const KeysetCursor& end) {
    drain();
    {
        std::lock_guard<std::mutex> lock(mutex_);
        if (error_ || !commit_cursor_ || end.timestamp.empty()) return;
        if (stored_ && compare(end, *stored_) <= 0) return;
    }
    pass_.store.setCursor(pass_.key, {stream_, end.timestamp, end.last_id});
    std::lock_guard<std::mutex> lock(mutex_);
    stored_ = end;
}

bool ReplayQueue::submit(std::int64_t id, const KeysetCursor& position, std::size_t bytes,
                         std::function<Replayed()> work) {
    std::unique_lock<std::mutex> lock(mutex_);
    // Up to a page waits in the queue, so the walk reads the next page (and its artifacts)
    // while the workers replay this one.
    if (!error_ && !pass_.cancelled() && !roomFor({id, bytes, 0})) {
        // When the queue is full, the walk waits until half of it is free again rather than
        // one place: it is woken once for many finished replays, not for each of them.
        wanted_ = Wanted{id, bytes, freePlaces() == 0 ? (in_flight_ + depth_) / 2 : 0};
        space_.wait(lock, [&] { return error_ || pass_.cancelled() || roomFor(*wanted_); });
        wanted_.reset();
    }
    if (error_ || pass_.cancelled()) return false;
    busy_ids_.insert(id);
    held_bytes_ += bytes;
    queue_.push_back({frontier_.add(position), id, bytes, std::move(work)});
    lock.unlock();
    pump();
    return true;
}

bool ReplayQueue::skip(const KeysetCursor& position) {
    std::unique_lock<std::mutex> lock(mutex_);
    if (error_ || pass_.cancelled()) return false;
    stage(frontier_.finish(frontier_.add(position)), Replayed{});
    commitStaged(lock);
    return !error_;
}

void ReplayQueue::pump() {
    unsigned start = 0;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        while (runners_ + start < in_flight_ && start < queue_.size()) ++start;
        runners_ += start;
    }
    for (unsigned i = 0; i < start; ++i) pool_.post([this] { runJobs(); });
}

/// One runner on the pool: replays queued containers until the queue is empty. After a few it
/// goes to the back of the pool's line, so that the passes of other routes writing to the same
/// target instance get their turn on its threads.
void ReplayQueue::runJobs() {
    constexpr int kJobsPerTurn = 16;
    std::unique_lock<std::mutex> lock(mutex_);
    for (int done = 0;; ++done) {
        if (queue_.empty()) {
            // Nothing is queued: what is staged is committed now, not held for replays still
            // running. The commit lets go of the lock, and a job submitted meanwhile started
            // no runner, since this one still counted: it is this runner's to replay, or the
            // stream's drain() would wait for it forever.
            commitStaged(lock);
            if (queue_.empty()) break;
        }
        if (done == kJobsPerTurn) {
            lock.unlock();
            pool_.post([this] { runJobs(); });  // still counted in runners_
            return;
        }
        Job job = std::move(queue_.front());
        queue_.pop_front();
        if (error_ || pass_.cancelled()) {
            // Not started: dropped. Its frontier place stays open, so no cursor moves past it.
            busy_ids_.erase(job.id);
            held_bytes_ -= job.bytes;
            space_.notify_all();
            continue;
        }
        ++active_;
        lock.unlock();
        Replayed replayed;
        std::exception_ptr failure;
        try {
            replayed = job.work();
        } catch (...) {
            failure = std::current_exception();
        }
        lock.lock();
        --active_;
        if (failure) {
            commitStaged(lock);  // what finished before the failure is kept
            if (!error_) error_ = failure;
        } else {
            counts_ += replayed.counts;
            const auto counts = counts_;
            pass_.live.update([&](LiveStatus& live) { live.counts = counts; });
            stage(frontier_.finish(job.sequence), std::move(replayed));
            if (staged_.containers.size() + staged_.artifacts.size() >= kCommitGroup) {
                commitStaged(lock);
            }
        }
        busy_ids_.erase(job.id);
        held_bytes_ -= job.bytes;
        if (wanted_ && (error_ || pass_.cancelled() || roomFor(*wanted_))) space_.notify_all();
    }
    --runners_;
    idle_.notify_all();
}

std::size_t ReplayQueue::freePlaces() const {
    const std::size_t taken = queue_.size() + active_;
    return taken < in_flight_ + depth_ ? in_flight_ + depth_ - taken : 0;
}

bool ReplayQueue::roomFor(const Wanted& wanted) const {
    return freePlaces() > wanted.slack && busy_ids_.count(wanted.id) == 0 &&
           (held_bytes_ == 0 || held_bytes_ + wanted.bytes <= kHeldBytes);
}

void ReplayQueue::stage(std::optional<KeysetCursor> moved, Replayed replayed) {
    if (error_) return;  // nothing more is committed after a failure
    if (moved && commit_cursor_ && (!stored_ || compare(*moved, *stored_) > 0)) {
        staged_cursor_ = moved;
    }
    auto& unit = replayed.unit;
    append(staged_.containers, unit.containers);
    append(staged_.artifacts, unit.artifacts);
    append(staged_.notes, unit.notes);
    append(staged_.mirrors, unit.mirrors);
    append(staged_.resolved_dead_letters, unit.resolved_dead_letters);
    append(staged_.dead_letters, unit.dead_letters);
    append(staged_.playbook_intents, unit.playbook_intents);
    if (replayed.trigger) staged_triggers_.push_back(std::move(*replayed.trigger));
}

void ReplayQueue::commitStaged(std::unique_lock<std::mutex>& lock) {
    if (committing_) return;
    committing_ = true;
    while (!error_ && (staged_cursor_ || !empty(staged_))) {
        state::UnitOfWork unit = std::exchange(staged_, state::UnitOfWork{});
        unit.key = pass_.key;
        const auto moved = std::exchange(staged_cursor_, std::nullopt);
        if (moved) unit.cursors.push_back({stream_, moved->timestamp, moved->last_id});
        auto triggers = std::exchange(staged_triggers_, {});
        lock.unlock();
        std::exception_ptr failure;
        try {
            const auto result = pass_.store.commit(unit);
            for (std::size_t i = 0; i < unit.dead_letters.size(); ++i) {
                const auto& letter = unit.dead_letters[i];
                const auto attempts = i < result.dead_letter_attempts.size()
                                          ? result.dead_letter_attempts[i]
                                          : std::int64_t{1};
                poco_warning(pass_.logger, pass_.where() + "source " +
                                               std::string(toString(letter.ref.kind)) + " " +
                                               std::to_string(letter.ref.source_id) +
                                               " dead-lettered (attempt " +
                                               std::to_string(attempts) + "): " + letter.message);
            }
            // Write, commit, then trigger: the stored intent covers a crash from here on.
            for (std::size_t i = 0; i < triggers.size() && i < result.intents.size(); ++i) {
                pass_.options.playbooks->committed(triggers[i], result.intents[i]);
            }
        } catch (...) {
            failure = std::current_exception();
        }
        lock.lock();
        if (failure) {
            if (!error_) error_ = failure;
        } else if (moved && (!stored_ || compare(*moved, *stored_) > 0)) {
            stored_ = moved;
        }
    }
    if (error_) {
        staged_ = state::UnitOfWork{};
        staged_cursor_.reset();
        staged_triggers_.clear();
        space_.notify_all();
    }
    committing_ = false;
    idle_.notify_all();
}

void ReplayQueue::drain() {
    std::unique_lock<std::mutex> lock(mutex_);
    idle_.wait(lock, [this] { return queue_.empty() && runners_ == 0 && !committing_; });
}

void ReplayQueue::fail(std::exception_ptr error) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!error_ && error) error_ = std::move(error);
    space_.notify_all();
}

bool ReplayQueue::stopped() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return error_ != nullptr || pass_.cancelled();
}

std::exception_ptr ReplayQueue::error() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return error_;
}

state::PassCounts ReplayQueue::counts() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return counts_;
}

}  // namespace soar::sync
