/// Poison isolation (design.md §5): a container the target answers 500 in `poison_passes`
/// passes in a row, while it accepts other writes, is dead-lettered so that it cannot stall the
/// route; the strikes are stored, so restarting the daemon between the passes does not give
/// the container its chances again.

#include "EngineFixture.h"
#include "soar/sync/TargetSync.h"

#include <catch2/catch.hpp>

#include <chrono>

namespace {

using soar::state::RecordKind;
using soar::state::Stream;
using soar::sync::PassOutcome;
using soar::test::EngineFixture;
using soar::test::sourceTime;

}  // namespace

TEST_CASE("Engine: a container answered 500 in three passes is dead-lettered, across restarts",
          "[engine][unit]") {
    EngineFixture f;
    f.options.poison_passes = 3;
    f.options.in_flight = 1;  // one container at a time: the order of writes is the walk's
    const auto before = f.source.addContainer(sourceTime(0));
    const auto poison = f.source.addContainer(sourceTime(1));
    const auto after = f.source.addContainer(sourceTime(2));
    f.target.failWritesOf(f.sdi(poison));

    for (int pass = 1; pass <= 2; ++pass) {
        INFO("pass " << pass);
        // Each pass on a new engine: the daemon restarted in between.
        const auto result = f.pass();
        CHECK(result.outcome == PassOutcome::Interrupted);
        CHECK_THAT(result.error, Catch::Contains("internal server error"));
        CHECK(f.store.deadLetterCount(f.key) == 0);
        CHECK_FALSE(f.target.containerBySdi(f.sdi(after)));  // held behind the poison
        f.clock->advance(std::chrono::minutes(1));
    }
    CHECK(f.target.containerBySdi(f.sdi(before)));

    const auto third = f.pass();
    CHECK(third.outcome == PassOutcome::RecordErrors);
    CHECK(third.dead_lettered == 1);
    const auto letters = f.store.deadLetters(f.key);
    REQUIRE(letters.size() == 1);
    CHECK(letters[0].kind == RecordKind::Container);
    CHECK(letters[0].source_id == poison);
    CHECK_THAT(letters[0].message, Catch::Contains("500"));
    CHECK_THAT(letters[0].message, Catch::Contains("3 passes"));
    // The pass went on past it.
    CHECK(f.target.containerBySdi(f.sdi(after)));
    const auto cursor = f.cursor(Stream::ContainersCreated);
    REQUIRE(cursor);
    CHECK(cursor->timestamp == sourceTime(2));
    CHECK_FALSE(f.target.containerBySdi(f.sdi(poison)));

    // Once the target takes it, retry-dead copies it.
    f.target.stopFailingWritesOf(f.sdi(poison));
    CHECK(f.engine()->retryDead().outcome == PassOutcome::Ok);
    CHECK(f.target.containerBySdi(f.sdi(poison)));
    CHECK(f.store.deadLetterCount(f.key) == 0);
}

TEST_CASE("Engine: a target that answers 500 to every write holds the pass, dead-letters nothing",
          "[engine][unit]") {
    EngineFixture f;
    f.options.poison_passes = 2;
    const auto first = f.source.addContainer(sourceTime(0));
    const auto second = f.source.addContainer(sourceTime(1));
    f.target.failWritesOf(f.sdi(first));
    f.target.failWritesOf(f.sdi(second));

    for (int pass = 1; pass <= 4; ++pass) {
        INFO("pass " << pass);
        CHECK(f.pass().outcome == PassOutcome::Interrupted);
        f.clock->advance(std::chrono::minutes(1));
    }
    CHECK(f.store.deadLetterCount(f.key) == 0);
    CHECK(f.target.containerCount() == 0);
}
