// The contract of every `state::Store` interface, run against each implementation: the fake
// the engine's tests use (`InMemoryStore`) and the real one (`SqliteStore`, on a file and on
// ":memory:"). A behaviour documented in CursorStore.h, MappingStore.h, UnitOfWorkStore.h,
// PlaybookRunStore.h, DeadLetterStore.h, StrikeStore.h, PassLog.h or StatusStore.h is checked
// here (LeaseStore.h: LeaseContractTest.cpp), so the fake cannot drift from the real store.

#include "ContractBuilders.h"
#include "StateTestUtil.h"
#include "StoreFixtures.h"
#include "soar/state/SqliteStore.h"
#include "soar/state/StateError.h"
#include "soar/state/Store.h"

#include <catch2/catch.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

using namespace soar::state;
using namespace soar::state::test;

STORE_CONTRACT("cursors are kept per (route, target) and stream", "[cursor]") {
    TestType f;
    Store& store = f.store();
    const auto key = testKey();

    CHECK_FALSE(store.cursor(key, Stream::ContainersCreated));
    CHECK(store.cursors(key).empty());
    CHECK(store.targets().empty());  // reading never registers a (route, target)

    store.setCursor(key, Cursor{Stream::Comments, "2024-05-01T10:00:03Z", 3});
    store.setCursor(key, Cursor{Stream::Artifacts, "2024-05-01T10:00:02.5Z", 42});
    store.setCursor(key, Cursor{Stream::ContainersCreated, "2024-05-01T10:00:01Z", 7});
    CHECK(store.cursor(key, Stream::ContainersCreated) ==
          Cursor{Stream::ContainersCreated, "2024-05-01T10:00:01Z", 7});
    CHECK_FALSE(store.cursor(key, Stream::Notes));

    // In stream order, whatever order they were set in.
    const auto all = store.cursors(key);
    REQUIRE(all.size() == 3);
    CHECK(all[0].stream == Stream::ContainersCreated);
    CHECK(all[1].stream == Stream::Artifacts);
    CHECK(all[2].stream == Stream::Comments);

    // It moves backwards too (resync --since).
    store.setCursor(key, Cursor{Stream::ContainersCreated, "2024-04-01T00:00:00Z", 1});
    CHECK(store.cursor(key, Stream::ContainersCreated)->timestamp == "2024-04-01T00:00:00Z");
    CHECK(store.cursor(key, Stream::ContainersCreated)->last_id == 1);

    CHECK_FALSE(store.cursor(kOther, Stream::ContainersCreated));
    store.setCursor(kOther, Cursor{Stream::ContainersCreated, "x", 1});
    store.clearCursors(key);
    CHECK(store.cursors(key).empty());
    CHECK(store.cursors(kOther).size() == 1);
}

STORE_CONTRACT("mappings are upserted, found, listed in order and counted", "[mapping]") {
    TestType f;
    Store& store = f.store();
    const auto key = testKey();

    for (std::int64_t n = 1; n <= 10; ++n) store.commit(unitOf(n));
    store.commit(unitOf(1, kOther));

    CHECK(store.containerMapping(key, 3) == unitOf(3).containers[0]);
    CHECK(store.artifactMapping(key, 34) == unitOf(3).artifacts[3]);
    CHECK_FALSE(store.containerMapping(key, 11));
    CHECK_FALSE(store.artifactMapping(key, 999));
    CHECK_FALSE(store.containerMapping(RouteTarget{"nope", "nope"}, 1));

    // A batch: unmapped ids left out, the order of the ids kept.
    const auto batch = store.findContainerMappings(key, {3, 999, 1});
    REQUIRE(batch.size() == 2);
    CHECK(batch[0] == unitOf(3).containers[0]);
    CHECK(batch[1] == unitOf(1).containers[0]);
    const auto artifacts = store.findArtifactMappings(key, {55, 4242, 12});
    REQUIRE(artifacts.size() == 2);
    CHECK(artifacts[0] == unitOf(5).artifacts[4]);
    CHECK(artifacts[1] == unitOf(1).artifacts[1]);
    CHECK(store.findContainerMappings(key, {}).empty());
    CHECK(store.findArtifactMappings(RouteTarget{"nope", "nope"}, {11}).empty());

    // Pages of container mappings, ascending by source id.
    const auto page1 = store.containerMappings(key, 0, 4);
    REQUIRE(page1.size() == 4);
    CHECK(page1.front() == unitOf(1).containers[0]);
    CHECK(page1.back().source_id == 4);
    const auto page3 = store.containerMappings(key, 8, 4);
    REQUIRE(page3.size() == 2);
    CHECK(page3[0].source_id == 9);
    CHECK(page3[1] == unitOf(10).containers[0]);
    CHECK(store.containerMappings(key, 10, 4).empty());
    CHECK(store.containerMappings(key, 0, 0).empty());

    // An upsert replaces the hash and times, keeps the artifacts.
    auto edit = container(1, "edited");
    edit.container_update_time = "2024-05-02T00:00:00Z";
    auto unit = unitWith();
    unit.containers.push_back(edit);
    store.commit(unit);
    CHECK(store.containerMapping(key, 1) == edit);
    CHECK(store.artifactMappingsOf(key, 1) == unitOf(1).artifacts);

    // A container's artifacts by source id, whatever order they were committed in.
    unit = unitWith();
    unit.artifacts = {artifact(19, 1), artifact(10, 1), artifact(17, 1)};
    store.commit(unit);
    CHECK(sourceIds(store.artifactMappingsOf(key, 1)) ==
          std::vector<std::int64_t>{10, 11, 12, 13, 14, 15, 17, 19});
    CHECK(store.artifactMapping(key, 17) == artifact(17, 1));
    CHECK(store.artifactMappingsOf(key, 404).empty());

    const auto counts = store.mappingCounts(key);
    CHECK(counts.containers == 10);
    CHECK(counts.artifacts == 10 * kArtifactsPerUnit + 3);
    CHECK(counts.notes == 0);
    CHECK(store.mappingCounts(kOther).containers == 1);
    CHECK(store.mappingCounts(RouteTarget{"nope", "nope"}).containers == 0);
}

STORE_CONTRACT("notes and comments are mapped by kind and listed by kind name", "[mapping]") {
    TestType f;
    Store& store = f.store();
    const auto key = testKey();

    auto unit = unitWith();
    unit.containers.push_back(container(1));
    unit.containers.push_back(container(2));
    const auto note5 = note(RecordKind::Note, 5, 1);
    const auto note1 = note(RecordKind::Note, 1, 1);
    const auto comment9 = note(RecordKind::Comment, 9, 1);
    const auto comment5 = note(RecordKind::Comment, 5, 1);  // same id, other kind
    const auto other = note(RecordKind::Note, 7, 2);
    unit.notes = {note5, comment9, note1, comment5, other};
    store.commit(unit);

    CHECK(store.noteMapping(key, RecordKind::Note, 5) == note5);
    CHECK(store.noteMapping(key, RecordKind::Comment, 5) == comment5);
    CHECK_FALSE(store.noteMapping(key, RecordKind::Note, 9));
    CHECK_FALSE(store.noteMapping(kOther, RecordKind::Note, 5));
    // Comments before notes ("comment" < "note"), each by source id.
    CHECK(store.noteMappingsOf(key, 1) ==
          std::vector<NoteMapping>{comment5, comment9, note1, note5});
    CHECK(store.noteMappingsOf(key, 2) == std::vector<NoteMapping>{other});
    CHECK(store.mappingCounts(key).notes == 5);

    // An edited note: the upsert replaces its hash and time.
    auto edited = note5;
    edited.content_hash = "n5-v2";
    edited.update_time = "2024-05-01T11:00:00Z";
    unit = unitWith();
    unit.notes = {edited};
    store.commit(unit);
    CHECK(store.noteMapping(key, RecordKind::Note, 5) == edited);
    CHECK(store.mappingCounts(key).notes == 5);
}

STORE_CONTRACT("deleting a mapping forgets what belongs to it", "[mapping]") {
    TestType f;
    Store& store = f.store();
    const auto key = testKey();
    for (std::int64_t n = 1; n <= 3; ++n) store.commit(unitOf(n));
    store.commit(unitOf(1, kOther));
    auto unit = unitWith();
    unit.notes = {note(RecordKind::Note, 21, 2), note(RecordKind::Comment, 22, 2),
                  note(RecordKind::Note, 31, 3)};
    store.commit(unit);

    CHECK(store.deleteArtifactMapping(key, 11));
    CHECK_FALSE(store.deleteArtifactMapping(key, 11));
    CHECK_FALSE(store.artifactMapping(key, 11));
    CHECK(store.artifactMappingsOf(key, 1).size() == kArtifactsPerUnit - 1);

    // The target lost container 2: its artifacts' and notes' mappings go with it.
    CHECK(store.deleteContainerMapping(key, 2));
    CHECK_FALSE(store.deleteContainerMapping(key, 2));
    CHECK(rowsOfUnit(store, 2) == 0);
    CHECK(store.noteMappingsOf(key, 2).empty());
    CHECK(store.noteMappingsOf(key, 3).size() == 1);
    const auto counts = store.mappingCounts(key);
    CHECK(counts.containers == 2);
    CHECK(counts.artifacts == 2 * kArtifactsPerUnit - 1);
    CHECK(counts.notes == 1);

    // Everything of the (route, target) goes; cursors and the other target stay.
    CHECK(store.deleteMappings(key) == 2);
    CHECK(store.mappingCounts(key).containers == 0);
    CHECK(store.mappingCounts(key).artifacts == 0);
    CHECK(store.mappingCounts(key).notes == 0);
    CHECK(store.cursor(key, Stream::ContainersCreated));
    CHECK(rowsOfUnit(store, 1, kOther) == 1 + kArtifactsPerUnit);
    CHECK(store.deleteMappings(key) == 0);
}

STORE_CONTRACT("a unit of work lands whole: mappings, cursors, dead letters and intents",
               "[commit]") {
    TestType f;
    Store& store = f.store();
    const auto key = testKey();

    (void)store.recordDeadLetter(key, {RecordKind::Container, 1}, "400 bad label", "t0");
    (void)store.recordDeadLetter(key, {RecordKind::Artifact, 14}, "400", "t0");
    auto unit = unitOf(1);
    unit.notes.push_back(note(RecordKind::Note, 101, 1));
    unit.cursors.push_back(Cursor{Stream::Artifacts, "2024-05-01T10:00:09Z", 15});
    unit.resolved_dead_letters.push_back({RecordKind::Container, 1});
    unit.dead_letters.push_back({{RecordKind::Artifact, 14}, "400 again", "t1"});
    unit.dead_letters.push_back({{RecordKind::Comment, 102}, "400 too long", "t1"});
    unit.playbook_intents.push_back(intent("create:1"));
    const auto result = store.commit(unit);

    CHECK(rowsOfUnit(store, 1) == 1 + kArtifactsPerUnit);
    CHECK(store.noteMapping(key, RecordKind::Note, 101));
    CHECK(store.cursor(key, Stream::ContainersCreated)->last_id == 1);
    CHECK(store.cursor(key, Stream::Artifacts)->last_id == 15);
    CHECK(result.dead_letter_attempts == std::vector<std::int64_t>{2, 1});
    const auto letters = store.deadLetters(key);
    REQUIRE(letters.size() == 2);  // the resolved container went
    CHECK(letters[0].kind == RecordKind::Artifact);
    CHECK(letters[0].message == "400 again");
    CHECK(letters[0].attempts == 2);
    CHECK(letters[1].kind == RecordKind::Comment);
    CHECK(letters[1].first_seen == "t1");
    REQUIRE(result.intents.size() == 1);
    CHECK(result.intents[0].created);
    CHECK(result.intents[0].run.status == RunStatus::Intent);
    CHECK(store.playbookRun(key, "create:1")->id == result.intents[0].run.id);
    CHECK(store.pendingPlaybookRuns(key).size() == 1);

    SECTION("an intent already recorded is returned, not recorded again") {
        auto again = unitWith();
        auto replay = intent("create:1");
        replay.playbook = "something/else";
        again.playbook_intents = {replay, intent("create:2", 2)};
        const auto second = store.commit(again);
        REQUIRE(second.intents.size() == 2);
        CHECK_FALSE(second.intents[0].created);
        CHECK(second.intents[0].run.id == result.intents[0].run.id);
        CHECK(second.intents[0].run.playbook == "local/triage_synced");
        CHECK(second.intents[1].created);
        CHECK(store.pendingPlaybookRuns(key).size() == 2);
    }
    SECTION("a record both resolved and refused in one unit stays dead-lettered") {
        auto both = unitWith();
        both.resolved_dead_letters.push_back({RecordKind::Artifact, 14});
        both.dead_letters.push_back({{RecordKind::Artifact, 14}, "400 once more", "t2"});
        CHECK(store.commit(both).dead_letter_attempts == std::vector<std::int64_t>{1});
        CHECK(store.deadLetters(key)[1].first_seen == "t2");
    }
    SECTION("artifacts may join a container mapped earlier; an empty unit is harmless") {
        auto more = unitWith();
        more.artifacts.push_back(artifact(99, 1));
        store.commit(more);
        CHECK(store.artifactMappingsOf(key, 1).size() == kArtifactsPerUnit + 1);
        const auto empty = store.commit(unitWith());
        CHECK(empty.intents.empty());
        CHECK(empty.dead_letter_attempts.empty());
        CHECK(rowsOfUnit(store, 1) == 1 + kArtifactsPerUnit);
    }
}

STORE_CONTRACT("a failing unit of work changes nothing at all", "[commit]") {
    TestType f;
    Store& store = f.store();
    const auto key = testKey();
    store.commit(unitOf(1));
    (void)store.recordDeadLetter(key, {RecordKind::Container, 2}, "400", "t0");
    const auto before = store.status(key);

    // Everything a unit can carry, plus one part the store must refuse.
    auto unit = unitOf(2);
    unit.notes.push_back(note(RecordKind::Note, 201, 2));
    unit.cursors.push_back(Cursor{Stream::Artifacts, "2024-05-09T00:00:00Z", 99});
    unit.resolved_dead_letters.push_back({RecordKind::Container, 2});
    unit.dead_letters.push_back({{RecordKind::Artifact, 21}, "400", "t1"});
    unit.dead_letters.push_back({{RecordKind::Container, 2}, "400 again", "t1"});
    unit.playbook_intents.push_back(intent("create:2", 2));

    SECTION("an artifact of an unmapped container") {
        unit.artifacts.push_back(artifact(77, 12345));
    }
    SECTION("a note of an unmapped container") {
        unit.notes.push_back(note(RecordKind::Comment, 78, 12345));
    }
    SECTION("a note mapping that is no note") {
        unit.notes.push_back(note(RecordKind::Artifact, 79, 2));
    }
    SECTION("an intent for another (route, target)") {
        unit.playbook_intents.push_back(intent("create:3", 3, kOther));
    }
    try {
        (void)store.commit(unit);
        FAIL("the unit was accepted");
    } catch (const StateError& e) {
        CHECK(e.kind() == StateError::Kind::Constraint);
        CHECK_THAT(e.what(), Catch::Contains("hq-to-dr"));
    }

    CHECK(rowsOfUnit(store, 2) == 0);
    CHECK_FALSE(store.noteMapping(key, RecordKind::Note, 201));
    CHECK(store.cursors(key) == before.cursors);
    const auto letters = store.deadLetters(key);
    REQUIRE(letters.size() == 1);
    CHECK(letters[0].kind == RecordKind::Container);
    CHECK(letters[0].attempts == 1);
    CHECK(letters[0].message == "400");
    CHECK_FALSE(store.playbookRun(key, "create:2"));
    CHECK(store.pendingPlaybookRuns(key).empty());
    CHECK_FALSE(store.playbookRun(kOther, "create:3"));
    const auto after = store.status(key);
    CHECK(after.mappings.containers == before.mappings.containers);
    CHECK(after.mappings.artifacts == before.mappings.artifacts);
    CHECK(after.mappings.notes == before.mappings.notes);
    CHECK(after.dead_letters == before.dead_letters);
    CHECK(after.playbook_runs == before.playbook_runs);

    // The store still takes the same unit once it is sound.
    store.commit(unitOf(2));
    CHECK(rowsOfUnit(store, 2) == 1 + kArtifactsPerUnit);
}

STORE_CONTRACT("passes keep a bounded history, newest first", "[pass]") {
    TestType f;
    Store& store = f.store();
    const auto key = testKey();

    CHECK_FALSE(store.lastPass(key));
    CHECK(store.recentPasses(key, 10).empty());
    PassRecord pass;
    pass.started_at = "2024-05-01T10:00:00Z";
    pass.finished_at = "2024-05-01T10:00:05Z";
    pass.outcome = "ok";
    pass.counts = PassCounts{1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
    store.recordPass(key, pass);
    const auto last = store.lastPass(key);
    REQUIRE(last);
    CHECK(last->started_at == pass.started_at);
    CHECK(last->finished_at == pass.finished_at);
    CHECK(last->outcome == "ok");
    CHECK(last->counts.containers_created == 1);
    CHECK(last->counts.containers_updated == 2);
    CHECK(last->counts.containers_unchanged == 3);
    CHECK(last->counts.artifacts_created == 4);
    CHECK(last->counts.artifacts_updated == 5);
    CHECK(last->counts.artifacts_unchanged == 6);
    CHECK(last->counts.errors == 7);
    CHECK(last->counts.notes_created == 8);
    CHECK(last->counts.notes_updated == 9);
    CHECK(last->counts.comments_created == 10);

    const auto total = static_cast<int>(PassLog::kKeptPasses) + 20;
    for (int i = 0; i < total; ++i) {
        pass.outcome = "pass-" + std::to_string(i);
        store.recordPass(key, pass);
    }
    store.recordPass(kOther, pass);
    CHECK(store.lastPass(key)->outcome == "pass-" + std::to_string(total - 1));
    const auto recent = store.recentPasses(key, 1000);
    REQUIRE(recent.size() == PassLog::kKeptPasses);
    CHECK(recent.front().outcome == "pass-" + std::to_string(total - 1));
    CHECK(recent.back().outcome == "pass-20");
    const auto three = store.recentPasses(key, 3);
    REQUIRE(three.size() == 3);
    CHECK(three[2].outcome == "pass-" + std::to_string(total - 3));
    CHECK(store.recentPasses(key, 0).empty());
    CHECK(store.recentPasses(kOther, 10).size() == 1);
}

STORE_CONTRACT("health: failing since the first failure, healthy keeps the last error", "[pass]") {
    TestType f;
    Store& store = f.store();
    const auto key = testKey();

    const auto never = store.health(key);
    CHECK_FALSE(never.last_error);
    CHECK_FALSE(never.last_error_at);
    CHECK_FALSE(never.failing_since);

    store.markFailing(key, "401 from dr: check [instance.dr] token_file", "t1");
    store.markFailing(key, "401 again", "t2");
    auto health = store.health(key);
    CHECK(health.failing_since == "t1");
    CHECK(health.last_error == "401 again");
    CHECK(health.last_error_at == "t2");

    store.markHealthy(key);
    health = store.health(key);
    CHECK_FALSE(health.failing_since);
    CHECK(health.last_error == "401 again");
    CHECK(health.last_error_at == "t2");

    store.markFailing(key, "503", "t3");  // a new failing spell starts now
    CHECK(store.health(key).failing_since == "t3");

    // An error that does not make the target failing keeps the spell as it is.
    store.recordError(key, "timeout", "t4");
    health = store.health(key);
    CHECK(health.failing_since == "t3");
    CHECK(health.last_error == "timeout");
    CHECK(health.last_error_at == "t4");
    store.markHealthy(key);
    store.recordError(key, "connection refused", "t5");
    health = store.health(key);
    CHECK_FALSE(health.failing_since);
    CHECK(health.last_error == "connection refused");
    CHECK_FALSE(store.health(kOther).last_error);
}
