// [state] and [cluster] (StateConfigReader.cpp): the backends, the state database's url and
// password, this daemon's node, lease_ttl and routes; the reference config and the docs that
// describe them.

#include "ConfigTestUtil.h"
#include "soar/app/Config.h"
#include "support/ChildProcess.h"
#include "support/TempDir.h"

#include <Poco/Environment.h>
#include <Poco/String.h>
#include <catch2/catch.hpp>

#include <cstdlib>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

namespace {

using soar::app::ConfigError;
using soar::app::loadConfig;
using soar::app::test::errorOf;
using soar::app::test::kInstances;
using soar::app::test::kRoute;
using soar::app::test::write;

}  // namespace

TEST_CASE("[state] and [cluster] default to a SQLite file and every route on this host",
          "[app][config]") {
    soar::test::TempDir dir;
    const auto config = loadConfig(write(dir, kInstances + kRoute));
    CHECK(config.state.backend == soar::state::StateOptions::Backend::Sqlite);
    CHECK(config.state.path == "/var/lib/soar-sync/state.db");
    CHECK(config.state.url.empty());
    CHECK(config.state_password_env.empty());
    CHECK(config.state_password_file.empty());
    CHECK(config.cluster.node == soar::app::nodeNameOf(Poco::Environment::nodeName()));
    CHECK(config.cluster.lease_ttl == std::chrono::seconds(30));
    CHECK(config.cluster.routes.empty());
}

TEST_CASE("[state] on PostgreSQL and [cluster] parse", "[app][config]") {
    soar::test::TempDir dir;
    const auto config = loadConfig(write(dir, kInstances + kRoute + R"(
[route.s]
source = b
targets = a
[state]
backend = PostgreSQL
url = postgresql://soar_sync@db.example.com:5432/soar_sync?sslmode=verify-full
password_file = secrets/pg.password   ; relative to the config file
busy_timeout = 5s
[cluster]
node = sync-a.example_1
lease_ttl = 10s
routes = s, r
)"));
    CHECK(config.state.backend == soar::state::StateOptions::Backend::Postgresql);
    CHECK(config.state.url ==
          "postgresql://soar_sync@db.example.com:5432/soar_sync?sslmode=verify-full");
    CHECK(config.state.path.empty());
    CHECK(config.state.password.empty());
    CHECK(config.state_password_file == (dir.path() / "secrets/pg.password").string());
    CHECK(config.state.busy_timeout == std::chrono::seconds(5));
    CHECK(config.cluster.node == "sync-a.example_1");
    CHECK(config.cluster.lease_ttl == std::chrono::seconds(10));
    CHECK(config.cluster.routes == std::vector<std::string>{"s", "r"});

    // password_env with sqlite: where `migrate-state --to` finds the password.
    const auto sqlite =
        loadConfig(write(dir, kInstances + kRoute + "[state]\npassword_env = PW\n"));
    CHECK(sqlite.state.backend == soar::state::StateOptions::Backend::Sqlite);
    CHECK(sqlite.state_password_env == "PW");
    // postgres:// is libpq's other scheme; lease_ttl at both ends of its range.
    CHECK(errorOf(kInstances + kRoute +
                  "[state]\nbackend = postgresql\nurl = postgres:///soar_sync\n"
                  "[cluster]\nlease_ttl = 2s\n")
              .empty());
    CHECK(errorOf(kInstances + kRoute + "[cluster]\nlease_ttl = 1h\n").empty());
}

TEST_CASE("a password in the state url is refused and never repeated", "[app][config]") {
    for (const std::string url :
         {"postgresql://soar_sync:Pa55-w0rd-xyz@db.example.com/soar_sync",
          "postgresql://soar_sync@db.example.com/soar_sync?sslmode=require&password=Pa55-w0rd-xyz",
          "postgres://db.example.com/soar_sync?sslpassword=Pa55-w0rd-xyz",
          "host=db.example.com password=Pa55-w0rd-xyz"}) {
        INFO(url);
        const auto message =
            errorOf(kInstances + kRoute + "[state]\nbackend = postgresql\nurl = " + url + "\n");
        CHECK_THAT(message, Catch::Contains("[state] url: holds a password"));
        CHECK_THAT(message, Catch::Contains("password_env = VARIABLE or password_file = PATH"));
        CHECK_THAT(message, !Catch::Contains("Pa55-w0rd-xyz"));
    }
    using soar::app::stateUrlProblem;
    CHECK(stateUrlProblem("postgresql://soar_sync@db.example.com:5432/soar_sync").empty());
    CHECK(stateUrlProblem("POSTGRESQL://soar_sync@db/soar_sync?sslmode=verify-full").empty());
    CHECK(stateUrlProblem("postgresql:///soar_sync").empty());
    // An '@' after the host part is no user:password.
    CHECK(stateUrlProblem("postgresql://db/soar_sync?options=a:b@c").empty());
    CHECK_THAT(stateUrlProblem("https://db.example.com"),
               Catch::Contains("expected a postgresql:// URL"));
}

TEST_CASE("the default node name is the host name, sanitised", "[app][config]") {
    using soar::app::nodeNameOf;
    CHECK(nodeNameOf("sync-a.example.com") == "sync-a.example.com");
    CHECK(nodeNameOf("My Host (2)") == "My-Host--2-");
    CHECK(nodeNameOf("h\xc3\xa9te") == "h--te");
    CHECK(nodeNameOf(std::string(80, 'x')) == std::string(64, 'x'));
    CHECK(nodeNameOf("") == "soar-sync");
}

namespace {

/// A config whose [state] names a password by `key = value`.
soar::app::AppConfig withPassword(const std::string& key, const std::string& value) {
    soar::app::AppConfig config;
    config.state.backend = soar::state::StateOptions::Backend::Postgresql;
    config.state.url = "postgresql://soar_sync@db/soar_sync";
    (key == "password_env" ? config.state_password_env : config.state_password_file) = value;
    return config;
}

}  // namespace

TEST_CASE("stateOptionsOf reads the database password from the variable or the file",
          "[app][config]") {
    using soar::app::stateOptionsOf;
    soar::test::TempDir dir;
    const auto file = [&](const std::string& name, const std::string& content) {
        const auto path = (dir.path() / name).string();
        std::ofstream(path, std::ios::binary) << content;
        return path;
    };
    ::setenv("SOAR_SYNC_TEST_STATE_PW", "env-secret-8c1d", 1);
    CHECK(stateOptionsOf(withPassword("password_env", "SOAR_SYNC_TEST_STATE_PW")).password ==
          "env-secret-8c1d");
    const auto options =
        stateOptionsOf(withPassword("password_file", file("pw", "file-secret-4e7a\r\nnext\n")));
    CHECK(options.password == "file-secret-4e7a");
    CHECK(options.url == "postgresql://soar_sync@db/soar_sync");
    CHECK(stateOptionsOf(withPassword("password_file", file("bare", "no-newline-9f2b"))).password ==
          "no-newline-9f2b");
    CHECK(stateOptionsOf(soar::app::AppConfig{}).password.empty());

    // A SQLite state needs no password: stateOptionsOf() leaves one kept for migrate-state
    // unread, statePassword() reads it.
    soar::app::AppConfig sqlite;
    sqlite.state_password_env = "SOAR_SYNC_TEST_STATE_PW";
    CHECK(stateOptionsOf(sqlite).password.empty());
    CHECK(soar::app::statePassword(sqlite) == "env-secret-8c1d");
    sqlite.state_password_env = "SOAR_SYNC_TEST_UNSET_PW";
    ::unsetenv("SOAR_SYNC_TEST_UNSET_PW");
    CHECK_NOTHROW(stateOptionsOf(sqlite));
    CHECK_THROWS_AS(soar::app::statePassword(sqlite), ConfigError);

    struct Case {
        const char* what;
        soar::app::AppConfig config;
        std::string message;
    };
    ::setenv("SOAR_SYNC_TEST_EMPTY_PW", "", 1);
    ::setenv("SOAR_SYNC_TEST_SHORT_PW", "shrt-pw", 1);
    ::unsetenv("SOAR_SYNC_TEST_UNSET_PW");
    const std::vector<Case> cases = {
        {"unset variable", withPassword("password_env", "SOAR_SYNC_TEST_UNSET_PW"),
         "[state] password_env: the variable SOAR_SYNC_TEST_UNSET_PW is not set or empty"},
        {"empty variable", withPassword("password_env", "SOAR_SYNC_TEST_EMPTY_PW"),
         "[state] password_env: the variable SOAR_SYNC_TEST_EMPTY_PW is not set or empty"},
        {"missing file", withPassword("password_file", (dir.path() / "nope").string()),
         "[state] password_file: cannot read " + (dir.path() / "nope").string() +
             " (No such file or directory)"},
        {"empty file", withPassword("password_file", file("empty", "\n")),
         "[state] password_file: " + (dir.path() / "empty").string() +
             " is empty; expected the database password on its first line"},
        {"a folder", withPassword("password_file", dir.path().string()),
         "[state] password_file: cannot read " + dir.path().string() + ": it is a directory"},
        {"short variable", withPassword("password_env", "SOAR_SYNC_TEST_SHORT_PW"),
         "[state] password_env: the database password is shorter than 8 characters"},
        {"short file", withPassword("password_file", file("short", "shrt-pw\n")),
         "[state] password_file: the database password is shorter than 8 characters"},
    };
    for (const auto& c : cases) {
        INFO(c.what);
        std::string message;
        try {
            (void)stateOptionsOf(c.config);
        } catch (const ConfigError& e) {
            message = e.what();
        }
        CHECK_THAT(message, Catch::Contains(c.message));
        CHECK_THAT(message, !Catch::Contains("shrt-pw"));
    }
    ::unsetenv("SOAR_SYNC_TEST_STATE_PW");
    ::unsetenv("SOAR_SYNC_TEST_EMPTY_PW");
    ::unsetenv("SOAR_SYNC_TEST_SHORT_PW");
}

TEST_CASE("the reference config's commented PostgreSQL and cluster keys load", "[app][config]") {
    auto text = soar::test::readWholeFile(SOAR_SYNC_ETC_DIR "/soar-sync.ini");
    const auto replace = [&](const std::string& from, const std::string& to) {
        const auto at = text.find(from);
        REQUIRE(at != std::string::npos);
        text.replace(at, from.size(), to);
    };
    replace("backend = sqlite ", "backend = postgresql ");
    replace("path = /var/lib/soar-sync/state.db", "");
    for (const char* key : {"url", "password_env", "node", "lease_ttl", "routes"}) {
        replace(std::string("; ") + key + " = ", std::string(key) + " = ");
    }
    soar::test::TempDir dir;
    const auto config = loadConfig(write(dir, text));
    CHECK(config.state.backend == soar::state::StateOptions::Backend::Postgresql);
    CHECK(config.state.url ==
          "postgresql://soar_sync@db.example.com:5432/soar_sync?sslmode=verify-full");
    CHECK(config.state_password_env == "SOAR_SYNC_PG_PASSWORD");
    CHECK(config.cluster.node == "sync-a");
    CHECK(config.cluster.lease_ttl == std::chrono::seconds(30));
    CHECK(config.cluster.routes == std::vector<std::string>{"hq-to-dr"});
}

TEST_CASE("every [state] and [cluster] key is documented", "[app][config]") {
    const auto reference = soar::test::readWholeFile(SOAR_SYNC_ETC_DIR "/soar-sync.ini");
    const auto man = soar::test::readWholeFile(SOAR_SYNC_ETC_DIR "/../packaging/soar-sync.1");
    const auto readme = soar::test::readWholeFile(SOAR_SYNC_ETC_DIR "/../README.md");
    for (const auto& [section, key] :
         std::vector<std::pair<std::string, std::string>>{{"state", "backend"},
                                                          {"state", "path"},
                                                          {"state", "url"},
                                                          {"state", "password_env"},
                                                          {"state", "password_file"},
                                                          {"state", "busy_timeout"},
                                                          {"cluster", "node"},
                                                          {"cluster", "lease_ttl"},
                                                          {"cluster", "routes"}}) {
        INFO("[" << section << "] " << key);
        CHECK_THAT(reference, Catch::Contains(key + " = ") || Catch::Contains(key + " ="));
        CHECK_THAT(man, Catch::Contains("\\fB[" + section + "] " + key));
        CHECK_THAT(readme, Catch::Contains("`" + key));
    }
    for (const char* text : {"migrate-state", "--to", "--into-non-empty", "--routes"}) {
        INFO(text);
        CHECK_THAT(man, Catch::Contains(Poco::replace(std::string(text), "-", "\\-")) ||
                            Catch::Contains(text));
        CHECK_THAT(readme, Catch::Contains(text));
    }
    CHECK_THAT(readme, Catch::Contains("## Several daemons"));
    CHECK_THAT(man, Catch::Contains(".SH SEVERAL DAEMONS"));
}
