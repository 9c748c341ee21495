#pragma once

/// The stores the contract tests run against, one fixture per implementation: the fake the
/// engine's tests use (`InMemoryStore`) and the real one (`SqlStore`, on a SQLite file, on
/// ":memory:" and on PostgreSQL). Each fixture opens an empty store, and keeps its lease clock in
/// the test's hand
/// (`advance`), so lease expiry is tested without sleeping.

#include "PgTestServer.h"
#include "soar/state/SqliteStore.h"
#include "soar/state/Store.h"
#include "support/InMemoryStore.h"
#include "support/TempDir.h"

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace soar::state::test {

/// A lease clock moved by hand, shared by every store a fixture opens.
class ManualLeaseClock {
public:
    /// 2023-11-14T22:13:20Z: a realistic time, so nothing depends on small numbers.
    static constexpr std::int64_t kStartMs = 1'700'000'000'000;

    std::function<std::int64_t()> function() const {
        auto now = now_;
        return [now] { return now->load(); };
    }
    void advance(std::int64_t ms) { *now_ += ms; }
    std::int64_t now() const { return now_->load(); }

private:
    std::shared_ptr<std::atomic<std::int64_t>> now_ =
        std::make_shared<std::atomic<std::int64_t>>(kStartMs);
};

struct InMemoryFixture {
    InMemoryFixture() { impl.setLeaseClock(clock.function()); }
    Store& store() { return impl; }
    void advance(std::int64_t ms) { clock.advance(ms); }
    ManualLeaseClock clock;
    soar::test::InMemoryStore impl;
};

struct SqliteFileFixture {
    SqliteFileFixture() { impl = SqliteStore::open(options()); }
    Store& store() { return *impl; }
    void advance(std::int64_t ms) { clock.advance(ms); }
    /// Another store on the same file, as a second process would open it.
    std::unique_ptr<Store> openAnother() { return SqliteStore::open(options()); }
    StateOptions options() const {
        StateOptions options;
        options.path = (dir.path() / "state.db").string();
        options.lease_clock = clock.function();
        return options;
    }
    ManualLeaseClock clock;
    soar::test::TempDir dir;
    std::unique_ptr<SqliteStore> impl;
};

struct SqliteMemoryFixture {
    SqliteMemoryFixture() {
        StateOptions options;
        options.path = ":memory:";
        options.lease_clock = clock.function();
        impl = SqliteStore::open(options);
    }
    Store& store() { return *impl; }
    void advance(std::int64_t ms) { clock.advance(ms); }
    ManualLeaseClock clock;
    std::unique_ptr<SqliteStore> impl;
};

/// A store on the tests' PostgreSQL server, in a schema of its own (dropped afterwards).
struct PostgresqlFixture {
    PostgresqlFixture() : schema(PgTestServer::get().createSchema()) {
        impl = SqlStore::open(options());
    }
    ~PostgresqlFixture() {
        impl.reset();
        PgTestServer::get().dropSchema(schema);
    }
    PostgresqlFixture(const PostgresqlFixture&) = delete;
    PostgresqlFixture& operator=(const PostgresqlFixture&) = delete;
    Store& store() { return *impl; }
    void advance(std::int64_t ms) { clock.advance(ms); }
    std::unique_ptr<Store> openAnother() { return SqlStore::open(options()); }
    StateOptions options() const {
        StateOptions options;
        options.backend = StateOptions::Backend::Postgresql;
        options.url = PgTestServer::get().urlFor(schema);
        options.password = PgTestServer::get().password();
        options.lease_clock = clock.function();
        return options;
    }
    ManualLeaseClock clock;
    std::string schema;
    std::unique_ptr<SqlStore> impl;
};

}  // namespace soar::state::test

/// A contract test over every store.
#define STORE_CONTRACT(name, tags)                                                               \
    TEMPLATE_TEST_CASE("Store contract: " name, "[state][contract]" tags,                        \
                       soar::state::test::InMemoryFixture, soar::state::test::SqliteFileFixture, \
                       soar::state::test::SqliteMemoryFixture,                                   \
                       soar::state::test::PostgresqlFixture)

/// A contract test over the stores that several processes can open at once (`openAnother`).
#define SHARED_STORE_CONTRACT(name, tags)                                 \
    TEMPLATE_TEST_CASE("Store contract: " name, "[state][contract]" tags, \
                       soar::state::test::SqliteFileFixture, soar::state::test::PostgresqlFixture)
