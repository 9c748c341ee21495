#include "soar/sync/PlaybookTracker.h"

#include "soar/client/Errors.h"
#include "soar/client/Timestamp.h"

#include <Poco/Logger.h>

#include <algorithm>
#include <thread>

namespace soar::sync {
namespace {

using state::RunStatus;

std::optional<RunStatus> terminalStatus(const PlaybookRunStatus& run) {
    if (!run.outcome) return std::nullopt;
    switch (*run.outcome) {
        case PlaybookOutcome::Success:
            return RunStatus::Success;
        case PlaybookOutcome::Failed:
            return RunStatus::Failed;
        case PlaybookOutcome::Cancelled:
            return RunStatus::Cancelled;
    }
    return std::nullopt;
}

std::string describe(const state::PlaybookRun& run) {
    return "playbook " + run.playbook + " on target container " +
           std::to_string(run.target_container_id) + " (" + run.trigger_key + ")";
}

}  // namespace

PlaybookTracker::PlaybookTracker(PlaybookConfig config, state::RouteTarget key, Target& target,
                                 state::Store& store, std::shared_ptr<Clock> clock)
    : config_(std::move(config)),
      key_(std::move(key)),
      target_(target),
      store_(store),
      clock_(std::move(clock)),
      logger_(Poco::Logger::get("sync.playbook")) {}

std::string PlaybookTracker::now() const { return Timestamp::at(clock_->wallNow()).toString(); }

PlaybookInfo PlaybookTracker::resolve() {
    const auto found = target_.findPlaybook(config_.playbook);
    if (!found) {
        throw RecordError("playbook \"" + config_.playbook + "\" does not exist on target " +
                              key_.target + " (route " + key_.route + ", key playbook)",
                          404, "playbook not found");
    }
    if (!found->active) {
        poco_warning(logger_, "playbook " + config_.playbook + " on " + key_.target +
                                  " is not active; runs may fail");
    }
    std::lock_guard<std::mutex> lock(mutex_);
    playbook_id_ = found->id;
    return *found;
}

std::int64_t PlaybookTracker::playbookId() {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        if (playbook_id_) return *playbook_id_;
    }
    return resolve().id;
}

PlaybookTrigger PlaybookTracker::intend(std::int64_t source_container,
                                        std::int64_t target_container, state::TriggerKind kind,
                                        const std::string& trigger_key, bool adopt_existing) {
    PlaybookTrigger trigger;
    auto& run = trigger.intent;
    run.key = key_;
    run.trigger_key = trigger_key;
    run.source_container_id = source_container;
    run.target_container_id = target_container;
    run.playbook = config_.playbook;
    run.trigger = kind;
    run.created_at = now();
    run.updated_at = run.created_at;
    if (adopt_existing) trigger.adopted_run = findRun(target_container, "");
    return trigger;
}

void PlaybookTracker::committed(const PlaybookTrigger& trigger,
                                const state::RecordedIntent& recorded) {
    if (!recorded.created) return;
    if (trigger.adopted_run) {
        store_.updatePlaybookRun(recorded.run.id, RunStatus::Running, *trigger.adopted_run,
                                 "adopted: the container already had a run", now());
        return;
    }
    crashPoint(CrashPoint::AfterIntent);
    requestRun(recorded.run);
}

void PlaybookTracker::requestRun(const state::PlaybookRun& intent) {
    PlaybookRunRequest request;
    request.container_id = intent.target_container_id;
    request.playbook_id = playbookId();
    request.scope = config_.scope;
    std::int64_t run_id = 0;
    try {
        run_id = target_.runPlaybook(request);
    } catch (const RecordError& e) {
        // The target refused the run itself (unknown container, playbook gone): final.
        store_.updatePlaybookRun(intent.id, RunStatus::Failed, std::nullopt,
                                 "the target refused the run: " + std::string(e.what()), now());
        store_.recordDeadLetter(key_, {state::RecordKind::Playbook, intent.source_container_id},
                                e.what(), now());
        return;
    } catch (const TransientError& e) {
        // It may have reached the server: recover() settles it by asking the target.
        poco_warning(logger_, describe(intent) +
                                  ": run request failed, to be checked: " + std::string(e.what()));
        return;
    } catch (const ProtocolError& e) {
        poco_warning(logger_, describe(intent) +
                                  ": run request answer unreadable, to be checked: " +
                                  std::string(e.what()));
        return;
    }
    crashPoint(CrashPoint::AfterRequest);
    store_.updatePlaybookRun(intent.id, RunStatus::Running, run_id, "", now());
    poco_debug(logger_, describe(intent) + ": run " + std::to_string(run_id) + " started");
    std::lock_guard<std::mutex> lock(mutex_);
    ++started_;
    polls_[intent.id] = {clock_->now() + config_.poll_min, config_.poll_min};
}

std::optional<std::int64_t> PlaybookTracker::findRun(std::int64_t target_container,
                                                     const std::string& since) {
    const auto intended = Timestamp::parse(since);
    const auto skew = std::chrono::duration_cast<std::chrono::microseconds>(config_.clock_skew);
    for (const auto& candidate : target_.playbookRuns(playbookId(), target_container)) {
        const auto started =
            candidate.start_time ? Timestamp::parse(*candidate.start_time) : std::nullopt;
        // Runs that started well before the intent belong to an earlier trigger.
        if (intended && started && *started < intended->plusMicros(-skew.count())) continue;
        return candidate.id;
    }
    return std::nullopt;
}

void PlaybookTracker::recover() {
    for (const auto& run : store_.pendingPlaybookRuns(key_)) {
        if (run.run_id) continue;
        const auto adopted = findRun(run.target_container_id, run.created_at);
        if (adopted) {
            poco_debug(logger_, describe(run) + ": found run " + std::to_string(*adopted) +
                                    " on the target; adopted it");
            store_.updatePlaybookRun(run.id, RunStatus::Running, *adopted,
                                     "adopted after a restart", now());
            std::lock_guard<std::mutex> lock(mutex_);
            polls_[run.id] = {clock_->now(), config_.poll_min};
            continue;
        }
        requestRun(run);
    }
}

std::size_t PlaybookTracker::poll() {
    std::size_t pending = 0;
    const auto steady_now = clock_->now();
    for (const auto& run : store_.pendingPlaybookRuns(key_)) {
        if (!run.run_id) {
            ++pending;  // an intent: recover() settles it
            continue;
        }
        PollState state{steady_now, config_.poll_min};
        {
            std::lock_guard<std::mutex> lock(mutex_);
            const auto known = polls_.find(run.id);
            if (known != polls_.end()) state = known->second;
        }
        if (state.next > steady_now) {
            ++pending;
            continue;
        }
        const auto status = target_.playbookRun(*run.run_id);
        if (const auto final_status = terminalStatus(status)) {
            store_.updatePlaybookRun(run.id, *final_status, run.run_id, status.message, now());
            poco_debug(logger_, describe(run) + ": run " + std::to_string(*run.run_id) + " ended " +
                                    status.status);
            std::lock_guard<std::mutex> lock(mutex_);
            ++ended_[std::string(state::toString(*final_status))];
            polls_.erase(run.id);
            continue;
        }
        const auto created = Timestamp::parse(run.created_at);
        const auto age_us =
            created ? Timestamp::at(clock_->wallNow()).micros() - created->micros() : 0;
        if (age_us >
            std::chrono::duration_cast<std::chrono::microseconds>(config_.timeout).count()) {
            target_.cancelPlaybookRun(*run.run_id);
            store_.updatePlaybookRun(run.id, RunStatus::TimedOut, run.run_id,
                                     "cancelled after playbook_timeout", now());
            poco_warning(logger_, describe(run) + ": run " + std::to_string(*run.run_id) +
                                      " timed out and was cancelled");
            std::lock_guard<std::mutex> lock(mutex_);
            ++ended_[std::string(state::toString(RunStatus::TimedOut))];
            polls_.erase(run.id);
            continue;
        }
        ++pending;
        const auto interval = std::min(state.interval * 2, config_.poll_max);
        std::lock_guard<std::mutex> lock(mutex_);
        polls_[run.id] = {steady_now + state.interval, interval};
    }
    std::lock_guard<std::mutex> lock(mutex_);
    pending_ = pending;
    return pending;
}

std::string PlaybookTracker::takeActivity() {
    std::lock_guard<std::mutex> lock(mutex_);
    if (started_ == 0 && ended_.empty()) return "";
    std::int64_t ended = 0;
    std::string outcomes;
    for (const auto& [status, n] : ended_) {
        ended += n;
        outcomes += (outcomes.empty() ? "" : ", ") + std::to_string(n) + " " + status;
    }
    std::string out = std::to_string(started_) + " started, " + std::to_string(ended) + " ended";
    if (!outcomes.empty()) out += " (" + outcomes + ")";
    out += ", " + std::to_string(pending_) + " running";
    started_ = 0;
    ended_.clear();
    return out;
}

std::size_t PlaybookTracker::waitAll(std::chrono::milliseconds budget) {
    const auto deadline = clock_->now() + budget;
    for (;;) {
        recover();
        const auto pending = poll();
        if (pending == 0 || clock_->now() >= deadline) return pending;
        clock_->sleepFor(
            std::min<std::chrono::milliseconds>(config_.poll_min, std::chrono::milliseconds(200)));
    }
}

}  // namespace soar::sync
