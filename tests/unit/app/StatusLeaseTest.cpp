/// Route leases and the cluster in every status view: the `status` table, /status, the page,
/// /readyz and /metrics (promtool-checked).

#include "MetricsTestUtil.h"
#include "soar/app/StatusRender.h"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <catch2/catch.hpp>

namespace {

using namespace soar;

app::StatusSnapshot clustered() {
    app::StatusSnapshot s;
    s.version = "0.1.0";
    s.started_at = "2024-01-01T00:00:00.000000Z";
    s.now = "2024-01-01T00:01:00.000000Z";
    s.live = true;
    for (const auto* name : {"mine", "theirs", "free"}) {
        app::RouteView route;
        route.name = name;
        route.source = "hq";
        app::TargetView target;
        target.target = "dr";
        route.targets.push_back(target);  // no pass yet anywhere
        s.routes.push_back(route);
    }
    s.routes[0].lease =
        app::LeaseView{"alpha", "alpha/h1/10/ab12", 3, "2024-01-01T00:01:20Z", 20.0, true, ""};
    s.routes[1].lease =
        app::LeaseView{"beta", "beta/h2/11/cd34", 7, "2024-01-01T00:01:25Z", 25.0, false, "alpha"};
    app::ClusterView c;
    c.node = "alpha";
    c.holder = "alpha/h1/10/ab12";
    c.lease_ttl_seconds = 30;
    c.share = 2;
    c.held = 1;
    c.live_nodes = 2;
    s.cluster = c;
    return s;
}

}  // namespace

TEST_CASE("each route's owner, epoch and lease expiry show in the table and /status",
          "[app][status][leases]") {
    const auto s = clustered();
    const auto table = app::renderTable(s);
    CHECK_THAT(table, Catch::Contains("node alpha: 1 route held of a share of 2; 2 daemons "
                                      "alive; lease_ttl 30s"));
    CHECK_THAT(table, Catch::Contains("owner alpha (epoch 3) (this daemon), lease expires in 20s"));
    CHECK_THAT(table, Catch::Contains("owner beta (epoch 7), lease expires in 25s; handover "
                                      "asked by alpha"));
    CHECK_THAT(table, Catch::Contains("no owner yet"));

    const auto root =
        Poco::JSON::Parser().parse(app::renderJson(s)).extract<Poco::JSON::Object::Ptr>();
    const auto routes = root->getArray("routes");
    const auto lease = routes->getObject(1)->getObject("lease");
    CHECK(lease->getValue<std::string>("owner") == "beta");
    CHECK(lease->getValue<int>("epoch") == 7);
    CHECK(lease->getValue<double>("expires_in_seconds") == 25.0);
    CHECK_FALSE(lease->getValue<bool>("mine"));
    CHECK(lease->getValue<std::string>("wanted_by") == "alpha");
    CHECK(routes->getObject(2)->isNull("lease"));
    const auto cluster = root->getObject("cluster");
    CHECK(cluster->getValue<std::string>("node") == "alpha");
    CHECK(cluster->getValue<int>("live_nodes") == 2);
    CHECK_FALSE(cluster->getValue<bool>("standby"));
    CHECK(cluster->isNull("store_problem"));
}

TEST_CASE("/readyz leaves another daemon's routes to it, and fails while the store is away",
          "[app][status][leases]") {
    auto s = clustered();
    auto ready = app::readiness(s);
    // "mine" and the unowned "free" have no pass yet; "theirs" is beta's business.
    CHECK(ready.reasons.size() == 2);
    CHECK_THAT(app::renderReadiness(ready), !Catch::Contains("theirs"));

    s.cluster->store_problem = "state database postgresql://db/soar_sync: connection refused";
    s.cluster->store_problem_since = "2024-01-01T00:00:50.000000Z";
    ready = app::readiness(s);
    CHECK_FALSE(ready.ready);
    CHECK_THAT(ready.reasons.front(),
               Catch::StartsWith("state store: cannot renew route leases since "
                                 "2024-01-01T00:00:50.000000Z: state database") &&
                   Catch::Contains("not replaying until it answers"));
}

TEST_CASE("the page shows each route's owner, the node, and a standby banner",
          "[app][status][leases]") {
    auto s = clustered();
    auto html = app::renderHtml(s);
    CHECK_THAT(html, Catch::Contains("<p class=\"lease mine\">owner alpha (epoch 3) (this "
                                     "daemon), lease expires in 20s</p>"));
    CHECK_THAT(html, Catch::Contains("<p class=\"lease\">no owner yet</p>"));
    CHECK_THAT(html, Catch::Contains("node alpha: 1 route held of a share of 2"));

    // A standby with every route owned elsewhere and passed there.
    s.cluster->held = 0;
    s.cluster->standby = true;
    for (auto& r : s.routes) {
        r.lease = app::LeaseView{"beta", "beta/h2/11/cd34", 7, "", 25.0, false, ""};
    }
    html = app::renderHtml(s);
    CHECK_THAT(html, Catch::Contains("<title>Standby - soar-sync</title>"));
    CHECK_THAT(html, Catch::Contains("This daemon holds no route: 1 other daemon replays them"));
}

TEST_CASE("/metrics carries lease epochs, expiry, ownership and the store's health",
          "[app][status][leases]") {
    auto s = clustered();
    s.cluster->store_problem = "down";
    const auto text = app::renderMetrics(s);
    CHECK_THAT(text,
               Catch::Contains("soar_sync_route_lease_epoch{route=\"mine\",owner=\"alpha\"} 3"));
    CHECK_THAT(text, Catch::Contains("soar_sync_route_lease_expiry_seconds{route=\"theirs\"} 25"));
    CHECK_THAT(text, Catch::Contains("soar_sync_route_owned{route=\"mine\"} 1"));
    CHECK_THAT(text, Catch::Contains("soar_sync_route_owned{route=\"theirs\"} 0"));
    CHECK_THAT(text, Catch::Contains("soar_sync_state_store_up 0"));
    CHECK_THAT(text, Catch::Contains("soar_sync_cluster_nodes_alive 2"));
    app::test::checkWithPromtool(text);
}
