#pragma once

/// An open SQLite state file, configured the way soar-sync needs it: WAL journal (readers
/// never block the writer), a busy timeout (a second process such as `resync` waits for the
/// write lock instead of failing), and foreign keys on.
///
/// Opening creates the file and its folders when missing. A path that cannot be written,
/// or a file that is not a SQLite database, raises `StateError` naming the path; an
/// existing file is never truncated or overwritten.
///
/// Thread safety: one `Database` per thread. Several `Database` objects on the same
/// file, in one process or several, are safe.

#include "soar/state/StateError.h"

#include <chrono>
#include <memory>
#include <string>

namespace SQLite {
class Database;
}

namespace soar::state {

struct DatabaseOptions {
    /// The state file; ":memory:" for a private in-memory database (no WAL).
    std::string path;
    /// How long a write waits for another writer's lock before `StateError::Busy`.
    std::chrono::milliseconds busy_timeout{10'000};
    /// Open read-only (the `status` command): never creates or migrates.
    bool read_only = false;
};

class Database {
public:
    [[nodiscard]] static std::unique_ptr<Database> open(const DatabaseOptions& options);

    ~Database();
    Database(const Database&) = delete;
    Database& operator=(const Database&) = delete;

    [[nodiscard]] const std::string& path() const { return path_; }
    /// The SQLiteCpp handle, for code inside `soar_state` only (the type is incomplete
    /// everywhere else).
    [[nodiscard]] SQLite::Database& handle() { return *db_; }

private:
    Database(std::string path, std::unique_ptr<SQLite::Database> db);

    std::string path_;
    std::unique_ptr<SQLite::Database> db_;
};

}  // namespace soar::state
