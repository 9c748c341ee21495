// Two-way routes between two emulators over HTTP (design.md §5, "Two-way without loops"):
// what an analyst changes on a copy (status, severity, tags, a note, a comment) reaches the
// source through the real REST paths (so do a workbook task's status and owner), a status the
// source lacks travels by its type, and once
// the edits stop, passes change nothing on either instance. Playbook runs started on the target
// end in one report on the source container (report_back).

#include "SyncHarness.h"
#include "support/TempDir.h"

#include <Poco/JSON/Parser.h>
#include <Poco/Process.h>
#include <catch2/catch.hpp>

#include <chrono>
#include <map>
#include <string>
#include <vector>

using soar::sync::PassOutcome;
using soar::test::listOf;
using soar::test::seeded;
using soar::test::SyncHarness;
using soar::test::workbookOf;

namespace {

Poco::JSON::Object::Ptr get(const soar::emulator::Emulator& emulator, const std::string& path) {
    const auto response = emulator.direct("GET", path);
    REQUIRE(response.status == 200);
    return Poco::JSON::Parser().parse(response.body).extract<Poco::JSON::Object::Ptr>();
}

std::int64_t copyOf(const soar::emulator::Emulator& target, std::int64_t source_id) {
    const auto data = get(target,
                          "/rest/container?page_size=0&_filter_source_data_identifier=%22soar-"
                          "sync:src:" +
                              std::to_string(source_id) + "%22")
                          ->getArray("data");
    REQUIRE(data->size() == 1);
    return data->getObject(0)->getValue<std::int64_t>("id");
}

/// Every container's `version` and the note and comment counts: what any write moves.
std::map<std::string, std::int64_t> writesSeen(const soar::emulator::Emulator& emulator) {
    std::map<std::string, std::int64_t> out;
    const auto data = get(emulator, "/rest/container?page_size=0")->getArray("data");
    for (std::size_t i = 0; i < data->size(); ++i) {
        const auto c = data->getObject(static_cast<unsigned>(i));
        out["container " + c->get("id").toString()] = c->getValue<std::int64_t>("version");
    }
    out["notes"] = static_cast<std::int64_t>(emulator.noteCount());
    out["comments"] = static_cast<std::int64_t>(emulator.commentCount());
    return out;
}

}  // namespace

TEST_CASE("Two-way over HTTP: changes on a copy reach the source, and nothing echoes",
          "[integration][mirror]") {
    auto target_options = seeded(0, 0, 0);
    target_options.statuses = {{"escalated", "open"}};
    auto route = soar::test::testRoute();
    route.notes = true;
    route.mirror_back.status = true;
    route.mirror_back.severity = true;
    route.mirror_back.tags = true;
    route.mirror_back.notes = true;
    route.mirror_back.comments = true;
    route.add_tags = {"synced"};
    SyncHarness h(seeded(0, 0, 0), target_options, route);
    const auto id = h.source.createContainer(R"({"name": "phish", "label": "events"})");
    REQUIRE(h.pass().counts.containers_created == 1);
    REQUIRE(h.pass().outcome == PassOutcome::Ok);
    const auto copy = copyOf(h.target, id);

    Poco::JSON::Object edit;
    edit.set("status", "escalated");  // a status the source does not have: of type open
    edit.set("severity", "high");
    Poco::JSON::Array::Ptr tags = new Poco::JSON::Array;
    tags->add("synced");
    tags->add("vip");
    edit.set("tags", tags);
    h.target.editContainer(copy, edit);
    (void)h.target.addNote(copy, "DR", "seen on the DR side");
    (void)h.target.addComment(copy, "on it");

    const auto back = h.pass();
    CHECK(back.outcome == PassOutcome::Ok);
    CHECK(back.counts.fields_mirrored == 3);
    CHECK(back.counts.notes_mirrored == 2);
    const auto source = get(h.source, "/rest/container/" + std::to_string(id));
    CHECK(source->getValue<std::string>("status") == "open");
    CHECK(source->getValue<std::string>("severity") == "high");
    const auto source_tags = source->getArray("tags");
    REQUIRE(source_tags->size() == 1);
    CHECK(source_tags->get(0).toString() == "vip");
    const auto notes = get(h.source, "/rest/container/" + std::to_string(id) + "/notes?page_size=0")
                           ->getArray("data");
    REQUIRE(notes->size() == 1);
    CHECK_THAT(notes->getObject(0)->getValue<std::string>("content"),
               Catch::StartsWith("seen on the DR side") && Catch::Contains("[soar-sync:dst:note:"));
    CHECK(h.source.commentCount() == 1);
    // The copy keeps its own status: escalated is already of the source's meaning.
    CHECK(
        get(h.target, "/rest/container/" + std::to_string(copy))->getValue<std::string>("status") ==
        "escalated");

    // The edits stop: two passes change nothing anywhere.
    const auto source_before = writesSeen(h.source);
    const auto target_before = writesSeen(h.target);
    REQUIRE(h.pass().outcome == PassOutcome::Ok);
    REQUIRE(h.pass().outcome == PassOutcome::Ok);
    CHECK(writesSeen(h.source) == source_before);
    CHECK(writesSeen(h.target) == target_before);

    // Closing on the source closes the copy.
    h.source.editContainer(id, R"({"status": "closed"})");
    REQUIRE(h.pass().outcome == PassOutcome::Ok);
    CHECK(
        get(h.target, "/rest/container/" + std::to_string(copy))->getValue<std::string>("status") ==
        "closed");
}

TEST_CASE("Two-way over HTTP: a workbook task's status and owner set on a copy reach the source",
          "[integration][mirror]") {
    const soar::emulator::WorkbookTemplateSpec phishing{
        "Phishing", {{"Triage", {{"Review", "", false}, {"Contain", "", false}}}}, "", false};
    auto source_options = seeded(0, 0, 0);
    source_options.users = {"dana", "lee"};
    source_options.workbook_templates = {phishing};
    auto target_options = seeded(0, 0, 0);
    target_options.users = {"zed", "lee", "dana"};  // other ids than on the source
    target_options.workbook_templates = {phishing};
    auto route = soar::test::testRoute();
    route.workbooks = true;
    route.owners_by_name = true;
    route.mirror_back.tasks = true;
    route.mirror_back.owner = true;
    SyncHarness h(source_options, target_options, route);
    const auto id = h.source.createContainer(
        R"({"name": "phish", "label": "events", "container_type": "case", "template_id": 1})");
    REQUIRE(h.pass().counts.containers_created == 1);
    REQUIRE(h.pass().outcome == PassOutcome::Ok);
    const auto copy = copyOf(h.target, id);
    const auto copy_tasks =
        listOf(h.target, "/rest/workbook_task?page_size=0&sort=id&_filter_container_id=" +
                             std::to_string(copy));
    REQUIRE(copy_tasks->size() == 2);
    const auto review = copy_tasks->getObject(0)->getValue<std::int64_t>("id");
    const auto lee = listOf(h.target, "/rest/ph_user?_filter_username=%22lee%22")
                         ->getObject(0)
                         ->getValue<std::int64_t>("id");
    const auto r = h.target.direct("POST", "/rest/workbook_task/" + std::to_string(review),
                                   R"({"status": 2, "owner_id": )" + std::to_string(lee) + "}");
    REQUIRE(r.status == 200);

    const auto back = h.pass();
    CHECK(back.outcome == PassOutcome::Ok);
    CHECK(back.counts.fields_mirrored == 2);
    const std::map<std::string, std::string> expected{{"Triage/Review", "2 lee 0"},
                                                      {"Triage/Contain", "0 - 0"}};
    CHECK(workbookOf(h.source, id) == expected);
    CHECK(workbookOf(h.target, copy) == expected);
    // Nothing echoes: two more passes write nothing on either side.
    const auto source_before = listOf(h.source, "/rest/workbook_task?page_size=0");
    const auto target_before = listOf(h.target, "/rest/workbook_task?page_size=0");
    REQUIRE(h.pass().outcome == PassOutcome::Ok);
    REQUIRE(h.pass().outcome == PassOutcome::Ok);
    const auto times = [](const Poco::JSON::Array::Ptr& tasks) {
        std::vector<std::string> out;
        for (std::size_t i = 0; i < tasks->size(); ++i) {
            out.push_back(
                tasks->getObject(static_cast<unsigned>(i))->get("modified_time").toString());
        }
        return out;
    };
    CHECK(times(listOf(h.source, "/rest/workbook_task?page_size=0")) == times(source_before));
    CHECK(times(listOf(h.target, "/rest/workbook_task?page_size=0")) == times(target_before));
}

TEST_CASE("Report back over HTTP: each playbook run ends in one note on the source container",
          "[integration][mirror][report]") {
    soar::emulator::EmulatorOptions target_options;
    target_options.playbooks = {{"local", "triage", "failed", 0.2}};
    auto route = soar::test::testRoute();
    route.notes = true;
    route.report_back = soar::sync::ReportBack::Note;
    SyncHarness h(seeded(41, 3), target_options, route);
    soar::sync::PlaybookConfig playbook;
    playbook.playbook = "local/triage";
    playbook.poll_min = std::chrono::milliseconds(50);
    playbook.poll_max = std::chrono::milliseconds(200);
    h.usePlaybook(playbook);
    REQUIRE(h.pass().outcome == PassOutcome::Ok);
    REQUIRE(h.playbooks->waitAll(std::chrono::seconds(10)) == 0);
    const auto reported = h.pass();
    CHECK(reported.outcome == PassOutcome::Ok);
    CHECK(reported.counts.results_reported == 3);
    CHECK(h.pass().counts.results_reported == 0);

    const auto containers = get(h.source, "/rest/container?page_size=0")->getArray("data");
    REQUIRE(containers->size() == 3);
    for (std::size_t i = 0; i < containers->size(); ++i) {
        const auto id =
            containers->getObject(static_cast<unsigned>(i))->getValue<std::int64_t>("id");
        INFO("source container " << id);
        const auto notes =
            get(h.source, "/rest/container/" + std::to_string(id) + "/notes?page_size=0")
                ->getArray("data");
        int reports = 0;
        for (std::size_t n = 0; n < notes->size(); ++n) {
            const auto content =
                notes->getObject(static_cast<unsigned>(n))->getValue<std::string>("content");
            if (content.find("[soar-sync:result:dst:") == std::string::npos) continue;
            ++reports;
            CHECK_THAT(content, Catch::Contains("Playbook **local/triage** on **dst**") &&
                                    Catch::Contains("**failed**") &&
                                    Catch::Contains("geolocate ip"));
        }
        CHECK(reports == 1);
        // Never copied forward.
        const auto copy = copyOf(h.target, id);
        const auto copied =
            get(h.target, "/rest/container/" + std::to_string(copy) + "/notes?page_size=0")
                ->getArray("data");
        for (std::size_t n = 0; n < copied->size(); ++n) {
            CHECK_THAT(
                copied->getObject(static_cast<unsigned>(n))->getValue<std::string>("content"),
                !Catch::Contains("[soar-sync:result:"));
        }
    }
}

TEST_CASE("Report back: SIGKILL around a report still leaves exactly one per run",
          "[integration][report][crash]") {
    const std::string crash_at =
        GENERATE(std::string("after-report-intent"), std::string("after-report-write"));
    INFO("crash at " << crash_at);
    soar::emulator::Emulator source(seeded(47, 4));
    soar::emulator::EmulatorOptions target_options;
    target_options.playbooks = {{"local", "triage", "success", 0.1}};
    soar::emulator::Emulator target(target_options);
    soar::test::TempDir dir;
    const auto state = (dir.path() / "state.db").string();
    Poco::Process::Env env{{"SOAR_SYNC_TEST_PLAYBOOK", "local/triage"},
                           {"SOAR_SYNC_TEST_REPORT", "note"},
                           {"SOAR_SYNC_TEST_WAIT_RUNS", "10000"},
                           {"SOAR_SYNC_TEST_CRASH_AT", crash_at}};
    auto crashed =
        Poco::Process::launch(SOAR_ROUTE_RUNNER, {source.baseUrl(), target.baseUrl(), state, "1"},
                              nullptr, nullptr, nullptr, env);
    CHECK(crashed.wait() != 0);  // killed by its own SIGKILL at the first report
    env.erase("SOAR_SYNC_TEST_CRASH_AT");
    auto finish =
        Poco::Process::launch(SOAR_ROUTE_RUNNER, {source.baseUrl(), target.baseUrl(), state, "1"},
                              nullptr, nullptr, nullptr, env);
    REQUIRE(finish.wait() == 0);

    const auto containers = get(source, "/rest/container?page_size=0")->getArray("data");
    REQUIRE(containers->size() == 4);
    for (std::size_t i = 0; i < containers->size(); ++i) {
        const auto id =
            containers->getObject(static_cast<unsigned>(i))->getValue<std::int64_t>("id");
        INFO("source container " << id);
        const auto notes =
            get(source, "/rest/container/" + std::to_string(id) + "/notes?page_size=0")
                ->getArray("data");
        int reports = 0;
        for (std::size_t n = 0; n < notes->size(); ++n) {
            const auto content =
                notes->getObject(static_cast<unsigned>(n))->getValue<std::string>("content");
            if (content.find("[soar-sync:result:dst:") != std::string::npos) ++reports;
        }
        CHECK(reports == 1);
    }
}

TEST_CASE("Two-way over HTTP: an idle pass costs the same few requests whatever the size",
          "[integration][mirror]") {
    auto route = soar::test::testRoute();
    route.notes = true;
    route.workbooks = true;
    route.mirror_back.status = true;
    route.mirror_back.tags = true;
    route.mirror_back.notes = true;
    route.mirror_back.comments = true;
    route.mirror_back.tasks = true;
    std::vector<std::uint64_t> source_costs;
    std::vector<std::uint64_t> target_costs;
    for (const int containers : {5, 60}) {
        INFO(containers << " containers");
        SyncHarness h(seeded(48, containers, 2), seeded(0, 0, 0), route);
        REQUIRE(h.pass().outcome == PassOutcome::Ok);
        REQUIRE(h.pass().outcome == PassOutcome::Ok);
        const auto source_before = h.source.requestCount();
        const auto target_before = h.target.requestCount();
        const auto idle = h.pass();
        REQUIRE(idle.outcome == PassOutcome::Ok);
        CHECK(idle.counts.containers_updated + idle.counts.fields_mirrored +
                  idle.counts.notes_mirrored ==
              0);
        source_costs.push_back(h.source.requestCount() - source_before);
        target_costs.push_back(h.target.requestCount() - target_before);
    }
    CHECK(source_costs[0] == source_costs[1]);
    CHECK(target_costs[0] == target_costs[1]);
    // One list request per change stream: copies, notes, comments and tasks on the target.
    CHECK(target_costs[1] == 4);
}
