#include "StateTestUtil.h"
#include "soar/state/SqliteStore.h"
#include "soar/state/StateError.h"
#include "support/TempDir.h"

#include <catch2/catch.hpp>

#include <atomic>
#include <exception>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

using namespace soar::state;
using namespace soar::state::test;

namespace {

StateOptions optionsFor(const soar::test::TempDir& dir) {
    StateOptions options;
    options.path = (dir.path() / "state.db").string();
    return options;
}

/// Catch2 v2 assertions are not thread-safe: worker threads throw instead, and `Worker::join`
/// rethrows on the test's thread, where Catch2 reports it.
void expect(bool condition, const std::string& what) {
    if (!condition) throw std::runtime_error("expectation failed: " + what);
}

/// Runs `fn` on a thread, keeping its exception to rethrow on the test's thread.
class Worker {
public:
    template <class Fn>
    explicit Worker(Fn fn)
        : thread_([this, fn = std::move(fn)] {
              try {
                  fn();
              } catch (...) {
                  error_ = std::current_exception();
              }
          }) {}
    void join() {
        thread_.join();
        if (error_) std::rethrow_exception(error_);
    }

private:
    std::exception_ptr error_;
    std::thread thread_;
};

}  // namespace

TEST_CASE("Readers read while a writer commits, and never see half a unit",
          "[state][concurrency]") {
    soar::test::TempDir dir;
    const auto options = optionsFor(dir);
    auto store = SqliteStore::open(options);
    auto read_only_options = options;
    read_only_options.read_only = true;
    store->commit(unitOf(0));
    auto status_store = SqliteStore::open(read_only_options);  // like `soar-sync status`

    constexpr std::int64_t kUnits = 500;
    std::atomic<bool> done{false};
    std::atomic<std::int64_t> reads{0};
    Worker writer([&] {
        for (std::int64_t n = 1; n <= kUnits; ++n) store->commit(unitOf(n));
        done = true;
    });
    auto reader = [&](const Store& from) {
        return [&, source = &from] {
            std::int64_t seen = 0;
            do {
                const auto status = source->status(testKey());
                // One snapshot: whole units only, and never fewer than before.
                expect(status.mappings.artifacts == status.mappings.containers * kArtifactsPerUnit,
                       "whole units only");
                expect(status.mappings.containers >= seen, "counts never go back");
                seen = status.mappings.containers;
                expect(status.cursors.size() == 1, "one cursor");
                expect(status.cursors[0].last_id >= seen - 1, "cursor moves with the units");
                (void)source->containerMapping(testKey(), seen / 2);
                ++reads;
            } while (!done);
        };
    };
    Worker same_store_reader(reader(*store));
    Worker other_store_reader(reader(*status_store));
    writer.join();
    same_store_reader.join();
    other_store_reader.join();
    CHECK(reads > 0);
    CHECK(status_store->mappingCounts(testKey()).containers == kUnits + 1);
}

TEST_CASE("Two writers on one file both land every unit", "[state][concurrency]") {
    soar::test::TempDir dir;
    const auto options = optionsFor(dir);
    // Two stores stand for two processes (the daemon and a `resync`): separate connections,
    // so the file lock, not the in-process mutex, keeps them apart.
    auto daemon = SqliteStore::open(options);
    auto resync = SqliteStore::open(options);

    constexpr std::int64_t kUnits = 500;
    Worker a([&] {
        for (std::int64_t n = 1; n <= kUnits; ++n) daemon->commit(unitOf(n));
    });
    Worker b([&] {
        for (std::int64_t n = kUnits + 1; n <= 2 * kUnits; ++n) resync->commit(unitOf(n));
    });
    a.join();
    b.join();

    const auto counts = daemon->mappingCounts(testKey());
    CHECK(counts.containers == 2 * kUnits);
    CHECK(counts.artifacts == 2 * kUnits * kArtifactsPerUnit);
    for (std::int64_t n = 1; n <= 2 * kUnits; n += 37) {
        CHECK(rowsOfUnit(*resync, n) == 1 + kArtifactsPerUnit);
    }
    CHECK(daemon->integrityCheck() == "ok");
}

TEST_CASE("Many threads share one store", "[state][concurrency]") {
    soar::test::TempDir dir;
    auto store = SqliteStore::open(optionsFor(dir));
    constexpr int kThreads = 4;
    constexpr std::int64_t kUnitsEach = 100;
    std::vector<std::unique_ptr<Worker>> workers;
    for (int t = 0; t < kThreads; ++t) {
        workers.push_back(std::make_unique<Worker>([&store, t] {
            // Each thread its own target: the first commit registers it, concurrently.
            const RouteTarget key{"route", "target-" + std::to_string(t)};
            for (std::int64_t n = 1; n <= kUnitsEach; ++n) {
                store->commit(unitOf(n, key));
                expect(rowsOfUnit(*store, n, key) == 1 + kArtifactsPerUnit, "unit visible");
            }
        }));
    }
    for (auto& w : workers) w->join();
    CHECK(store->targets().size() == kThreads);
    for (const auto& key : store->targets()) {
        CHECK(store->mappingCounts(key).containers == kUnitsEach);
    }
}
