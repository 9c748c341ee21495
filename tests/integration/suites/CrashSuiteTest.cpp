/// The crash suite (design §5 "Nothing duplicated", style §14): soar-sync-route-runner syncs a
/// large source and is killed with SIGKILL at random moments, SOAR_CRASH_KILLS times, while the
/// source keeps changing between kills (new containers, edited ones, artifacts added to
/// containers already copied). A last run then finishes the sync, and the target must hold
/// exactly one copy of every source container and artifact, with the mapped fields, and no
/// cursor may have moved back between two kills.

#include "SuiteEnv.h"
#include "SyncHarness.h"

#include <Poco/Process.h>
#include <catch2/catch.hpp>

#include <chrono>
#include <cstdint>
#include <iostream>
#include <map>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;
using soar::emulator::Emulator;
using soar::emulator::EmulatorOptions;

/// Waits until the target holds more than `copied` containers or artifacts (the runner is
/// writing), the runner exits, or `limit` passes. Returns whether the runner is writing.
bool waitForWrites(const Emulator& target, const Poco::ProcessHandle& runner, std::size_t copied,
                   std::chrono::seconds limit) {
    const auto deadline = Clock::now() + limit;
    while (Clock::now() < deadline) {
        if (target.containerCount() + target.artifactCount() > copied) return true;
        if (!Poco::Process::isRunning(runner)) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return false;
}

/// Changes the source as analysts and ingestion would between two kills.
void changeSource(Emulator& source, std::mt19937_64& random, int round,
                  std::vector<std::int64_t>& ids) {
    for (int i = 0; i < 20; ++i) {
        const std::string tag = std::to_string(round) + "-" + std::to_string(i);
        const auto id = source.createContainer(R"({"name": "late )" + tag +
                                               R"(", "label": "events", )"
                                               R"("source_data_identifier": "crash-suite-)" +
                                               tag + R"("})");
        ids.push_back(id);
        for (int a = 0; a < 3; ++a) {
            source.addArtifact(R"({"container_id": )" + std::to_string(id) +
                               R"(, "name": "late artifact", "label": "events", )"
                               R"("cef": {"sourceAddress": "10.9.)" +
                               std::to_string(round) + "." + std::to_string(i * 3 + a) + R"("}})");
        }
    }
    std::uniform_int_distribution<std::size_t> pick(0, ids.size() - 1);
    for (int i = 0; i < 5; ++i) {
        source.editContainer(ids[pick(random)], R"({"description": "edited in round )" +
                                                    std::to_string(round) + R"("})");
    }
    for (int i = 0; i < 3; ++i) {
        source.addArtifact(R"({"container_id": )" + std::to_string(ids[pick(random)]) +
                           R"(, "name": "added later", "label": "events", )"
                           R"("cef": {"destinationAddress": "10.8.)" +
                           std::to_string(round) + "." + std::to_string(i) + R"("}})");
    }
}

/// The cursors the runner committed, by stream (the runner is dead: the file is ours).
std::map<soar::state::Stream, std::string> committedCursors(const std::string& state) {
    const auto store = soar::state::SqliteStore::open({state});
    std::map<soar::state::Stream, std::string> out;
    for (const auto& cursor : store->cursors({"src-to-dst", "dst"})) {
        out[cursor.stream] = cursor.timestamp;
    }
    return out;
}

}  // namespace

TEST_CASE("Random SIGKILLs during a large sync leave exactly one copy of everything",
          "[integration][crash]") {
    const long kills = soar::test::envLong("SOAR_CRASH_KILLS", 5);
    const long containers = soar::test::envLong("SOAR_CRASH_CONTAINERS", 1500);
    std::mt19937_64 random(soar::test::envSeed("SOAR_CRASH_SEED"));

    EmulatorOptions source_options;
    source_options.seed = random();
    source_options.containers = static_cast<int>(containers);
    source_options.artifacts = 5;
    EmulatorOptions target_options;
    target_options.latency_ms = 2;  // a pass long enough to be killed in the middle
    Emulator source(source_options);
    Emulator target(target_options);
    std::vector<std::int64_t> ids;
    for (std::int64_t id = 1; id <= containers; ++id) ids.push_back(id);

    soar::test::TempDir dir;
    const auto state = (dir.path() / "state.db").string();
    const std::vector<std::string> args{source.baseUrl(), target.baseUrl(), state, "3"};

    std::uniform_int_distribution<int> delay_ms(0, 300);
    long mid_sync = 0;
    std::map<soar::state::Stream, std::string> cursors;
    for (long round = 0; round < kills; ++round) {
        const auto copied = target.containerCount() + target.artifactCount();
        auto runner = Poco::Process::launch(SOAR_ROUTE_RUNNER, args);
        const bool writing = waitForWrites(target, runner, copied, std::chrono::seconds(120));
        std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms(random)));
        const bool running = Poco::Process::isRunning(runner);
        Poco::Process::kill(runner);  // SIGKILL
        static_cast<void>(runner.wait());
        if (writing && running) ++mid_sync;
        // A cursor never moves back (timestamps in one format order as text).
        const auto committed = committedCursors(state);
        for (const auto& [stream, timestamp] : cursors) {
            const auto now = committed.find(stream);
            REQUIRE(now != committed.end());
            CHECK(now->second >= timestamp);
        }
        cursors = committed;
        std::cout << "kill " << round + 1 << "/" << kills << ": target holds "
                  << target.containerCount() << " of " << source.containerCount() << " containers"
                  << (writing && running ? "" : " (not mid-sync)") << std::endl;
        changeSource(source, random, static_cast<int>(round), ids);
    }
    // Most kills must land while the runner writes; the first always does (a large source).
    CHECK(mid_sync >= (kills + 1) / 2);

    auto finish = Poco::Process::launch(SOAR_ROUTE_RUNNER, args);
    REQUIRE(finish.wait() == 0);

    const auto problems = soar::test::mirrorProblems(
        soar::test::snapshot(source), soar::test::snapshot(target), soar::test::testRoute());
    for (std::size_t i = 0; i < problems.size() && i < 20; ++i) UNSCOPED_INFO(problems[i]);
    CHECK(problems.empty());
    CHECK(target.containerCount() == source.containerCount());
    CHECK(target.artifactCount() == source.artifactCount());
}
