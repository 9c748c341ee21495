// Playbook results reported back to the source (design.md §5, "Results travel back"): every
// run the route started ends in exactly one note (or comment) on the source container, with
// its actions; across a crash between the intent and the outcome it is not written twice;
// such notes are never copied to any target. On the fakes and a ManualClock.

#include "EngineFixture.h"
#include "soar/client/Errors.h"
#include "soar/sync/PlaybookTracker.h"

#include <catch2/catch.hpp>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

namespace {

using soar::state::RecordKind;
using soar::state::ReportState;
using soar::sync::PassOutcome;
using soar::sync::PlaybookTracker;
using soar::sync::ReportBack;
using soar::test::EngineFixture;
using soar::test::sourceTime;
using namespace std::chrono_literals;

struct ReportFixture : EngineFixture {
    std::int64_t playbook = target.addPlaybook("local/triage");
    std::unique_ptr<PlaybookTracker> playbooks;

    ReportFixture() {
        route.artifacts = false;
        route.report_back = ReportBack::Note;
        options.source_side = &source;
        soar::sync::PlaybookConfig c;
        c.playbook = "local/triage";
        c.poll_min = 1s;
        c.poll_max = 1s;
        playbooks = std::make_unique<PlaybookTracker>(c, key, target, store, clock);
        options.playbooks = playbooks.get();
    }
    std::vector<std::string> sourceNotes(RecordKind kind, std::int64_t container) {
        std::vector<std::string> out;
        source.forEachNote(kind, container,
                           [&](std::int64_t, const std::string& text) { out.push_back(text); });
        return out;
    }
    /// Ends the only run with `status`, and lets the next poll come due.
    void endRun(const std::string& status) {
        REQUIRE(target.runs().size() == 1);
        target.setRunStatus(target.runs()[0].id, status, "playbook finished");
        clock->advance(5s);
    }
};

}  // namespace

TEST_CASE("Report back: an ended run becomes one note on the source container, with its actions",
          "[sync][report]") {
    ReportFixture f;
    const auto id = f.source.addContainer(sourceTime(0));
    REQUIRE(f.pass().outcome == PassOutcome::Ok);
    CHECK(f.sourceNotes(RecordKind::Note, id).empty());  // still running: nothing yet
    soar::sync::RunReport report;
    report.start_time = "2026-01-01T00:00:01.000000Z";
    report.end_time = "2026-01-01T00:00:09.000000Z";
    report.actions.push_back(
        {"geolocate_ip_1", "geolocate ip", "MaxMind", "success", "1 action succeeded", 3, 3});
    report.actions.push_back(
        {"whois_ip_1", "whois ip", "WHOIS RDAP", "failed", "host unreachable\nretry later", 1, 0});
    f.target.setRunReport(f.target.runs()[0].id, report);
    f.endRun("failed");

    const auto result = f.pass();
    CHECK(result.counts.results_reported == 1);
    const auto notes = f.sourceNotes(RecordKind::Note, id);
    REQUIRE(notes.size() == 1);
    const auto& text = notes[0];
    CHECK_THAT(text, Catch::Contains("Playbook **local/triage** on **dst**"));
    CHECK_THAT(text, Catch::Contains("**failed**"));
    CHECK_THAT(text, Catch::Contains("started: 2026-01-01T00:00:01.000000Z"));
    CHECK_THAT(text, Catch::Contains("ended: 2026-01-01T00:00:09.000000Z"));
    CHECK_THAT(text,
               Catch::Contains("| geolocate ip | MaxMind | success | 1 action succeeded | 3/3 |"));
    CHECK_THAT(
        text,
        Catch::Contains("| whois ip | WHOIS RDAP | failed | host unreachable retry later | 0/1 |"));
    CHECK_THAT(text, Catch::Contains(
                         "[soar-sync:result:dst:" + std::to_string(f.target.runs()[0].id) + "]"));

    // Once: later passes write nothing more.
    f.clock->advance(5s);
    CHECK(f.pass().counts.results_reported == 0);
    CHECK(f.sourceNotes(RecordKind::Note, id).size() == 1);
}

TEST_CASE("Report back: a comment when the route says so, and never before the run ends",
          "[sync][report]") {
    ReportFixture f;
    f.route.report_back = ReportBack::Comment;
    const auto id = f.source.addContainer(sourceTime(0));
    (void)f.pass();
    f.clock->advance(5s);
    (void)f.pass();
    CHECK(f.sourceNotes(RecordKind::Comment, id).empty());
    f.endRun("success");
    (void)f.pass();
    const auto comments = f.sourceNotes(RecordKind::Comment, id);
    REQUIRE(comments.size() == 1);
    CHECK_THAT(comments[0], Catch::Contains("**success**") && Catch::Contains("No actions ran."));
    CHECK(f.sourceNotes(RecordKind::Note, id).empty());
}

TEST_CASE("Report back: a crash between the report's intent and its outcome writes it once",
          "[sync][report]") {
    ReportFixture f;
    const auto id = f.source.addContainer(sourceTime(0));
    (void)f.pass();
    f.endRun("success");
    // The pass that sees the end writes the note; a crash right after it would leave the
    // report's intent stored (Sending) without its outcome.
    (void)f.pass();
    REQUIRE(f.sourceNotes(RecordKind::Note, id).size() == 1);
    const auto run = f.store.playbookRun(f.key, "create:" + std::to_string(id)).value();
    REQUIRE(f.store.setPlaybookReport(run.id, ReportState::Sending));

    SECTION("the note reached the source: found by its marker, not written again") {
        const auto again = f.pass();
        CHECK(again.counts.results_reported == 0);
        CHECK(f.sourceNotes(RecordKind::Note, id).size() == 1);
    }
    SECTION("the note did not reach the source: written now") {
        // Its text is gone (as if the request never arrived).
        f.source.removeContainer(id);
        const auto fresh = f.source.addContainer(sourceTime(0), nullptr, id);
        REQUIRE(fresh == id);
        (void)f.pass();
        CHECK(f.sourceNotes(RecordKind::Note, id).size() == 1);
    }
    CHECK(f.store.unreportedPlaybookRuns(f.key).empty());
}

TEST_CASE("Report back: the report is never copied to a target", "[sync][report]") {
    ReportFixture f;
    f.route.notes = true;
    const auto id = f.source.addContainer(sourceTime(0));
    (void)f.pass();
    f.endRun("success");
    (void)f.pass();
    REQUIRE(f.sourceNotes(RecordKind::Note, id).size() == 1);
    f.clock->advance(5s);
    (void)f.pass();
    (void)f.pass();
    const auto copy = f.target.containerBySdi(f.sdi(id)).value();
    CHECK(f.target.notesIn(RecordKind::Note, copy).empty());
}

TEST_CASE("Report back: a source that refuses the report costs that report only",
          "[sync][report]") {
    ReportFixture f;
    (void)f.source.addContainer(sourceTime(0));
    (void)f.pass();
    f.endRun("success");
    f.source.failNext(soar::test::FakeSource::Call::AddNote,
                      std::make_exception_ptr(soar::sync::RecordError(
                          "[instance.src] POST note: container gone", 404, "container gone")));
    const auto result = f.pass();
    CHECK(result.outcome == PassOutcome::Ok);
    CHECK(result.counts.results_reported == 0);
    CHECK(f.store.unreportedPlaybookRuns(f.key).empty());
    CHECK_THAT(f.logs.all(),
               Catch::Contains("could not be reported") && Catch::Contains("container gone"));
}
