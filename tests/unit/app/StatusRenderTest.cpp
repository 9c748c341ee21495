#include "MetricsTestUtil.h"
#include "soar/app/StatusRender.h"
#include "soar/app/StatusServer.h"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <catch2/catch.hpp>

namespace {

soar::app::StatusSnapshot sample() {
    using namespace soar;
    app::StatusSnapshot s;
    s.version = "0.1.0";
    s.started_at = "2024-01-01T00:00:00.000000Z";
    s.now = "2024-01-01T00:01:00.000000Z";
    s.live = true;
    app::RouteView route;
    route.name = "hq-to-dr";
    route.source = "hq";
    app::TargetView ok;
    ok.target = "dr";
    ok.stored.cursors.push_back(
        {state::Stream::ContainersCreated, "2024-01-01T00:00:59.000000Z", 12});
    ok.stored.last_pass =
        state::PassRecord{"2024-01-01T00:00:30.000000Z", "2024-01-01T00:00:31.000000Z", "ok", {}};
    ok.stored.last_pass->counts.containers_created = 3;
    ok.stored.last_pass->counts.notes_created = 2;
    ok.stored.last_pass->counts.comments_created = 1;
    ok.stored.dead_letters = 2;
    ok.stored.playbook_runs[state::RunStatus::Success] = 4;
    ok.stored.playbook_runs[state::RunStatus::Running] = 1;
    ok.runtime.passes = 5;
    ok.runtime.totals.containers_created = 30;
    ok.runtime.totals.notes_updated = 7;
    ok.runtime.totals.files_copied = 4;
    ok.runtime.totals.file_bytes = 3'145'728;
    ok.runtime.duration_buckets = {1, 2, 5, 5, 5, 5, 5, 5};
    ok.runtime.duration_count = 5;
    ok.runtime.duration_sum = 2.5;
    ok.lag_seconds = 30.0;
    ok.last_good_pass = "2024-01-01T00:00:30.000000Z";
    app::TargetView bad;
    bad.target = "lab<script>";
    bad.stored.health.last_error = "[instance.lab] token_env: refused <b>\"x\"</b>";
    bad.stored.health.failing_since = "2024-01-01T00:00:10.000000Z";
    bad.runtime.errors["failing"] = 3;
    route.targets = {ok, bad};
    s.routes.push_back(route);
    sync::ClientStats stats;
    stats.by_status[200] = 10;
    stats.by_status[0] = 1;
    stats.errors["auth"] = 2;
    s.clients["hq"] = stats;
    return s;
}

}  // namespace

TEST_CASE("/status JSON carries cursors, lag, last pass, errors, dead letters and runs",
          "[app][status]") {
    const auto json = soar::app::renderJson(sample());
    const auto root = Poco::JSON::Parser().parse(json).extract<Poco::JSON::Object::Ptr>();
    CHECK(root->getValue<std::string>("version") == "0.1.0");
    const auto target = root->getArray("routes")->getObject(0)->getArray("targets")->getObject(0);
    CHECK(target->getObject("cursors")->getObject("containers_created")->getValue<int>("last_id") ==
          12);
    CHECK(target->getValue<double>("lag_seconds") == 30.0);
    CHECK(target->getObject("last_pass")->getValue<std::string>("outcome") == "ok");
    const auto last = target->getObject("last_pass");
    CHECK(last->getObject("notes")->getValue<int>("created") == 2);
    CHECK(last->getObject("comments")->getValue<int>("created") == 1);
    CHECK(target->getValue<int>("dead_letters") == 2);
    CHECK(target->getObject("playbook_runs")->getValue<int>("success") == 4);
    const auto since = target->getObject("since_start")->getObject("files");
    CHECK(since->getValue<int>("copied") == 4);
    CHECK(since->getValue<int>("bytes") == 3'145'728);
}

TEST_CASE("a route that copies files says so in every view", "[app][status]") {
    auto s = sample();
    auto& route = s.routes[0];
    route.files = true;
    route.file_max_size = 24U << 20U;
    auto& t = route.targets[0];
    t.stored.mappings.files = 9;
    t.stored.last_pass->counts.files_copied = 2;
    t.stored.last_pass->counts.file_bytes = 1'572'864;

    const auto root =
        Poco::JSON::Parser().parse(soar::app::renderJson(s)).extract<Poco::JSON::Object::Ptr>();
    const auto json_route = root->getArray("routes")->getObject(0);
    CHECK(json_route->getObject("files")->getValue<bool>("enabled"));
    CHECK(json_route->getObject("files")->getValue<std::int64_t>("max_size") == 24 << 20);
    const auto target = json_route->getArray("targets")->getObject(0);
    CHECK(target->getObject("mappings")->getValue<int>("files") == 9);
    CHECK(target->getObject("last_pass")->getObject("files")->getValue<int>("copied") == 2);

    const auto html = soar::app::renderHtml(s);
    CHECK_THAT(html, Catch::Contains("files up to 24.0 MiB"));
    CHECK_THAT(html, Catch::Contains("9</td><td class=\"sub\">files"));
    CHECK_THAT(html, Catch::Contains("2 files (1.5 MiB) copied"));

    const auto text = soar::app::renderTable(s);
    CHECK_THAT(text, Catch::Contains("files: 9 on dr, up to 25165824 bytes each; the last pass "
                                     "copied 2 (1572864 bytes)"));

    const auto metrics = soar::app::renderMetrics(s);
    CHECK_THAT(metrics, Catch::Contains("soar_sync_files_copied_total{route=\"hq-to-dr\",target="
                                        "\"dr\"} 4"));
    CHECK_THAT(metrics, Catch::Contains("soar_sync_file_bytes_total{route=\"hq-to-dr\",target="
                                        "\"dr\"} 3145728"));

    // Owners the target lacks are counted and said.
    t.stored.last_pass->counts.owners_unmatched = 3;
    t.runtime.totals.owners_unmatched = 5;
    t.runtime.totals.tasks_written = 6;
    CHECK_THAT(soar::app::renderTable(s), Catch::Contains("3 copies of the last pass left "
                                                          "unassigned: dr lacks their owners'"));
    CHECK_THAT(soar::app::renderHtml(s), Catch::Contains("3 copies without their owner"));
    const auto more = soar::app::renderMetrics(s);
    CHECK_THAT(more, Catch::Contains("soar_sync_owners_unmatched_total{route=\"hq-to-dr\",target="
                                     "\"dr\"} 5"));
    CHECK_THAT(more, Catch::Contains("soar_sync_tasks_written_total{route=\"hq-to-dr\",target="
                                     "\"dr\"} 6"));

    // Workbooks and owners by name show on the route and its targets.
    route.workbooks = true;
    route.owners_by_name = true;
    t.stored.mappings.tasks = 14;
    const auto with_cases = soar::app::renderHtml(s);
    CHECK_THAT(with_cases, Catch::Contains("case workbooks") && Catch::Contains("owners by name") &&
                               Catch::Contains("14</td><td class=\"sub\">tasks"));
    const auto cases_json = Poco::JSON::Parser()
                                .parse(soar::app::renderJson(s))
                                .extract<Poco::JSON::Object::Ptr>()
                                ->getArray("routes")
                                ->getObject(0);
    CHECK(cases_json->getValue<bool>("workbooks"));
    CHECK(cases_json->getValue<std::string>("owner_map") == "by_name");
    CHECK(cases_json->getArray("targets")
              ->getObject(0)
              ->getObject("mappings")
              ->getValue<int>("tasks") == 14);

    // A route without files shows no file rows on the page.
    route.files = false;
    CHECK(soar::app::renderHtml(s).find("class=\"sub\">files") == std::string::npos);
}

TEST_CASE("a two-way route says what flows back, and its mirrored figures, in every view",
          "[app][status]") {
    auto s = sample();
    auto& route = s.routes[0];

    // One-way: said as such, nothing flows back.
    CHECK_THAT(soar::app::renderTable(s), Catch::Contains("DIRECTION") &&
                                              Catch::Contains("one-way") &&
                                              !Catch::Contains("two-way"));
    CHECK_THAT(soar::app::renderHtml(s), Catch::Contains("<span class=\"direction\">one-way"));
    const auto one_way = Poco::JSON::Parser()
                             .parse(soar::app::renderJson(s))
                             .extract<Poco::JSON::Object::Ptr>()
                             ->getArray("routes")
                             ->getObject(0);
    CHECK(one_way->getValue<std::string>("direction") == "one-way");
    CHECK(one_way->getArray("mirror_back")->size() == 0);
    CHECK(one_way->isNull("conflict"));

    route.mirror_back = {"status", "severity", "tags", "notes"};
    route.conflict = "newest";
    auto& t = route.targets[0];
    auto& last = t.stored.last_pass->counts;
    last.fields_mirrored = 3;
    last.notes_mirrored = 2;
    last.conflicts_source_won = 1;
    last.conflicts_target_won = 4;
    t.runtime.totals.fields_mirrored = 11;
    t.runtime.totals.notes_mirrored = 7;
    t.runtime.totals.conflicts_source_won = 5;
    t.runtime.totals.conflicts_target_won = 6;

    const auto text = soar::app::renderTable(s);
    CHECK_THAT(text, Catch::Contains("two-way: status, severity, tags, notes; conflict = newest; "
                                     "the last pass mirrored back 3 fields and 2 notes or "
                                     "comments; conflicts: 1 won by the source, 4 by the target"));

    const auto root =
        Poco::JSON::Parser().parse(soar::app::renderJson(s)).extract<Poco::JSON::Object::Ptr>();
    const auto json_route = root->getArray("routes")->getObject(0);
    CHECK(json_route->getValue<std::string>("direction") == "two-way");
    const auto mirror_back = json_route->getArray("mirror_back");
    REQUIRE(mirror_back->size() == 4);
    CHECK(mirror_back->getElement<std::string>(0) == "status");
    CHECK(mirror_back->getElement<std::string>(3) == "notes");
    CHECK(json_route->getValue<std::string>("conflict") == "newest");
    const auto target = json_route->getArray("targets")->getObject(0);
    const auto pass = target->getObject("last_pass");
    CHECK(pass->getObject("mirrored_back")->getValue<int>("fields") == 3);
    CHECK(pass->getObject("mirrored_back")->getValue<int>("notes") == 2);
    CHECK(pass->getObject("conflicts")->getValue<int>("source_won") == 1);
    CHECK(pass->getObject("conflicts")->getValue<int>("target_won") == 4);
    const auto since = target->getObject("since_start");
    CHECK(since->getObject("mirrored_back")->getValue<int>("fields") == 11);
    CHECK(since->getObject("conflicts")->getValue<int>("target_won") == 6);

    const auto html = soar::app::renderHtml(s);
    CHECK_THAT(html, Catch::Contains("hq-to-dr</h2><span class=\"direction\">two-way: status, "
                                     "severity, tags, notes; conflict = newest</span>"));
    CHECK_THAT(html, Catch::Contains("3 fields mirrored back to the source"));
    CHECK_THAT(html, Catch::Contains("2 notes and comments mirrored back"));
    CHECK_THAT(html, Catch::Contains("1 conflict won by the source"));
    CHECK_THAT(html, Catch::Contains("4 conflicts won by the target"));

    const auto metrics = soar::app::renderMetrics(s);
    CHECK_THAT(metrics, Catch::Contains("# TYPE soar_sync_mirrored_back_total counter"));
    CHECK_THAT(metrics, Catch::Contains("soar_sync_mirrored_back_total{route=\"hq-to-dr\","
                                        "target=\"dr\",kind=\"fields\"} 11"));
    CHECK_THAT(metrics, Catch::Contains("soar_sync_mirrored_back_total{route=\"hq-to-dr\","
                                        "target=\"dr\",kind=\"notes\"} 7"));
    CHECK_THAT(metrics, Catch::Contains("# TYPE soar_sync_conflicts_total counter"));
    CHECK_THAT(metrics, Catch::Contains("soar_sync_conflicts_total{route=\"hq-to-dr\","
                                        "target=\"dr\",winner=\"source\"} 5"));
    CHECK_THAT(metrics, Catch::Contains("soar_sync_conflicts_total{route=\"hq-to-dr\","
                                        "target=\"dr\",winner=\"target\"} 6"));

    // A quiet last pass shows the direction alone, and a source-wins rule is named.
    last = soar::state::PassCounts{};
    route.conflict = "source";
    const auto quiet = soar::app::renderTable(s);
    CHECK_THAT(quiet, Catch::Contains("two-way: status, severity, tags, notes; conflict = source"));
    CHECK(quiet.find("mirrored back") == std::string::npos);

    // Playbook results reported back: said in the direction, counted in every view.
    route.report_back = "note";
    last.results_reported = 2;
    t.runtime.totals.results_reported = 9;
    CHECK_THAT(soar::app::renderTable(s),
               Catch::Contains("conflict = source; playbook results reported back as notes; "
                               "the last pass: 2 playbook results reported"));
    const auto reported =
        Poco::JSON::Parser().parse(soar::app::renderJson(s)).extract<Poco::JSON::Object::Ptr>();
    const auto reported_route = reported->getArray("routes")->getObject(0);
    CHECK(reported_route->getValue<std::string>("report_back") == "note");
    CHECK(reported_route->getArray("targets")
              ->getObject(0)
              ->getObject("last_pass")
              ->getValue<int>("results_reported") == 2);
    CHECK_THAT(soar::app::renderHtml(s),
               Catch::Contains("2 playbook results reported to the source"));
    CHECK_THAT(soar::app::renderMetrics(s),
               Catch::Contains("soar_sync_results_reported_total{route=\"hq-to-dr\","
                               "target=\"dr\"} 9"));
}

TEST_CASE("custom lists show in the table, the JSON, the page and the metrics", "[app][status]") {
    auto s = sample();
    auto& route = s.routes.at(0);
    route.lists = {"blocklist", "vip_users"};
    auto& t = route.targets.at(0);
    t.stored.lists = {{"blocklist", "1a2b3c4d5e6f", 3, 120, "2026-12-02T10:00:00Z"}};
    t.stored.last_pass->counts.lists_written = 1;
    t.stored.last_pass->counts.lists_failed = 1;
    t.runtime.totals.lists_written = 4;
    t.runtime.totals.lists_failed = 2;

    const auto expected = std::string(
        "custom lists on dr: blocklist (3 rows, 120 bytes, sha256 1a2b3c4d, written "
        "2026-12-02T10:00:00Z), vip_users (not written yet); the last pass wrote 1, 1 failed");
    CHECK_THAT(soar::app::renderTable(s), Catch::Contains(expected));

    const auto root =
        Poco::JSON::Parser().parse(soar::app::renderJson(s)).extract<Poco::JSON::Object::Ptr>();
    const auto json_route = root->getArray("routes")->getObject(0);
    REQUIRE(json_route->getArray("lists")->size() == 2);
    const auto target = json_route->getArray("targets")->getObject(0);
    const auto lists = target->getArray("lists");
    REQUIRE(lists->size() == 1);
    CHECK(lists->getObject(0)->getValue<std::string>("content_hash") == "1a2b3c4d5e6f");
    CHECK(lists->getObject(0)->getValue<int>("rows") == 3);
    CHECK(target->getObject("last_pass")->getObject("lists")->getValue<int>("written") == 1);
    CHECK(target->getObject("last_pass")->getObject("lists")->getValue<int>("failed") == 1);

    const auto html = soar::app::renderHtml(s);
    CHECK_THAT(html, Catch::Contains("<p class=\"lists\">" + expected + "</p>"));
    CHECK_THAT(html, Catch::Contains("1 custom list written"));
    CHECK_THAT(html, Catch::Contains("1 custom list failed"));
    // The banner names it among what to look at.
    CHECK_THAT(soar::app::renderHtml(s),
               Catch::Contains("1 custom list was not written in the last pass"));

    const auto metrics = soar::app::renderMetrics(s);
    CHECK_THAT(metrics, Catch::Contains(
                            "soar_sync_lists_written_total{route=\"hq-to-dr\",target=\"dr\"} 4"));
    CHECK_THAT(metrics,
               Catch::Contains("soar_sync_lists_failed_total{route=\"hq-to-dr\",target=\"dr\"} 2"));
    CHECK_THAT(metrics, Catch::Contains("soar_sync_list_rows{route=\"hq-to-dr\",target=\"dr\","
                                        "list=\"blocklist\"} 3"));
}

TEST_CASE("deletions reconciled show in the table, the JSON, the page and the metrics",
          "[app][status]") {
    auto s = sample();
    auto& route = s.routes.at(0);
    route.on_source_delete = "close";
    route.reconcile_interval_seconds = 1800;
    auto& t = route.targets.at(0);
    soar::state::ReconcileState rec;
    rec.finished_at = "2026-12-02T10:00:00Z";
    rec.last_checked = 120;
    rec.last_requests = 3;
    rec.last_found = 2;
    t.stored.reconcile = rec;
    t.stored.tombstones = {{soar::state::DeletionAction::Kept, 1},
                           {soar::state::DeletionAction::Closed, 2}};
    t.stored.last_pass->counts.deletions_found = 2;
    t.stored.last_pass->counts.copies_closed = 2;

    const auto expected = std::string(
        "deleted on the source: close, checked every 1800s; the last reconcile "
        "(2026-12-02T10:00:00Z) checked 120 copies with 3 requests and found 2 deleted; so far "
        "1 kept, 2 closed");
    CHECK_THAT(soar::app::renderTable(s), Catch::Contains(expected));

    const auto root =
        Poco::JSON::Parser().parse(soar::app::renderJson(s)).extract<Poco::JSON::Object::Ptr>();
    const auto json_route = root->getArray("routes")->getObject(0);
    CHECK(json_route->getValue<std::string>("on_source_delete") == "close");
    CHECK(json_route->getValue<int>("reconcile_interval_seconds") == 1800);
    const auto target = json_route->getArray("targets")->getObject(0);
    const auto reconcile = target->getObject("reconcile");
    CHECK_FALSE(reconcile->getValue<bool>("in_progress"));
    CHECK(reconcile->getValue<int>("last_requests") == 3);
    CHECK(reconcile->getValue<std::string>("last_finished_at") == "2026-12-02T10:00:00Z");
    CHECK(target->getObject("deleted_on_source")->getValue<int>("closed") == 2);
    CHECK(target->getObject("deleted_on_source")->getValue<int>("deleted") == 0);
    CHECK(target->getObject("last_pass")->getObject("deletions")->getValue<int>("found") == 2);

    const auto html = soar::app::renderHtml(s);
    CHECK_THAT(html, Catch::Contains("<p class=\"lists\">" + expected + "</p>"));
    CHECK_THAT(html, Catch::Contains("2 containers found deleted on the source"));
    CHECK_THAT(html, Catch::Contains("2 copies closed"));

    const auto metrics = soar::app::renderMetrics(s);
    CHECK_THAT(metrics, Catch::Contains("soar_sync_deleted_on_source_total{route=\"hq-to-dr\","
                                        "target=\"dr\",action=\"closed\"} 2"));
    CHECK_THAT(metrics, Catch::Contains("soar_sync_deleted_on_source_total{route=\"hq-to-dr\","
                                        "target=\"dr\",action=\"deleted\"} 0"));
    CHECK_THAT(
        metrics,
        Catch::Contains("soar_sync_reconcile_last_requests{route=\"hq-to-dr\",target=\"dr\"} 3"));

    // A reconcile under way says where it is.
    t.stored.reconcile->started_at = "2026-12-02T11:00:00Z";
    t.stored.reconcile->after_id = 50;
    CHECK_THAT(soar::app::renderTable(s),
               Catch::Contains("a reconcile is under way (after source id 50)"));
}

TEST_CASE("/readyz is ready only when every target passed and none fails", "[app][status]") {
    auto s = sample();
    auto verdict = soar::app::readiness(s);
    CHECK_FALSE(verdict.ready);
    REQUIRE(verdict.reasons.size() == 1);
    CHECK_THAT(verdict.reasons[0], Catch::Contains("failing"));
    s.routes[0].targets.pop_back();
    CHECK(soar::app::readiness(s).ready);
    // Passes that were all interrupted (timeouts, an unreachable target) finished nothing.
    s.routes[0].targets[0].last_good_pass.clear();
    CHECK_FALSE(soar::app::readiness(s).ready);
    CHECK(soar::app::statusExitCode(s) == 1);  // its dead letters
    s.routes[0].targets[0].stored.dead_letters = 0;
    CHECK(soar::app::statusExitCode(s) == 3);
}

TEST_CASE("the HTML page escapes every text and refreshes itself", "[app][status]") {
    auto s = sample();
    soar::state::DeadLetter hostile;
    hostile.kind = soar::state::RecordKind::Container;
    hostile.source_id = 41;
    hostile.attempts = 2;
    hostile.first_seen = "2024-01-01T00:00:20.000000Z";
    hostile.last_seen = "2024-01-01T00:00:50.000000Z";
    hostile.message = "label <script>alert('x')</script> & \"more\"";
    s.routes[0].targets[0].dead_letters = {hostile};
    s.routes[0].source_url = "https://hq.example/?a=<b>";
    const auto html = soar::app::renderHtml(s, 7);
    CHECK_THAT(html, Catch::Contains("http-equiv=\"refresh\" content=\"7\""));
    CHECK_THAT(html, Catch::Contains("lab&lt;script&gt;"));
    CHECK_THAT(html, Catch::Contains("&lt;b&gt;&quot;x&quot;&lt;/b&gt;"));
    CHECK_THAT(html,
               Catch::Contains(
                   "label &lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;more&quot;"));
    CHECK_THAT(html, Catch::Contains("https://hq.example/?a=&lt;b&gt;"));
    CHECK(html.find("<script") == std::string::npos);
    CHECK(soar::app::htmlEscape("a&b'") == "a&amp;b&#39;");
}

TEST_CASE("the HTML page needs nothing from the network", "[app][status]") {
    const auto html = soar::app::renderHtml(sample());
    CHECK(html.find("<script") == std::string::npos);
    CHECK(html.find("<link") == std::string::npos);
    CHECK(html.find("src=") == std::string::npos);
    CHECK(html.find("@import") == std::string::npos);
    CHECK(html.find("url(") == std::string::npos);
    for (const char* path : {"/readyz", "/dead-letters", "/status", "/metrics"}) {
        CHECK_THAT(html, Catch::Contains("href=\"" + std::string(path) + "\""));
    }
}

TEST_CASE("the HTML banner says healthy, degraded or failing and why", "[app][status]") {
    auto s = sample();
    SECTION("a failing target fails the page, with its error") {
        const auto html = soar::app::renderHtml(s);
        CHECK_THAT(html, Catch::Contains("<div class=\"banner failing\""));
        CHECK_THAT(html, Catch::Contains("hq-to-dr -&gt; lab&lt;script&gt;: failing: "));
    }
    s.routes[0].targets.pop_back();
    SECTION("dead letters degrade it") {
        const auto html = soar::app::renderHtml(s);
        CHECK_THAT(html, Catch::Contains("<div class=\"banner degraded\""));
        CHECK_THAT(html, Catch::Contains("hq-to-dr -&gt; dr: 2 dead letters"));
    }
    s.routes[0].targets[0].stored.dead_letters = 0;
    SECTION("so does a target without a finished pass") {
        s.routes[0].targets[0].runtime.passes = 0;
        s.routes[0].targets[0].last_good_pass.clear();
        const auto html = soar::app::renderHtml(s);
        CHECK_THAT(html, Catch::Contains("<div class=\"banner degraded\""));
        CHECK_THAT(html, Catch::Contains("no pass finished yet"));
    }
    SECTION("and an interrupted last pass") {
        s.routes[0].targets[0].runtime.last_outcome = "interrupted";
        s.routes[0].targets[0].stored.health.last_error = "[instance.dr] timed out";
        const auto html = soar::app::renderHtml(s);
        CHECK_THAT(html, Catch::Contains("<div class=\"banner degraded\""));
        CHECK_THAT(html, Catch::Contains("last pass interrupted: [instance.dr] timed out"));
    }
    SECTION("otherwise it is healthy") {
        const auto html = soar::app::renderHtml(s);
        CHECK_THAT(html, Catch::Contains("<div class=\"banner healthy\""));
        CHECK_THAT(html, Catch::Contains("<title>Healthy - soar-sync</title>"));
    }
}

TEST_CASE("the HTML page shows times relative to now, the absolute time in a tooltip",
          "[app][status]") {
    const auto html = soar::app::renderHtml(sample());
    // The last pass finished 29 s before `now`; the process started a minute before.
    CHECK_THAT(html, Catch::Contains("title=\"2024-01-01 00:00:31 UTC\">29 s ago</time>"));
    CHECK_THAT(html, Catch::Contains("Started <time datetime=\"2024-01-01T00:00:00.000000Z\" "
                                     "title=\"2024-01-01 00:00:00 UTC\">1 min ago</time>"));
    // A target failing for 50 s.
    CHECK_THAT(html, Catch::Contains("since <time datetime=\"2024-01-01T00:00:10.000000Z\""));
}

TEST_CASE("the HTML page shows mapped totals and instance URLs", "[app][status]") {
    auto s = sample();
    s.routes[0].source_url = "https://hq.example";
    s.routes[0].targets[0].url = "https://dr.example:8443";
    s.routes[0].targets[0].stored.mappings = {1234567, 3702, 12};
    const auto html = soar::app::renderHtml(s);
    CHECK_THAT(html, Catch::Contains("1,234,567</td><td class=\"sub\">containers"));
    CHECK_THAT(html, Catch::Contains("3,702</td><td class=\"sub\">artifacts"));
    CHECK_THAT(html, Catch::Contains("12</td><td class=\"sub\">notes"));
    CHECK_THAT(html, Catch::Contains("href=\"https://hq.example\""));
    CHECK_THAT(html, Catch::Contains("href=\"https://dr.example:8443\""));
}

TEST_CASE("the HTML page shows a running pass's progress and ETA", "[app][status]") {
    auto s = sample();
    soar::sync::LiveStatus live;
    live.running = true;
    live.activity = "walking create_time";
    live.started_at = "2024-01-01T00:00:50.000000Z";  // 10 s before now
    live.seen = 1250;
    live.total = 5000;
    s.routes[0].targets[0].runtime.live = live;
    SECTION("with a known total: count, percentage, a bar and the time left") {
        const auto html = soar::app::renderHtml(s);
        CHECK_THAT(html, Catch::Contains("1,250 / 5,000 (25%), ETA 30 s"));
        CHECK_THAT(html, Catch::Contains("<progress value=\"1250\" max=\"5000\">"));
        CHECK_THAT(html, Catch::Contains("walking create_time"));
    }
    SECTION("without a total yet: no percentage") {
        s.routes[0].targets[0].runtime.live->total = 0;
        const auto html = soar::app::renderHtml(s);
        CHECK_THAT(html, Catch::Contains("1,250 read so far"));
        CHECK(html.find("%)") == std::string::npos);
        CHECK(html.find("ETA") == std::string::npos);
    }
}

TEST_CASE("the HTML page lists dead letters with their messages and what to do", "[app][status]") {
    auto s = sample();
    soar::state::DeadLetter d;
    d.kind = soar::state::RecordKind::Container;
    d.source_id = 17;
    d.attempts = 3;
    d.first_seen = "2024-01-01T00:00:00.000000Z";
    d.last_seen = "2024-01-01T00:00:40.000000Z";
    d.message = "unknown label 'phishing'";
    s.routes[0].targets[0].dead_letters = {d};
    const auto html = soar::app::renderHtml(s);
    CHECK_THAT(html, Catch::Contains("Dead letters on dr (2)"));
    CHECK_THAT(html, Catch::Contains("unknown label &#39;phishing&#39;"));
    CHECK_THAT(html, Catch::Contains("Showing the newest 1 of 2."));
    CHECK_THAT(html, Catch::Contains("<code>soar-sync dead-letters</code>"));
    CHECK_THAT(html, Catch::Contains("<code>soar-sync retry-dead --route hq-to-dr</code>"));
}

TEST_CASE("/dead-letters JSON lists the carried dead letters and counts them all",
          "[app][status]") {
    auto s = sample();
    soar::state::DeadLetter d;
    d.source_id = 17;
    d.message = "unknown label 'phishing'";
    s.routes[0].targets[0].dead_letters = {d};
    const auto root = Poco::JSON::Parser()
                          .parse(soar::app::renderDeadLettersJson(s))
                          .extract<Poco::JSON::Object::Ptr>();
    CHECK(root->getValue<int>("total") == 2);
    const auto first = root->getArray("dead_letters")->getObject(0);
    CHECK(first->getValue<std::string>("route") == "hq-to-dr");
    CHECK(first->getValue<std::string>("message") == "unknown label 'phishing'");
}

TEST_CASE("a second status server on a port in use fails to start", "[app][status]") {
    struct EmptySource : soar::app::StatusSource {
        soar::app::StatusSnapshot snapshot() const override { return {}; }
        bool storeOpens() const override { return true; }
    } source;
    soar::app::HttpConfig config;
    config.host = "127.0.0.1";
    config.port = 0;
    soar::app::StatusServer first(config, source);
    first.start();
    config.port = first.port();
    CHECK_THROWS_MATCHES(soar::app::StatusServer(config, source), soar::app::ConfigError,
                         Catch::Matchers::Predicate<soar::app::ConfigError>(
                             [](const soar::app::ConfigError& e) {
                                 return std::string(e.what()).find(
                                            "[http] listen: cannot listen on 127.0.0.1:") == 0;
                             },
                             "names [http] listen and the address"));
}

TEST_CASE("/metrics passes promtool check metrics", "[app][status]") {
    const auto text = soar::app::renderMetrics(sample());
    CHECK_THAT(text, Catch::Contains("# TYPE soar_sync_pass_duration_seconds histogram"));
    CHECK_THAT(text,
               Catch::Contains("soar_sync_containers_replayed_total{route=\"hq-to-dr\",target="
                               "\"dr\",operation=\"create\"} 30"));
    CHECK_THAT(text,
               Catch::Contains("soar_sync_http_requests_total{instance=\"hq\",code=\"200\"} 10"));
    CHECK_THAT(text, Catch::Contains("soar_sync_notes_replayed_total{route=\"hq-to-dr\",target="
                                     "\"dr\",kind=\"note\",operation=\"update\"} 7"));
    CHECK_THAT(text, Catch::Contains("soar_sync_dead_letters{route=\"hq-to-dr\",target=\"dr\"} 2"));
    CHECK_THAT(text, Catch::Contains("le=\"+Inf\"} 5"));
    soar::app::test::checkWithPromtool(text);
}

TEST_CASE("bearer tokens compare in constant time and exactly", "[app][status]") {
    using soar::app::constantTimeEquals;
    CHECK(constantTimeEquals("abc", "abc"));
    CHECK_FALSE(constantTimeEquals("abc", "abd"));
    CHECK_FALSE(constantTimeEquals("abc", "abcd"));
    CHECK_FALSE(constantTimeEquals("", "a"));
    CHECK(constantTimeEquals("", ""));
}
