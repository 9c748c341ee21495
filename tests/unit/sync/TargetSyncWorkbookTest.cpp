// Case workbooks on the fakes (design.md §5, "Complete copies"; soar-api-more.md §3): the
// template of the same name when the target has it, else phases and tasks made one by one;
// task status through the transitions the target allows, with the closing note it asks for;
// owners by username; task notes once; changes found by the tasks stream; nothing twice after
// a lost state file.

#include "EngineFixture.h"

#include <Poco/JSON/Object.h>
#include <catch2/catch.hpp>

#include <string>
#include <vector>

namespace {

using soar::state::RecordKind;
using soar::state::Stream;
using soar::sync::PassOutcome;
using soar::test::EngineFixture;
using soar::test::FakeSource;
using soar::test::FakeTarget;
using soar::test::sourceTime;

constexpr std::int64_t kNotStarted = 0;
constexpr std::int64_t kInProgress = 2;
constexpr std::int64_t kComplete = 1;

Poco::JSON::Object::Ptr aCase() {
    Poco::JSON::Object::Ptr out = new Poco::JSON::Object;
    out->set("container_type", "case");
    return out;
}

/// A case on the source made from template 5 ("Phishing"): Triage (Review, Contain) and
/// Recover (Restore).
struct CaseFixture : EngineFixture {
    std::int64_t container = 0;
    std::int64_t review = 0;
    std::int64_t contain = 0;
    std::int64_t restore = 0;

    CaseFixture() {
        route.workbooks = true;
        source.addTemplate(5, "Phishing");
        container = source.addContainer(sourceTime(0), aCase());
        const auto triage = source.addPhase(container, "Triage", 5);
        const auto recover = source.addPhase(container, "Recover", 5);
        review = source.addTask(triage, sourceTime(1), "Review", kComplete);
        contain = source.addTask(triage, sourceTime(2), "Contain", kInProgress);
        restore = source.addTask(recover, sourceTime(3), "Restore", kNotStarted);
    }
    [[nodiscard]] std::int64_t copy() const {
        return target.containerBySdi(sdi(container)).value();
    }
    /// name -> status of the copy's tasks.
    [[nodiscard]] std::map<std::string, std::int64_t> statuses() const {
        std::map<std::string, std::int64_t> out;
        for (const auto& phase : target.workbookOf(copy())) {
            for (const auto& task : phase.tasks) out[phase.name + "/" + task.name] = task.status;
        }
        return out;
    }
    [[nodiscard]] std::int64_t taskId(const std::string& phase, const std::string& task) const {
        for (const auto& p : target.workbookOf(copy())) {
            for (const auto& t : p.tasks) {
                if (p.name == phase && t.name == task) return t.id;
            }
        }
        return 0;
    }
};

const std::map<std::string, std::int64_t> kExpected = {{"Triage/Review", kComplete},
                                                       {"Triage/Contain", kInProgress},
                                                       {"Recover/Restore", kNotStarted}};

}  // namespace

TEST_CASE(
    "Engine workbooks: a case gets the target's template of the same name, and its tasks "
    "the source's status",
    "[engine][unit][workbooks]") {
    CaseFixture f;
    (void)f.target.addTemplate("Phishing",
                               {{"Triage", {"Review", "Contain"}}, {"Recover", {"Restore"}}});
    const auto result = f.pass();
    CHECK(result.outcome == PassOutcome::Ok);
    CHECK(result.counts.workbooks_copied == 1);
    CHECK(result.counts.tasks_written == 2);
    CHECK(f.target.calls(FakeTarget::Call::CreatePhase) == 0);
    CHECK(f.target.calls(FakeTarget::Call::CreateTask) == 0);
    CHECK(f.statuses() == kExpected);
    CHECK(f.target.container(f.copy()).value()->getValue<std::string>("container_type") == "case");
    CHECK(f.store.mappingCounts(f.key).tasks == 3);

    // Nothing changed: the next passes write nothing.
    f.clock->advance(std::chrono::seconds(30));
    f.target.resetCounts();
    (void)f.pass();
    (void)f.pass();
    CHECK(f.target.writes() == 0);
}

TEST_CASE("Engine workbooks: without the template, phases and tasks are made one by one",
          "[engine][unit][workbooks]") {
    CaseFixture f;
    const auto result = f.pass();
    CHECK(result.outcome == PassOutcome::Ok);
    CHECK(result.counts.workbooks_copied == 1);
    CHECK(f.target.calls(FakeTarget::Call::CreatePhase) == 2);
    CHECK(f.target.calls(FakeTarget::Call::CreateTask) == 3);
    CHECK(f.statuses() == kExpected);
    const auto wb = f.target.workbookOf(f.copy());
    REQUIRE(wb.size() == 2);
    CHECK(wb[0].name == "Triage");
    CHECK(wb[1].name == "Recover");
    CHECK(wb[0].tasks.at(0).description == "do Review");
}

TEST_CASE("Engine workbooks: completing a task that needs a closing note sends one",
          "[engine][unit][workbooks]") {
    CaseFixture f;
    const auto phishing = f.target.addTemplate(
        "Phishing", {{"Triage", {"Review", "Contain"}}, {"Recover", {"Restore"}}});
    (void)phishing;
    // The copy exists with its template already (a copy made before, state file lost).
    REQUIRE(f.pass().outcome == PassOutcome::Ok);
    const auto restore = f.taskId("Recover", "Restore");
    f.target.requireClosingNote(restore);
    f.source.editTask(f.restore, sourceTime(40), kComplete);
    f.clock->advance(std::chrono::seconds(60));
    f.source.resetCounts();
    const auto result = f.pass();
    CHECK(result.outcome == PassOutcome::Ok);
    CHECK(result.counts.tasks_written == 1);
    CHECK(f.statuses().at("Recover/Restore") == kComplete);
    const auto notes = f.target.taskNotesIn(restore);
    REQUIRE(notes.size() == 1);
    CHECK_THAT(notes[0], Catch::Contains("Closed to match the source"));
    // Found by the tasks stream: the container was not replayed.
    CHECK(f.source.walks(Stream::Tasks) == 1);
    CHECK(f.source.calls(FakeSource::Call::Container) == 0);
}

TEST_CASE(
    "Engine workbooks: task owners by username and task notes once, also after the state "
    "file is lost",
    "[engine][unit][workbooks]") {
    CaseFixture f;
    f.route.owners_by_name = true;
    f.source.addUser(3, "dana");
    const auto dana = f.target.addUser("dana");
    f.source.editTask(f.contain, sourceTime(4), kInProgress, 3);
    (void)f.source.addTaskNote(f.review, sourceTime(5), "phish confirmed");
    REQUIRE(f.pass().outcome == PassOutcome::Ok);
    const auto contain = f.taskId("Triage", "Contain");
    const auto review = f.taskId("Triage", "Review");
    CHECK(f.target.workbookOf(f.copy()).at(0).tasks.at(1).owner == dana);
    auto notes = f.target.taskNotesIn(review);
    REQUIRE(notes.size() == 1);
    CHECK_THAT(notes[0],
               Catch::StartsWith("phish confirmed") && Catch::Contains("[soar-sync:src:note:"));
    // A task note is not a container note on the copy.
    CHECK(f.target.notesIn(RecordKind::Note, f.copy()).empty());
    (void)contain;

    // A new state store: no phase, task or note is made twice.
    soar::test::InMemoryStore fresh;
    f.target.resetCounts();
    const auto again =
        soar::sync::TargetSync(f.route, f.options, f.source, f.target, fresh).runPass();
    CHECK(again.outcome == PassOutcome::Ok);
    CHECK(f.target.calls(FakeTarget::Call::CreatePhase) == 0);
    CHECK(f.target.calls(FakeTarget::Call::CreateTask) == 0);
    CHECK(f.target.calls(FakeTarget::Call::CreateNote) == 0);
    CHECK(f.target.taskNotesIn(review).size() == 1);
    CHECK(f.statuses() == kExpected);
}

TEST_CASE("Engine workbooks: a new task note or status is found by the tasks stream",
          "[engine][unit][workbooks]") {
    CaseFixture f;
    f.route.notes = true;
    REQUIRE(f.pass().outcome == PassOutcome::Ok);
    (void)f.source.addTaskNote(f.contain, sourceTime(30), "mailbox purged");
    f.source.editTask(f.restore, sourceTime(31), kInProgress);
    f.clock->advance(std::chrono::seconds(60));
    f.target.resetCounts();
    const auto result = f.pass();
    CHECK(result.outcome == PassOutcome::Ok);
    CHECK(result.counts.tasks_written == 2);
    CHECK(f.target.calls(FakeTarget::Call::CreateNote) == 1);
    CHECK(f.taskId("Triage", "Contain") != 0);
    CHECK(f.target.taskNotesIn(f.taskId("Triage", "Contain")).size() == 1);
    CHECK(f.statuses().at("Recover/Restore") == kInProgress);
    // The note stream met the task note too, and left it to its task.
    CHECK(f.target.notesIn(RecordKind::Note, f.copy()).empty());
}

TEST_CASE(
    "Engine workbooks: containers that are not cases, and routes without workbooks, read no "
    "workbook",
    "[engine][unit][workbooks]") {
    EngineFixture f;
    f.route.workbooks = true;
    (void)f.source.addContainer(sourceTime(0));
    REQUIRE(f.pass().outcome == PassOutcome::Ok);
    CHECK(f.source.calls(FakeSource::Call::Workbook) == 0);

    CaseFixture g;
    g.route.workbooks = false;
    REQUIRE(g.pass().outcome == PassOutcome::Ok);
    CHECK(g.source.calls(FakeSource::Call::Workbook) == 0);
    CHECK(g.source.walks(Stream::Tasks) == 0);
    CHECK(g.target.workbookOf(g.copy()).empty());
}
