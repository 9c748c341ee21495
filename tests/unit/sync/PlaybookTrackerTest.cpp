/// PlaybookTracker decisions on FakeTarget, InMemoryStore and a ManualClock: no sockets, no
/// real waits. The timeout cancels a run once the clock passes it (not before); an intent
/// stored before a crash is settled after the restart by adopting the run the target already
/// has, never by a second trigger; run outcomes are counted once for the pass's summary.
/// Intents are committed as the engine commits them: in a unit of work, then committed().

#include "soar/client/Clock.h"
#include "soar/state/Records.h"
#include "soar/sync/PlaybookTracker.h"
#include "support/FakeTarget.h"
#include "support/InMemoryStore.h"

#include <catch2/catch.hpp>

#include <memory>
#include <stdexcept>
#include <string>

namespace {

using soar::state::RunStatus;
using soar::sync::ManualClock;
using soar::sync::PlaybookTracker;
using soar::test::FakeTarget;
using namespace std::chrono_literals;

/// An intent as the engine handles it: the trigger intend() made and what the commit of the
/// unit of work carrying it recorded.
struct Committed {
    soar::sync::PlaybookTrigger trigger;
    soar::state::RecordedIntent recorded;
};

struct Fixture {
    std::shared_ptr<ManualClock> clock = std::make_shared<ManualClock>();
    /// Knows one playbook (id 7); runs stay `running` until told otherwise.
    FakeTarget target{"dst", clock};
    soar::test::InMemoryStore store;
    soar::state::RouteTarget key{"r", "dst"};

    Fixture() { (void)target.addPlaybook("local/triage", true, 7); }

    soar::sync::PlaybookConfig config() const {
        soar::sync::PlaybookConfig c;
        c.playbook = "local/triage";
        c.timeout = 10min;
        c.poll_min = 1s;
        c.poll_max = 4s;
        return c;
    }
    std::unique_ptr<PlaybookTracker> tracker() {
        return std::make_unique<PlaybookTracker>(config(), key, target, store, clock);
    }
    /// intend(), then the commit of a unit of work carrying the intent.
    Committed commitIntent(PlaybookTracker& tracker, std::int64_t source, std::int64_t copy,
                           const std::string& trigger_key) {
        Committed out;
        out.trigger = tracker.intend(source, copy, soar::state::TriggerKind::Create, trigger_key);
        soar::state::UnitOfWork unit;
        unit.key = key;
        unit.playbook_intents.push_back(out.trigger.intent);
        out.recorded = store.commit(unit).intents.at(0);
        return out;
    }
    std::int64_t runRequests() const { return target.calls(FakeTarget::Call::RunPlaybook); }
    /// Calls the tracker has no business making (containers, artifacts, notes).
    std::int64_t recordCalls() const {
        std::int64_t n = 0;
        for (const auto call :
             {FakeTarget::Call::CreateContainer, FakeTarget::Call::UpdateContainer,
              FakeTarget::Call::ArtifactCopies, FakeTarget::Call::CreateArtifacts,
              FakeTarget::Call::CreateArtifact, FakeTarget::Call::UpdateArtifact,
              FakeTarget::Call::ForEachNote, FakeTarget::Call::CreateNote,
              FakeTarget::Call::CreateComment, FakeTarget::Call::UpdateNote}) {
            n += target.calls(call);
        }
        return n;
    }
};

}  // namespace

TEST_CASE("Tracker: a run past playbook_timeout is cancelled, and not a moment before",
          "[playbook][unit]") {
    Fixture f;
    auto tracker = f.tracker();
    const auto intent = f.commitIntent(*tracker, 1, 11, "create:1");
    REQUIRE(intent.recorded.created);
    tracker->committed(intent.trigger, intent.recorded);
    REQUIRE(f.runRequests() == 1);

    f.clock->advance(9min);
    CHECK(tracker->poll() == 1);
    CHECK(f.target.cancels().empty());

    f.clock->advance(2min);
    CHECK(tracker->poll() == 0);
    CHECK(f.target.cancels().size() == 1);
    CHECK(f.store.playbookRunCounts(f.key).at(RunStatus::TimedOut) == 1);
    CHECK(tracker->takeActivity() == "1 started, 1 ended (1 timed_out), 0 running");
    CHECK(tracker->takeActivity().empty());
    CHECK(f.recordCalls() == 0);
}

TEST_CASE("Tracker: runs are polled with backoff on the clock and end with their outcome",
          "[playbook][unit]") {
    Fixture f;
    auto tracker = f.tracker();
    const auto intent = f.commitIntent(*tracker, 2, 12, "create:2");
    REQUIRE(intent.recorded.created);
    tracker->committed(intent.trigger, intent.recorded);
    const auto run_id = f.target.runs().at(0).id;
    f.target.setRunStatus(run_id, "canceled");  // SOAR's other spelling
    CHECK(tracker->poll() == 1);                // not due before poll_min has passed
    f.clock->advance(1s);
    CHECK(tracker->poll() == 0);
    CHECK(f.store.playbookRunCounts(f.key).at(RunStatus::Cancelled) == 1);
    CHECK(f.target.cancels().empty());
    CHECK(f.recordCalls() == 0);
}

TEST_CASE("Tracker: an intent stored before a crash is adopted after the restart, not re-run",
          "[playbook][unit]") {
    Fixture f;
    {
        auto tracker = f.tracker();
        tracker->setCrashHook([](soar::sync::CrashPoint point) {
            if (point == soar::sync::CrashPoint::AfterRequest) throw std::runtime_error("crash");
        });
        const auto intent = f.commitIntent(*tracker, 3, 13, "create:3");
        REQUIRE(intent.recorded.created);
        // The request went out; its id was not stored.
        CHECK_THROWS(tracker->committed(intent.trigger, intent.recorded));
    }
    REQUIRE(f.runRequests() == 1);
    REQUIRE(f.store.pendingPlaybookRuns(f.key).size() == 1);

    auto restarted = f.tracker();
    // The same trigger again: nothing new is intended.
    CHECK_FALSE(f.commitIntent(*restarted, 3, 13, "create:3").recorded.created);
    restarted->recover();
    CHECK(f.runRequests() == 1);
    const auto pending = f.store.pendingPlaybookRuns(f.key);
    REQUIRE(pending.size() == 1);
    CHECK(pending.front().status == RunStatus::Running);
    CHECK(pending.front().run_id == f.target.runs().at(0).id);
    CHECK(f.recordCalls() == 0);
}

TEST_CASE("Tracker: an intent whose request never reached the target is sent once after a restart",
          "[playbook][unit]") {
    Fixture f;
    {
        auto tracker = f.tracker();
        tracker->setCrashHook([](soar::sync::CrashPoint point) {
            if (point == soar::sync::CrashPoint::AfterIntent) throw std::runtime_error("crash");
        });
        const auto intent = f.commitIntent(*tracker, 4, 14, "create:4");
        REQUIRE(intent.recorded.created);
        CHECK_THROWS(tracker->committed(intent.trigger, intent.recorded));
    }
    CHECK(f.runRequests() == 0);
    auto restarted = f.tracker();
    restarted->recover();
    restarted->recover();
    CHECK(f.runRequests() == 1);
    CHECK(f.recordCalls() == 0);
}
