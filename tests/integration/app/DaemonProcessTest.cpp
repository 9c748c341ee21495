/// soar-sync as a child process against two in-process soar-emulator instances: the run
/// loop (start, sync, SIGTERM, clean exit, nothing lost), every status endpoint with and
/// without the bearer token, /metrics through promtool, /status during a long pass,
/// sync-once and check exit codes, and a known token that must never leak.

#include "AppTestSupport.h"
#include "soar/emulator/Emulator.h"
#include "support/HttpGet.h"
#include "support/TempDir.h"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>
#include <catch2/catch.hpp>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace {

using soar::test::Child;
using soar::test::distinctCopies;
using soar::test::eventually;
using soar::test::httpGet;

using namespace std::chrono_literals;
using soar::emulator::Emulator;
using soar::emulator::EmulatorOptions;

const std::string kToken = "soar-tok-7c1e4b9a-never-print";
const std::string kStatusToken = "status-tok-0d5f3e2a-never-print";

/// A folder with a config for a route from `source` to `target`.
struct Setup {
    soar::test::TempDir dir;
    std::string config;
    std::string log;

    Setup(const Emulator& source, const Emulator& target, const std::string& extra_route = "",
          const std::string& http = "listen = 127.0.0.1:0\n") {
        log = (dir.path() / "soar-sync.log").string();
        std::ofstream(dir.path() / "status.token") << kStatusToken << "\n";
        config = (dir.path() / "soar-sync.ini").string();
        std::ofstream(config) << "[state]\npath = state/state.db\n"
                              << "[http]\n"
                              << http << "[log]\nlevel = debug\nfile = " << log
                              << "\n[instance.src]\nurl = " << source.baseUrl()
                              << "\nallow_insecure_http = true\ntoken_env = TEST_SOAR_TOKEN\n"
                              << "timeout = 5s\nretries = 1\n"
                              << "[instance.dst]\nurl = " << target.baseUrl()
                              << "\nallow_insecure_http = true\ntoken_env = TEST_SOAR_TOKEN\n"
                              << "timeout = 5s\nretries = 1\n"
                              << "[route.main]\nsource = src\ntargets = dst\npoll_interval = "
                                 "200ms\npage_size = 20\n"
                              << extra_route;
    }
    [[nodiscard]] std::string path() const { return dir.path().string(); }
    /// The status port the daemon logged.
    [[nodiscard]] std::optional<unsigned short> statusPort() const {
        return soar::test::statusPortIn(log);
    }
};

const std::vector<std::string> kEnv = {"TEST_SOAR_TOKEN=" + kToken};

EmulatorOptions seeded(int containers, int artifacts) {
    EmulatorOptions o;
    o.token = kToken;
    o.seed = 11;
    o.containers = containers;
    o.artifacts = artifacts;
    return o;
}

EmulatorOptions empty() {
    EmulatorOptions o;
    o.token = kToken;
    o.playbooks.push_back({"local", "triage", "success", 0.2});
    return o;
}

bool promtoolPresent() { return std::system("command -v promtool >/dev/null 2>&1") == 0; }

}  // namespace

TEST_CASE("run: syncs, serves every endpoint, stops on SIGTERM with nothing lost",
          "[app][integration]") {
    Emulator source(seeded(40, 2));
    Emulator target(empty());
    Setup setup(source, target, "", "listen = 127.0.0.1:0\ntoken_file = status.token\n");
    Child child({"--config", setup.config, "run"}, setup.path(), kEnv);

    REQUIRE(eventually([&] { return setup.statusPort().has_value(); }, 10s));
    const auto port = *setup.statusPort();
    REQUIRE(eventually([&] { return target.containerCount() == 40; }, 20s));
    REQUIRE(eventually([&] { return httpGet(port, "/readyz", kStatusToken).status == 200; }, 10s));

    // /healthz needs no token; everything else does.
    auto answer = httpGet(port, "/healthz");
    CHECK(answer.status == 200);
    CHECK(answer.body == "ok\n");
    for (const char* path : {"/", "/status", "/metrics", "/readyz", "/nope"}) {
        INFO(path);
        CHECK(httpGet(port, path).status == 401);
        CHECK(httpGet(port, path, "wrong-token").status == 401);
    }
    answer = httpGet(port, "/status", kStatusToken);
    REQUIRE(answer.status == 200);
    CHECK(answer.content_type == "application/json");
    const auto status = Poco::JSON::Parser().parse(answer.body).extract<Poco::JSON::Object::Ptr>();
    const auto t = status->getArray("routes")->getObject(0)->getArray("targets")->getObject(0);
    CHECK(t->getObject("mappings")->getValue<int>("containers") == 40);
    CHECK(t->getObject("cursors")->has("containers_created"));
    CHECK_FALSE(t->getValue<bool>("failing"));
    CHECK(t->getValue<int>("dead_letters") == 0);

    answer = httpGet(port, "/", kStatusToken);
    CHECK(answer.status == 200);
    CHECK_THAT(answer.body, Catch::Contains("http-equiv=\"refresh\""));
    CHECK_THAT(answer.body, Catch::Contains("main"));
    CHECK(httpGet(port, "/nope", kStatusToken).status == 404);

    answer = httpGet(port, "/metrics", kStatusToken);
    CHECK(answer.status == 200);
    CHECK_THAT(answer.body, Catch::Contains("soar_sync_containers_replayed_total{route=\"main\","
                                            "target=\"dst\",operation=\"create\"} 40"));
    CHECK_THAT(answer.body, Catch::Contains("soar_sync_http_requests_total{instance=\"dst\""));
    if (promtoolPresent()) {
        const auto file = setup.path() + "/metrics.txt";
        std::ofstream(file) << answer.body;
        CHECK(std::system(("promtool check metrics < '" + file + "'").c_str()) == 0);
    } else {
        WARN("promtool not found (Debian package prometheus): /metrics not checked by promtool");
    }

    // A container created while the daemon runs is picked up by a later pass.
    (void)source.createContainer(R"({"name": "late", "label": "events"})");
    CHECK(eventually([&] { return target.containerCount() == 41; }, 10s));

    const auto stop_at = std::chrono::steady_clock::now();
    child.signal(SIGTERM);
    const auto code = child.wait(10s);
    REQUIRE(code.has_value());
    CHECK(*code == 0);
    CHECK(std::chrono::steady_clock::now() - stop_at < 5s);
    CHECK(target.containerCount() == 41);
    CHECK(distinctCopies(target) == 41);

    // Neither the SOAR token nor the status token reaches the log or the outputs.
    const auto log = soar::test::readWholeFile(setup.log);
    CHECK_THAT(log, Catch::Contains("stopping on SIGTERM"));
    for (const auto& secret : {kToken, kStatusToken}) {
        CHECK(log.find(secret) == std::string::npos);
        CHECK(child.err().find(secret) == std::string::npos);
        CHECK(answer.body.find(secret) == std::string::npos);
    }
}

TEST_CASE("run: /status shows a long pass while it runs, and SIGTERM mid-pass loses nothing",
          "[app][integration]") {
    auto source_options = seeded(60, 0);
    source_options.latency_ms = 40;
    auto target_options = empty();
    target_options.latency_ms = 40;
    Emulator source(source_options);
    Emulator target(target_options);
    Setup setup(source, target);
    {
        Child child({"--config", setup.config, "run"}, setup.path(), kEnv);
        REQUIRE(eventually([&] { return setup.statusPort().has_value(); }, 10s));
        const auto port = *setup.statusPort();
        bool saw_running = false;
        REQUIRE(eventually(
            [&] {
                const auto answer = httpGet(port, "/status");
                if (answer.status != 200) return false;
                const auto root =
                    Poco::JSON::Parser().parse(answer.body).extract<Poco::JSON::Object::Ptr>();
                const auto t =
                    root->getArray("routes")->getObject(0)->getArray("targets")->getObject(0);
                if (t->isNull("running")) return false;
                const auto running = t->getObject("running");
                saw_running = !running->getValue<std::string>("started_at").empty() &&
                              running->getObject("containers")->getValue<int>("created") > 0;
                return saw_running;
            },
            15s));
        CHECK(saw_running);
        CHECK(httpGet(port, "/readyz").status == 503);
        CHECK(target.containerCount() < 60);

        child.signal(SIGTERM);
        const auto code = child.wait(10s);
        REQUIRE(code.has_value());
        CHECK(*code == 0);
    }
    const auto copied = target.containerCount();
    CHECK(copied < 60);
    // The next run finishes the job without duplicating what the stopped one wrote.
    source.setFaults(0, 0, 0);
    target.setFaults(0, 0, 0);
    Child again({"--config", setup.config, "sync-once"}, setup.path(), kEnv);
    const auto code = again.wait(30s);
    REQUIRE(code.has_value());
    CHECK(*code == 0);
    CHECK(target.containerCount() == 60);
    CHECK(distinctCopies(target) == 60);

    Child status({"--config", setup.config, "status"}, setup.path(), kEnv);
    REQUIRE(status.wait(10s) == std::optional<int>(0));
    CHECK_THAT(status.out(), Catch::Contains("main"));
    CHECK_THAT(status.out(), Catch::Contains("dst"));
    Child json({"--config", setup.config, "status", "--json"}, setup.path(), kEnv);
    REQUIRE(json.wait(10s) == std::optional<int>(0));
    CHECK_THAT(json.out(), Catch::Contains("\"containers_created\""));
}

TEST_CASE("sync-once: exit 0, 69 when a target refuses the token, and the token never leaks",
          "[app][integration]") {
    Emulator source(seeded(5, 1));
    auto refusing = empty();
    refusing.token = "another-token-entirely";
    Emulator target(refusing);
    Setup setup(source, target, "playbook = local/triage\n");
    Child child({"--config", setup.config, "sync-once"}, setup.path(), kEnv);
    const auto code = child.wait(30s);
    REQUIRE(code.has_value());
    CHECK(*code == 69);
    CHECK_THAT(child.err(), Catch::Contains("[instance.dst]"));
    Child status({"--config", setup.config, "status", "--json"}, setup.path(), kEnv);
    // A failing target: status exits 1.
    REQUIRE(status.wait(10s) == std::optional<int>(1));
    CHECK_THAT(status.out(), Catch::Contains("\"failing\": true"));
    for (const auto& text :
         {soar::test::readWholeFile(setup.log), child.err(), child.out(), status.out()}) {
        CHECK(text.find(kToken) == std::string::npos);
    }

    Emulator good_target(empty());
    Setup good(source, good_target, "playbook = local/triage\n");
    Child ok({"--config", good.config, "sync-once"}, good.path(), kEnv);
    REQUIRE(ok.wait(30s) == std::optional<int>(0));
    CHECK(good_target.containerCount() == 5);
    CHECK(good_target.playbookRunCount() == 5);
}

TEST_CASE("a token and escape sequences in a record reach no output, log or state file",
          "[app][integration]") {
    // A label carrying the token, a terminal escape and a forged log line: the target refuses
    // it, so its name comes back in the dead letter's message and the pass's last error.
    Emulator source(seeded(2, 0));
    const std::string label = kToken + "\x1b]0;owned\x07\n2026-01-01 [Information] forged";
    source.addLabel(label);
    Poco::JSON::Object container;
    container.set("name", "hostile");
    container.set("label", label);
    std::ostringstream json;
    container.stringify(json);
    (void)source.createContainer(json.str());
    Emulator target(empty());
    Setup setup(source, target);
    Child once({"--config", setup.config, "sync-once"}, setup.path(), kEnv);
    REQUIRE(once.wait(30s) == std::optional<int>(1));
    // Every child writes to the same stdout.txt and stderr.txt: keep each one's output.
    std::vector<std::string> outputs = {once.err(), once.out()};
    CHECK(target.containerCount() == 2);
    // status and dead-letters run without the token in their environment: what they print
    // was masked before it was stored.
    Child status({"--config", setup.config, "status"}, setup.path());
    (void)status.wait(10s);
    outputs.push_back(status.out());
    Child letters({"--config", setup.config, "dead-letters"}, setup.path());
    REQUIRE(letters.wait(10s) == std::optional<int>(0));
    CHECK_THAT(letters.out(), Catch::Contains("***") && Catch::Contains("\\x1b]0;owned"));
    outputs.push_back(letters.out());
    Child letters_json({"--config", setup.config, "dead-letters", "--json"}, setup.path());
    REQUIRE(letters_json.wait(10s) == std::optional<int>(0));
    outputs.push_back(letters_json.out());
    outputs.push_back(soar::test::readWholeFile(setup.log));
    const auto state = setup.dir.path() / "state" / "state.db";
    std::string stored = soar::test::readWholeFile(state.string());
    if (std::filesystem::exists(state.string() + "-wal")) {
        stored += soar::test::readWholeFile(state.string() + "-wal");
    }
    outputs.push_back(stored);
    // Started with umask 022, the daemon still keeps its files from others.
    using std::filesystem::perms;
    const auto mode = [](const std::filesystem::path& p) {
        return std::filesystem::status(p).permissions() & perms::all;
    };
    CHECK(mode(state) == (perms::owner_read | perms::owner_write));
    CHECK((mode(setup.log) & perms::others_all) == perms::none);
    CHECK((mode(setup.log) & perms::group_write) == perms::none);
    for (const auto& text : outputs) {
        CHECK(text.find(kToken) == std::string::npos);
        // (The state file is binary: a lone 0x1b byte may be part of a number there.)
        CHECK(text.find("\x1b]0;owned") == std::string::npos);
        CHECK(text.find("\n2026-01-01 [Information] forged") == std::string::npos);
    }
}

TEST_CASE("SIGHUP: the daemon goes on, reopens its log and uses a rotated token file",
          "[app][integration]") {
    Emulator source(seeded(5, 1));
    Emulator target(empty());
    Setup setup(source, target);
    const auto token_file = setup.dir.path() / "src.token";
    const auto writeToken = [&](const std::string& token) {
        const auto next = token_file.string() + ".new";
        std::ofstream(next) << token << "\n";
        std::filesystem::permissions(
            next, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
        std::filesystem::rename(next, token_file);  // as secret agents replace a file
    };
    writeToken(kToken);
    // The source's token comes from the file; the target's from the environment.
    auto ini = soar::test::readWholeFile(setup.config);
    const std::string from_env = "token_env = TEST_SOAR_TOKEN\n";
    ini.replace(ini.find(from_env), from_env.size(), "token_file = src.token\n");
    std::ofstream(setup.config, std::ios::trunc) << ini;
    Child daemon({"--config", setup.config, "run"}, setup.path(), kEnv);
    REQUIRE(eventually([&] { return target.containerCount() == 5; }, 20s));

    // logrotate's way: the file is moved away, then SIGHUP.
    std::filesystem::rename(setup.log, setup.log + ".1");
    const std::string rotated = "rotated-token-7f1c9a2e4b";
    writeToken(rotated);
    source.setToken(rotated);
    daemon.signal(SIGHUP);
    REQUIRE(eventually(
        [&] {
            return soar::test::readWholeFile(setup.log).find(
                       "SIGHUP: log file reopened, token files read again") != std::string::npos;
        },
        10s));
    (void)source.createContainer(R"({"name": "after the rotation", "label": "events"})");
    CHECK(eventually([&] { return target.containerCount() == 6; }, 20s));
    CHECK(daemon.running());
    daemon.signal(SIGTERM);
    CHECK(daemon.wait(10s) == std::optional<int>(0));
    CHECK(distinctCopies(target) == 6);
    for (const auto& log :
         {soar::test::readWholeFile(setup.log), soar::test::readWholeFile(setup.log + ".1")}) {
        CHECK(log.find(kToken) == std::string::npos);
        CHECK(log.find(rotated) == std::string::npos);
    }
}

TEST_CASE("a container nested too deep for a list answer costs one dead letter, not the route",
          "[app][integration]") {
    Emulator source(seeded(4, 1));
    // 127 levels inside the container: the emulator takes it (128 in all), but in a list
    // answer (two levels more) no JSON parser of soar-sync's depth reads it.
    std::string deep;
    for (int i = 0; i < 126; ++i) deep += "{\"a\": ";
    deep += "1";
    for (int i = 0; i < 126; ++i) deep += "}";
    const auto hostile = source.createContainer(R"({"name": "deep", "data": )" + deep + "}");
    Emulator target(empty());
    Setup setup(source, target, "page_size = 50\n");
    Child once({"--config", setup.config, "sync-once"}, setup.path(), kEnv);
    REQUIRE(once.wait(60s) == std::optional<int>(1));
    CHECK_THAT(once.err(), Catch::Contains("1 record(s) dead-lettered"));
    CHECK(target.containerCount() == 4);
    Child letters({"--config", setup.config, "dead-letters", "--json"}, setup.path());
    REQUIRE(letters.wait(10s) == std::optional<int>(0));
    const auto root = Poco::JSON::Parser().parse(letters.out()).extract<Poco::JSON::Object::Ptr>();
    REQUIRE(root->getValue<int>("total") == 1);
    const auto letter = root->getArray("dead_letters")->getObject(0);
    CHECK(letter->getValue<std::int64_t>("source_id") == hostile);
    CHECK_THAT(letter->getValue<std::string>("message"),
               Catch::StartsWith("the source's answer cannot be read: nesting deeper than 128 "
                                 "levels at byte "));
    // A later pass leaves the dead letter to retry-dead and copies nothing twice.
    Child again({"--config", setup.config, "sync-once"}, setup.path(), kEnv);
    REQUIRE(again.wait(60s) == std::optional<int>(0));
    CHECK(target.containerCount() == 4);
}

TEST_CASE("a record over max_record_size is dead-lettered unread, a page over it read smaller",
          "[app][integration]") {
    Emulator source(seeded(3, 1));
    const auto blob = [](char c, std::size_t size) {
        return R"({"name": "big", "data": {"blob": ")" + std::string(size, c) + "\"}}";
    };
    const auto huge = source.createContainer(blob('x', 100 * 1024));
    // Six of 20 KiB: a page of 50 is over 64 KiB, a page of two is not.
    for (int i = 0; i < 6; ++i) (void)source.createContainer(blob('y', 20 * 1024));
    Emulator target(empty());
    Setup setup(source, target, "page_size = 50\n[instance.src]\nmax_record_size = 64KiB\n");
    Child once({"--config", setup.config, "sync-once"}, setup.path(), kEnv);
    const auto code = once.wait(60s);
    INFO(once.err());
    REQUIRE(code == std::optional<int>(1));
    CHECK_THAT(once.err(), Catch::Contains("1 record(s) dead-lettered"));
    CHECK(target.containerCount() == 9);
    Child letters({"--config", setup.config, "dead-letters", "--json"}, setup.path());
    REQUIRE(letters.wait(10s) == std::optional<int>(0));
    const auto root = Poco::JSON::Parser().parse(letters.out()).extract<Poco::JSON::Object::Ptr>();
    REQUIRE(root->getValue<int>("total") == 1);
    const auto letter = root->getArray("dead_letters")->getObject(0);
    CHECK(letter->getValue<std::int64_t>("source_id") == huge);
    CHECK(letter->getValue<std::string>("message") ==
          "the source's answer cannot be read: larger than max_record_size (64 KiB)");
}

TEST_CASE("check: a table, and non-zero on a missing label or playbook", "[app][integration]") {
    Emulator source(seeded(1, 0));
    Emulator target(empty());
    Setup fine(source, target, "label_map = events:events\nplaybook = local/triage\n");
    Child ok({"--config", fine.config, "check"}, fine.path(), kEnv);
    REQUIRE(ok.wait(20s) == std::optional<int>(0));
    CHECK_THAT(ok.out(), Catch::Contains("reachable, token valid"));
    CHECK_THAT(ok.out(), Catch::Contains("playbook exists"));

    Setup broken(source, target, "label_map = events:missing_label\nplaybook = local/nope\n");
    Child bad({"--config", broken.config, "check"}, broken.path(), kEnv);
    const auto code = bad.wait(20s);
    REQUIRE(code.has_value());
    CHECK(*code == 1);
    CHECK_THAT(bad.out(), Catch::Contains("missing_label"));
    CHECK_THAT(bad.out(), Catch::Contains("FAIL"));
}

TEST_CASE("config and usage errors exit 78 and 64 with a message", "[app][integration]") {
    Emulator source(seeded(1, 0));
    Emulator target(empty());
    Setup setup(source, target, "poll_intervall = 5s\n");
    Child child({"--config", setup.config, "sync-once"}, setup.path(), kEnv);
    REQUIRE(child.wait(10s) == std::optional<int>(78));
    CHECK_THAT(child.err(), Catch::Contains("[route.main] poll_intervall: unknown key"));

    Setup env_config(source, target);
    Child by_env({"status"}, env_config.path(), {"SOAR_SYNC_CONFIG=" + env_config.config});
    // Read through SOAR_SYNC_CONFIG; no pass has run yet: exit 3.
    CHECK(by_env.wait(10s) == std::optional<int>(3));
    CHECK_THAT(by_env.out(), Catch::Contains("no pass has run"));

    Child unset({"--config", env_config.config, "sync-once"}, env_config.path());
    REQUIRE(unset.wait(10s) == std::optional<int>(78));
    CHECK_THAT(unset.err(), Catch::Contains("TEST_SOAR_TOKEN"));

    Child usage({"resync", "--all"}, setup.path());
    CHECK(usage.wait(10s) == std::optional<int>(64));
    CHECK_THAT(usage.err(), Catch::Contains("resync needs --route R"));
}

TEST_CASE("dead letters end to end: listed, served, logged, re-driven by id once fixed",
          "[app][integration]") {
    Emulator source(seeded(3, 1));
    source.addLabel("phishing");
    const auto phishing = source.createContainer(R"({"name": "bad", "label": "phishing"})");
    Emulator target(empty());  // knows events and incident only
    Setup setup(source, target);

    // Before any pass: status says so with exit 3.
    Child before({"--config", setup.config, "status"}, setup.path(), kEnv);
    CHECK(before.wait(10s) == std::optional<int>(3));

    Child once({"--config", setup.config, "sync-once"}, setup.path(), kEnv);
    REQUIRE(once.wait(30s) == std::optional<int>(1));
    CHECK_THAT(once.err(), Catch::Contains("1 record(s) dead-lettered"));
    CHECK(target.containerCount() == 3);

    Child table({"--config", setup.config, "dead-letters"}, setup.path());
    REQUIRE(table.wait(10s) == std::optional<int>(0));
    for (const char* column : {"ROUTE", "TARGET", "KIND", "SOURCE ID", "ATTEMPTS", "FIRST SEEN",
                               "LAST SEEN", "MESSAGE"}) {
        CHECK_THAT(table.out(), Catch::Contains(column));
    }
    CHECK_THAT(table.out(), Catch::Contains(std::to_string(phishing)));
    CHECK_THAT(table.out(), Catch::Contains("phishing"));

    Child json({"--config", setup.config, "dead-letters", "--json", "--route", "main"},
               setup.path());
    REQUIRE(json.wait(10s) == std::optional<int>(0));
    const auto root = Poco::JSON::Parser().parse(json.out()).extract<Poco::JSON::Object::Ptr>();
    CHECK(root->getValue<int>("total") == 1);
    const auto letter = root->getArray("dead_letters")->getObject(0);
    CHECK(letter->getValue<std::string>("route") == "main");
    CHECK(letter->getValue<std::string>("target") == "dst");
    CHECK(letter->getValue<std::string>("kind") == "container");
    CHECK(letter->getValue<std::int64_t>("source_id") == phishing);
    CHECK(letter->getValue<int>("attempts") == 1);
    CHECK_FALSE(letter->getValue<std::string>("first_seen").empty());
    CHECK_THAT(letter->getValue<std::string>("message"), Catch::Contains("phishing"));

    // One Warning line for the record, with the target's message.
    const auto log = soar::test::readWholeFile(setup.log);
    CHECK_THAT(log, Catch::Contains("Warning"));
    CHECK_THAT(log, Catch::Contains("source container " + std::to_string(phishing) +
                                    " dead-lettered (attempt 1)"));

    Child dead_status({"--config", setup.config, "status"}, setup.path());
    CHECK(dead_status.wait(10s) == std::optional<int>(1));
    CHECK_THAT(dead_status.out(), Catch::Contains("dead-letters --route main"));

    // The daemon serves them too.
    {
        Child daemon({"--config", setup.config, "run"}, setup.path(), kEnv);
        REQUIRE(eventually([&] { return setup.statusPort().has_value(); }, 10s));
        const auto answer = httpGet(*setup.statusPort(), "/dead-letters");
        CHECK(answer.status == 200);
        CHECK(answer.content_type == "application/json");
        CHECK_THAT(answer.body, Catch::Contains("\"source_id\": " + std::to_string(phishing)));
        daemon.signal(SIGTERM);
        CHECK(daemon.wait(10s) == std::optional<int>(0));
    }

    // An id that is not dead-lettered is a usage error; the fixed record goes through.
    Child wrong({"--config", setup.config, "retry-dead", "--id", "999999"}, setup.path(), kEnv);
    CHECK(wrong.wait(20s) == std::optional<int>(64));
    CHECK_THAT(wrong.err(), Catch::Contains("no dead letter for source id(s) 999999"));
    target.addLabel("phishing");
    Child retry({"--config", setup.config, "retry-dead", "--id", std::to_string(phishing)},
                setup.path(), kEnv);
    REQUIRE(retry.wait(30s) == std::optional<int>(0));
    CHECK(target.containerCount() == 4);
    Child after({"--config", setup.config, "dead-letters"}, setup.path());
    REQUIRE(after.wait(10s) == std::optional<int>(0));
    CHECK_THAT(after.out(), Catch::Contains("no dead letters"));
    Child healthy({"--config", setup.config, "status"}, setup.path());
    CHECK(healthy.wait(10s) == std::optional<int>(0));
}

TEST_CASE("usage errors: one line and a pointer to --help, nearest command, routes listed",
          "[app][integration]") {
    Emulator source(seeded(2, 0));
    Emulator target(empty());
    Setup setup(source, target);

    Child typo({"--config", setup.config, "stauts"}, setup.path());
    CHECK(typo.wait(10s) == std::optional<int>(64));
    CHECK_THAT(typo.err(), Catch::Contains("unknown command 'stauts'; did you mean 'status'?"));
    CHECK_THAT(typo.err(), Catch::Contains("see 'soar-sync --help'"));
    CHECK(typo.err().find("Options:") == std::string::npos);
    const auto err = typo.err();
    CHECK(std::count(err.begin(), err.end(), '\n') == 2);

    for (const char* command : {"sync-once", "retry-dead", "dead-letters"}) {
        INFO(command);
        Child route({"--config", setup.config, command, "--route", "mian"}, setup.path(), kEnv);
        CHECK(route.wait(10s) == std::optional<int>(64));
        CHECK_THAT(route.err(), Catch::Contains("no route 'mian'"));
        CHECK_THAT(route.err(), Catch::Contains("did you mean 'main'?"));
        CHECK_THAT(route.err(), Catch::Contains("its routes: main"));
    }

    // A container the source does not have: reported, and a non-zero exit.
    Child resync({"--config", setup.config, "resync", "--route", "main", "--container", "424242"},
                 setup.path(), kEnv);
    const auto code = resync.wait(20s);
    REQUIRE(code.has_value());
    CHECK(*code != 0);
    CHECK_THAT(resync.err(), Catch::Contains("not found: 424242"));
}

TEST_CASE("a missing token is a config error naming the instance and key, in every command",
          "[app][integration]") {
    Emulator source(seeded(2, 0));
    Emulator target(empty());
    Setup setup(source, target);
    for (const std::vector<std::string>& command : {std::vector<std::string>{"sync-once"},
                                                    {"retry-dead"},
                                                    {"resync", "--route", "main", "--all"},
                                                    {"run"}}) {
        INFO(command.front());
        auto args = command;
        args.insert(args.begin(), {"--config", setup.config});
        Child child(args, setup.path());  // no TEST_SOAR_TOKEN in the environment
        REQUIRE(child.wait(10s) == std::optional<int>(78));
        CHECK_THAT(child.err(), Catch::Matches(".*\\[instance\\.(src|dst)\\] token_env.*\n?",
                                               Catch::CaseSensitive::Yes));
        CHECK_THAT(child.err(), Catch::Contains("TEST_SOAR_TOKEN"));
    }
    // check: the credentials row fails, the rest says SKIP with the reason, exit 78.
    Child check({"--config", setup.config, "check"}, setup.path());
    REQUIRE(check.wait(20s) == std::optional<int>(78));
    CHECK_THAT(check.out(), Catch::Contains("SKIP"));
    CHECK_THAT(check.out(), Catch::Contains("no credentials"));
    CHECK(check.out().find("unreachable") == std::string::npos);
}

TEST_CASE("check warns about labels of recent source containers the target lacks",
          "[app][integration]") {
    Emulator source(seeded(5, 0));
    source.addLabel("phishing");
    (void)source.createContainer(R"({"name": "p", "label": "phishing"})");
    Emulator target(empty());
    Setup setup(source, target);
    Child check({"--config", setup.config, "check"}, setup.path(), kEnv);
    REQUIRE(check.wait(20s) == std::optional<int>(0));  // a warning, not a failure
    CHECK_THAT(check.out(), Catch::Contains("labels of recent containers"));
    CHECK_THAT(check.out(), Catch::Contains("WARN"));
    CHECK_THAT(check.out(), Catch::Contains("phishing"));

    // Mapped away by label_map, the warning goes.
    Setup mapped(source, target, "label_map = phishing:events\n");
    Child ok({"--config", mapped.config, "check"}, mapped.path(), kEnv);
    REQUIRE(ok.wait(20s) == std::optional<int>(0));
    CHECK(ok.out().find("WARN") == std::string::npos);

    // Files larger than a default SOAR web server takes: a warning naming the key.
    Setup files(source, target,
                "label_map = phishing:events\nattachments = true\nattachment_max_size = 40MiB\n");
    Child large({"--config", files.config, "check"}, files.path(), kEnv);
    REQUIRE(large.wait(20s) == std::optional<int>(0));
    CHECK_THAT(large.out(), Catch::Contains("file size limit") && Catch::Contains("WARN") &&
                                Catch::Contains("attachment_max_size is 41943040 bytes"));

    // Cases made from a template the target lacks: a warning naming it.
    (void)source.addWorkbookTemplate(
        {"Phishing", {{"Triage", {{"Review", "", false}}}}, "", false});
    (void)source.createContainer(
        R"({"name": "case", "label": "events", "container_type": "case", "template_id": 1})");
    Setup cases(source, target, "label_map = phishing:events\nworkbooks = true\n");
    Child templates({"--config", cases.config, "check"}, cases.path(), kEnv);
    REQUIRE(templates.wait(20s) == std::optional<int>(0));
    CHECK_THAT(templates.out(), Catch::Contains("workbook templates") &&
                                    Catch::Contains("cases on the source use Phishing"));
    (void)target.addWorkbookTemplate(
        {"Phishing", {{"Triage", {{"Review", "", false}}}}, "", false});
    Child present({"--config", cases.config, "check"}, cases.path(), kEnv);
    REQUIRE(present.wait(20s) == std::optional<int>(0));
    CHECK(present.out().find("WARN") == std::string::npos);

    // Two-way statuses: one the source lacks travels by type, said with the closing caveat.
    (void)target.addStatus("escalated", "open");
    Setup two_way(source, target, "label_map = phishing:events\nmirror_back = status\n");
    Child statuses({"--config", two_way.config, "check"}, two_way.path(), kEnv);
    REQUIRE(statuses.wait(20s) == std::optional<int>(0));
    CHECK_THAT(statuses.out(), Catch::Contains("two-way statuses") && Catch::Contains("WARN") &&
                                   Catch::Contains("escalated (open) on") &&
                                   Catch::Contains("container_resolved"));

    // Custom lists: each must exist on the source; a missing one fails the check, named.
    (void)source.putList("blocklist", R"([["1.2.3.4"], ["5.6.7.8"]])");
    Setup lists(source, target, "label_map = phishing:events\nlists = blocklist,vip_users\n");
    Child missing({"--config", lists.config, "check"}, lists.path(), kEnv);
    REQUIRE(missing.wait(20s) == std::optional<int>(1));
    CHECK_THAT(missing.out(), Catch::Contains("custom lists") && Catch::Contains("FAIL") &&
                                  Catch::Contains("'vip_users' does not exist on"));
    (void)source.putList("vip_users", R"([["ceo@example.com"]])");
    Child found({"--config", lists.config, "check"}, lists.path(), kEnv);
    REQUIRE(found.wait(20s) == std::optional<int>(0));
    CHECK_THAT(found.out(), Catch::Contains("blocklist (2 rows), vip_users (1 row)"));

    // Closing copies of deleted containers: said, with the playbook caveat.
    Setup close(source, target, "label_map = phishing:events\non_source_delete = close\n");
    Child closing({"--config", close.config, "check"}, close.path(), kEnv);
    REQUIRE(closing.wait(20s) == std::optional<int>(0));
    CHECK_THAT(closing.out(),
               Catch::Contains("deletions") && Catch::Contains("is closed on dst with a comment"));
}

namespace {

/// A copy of `setup`'s config as node `node` (lease_ttl 2s) with a log of its own, on the
/// same state file.
std::string nodeConfig(const Setup& setup, const std::string& node) {
    auto text = soar::test::readWholeFile(setup.config);
    const auto http = text.find("[http]\n");
    text.insert(http, "[cluster]\nnode = " + node + "\nlease_ttl = 2s\n");
    const auto log = text.find(setup.log);
    text.replace(log, setup.log.size(), setup.path() + "/" + node + ".log");
    const auto path = setup.path() + "/" + node + ".ini";
    std::ofstream(path) << text;
    std::filesystem::create_directories(setup.path() + "/" + node);
    return path;
}

/// The node `status --json` names as the owner of route `main`; empty when none.
std::string ownerOf(const std::string& config, const std::string& dir) {
    Child status({"--config", config, "status", "--json"}, dir, kEnv);
    (void)status.wait(20s);
    const auto root = Poco::JSON::Parser().parse(status.out()).extract<Poco::JSON::Object::Ptr>();
    const auto lease = root->getArray("routes")->getObject(0)->getObject("lease");
    if (!lease || lease->getValue<double>("expires_in_seconds") <= 0) return "";
    return lease->getValue<std::string>("owner");
}

}  // namespace

TEST_CASE("two daemons on one state file: a standby takes over a paused owner, nothing twice",
          "[app][integration]") {
    Emulator source(seeded(5, 0));
    Emulator target(empty());
    Setup setup(source, target, "playbook = local/triage\n");
    const auto alpha_config = nodeConfig(setup, "alpha");
    const auto beta_config = nodeConfig(setup, "beta");
    const auto log_of = [&](const std::string& node) {
        return soar::test::readWholeFile(setup.path() + "/" + node + ".log");
    };
    std::map<std::string, std::unique_ptr<Child>> daemons;
    daemons["alpha"] = std::make_unique<Child>(
        std::vector<std::string>{"--config", alpha_config, "run"}, setup.path() + "/alpha", kEnv);
    REQUIRE(eventually([&] { return target.containerCount() == 5; }, 20s));
    daemons["beta"] = std::make_unique<Child>(
        std::vector<std::string>{"--config", beta_config, "run"}, setup.path() + "/beta", kEnv);
    REQUIRE(eventually(
        [&] { return log_of("beta").find("standby, holds no route") != std::string::npos; }, 10s));
    CHECK(ownerOf(alpha_config, setup.path()) == "alpha");

    // A resync beside them: the owner hands the route over for it, then takes it again.
    Child resync({"--config", beta_config, "resync", "--route", "main", "--all"}, setup.path(),
                 kEnv);
    REQUIRE(resync.wait(40s) == std::optional<int>(0));
    CHECK(distinctCopies(target) == 5);

    // The owner stops (SIGSTOP): the other one takes the route after lease_ttl and syncs
    // what came meanwhile; the paused one, woken up, has lost it and writes nothing.
    std::string owner;
    REQUIRE(
        eventually([&] { return !(owner = ownerOf(alpha_config, setup.path())).empty(); }, 15s));
    const std::string other = owner == "alpha" ? "beta" : "alpha";
    daemons[owner]->signal(SIGSTOP);
    for (int i = 0; i < 5; ++i) {
        (void)source.createContainer(R"({"name": "while paused", "label": "events"})");
    }
    REQUIRE(eventually([&] { return target.containerCount() == 10; }, 20s));
    CHECK(log_of(other).find("route main: lease taken") != std::string::npos);
    daemons[owner]->signal(SIGCONT);
    REQUIRE(eventually(
        [&] { return log_of(owner).find("lease lost to another daemon") != std::string::npos; },
        10s));
    CHECK(ownerOf(alpha_config, setup.path()) == other);

    // The new owner is killed: the first one takes over (its process is gone: at once).
    (void)daemons[other]->kill();
    for (int i = 0; i < 3; ++i) {
        (void)source.createContainer(R"({"name": "after the kill", "label": "events"})");
    }
    REQUIRE(eventually([&] { return target.containerCount() == 13; }, 20s));
    REQUIRE(eventually([&] { return target.playbookRunCount() == 13; }, 20s));
    std::this_thread::sleep_for(3s);
    CHECK(distinctCopies(target) == 13);
    CHECK(target.containerCount() == 13);
    CHECK(target.playbookRunCount() == 13);

    daemons[owner]->signal(SIGTERM);
    CHECK(daemons[owner]->wait(15s) == std::optional<int>(0));
    CHECK(log_of(owner).find("leases released") != std::string::npos);
}

TEST_CASE("a refused connection counts as unreachable, with no token in sight",
          "[app][integration]") {
    Emulator source(seeded(2, 0));
    unsigned short closed_port = 0;
    {
        Emulator gone(empty());
        closed_port = gone.port();
    }
    Emulator target(empty());
    Setup setup(source, target);
    // Point the target at the closed port.
    auto text = soar::test::readWholeFile(setup.config);
    const auto at = text.find(target.baseUrl());
    REQUIRE(at != std::string::npos);
    text.replace(at, target.baseUrl().size(), "http://127.0.0.1:" + std::to_string(closed_port));
    std::ofstream(setup.config) << text;

    Child daemon({"--config", setup.config, "run"}, setup.path(), kEnv);
    REQUIRE(eventually([&] { return setup.statusPort().has_value(); }, 10s));
    const auto port = *setup.statusPort();
    CHECK(eventually(
        [&] {
            const auto metrics = httpGet(port, "/metrics").body;
            return metrics.find(
                       "soar_sync_errors_total{route=\"main\",target=\"dst\","
                       "kind=\"unreachable\"} 0") == std::string::npos &&
                   metrics.find("kind=\"unreachable\"}") != std::string::npos;
        },
        20s));
    const auto metrics = httpGet(port, "/metrics").body;
    CHECK_THAT(metrics, Catch::Contains("soar_sync_client_errors_total{instance=\"dst\","
                                        "kind=\"unreachable\"}"));
    CHECK_THAT(metrics, Catch::Contains("unreachable: an instance refused the connection"));
    daemon.signal(SIGTERM);
    CHECK(daemon.wait(10s) == std::optional<int>(0));
    CHECK_THAT(soar::test::readWholeFile(setup.log), Catch::Contains("connection refused"));

    // Transient, not failing (design §5: only credentials and TLS make a target failing):
    // the error is the last one, and status exits 3, since no pass finished.
    Child status({"--config", setup.config, "status", "--json"}, setup.path());
    CHECK(status.wait(10s) == std::optional<int>(3));
    CHECK_THAT(status.out(), Catch::Contains("\"failing\": false"));
    CHECK_THAT(status.out(), Catch::Contains("connection refused"));
}
