#include "StateTestUtil.h"
#include "soar/state/SqliteStore.h"
#include "soar/state/StateError.h"
#include "support/TempDir.h"

#include <catch2/catch.hpp>

#include <memory>
#include <string>
#include <utility>
#include <vector>

using namespace soar::state;
using namespace soar::state::test;

namespace {

/// The store under test: a file in a temp folder and ":memory:", so both code paths (pooled
/// read connections, and reads on the single in-memory connection) get every test.
struct Fixture {
    explicit Fixture(bool in_memory) {
        StateOptions options;
        options.path = in_memory ? std::string(":memory:") : (dir.path() / "state.db").string();
        store = SqliteStore::open(options);
    }
    soar::test::TempDir dir;
    std::unique_ptr<SqliteStore> store;
};

const RouteTarget kOther{"hq-to-dr", "lab"};

ContainerMapping container(std::int64_t source_id, std::string hash = "h") {
    ContainerMapping c;
    c.source_id = source_id;
    c.target_id = source_id + 500;
    c.content_hash = std::move(hash);
    c.create_time = "2024-05-01T10:00:00.000000Z";
    return c;
}

ArtifactMapping artifact(std::int64_t source_id, std::int64_t container_id) {
    ArtifactMapping a;
    a.source_id = source_id;
    a.target_id = source_id + 900;
    a.source_container_id = container_id;
    a.content_hash = "a" + std::to_string(source_id);
    return a;
}

PlaybookRun intent(const std::string& trigger_key, std::int64_t container_id = 1) {
    PlaybookRun run;
    run.key = testKey();
    run.trigger_key = trigger_key;
    run.source_container_id = container_id;
    run.target_container_id = container_id + 500;
    run.playbook = "local/triage_synced";
    run.trigger = TriggerKind::Create;
    run.created_at = "2024-05-01T10:00:00Z";
    return run;
}

/// A unit of work that only upserts note and comment mappings.
UnitOfWork notesOnly(const RouteTarget& key, std::vector<NoteMapping> notes) {
    UnitOfWork unit;
    unit.key = key;
    unit.notes = std::move(notes);
    return unit;
}

}  // namespace

TEST_CASE("Stream, status and kind names round-trip", "[state]") {
    for (auto s : {Stream::ContainersCreated, Stream::ContainersUpdated, Stream::Artifacts,
                   Stream::Notes, Stream::Comments, Stream::Attachments, Stream::Tasks}) {
        CHECK(parseStream(toString(s)) == s);
    }
    CHECK(toString(Stream::ContainersUpdated) == "containers_updated");
    CHECK(toString(Stream::Attachments) == "attachments");
    CHECK_FALSE(parseStream("workbooks"));
    CHECK(toString(RecordKind::Task) == "task");
    CHECK(toString(RecordKind::Attachment) == "attachment");
    CHECK(toString(RunStatus::TimedOut) == "timed_out");
    CHECK(isTerminal(RunStatus::Cancelled));
    CHECK_FALSE(isTerminal(RunStatus::Running));
    CHECK(toString(RecordKind::Playbook) == "playbook");
    CHECK(toString(TriggerKind::Update) == "update");
}

TEST_CASE("Cursors are kept per (route, target) and stream", "[state][cursor]") {
    Fixture f(GENERATE(false, true));
    auto& store = *f.store;
    const auto key = testKey();

    CHECK_FALSE(store.cursor(key, Stream::ContainersCreated));
    CHECK(store.cursors(key).empty());
    CHECK(store.targets().empty());  // reading never registers a key

    store.setCursor(key, Cursor{Stream::Artifacts, "2024-05-01T10:00:02.5Z", 42});
    store.setCursor(key, Cursor{Stream::ContainersCreated, "2024-05-01T10:00:01Z", 7});
    const auto created = store.cursor(key, Stream::ContainersCreated);
    REQUIRE(created);
    CHECK(created->timestamp == "2024-05-01T10:00:01Z");  // the source's text, unchanged
    CHECK(created->last_id == 7);

    const auto all = store.cursors(key);
    REQUIRE(all.size() == 2);
    CHECK(all[0].stream == Stream::ContainersCreated);
    CHECK(all[1].stream == Stream::Artifacts);

    // Moves either way (resync --since moves it back on purpose).
    store.setCursor(key, Cursor{Stream::ContainersCreated, "2024-04-01T00:00:00Z", 1});
    CHECK(store.cursor(key, Stream::ContainersCreated)->timestamp == "2024-04-01T00:00:00Z");

    CHECK_FALSE(store.cursor(kOther, Stream::ContainersCreated));
    store.setCursor(kOther, Cursor{Stream::ContainersCreated, "x", 1});
    store.clearCursors(key);
    CHECK(store.cursors(key).empty());
    CHECK(store.cursors(kOther).size() == 1);
}

TEST_CASE("A unit of work records mappings, hashes, cursors and resolved dead letters",
          "[state][commit]") {
    Fixture f(GENERATE(false, true));
    auto& store = *f.store;
    const auto key = testKey();

    store.commit(unitOf(1));
    const auto c = store.containerMapping(key, 1);
    REQUIRE(c);
    CHECK(*c == unitOf(1).containers[0]);
    CHECK_FALSE(c->container_update_time);  // null stays null
    const auto a = store.artifactMapping(key, 13);
    REQUIRE(a);
    CHECK(*a == unitOf(1).artifacts[2]);
    CHECK(store.cursor(key, Stream::ContainersCreated)->last_id == 1);
    CHECK(store.artifactMappingsOf(key, 1) == unitOf(1).artifacts);
    CHECK_FALSE(store.containerMapping(key, 2));
    CHECK_FALSE(store.containerMapping(kOther, 1));

    SECTION("an upsert changes the hash and timestamps, and keeps the artifacts") {
        auto edit = container(1, "edited");
        edit.container_update_time = "2024-05-02T00:00:00Z";
        UnitOfWork unit;
        unit.key = key;
        unit.containers.push_back(edit);
        store.commit(unit);
        CHECK(*store.containerMapping(key, 1) == edit);
        CHECK(store.artifactMappingsOf(key, 1).size() == kArtifactsPerUnit);
    }
    SECTION("artifacts may be added to a container mapped earlier") {
        UnitOfWork unit;
        unit.key = key;
        unit.artifacts.push_back(artifact(99, 1));
        unit.cursors.push_back(Cursor{Stream::Artifacts, "2024-05-03T00:00:00Z", 99});
        store.commit(unit);
        CHECK(store.artifactMappingsOf(key, 1).size() == kArtifactsPerUnit + 1);
        CHECK(store.cursor(key, Stream::Artifacts)->last_id == 99);
    }
    SECTION("a unit naming an unmapped container changes nothing at all") {
        UnitOfWork unit = unitOf(2);
        unit.artifacts.push_back(artifact(77, 12345));
        try {
            store.commit(unit);
            FAIL("an artifact of an unmapped container was accepted");
        } catch (const StateError& e) {
            CHECK(e.kind() == StateError::Kind::Constraint);
            CHECK_THAT(e.what(), Catch::Contains("hq-to-dr"));
        }
        CHECK(rowsOfUnit(store, 2) == 0);
        CHECK(store.cursor(key, Stream::ContainersCreated)->last_id == 1);
    }
    SECTION("resolved dead letters go with the unit") {
        (void)store.recordDeadLetter(key, {RecordKind::Container, 2}, "400 bad label", "t1");
        (void)store.recordDeadLetter(key, {RecordKind::Artifact, 21}, "400", "t1");
        UnitOfWork unit = unitOf(2);
        unit.resolved_dead_letters.push_back({RecordKind::Container, 2});
        store.commit(unit);
        CHECK(store.deadLetterCount(key) == 1);
        CHECK(store.deadLetters(key)[0].kind == RecordKind::Artifact);
    }
    SECTION("an empty unit is harmless") {
        UnitOfWork unit;
        unit.key = key;
        store.commit(unit);
        CHECK(rowsOfUnit(store, 1) == 1 + kArtifactsPerUnit);
    }
}

TEST_CASE("Mappings are listed, counted and deleted per (route, target)", "[state][mapping]") {
    Fixture f(GENERATE(false, true));
    auto& store = *f.store;
    const auto key = testKey();
    for (std::int64_t n = 1; n <= 10; ++n) store.commit(unitOf(n));
    store.commit(unitOf(1, kOther));

    auto counts = store.mappingCounts(key);
    CHECK(counts.containers == 10);
    CHECK(counts.artifacts == 10 * kArtifactsPerUnit);

    const auto page1 = store.containerMappings(key, 0, 4);
    REQUIRE(page1.size() == 4);
    CHECK(page1.front().source_id == 1);
    CHECK(page1.back().source_id == 4);
    const auto page3 = store.containerMappings(key, 8, 4);
    REQUIRE(page3.size() == 2);
    CHECK(page3.back().source_id == 10);
    CHECK(page3.back() == unitOf(10).containers[0]);

    // A page's worth of lookups in one call: unmapped ids left out, order kept.
    const auto batch = store.findContainerMappings(key, {3, 999, 1});
    REQUIRE(batch.size() == 2);
    CHECK(batch[0] == unitOf(3).containers[0]);
    CHECK(batch[1] == unitOf(1).containers[0]);
    const auto artifacts = store.findArtifactMappings(key, {12, 55, 4242});
    REQUIRE(artifacts.size() == 2);
    CHECK(artifacts[0] == unitOf(1).artifacts[1]);
    CHECK(artifacts[1] == unitOf(5).artifacts[4]);
    CHECK(store.findContainerMappings(key, {}).empty());
    CHECK(store.findContainerMappings(RouteTarget{"nope", "nope"}, {1}).empty());

    CHECK(store.deleteArtifactMapping(key, 11));
    CHECK_FALSE(store.deleteArtifactMapping(key, 11));
    CHECK(store.artifactMappingsOf(key, 1).size() == kArtifactsPerUnit - 1);

    // The target lost container 2: its artifacts' mappings go with it.
    CHECK(store.deleteContainerMapping(key, 2));
    CHECK_FALSE(store.deleteContainerMapping(key, 2));
    CHECK(rowsOfUnit(store, 2) == 0);
    CHECK(store.mappingCounts(key).containers == 9);

    CHECK(store.deleteMappings(key) == 9);
    CHECK(store.mappingCounts(key).containers == 0);
    CHECK(store.mappingCounts(key).artifacts == 0);
    CHECK(rowsOfUnit(store, 1, kOther) == 1 + kArtifactsPerUnit);
    CHECK(store.mappingCounts(RouteTarget{"nope", "nope"}).containers == 0);
}

TEST_CASE("Passes keep a bounded history, and health tracks failing-since", "[state][pass]") {
    Fixture f(GENERATE(false, true));
    auto& store = *f.store;
    const auto key = testKey();

    CHECK_FALSE(store.lastPass(key));
    PassRecord pass;
    pass.started_at = "2024-05-01T10:00:00Z";
    pass.finished_at = "2024-05-01T10:00:05Z";
    pass.outcome = "ok";
    pass.counts = PassCounts{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
    store.recordPass(key, pass);
    auto last = store.lastPass(key);
    REQUIRE(last);
    CHECK(last->outcome == "ok");
    CHECK(last->finished_at == pass.finished_at);
    CHECK(last->counts.containers_created == 1);
    CHECK(last->counts.containers_unchanged == 3);
    CHECK(last->counts.artifacts_unchanged == 6);
    CHECK(last->counts.errors == 7);
    CHECK(last->counts.comments_created == 10);
    CHECK(last->counts.files_copied == 11);
    CHECK(last->counts.file_bytes == 12);
    CHECK(last->counts.workbooks_copied == 13);
    CHECK(last->counts.tasks_written == 14);
    CHECK(last->counts.owners_unmatched == 15);

    for (int i = 0; i < 120; ++i) {
        pass.outcome = "pass-" + std::to_string(i);
        store.recordPass(key, pass);
    }
    CHECK(store.lastPass(key)->outcome == "pass-119");
    const auto recent = store.recentPasses(key, 1000);
    CHECK(recent.size() == 100);
    CHECK(recent.front().outcome == "pass-119");
    CHECK(recent.back().outcome == "pass-20");

    CHECK_FALSE(store.health(key).failing_since);
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
    CHECK_FALSE(store.health(kOther).last_error);
}

TEST_CASE("Playbook runs are recorded once per trigger and tracked to an outcome",
          "[state][playbook]") {
    Fixture f(GENERATE(false, true));
    auto& store = *f.store;
    const auto key = testKey();

    const auto first = store.recordPlaybookIntent(intent("create:1"));
    CHECK(first.created);
    CHECK(first.run.id > 0);
    CHECK(first.run.status == RunStatus::Intent);
    CHECK_FALSE(first.run.run_id);
    CHECK(first.run.playbook == "local/triage_synced");
    CHECK(first.run.created_at == "2024-05-01T10:00:00Z");
    CHECK(first.run.updated_at == first.run.created_at);

    // A restart replays the same trigger: it is not recorded (or run) twice.
    auto again_intent = intent("create:1");
    again_intent.playbook = "something/else";
    const auto again = store.recordPlaybookIntent(again_intent);
    CHECK_FALSE(again.created);
    CHECK(again.run.id == first.run.id);
    CHECK(again.run.playbook == "local/triage_synced");

    auto update = intent("update:2:2024-05-02", 2);
    update.trigger = TriggerKind::Update;
    const auto second = store.recordPlaybookIntent(update);
    CHECK(second.created);
    CHECK(second.run.trigger == TriggerKind::Update);
    (void)store.recordPlaybookIntent(intent("create:3", 3));

    CHECK(store.updatePlaybookRun(first.run.id, RunStatus::Running, 901, "", "t2"));
    CHECK(store.updatePlaybookRun(first.run.id, RunStatus::Success, std::nullopt, "done", "t3"));
    const auto done = store.playbookRun(key, "create:1");
    REQUIRE(done);
    CHECK(done->status == RunStatus::Success);
    CHECK(done->run_id == 901);  // kept when the update does not know it
    CHECK(done->message == "done");
    CHECK(done->updated_at == "t3");
    CHECK_FALSE(store.updatePlaybookRun(999'999, RunStatus::Failed, std::nullopt, "", "t"));
    CHECK_FALSE(store.playbookRun(key, "create:404"));

    CHECK(store.updatePlaybookRun(second.run.id, RunStatus::Running, 902, "", "t4"));
    const auto pending = store.pendingPlaybookRuns(key);
    REQUIRE(pending.size() == 2);
    CHECK(pending[0].trigger_key == "update:2:2024-05-02");
    CHECK(pending[0].status == RunStatus::Running);
    CHECK(pending[0].key == key);
    CHECK(pending[1].trigger_key == "create:3");
    CHECK(pending[1].status == RunStatus::Intent);
    CHECK(store.pendingPlaybookRuns(kOther).empty());

    CHECK(store.updatePlaybookRun(second.run.id, RunStatus::TimedOut, std::nullopt, "30m", "t5"));
    const auto counts = store.playbookRunCounts(key);
    CHECK(counts.at(RunStatus::Success) == 1);
    CHECK(counts.at(RunStatus::TimedOut) == 1);
    CHECK(counts.at(RunStatus::Intent) == 1);
    CHECK(counts.count(RunStatus::Running) == 0);
}

TEST_CASE("Dead letters count attempts and clear on success", "[state][deadletter]") {
    Fixture f(GENERATE(false, true));
    auto& store = *f.store;
    const auto key = testKey();

    CHECK(store.deadLetterCount(key) == 0);
    CHECK(store.recordDeadLetter(key, {RecordKind::Container, 5}, "unknown label", "t1") == 1);
    CHECK(store.recordDeadLetter(key, {RecordKind::Artifact, 5}, "400", "t2") == 1);
    CHECK(store.recordDeadLetter(key, {RecordKind::Container, 5}, "still unknown", "t3") == 2);
    CHECK(store.recordDeadLetter(kOther, {RecordKind::Container, 5}, "x", "t3") == 1);

    const auto letters = store.deadLetters(key);
    REQUIRE(letters.size() == 2);
    CHECK(letters[0].kind == RecordKind::Container);
    CHECK(letters[0].source_id == 5);
    CHECK(letters[0].attempts == 2);
    CHECK(letters[0].message == "still unknown");
    CHECK(letters[0].first_seen == "t1");
    CHECK(letters[0].last_seen == "t3");
    CHECK(letters[0].key == key);
    CHECK(letters[1].kind == RecordKind::Artifact);
    CHECK(store.deadLetterCount(key) == 2);

    CHECK(store.clearDeadLetter(key, {RecordKind::Container, 5}));
    CHECK_FALSE(store.clearDeadLetter(key, {RecordKind::Container, 5}));
    CHECK(store.deadLetterCount(key) == 1);
    CHECK(store.deadLetterCount(kOther) == 1);
}

TEST_CASE("Status gathers everything about a (route, target)", "[state][status]") {
    Fixture f(GENERATE(false, true));
    auto& store = *f.store;
    const auto key = testKey();

    const auto empty = store.status(key);
    CHECK(empty.key == key);
    CHECK(empty.cursors.empty());
    CHECK_FALSE(empty.last_pass);

    store.commit(unitOf(1));
    store.commit(unitOf(2));
    PassRecord pass;
    pass.outcome = "errors";
    store.recordPass(key, pass);
    store.markFailing(key, "503", "t1");
    (void)store.recordDeadLetter(key, {RecordKind::Note, 3}, "400", "t1");
    (void)store.recordPlaybookIntent(intent("create:1"));
    store.setCursor(kOther, Cursor{Stream::Notes, "t", 1});

    const auto status = store.status(key);
    REQUIRE(status.cursors.size() == 1);
    CHECK(status.cursors[0].last_id == 2);
    REQUIRE(status.last_pass);
    CHECK(status.last_pass->outcome == "errors");
    CHECK(status.health.failing_since == "t1");
    CHECK(status.mappings.containers == 2);
    CHECK(status.mappings.artifacts == 2 * kArtifactsPerUnit);
    CHECK(status.dead_letters == 1);
    CHECK(status.playbook_runs.at(RunStatus::Intent) == 1);

    const auto keys = store.targets();
    REQUIRE(keys.size() == 2);
    CHECK(keys[0] == key);  // "dr" < "lab"
    CHECK(keys[1] == kOther);
}

TEST_CASE("Note and comment mappings commit with their container and go with it",
          "[state][mapping]") {
    Fixture f(GENERATE(false, true));
    auto& store = *f.store;
    const auto key = testKey();
    UnitOfWork unit;
    unit.key = key;
    unit.containers.push_back(container(1));
    NoteMapping note{RecordKind::Note, 21, 921, 1, "n21", std::string("2024-05-01T10:00:01Z")};
    NoteMapping comment{RecordKind::Comment, 21, 1021, 1, "c21", std::nullopt};
    unit.notes = {note, comment};
    store.commit(unit);

    CHECK(store.noteMapping(key, RecordKind::Note, 21) == note);
    CHECK(store.noteMapping(key, RecordKind::Comment, 21) == comment);  // same id, other kind
    CHECK_FALSE(store.noteMapping(key, RecordKind::Note, 22));
    CHECK(store.noteMappingsOf(key, 1).size() == 2);
    CHECK(store.mappingCounts(key).notes == 2);

    // An edited note: the upsert replaces its hash and time.
    note.content_hash = "n21-v2";
    note.update_time = "2024-05-01T11:00:00Z";
    store.commit(notesOnly(key, {note}));
    CHECK(store.noteMapping(key, RecordKind::Note, 21) == note);

    // A note of an unmapped container is refused, and nothing of its unit lands.
    NoteMapping orphan{RecordKind::Note, 30, 930, 999, "x", std::nullopt};
    CHECK_THROWS_AS(store.commit(notesOnly(key, {orphan})), StateError);
    CHECK_FALSE(store.noteMapping(key, RecordKind::Note, 30));

    CHECK(store.deleteContainerMapping(key, 1));
    CHECK(store.noteMappingsOf(key, 1).empty());
    CHECK(store.mappingCounts(key).notes == 0);
}
