/// Playbooks through the engine (design.md §5, "Playbooks at most once"): the intent is
/// committed with the container's copy, the run requested after the commit; a request whose
/// answer was lost is settled after a restart by finding the run on the target, never by a
/// second trigger; a run that outlives playbook_timeout is cancelled and recorded as
/// timed_out. On FakeTarget's playbooks and a ManualClock.

#include "EngineFixture.h"
#include "soar/client/Errors.h"
#include "soar/sync/PlaybookTracker.h"
#include "soar/sync/TargetSync.h"

#include <catch2/catch.hpp>

#include <chrono>
#include <exception>
#include <memory>

namespace {

using soar::state::RunStatus;
using soar::sync::PassOutcome;
using soar::sync::PlaybookTracker;
using soar::test::EngineFixture;
using soar::test::FakeTarget;
using soar::test::sourceTime;
using namespace std::chrono_literals;

struct PlaybookFixture : EngineFixture {
    std::int64_t playbook = target.addPlaybook("local/triage");

    PlaybookFixture() { route.artifacts = false; }

    soar::sync::PlaybookConfig config() const {
        soar::sync::PlaybookConfig c;
        c.playbook = "local/triage";
        c.timeout = 10min;
        c.poll_min = 1s;
        c.poll_max = 4s;
        return c;
    }
    [[nodiscard]] std::unique_ptr<PlaybookTracker> tracker() {
        return std::make_unique<PlaybookTracker>(config(), key, target, store, clock);
    }
    /// One pass of a new tracker and engine: a restarted daemon.
    soar::sync::PassResult passWithPlaybooks() {
        auto playbooks = tracker();
        options.playbooks = playbooks.get();
        auto result = engine()->runPass();
        options.playbooks = nullptr;
        return result;
    }
};

}  // namespace

TEST_CASE("Engine: a run request whose answer was lost is found after a restart, not re-sent",
          "[engine][playbook][unit]") {
    PlaybookFixture f;
    const auto id = f.source.addContainer(sourceTime(0));
    // The request reaches the target (the run starts) but its answer is lost.
    f.target.failNextRunAfterRecording(std::make_exception_ptr(
        soar::sync::TransientError("[instance.dst] POST playbook_run: timed out", 0)));

    const auto first = f.passWithPlaybooks();
    CHECK(first.outcome == PassOutcome::Ok);
    REQUIRE(f.target.runs().size() == 1);
    const auto copy = f.target.containerBySdi(f.sdi(id)).value();
    CHECK(f.target.runs()[0].container == copy);
    auto pending = f.store.pendingPlaybookRuns(f.key);
    REQUIRE(pending.size() == 1);
    CHECK(pending[0].status == RunStatus::Intent);  // no run id stored yet
    CHECK_FALSE(pending[0].run_id);

    f.clock->advance(30s);
    const auto second = f.passWithPlaybooks();
    CHECK(second.outcome == PassOutcome::Ok);
    CHECK(f.target.calls(FakeTarget::Call::RunPlaybook) == 1);
    REQUIRE(f.target.runs().size() == 1);
    pending = f.store.pendingPlaybookRuns(f.key);
    REQUIRE(pending.size() == 1);
    CHECK(pending[0].status == RunStatus::Running);
    CHECK(pending[0].run_id == f.target.runs()[0].id);

    // The run ends; a later pass records its outcome, still with one run on the target.
    f.target.setRunStatus(f.target.runs()[0].id, "success");
    f.clock->advance(30s);
    CHECK(f.passWithPlaybooks().outcome == PassOutcome::Ok);
    CHECK(f.store.pendingPlaybookRuns(f.key).empty());
    CHECK(f.store.playbookRunCounts(f.key).at(RunStatus::Success) == 1);
    CHECK(f.target.runs().size() == 1);
}

TEST_CASE("Engine: a run past playbook_timeout is cancelled and recorded as timed out",
          "[engine][playbook][unit]") {
    PlaybookFixture f;
    (void)f.source.addContainer(sourceTime(0));
    REQUIRE(f.passWithPlaybooks().outcome == PassOutcome::Ok);
    REQUIRE(f.target.runs().size() == 1);
    const auto run = f.target.runs()[0].id;

    f.clock->advance(9min);  // still within the timeout
    CHECK(f.passWithPlaybooks().outcome == PassOutcome::Ok);
    CHECK(f.target.cancels().empty());

    f.clock->advance(2min);
    CHECK(f.passWithPlaybooks().outcome == PassOutcome::Ok);
    REQUIRE(f.target.cancels().size() == 1);
    CHECK(f.target.cancels()[0] == run);
    CHECK(f.target.runs()[0].status == "cancelled");
    CHECK(f.store.pendingPlaybookRuns(f.key).empty());
    CHECK(f.store.playbookRunCounts(f.key).at(RunStatus::TimedOut) == 1);
    CHECK(f.target.calls(FakeTarget::Call::RunPlaybook) == 1);
}
