// The contract of every `state::Store` interface, run against each implementation: the fake
// the engine's tests use (`InMemoryStore`) and the real one (`SqliteStore`, on a file and on
// ":memory:"). A behaviour documented in CursorStore.h, MappingStore.h, UnitOfWorkStore.h,
// PlaybookRunStore.h, DeadLetterStore.h, StrikeStore.h, PassLog.h or StatusStore.h is checked
// here, so the fake cannot drift from the real store.

#include "StateTestUtil.h"
#include "soar/state/SqliteStore.h"
#include "soar/state/StateError.h"
#include "soar/state/Store.h"
#include "support/InMemoryStore.h"
#include "support/TempDir.h"

#include <catch2/catch.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

using namespace soar::state;
using namespace soar::state::test;

namespace {

struct InMemoryFixture {
    Store& store() { return impl; }
    soar::test::InMemoryStore impl;
};

struct SqliteFileFixture {
    SqliteFileFixture() {
        StateOptions options;
        options.path = (dir.path() / "state.db").string();
        impl = SqliteStore::open(options);
    }
    Store& store() { return *impl; }
    soar::test::TempDir dir;
    std::unique_ptr<SqliteStore> impl;
};

struct SqliteMemoryFixture {
    SqliteMemoryFixture() {
        StateOptions options;
        options.path = ":memory:";
        impl = SqliteStore::open(options);
    }
    Store& store() { return *impl; }
    std::unique_ptr<SqliteStore> impl;
};

const RouteTarget kOther{"hq-to-dr", "lab"};

ContainerMapping container(std::int64_t source_id, const std::string& hash = "h") {
    ContainerMapping c;
    c.source_id = source_id;
    c.target_id = source_id + 500;
    c.content_hash = hash;
    c.create_time = "2024-05-01T10:00:00.000000Z";
    return c;
}

ArtifactMapping artifact(std::int64_t source_id, std::int64_t container_id) {
    ArtifactMapping a;
    a.source_id = source_id;
    a.target_id = source_id + 900;
    a.source_container_id = container_id;
    a.content_hash = "a" + std::to_string(source_id);
    a.update_time = "2024-05-01T10:00:01Z";
    return a;
}

NoteMapping note(RecordKind kind, std::int64_t source_id, std::int64_t container_id) {
    return NoteMapping{
        kind,        source_id, source_id + 700, container_id, "n" + std::to_string(source_id),
        std::nullopt};
}

PlaybookRun intent(const std::string& trigger_key, std::int64_t container_id = 1,
                   const RouteTarget& key = testKey()) {
    PlaybookRun run;
    run.key = key;
    run.trigger_key = trigger_key;
    run.source_container_id = container_id;
    run.target_container_id = container_id + 500;
    run.playbook = "local/triage_synced";
    run.trigger = TriggerKind::Create;
    run.message = "queued";
    run.created_at = "2024-05-01T10:00:00Z";
    return run;
}

UnitOfWork unitWith(const RouteTarget& key = testKey()) {
    UnitOfWork unit;
    unit.key = key;
    return unit;
}

std::vector<std::int64_t> sourceIds(const std::vector<ArtifactMapping>& mappings) {
    std::vector<std::int64_t> out;
    for (const auto& m : mappings) out.push_back(m.source_id);
    return out;
}

}  // namespace

#define STORE_CONTRACT(name, tags)                                                         \
    TEMPLATE_TEST_CASE("Store contract: " name, "[state][contract]" tags, InMemoryFixture, \
                       SqliteFileFixture, SqliteMemoryFixture)

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

STORE_CONTRACT("playbook intents are recorded once per trigger and tracked to an outcome",
               "[playbook]") {
    TestType f;
    Store& store = f.store();
    const auto key = testKey();

    // Fields the store sets itself are ignored on the way in.
    auto first_intent = intent("create:3", 3);
    first_intent.id = 4242;
    first_intent.run_id = 77;
    first_intent.status = RunStatus::Success;
    first_intent.updated_at = "later";
    const auto first = store.recordPlaybookIntent(first_intent);
    CHECK(first.created);
    CHECK(first.run.id > 0);
    CHECK(first.run.key == key);
    CHECK(first.run.trigger_key == "create:3");
    CHECK(first.run.source_container_id == 3);
    CHECK(first.run.target_container_id == 503);
    CHECK(first.run.playbook == "local/triage_synced");
    CHECK(first.run.trigger == TriggerKind::Create);
    CHECK(first.run.status == RunStatus::Intent);
    CHECK_FALSE(first.run.run_id);
    CHECK(first.run.message == "queued");
    CHECK(first.run.created_at == "2024-05-01T10:00:00Z");
    CHECK(first.run.updated_at == first.run.created_at);

    // A restart replays the same trigger: it is not recorded (or run) twice.
    auto replay = intent("create:3", 3);
    replay.playbook = "something/else";
    const auto again = store.recordPlaybookIntent(replay);
    CHECK_FALSE(again.created);
    CHECK(again.run.id == first.run.id);
    CHECK(again.run.playbook == "local/triage_synced");

    // The same trigger on another target is another run; ids grow across targets.
    const auto elsewhere = store.recordPlaybookIntent(intent("create:3", 3, kOther));
    CHECK(elsewhere.created);
    CHECK(elsewhere.run.id > first.run.id);
    auto update = intent("update:1:2024-05-02", 1);
    update.trigger = TriggerKind::Update;
    const auto second = store.recordPlaybookIntent(update);
    CHECK(second.run.id > elsewhere.run.id);
    CHECK(second.run.trigger == TriggerKind::Update);
    const auto third = store.recordPlaybookIntent(intent("create:2", 2));

    CHECK(store.updatePlaybookRun(first.run.id, RunStatus::Running, 901, "", "t2"));
    CHECK(store.updatePlaybookRun(first.run.id, RunStatus::Success, std::nullopt, "done", "t3"));
    const auto done = store.playbookRun(key, "create:3");
    REQUIRE(done);
    CHECK(done->status == RunStatus::Success);
    CHECK(done->run_id == 901);  // kept when the update does not know it
    CHECK(done->message == "done");
    CHECK(done->updated_at == "t3");
    CHECK(done->created_at == "2024-05-01T10:00:00Z");
    CHECK(store.playbookRun(kOther, "create:3")->status == RunStatus::Intent);
    CHECK_FALSE(store.updatePlaybookRun(999'999, RunStatus::Failed, std::nullopt, "", "t"));
    CHECK_FALSE(store.playbookRun(key, "create:404"));
    CHECK_FALSE(store.playbookRun(RouteTarget{"nope", "nope"}, "create:3"));

    // Pending runs, oldest first (the order they were recorded, not by trigger).
    CHECK(store.updatePlaybookRun(second.run.id, RunStatus::Running, 902, "", "t4"));
    auto pending = store.pendingPlaybookRuns(key);
    REQUIRE(pending.size() == 2);
    CHECK(pending[0].id == second.run.id);
    CHECK(pending[0].status == RunStatus::Running);
    CHECK(pending[0].run_id == 902);
    CHECK(pending[0].key == key);
    CHECK(pending[1].id == third.run.id);
    CHECK(pending[1].status == RunStatus::Intent);
    CHECK(store.pendingPlaybookRuns(kOther).size() == 1);

    CHECK(store.updatePlaybookRun(second.run.id, RunStatus::TimedOut, std::nullopt, "30m", "t5"));
    CHECK(store.updatePlaybookRun(third.run.id, RunStatus::Cancelled, std::nullopt, "", "t5"));
    CHECK(store.pendingPlaybookRuns(key).empty());
    (void)store.recordPlaybookIntent(intent("create:4", 4));
    (void)store.recordPlaybookIntent(intent("create:5", 5));

    const auto counts = store.playbookRunCounts(key);
    CHECK(counts == std::map<RunStatus, std::int64_t>{{RunStatus::Intent, 2},
                                                      {RunStatus::Success, 1},
                                                      {RunStatus::Cancelled, 1},
                                                      {RunStatus::TimedOut, 1}});
    CHECK(store.playbookRunCounts(kOther) ==
          std::map<RunStatus, std::int64_t>{{RunStatus::Intent, 1}});
    CHECK(store.playbookRunCounts(RouteTarget{"nope", "nope"}).empty());
}

STORE_CONTRACT("dead letters count attempts, keep the newest message, clear on success",
               "[deadletter]") {
    TestType f;
    Store& store = f.store();
    const auto key = testKey();

    CHECK(store.deadLetterCount(key) == 0);
    CHECK(store.deadLetters(key).empty());
    CHECK(store.recordDeadLetter(key, {RecordKind::Note, 9}, "400", "t2") == 1);
    CHECK(store.recordDeadLetter(key, {RecordKind::Container, 5}, "unknown label", "t1") == 1);
    CHECK(store.recordDeadLetter(key, {RecordKind::Artifact, 5}, "400", "t2") == 1);
    CHECK(store.recordDeadLetter(key, {RecordKind::Artifact, 3}, "400", "t2") == 1);
    CHECK(store.recordDeadLetter(key, {RecordKind::Container, 5}, "still unknown", "t3") == 2);
    CHECK(store.recordDeadLetter(key, {RecordKind::Container, 5}, "unknown label 3", "t4") == 3);
    CHECK(store.recordDeadLetter(kOther, {RecordKind::Container, 5}, "x", "t3") == 1);

    // Oldest first, then by kind name, then by source id.
    const auto letters = store.deadLetters(key);
    REQUIRE(letters.size() == 4);
    CHECK(letters[0].key == key);
    CHECK(letters[0].kind == RecordKind::Container);
    CHECK(letters[0].source_id == 5);
    CHECK(letters[0].attempts == 3);
    CHECK(letters[0].message == "unknown label 3");
    CHECK(letters[0].first_seen == "t1");
    CHECK(letters[0].last_seen == "t4");
    CHECK(letters[1].kind == RecordKind::Artifact);
    CHECK(letters[1].source_id == 3);
    CHECK(letters[2].kind == RecordKind::Artifact);
    CHECK(letters[2].source_id == 5);
    CHECK(letters[3].kind == RecordKind::Note);
    CHECK(letters[3].attempts == 1);
    CHECK(letters[3].last_seen == "t2");
    CHECK(store.deadLetterCount(key) == 4);

    CHECK(store.clearDeadLetter(key, {RecordKind::Container, 5}));
    CHECK_FALSE(store.clearDeadLetter(key, {RecordKind::Container, 5}));
    CHECK_FALSE(store.clearDeadLetter(key, {RecordKind::Comment, 9}));  // same id, other kind
    CHECK(store.deadLetterCount(key) == 3);
    CHECK(store.deadLetterCount(kOther) == 1);

    // Cleared and refused again: a new dead letter, counting from one.
    CHECK(store.recordDeadLetter(key, {RecordKind::Container, 5}, "back", "t9") == 1);
    CHECK(store.deadLetters(key).back().first_seen == "t9");
}

STORE_CONTRACT("strikes count passes per container and keep the first pass's start", "[strike]") {
    TestType f;
    Store& store = f.store();
    const auto key = testKey();

    CHECK(store.strikes(key).empty());
    CHECK(store.targets().empty());  // reading never registers a (route, target)

    const auto first = store.addStrike(key, 7, "2024-05-01T10:00:00Z");
    CHECK(first.source_id == 7);
    CHECK(first.passes == 1);
    CHECK(first.first_pass_at == "2024-05-01T10:00:00Z");

    // The next pass counts one more and keeps the first pass's start.
    const auto second = store.addStrike(key, 7, "2024-05-01T10:05:00Z");
    CHECK(second.source_id == 7);
    CHECK(second.passes == 2);
    CHECK(second.first_pass_at == "2024-05-01T10:00:00Z");

    CHECK(store.addStrike(key, 3, "2024-05-01T10:05:00Z").passes == 1);
    CHECK(store.addStrike(kOther, 7, "2024-05-01T11:00:00Z").passes == 1);
    CHECK(store.targets() == std::vector<RouteTarget>{key, kOther});

    // Per (route, target) only, by source id.
    const auto listed = store.strikes(key);
    REQUIRE(listed.size() == 2);
    CHECK(listed[0].source_id == 3);
    CHECK(listed[0].passes == 1);
    CHECK(listed[0].first_pass_at == "2024-05-01T10:05:00Z");
    CHECK(listed[1].source_id == 7);
    CHECK(listed[1].passes == 2);
    CHECK(listed[1].first_pass_at == "2024-05-01T10:00:00Z");

    CHECK(store.clearStrike(key, 7));
    CHECK_FALSE(store.clearStrike(key, 7));
    CHECK_FALSE(store.clearStrike(key, 99));
    REQUIRE(store.strikes(key).size() == 1);
    CHECK(store.strikes(key)[0].source_id == 3);

    // Another target's strike of the same container is untouched.
    const auto other = store.strikes(kOther);
    REQUIRE(other.size() == 1);
    CHECK(other[0].source_id == 7);
    CHECK(other[0].passes == 1);
    CHECK(other[0].first_pass_at == "2024-05-01T11:00:00Z");

    // Cleared and struck again: counting from one, from the new pass.
    const auto again = store.addStrike(key, 7, "2024-05-01T12:00:00Z");
    CHECK(again.passes == 1);
    CHECK(again.first_pass_at == "2024-05-01T12:00:00Z");
}

STORE_CONTRACT("forgetting mappings forgets their strikes", "[strike][mapping]") {
    TestType f;
    Store& store = f.store();
    const auto key = testKey();
    for (std::int64_t n = 1; n <= 2; ++n) store.commit(unitOf(n));
    (void)store.addStrike(key, 1, "t1");
    (void)store.addStrike(key, 2, "t1");
    (void)store.addStrike(key, 9, "t1");  // never mapped: its create failed
    (void)store.addStrike(kOther, 2, "t1");

    CHECK(store.deleteContainerMapping(key, 2));
    CHECK_FALSE(store.deleteContainerMapping(key, 9));  // no mapping, but the strike goes
    auto left = store.strikes(key);
    REQUIRE(left.size() == 1);
    CHECK(left[0].source_id == 1);

    (void)store.addStrike(key, 9, "t2");
    CHECK(store.deleteMappings(key) == 1);
    CHECK(store.strikes(key).empty());
    REQUIRE(store.strikes(kOther).size() == 1);
    CHECK(store.strikes(kOther)[0].source_id == 2);
}

STORE_CONTRACT("targets are the (route, target) pairs written to, sorted", "[status]") {
    TestType f;
    Store& store = f.store();

    (void)store.status(testKey());
    (void)store.health(kOther);
    CHECK(store.targets().empty());  // reads never register one

    const RouteTarget b{"b-route", "x"};
    const RouteTarget a2{"a-route", "z"};
    const RouteTarget a1{"a-route", "y"};
    store.markHealthy(b);
    store.setCursor(a2, Cursor{Stream::Notes, "t", 1});
    (void)store.recordDeadLetter(a1, {RecordKind::Container, 1}, "400", "t");
    store.recordPass(a1, PassRecord{});
    CHECK(store.targets() == std::vector<RouteTarget>{a1, a2, b});
}

STORE_CONTRACT("status gathers everything about a (route, target)", "[status]") {
    TestType f;
    Store& store = f.store();
    const auto key = testKey();

    const auto empty = store.status(key);
    CHECK(empty.key == key);
    CHECK(empty.cursors.empty());
    CHECK_FALSE(empty.last_pass);
    CHECK_FALSE(empty.health.last_error);
    CHECK(empty.mappings.containers == 0);
    CHECK(empty.dead_letters == 0);
    CHECK(empty.playbook_runs.empty());

    store.commit(unitOf(1));
    store.commit(unitOf(2));
    auto notes = unitWith();
    notes.notes = {note(RecordKind::Note, 3, 1)};
    store.commit(notes);
    store.setCursor(key, Cursor{Stream::Artifacts, "2024-05-01T10:00:09Z", 25});
    PassRecord pass;
    pass.outcome = "ok";
    store.recordPass(key, pass);
    pass.outcome = "errors";
    store.recordPass(key, pass);
    store.markFailing(key, "503", "t1");
    (void)store.recordDeadLetter(key, {RecordKind::Note, 3}, "400", "t1");
    (void)store.recordDeadLetter(key, {RecordKind::Artifact, 4}, "400", "t1");
    const auto run = store.recordPlaybookIntent(intent("create:1"));
    (void)store.recordPlaybookIntent(intent("create:2", 2));
    CHECK(store.updatePlaybookRun(run.run.id, RunStatus::Failed, std::nullopt, "", "t2"));
    store.setCursor(kOther, Cursor{Stream::Notes, "t", 1});
    (void)store.recordDeadLetter(kOther, {RecordKind::Note, 3}, "400", "t1");

    const auto status = store.status(key);
    CHECK(status.key == key);
    CHECK(status.cursors == store.cursors(key));
    REQUIRE(status.cursors.size() == 2);
    CHECK(status.cursors[0] == Cursor{Stream::ContainersCreated, timestampOf(2), 2});
    REQUIRE(status.last_pass);
    CHECK(status.last_pass->outcome == "errors");
    CHECK(status.health.failing_since == "t1");
    CHECK(status.health.last_error == "503");
    CHECK(status.mappings.containers == 2);
    CHECK(status.mappings.artifacts == 2 * kArtifactsPerUnit);
    CHECK(status.mappings.notes == 1);
    CHECK(status.dead_letters == 2);
    CHECK(status.playbook_runs ==
          std::map<RunStatus, std::int64_t>{{RunStatus::Intent, 1}, {RunStatus::Failed, 1}});
}

STORE_CONTRACT("two-way fields and mappings by target id go with their container", "[mirror]") {
    TestType f;
    Store& store = f.store();
    const auto key = testKey();
    auto unit = unitWith();
    unit.containers = {container(1), container(2)};
    unit.notes = {note(RecordKind::Note, 11, 1), note(RecordKind::Comment, 12, 2)};
    unit.mirrors = {MirrorState{1, R"({"status":"new"})", R"({"status":"open"})"}};
    (void)store.commit(unit);

    CHECK(store.mirrorState(key, 1) ==
          MirrorState{1, R"({"status":"new"})", R"({"status":"open"})"});
    CHECK_FALSE(store.mirrorState(key, 2));
    CHECK_FALSE(store.mirrorState(kOther, 1));
    REQUIRE(store.containerMappingByTarget(key, 502));
    CHECK(store.containerMappingByTarget(key, 502)->source_id == 2);
    CHECK_FALSE(store.containerMappingByTarget(key, 2));
    REQUIRE(store.noteMappingByTarget(key, RecordKind::Note, 711));
    CHECK(store.noteMappingByTarget(key, RecordKind::Note, 711)->source_id == 11);
    CHECK_FALSE(store.noteMappingByTarget(key, RecordKind::Comment, 711));

    // Settled again: replaced. Forgetting the container forgets them.
    auto again = unitWith();
    again.mirrors = {MirrorState{1, R"({"status":"closed"})", R"({"status":"closed"})"}};
    (void)store.commit(again);
    CHECK(store.mirrorState(key, 1)->source_fields == R"({"status":"closed"})");
    CHECK(store.deleteContainerMapping(key, 1));
    CHECK_FALSE(store.mirrorState(key, 1));
    CHECK_FALSE(store.noteMappingByTarget(key, RecordKind::Note, 711));

    // The fields of an unmapped container are refused with the rest of the unit.
    auto orphan = unitWith();
    orphan.mirrors = {MirrorState{9, "{}", "{}"}};
    CHECK_THROWS_AS(store.commit(orphan), soar::state::StateError);
}

STORE_CONTRACT("a run's report goes from due to sending to sent", "[playbook][report]") {
    TestType f;
    Store& store = f.store();
    const auto key = testKey();
    const auto running = store.recordPlaybookIntent(intent("create:1", 1)).run;
    const auto ended = store.recordPlaybookIntent(intent("create:2", 2)).run;
    CHECK(store.updatePlaybookRun(running.id, RunStatus::Running, 901, "", "t1"));
    CHECK(store.updatePlaybookRun(ended.id, RunStatus::Failed, 902, "boom", "t2"));
    CHECK(store.playbookRun(key, "create:2")->report == ReportState::None);

    // Only ended runs are due.
    auto due = store.unreportedPlaybookRuns(key);
    REQUIRE(due.size() == 1);
    CHECK(due[0].id == ended.id);
    CHECK(store.setPlaybookReport(ended.id, ReportState::Sending));
    due = store.unreportedPlaybookRuns(key);
    REQUIRE(due.size() == 1);
    CHECK(due[0].report == ReportState::Sending);
    CHECK(store.setPlaybookReport(ended.id, ReportState::Sent));
    CHECK(store.unreportedPlaybookRuns(key).empty());
    CHECK(store.playbookRun(key, "create:2")->report == ReportState::Sent);
    CHECK_FALSE(store.setPlaybookReport(999, ReportState::Sent));
    CHECK(store.unreportedPlaybookRuns(kOther).empty());
}

STORE_CONTRACT("list copies are kept per target and name, the newest write replacing the row",
               "[lists]") {
    TestType f;
    Store& store = f.store();
    const auto key = testKey();
    CHECK(store.listCopies(key).empty());
    CHECK(store.targets().empty());  // reading never registers a (route, target)

    store.recordListCopy(key, {"vip_users", "aa11", 3, 40, "2024-05-01T10:00:00Z"});
    store.recordListCopy(key, {"blocklist", "bb22", 1, 12, "2024-05-01T10:00:01Z"});
    store.recordListCopy(kOther, {"blocklist", "cc33", 2, 20, "2024-05-01T10:00:02Z"});
    store.recordListCopy(key, {"vip_users", "dd44", 4, 52, "2024-05-01T10:05:00Z"});

    const auto lists = store.listCopies(key);
    REQUIRE(lists.size() == 2);  // by name
    CHECK(lists[0].name == "blocklist");
    CHECK(lists[0].content_hash == "bb22");
    CHECK(lists[1].name == "vip_users");
    CHECK(lists[1].content_hash == "dd44");
    CHECK(lists[1].rows == 4);
    CHECK(lists[1].bytes == 52);
    CHECK(lists[1].written_at == "2024-05-01T10:05:00Z");
    REQUIRE(store.listCopies(kOther).size() == 1);
    CHECK(store.listCopies(kOther)[0].content_hash == "cc33");
    CHECK(store.status(key).lists.size() == 2);
}

STORE_CONTRACT("a buried container leaves a tombstone per generation and forgets its mappings",
               "[reconcile]") {
    TestType f;
    Store& store = f.store();
    const auto key = testKey();
    CHECK_FALSE(store.reconcileState(key).has_value());
    CHECK(store.tombstonesOf(key, 1) == 0);
    CHECK(store.targets().empty());

    UnitOfWork unit;
    unit.key = key;
    ContainerMapping c{1, 100, "h", std::nullopt, std::nullopt, std::nullopt, 1};
    unit.containers.push_back(c);
    unit.artifacts.push_back({11, 1100, 1, "a", std::nullopt});
    (void)store.commit(unit);
    (void)store.addStrike(key, 1, "t0");

    store.buryContainer(key, {1, 1, 100, "2024-05-01T10:00:00Z", DeletionAction::Closed});
    CHECK_FALSE(store.containerMapping(key, 1).has_value());
    CHECK_FALSE(store.artifactMapping(key, 11).has_value());
    CHECK(store.strikes(key).empty());
    CHECK(store.tombstonesOf(key, 1) == 1);

    // The id reused: its second copy is generation 2, and buried again it has two tombstones.
    c.target_id = 200;
    c.generation = 2;
    unit.containers = {c};
    unit.artifacts.clear();
    (void)store.commit(unit);
    CHECK(store.containerMapping(key, 1)->generation == 2);
    store.buryContainer(key, {1, 2, 200, "2024-06-01T10:00:00Z", DeletionAction::Gone});
    CHECK(store.tombstonesOf(key, 1) == 2);
    const auto all = store.tombstones(key);
    REQUIRE(all.size() == 2);
    CHECK(all[0].target_id == 100);
    CHECK(all[0].action == DeletionAction::Closed);
    CHECK(all[1].generation == 2);
    CHECK(all[1].action == DeletionAction::Gone);
    CHECK(store.tombstonesOf(kOther, 1) == 0);

    ReconcileState state;
    state.started_at = "2024-06-01T10:00:00Z";
    state.after_id = 400;
    state.checked = 400;
    state.requests = 2;
    state.found = 1;
    state.finished_at = "2024-06-01T09:00:00Z";
    state.last_checked = 380;
    state.last_requests = 2;
    store.saveReconcileState(key, state);
    const auto read = store.reconcileState(key);
    REQUIRE(read);
    CHECK(read->started_at == state.started_at);
    CHECK(read->after_id == 400);
    CHECK(read->found == 1);
    CHECK(read->finished_at == state.finished_at);
    CHECK(read->last_checked == 380);
    state.started_at.reset();
    store.saveReconcileState(key, state);
    CHECK_FALSE(store.reconcileState(key)->started_at.has_value());

    const auto status = store.status(key);
    REQUIRE(status.reconcile);
    CHECK(status.tombstones.at(DeletionAction::Closed) == 1);
    CHECK(status.tombstones.at(DeletionAction::Gone) == 1);
}
