#pragma once

/// PlaybookTracker: the playbook part of a route for one target (design.md §5, "Playbooks
/// at most once"). It resolves the route's playbook on the target, triggers it against the
/// target's copy of a container, and follows every run to `success`, `failed` or
/// `cancelled`, cancelling runs that outlive `playbook_timeout` (recorded as `timed_out`).
///
/// At most once per trigger, across crashes:
/// 1. intend(): the intent (container, playbook, trigger key), which the engine commits in
///    the unit of work of the container's copy, so the copy and the intent are stored
///    together; a trigger key already stored is never triggered again blindly.
/// 2. committed(): after that commit, the run is requested and its id stored.
/// 3. A crash between 1 and 3 leaves an intent without a run id. recover() (each pass, and
///    so after every restart) asks the target for runs of that playbook on that container
///    started since the intent; one found is adopted, otherwise the run is requested now.
///    A request that failed in a way that may have reached the server (a 500, a timeout) is
///    settled the same way on the next recover(), never by sending it again at once.
///
/// Thread safety: intend() and committed() may be called from the engine's worker threads;
/// recover() and poll() from one thread at a time. Ownership: borrows the target and the
/// store.

#include "soar/client/Clock.h"
#include "soar/state/Records.h"
#include "soar/state/Store.h"
#include "soar/sync/Target.h"

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

namespace Poco {
class Logger;
}

namespace soar::sync {

struct PlaybookConfig {
    /// `repo/name` or a numeric id on the target.
    std::string playbook;
    /// `new` or `all`.
    std::string scope = "new";
    bool on_create = true;
    bool on_update = false;
    std::chrono::milliseconds timeout{30 * 60 * 1000};
    /// Polling of a running run backs off from `poll_min` to `poll_max`.
    std::chrono::milliseconds poll_min{1'000};
    std::chrono::milliseconds poll_max{30'000};
    /// A run found on the target counts as ours when it started no earlier than this before
    /// the intent was stored (clocks of two hosts differ).
    std::chrono::milliseconds clock_skew{60'000};
};

/// Named points between the steps above, and of a run's report (ResultReporter: after its
/// intent is stored, after the note is written); tests kill the process there.
enum class CrashPoint { AfterIntent, AfterRequest, AfterReportIntent, AfterReportWritten };

/// A playbook run a container's replay asks for: the intent to commit with the container,
/// and the run already on the target container when one was adopted instead.
struct PlaybookTrigger {
    state::PlaybookRun intent;
    std::optional<std::int64_t> adopted_run;
};

class PlaybookTracker {
public:
    /// `clock` is where time is read and waited on (poll intervals, the timeout, the
    /// stored times, waitAll's sleeps): a ManualClock in tests.
    PlaybookTracker(PlaybookConfig config, state::RouteTarget key, Target& target,
                    state::Store& store, std::shared_ptr<Clock> clock = SystemClock::instance());

    /// Looks the playbook up on the target. Throws RecordError when the target has no such
    /// playbook (or it is inactive): a configuration error that `check` reports.
    PlaybookInfo resolve();

    /// The intent for `trigger_key` (e.g. `create:<source id>`), for the engine to commit
    /// with the container's unit of work (UnitOfWork::playbook_intents); nothing is stored.
    /// With `adopt_existing` (the container was already on the target, e.g. after the state
    /// file was lost), a run of the playbook found on that container is adopted rather than
    /// a new one requested.
    [[nodiscard]] PlaybookTrigger intend(std::int64_t source_container,
                                         std::int64_t target_container, state::TriggerKind kind,
                                         const std::string& trigger_key,
                                         bool adopt_existing = false);
    /// After the commit of a trigger's intent (`recorded`, from CommitResult::intents):
    /// records the adopted run, or requests the run and stores its id. An intent whose
    /// trigger was recorded before (`recorded.created` false) is recover()'s business. A
    /// failure leaves the intent for recover(); only errors of the target as a whole
    /// (credentials, TLS) propagate.
    void committed(const PlaybookTrigger& trigger, const state::RecordedIntent& recorded);

    /// Settles intents without a run id (see above).
    void recover();
    /// Polls the runs that are due; cancels those past the timeout. Returns how many runs are
    /// still pending.
    std::size_t poll();
    /// Polls until no run is pending or `budget` is spent; returns how many remain.
    std::size_t waitAll(std::chrono::milliseconds budget);
    /// What happened since the last call, for the pass's log line: "3 started, 2 ended (1
    /// success, 1 failed), 4 running"; empty when no run started or ended. (Single runs log
    /// at debug.)
    [[nodiscard]] std::string takeActivity();

    /// For crash tests: called at each CrashPoint.
    void setCrashHook(std::function<void(CrashPoint)> hook) { crash_hook_ = std::move(hook); }
    /// Runs the crash hook, if any, at `point` (the reporter's points are reached through it).
    void crashPoint(CrashPoint point) {
        if (crash_hook_) crash_hook_(point);
    }

    [[nodiscard]] const PlaybookConfig& config() const { return config_; }

private:
    std::int64_t playbookId();
    /// Runs of the playbook on a target container started at or after `since` (less the
    /// clock skew), oldest first.
    std::optional<std::int64_t> findRun(std::int64_t target_container, const std::string& since);
    void requestRun(const state::PlaybookRun& intent);
    /// Now on the clock, as stored.
    [[nodiscard]] std::string now() const;

    PlaybookConfig config_;
    state::RouteTarget key_;
    Target& target_;
    state::Store& store_;
    std::shared_ptr<Clock> clock_;
    Poco::Logger& logger_;
    std::function<void(CrashPoint)> crash_hook_;

    std::mutex mutex_;
    std::optional<std::int64_t> playbook_id_;
    struct PollState {
        std::chrono::steady_clock::time_point next;
        std::chrono::milliseconds interval;
    };
    std::map<std::int64_t, PollState> polls_;
    /// Since the last takeActivity(): runs started, runs ended by status, and the pending
    /// count of the last poll().
    std::int64_t started_ = 0;
    std::map<std::string, std::int64_t> ended_;
    std::size_t pending_ = 0;
};

}  // namespace soar::sync
