#include "soar/app/StatusRender.h"
#include "soar/app/StatusServer.h"
#include "support/TempDir.h"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <catch2/catch.hpp>

#include <cstdlib>
#include <fstream>
#include <sstream>

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
    ok.runtime.duration_buckets = {1, 2, 5, 5, 5, 5, 5, 5};
    ok.runtime.duration_count = 5;
    ok.runtime.duration_sum = 2.5;
    ok.lag_seconds = 30.0;
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
}

TEST_CASE("/readyz is ready only when every target passed and none fails", "[app][status]") {
    auto s = sample();
    auto verdict = soar::app::readiness(s);
    CHECK_FALSE(verdict.ready);
    REQUIRE(verdict.reasons.size() == 1);
    CHECK_THAT(verdict.reasons[0], Catch::Contains("failing"));
    s.routes[0].targets.pop_back();
    CHECK(soar::app::readiness(s).ready);
    s.routes[0].targets[0].runtime.passes = 0;
    CHECK_FALSE(soar::app::readiness(s).ready);
}

TEST_CASE("the HTML page escapes every text and refreshes itself", "[app][status]") {
    const auto html = soar::app::renderHtml(sample(), 7);
    CHECK_THAT(html, Catch::Contains("http-equiv=\"refresh\" content=\"7\""));
    CHECK_THAT(html, Catch::Contains("lab&lt;script&gt;"));
    CHECK_THAT(html, Catch::Contains("&lt;b&gt;&quot;x&quot;&lt;/b&gt;"));
    CHECK(html.find("<script>") == std::string::npos);
    CHECK(soar::app::htmlEscape("a&b'") == "a&amp;b&#39;");
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
    if (std::system("command -v promtool >/dev/null 2>&1") != 0) {
        WARN("promtool not found (Debian package prometheus): skipping the promtool check");
        return;
    }
    soar::test::TempDir dir;
    const auto path = (dir.path() / "metrics.txt").string();
    std::ofstream(path) << text;
    const auto out = (dir.path() / "promtool.out").string();
    const int rc =
        std::system(("promtool check metrics < '" + path + "' > '" + out + "' 2>&1").c_str());
    std::ifstream in(out);
    std::stringstream report;
    report << in.rdbuf();
    INFO(report.str());
    CHECK(rc == 0);
    CHECK(report.str().empty());
}

TEST_CASE("bearer tokens compare in constant time and exactly", "[app][status]") {
    using soar::app::constantTimeEquals;
    CHECK(constantTimeEquals("abc", "abc"));
    CHECK_FALSE(constantTimeEquals("abc", "abd"));
    CHECK_FALSE(constantTimeEquals("abc", "abcd"));
    CHECK_FALSE(constantTimeEquals("", "a"));
    CHECK(constantTimeEquals("", ""));
}
