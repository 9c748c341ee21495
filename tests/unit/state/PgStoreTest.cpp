// SqlStore on PostgreSQL, beyond the contract: what opening refuses, what messages never show,
// TLS with a verified server certificate, and reconnecting after the server restarted.

#include "PgTestServer.h"
#include "StateTestUtil.h"
#include "soar/state/SqliteStore.h"
#include "soar/state/StateError.h"

#include <catch2/catch.hpp>

#include <chrono>
#include <string>

using namespace soar::state;
using namespace soar::state::test;

namespace {

/// A schema of its own for one test, dropped at the end.
struct Schema {
    Schema() : name(PgTestServer::get().createSchema()) {}
    ~Schema() { PgTestServer::get().dropSchema(name); }
    Schema(const Schema&) = delete;
    Schema& operator=(const Schema&) = delete;
    StateOptions options() const {
        StateOptions options;
        options.backend = StateOptions::Backend::Postgresql;
        options.url = PgTestServer::get().urlFor(name);
        options.password = PgTestServer::get().password();
        return options;
    }
    std::string name;
};

StateError::Kind openFails(const StateOptions& options, std::string& message) {
    try {
        (void)SqlStore::open(options);
    } catch (const StateError& e) {
        message = e.what();
        return e.kind();
    }
    FAIL("opening " << options.describe() << " succeeded");
    return StateError::Kind::Other;
}

}  // namespace

TEST_CASE("PostgreSQL: a wrong password is refused with the redacted url, never the password",
          "[state][postgresql]") {
    Schema schema;
    auto options = schema.options();
    options.password = "wrong-" + PgTestServer::get().password();
    std::string message;
    CHECK(openFails(options, message) == StateError::Kind::Unwritable);
    CHECK_THAT(message, Catch::Contains(PgTestServer::get().url()));
    CHECK_THAT(message, !Catch::Contains(options.password));
    CHECK_THAT(message, !Catch::Contains(PgTestServer::get().password()));
    CHECK_THAT(message, !Catch::Contains("search_path"));  // no query either

    options.url = "postgresql://soar_sync_test:secret-in-url@127.0.0.1:1/db";
    CHECK(openFails(options, message) == StateError::Kind::Unwritable);
    CHECK_THAT(message, !Catch::Contains("secret-in-url"));
    CHECK(options.describe() == "state database postgresql://soar_sync_test@127.0.0.1:1/db");
}

TEST_CASE("PostgreSQL: a foreign database and a newer schema are refused, untouched",
          "[state][postgresql]") {
    Schema schema;
    std::string message;
    SECTION("tables of another application") {
        REQUIRE(
            PgTestServer::get().execute("CREATE TABLE invoices (id BIGINT)", schema.name).empty());
        CHECK(openFails(schema.options(), message) == StateError::Kind::Corrupt);
        CHECK_THAT(message, Catch::Contains("not a soar-sync state database"));
        // Nothing was created next to the foreign table.
        CHECK_FALSE(PgTestServer::get().execute("SELECT 1 FROM leases", schema.name).empty());
    }
    SECTION("a newer soar-sync's schema") {
        (void)SqlStore::open(schema.options());
        REQUIRE(PgTestServer::get()
                    .execute("UPDATE soar_sync_schema SET version = version + 1", schema.name)
                    .empty());
        CHECK(openFails(schema.options(), message) == StateError::Kind::TooNew);
        CHECK_THAT(message, Catch::Contains("newer soar-sync"));
    }
    SECTION("read-only on an empty database: too old, nothing created") {
        auto options = schema.options();
        options.read_only = true;
        CHECK(openFails(options, message) == StateError::Kind::TooOld);
    }
}

TEST_CASE("PostgreSQL: TLS with the server certificate verified against its CA",
          "[state][postgresql]") {
    Schema schema;
    auto options = schema.options();
    options.url = PgTestServer::get().url() +
                  "?sslmode=verify-full&sslrootcert=" + PgTestServer::get().ca() +
                  "&options=-csearch_path%3D" + schema.name;
    auto store = SqlStore::open(options);
    (void)store->commit(unitOf(1));
    CHECK(rowsOfUnit(*store, 1) == 1 + kArtifactsPerUnit);
    CHECK(store->schemaVersion() == SqlStore::kSchemaVersion);

    // A certificate that does not chain to the given CA is refused.
    options.url = PgTestServer::get().url() +
                  "?sslmode=verify-full&sslrootcert=/etc/ssl/certs/ca-certificates.crt";
    std::string message;
    CHECK(openFails(options, message) == StateError::Kind::Unavailable);
    CHECK_THAT(message, Catch::Contains("certificate"));
}

TEST_CASE("PostgreSQL: after a server restart the store connects again on its next call",
          "[state][postgresql][restart]") {
    // A server of its own: a restart of the shared one would cut the connections of the tests
    // running beside this one.
    const auto server = PgTestServer::startPrivate();
    StateOptions options;
    options.backend = StateOptions::Backend::Postgresql;
    options.url = server->url() + "?sslmode=require";
    options.password = server->password();
    auto store = SqlStore::open(options);
    (void)store->commit(unitOf(1));
    CHECK(rowsOfUnit(*store, 1) == 1 + kArtifactsPerUnit);

    server->restart();
    // The first calls on the cut connections fail as transient; later ones work again.
    int failures = 0;
    bool written = false;
    for (int attempt = 0; attempt < 5 && !written; ++attempt) {
        try {
            (void)store->commit(unitOf(2));
            written = true;
        } catch (const StateError& e) {
            CHECK(e.kind() == StateError::Kind::Unavailable);
            CHECK_THAT(e.what(), Catch::Contains(server->url()));
            ++failures;
        }
    }
    CHECK(written);
    CHECK(failures <= 1);
    bool read = false;
    for (int attempt = 0; attempt < 5 && !read; ++attempt) {
        try {
            read = rowsOfUnit(*store, 2) == 1 + kArtifactsPerUnit;
        } catch (const StateError& e) {
            CHECK(e.kind() == StateError::Kind::Unavailable);
        }
    }
    CHECK(read);
    CHECK(store->leaseClockMs() > 0);
}
