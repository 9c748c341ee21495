#pragma once

/// One SQLite connection to the state file (`Connection` on SQLiteCpp), configured the way
/// soar-sync needs it, with its prepared statements cached. Private to `soar_state`.
///
/// Opening checks the file before writing anything to it: a file that is not a SQLite
/// database, belongs to another application, is damaged (with `quick_check`) or carries a newer
/// schema is refused with `StateError` and left byte-for-byte as it was. Only then are WAL,
/// `synchronous = NORMAL` and foreign keys switched on.
///
/// Thread safety: none; one thread at a time (`SqliteStore` guarantees it).

#include "Sql.h"
#include "soar/state/StateError.h"

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Exception.h>
#include <SQLiteCpp/Statement.h>

#include <chrono>
#include <memory>
#include <string>
#include <unordered_map>

namespace soar::state {

/// soar-sync's `PRAGMA application_id` ("SoSy"), so a file of another application is refused.
inline constexpr int kApplicationId = 0x536f5379;

/// A `StateError` for a SQLite failure while doing `what` on the file at `path`.
[[nodiscard]] StateError translateError(const SQLite::Exception& e, const std::string& path,
                                        const std::string& what);

/// The `SqlError` for a SQLite failure, sorted by its extended code.
[[nodiscard]] SqlError sqlErrorOf(const SQLite::Exception& e);

class SqliteConnection final : public Connection {
public:
    enum class Mode {
        /// Creates the file and its folders when missing; may migrate.
        ReadWrite,
        /// Reads an existing file (a read connection of a writable store, or `status`).
        ReadOnly,
    };

    /// Opens and checks the file; in ReadWrite mode, also switches on WAL. Throws StateError.
    [[nodiscard]] static std::unique_ptr<SqliteConnection> open(
        const std::string& path, std::chrono::milliseconds busy_timeout, Mode mode,
        bool quick_check);

    ~SqliteConnection() override;

    [[nodiscard]] SQLite::Database& db() { return db_; }
    [[nodiscard]] const std::string& path() const { return path_; }

    [[nodiscard]] Dialect dialect() const override { return Dialect::Sqlite; }
    [[nodiscard]] Statement& statement(const char* sql) override;
    void execute(const std::string& sql) override;
    void begin(TxnKind kind) override;
    void commit() override;
    void rollback() noexcept override;
    [[nodiscard]] const std::string& location() const override { return location_; }

    /// `PRAGMA user_version`.
    [[nodiscard]] int userVersion();
    [[nodiscard]] int schemaVersion() override { return userVersion(); }
    /// `PRAGMA integrity_check`.
    [[nodiscard]] std::string integrityCheck() override;

private:
    class SqliteStatement;

    SqliteConnection(std::string path, int flags, std::chrono::milliseconds busy_timeout);

    std::string path_;
    std::string location_;
    SQLite::Database db_;
    std::unordered_map<const char*, std::unique_ptr<SqliteStatement>> statements_;
};

}  // namespace soar::state
