/// A container new to the target takes its first artifacts along in its own create
/// (soar-api.md §3.2): one request for both. What the create's answer says of them is
/// recorded; when it does not say, they are looked for by sdi, never posted twice; when the
/// target refuses the two together, the container is sent alone and the artifacts follow in
/// their batch, where only a bad one is dead-lettered.

#include "EngineFixture.h"
#include "soar/client/Timestamp.h"
#include "soar/sync/TargetSync.h"

#include <Poco/JSON/Object.h>
#include <catch2/catch.hpp>

#include <optional>
#include <set>
#include <string>
#include <vector>

namespace {

using soar::state::RecordKind;
using soar::sync::PassOutcome;
using soar::test::EngineFixture;
using soar::test::FakeTarget;
using soar::test::sourceTime;

Poco::JSON::Object::Ptr named(const std::string& name) {
    Poco::JSON::Object::Ptr out = new Poco::JSON::Object;
    out->set("name", name);
    return out;
}

/// Two containers of three artifacts each, the second's middle one named `middle`.
struct TwoContainers {
    std::int64_t first = 0;
    std::int64_t second = 0;
    std::vector<std::int64_t> artifacts;

    explicit TwoContainers(EngineFixture& f, const std::string& middle = "ok") {
        first = f.source.addContainer(sourceTime(0));
        second = f.source.addContainer(sourceTime(1));
        for (int i = 0; i < 3; ++i) artifacts.push_back(f.source.addArtifact(first, sourceTime(2)));
        artifacts.push_back(f.source.addArtifact(second, sourceTime(3)));
        artifacts.push_back(f.source.addArtifact(second, sourceTime(3), named(middle)));
        artifacts.push_back(f.source.addArtifact(second, sourceTime(3)));
    }
};

/// Every source artifact has one copy on the target, in its container's copy, and a mapping
/// that names that copy.
void checkOneCopyEach(EngineFixture& f, const TwoContainers& c) {
    std::set<std::int64_t> targets;
    for (const auto source_container : {c.first, c.second}) {
        const auto copy = f.target.containerBySdi(f.sdi(source_container));
        REQUIRE(copy);
        CHECK(f.target.artifactsIn(*copy).size() == 3);
    }
    for (const auto artifact : c.artifacts) {
        const auto mapping = f.store.artifactMapping(f.key, artifact);
        REQUIRE(mapping);
        targets.insert(mapping->target_id);
    }
    CHECK(targets.size() == c.artifacts.size());
    CHECK(f.target.artifactCount() == c.artifacts.size());
}

/// Artifacts touched without a change are read again and left alone: the stored hashes are
/// the artifacts' as mapped for their container.
void checkSettled(EngineFixture& f, const TwoContainers& c) {
    for (const auto artifact : c.artifacts) f.source.editArtifact(artifact, sourceTime(20));
    f.clock->advance(std::chrono::seconds(30));
    f.target.resetCounts();
    const auto again = f.pass();
    CHECK(again.outcome == PassOutcome::Ok);
    CHECK(again.counts.artifacts_unchanged == 6);
    CHECK(f.target.calls(FakeTarget::Call::UpdateArtifact) == 0);
    CHECK(f.target.calls(FakeTarget::Call::CreateArtifacts) == 0);
}

}  // namespace

TEST_CASE("Embedded artifacts: a new container and its artifacts cost one request",
          "[engine][unit]") {
    EngineFixture f;
    const TwoContainers c(f);

    const auto result = f.pass();
    REQUIRE(result.outcome == PassOutcome::Ok);
    CHECK(result.counts.containers_created == 2);
    CHECK(result.counts.artifacts_created == 6);
    CHECK(f.target.calls(FakeTarget::Call::CreateContainer) == 2);
    CHECK(f.target.containersWithEmbeddedArtifacts() == 2);
    CHECK(f.target.calls(FakeTarget::Call::CreateArtifacts) == 0);
    CHECK(f.target.calls(FakeTarget::Call::ArtifactCopies) == 0);
    checkOneCopyEach(f, c);
    // The copies are as a batch makes them: automation off on each, in their container.
    const auto copy = f.target.containerBySdi(f.sdi(c.first));
    REQUIRE(copy);
    std::set<std::string> sdis;
    for (const auto& artifact : f.target.artifactsIn(*copy)) {
        CHECK(artifact->getValue<bool>("run_automation") == false);
        sdis.insert(artifact->getValue<std::string>("source_data_identifier"));
    }
    CHECK(sdis == std::set<std::string>{f.mapper.artifactSdi(c.artifacts[0]),
                                        f.mapper.artifactSdi(c.artifacts[1]),
                                        f.mapper.artifactSdi(c.artifacts[2])});
    CHECK_FALSE(f.target.container(*copy).value()->has("artifacts"));
    checkSettled(f, c);
}

TEST_CASE("Embedded artifacts: more than one batch sends the first along and the rest after",
          "[engine][unit]") {
    EngineFixture f;
    f.options.artifact_batch = 2;
    const TwoContainers c(f);

    REQUIRE(f.pass().outcome == PassOutcome::Ok);
    CHECK(f.target.containersWithEmbeddedArtifacts() == 2);
    CHECK(f.target.calls(FakeTarget::Call::CreateArtifacts) == 2);  // the third of each
    CHECK(f.target.calls(FakeTarget::Call::ArtifactCopies) == 0);
    checkOneCopyEach(f, c);
    checkSettled(f, c);
}

TEST_CASE("Embedded artifacts: a refused one is dead-lettered alone, by the create's answer",
          "[engine][unit]") {
    for (const auto answer :
         {FakeTarget::EmbeddedAnswer::PerItem, FakeTarget::EmbeddedAnswer::NewIds,
          FakeTarget::EmbeddedAnswer::Nothing}) {
        DYNAMIC_SECTION("answer " << static_cast<int>(answer)) {
            EngineFixture f;
            const TwoContainers c(f, "bad");
            f.target.answerEmbedded(answer);
            f.target.refuseIf([](FakeTarget::Call call, const Poco::JSON::Object& body) {
                if ((call == FakeTarget::Call::CreateArtifacts ||
                     call == FakeTarget::Call::CreateArtifact) &&
                    body.optValue<std::string>("name", "") == "bad") {
                    return std::optional<std::string>("Invalid cef: bad");
                }
                return std::optional<std::string>();
            });

            const auto result = f.pass();
            CHECK(result.outcome == PassOutcome::RecordErrors);
            CHECK(result.dead_lettered == 1);
            const auto letters = f.store.deadLetters(f.key);
            REQUIRE(letters.size() == 1);
            CHECK(letters[0].kind == RecordKind::Artifact);
            CHECK(letters[0].source_id == c.artifacts[4]);
            CHECK_THAT(letters[0].message, Catch::Contains("Invalid cef: bad"));
            // Every other artifact has exactly one copy and a mapping.
            CHECK(f.target.artifactCount() == 5);
            for (const auto artifact : c.artifacts) {
                CHECK(f.store.artifactMapping(f.key, artifact).has_value() ==
                      (artifact != c.artifacts[4]));
            }
            CHECK(f.target.calls(FakeTarget::Call::UpdateArtifact) == 0);
            const auto second = f.target.containerBySdi(f.sdi(c.second));
            REQUIRE(second);
            CHECK(f.target.artifactsIn(*second).size() == 2);
            if (answer == FakeTarget::EmbeddedAnswer::PerItem) {
                // The answer said which: nothing looked for, nothing sent again.
                CHECK(f.target.calls(FakeTarget::Call::ArtifactCopies) == 0);
                CHECK(f.target.calls(FakeTarget::Call::CreateArtifacts) == 0);
            } else {
                // Ids alone cannot say which failed: the second container's copies are looked
                // for once, and only the missing one is sent again (and refused again).
                CHECK(f.target.calls(FakeTarget::Call::ArtifactCopies) ==
                      (answer == FakeTarget::EmbeddedAnswer::NewIds ? 1 : 2));
                CHECK(f.target.calls(FakeTarget::Call::CreateArtifacts) == 1);
            }
        }
    }
}

TEST_CASE("Embedded artifacts: a container refused with them is sent alone, and they follow",
          "[engine][unit]") {
    EngineFixture f;
    const TwoContainers c(f);
    // A target that takes no artifacts inside a container create.
    f.target.refuseIf([](FakeTarget::Call call, const Poco::JSON::Object& body) {
        if (call == FakeTarget::Call::CreateContainer && body.has("artifacts")) {
            return std::optional<std::string>("Unknown field: artifacts");
        }
        return std::optional<std::string>();
    });

    const auto result = f.pass();
    REQUIRE(result.outcome == PassOutcome::Ok);
    CHECK(result.dead_lettered == 0);
    CHECK(result.counts.containers_created == 2);
    CHECK(result.counts.artifacts_created == 6);
    CHECK(f.target.calls(FakeTarget::Call::CreateContainer) == 4);
    CHECK(f.target.containersWithEmbeddedArtifacts() == 0);
    CHECK(f.target.calls(FakeTarget::Call::CreateArtifacts) == 2);
    CHECK(f.target.calls(FakeTarget::Call::ArtifactCopies) == 0);
    checkOneCopyEach(f, c);
    checkSettled(f, c);
}

TEST_CASE("Embedded artifacts: a container already on the target takes none along",
          "[engine][unit]") {
    EngineFixture f;
    const TwoContainers c(f);
    // The first container's copy was made before the state file knew, without artifacts.
    (void)f.target.seedContainer(*f.mapper.container(*f.source.containerBody(c.first).value()));
    f.target.resetCounts();

    REQUIRE(f.pass().outcome == PassOutcome::Ok);
    // The duplicate answer made nothing: its artifacts are looked for and then created.
    CHECK(f.target.calls(FakeTarget::Call::ArtifactCopies) == 1);
    CHECK(f.target.calls(FakeTarget::Call::CreateArtifacts) == 1);
    CHECK(f.target.containersWithEmbeddedArtifacts() == 1);
    checkOneCopyEach(f, c);
    checkSettled(f, c);
}

TEST_CASE("Embedded artifacts: a target that takes none inside a create is asked three times",
          "[engine][unit]") {
    EngineFixture f;
    f.options.in_flight = 1;  // one container at a time: the refusals come in order
    std::vector<std::int64_t> containers;
    for (int i = 0; i < 5; ++i) {
        containers.push_back(f.source.addContainer(sourceTime(i)));
        (void)f.source.addArtifact(containers.back(), sourceTime(10 + i));
    }
    f.target.refuseIf([](FakeTarget::Call call, const Poco::JSON::Object& body) {
        if (call == FakeTarget::Call::CreateContainer && body.has("artifacts")) {
            return std::optional<std::string>("Unknown field: artifacts");
        }
        return std::optional<std::string>();
    });

    auto engine = f.engine();
    const auto result = engine->runPass();
    REQUIRE(result.outcome == PassOutcome::Ok);
    CHECK(result.counts.containers_created == 5);
    CHECK(result.counts.artifacts_created == 5);
    // Three refused with their artifacts and sent again alone; then alone from the start.
    CHECK(f.target.calls(FakeTarget::Call::CreateContainer) == 3 * 2 + 2);
    CHECK(f.target.calls(FakeTarget::Call::CreateArtifacts) == 5);
    CHECK(f.target.artifactCount() == 5);
    const auto logs = f.logs.all();
    CHECK_THAT(logs, Catch::Contains("three times in a row (last: Unknown field: artifacts)"));

    // The same engine keeps to it; a new one (a restart) asks again.
    const auto next = f.source.addContainer(sourceTime(20));
    (void)f.source.addArtifact(next, sourceTime(21));
    f.clock->advance(std::chrono::seconds(30));
    f.target.resetCounts();
    REQUIRE(engine->runPass().outcome == PassOutcome::Ok);
    CHECK(f.target.calls(FakeTarget::Call::CreateContainer) == 1);
    const auto later = f.source.addContainer(sourceTime(30));
    (void)f.source.addArtifact(later, sourceTime(31));
    f.clock->advance(std::chrono::seconds(30));
    f.target.resetCounts();
    REQUIRE(f.pass().outcome == PassOutcome::Ok);
    CHECK(f.target.calls(FakeTarget::Call::CreateContainer) == 2);
}

TEST_CASE("Embedded artifacts: a create refused for a bad artifact does not count against them",
          "[engine][unit]") {
    EngineFixture f;
    f.options.in_flight = 1;
    for (int i = 0; i < 4; ++i) {
        const auto id = f.source.addContainer(sourceTime(i));
        (void)f.source.addArtifact(id, sourceTime(10 + i), named(i < 3 ? "bad" : "good"));
    }
    // A target that refuses the whole create for a bad artifact inside, and the artifact alone.
    f.target.refuseIf([](FakeTarget::Call call, const Poco::JSON::Object& body) {
        const auto artifacts = body.getArray("artifacts");
        const bool bad_inside = call == FakeTarget::Call::CreateContainer && artifacts &&
                                artifacts->getObject(0)->optValue<std::string>("name", "") == "bad";
        const bool bad = (call == FakeTarget::Call::CreateArtifacts ||
                          call == FakeTarget::Call::CreateArtifact) &&
                         body.optValue<std::string>("name", "") == "bad";
        if (bad_inside || bad) return std::optional<std::string>("Invalid artifact: bad");
        return std::optional<std::string>();
    });

    const auto result = f.pass();
    CHECK(result.outcome == PassOutcome::RecordErrors);
    CHECK(result.dead_lettered == 3);
    CHECK(result.counts.containers_created == 4);
    // The fourth still went with its artifact inside: 3 x 2 creates, then 1.
    CHECK(f.target.calls(FakeTarget::Call::CreateContainer) == 7);
    CHECK(f.target.containersWithEmbeddedArtifacts() == 1);
    CHECK_THAT(f.logs.all(), !Catch::Contains("three times in a row"));
}
