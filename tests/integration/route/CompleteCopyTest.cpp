// Owners and container fields between two emulators over HTTP (design.md §4 `owner_map`,
// `custom_fields`): owners go by username, a user the target lacks leaves the copy
// unassigned, a custom field the target does not define dead-letters the container with the
// target's message; the same copies after the state file is lost.

#include "SyncHarness.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>
#include <catch2/catch.hpp>

#include <map>
#include <string>

using soar::sync::PassOutcome;
using soar::test::listOf;
using soar::test::seeded;
using soar::test::SyncHarness;
using soar::test::workbookOf;

namespace {

Poco::JSON::Object::Ptr copyOf(const soar::emulator::Emulator& target, std::int64_t source_id) {
    const auto response =
        target.direct("GET",
                      "/rest/container?page_size=0&_filter_source_data_identifier=%22soar-"
                      "sync:src:" +
                          std::to_string(source_id) + "%22");
    REQUIRE(response.status == 200);
    const auto data = Poco::JSON::Parser()
                          .parse(response.body)
                          .extract<Poco::JSON::Object::Ptr>()
                          ->getArray("data");
    REQUIRE(data->size() == 1);
    return data->getObject(0);
}

}  // namespace

TEST_CASE(
    "Complete copies: owners by username, container fields, custom fields the target "
    "lacks",
    "[integration][owners]") {
    auto source_options = seeded(0, 0, 0);
    source_options.users = {"alice", "bob"};
    auto target_options = seeded(0, 0, 0);
    target_options.users = {"zed", "alice"};  // alice has another id there; no bob
    target_options.custom_fields = {{"region", false}};
    auto route = soar::test::testRoute();
    route.owners_by_name = true;
    SyncHarness h(source_options, target_options, route);
    const auto alice_source = h.source.addUser("alice");
    const auto bob_source = h.source.addUser("bob");
    const auto alice_target = h.target.addUser("alice");
    REQUIRE(alice_source != alice_target);

    const auto a = h.source.createContainer(
        R"({"name": "a", "label": "events", "owner_id": )" + std::to_string(alice_source) +
        R"(, "sensitivity": "red", "due_time": "2026-03-01T00:00:00.000000Z",
            "kill_chain": "Delivery", "custom_fields": {"region": "emea"}})");
    const auto b = h.source.createContainer(R"({"name": "b", "label": "events", "owner_id": )" +
                                            std::to_string(bob_source) + "}");
    const auto c = h.source.createContainer(
        R"({"name": "c", "label": "events", "custom_fields": {"ticket": "T-1"}})");

    const auto first = h.pass();
    CHECK(first.outcome == PassOutcome::RecordErrors);
    CHECK(first.counts.owners_unmatched == 1);
    const auto copy_a = copyOf(h.target, a);
    CHECK(copy_a->getValue<std::int64_t>("owner") == alice_target);
    CHECK(copy_a->getValue<std::string>("sensitivity") == "red");
    CHECK(copy_a->getValue<std::string>("kill_chain") == "Delivery");
    CHECK(copy_a->getValue<std::string>("due_time").rfind("2026-03-01T00:00:00", 0) == 0);
    CHECK(copy_a->getObject("custom_fields")->getValue<std::string>("region") == "emea");
    CHECK(copyOf(h.target, b)->isNull("owner"));
    const auto letters = h.store->deadLetters({route.name, "dst"});
    REQUIRE(letters.size() == 1);
    CHECK(letters[0].source_id == c);
    CHECK(letters[0].message == "Invalid custom field: 'ticket'");

    // Lost state file: the same two copies, nothing new.
    h.reopenStore(true);
    const auto again = h.pass();
    CHECK(again.counts.containers_created == 0);
    CHECK(h.target.containerCount() == 2);
    CHECK(copyOf(h.target, a)->getValue<std::int64_t>("owner") == alice_target);
}

TEST_CASE(
    "Complete copies: a custom field the target requires and the source lacks dead-letters "
    "the container with the target's message",
    "[integration][owners]") {
    auto target_options = seeded(0, 0, 0);
    target_options.custom_fields = {{"region", true}};
    SyncHarness h(seeded(0, 0, 0), target_options, soar::test::testRoute());
    const auto without = h.source.createContainer(R"({"name": "n", "label": "events"})");
    const auto with = h.source.createContainer(
        R"({"name": "w", "label": "events", "custom_fields": {"region": "apac"}})");
    CHECK(h.pass().outcome == PassOutcome::RecordErrors);
    const auto letters = h.store->deadLetters({"src-to-dst", "dst"});
    REQUIRE(letters.size() == 1);
    CHECK(letters[0].source_id == without);
    CHECK(letters[0].message == "Missing required custom field: 'region'");
    CHECK(copyOf(h.target, with)->getObject("custom_fields")->getValue<std::string>("region") ==
          "apac");
}

namespace {

using soar::emulator::WorkbookTemplateSpec;

WorkbookTemplateSpec phishingTemplate() {
    return {"Phishing",
            {{"Triage", {{"Review", "read the mail", false}, {"Contain", "purge it", true}}},
             {"Recover", {{"Restore", "", false}}}},
            "",
            false};
}

void setStatus(soar::emulator::Emulator& e, std::int64_t task, int status,
               const std::string& extra = "") {
    const auto r = e.direct("POST", "/rest/workbook_task/" + std::to_string(task),
                            R"({"status": )" + std::to_string(status) + extra + "}");
    INFO(r.body);
    REQUIRE(r.status == 200);
}

}  // namespace

TEST_CASE(
    "Complete copies: a case's workbook, with and without the template on the target, "
    "under both readings of the task status codes",
    "[integration][workbooks]") {
    const bool template_there = GENERATE(true, false);
    const std::string codes = GENERATE(std::string("021"), std::string("012"));
    DYNAMIC_SECTION("template on target " << template_there << ", codes " << codes) {
        // codes[0] not started, codes[1] in progress, codes[2] complete.
        const int in_progress = codes[1] - '0';
        const int complete = codes[2] - '0';
        auto source_options = seeded(0, 0, 0);
        source_options.users = {"dana"};
        source_options.task_status_codes = codes;
        source_options.workbook_templates = {phishingTemplate()};
        auto target_options = seeded(0, 0, 0);
        target_options.users = {"zed", "dana"};
        target_options.task_status_codes = codes;
        if (template_there) {
            target_options.workbook_templates = {{"Other", {{"X", {{"y", "", false}}}}, "", false},
                                                 phishingTemplate()};
        }
        auto route = soar::test::testRoute();
        route.workbooks = true;
        route.owners_by_name = true;
        SyncHarness h(source_options, target_options, route);
        const auto id = h.source.createContainer(
            R"({"name": "phish", "label": "events", "container_type": "case", "template_id": 1})");
        const auto tasks =
            listOf(h.source, "/rest/workbook_task?page_size=0&sort=id&_filter_container_id=" +
                                 std::to_string(id));
        REQUIRE(tasks->size() == 3);
        const auto review = tasks->getObject(0)->getValue<std::int64_t>("id");
        const auto contain = tasks->getObject(1)->getValue<std::int64_t>("id");
        setStatus(h.source, review, in_progress);
        setStatus(h.source, review, complete);
        setStatus(h.source, contain, in_progress, R"(, "owner_id": 3)");
        REQUIRE(
            h.source
                .direct("POST", "/rest/note",
                        R"({"task_id": )" + std::to_string(review) +
                            R"(, "title": "t", "content": "phish confirmed", "note_type": "task"})")
                .status == 200);

        const auto first = h.pass();
        CHECK(first.outcome == PassOutcome::Ok);
        CHECK(first.counts.workbooks_copied == 1);
        const auto copy = copyOf(h.target, id)->getValue<std::int64_t>("id");
        const auto expected = workbookOf(h.source, id);
        CHECK(expected.at("Triage/Review") == std::to_string(complete) + " - 1");
        CHECK(workbookOf(h.target, copy) == expected);
        CHECK(h.target.workbookPhaseCount() == 2U);

        // The source completes a task that needs a closing note; found by the tasks stream.
        setStatus(h.source, contain, complete, R"(, "note": "purged from 40 mailboxes")");
        const auto later = h.pass();
        CHECK(later.counts.tasks_written == 1);
        CHECK(workbookOf(h.target, copy).at("Triage/Contain").rfind(std::to_string(complete), 0) ==
              0);

        // Idle, then a lost state file: nothing is written, nothing made twice.
        const auto phases = h.target.workbookPhaseCount();
        const auto task_count = h.target.workbookTaskCount();
        const auto notes = h.target.noteCount();
        const auto idle = h.pass();
        CHECK(idle.counts.tasks_written + idle.counts.workbooks_copied +
                  idle.counts.notes_created ==
              0);
        h.reopenStore(true);
        (void)h.pass();
        CHECK(h.target.workbookPhaseCount() == phases);
        CHECK(h.target.workbookTaskCount() == task_count);
        CHECK(h.target.noteCount() == notes);
    }
}
