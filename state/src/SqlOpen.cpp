// SqlStore: opening a store on either backend, its connections, and the schema checks.

#include "PgConnection.h"
#include "Schema.h"
#include "SqliteAccess.h"
#include "SqliteConnection.h"
#include "soar/state/SqliteStore.h"

#include <utility>

namespace soar::state {

static_assert(SqlStore::kSchemaVersion == kLatestSchemaVersion,
              "the public schema version follows the migrations");

namespace {

bool isPostgresql(const StateOptions& options) {
    return options.backend == StateOptions::Backend::Postgresql;
}

[[noreturn]] void tooOld(const std::string& location, int version) {
    throw StateError(StateError::Kind::TooOld,
                     location + ": schema version " + std::to_string(version) +
                         " needs migrating to " + std::to_string(kLatestSchemaVersion) +
                         "; run soar-sync (not read-only) once to upgrade it");
}

}  // namespace

std::string StateOptions::describe() const {
    if (backend == Backend::Sqlite) return "state file " + path;
    return "state database " + redactedUrl(url);
}

std::unique_ptr<Store> openStore(const StateOptions& options) { return SqlStore::open(options); }

std::unique_ptr<Connection> SqlStore::openReader() const {
    if (isPostgresql(options_)) return PgConnection::open(options_);
    return SqliteConnection::open(options_.path, options_.busy_timeout,
                                  SqliteConnection::Mode::ReadOnly, /*quick_check=*/false);
}

std::unique_ptr<Connection> SqlStore::openWriter() const {
    std::unique_ptr<Connection> conn;
    if (isPostgresql(options_)) {
        conn = PgConnection::open(options_);
    } else {
        conn = SqliteConnection::open(options_.path, options_.busy_timeout,
                                      SqliteConnection::Mode::ReadWrite, /*quick_check=*/false);
    }
    if (options_.scrub) conn->setScrub(options_.scrub);
    return conn;
}

SqlStore::SqlStore(StateOptions options, std::unique_ptr<Connection> writer)
    : options_(std::move(options)),
      location_(options_.describe()),
      in_memory_(!isPostgresql(options_) && options_.path == ":memory:"),
      read_only_(writer == nullptr),
      writer_(std::move(writer)) {
    if (writer_ && options_.scrub) writer_->setScrub(options_.scrub);
}

SqlStore::~SqlStore() = default;

std::unique_ptr<SqlStore> SqlStore::open(const StateOptions& options) {
    if (isPostgresql(options)) {
        auto conn = PgConnection::open(options);
        try {
            if (!options.read_only) {
                migratePg(*conn, kLatestSchemaVersion);
                return std::unique_ptr<SqlStore>(new SqlStore(options, std::move(conn)));
            }
            const int version = conn->schemaVersion();
            if (version < kLatestSchemaVersion) tooOld(options.describe(), version);
        } catch (const SqlError& e) {
            throw stateErrorOf(e, options.describe(), "migrating the schema");
        }
        std::unique_ptr<SqlStore> store(new SqlStore(options, nullptr));
        store->idle_readers_.push_back(std::move(conn));
        return store;
    }
    const bool in_memory = options.path == ":memory:";
    if (in_memory || !options.read_only) {
        auto writer =
            SqliteConnection::open(options.path, options.busy_timeout,
                                   SqliteConnection::Mode::ReadWrite, options.quick_check);
        try {
            migrate(*writer, kLatestSchemaVersion);
        } catch (const SQLite::Exception& e) {
            throw translateError(e, options.path, "migrating the schema");
        }
        return std::unique_ptr<SqlStore>(new SqlStore(options, std::move(writer)));
    }
    auto reader = SqliteConnection::open(options.path, options.busy_timeout,
                                         SqliteConnection::Mode::ReadOnly, options.quick_check);
    int version = 0;
    try {
        version = reader->userVersion();
    } catch (const SqlError& e) {
        throw stateErrorOf(e, options.describe(), "reading the schema version");
    }
    if (version < kLatestSchemaVersion) tooOld(options.describe(), version);
    std::unique_ptr<SqlStore> store(new SqlStore(options, nullptr));
    store->idle_readers_.push_back(std::move(reader));
    return store;
}

void SqlStore::migrateFileTo(const StateOptions& options, int version) {
    if (version < 0 || version > kLatestSchemaVersion) {
        throw StateError(
            StateError::Kind::TooNew,
            options.describe() + ": cannot migrate to schema version " + std::to_string(version));
    }
    if (isPostgresql(options)) {
        auto conn = PgConnection::open(options);
        try {
            migratePg(*conn, version);
        } catch (const SqlError& e) {
            throw stateErrorOf(e, options.describe(), "migrating the schema");
        }
        return;
    }
    auto conn = SqliteConnection::open(options.path, options.busy_timeout,
                                       SqliteConnection::Mode::ReadWrite, options.quick_check);
    try {
        migrate(*conn, version);
    } catch (const SQLite::Exception& e) {
        throw translateError(e, options.path, "migrating the schema");
    }
}

int SqlStore::schemaVersion() const {
    return read("reading the schema version",
                [](Connection& conn) { return conn.schemaVersion(); });
}

std::string SqlStore::integrityCheck() const {
    return read("checking integrity", [](Connection& conn) { return conn.integrityCheck(); });
}

}  // namespace soar::state
