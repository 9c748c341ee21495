/// PlaybookTracker decisions on a fake target and a ManualClock: no sockets, no real waits.
/// The timeout cancels a run once the clock passes it (not before); an intent stored before a
/// crash is settled after the restart by adopting the run the target already has, never by a
/// second trigger; run outcomes are counted once for the pass's summary.

#include "soar/client/Clock.h"
#include "soar/client/Errors.h"
#include "soar/client/SoarApi.h"
#include "soar/client/Timestamp.h"
#include "soar/state/SqliteStore.h"
#include "soar/sync/PlaybookTracker.h"
#include "support/TempDir.h"

#include <Poco/JSON/Object.h>
#include <catch2/catch.hpp>

#include <map>
#include <memory>
#include <stdexcept>

namespace {

using soar::state::RunStatus;
using soar::sync::ManualClock;
using soar::sync::PlaybookTracker;
using namespace std::chrono_literals;

/// A target that knows one playbook (id 7): runs stay `running` until told otherwise. Every
/// call the tracker does not need throws, so a test notices when it makes one.
class FakePlaybookTarget final : public soar::sync::SoarApi {
public:
    explicit FakePlaybookTarget(const ManualClock& clock) : clock_(clock) {}

    std::map<std::int64_t, std::string> runs;  // run id -> status
    std::map<std::int64_t, std::int64_t> run_container;
    std::map<std::int64_t, std::string> run_start;
    int run_requests = 0;
    int cancels = 0;

    std::string version() override { return "6.4.1"; }
    soar::sync::Page listPage(const std::string& path, const soar::sync::Query& query,
                              std::size_t) override {
        if (path != "playbook_run") throw std::logic_error("unexpected list of " + path);
        (void)query;
        soar::sync::Page page;
        for (const auto& [id, status] : runs) {
            Poco::JSON::Object::Ptr run = new Poco::JSON::Object;
            run->set("id", id);
            run->set("container", run_container[id]);
            run->set("playbook", 7);
            run->set("status", status);
            run->set("start_time", run_start[id]);
            page.records.push_back(run);
        }
        page.count = static_cast<std::int64_t>(page.records.size());
        page.num_pages = 1;
        return page;
    }
    soar::sync::Record getObject(const std::string&) override { throw unexpected(); }
    std::optional<soar::sync::Record> get(const std::string&, std::int64_t) override {
        throw unexpected();
    }
    soar::sync::CreateResult createContainer(const Poco::JSON::Object&) override {
        throw unexpected();
    }
    void updateContainer(std::int64_t, const Poco::JSON::Object&) override { throw unexpected(); }
    soar::sync::CreateResult createArtifact(const Poco::JSON::Object&) override {
        throw unexpected();
    }
    std::vector<soar::sync::BatchItemResult> createArtifacts(const Poco::JSON::Array&) override {
        throw unexpected();
    }
    void updateArtifact(std::int64_t, const Poco::JSON::Object&) override { throw unexpected(); }
    soar::sync::CreateResult createNote(const Poco::JSON::Object&) override { throw unexpected(); }
    soar::sync::CreateResult createComment(const Poco::JSON::Object&) override {
        throw unexpected();
    }
    void updateNote(std::int64_t, const Poco::JSON::Object&) override { throw unexpected(); }
    std::optional<soar::sync::PlaybookInfo> findPlaybook(const std::string& spec) override {
        if (spec != "local/triage") return std::nullopt;
        return soar::sync::PlaybookInfo{7, "triage", 1, true};
    }
    std::int64_t runPlaybook(const soar::sync::PlaybookRunRequest& request) override {
        ++run_requests;
        const auto id = next_id_++;
        runs[id] = "running";
        run_container[id] = request.container_id;
        run_start[id] = soar::sync::Timestamp::at(clock_.wallNow()).toString();
        return id;
    }
    soar::sync::PlaybookRunStatus playbookRun(std::int64_t run_id) override {
        soar::sync::PlaybookRunStatus status;
        status.id = run_id;
        status.status = runs.at(run_id);
        status.outcome = soar::sync::playbookOutcome(status.status);
        return status;
    }
    void cancelPlaybookRun(std::int64_t run_id) override {
        ++cancels;
        runs.at(run_id) = "cancelled";
    }

private:
    static std::logic_error unexpected() {
        return std::logic_error("the tracker made a call it does not need");
    }
    const ManualClock& clock_;
    std::int64_t next_id_ = 100;
};

struct Fixture {
    soar::test::TempDir dir;
    std::shared_ptr<ManualClock> clock = std::make_shared<ManualClock>();
    FakePlaybookTarget target{*clock};
    std::unique_ptr<soar::state::SqliteStore> store =
        soar::state::SqliteStore::open({(dir.path() / "state.db").string()});
    soar::state::RouteTarget key{"r", "dst"};

    soar::sync::PlaybookConfig config() const {
        soar::sync::PlaybookConfig c;
        c.playbook = "local/triage";
        c.timeout = 10min;
        c.poll_min = 1s;
        c.poll_max = 4s;
        return c;
    }
    std::unique_ptr<PlaybookTracker> tracker() {
        return std::make_unique<PlaybookTracker>(config(), key, target, *store, clock);
    }
};

}  // namespace

TEST_CASE("Tracker: a run past playbook_timeout is cancelled, and not a moment before",
          "[playbook][unit]") {
    Fixture f;
    auto tracker = f.tracker();
    const auto intent = tracker->intend(1, 11, soar::state::TriggerKind::Create, "create:1");
    REQUIRE(intent);
    tracker->start(*intent);
    REQUIRE(f.target.run_requests == 1);

    f.clock->advance(9min);
    CHECK(tracker->poll() == 1);
    CHECK(f.target.cancels == 0);

    f.clock->advance(2min);
    CHECK(tracker->poll() == 0);
    CHECK(f.target.cancels == 1);
    CHECK(f.store->playbookRunCounts(f.key).at(RunStatus::TimedOut) == 1);
    CHECK(tracker->takeActivity() == "1 started, 1 ended (1 timed_out), 0 running");
    CHECK(tracker->takeActivity().empty());
}

TEST_CASE("Tracker: runs are polled with backoff on the clock and end with their outcome",
          "[playbook][unit]") {
    Fixture f;
    auto tracker = f.tracker();
    const auto intent = tracker->intend(2, 12, soar::state::TriggerKind::Create, "create:2");
    REQUIRE(intent);
    tracker->start(*intent);
    const auto run_id = f.target.runs.begin()->first;
    f.target.runs[run_id] = "canceled";  // SOAR's other spelling
    CHECK(tracker->poll() == 1);         // not due before poll_min has passed
    f.clock->advance(1s);
    CHECK(tracker->poll() == 0);
    CHECK(f.store->playbookRunCounts(f.key).at(RunStatus::Cancelled) == 1);
    CHECK(f.target.cancels == 0);
}

TEST_CASE("Tracker: an intent stored before a crash is adopted after the restart, not re-run",
          "[playbook][unit]") {
    Fixture f;
    {
        auto tracker = f.tracker();
        tracker->setCrashHook([](soar::sync::CrashPoint point) {
            if (point == soar::sync::CrashPoint::AfterRequest) throw std::runtime_error("crash");
        });
        const auto intent = tracker->intend(3, 13, soar::state::TriggerKind::Create, "create:3");
        REQUIRE(intent);
        CHECK_THROWS(tracker->start(*intent));  // the request went out; its id was not stored
    }
    REQUIRE(f.target.run_requests == 1);
    REQUIRE(f.store->pendingPlaybookRuns(f.key).size() == 1);

    auto restarted = f.tracker();
    // The same trigger again: nothing new is intended.
    CHECK_FALSE(restarted->intend(3, 13, soar::state::TriggerKind::Create, "create:3"));
    restarted->recover();
    CHECK(f.target.run_requests == 1);
    const auto pending = f.store->pendingPlaybookRuns(f.key);
    REQUIRE(pending.size() == 1);
    CHECK(pending.front().status == RunStatus::Running);
    CHECK(pending.front().run_id == f.target.runs.begin()->first);
}

TEST_CASE("Tracker: an intent whose request never reached the target is sent once after a restart",
          "[playbook][unit]") {
    Fixture f;
    {
        auto tracker = f.tracker();
        tracker->setCrashHook([](soar::sync::CrashPoint point) {
            if (point == soar::sync::CrashPoint::AfterIntent) throw std::runtime_error("crash");
        });
        const auto intent = tracker->intend(4, 14, soar::state::TriggerKind::Create, "create:4");
        REQUIRE(intent);
        CHECK_THROWS(tracker->start(*intent));
    }
    CHECK(f.target.run_requests == 0);
    auto restarted = f.tracker();
    restarted->recover();
    restarted->recover();
    CHECK(f.target.run_requests == 1);
}
