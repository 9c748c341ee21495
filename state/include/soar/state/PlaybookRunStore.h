#pragma once

/// Playbook runs on a target, from the intent stored before the request to the outcome
/// (design §5, "playbooks at most once"). A trigger (`PlaybookRun::trigger_key`) is recorded at
/// most once per (route, target), across crashes; an intent may also be recorded with the
/// mapping it belongs to, in `UnitOfWork::playbook_intents`.
///
/// Contract (shared by every store interface, see `Store.h`): a write is atomic and durable once
/// the call returns, and a call that throws changed nothing; reads see every write that returned
/// before them; failures throw `StateError`.
///
/// Thread safety: implementations are safe to call from any number of threads at once.
/// Ownership: results are plain values.

#include "soar/state/Records.h"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace soar::state {

class PlaybookRunStore {
public:
    virtual ~PlaybookRunStore() = default;

    /// Stores the intent to run a playbook before the request is sent (`run.id`, `run_id`,
    /// `status` and `updated_at` are ignored: a new intent has status `Intent`, no run id, and
    /// `updated_at == created_at`). Run ids are assigned by the store, unique and increasing
    /// across every (route, target). When `run.trigger_key` is already recorded for
    /// `run.key`, nothing is written and the earlier run is returned with `created == false`:
    /// at most once per trigger, across crashes.
    [[nodiscard]] virtual RecordedIntent recordPlaybookIntent(const PlaybookRun& run) = 0;
    /// Moves a run on: its status, the target's run id once known (nothing keeps the stored
    /// one), a message, and when. Returns whether the run exists.
    virtual bool updatePlaybookRun(std::int64_t id, RunStatus status,
                                   std::optional<std::int64_t> run_id, const std::string& message,
                                   const std::string& at) = 0;
    /// The run recorded for one trigger.
    [[nodiscard]] virtual std::optional<PlaybookRun> playbookRun(
        const RouteTarget& key, const std::string& trigger_key) const = 0;
    /// Runs not yet final (intent or running) of the (route, target), oldest first (in the order
    /// their intents were recorded): what a restarted daemon must check or keep polling.
    [[nodiscard]] virtual std::vector<PlaybookRun> pendingPlaybookRuns(
        const RouteTarget& key) const = 0;
    /// Ended runs (success, failed, cancelled, timed out) whose report is not sent yet
    /// (ReportState None or Sending), oldest first.
    [[nodiscard]] virtual std::vector<PlaybookRun> unreportedPlaybookRuns(
        const RouteTarget& key) const = 0;
    /// Moves a run's report on. Returns whether the run exists.
    virtual bool setPlaybookReport(std::int64_t id, ReportState state) = 0;
    /// How many runs of the (route, target) are in each status (absent = none).
    [[nodiscard]] virtual std::map<RunStatus, std::int64_t> playbookRunCounts(
        const RouteTarget& key) const = 0;
};

}  // namespace soar::state
