/// The route engine's decisions on FakeSource, FakeTarget, InMemoryStore and a ManualClock
/// (design.md §5): what is written, what is left alone, what is dead-lettered, and how a pass
/// ends. No sockets, no real waits.

#include "EngineFixture.h"
#include "soar/client/Errors.h"
#include "soar/client/Timestamp.h"
#include "soar/sync/TargetSync.h"

#include <Poco/JSON/Object.h>
#include <catch2/catch.hpp>

#include <exception>
#include <string>

namespace {

using soar::state::RecordKind;
using soar::state::Stream;
using soar::sync::PassOutcome;
using soar::test::EngineFixture;
using soar::test::FakeSource;
using soar::test::FakeTarget;
using soar::test::sourceTime;

Poco::JSON::Object::Ptr fields(const std::string& key, const std::string& value) {
    Poco::JSON::Object::Ptr out = new Poco::JSON::Object;
    out->set(key, value);
    return out;
}

std::string textOf(const Poco::JSON::Object::Ptr& body, const std::string& key) {
    return body && body->has(key) ? body->get(key).toString() : std::string();
}

}  // namespace

TEST_CASE("Engine: a container edited only in fields the mapping drops is not written again",
          "[engine][unit]") {
    EngineFixture f;
    const auto id = f.source.addContainer(sourceTime(0));
    (void)f.source.addArtifact(id, sourceTime(1));
    REQUIRE(f.pass().outcome == PassOutcome::Ok);
    REQUIRE(f.target.containerCount() == 1);
    REQUIRE(f.target.artifactCount() == 1);

    // owner_id means nothing on the target: the mapping drops it, so the hash is unchanged.
    f.source.editContainer(id, sourceTime(10),
                           [](Poco::JSON::Object& body) { body.set("owner_id", 42); });
    f.clock->advance(std::chrono::seconds(30));
    f.target.resetCounts();
    const auto edited = f.pass();
    CHECK(edited.outcome == PassOutcome::Ok);
    CHECK(edited.counts.containers_unchanged == 1);
    CHECK(edited.counts.containers_updated == 0);
    CHECK(edited.counts.containers_created == 0);
    CHECK(edited.counts.artifacts_created + edited.counts.artifacts_updated == 0);
    CHECK(f.target.writes() == 0);
    // The new change time is remembered: the edit is not met as a change again.
    const auto mapping = f.store.containerMapping(f.key, id);
    REQUIRE(mapping);
    CHECK(mapping->container_update_time == sourceTime(10));

    // An idle pass costs one walk per stream and writes nothing.
    f.source.resetCounts();
    f.target.resetCounts();
    const auto idle = f.pass();
    CHECK(idle.outcome == PassOutcome::Ok);
    CHECK(idle.counts.containers_unchanged == 0);
    for (const auto stream :
         {Stream::ContainersCreated, Stream::ContainersUpdated, Stream::Artifacts}) {
        CHECK(f.source.walks(stream) == 1);
    }
    CHECK(f.source.totalCalls() == 3);
    CHECK(f.target.writes() == 0);
}

TEST_CASE("Engine: a duplicate answer is adopted: the copy is updated, not made twice",
          "[engine][unit]") {
    EngineFixture f;
    const auto id = f.source.addContainer(sourceTime(0), fields("name", "Phish at HQ"));
    const auto artifact = f.source.addArtifact(id, sourceTime(1));

    // The target holds an older copy with its artifact (made before the state file was
    // lost); the store knows nothing.
    auto stale = f.mapper.container(*f.source.containerBody(id).value());
    stale->set("name", "stale name");
    const auto copy = f.target.seedContainer(*stale);
    Poco::JSON::Object::Ptr source_artifact = new Poco::JSON::Object;
    source_artifact->set("id", artifact);
    source_artifact->set("name", "stale artifact");
    (void)f.target.createArtifact(*f.mapper.artifact(*source_artifact, copy));
    f.target.resetCounts();

    const auto result = f.pass();
    CHECK(result.outcome == PassOutcome::Ok);
    CHECK(f.target.containerCount() == 1);
    CHECK(f.target.artifactCount() == 1);  // found by its sdi, not posted again
    CHECK(result.counts.containers_updated == 1);
    CHECK(result.counts.containers_created == 0);
    CHECK(textOf(f.target.container(copy).value(), "name") == "Phish at HQ");
    CHECK(textOf(f.target.artifactsIn(copy).at(0), "name") ==
          "artifact " + std::to_string(artifact));
    const auto mapping = f.store.containerMapping(f.key, id);
    REQUIRE(mapping);
    CHECK(mapping->target_id == copy);
    const auto artifact_mapping = f.store.artifactMapping(f.key, artifact);
    REQUIRE(artifact_mapping);
    CHECK(artifact_mapping->source_container_id == id);

    // And the next pass leaves it alone.
    f.target.resetCounts();
    CHECK(f.pass().outcome == PassOutcome::Ok);
    CHECK(f.target.writes() == 0);
}

TEST_CASE("Engine: a record the target refuses is dead-lettered and the pass goes on",
          "[engine][unit]") {
    EngineFixture f;
    const auto first = f.source.addContainer(sourceTime(0));
    const auto refused = f.source.addContainer(sourceTime(1), fields("label", "phishing"));
    const auto last = f.source.addContainer(sourceTime(2));
    f.target.refuseLabel("phishing", "Invalid label: phishing");

    const auto result = f.pass();
    CHECK(result.outcome == PassOutcome::RecordErrors);
    CHECK(result.dead_lettered == 1);
    CHECK(f.target.containerBySdi(f.sdi(first)));
    CHECK(f.target.containerBySdi(f.sdi(last)));
    CHECK_FALSE(f.target.containerBySdi(f.sdi(refused)));
    const auto letters = f.store.deadLetters(f.key);
    REQUIRE(letters.size() == 1);
    CHECK(letters[0].kind == RecordKind::Container);
    CHECK(letters[0].source_id == refused);
    CHECK_THAT(letters[0].message, Catch::Contains("Invalid label: phishing"));
    // The cursor moved past every container, the refused one included.
    const auto cursor = f.cursor(Stream::ContainersCreated);
    REQUIRE(cursor);
    CHECK(cursor->timestamp == sourceTime(2));

    // Unchanged, it is not retried by later passes (retry-dead re-drives it)...
    f.target.resetCounts();
    CHECK(f.pass().outcome == PassOutcome::Ok);
    CHECK(f.target.calls(FakeTarget::Call::CreateContainer) == 0);
    // ...and once the target accepts the label, retry-dead copies it and clears the letter.
    f.target.acceptLabel("phishing");
    CHECK(f.engine()->retryDead().outcome == PassOutcome::Ok);
    CHECK(f.target.containerBySdi(f.sdi(refused)));
    CHECK(f.store.deadLetterCount(f.key) == 0);
}

TEST_CASE("Engine: a container the source cannot send readably is dead-lettered with the reason",
          "[engine][unit]") {
    EngineFixture f;
    const auto first = f.source.addContainer(sourceTime(0));
    const auto hostile = f.source.addContainer(sourceTime(1));
    const auto last = f.source.addContainer(sourceTime(2));
    f.source.makeUnreadable(hostile, "nesting deeper than 128 levels at byte 4100");

    const auto result = f.pass();
    CHECK(result.outcome == PassOutcome::RecordErrors);
    CHECK(result.dead_lettered == 1);
    CHECK(f.target.containerBySdi(f.sdi(first)));
    CHECK(f.target.containerBySdi(f.sdi(last)));
    CHECK_FALSE(f.target.containerBySdi(f.sdi(hostile)));
    const auto letters = f.store.deadLetters(f.key);
    REQUIRE(letters.size() == 1);
    CHECK(letters[0].source_id == hostile);
    CHECK(letters[0].message ==
          "the source's answer cannot be read: nesting deeper than 128 "
          "levels at byte 4100");
    const auto cursor = f.cursor(Stream::ContainersCreated);
    REQUIRE(cursor);
    CHECK(cursor->timestamp == sourceTime(2));
}

TEST_CASE("Engine: a container whose artifacts cannot be read is dead-lettered alone",
          "[engine][unit]") {
    EngineFixture f;
    const auto first = f.source.addContainer(sourceTime(0));
    (void)f.source.addArtifact(first, sourceTime(0));
    const auto hostile = f.source.addContainer(sourceTime(1));
    (void)f.source.addArtifact(hostile, sourceTime(1));
    const auto unreadable = std::make_exception_ptr(soar::sync::UnreadablePage(
        "[instance.src] GET /rest/container/2/artifacts: the answer (HTTP 200) cannot be read: "
        "invalid UTF-8 at byte 90",
        "invalid UTF-8 at byte 90", 200));
    // The batched read of both containers' artifacts fails, then the hostile one's own.
    f.source.failNext(FakeSource::Call::ArtifactsOf, unreadable);
    f.source.setHook([&](FakeSource::Call call, std::int64_t id) {
        if (call == FakeSource::Call::ForEachItem && id == hostile)
            std::rethrow_exception(unreadable);
    });

    const auto result = f.pass();
    CHECK(result.outcome == PassOutcome::RecordErrors);
    CHECK(f.target.containerBySdi(f.sdi(first)));
    const auto letters = f.store.deadLetters(f.key);
    REQUIRE(letters.size() == 1);
    CHECK(letters[0].source_id == hostile);
    CHECK_THAT(letters[0].message, Catch::Contains("/rest/container/2/artifacts") &&
                                       Catch::Contains("invalid UTF-8 at byte 90"));
}

TEST_CASE("Engine: a note of a container the route did not copy is ignored", "[engine][unit]") {
    EngineFixture f;
    f.route.notes = true;
    // The route copies `events` only; `other` containers are not its own.
    f.source.setFilter([](const Poco::JSON::Object& body) {
        return body.getValue<std::string>("label") == "events";
    });
    const auto copied = f.source.addContainer(sourceTime(0));
    const auto foreign = f.source.addContainer(sourceTime(1), fields("label", "other"));
    (void)f.source.addNote(copied, sourceTime(2), "first look");
    REQUIRE(f.pass().outcome == PassOutcome::Ok);
    REQUIRE(f.target.containerCount() == 1);
    const auto copy = f.target.containerBySdi(f.sdi(copied)).value();
    REQUIRE(f.target.notesIn(RecordKind::Note, copy).size() == 1);

    (void)f.source.addNote(foreign, sourceTime(20), "not ours");
    (void)f.source.addNote(copied, sourceTime(21), "second look");
    (void)f.source.addComment(foreign, sourceTime(22), "not ours either");
    f.clock->advance(std::chrono::seconds(30));
    f.target.resetCounts();
    const auto result = f.pass();
    CHECK(result.outcome == PassOutcome::Ok);
    CHECK(result.dead_lettered == 0);
    CHECK(result.counts.notes_created == 1);
    CHECK(result.counts.comments_created == 0);
    CHECK(f.target.calls(FakeTarget::Call::CreateNote) == 1);
    CHECK(f.target.calls(FakeTarget::Call::CreateComment) == 0);
    CHECK(f.target.containerCount() == 1);
    CHECK(f.target.noteCount(RecordKind::Note) == 2);
    CHECK(f.target.noteCount(RecordKind::Comment) == 0);
    // The streams moved past the foreign records: they are not met again.
    const auto notes = f.cursor(Stream::Notes);
    REQUIRE(notes);
    CHECK(notes->timestamp == sourceTime(21));
    const auto comments = f.cursor(Stream::Comments);
    REQUIRE(comments);
    CHECK(comments->timestamp == sourceTime(22));
}

TEST_CASE("Engine: refused credentials mark the target failing, and a transient error does not",
          "[engine][unit]") {
    SECTION("credentials") {
        EngineFixture f;
        (void)f.source.addContainer(sourceTime(0));
        f.target.refuseCredentials();
        const auto result = f.pass();
        CHECK(result.outcome == PassOutcome::Failing);
        CHECK_THAT(result.error, Catch::Contains("[instance.dst]"));
        CHECK_THAT(result.error, Catch::Contains("token_file"));
        const auto health = f.store.health(f.key);
        CHECK(health.failing_since);
        CHECK(f.store.deadLetterCount(f.key) == 0);
        CHECK_FALSE(f.cursor(Stream::ContainersCreated));

        // A pass that gets through makes the target healthy again.
        f.target.refuseCredentials(false);
        CHECK(f.pass().outcome == PassOutcome::Ok);
        CHECK_FALSE(f.store.health(f.key).failing_since);
        CHECK(f.target.containerCount() == 1);
    }
    SECTION("a transient error") {
        EngineFixture f;
        (void)f.source.addContainer(sourceTime(0));
        f.target.failNext(FakeTarget::Call::CreateContainer,
                          std::make_exception_ptr(soar::sync::TransientError(
                              "[instance.dst] POST container: service unavailable", 503)));
        const auto result = f.pass();
        CHECK(result.outcome == PassOutcome::Interrupted);
        CHECK_FALSE(result.unreachable);
        const auto health = f.store.health(f.key);
        CHECK_FALSE(health.failing_since);
        REQUIRE(health.last_error);
        CHECK_THAT(*health.last_error, Catch::Contains("service unavailable"));
        CHECK(f.store.deadLetterCount(f.key) == 0);
        // The cursor stayed before the container: the next pass copies it.
        const auto cursor = f.cursor(Stream::ContainersCreated);
        CHECK((!cursor || cursor->timestamp != sourceTime(0)));
        CHECK(f.pass().outcome == PassOutcome::Ok);
        CHECK(f.target.containerCount() == 1);
    }
    SECTION("the source unreachable") {
        EngineFixture f;
        (void)f.source.addContainer(sourceTime(0));
        f.source.failNext(FakeSource::Call::WalkPage,
                          std::make_exception_ptr(soar::sync::UnreachableError(
                              "[instance.src] connection refused", 0)));
        const auto result = f.pass();
        CHECK(result.outcome == PassOutcome::Interrupted);
        CHECK(result.unreachable);
        CHECK_FALSE(f.store.health(f.key).failing_since);
        CHECK(f.target.writes() == 0);
    }
}

TEST_CASE("Engine: a copy soar-sync made from the route's own target is never replayed back",
          "[engine][unit]") {
    EngineFixture f;  // route r: src -> dst
    // On src, a copy that the reverse route (dst -> src) made of dst's container 42, and a
    // copy of another instance's container.
    const auto bounced =
        f.source.addContainer(sourceTime(0), fields("source_data_identifier", "soar-sync:dst:42"));
    const auto from_other =
        f.source.addContainer(sourceTime(1), fields("source_data_identifier", "soar-sync:lab:7"));
    const auto native = f.source.addContainer(sourceTime(2));
    const auto result = f.pass();
    CHECK(result.outcome == PassOutcome::Ok);
    CHECK(result.counts.containers_created == 2);
    CHECK_FALSE(f.target.containerBySdi(f.sdi(bounced)));
    CHECK(f.target.containerBySdi(f.sdi(from_other)));
    CHECK(f.target.containerBySdi(f.sdi(native)));
    CHECK(f.store.deadLetters(f.key).empty());
    const auto cursor = f.cursor(Stream::ContainersCreated);
    REQUIRE(cursor);
    CHECK(cursor->timestamp == sourceTime(2));
    // Edited later, it is still not sent back.
    f.source.editContainer(bounced, sourceTime(20));
    f.clock->advance(std::chrono::seconds(30));
    CHECK(f.pass().counts.containers_created + f.pass().counts.containers_updated == 0);
    CHECK_FALSE(f.target.containerBySdi(f.sdi(bounced)));
}
