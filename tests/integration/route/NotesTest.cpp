#include "SyncHarness.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Process.h>
#include <catch2/catch.hpp>

#include <map>
#include <string>
#include <thread>

using soar::emulator::Emulator;
using soar::emulator::EmulatorOptions;
using soar::sync::PassOutcome;
using soar::test::seeded;
using soar::test::SyncHarness;

namespace {

soar::sync::RouteConfig notesRoute(bool notes = true) {
    auto route = soar::test::testRoute();
    route.notes = notes;
    return route;
}

Poco::JSON::Array::Ptr list(const Emulator& emulator, const std::string& type) {
    const auto response = emulator.direct("GET", "/rest/" + type + "?page_size=0&sort=id");
    REQUIRE(response.status == 200);
    return Poco::JSON::Parser()
        .parse(response.body)
        .extract<Poco::JSON::Object::Ptr>()
        ->getArray("data");
}

std::int64_t addNote(Emulator& source, std::int64_t container, const std::string& title) {
    const auto response =
        source.direct("POST", "/rest/note",
                      R"({"container_id": )" + std::to_string(container) + R"(, "title": ")" +
                          title + R"(", "content": "**findings** for )" + title +
                          R"(", "note_type": "general", "note_format": "markdown"})");
    REQUIRE(response.status == 200);
    return Poco::JSON::Parser()
        .parse(response.body)
        .extract<Poco::JSON::Object::Ptr>()
        ->getValue<std::int64_t>("id");
}

void addComment(Emulator& source, std::int64_t container, const std::string& text) {
    REQUIRE(source
                .direct("POST", "/rest/container_comment",
                        R"({"container_id": )" + std::to_string(container) + R"(, "comment": ")" +
                            text + R"("})")
                .status == 200);
}

/// How many copies of each source note (or comment) the target holds, by marker.
std::map<std::int64_t, int> copiesOf(const Emulator& target, bool comment) {
    std::map<std::int64_t, int> out;
    const auto records = list(target, comment ? "container_comment" : "note");
    const std::string marker = comment ? "[soar-sync:src:comment:" : "[soar-sync:src:note:";
    for (std::size_t i = 0; i < records->size(); ++i) {
        const auto text = records->getObject(static_cast<unsigned>(i))
                              ->getValue<std::string>(comment ? "comment" : "content");
        const auto at = text.rfind(marker);
        if (at != std::string::npos) ++out[std::stoll(text.substr(at + marker.size()))];
    }
    return out;
}

/// Every source note and comment has exactly one copy on the target.
void requireNotesMirrored(const Emulator& source, const Emulator& target) {
    for (const bool comment : {false, true}) {
        const auto originals = list(source, comment ? "container_comment" : "note");
        const auto copies = copiesOf(target, comment);
        CHECK(copies.size() == originals->size());
        for (std::size_t i = 0; i < originals->size(); ++i) {
            const auto id =
                originals->getObject(static_cast<unsigned>(i))->getValue<std::int64_t>("id");
            INFO((comment ? "comment " : "note ") << id);
            const auto found = copies.find(id);
            CHECK((found == copies.end() ? 0 : found->second) == 1);
        }
    }
}

}  // namespace

TEST_CASE("Notes and comments travel with new containers, once, with author and time",
          "[integration][notes]") {
    SyncHarness h(seeded(51, 10), EmulatorOptions{}, notesRoute());
    addNote(h.source, 1, "triage");
    addNote(h.source, 1, "containment");
    addComment(h.source, 1, "looks like phishing");
    addComment(h.source, 2, "escalated to tier 2");
    const auto first = h.pass();
    CHECK(first.outcome == PassOutcome::Ok);
    CHECK(first.counts.notes_created == 2);
    CHECK(first.counts.comments_created == 2);
    requireNotesMirrored(h.source, h.target);

    const auto notes = list(h.target, "note");
    const auto content = notes->getObject(0)->getValue<std::string>("content");
    CHECK_THAT(content, Catch::StartsWith("**findings** for triage"));
    CHECK_THAT(content, Catch::Contains("copied from src note"));
    CHECK_THAT(content, Catch::Contains(" by "));
    CHECK_THAT(content, Catch::Contains(" at 20"));  // the source's create_time

    // An idle pass copies nothing again: one request per stream, none to the target.
    const auto source_requests = h.source.requestCount();
    const auto target_requests = h.target.requestCount();
    const auto idle = h.pass();
    CHECK(idle.counts.notes_created + idle.counts.comments_created == 0);
    CHECK(h.target.requestCount() == target_requests);
    CHECK(h.source.requestCount() - source_requests == 5);  // three container streams + two
}

TEST_CASE("Notes and comments added to unchanged containers, and edited notes, follow",
          "[integration][notes]") {
    SyncHarness h(seeded(52, 30), EmulatorOptions{}, notesRoute());
    REQUIRE(h.pass().outcome == PassOutcome::Ok);
    const auto note = addNote(h.source, 7, "late note");
    addComment(h.source, 9, "late comment");
    const auto second = h.pass();
    CHECK(second.outcome == PassOutcome::Ok);
    CHECK(second.counts.containers_created + second.counts.containers_updated == 0);
    CHECK(second.counts.notes_created == 1);
    CHECK(second.counts.comments_created == 1);
    requireNotesMirrored(h.source, h.target);

    REQUIRE(h.source
                .direct("POST", "/rest/note/" + std::to_string(note),
                        R"({"content": "revised findings"})")
                .status == 200);
    const auto third = h.pass();
    CHECK(third.counts.notes_updated == 1);
    CHECK(third.counts.notes_created == 0);
    requireNotesMirrored(h.source, h.target);
    const auto copies = list(h.target, "note");
    REQUIRE(copies->size() == 1);
    CHECK_THAT(copies->getObject(0)->getValue<std::string>("content"),
               Catch::StartsWith("revised findings"));
}

TEST_CASE("Losing the state file duplicates no note or comment", "[integration][notes]") {
    SyncHarness h(seeded(53, 8), EmulatorOptions{}, notesRoute());
    for (std::int64_t c = 1; c <= 4; ++c) {
        addNote(h.source, c, "note " + std::to_string(c));
        addComment(h.source, c, "comment " + std::to_string(c));
    }
    REQUIRE(h.pass().outcome == PassOutcome::Ok);
    h.reopenStore(true);
    const auto again = h.pass();
    CHECK(again.outcome == PassOutcome::Ok);
    CHECK(again.counts.notes_created + again.counts.comments_created == 0);
    requireNotesMirrored(h.source, h.target);
}

TEST_CASE("A route with notes = false copies no note or comment", "[integration][notes]") {
    SyncHarness h(seeded(54, 5), EmulatorOptions{}, notesRoute(false));
    addNote(h.source, 1, "private");
    addComment(h.source, 1, "private too");
    REQUIRE(h.pass().outcome == PassOutcome::Ok);
    CHECK(h.target.containerCount() == 5);
    CHECK(h.target.noteCount() == 0);
    CHECK(h.target.commentCount() == 0);
}

TEST_CASE("SIGKILL mid-pass with notes leaves one copy of each", "[integration][notes][crash]") {
    auto source_options = seeded(55, 120);
    Emulator source(source_options);
    EmulatorOptions target_options;
    target_options.latency_ms = 10;
    Emulator target(target_options);
    for (std::int64_t c = 1; c <= 120; c += 2) {
        addNote(source, c, "note " + std::to_string(c));
        addComment(source, c, "comment " + std::to_string(c));
    }
    soar::test::TempDir dir;
    const auto state = (dir.path() / "state.db").string();
    const std::vector<std::string> args{source.baseUrl(), target.baseUrl(), state, "1"};
    const Poco::Process::Env env{{"SOAR_SYNC_TEST_NOTES", "1"}};
    for (const int delay_ms : {250, 400, 300}) {
        auto handle =
            Poco::Process::launch(SOAR_ROUTE_RUNNER, args, nullptr, nullptr, nullptr, env);
        std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
        Poco::Process::kill(handle);
        handle.wait();
    }
    auto finish =
        Poco::Process::launch(SOAR_ROUTE_RUNNER, {source.baseUrl(), target.baseUrl(), state, "2"},
                              nullptr, nullptr, nullptr, env);
    REQUIRE(finish.wait() == 0);
    CHECK(target.containerCount() == 120);
    requireNotesMirrored(source, target);
}
