#include "SyncHarness.h"

#include <Poco/JSON/Parser.h>
#include <Poco/Process.h>
#include <catch2/catch.hpp>

#include <map>

using soar::emulator::EmulatorOptions;
using soar::emulator::PlaybookSpec;
using soar::state::RunStatus;
using soar::sync::PassOutcome;
using soar::sync::PlaybookConfig;
using soar::test::seeded;
using soar::test::SyncHarness;

namespace {

EmulatorOptions withPlaybooks(std::vector<PlaybookSpec> playbooks) {
    EmulatorOptions options;
    options.playbooks = std::move(playbooks);
    return options;
}

PlaybookConfig quickPlaybook(const std::string& name) {
    PlaybookConfig config;
    config.playbook = name;
    config.poll_min = std::chrono::milliseconds(50);
    config.poll_max = std::chrono::milliseconds(200);
    return config;
}

/// Playbook runs on an emulator, counted by target container.
std::map<std::int64_t, int> runsByContainer(const soar::emulator::Emulator& emulator) {
    const auto response = emulator.direct("GET", "/rest/playbook_run?page_size=0");
    REQUIRE(response.status == 200);
    const auto data = Poco::JSON::Parser()
                          .parse(response.body)
                          .extract<Poco::JSON::Object::Ptr>()
                          ->getArray("data");
    std::map<std::int64_t, int> out;
    for (std::size_t i = 0; i < data->size(); ++i) {
        ++out[data->getObject(static_cast<unsigned>(i))->getValue<std::int64_t>("container")];
    }
    return out;
}

void requireOneRunPerContainer(const soar::emulator::Emulator& target) {
    const auto runs = runsByContainer(target);
    CHECK(runs.size() == target.containerCount());
    for (const auto& [container, count] : runs) {
        INFO("target container " << container);
        CHECK(count == 1);
    }
}

}  // namespace

TEST_CASE("A playbook runs once per new container and its outcome is recorded",
          "[integration][playbook]") {
    const std::string outcome = GENERATE(std::string("success"), std::string("failed"));
    SyncHarness h(seeded(41, 12), withPlaybooks({{"local", "triage", outcome, 0.2}}));
    h.usePlaybook(quickPlaybook("local/triage"));
    REQUIRE(h.pass().outcome == PassOutcome::Ok);
    CHECK(h.playbooks->waitAll(std::chrono::seconds(10)) == 0);
    const auto counts = h.store->playbookRunCounts(h.sync_->key());
    CHECK(counts.at(outcome == "success" ? RunStatus::Success : RunStatus::Failed) == 12);
    CHECK(h.pass().outcome == PassOutcome::Ok);  // an idle pass triggers nothing more
    CHECK(h.target.playbookRunCount() == 12);
    requireOneRunPerContainer(h.target);
}

TEST_CASE("An unknown playbook is reported by resolve()", "[integration][playbook]") {
    SyncHarness h(seeded(42, 1), withPlaybooks({{"local", "triage", "success", 0.1}}));
    h.usePlaybook(quickPlaybook("local/missing"));
    CHECK_THROWS_WITH(h.playbooks->resolve(), Catch::Contains("local/missing"));
}

TEST_CASE("A run past playbook_timeout is cancelled and recorded as timed out",
          "[integration][playbook]") {
    SyncHarness h(seeded(43, 3), withPlaybooks({{"local", "slow", "success", 60}}));
    auto config = quickPlaybook("local/slow");
    config.timeout = std::chrono::seconds(5);
    // The tracker's time is a ManualClock: waitAll's sleeps move it, so the timeout passes
    // without a real wait while the emulator's runs (60 s of real time) are still running.
    const auto clock = std::make_shared<soar::sync::ManualClock>();
    h.usePlaybook(config, clock);
    REQUIRE(h.pass().outcome == PassOutcome::Ok);
    const auto real_start = std::chrono::steady_clock::now();
    CHECK(h.playbooks->waitAll(std::chrono::minutes(1)) == 0);
    CHECK(std::chrono::steady_clock::now() - real_start < std::chrono::seconds(20));
    CHECK(clock->totalSlept() >= std::chrono::seconds(5));
    CHECK(h.store->playbookRunCounts(h.sync_->key()).at(RunStatus::TimedOut) == 3);
    const auto response = h.target.direct("GET", "/rest/playbook_run?page_size=0");
    CHECK(response.body.find("\"cancelled\"") != std::string::npos);
    CHECK(response.body.find("\"running\"") == std::string::npos);
}

TEST_CASE("Runs pending at a restart are followed to their end", "[integration][playbook]") {
    SyncHarness h(seeded(44, 5), withPlaybooks({{"local", "triage", "success", 1.0}}));
    h.usePlaybook(quickPlaybook("local/triage"));
    REQUIRE(h.pass().outcome == PassOutcome::Ok);
    REQUIRE(h.store->pendingPlaybookRuns(h.sync_->key()).size() == 5);
    h.reopenStore(false);  // a new process: nothing in memory, the state file as it was
    h.usePlaybook(quickPlaybook("local/triage"));
    CHECK(h.playbooks->waitAll(std::chrono::seconds(10)) == 0);
    CHECK(h.store->playbookRunCounts(h.sync_->key()).at(RunStatus::Success) == 5);
    CHECK(h.target.playbookRunCount() == 5);
}

TEST_CASE("A target answering 500 to playbook_run never gets a run twice",
          "[integration][playbook]") {
    auto target = withPlaybooks({{"local", "triage", "success", 0.1}});
    target.seed = 45;
    SyncHarness h(seeded(45, 20), target);
    h.usePlaybook(quickPlaybook("local/triage"));
    REQUIRE(h.pass().outcome == PassOutcome::Ok);  // containers in place, runs started
    CHECK(h.playbooks->waitAll(std::chrono::seconds(10)) == 0);
    // Now with faults: new containers, whose run requests often fail (half of the failed
    // ones after the server started the run).
    for (int i = 0; i < 20; ++i) {
        h.source.createContainer(R"({"name": "late )" + std::to_string(i) +
                                 R"(", "label": "events"})");
    }
    h.target.setFaults(0.3, 0, 0);
    for (int i = 0; i < 30 && (h.pass().outcome != PassOutcome::Ok ||
                               h.playbooks->waitAll(std::chrono::seconds(2)) != 0);
         ++i) {
    }
    h.target.setFaults(0, 0, 0);
    CHECK(h.playbooks->waitAll(std::chrono::seconds(10)) == 0);
    CHECK(h.target.containerCount() == 40);
    requireOneRunPerContainer(h.target);
}

TEST_CASE("SIGKILL around the run request leaves exactly one run per container",
          "[integration][playbook][crash]") {
    const std::string crash_at =
        GENERATE(std::string("after-intent"), std::string("after-request"));
    INFO("crash at " << crash_at);
    soar::emulator::Emulator source(seeded(46, 6));
    soar::emulator::Emulator target(withPlaybooks({{"local", "triage", "success", 0.1}}));
    soar::test::TempDir dir;
    const auto state = (dir.path() / "state.db").string();
    const std::vector<std::string> args{source.baseUrl(), target.baseUrl(), state, "1"};

    Poco::Process::Env env{{"SOAR_SYNC_TEST_PLAYBOOK", "local/triage"},
                           {"SOAR_SYNC_TEST_CRASH_AT", crash_at}};
    auto crashed = Poco::Process::launch(SOAR_ROUTE_RUNNER, args, nullptr, nullptr, nullptr, env);
    CHECK(crashed.wait() != 0);  // killed by its own SIGKILL at the crash point
    Poco::Process::Env resume{{"SOAR_SYNC_TEST_PLAYBOOK", "local/triage"},
                              {"SOAR_SYNC_TEST_WAIT_RUNS", "10000"}};
    auto finish =
        Poco::Process::launch(SOAR_ROUTE_RUNNER, {source.baseUrl(), target.baseUrl(), state, "2"},
                              nullptr, nullptr, nullptr, resume);
    REQUIRE(finish.wait() == 0);
    CHECK(target.containerCount() == 6);
    CHECK(target.playbookRunCount() == 6);
    requireOneRunPerContainer(target);
}
