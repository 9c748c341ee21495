// The store contract, continued from StoreContractTest.cpp: playbook runs, dead letters, strikes,
// status, two-way fields, reports, lists and tombstones, against every store.

#include "ContractBuilders.h"
#include "StateTestUtil.h"
#include "StoreFixtures.h"
#include "soar/state/SqliteStore.h"
#include "soar/state/StateError.h"
#include "soar/state/Store.h"

#include <catch2/catch.hpp>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

using namespace soar::state;
using namespace soar::state::test;

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
    // Read together: only the ids that have any.
    CHECK(store.tombstonesOf(key, std::vector<std::int64_t>{5, 1, 7}) ==
          std::map<std::int64_t, std::int64_t>{{1, 2}});
    CHECK(store.tombstonesOf(key, std::vector<std::int64_t>{}).empty());
    CHECK(store.tombstonesOf(kOther, std::vector<std::int64_t>{1}).empty());
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
