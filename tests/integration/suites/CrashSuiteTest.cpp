/// The crash suite (design §5 "Nothing duplicated", style §14): the real daemon, `soar-sync
/// run` with an INI config in a temp folder, syncs a large source between two in-process
/// emulators and is killed with SIGKILL at random moments while it writes, SOAR_CRASH_KILLS
/// times, while the source keeps changing between kills (new containers, edited ones,
/// artifacts added to containers already copied). A last `soar-sync sync-once` then finishes
/// the sync, and the target must hold exactly one copy of every source container and artifact,
/// with the mapped fields; no cursor may have moved back between two kills, a further
/// `sync-once` must copy nothing, and neither token may reach the log or the outputs.

#include "SuiteEnv.h"
#include "SyncHarness.h"
#include "support/ChildProcess.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;
using soar::emulator::Emulator;
using soar::emulator::EmulatorOptions;
using soar::test::ChildProcess;

// What the config names, and what the suite reads back (mirrorProblems() takes testRoute()'s
// source "src"; committedCursors() the route and its target).
const std::string kRoute = "src-to-dst";
const std::string kSource = "src";
const std::string kTarget = "dst";

// The daemon gets the tokens through the environment, as token_env says; they must never
// show up in its log or outputs.
const std::string kSourceTokenEnv = "SOAR_CRASH_SUITE_SOURCE_TOKEN";
const std::string kTargetTokenEnv = "SOAR_CRASH_SUITE_TARGET_TOKEN";
const std::string kSourceToken = "crash-src-tok-3f9a1c7e-never-print";
const std::string kTargetToken = "crash-dst-tok-8b2d6e40-never-print";

/// Writes the daemon's config: one route from the source emulator to the target emulator,
/// passes 100 ms apart, the status server on a free port, the log in `dir`.
std::string writeConfig(const std::filesystem::path& dir, const Emulator& source,
                        const Emulator& target) {
    const auto config = dir / "soar-sync.ini";
    const auto instance = [](const std::string& name, const Emulator& emulator,
                             const std::string& token_env) {
        return "[instance." + name + "]\nurl = " + emulator.baseUrl() +
               "\nallow_insecure_http = true\ntoken_env = " + token_env +
               "\ntimeout = 10s\nconnections = 4\n";
    };
    const auto route = soar::test::testRoute();
    std::ofstream(config) << "[state]\npath = " << (dir / "state.db").string() << "\n"
                          << "[http]\nlisten = 127.0.0.1:0\n"
                          << "[log]\nlevel = information\nfile = "
                          << (dir / "soar-sync.log").string() << "\n"
                          << instance(kSource, source, kSourceTokenEnv)
                          << instance(kTarget, target, kTargetTokenEnv) << "[route." << kRoute
                          << "]\nsource = " << kSource << "\ntargets = " << kTarget
                          << "\npoll_interval = 100ms\npage_size = 50\nlookback = "
                          << route.lookback.count() << "ms\n";
    return config.string();
}

/// Waits until the target holds more than `copied` containers or artifacts (the daemon is
/// writing), the daemon exits, or `limit` passes. Returns whether the daemon is writing.
bool waitForWrites(const Emulator& target, ChildProcess& daemon, std::size_t copied,
                   std::chrono::seconds limit) {
    const auto deadline = Clock::now() + limit;
    while (Clock::now() < deadline) {
        if (target.containerCount() + target.artifactCount() > copied) return true;
        if (!daemon.running()) return false;
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

/// The cursors the daemon committed, by stream (the daemon is dead: the file is ours).
std::map<soar::state::Stream, std::string> committedCursors(const std::string& state) {
    const auto store = soar::state::SqliteStore::open({state});
    std::map<soar::state::Stream, std::string> out;
    for (const auto& cursor : store->cursors({kRoute, kTarget})) {
        out[cursor.stream] = cursor.timestamp;
    }
    return out;
}

double secondsSince(Clock::time_point start) {
    return std::chrono::duration<double>(Clock::now() - start).count();
}

}  // namespace

TEST_CASE("Random SIGKILLs of soar-sync run during a large sync leave exactly one copy",
          "[integration][crash]") {
    const long kills = soar::test::envLong("SOAR_CRASH_KILLS", 5);
    const long containers = soar::test::envLong("SOAR_CRASH_CONTAINERS", 1500);
    std::mt19937_64 random(soar::test::envSeed("SOAR_CRASH_SEED"));
    const auto started = Clock::now();

    EmulatorOptions source_options;
    source_options.token = kSourceToken;
    source_options.seed = random();
    source_options.containers = static_cast<int>(containers);
    source_options.artifacts = 5;
    EmulatorOptions target_options;
    target_options.token = kTargetToken;
    target_options.latency_ms = 2;  // a sync long enough to be killed in the middle
    Emulator source(source_options);
    Emulator target(target_options);
    std::vector<std::int64_t> ids;
    for (std::int64_t id = 1; id <= containers; ++id) ids.push_back(id);

    soar::test::TempDir dir;
    const auto config = writeConfig(dir.path(), source, target);
    const auto state = (dir.path() / "state.db").string();
    const std::vector<std::string> env{kSourceTokenEnv + "=" + kSourceToken,
                                       kTargetTokenEnv + "=" + kTargetToken};
    std::vector<std::string> outputs;  // every stdout and stderr, searched for the tokens
    const auto start = [&](const std::string& command, const std::string& name) {
        const auto out = dir.path() / (name + ".out");
        const auto err = dir.path() / (name + ".err");
        return std::make_unique<ChildProcess>(
            SOAR_SYNC_EXE, std::vector<std::string>{"--config", config, command}, out, err, env);
    };

    // Most kills land soon after the daemon starts writing; every third one later, when it
    // may have caught up and sit between passes or in a nearly idle one.
    std::uniform_int_distribution<int> delay_ms(0, 300);
    std::uniform_int_distribution<int> late_delay_ms(300, 2500);
    long mid_sync = 0;
    std::map<soar::state::Stream, std::string> cursors;
    for (long round = 0; round < kills; ++round) {
        const auto copied = target.containerCount() + target.artifactCount();
        auto daemon = start("run", "run-" + std::to_string(round + 1));
        const bool writing = waitForWrites(target, *daemon, copied, std::chrono::seconds(120));
        const int delay = round % 3 == 2 ? late_delay_ms(random) : delay_ms(random);
        std::this_thread::sleep_for(std::chrono::milliseconds(delay));
        const bool running = daemon->running();
        daemon->kill();  // SIGKILL
        outputs.push_back(daemon->out() + daemon->err());
        // `run` never exits by itself; if it did, its stderr says why.
        INFO("soar-sync run stderr: " << daemon->err());
        REQUIRE(running);
        REQUIRE(writing);
        // Counts only grow and the source stood still during the round: a target still
        // behind it after the kill was behind when the kill landed.
        const bool behind = target.containerCount() < source.containerCount() ||
                            target.artifactCount() < source.artifactCount();
        if (behind) ++mid_sync;
        // A cursor never moves back (timestamps in one format order as text).
        const auto committed = committedCursors(state);
        for (const auto& [stream, timestamp] : cursors) {
            const auto now = committed.find(stream);
            REQUIRE(now != committed.end());
            CHECK(now->second >= timestamp);
        }
        cursors = committed;
        std::cout << "kill " << round + 1 << "/" << kills << " at " << secondsSince(started)
                  << " s: target holds " << target.containerCount() << " of "
                  << source.containerCount() << " containers, " << target.artifactCount() << " of "
                  << source.artifactCount() << " artifacts" << (behind ? "" : " (not mid-sync)")
                  << std::endl;
        changeSource(source, random, static_cast<int>(round), ids);
    }
    // The first two kills land while the daemon is far behind (1,500 containers, killed within
    // 300 ms of its first write); the later rounds add 20 containers each, which a fast
    // machine may copy before the kill lands, so only those two are required mid-sync.
    std::cout << mid_sync << " of " << kills << " kills mid-sync" << std::endl;
    CHECK(mid_sync >= std::min<long>(kills, 2));

    {
        auto finish = start("sync-once", "finish");
        const auto code = finish->wait(std::chrono::minutes(10));
        outputs.push_back(finish->out() + finish->err());
        INFO("soar-sync sync-once stderr: " << finish->err());
        REQUIRE(code == std::optional<int>(0));
    }
    std::cout << "finished at " << secondsSince(started) << " s" << std::endl;

    const auto problems = soar::test::mirrorProblems(
        soar::test::snapshot(source), soar::test::snapshot(target), soar::test::testRoute());
    for (std::size_t i = 0; i < problems.size() && i < 20; ++i) UNSCOPED_INFO(problems[i]);
    CHECK(problems.empty());
    CHECK(target.containerCount() == source.containerCount());
    CHECK(target.artifactCount() == source.artifactCount());

    // Once in step, a further pass writes no copy of anything.
    {
        auto again = start("sync-once", "again");
        const auto code = again->wait(std::chrono::minutes(2));
        outputs.push_back(again->out() + again->err());
        INFO("soar-sync sync-once stderr: " << again->err());
        CHECK(code == std::optional<int>(0));
        CHECK(target.containerCount() == source.containerCount());
        CHECK(target.artifactCount() == source.artifactCount());
    }

    outputs.push_back(soar::test::readWholeFile(dir.path() / "soar-sync.log"));
    for (const auto& text : outputs) {
        CHECK(text.find(kSourceToken) == std::string::npos);
        CHECK(text.find(kTargetToken) == std::string::npos);
    }
}
