/// The fault suite (design §5 "Errors are sorted", "Nothing missed", "Nothing duplicated"):
/// both emulators answer 30% of requests with 500 (half of them after applying the write, as
/// when an answer is lost after a commit) and 20% with 429, each request 5 ms late, for
/// SOAR_FAULT_SECONDS while the source keeps changing and passes run back to back. Then, faults
/// still on, passes repeat until one ends ok with nothing left to write; the target must then
/// mirror the source, with no dead letters left.

#include "SuiteEnv.h"
#include "SyncHarness.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <exception>
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
using soar::sync::PassOutcome;
using soar::sync::PassResult;

EmulatorOptions faulty(std::uint64_t seed) {
    EmulatorOptions options;
    options.seed = seed;
    options.fail_rate = 0.3;
    options.throttle_rate = 0.2;
    options.retry_after_seconds = 0;
    options.latency_ms = 5;
    return options;
}

/// Adds containers, artifacts and edits to the source until `stop`, as ingestion and analysts
/// would while the sync runs. Uses the in-process API, so the writes themselves never fault.
void writeSource(Emulator& source, std::uint64_t seed, const std::atomic<bool>& stop,
                 std::exception_ptr& failure) {
    try {
        std::mt19937_64 random(seed);
        std::vector<std::int64_t> ids;
        for (int n = 0; !stop; ++n) {
            const std::string tag = std::to_string(n);
            const auto id = source.createContainer(
                R"({"name": "fault suite )" + tag +
                R"(", "label": "events", "source_data_identifier": "fault-suite-)" + tag + R"("})");
            ids.push_back(id);
            source.addArtifact(R"({"container_id": )" + std::to_string(id) +
                               R"(, "name": "new", "label": "events", "cef": {"requestURL": "/)" +
                               tag + R"("}})");
            std::uniform_int_distribution<std::size_t> pick(0, ids.size() - 1);
            if (n % 3 == 0) {
                source.editContainer(ids[pick(random)],
                                     R"({"description": "edit )" + tag + R"("})");
            }
            if (n % 5 == 0) {
                source.addArtifact(R"({"container_id": )" + std::to_string(ids[pick(random)]) +
                                   R"(, "name": "late", "label": "events", )"
                                   R"("cef": {"fileName": "late-)" +
                                   tag + R"("}})");
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
    } catch (...) {
        failure = std::current_exception();
    }
}

bool wroteNothing(const PassResult& r) {
    const auto& c = r.counts;
    return c.containers_created == 0 && c.containers_updated == 0 && c.artifacts_created == 0 &&
           c.artifacts_updated == 0 && r.dead_lettered == 0;
}

}  // namespace

TEST_CASE("Heavy faults and latency on both sides: converges with nothing lost or duplicated",
          "[integration][fault]") {
    const long seconds = soar::test::envLong("SOAR_FAULT_SECONDS", 120);
    const long containers = soar::test::envLong("SOAR_FAULT_CONTAINERS", 200);
    const std::uint64_t seed = soar::test::envSeed("SOAR_FAULT_SEED");

    EmulatorOptions source_options = faulty(seed);
    source_options.containers = static_cast<int>(containers);
    source_options.artifacts = 3;
    soar::test::SyncHarness h(source_options, faulty(seed + 1));

    std::map<PassOutcome, int> outcomes;
    std::atomic<bool> stop{false};
    std::exception_ptr writer_failure;
    std::thread writer([&] { writeSource(h.source, seed + 2, stop, writer_failure); });
    const auto end = Clock::now() + std::chrono::seconds(seconds);
    while (Clock::now() < end) ++outcomes[h.pass().outcome];
    stop = true;
    writer.join();
    if (writer_failure) std::rethrow_exception(writer_failure);

    // Converge with the faults still on. A record can only be dead-lettered by faults when a
    // 500 outlives the retries twice for it; retry-dead re-drives those, as an operator would.
    const auto converge_end = Clock::now() + std::chrono::seconds(std::max(600L, seconds * 2));
    bool converged = false;
    std::int64_t dead_lettered = 0;
    while (!converged && Clock::now() < converge_end) {
        const auto key = h.sync_->key();
        if (h.store->deadLetterCount(key) > 0) {
            dead_lettered += h.store->deadLetterCount(key);
            ++outcomes[h.sync_->retryDead().outcome];
            continue;
        }
        const auto result = h.pass();
        ++outcomes[result.outcome];
        converged = result.outcome == PassOutcome::Ok && wroteNothing(result) &&
                    h.store->deadLetterCount(key) == 0;
    }
    const auto source_stats = h.source_api->stats();
    const auto target_stats = h.target_api->stats();
    std::cout << "fault suite: " << seconds << " s of changes; passes ok "
              << outcomes[PassOutcome::Ok] << ", errors " << outcomes[PassOutcome::RecordErrors]
              << ", interrupted " << outcomes[PassOutcome::Interrupted] << ", failing "
              << outcomes[PassOutcome::Failing] << "; dead letters re-driven " << dead_lettered
              << "; requests source " << source_stats.attempts << " (retries "
              << source_stats.retries << "), target " << target_stats.attempts << " (retries "
              << target_stats.retries << "); " << h.source.containerCount() << " containers, "
              << h.source.artifactCount() << " artifacts" << std::endl;
    REQUIRE(converged);
    CHECK(outcomes[PassOutcome::Failing] == 0);
    CHECK(h.store->deadLetterCount(h.sync_->key()) == 0);

    const auto problems = soar::test::mirrorProblems(soar::test::snapshot(h.source),
                                                     soar::test::snapshot(h.target), h.route);
    for (std::size_t i = 0; i < problems.size() && i < 20; ++i) UNSCOPED_INFO(problems[i]);
    CHECK(problems.empty());
    CHECK(h.target.containerCount() == h.source.containerCount());
    CHECK(h.target.artifactCount() == h.source.artifactCount());
}
