#include "SyncHarness.h"

#include <Poco/Pipe.h>
#include <Poco/PipeStream.h>
#include <Poco/Process.h>
#include <catch2/catch.hpp>

#include <chrono>
#include <random>
#include <thread>

using soar::emulator::EmulatorOptions;

TEST_CASE("SIGKILL mid-pass and a restart leave exactly one copy of everything",
          "[integration][route][crash]") {
    EmulatorOptions source;
    source.seed = 31;
    source.containers = 300;
    source.artifacts = 3;
    EmulatorOptions target;
    target.latency_ms = 10;  // a pass lasts long enough to be killed in the middle
    soar::emulator::Emulator src(source);
    soar::emulator::Emulator dst(target);
    soar::test::TempDir dir;
    const auto state = (dir.path() / "state.db").string();
    const std::vector<std::string> args{src.baseUrl(), dst.baseUrl(), state, "1"};

    std::mt19937 random(7);
    std::uniform_int_distribution<int> delay_ms(0, 250);
    bool killed_mid_sync = false;
    for (int round = 0; round < 4 && dst.containerCount() < 300; ++round) {
        const auto before = dst.containerCount();
        auto handle = Poco::Process::launch(SOAR_ROUTE_RUNNER, args);
        // Killed once it is writing, however long it takes to start (sanitizer builds are
        // slow to start): a fixed delay could kill it before its first write.
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
        while (dst.containerCount() == before && std::chrono::steady_clock::now() < deadline) {
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms(random)));
        Poco::Process::kill(handle);  // SIGKILL
        handle.wait();
        const auto copied = dst.containerCount();
        killed_mid_sync = killed_mid_sync || (copied > 0 && copied < 300);
    }
    CHECK(killed_mid_sync);
    auto finish =
        Poco::Process::launch(SOAR_ROUTE_RUNNER, {src.baseUrl(), dst.baseUrl(), state, "2"});
    REQUIRE(finish.wait() == 0);

    soar::sync::RouteConfig route = soar::test::testRoute();
    const auto problems =
        soar::test::mirrorProblems(soar::test::snapshot(src), soar::test::snapshot(dst), route);
    for (std::size_t i = 0; i < problems.size() && i < 10; ++i) UNSCOPED_INFO(problems[i]);
    CHECK(problems.empty());
    CHECK(dst.containerCount() == 300);
    CHECK(dst.artifactCount() == 900);
}
