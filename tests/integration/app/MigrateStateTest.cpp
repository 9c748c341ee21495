/// `soar-sync migrate-state` as a child process: a state file that `sync-once` wrote against
/// soar-emulator instances is copied into a PostgreSQL database of the test server (a schema of
/// its own), a second copy is refused until `--into-non-empty`, and `status`, `dead-letters`
/// and `check` with `[state] backend = postgresql` read what was copied. The database password
/// never shows in any output. Skipped, with a warning, when no PostgreSQL server can be
/// started (PgTestServer).

#include "AppTestSupport.h"
#include "PgTestServer.h"
#include "soar/emulator/Emulator.h"
#include "support/ChildProcess.h"
#include "support/TempDir.h"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <catch2/catch.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

namespace {

using namespace std::chrono_literals;
using soar::emulator::Emulator;
using soar::emulator::EmulatorOptions;
using soar::state::test::PgTestServer;
using soar::test::Child;

const std::string kToken = "soar-tok-5b2d9e71-never-print";
constexpr int kContainers = 12;

/// The test server, or null (with a warning) when none can be started.
PgTestServer* testServer() {
    try {
        return &PgTestServer::get();
    } catch (const std::exception& e) {
        WARN("no PostgreSQL test server (" << e.what() << "): migrate-state not tested");
        return nullptr;
    }
}

/// A schema of its own on the test server for one test, dropped at the end.
struct Database {
    explicit Database(PgTestServer& pg) : server(pg), name(pg.createSchema()) {}
    ~Database() { server.dropSchema(name); }
    Database(const Database&) = delete;
    Database& operator=(const Database&) = delete;
    [[nodiscard]] std::string url() const { return server.urlFor(name); }

    PgTestServer& server;
    std::string name;
};

/// Two emulators, a folder with a SQLite config (`sqlite.ini`) whose state `sync-once` has
/// written, and the same config on PostgreSQL (`postgresql.ini`, written by usePostgresql()).
struct Setup {
    explicit Setup(const PgTestServer& server)
        : source(seeded()), target(unseeded()), password(server.password()) {
        std::ofstream(dir.path() / "sqlite.ini")
            << "[state]\npath = state/state.db\npassword_env = TEST_PG_PASSWORD\n"
            << common();
    }
    static EmulatorOptions seeded() {
        EmulatorOptions o;
        o.token = kToken;
        o.seed = 5;
        o.containers = kContainers;
        o.artifacts = 2;
        return o;
    }
    static EmulatorOptions unseeded() {
        EmulatorOptions o;
        o.token = kToken;
        return o;
    }
    [[nodiscard]] std::string common() const {
        return "[http]\nlisten = off\n[log]\nfile = " + log() +
               "\n[instance.src]\nurl = " + source.baseUrl() +
               "\nallow_insecure_http = true\ntoken_env = TEST_SOAR_TOKEN\nretries = 1\n"
               "[instance.dst]\nurl = " +
               target.baseUrl() +
               "\nallow_insecure_http = true\ntoken_env = TEST_SOAR_TOKEN\nretries = 1\n"
               "[route.main]\nsource = src\ntargets = dst\npage_size = 5\n";
    }
    void usePostgresql(const std::string& url) const {
        std::ofstream(dir.path() / "postgresql.ini")
            << "[state]\nbackend = postgresql\nurl = " << url
            << "\npassword_env = TEST_PG_PASSWORD\n[cluster]\nnode = test-node\n"
            << common();
    }
    [[nodiscard]] std::string path() const { return dir.path().string(); }
    [[nodiscard]] std::string config(const char* name) const {
        return (dir.path() / name).string();
    }
    [[nodiscard]] std::string log() const { return (dir.path() / "soar-sync.log").string(); }
    [[nodiscard]] std::vector<std::string> env() const {
        return {"TEST_SOAR_TOKEN=" + kToken, "TEST_PG_PASSWORD=" + password};
    }
    /// Runs soar-sync with `args`; its exit code (nullopt: still running after `timeout`).
    std::optional<int> run(const std::vector<std::string>& args, std::string& out, std::string& err,
                           std::chrono::milliseconds timeout = 60s) const {
        Child child(args, path(), env());
        const auto code = child.wait(timeout);
        out = child.out();
        err = child.err();
        return code;
    }

    soar::test::TempDir dir;
    Emulator source;
    Emulator target;
    std::string password;
};

/// `sync-once` with the SQLite config: every container reaches the target.
void syncOnce(const Setup& setup) {
    std::string out;
    std::string err;
    const auto code = setup.run({"--config", setup.config("sqlite.ini"), "sync-once"}, out, err);
    INFO(err);
    REQUIRE(code == std::optional<int>(0));
    REQUIRE(setup.target.containerCount() == kContainers);
}

}  // namespace

TEST_CASE("migrate-state copies a state file into PostgreSQL once, again with --into-non-empty",
          "[app][integration][postgresql]") {
    auto* server = testServer();
    if (server == nullptr) return;
    Database db(*server);
    Setup setup(*server);
    syncOnce(setup);
    const auto sqlite = setup.config("sqlite.ini");
    std::string out;
    std::string err;
    std::vector<std::string> outputs;

    auto code = setup.run({"--config", sqlite, "migrate-state", "--to", db.url()}, out, err);
    INFO(out << err);
    REQUIRE(code == std::optional<int>(0));
    outputs.insert(outputs.end(), {out, err});
    CHECK_THAT(out, Catch::Contains("copied state file " + setup.path() + "/state/state.db"));
    CHECK_THAT(out, Catch::Contains("into state database " + server->url()));
    CHECK_THAT(out, Catch::Contains("container_map"));
    CHECK_THAT(out, Catch::Contains(std::to_string(kContainers)));
    CHECK_THAT(out, Catch::Contains("total"));
    CHECK_THAT(out, Catch::Contains("backend = postgresql"));
    CHECK_THAT(out, Catch::Contains("url = " + db.url()));

    // The database holds a state now: refused, nothing copied, and the way on named.
    code = setup.run({"--config", sqlite, "migrate-state", "--to", db.url()}, out, err);
    CHECK(code == std::optional<int>(64));
    outputs.insert(outputs.end(), {out, err});
    CHECK_THAT(err, Catch::Contains("already holds a state"));
    CHECK_THAT(err, Catch::Contains("--into-non-empty"));
    CHECK_THAT(err, !Catch::Contains("internal error"));

    code = setup.run({"--config", sqlite, "migrate-state", "--to", db.url(), "--into-non-empty"},
                     out, err);
    CHECK(code == std::optional<int>(0));
    outputs.insert(outputs.end(), {out, err});
    CHECK_THAT(out, Catch::Contains("replacing what it held"));

    // A password in --to is refused without being repeated.
    const std::string in_url = "postgresql://soar_sync:hunter2-in-the-url@127.0.0.1/soar_sync";
    code = setup.run({"--config", sqlite, "migrate-state", "--to", in_url}, out, err);
    CHECK(code == std::optional<int>(64));
    CHECK_THAT(err, Catch::Contains("password_env"));
    CHECK_THAT(out + err, !Catch::Contains("hunter2"));

    // A server that does not answer: a peer unavailable.
    code = setup.run({"--config", sqlite, "migrate-state", "--to",
                      "postgresql://soar_sync@127.0.0.1:1/soar_sync"},
                     out, err);
    CHECK(code == std::optional<int>(69));
    outputs.insert(outputs.end(), {out, err});
    CHECK_THAT(err, Catch::Contains("could not be reached"));

    outputs.push_back(soar::test::readWholeFile(setup.log()));
    for (const auto& text : outputs) CHECK_THAT(text, !Catch::Contains(server->password()));
}

TEST_CASE("migrate-state without the password, or from a PostgreSQL config, is refused",
          "[app][integration][postgresql]") {
    auto* server = testServer();
    if (server == nullptr) return;
    Setup setup(*server);
    setup.usePostgresql(server->url() + "?sslmode=require");
    // A state file to copy (never opened: the password is missing first).
    std::filesystem::create_directories(setup.dir.path() / "state");
    std::ofstream(setup.dir.path() / "state" / "state.db") << "";
    std::string out;
    std::string err;
    Child no_password(
        {"--config", setup.config("sqlite.ini"), "migrate-state", "--to", server->url()},
        setup.path(), {"TEST_PG_PASSWORD="});
    CHECK(no_password.wait(20s) == std::optional<int>(78));
    CHECK_THAT(no_password.err(), Catch::Contains("[state] password_env: the variable "
                                                  "TEST_PG_PASSWORD is not set or empty"));

    const auto code = setup.run(
        {"--config", setup.config("postgresql.ini"), "migrate-state", "--to", server->url()}, out,
        err, 20s);
    CHECK(code == std::optional<int>(64));
    CHECK_THAT(err, Catch::Contains("says [state] backend = postgresql"));
}

TEST_CASE("status, dead-letters and check read a migrated state on PostgreSQL",
          "[app][integration][postgresql]") {
    auto* server = testServer();
    if (server == nullptr) return;
    Database db(*server);
    Setup setup(*server);
    setup.usePostgresql(db.url());
    const auto postgresql = setup.config("postgresql.ini");
    std::string out;
    std::string err;

    // An empty database: no state yet, as with no state file.
    auto code = setup.run({"--config", postgresql, "status"}, out, err, 20s);
    INFO(out << err);
    CHECK(code == std::optional<int>(3));
    CHECK_THAT(out, Catch::Contains("no state yet in state database " + server->url()));

    syncOnce(setup);
    code = setup.run({"--config", setup.config("sqlite.ini"), "migrate-state", "--to", db.url()},
                     out, err);
    REQUIRE(code == std::optional<int>(0));

    code = setup.run({"--config", postgresql, "status", "--json"}, out, err, 20s);
    REQUIRE(code == std::optional<int>(0));
    const auto status = Poco::JSON::Parser().parse(out).extract<Poco::JSON::Object::Ptr>();
    const auto route = status->getArray("routes")->getObject(0);
    CHECK(route->getValue<std::string>("name") == "main");
    const auto target = route->getArray("targets")->getObject(0);
    CHECK(target->getObject("mappings")->getValue<int>("containers") == kContainers);
    CHECK(target->getValue<int>("dead_letters") == 0);

    code = setup.run({"--config", postgresql, "status"}, out, err, 20s);
    CHECK(code == std::optional<int>(0));
    CHECK_THAT(out, Catch::Contains("main"));

    code = setup.run({"--config", postgresql, "dead-letters"}, out, err, 20s);
    CHECK(code == std::optional<int>(0));

    code = setup.run({"--config", postgresql, "check"}, out, err, 30s);
    CHECK(code == std::optional<int>(0));
    CHECK_THAT(out, Catch::Contains("postgresql, state database " + server->url()));
    CHECK_THAT(out, Catch::Contains("schema version"));
    CHECK_THAT(out, Catch::Contains("node test-node"));
    CHECK_THAT(out + err, !Catch::Contains(server->password()));
}
