/// Several soar-sync daemons on one PostgreSQL state database (a real server, started by
/// packaging/pg-test-server.sh): the routes spread over the daemons, owners are SIGKILLed and
/// SIGSTOPped mid-sync, and every target ends an exact mirror with no container copied twice and
/// no playbook run twice; and a database that restarts, then goes away for a while, in the
/// middle of a sync: the daemon stops writing, says so in its log and /readyz, and resumes.

#include "AppTestSupport.h"
#include "PgTestServer.h"
#include "soar/emulator/Emulator.h"
#include "soar/state/SqliteStore.h"
#include "soar/sync/RouteLeases.h"
#include "support/HttpGet.h"
#include "support/TempDir.h"

#include <catch2/catch.hpp>

#include <csignal>
#include <fstream>
#include <map>
#include <memory>

namespace {

using namespace std::chrono_literals;
using soar::emulator::Emulator;
using soar::emulator::EmulatorOptions;
using soar::state::test::PgTestServer;
using soar::test::Child;
using soar::test::distinctCopies;
using soar::test::eventually;

const std::string kToken = "soar-tok-5e0c2d71-cluster";

EmulatorOptions sourceOptions(int containers, int latency_ms) {
    EmulatorOptions o;
    o.token = kToken;
    o.seed = 23;
    o.containers = containers;
    o.artifacts = 2;
    o.latency_ms = latency_ms;
    return o;
}

EmulatorOptions targetOptions(int latency_ms) {
    EmulatorOptions o;
    o.token = kToken;
    o.playbooks.push_back({"local", "triage", "success", 0.2});
    o.latency_ms = latency_ms;
    return o;
}

/// Daemons sharing one state database: one config per node, one route per target.
struct Cluster {
    soar::test::TempDir dir;
    const PgTestServer& pg;
    std::string url;
    std::vector<std::string> routes;
    std::map<std::string, std::unique_ptr<Child>> daemons;

    Cluster(const PgTestServer& server, const std::string& database_url)
        : pg(server), url(database_url) {}

    std::string log(const std::string& node) const {
        return (dir.path() / (node + ".log")).string();
    }
    std::string config(const std::string& node, const Emulator& source,
                       const std::vector<const Emulator*>& targets, bool playbooks) {
        const auto path = (dir.path() / (node + ".ini")).string();
        std::ofstream out(path);
        out << "[state]\nbackend = postgresql\nurl = " << url
            << "\npassword_env = TEST_PG_PASSWORD\n[cluster]\nnode = " << node
            << "\nlease_ttl = 3s\n[http]\nlisten = 127.0.0.1:0\n[log]\nlevel = debug\nfile = "
            << log(node) << "\n[instance.src]\nurl = " << source.baseUrl()
            << "\nallow_insecure_http = true\ntoken_env = TEST_SOAR_TOKEN\ntimeout = 5s\n";
        routes.clear();
        for (std::size_t i = 0; i < targets.size(); ++i) {
            const auto t = "t" + std::to_string(i + 1);
            out << "[instance." << t << "]\nurl = " << targets[i]->baseUrl()
                << "\nallow_insecure_http = true\ntoken_env = TEST_SOAR_TOKEN\ntimeout = 5s\n"
                << "connections = 4\n";
        }
        for (std::size_t i = 0; i < targets.size(); ++i) {
            const auto r = "r" + std::to_string(i + 1);
            routes.push_back(r);
            out << "[route." << r << "]\nsource = src\ntargets = t" << (i + 1)
                << "\npoll_interval = 200ms\npage_size = 20\n"
                << (playbooks ? "playbook = local/triage\n" : "");
        }
        return path;
    }
    void start(const std::string& node, const std::string& config_path) {
        const auto home = dir.path() / node;
        std::filesystem::create_directories(home);
        daemons[node] = std::make_unique<Child>(
            std::vector<std::string>{"--config", config_path, "run"}, home.string(),
            std::vector<std::string>{"TEST_SOAR_TOKEN=" + kToken,
                                     "TEST_PG_PASSWORD=" + pg.password()});
    }
    std::string logText(const std::string& node) const {
        return soar::test::readWholeFile(log(node));
    }
    /// The routes' leases as the database has them.
    std::vector<soar::state::Lease> leases() const {
        soar::state::StateOptions options;
        options.backend = soar::state::StateOptions::Backend::Postgresql;
        options.url = url;
        options.password = pg.password();
        return soar::state::SqlStore::open(options)->leases();
    }
    /// The node holding `route`'s live lease; empty when none.
    std::string owner(const std::string& route) const {
        for (const auto& lease : leases()) {
            if (lease.route != route || lease.holder.empty()) continue;
            return soar::sync::nodeOf(lease.holder);
        }
        return "";
    }
};

}  // namespace

TEST_CASE(
    "three daemons on PostgreSQL share the routes, lose owners to SIGKILL and SIGSTOP "
    "mid-sync, and copy every container and run every playbook once",
    "[app][integration][postgresql]") {
    auto& pg = PgTestServer::get();
    const auto schema = pg.createSchema();
    Emulator source(sourceOptions(60, 4));
    Emulator t1(targetOptions(20)), t2(targetOptions(20)), t3(targetOptions(20));
    const std::vector<Emulator*> targets = {&t1, &t2, &t3};
    Cluster cluster(pg, pg.urlFor(schema));
    for (const auto* node : {"n1", "n2", "n3"}) {
        cluster.start(node, cluster.config(node, source, {&t1, &t2, &t3}, true));
    }
    // The routes spread: one each once all three are alive.
    const bool spread = eventually(
        [&] {
            std::set<std::string> owners;
            for (const auto& r : cluster.routes) owners.insert(cluster.owner(r));
            return owners == std::set<std::string>{"n1", "n2", "n3"};
        },
        30s);
    if (!spread) {
        for (const auto* node : {"n1", "n2", "n3"}) UNSCOPED_INFO(cluster.logText(node));
    }
    REQUIRE(spread);
    for (auto* t : targets) REQUIRE(eventually([&] { return t->containerCount() == 60; }, 60s));

    // A burst of new containers; r1's owner dies in the middle of copying it.
    for (int i = 0; i < 300; ++i) {
        (void)source.createContainer(R"({"name": "burst", "label": "events"})");
    }
    REQUIRE(eventually([&] { return t1.containerCount() >= 100; }, 30s));
    const auto killed = cluster.owner("r1");
    REQUIRE(t1.containerCount() < 360);
    (void)cluster.daemons.at(killed)->kill();
    // Another route's owner freezes past its lease while new containers arrive.
    std::string frozen;
    for (const auto& r : cluster.routes) {
        const auto o = cluster.owner(r);
        if (!o.empty() && o != killed) frozen = o;
    }
    REQUIRE(!frozen.empty());
    std::set<std::string> taken_over = {"r1"};
    for (const auto& r : cluster.routes) {
        if (cluster.owner(r) == frozen) taken_over.insert(r);
    }
    cluster.daemons.at(frozen)->signal(SIGSTOP);
    for (int i = 0; i < 20; ++i) {
        (void)source.createContainer(R"({"name": "during the outage", "label": "events"})");
    }
    std::this_thread::sleep_for(7s);  // more than lease_ttl: the others took the routes
    cluster.daemons.at(frozen)->signal(SIGCONT);

    for (auto* t : targets) {
        REQUIRE(eventually([&] { return t->containerCount() == 380; }, 120s));
        REQUIRE(eventually([&] { return t->playbookRunCount() == 380; }, 60s));
    }
    std::this_thread::sleep_for(3s);
    for (auto* t : targets) {
        CHECK(distinctCopies(*t) == 380);
        CHECK(t->containerCount() == 380);
        CHECK(t->playbookRunCount() == 380);
    }
    CHECK(cluster.logText(frozen).find("lease lost to another daemon") != std::string::npos);
    // The routes of the killed and the frozen owner changed hands: a new tenure each.
    for (const auto& lease : cluster.leases()) {
        if (taken_over.count(lease.route) != 0) CHECK(lease.epoch >= 2);
    }
    for (auto& [node, daemon] : cluster.daemons) {
        if (node == killed) continue;
        daemon->signal(SIGTERM);
        CHECK(daemon->wait(20s) == std::optional<int>(0));
    }
    pg.dropSchema(schema);
}

TEST_CASE(
    "the state database restarts, then goes away mid-sync: the daemon stops writing, "
    "says so, and resumes when it is back",
    "[app][integration][postgresql]") {
    // A server of its own: this test stops it.
    const auto pg = PgTestServer::startPrivate();
    Emulator source(sourceOptions(400, 6));
    Emulator target(targetOptions(6));
    Cluster cluster(*pg, pg->url() + "?sslmode=require");
    cluster.start("solo", cluster.config("solo", source, {&target}, false));
    REQUIRE(eventually([&] { return target.containerCount() >= 30; }, 30s));

    pg->restart();  // connections cut; the pass goes on or the next one resumes
    REQUIRE(eventually([&] { return target.containerCount() >= 120; }, 60s));

    pg->halt();
    std::optional<unsigned short> port;
    REQUIRE(eventually(
        [&] { return (port = soar::test::statusPortIn(cluster.log("solo"))).has_value(); }, 5s));
    REQUIRE(eventually(
        [&] {
            return cluster.logText("solo").find("cannot renew route leases") != std::string::npos;
        },
        10s));
    REQUIRE(eventually(
        [&] {
            const auto ready = soar::test::httpGet(*port, "/readyz");
            return ready.status == 503 && ready.body.find("state store") != std::string::npos;
        },
        10s));
    // Past lease_ttl without the database: nothing more reaches the target.
    std::this_thread::sleep_for(3s);
    const auto frozen = target.containerCount();
    std::this_thread::sleep_for(2s);
    CHECK(target.containerCount() == frozen);
    CHECK(frozen < 400);

    pg->resume();
    REQUIRE(eventually(
        [&] {
            return cluster.logText("solo").find("the state store answers again") !=
                   std::string::npos;
        },
        30s));
    REQUIRE(eventually([&] { return target.containerCount() == 400; }, 120s));
    std::this_thread::sleep_for(1s);
    CHECK(distinctCopies(target) == 400);
    CHECK(soar::test::httpGet(*port, "/readyz").status == 200);
    cluster.daemons.at("solo")->signal(SIGTERM);
    CHECK(cluster.daemons.at("solo")->wait(20s) == std::optional<int>(0));
}
