// `check`'s rows about the state store: a SQLite file (not created yet, created, unwritable), a
// password that cannot be read (exit 78), a database that does not answer (exit 69), and an
// empty and a filled PostgreSQL database of the test server.

#include "PgTestServer.h"
#include "soar/app/Check.h"
#include "soar/app/Config.h"
#include "soar/state/SqliteStore.h"
#include "support/TempDir.h"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <unistd.h>
#include <vector>

namespace {

using soar::app::AppConfig;
using soar::app::CheckResult;
using soar::app::CheckRow;
using soar::app::stateChecks;
using soar::state::StateOptions;

AppConfig sqliteConfig(const std::string& path) {
    AppConfig config;
    config.state.path = path;
    config.cluster.node = "node-1";
    return config;
}

/// The row of `rows` about the store itself (its `check` is "opens" or "reachable").
const CheckRow& storeRow(const std::vector<CheckRow>& rows) {
    for (const auto& row : rows) {
        if (row.subject == "state store" && (row.check == "opens" || row.check == "reachable")) {
            return row;
        }
    }
    FAIL("no state store row");
    return rows.front();
}

}  // namespace

TEST_CASE("check: a SQLite state file, before and after the daemon created it", "[app][check]") {
    soar::test::TempDir dir;
    const auto path = (dir.path() / "state" / "state.db").string();
    auto config = sqliteConfig(path);
    config.cluster.routes = {"a", "b"};

    auto rows = stateChecks(config);
    CHECK(storeRow(rows).result == CheckResult::Ok);
    CHECK_THAT(storeRow(rows).detail, Catch::Contains("sqlite, state file " + path +
                                                      ": not created yet; the daemon creates it"));
    REQUIRE(rows.back().subject == "cluster");
    CHECK_THAT(rows.back().detail,
               Catch::Contains("node node-1, lease_ttl 30s, routes: a, b; another daemon on the "
                               "same state file waits as a standby"));

    {
        StateOptions options;
        options.path = path;
        (void)soar::state::openStore(options);
    }
    rows = stateChecks(config);
    CHECK(storeRow(rows).result == CheckResult::Ok);
    CHECK(storeRow(rows).detail == "sqlite, state file " + path + ", schema version " +
                                       std::to_string(soar::state::SqlStore::kSchemaVersion));
    CHECK(soar::app::checkExitCode(rows) == 0);

    if (::geteuid() != 0) {  // root may write any file
        std::filesystem::permissions(path, std::filesystem::perms::owner_read);
        rows = stateChecks(config);
        CHECK(storeRow(rows).result == CheckResult::Warn);
        CHECK_THAT(storeRow(rows).detail, Catch::Contains("not writable by this user"));
        std::filesystem::permissions(path, std::filesystem::perms::owner_all);
    }
}

TEST_CASE("check: a state password that cannot be read is a config error", "[app][check]") {
    AppConfig config;
    config.state.backend = StateOptions::Backend::Postgresql;
    config.state.url = "postgresql://soar_sync@127.0.0.1:1/soar_sync";
    ::unsetenv("SOAR_SYNC_TEST_CHECK_PW");
    config.state_password_env = "SOAR_SYNC_TEST_CHECK_PW";
    auto rows = stateChecks(config);
    REQUIRE(rows.size() == 2);
    CHECK(rows[0].result == CheckResult::Fail);
    CHECK_THAT(rows[0].detail, Catch::Contains("[state] password_env: the variable "
                                               "SOAR_SYNC_TEST_CHECK_PW is not set or empty"));
    CHECK(rows[1].result == CheckResult::Skip);
    CHECK(soar::app::checkExitCode(rows) == 78);

    // With a SQLite file only migrate-state needs the password: a warning.
    soar::test::TempDir dir;
    auto sqlite = sqliteConfig((dir.path() / "state.db").string());
    sqlite.state_password_env = "SOAR_SYNC_TEST_CHECK_PW";
    rows = stateChecks(sqlite);
    REQUIRE_FALSE(rows.empty());
    CHECK(rows[0].result == CheckResult::Warn);
    CHECK_THAT(rows[0].detail, Catch::Contains("only migrate-state needs it"));
    CHECK(storeRow(rows).result == CheckResult::Ok);
    CHECK(soar::app::checkExitCode(rows) == 0);
}

TEST_CASE("check: a database server that does not answer is a peer unavailable",
          "[app][check][postgresql]") {
    AppConfig config;
    config.state.backend = StateOptions::Backend::Postgresql;
    config.state.url = "postgresql://soar_sync@127.0.0.1:1/soar_sync";
    config.state.busy_timeout = std::chrono::seconds(2);
    const auto rows = stateChecks(config);
    CHECK(storeRow(rows).check == "reachable");
    CHECK(storeRow(rows).result == CheckResult::Fail);
    CHECK_THAT(storeRow(rows).detail, Catch::Contains("could not be reached"));
    CHECK_THAT(rows.back().detail, Catch::Contains("daemons on the same database share"));
    CHECK(soar::app::checkExitCode(rows) == 69);
}

TEST_CASE("check: an empty and a filled PostgreSQL database", "[app][check][postgresql]") {
    auto& server = soar::state::test::PgTestServer::get();
    const auto schema = server.createSchema();
    AppConfig config;
    config.state.backend = StateOptions::Backend::Postgresql;
    config.state.url = server.urlFor(schema);
    ::setenv("SOAR_SYNC_TEST_CHECK_PG_PW", server.password().c_str(), 1);
    config.state_password_env = "SOAR_SYNC_TEST_CHECK_PG_PW";

    auto rows = stateChecks(config);
    CHECK(storeRow(rows).result == CheckResult::Ok);
    CHECK_THAT(storeRow(rows).detail,
               Catch::Contains("postgresql, state database " + server.url() +
                               ": empty; the first daemon creates the schema"));

    (void)soar::state::openStore(soar::app::stateOptionsOf(config));
    rows = stateChecks(config);
    CHECK(storeRow(rows).result == CheckResult::Ok);
    CHECK_THAT(
        storeRow(rows).detail,
        Catch::Contains("schema version " + std::to_string(soar::state::SqlStore::kSchemaVersion)));
    for (const auto& row : rows) CHECK_THAT(row.detail, !Catch::Contains(server.password()));
    CHECK(soar::app::checkExitCode(rows) == 0);
    server.dropSchema(schema);
    ::unsetenv("SOAR_SYNC_TEST_CHECK_PG_PW");
}
