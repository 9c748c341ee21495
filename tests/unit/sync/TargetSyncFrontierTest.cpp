/// The commit frontier (design.md §5, "write, then commit"): containers are replayed several at
/// once and may finish in any order, but a stream's cursor is committed only up to the oldest
/// container not yet finished, so a crash never skips one. The target holds the oldest
/// container's write on a gate (a condition variable) while the later ones finish.

#include "EngineFixture.h"
#include "soar/client/Timestamp.h"
#include "soar/sync/TargetSync.h"

#include <catch2/catch.hpp>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

namespace {

using soar::state::Stream;
using soar::sync::PassOutcome;
using soar::sync::Timestamp;
using soar::test::EngineFixture;
using soar::test::FakeSource;
using soar::test::sourceTime;

/// Waits (yielding, never sleeping) until the store maps `count` containers; false after
/// `deadline`, a safety net against a hung test.
bool waitForMappings(EngineFixture& f, std::int64_t count,
                     std::chrono::seconds deadline = std::chrono::seconds(30)) {
    const auto until = std::chrono::steady_clock::now() + deadline;
    while (f.store.mappingCounts(f.key).containers < count) {
        if (std::chrono::steady_clock::now() > until) return false;
        std::this_thread::yield();
    }
    return true;
}

Timestamp at(const std::string& text) { return Timestamp::parse(text).value(); }

}  // namespace

TEST_CASE("Engine: the cursor stays at the oldest unfinished container while later ones finish",
          "[engine][unit]") {
    EngineFixture f;
    f.route.artifacts = false;
    f.options.in_flight = 4;
    (void)f.source.addContainer(sourceTime(0));
    REQUIRE(f.pass().outcome == PassOutcome::Ok);
    const auto before = f.cursor(Stream::ContainersCreated);
    REQUIRE(before);
    REQUIRE(before->timestamp == sourceTime(0));

    const auto oldest = f.source.addContainer(sourceTime(10));
    for (int i = 1; i <= 5; ++i) (void)f.source.addContainer(sourceTime(10 + i));
    f.target.gate(f.sdi(oldest));

    auto engine = f.engine();
    soar::sync::PassResult result;
    std::thread pass([&] { result = engine->runPass(); });
    const bool blocked = f.target.waitUntilBlocked(f.sdi(oldest));
    // The five later containers are written and committed while the oldest one waits.
    const bool committed = blocked && waitForMappings(f, 1 + 5);
    const auto held = f.cursor(Stream::ContainersCreated);
    const auto oldest_while_held = f.store.containerMapping(f.key, oldest);
    f.target.release(f.sdi(oldest));
    pass.join();

    REQUIRE(blocked);
    REQUIRE(committed);
    CHECK_FALSE(oldest_while_held);
    REQUIRE(held);
    CHECK(at(held->timestamp) < at(sourceTime(10)));  // not past the unfinished container

    CHECK(result.outcome == PassOutcome::Ok);
    CHECK(result.counts.containers_created == 6);
    CHECK(f.store.containerMapping(f.key, oldest));
    const auto after = f.cursor(Stream::ContainersCreated);
    REQUIRE(after);
    CHECK(after->timestamp == sourceTime(15));
    CHECK(f.target.containerCount() == 7);
}

TEST_CASE("Engine: large records are not read far ahead of the workers", "[engine][unit]") {
    EngineFixture f;
    f.route.artifacts = false;
    f.options.in_flight = 4;
    f.source.setRecordBytes(5U << 20U);  // three fit in ReplayQueue::kHeldBytes, four do not
    std::vector<std::int64_t> ids;
    for (int i = 0; i < 8; ++i) ids.push_back(f.source.addContainer(sourceTime(i)));
    for (const auto id : ids) f.target.gate(f.sdi(id));

    auto engine = f.engine();
    soar::sync::PassResult result;
    std::thread pass([&] { result = engine->runPass(); });
    bool three = true;
    for (std::size_t i = 0; i < 3; ++i) three = f.target.waitUntilBlocked(f.sdi(ids[i])) && three;
    // A worker is free, but the fourth record waits until one of the three is done.
    const bool fourth_early =
        f.target.waitUntilBlocked(f.sdi(ids[3]), std::chrono::milliseconds(300));
    f.target.release(f.sdi(ids[0]));
    const bool fourth_later = f.target.waitUntilBlocked(f.sdi(ids[3]));
    for (const auto id : ids) f.target.release(f.sdi(id));
    pass.join();

    CHECK(three);
    CHECK_FALSE(fourth_early);
    CHECK(fourth_later);
    CHECK(result.outcome == PassOutcome::Ok);
    CHECK(result.counts.containers_created == 8);
}

TEST_CASE("Engine: a container queued while the last runner commits is replayed, not left behind",
          "[engine][unit]") {
    // The one runner replays the first container, finds nothing queued and commits; while its
    // commit has let go of the queue, the walk queues the second. No runner is started for it
    // (this one still counts), so this one must look again after its commit, or the stream's
    // drain waits forever (the test then hangs until ctest's timeout).
    EngineFixture f;
    f.route.artifacts = false;
    f.options.in_flight = 1;
    f.source.setPageSize(1);
    const auto first = f.source.addContainer(sourceTime(0));
    (void)f.source.addContainer(sourceTime(1));

    std::mutex mutex;
    std::condition_variable changed;
    bool committing = false;
    int pages = 0;
    f.store.setCommitHook([&](const soar::state::UnitOfWork& unit) {
        if (unit.containers.empty() || unit.containers[0].source_id != first) return;
        {
            std::unique_lock<std::mutex> lock(mutex);
            if (committing) return;
            committing = true;
            changed.notify_all();
            changed.wait_for(lock, std::chrono::seconds(10), [&] { return pages >= 2; });
        }
        // The walk has the second page: it queues its container within this margin, while the
        // commit is still held.
        std::this_thread::sleep_for(std::chrono::milliseconds(300));
    });
    f.source.setHook([&](FakeSource::Call call, std::int64_t stream) {
        if (call != FakeSource::Call::WalkPage ||
            stream != static_cast<std::int64_t>(Stream::ContainersCreated)) {
            return;
        }
        std::unique_lock<std::mutex> lock(mutex);
        ++pages;
        changed.notify_all();
        // The second container is read once the first one's commit runs.
        if (pages == 2)
            changed.wait_for(lock, std::chrono::seconds(10), [&] { return committing; });
    });

    const auto result = f.pass();
    CHECK(committing);
    CHECK(result.outcome == PassOutcome::Ok);
    CHECK(result.counts.containers_created == 2);
    CHECK(f.target.containerCount() == 2);
}

TEST_CASE("Engine: a full replay queue lets the walk go on once half of it is free, not one place",
          "[engine][unit]") {
    // One replay at a time and pages of 2: the queue holds 3 (one replaying, two waiting) and
    // the walk, once it is full, waits until 1 place more than the one it needs is free.
    EngineFixture f;
    f.route.artifacts = false;
    f.route.page_size = 2;
    f.source.setPageSize(2);
    f.options.in_flight = 1;
    std::vector<std::int64_t> ids;
    for (int i = 0; i < 8; ++i) ids.push_back(f.source.addContainer(sourceTime(i)));
    for (const auto id : ids) f.target.gate(f.sdi(id));
    const auto pages = [&f] { return f.source.calls(FakeSource::Call::WalkPage); };
    // Whether the walk reads page `n` within `wait`.
    const auto readPage = [&](std::int64_t n, std::chrono::milliseconds wait) {
        const auto until = std::chrono::steady_clock::now() + wait;
        while (pages() < n && std::chrono::steady_clock::now() < until) std::this_thread::yield();
        return pages() >= n;
    };

    auto engine = f.engine();
    soar::sync::PassResult result;
    std::thread pass([&] { result = engine->runPass(); });
    // The first replays, the second and third wait; the fourth (page 2) finds the queue full.
    const bool first = f.target.waitUntilBlocked(f.sdi(ids[0]));
    const bool two_pages = readPage(2, std::chrono::seconds(10));
    const bool third_page_early = readPage(3, std::chrono::milliseconds(300));
    // One place free: the walk still waits.
    f.target.release(f.sdi(ids[0]));
    const bool second = f.target.waitUntilBlocked(f.sdi(ids[1]));
    const bool third_page_at_one = readPage(3, std::chrono::milliseconds(300));
    // Two free: it queues the fourth and reads on.
    f.target.release(f.sdi(ids[1]));
    const bool third_page_at_two = readPage(3, std::chrono::seconds(10));
    for (const auto id : ids) f.target.release(f.sdi(id));
    pass.join();

    CHECK(first);
    CHECK(two_pages);
    CHECK_FALSE(third_page_early);
    CHECK(second);
    CHECK_FALSE(third_page_at_one);
    CHECK(third_page_at_two);
    CHECK(result.outcome == PassOutcome::Ok);
    CHECK(result.counts.containers_created == 8);
}
