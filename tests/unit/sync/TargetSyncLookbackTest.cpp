/// The lookback overlap (Lookback.h): a walk starts at its cursor less `lookback`, so that a
/// record committed late with an earlier time is still met, until a walk that began a whole
/// `lookback` after the cursor reached its place found it unmoved; from then on the walks of
/// one engine start at the cursor itself, until it moves. Time moves on the fixture's
/// ManualClock.

#include "EngineFixture.h"
#include "soar/sync/TargetSync.h"

#include <catch2/catch.hpp>

#include <chrono>

namespace {

using soar::state::Stream;
using soar::sync::PassOutcome;
using soar::test::EngineFixture;
using soar::test::FakeSource;
using soar::test::sourceTime;

/// Pages the source's walks read in one pass of `engine`.
std::int64_t pagesOfPass(EngineFixture& f, soar::sync::TargetSync& engine) {
    const auto before = f.source.calls(FakeSource::Call::WalkPage);
    REQUIRE(engine.runPass().outcome == PassOutcome::Ok);
    return f.source.calls(FakeSource::Call::WalkPage) - before;
}

}  // namespace

TEST_CASE("Engine: the lookback overlap is read until no late record can arrive in it",
          "[engine][unit]") {
    EngineFixture f;
    f.route.artifacts = false;
    f.source.setPageSize(2);
    for (int i = 0; i < 10; ++i) (void)f.source.addContainer(sourceTime(i));
    auto engine = f.engine();
    REQUIRE(engine->runPass().outcome == PassOutcome::Ok);
    REQUIRE(f.target.containerCount() == 10);

    // Within a minute of the cursor's move, each pass reads the ten again (5 pages of them).
    const auto overlapping = pagesOfPass(f, *engine);
    CHECK(overlapping >= 5);
    // A record committed late, timed inside the overlap, is met.
    const auto late = f.source.addContainer(sourceTime(4, 500));
    f.clock->advance(std::chrono::seconds(61));
    CHECK(pagesOfPass(f, *engine) >= overlapping);  // this walk began a lookback later
    CHECK(f.store.containerMapping(f.key, late));
    CHECK(f.target.containerCount() == 11);

    // From now on a pass reads no page of the overlap.
    const auto settled = pagesOfPass(f, *engine);
    CHECK(settled + 4 <= overlapping);  // the five pages of the ten, less the one still read
    CHECK(pagesOfPass(f, *engine) == settled);

    // A record past the cursor is read as always, and the cursor's move opens a new overlap.
    const auto next = f.source.addContainer(sourceTime(20));
    REQUIRE(engine->runPass().outcome == PassOutcome::Ok);
    CHECK(f.store.containerMapping(f.key, next));
    CHECK(pagesOfPass(f, *engine) >= overlapping);

    // A restarted engine overlaps again.
    f.clock->advance(std::chrono::seconds(61));
    (void)pagesOfPass(f, *engine);
    CHECK(pagesOfPass(f, *engine) == settled);
    auto restarted = f.engine();
    CHECK(pagesOfPass(f, *restarted) >= overlapping);
}
