#pragma once

/// One SQLite connection to the state file, configured the way soar-sync needs it, with its
/// prepared statements cached. Private to `soar_state`.
///
/// Opening checks the file before writing anything to it: a file that is not a SQLite
/// database, belongs to another application, is damaged (with `quick_check`) or carries a newer
/// schema is refused with `StateError` and left byte-for-byte as it was. Only then are WAL,
/// `synchronous = NORMAL` and foreign keys switched on.
///
/// Thread safety: none; one thread at a time (`SqliteStore` guarantees it).

#include "soar/state/StateError.h"

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Exception.h>
#include <SQLiteCpp/Statement.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>

namespace soar::state {

/// soar-sync's `PRAGMA application_id` ("SoSy"), so a file of another application is refused.
inline constexpr int kApplicationId = 0x536f5379;

/// A `StateError` for a SQLite failure while doing `what` on the file at `path`.
[[nodiscard]] StateError translateError(const SQLite::Exception& e, const std::string& path,
                                        const std::string& what);

class Connection {
public:
    enum class Mode {
        /// Creates the file and its folders when missing; may migrate.
        ReadWrite,
        /// Reads an existing file (a read connection of a writable store, or `status`).
        ReadOnly,
    };

    /// Opens and checks the file; in ReadWrite mode, also switches on WAL. Throws StateError.
    [[nodiscard]] static std::unique_ptr<Connection> open(const std::string& path,
                                                          std::chrono::milliseconds busy_timeout,
                                                          Mode mode, bool quick_check);

    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;
    ~Connection();

    [[nodiscard]] SQLite::Database& db() { return db_; }
    [[nodiscard]] const std::string& path() const { return path_; }

    /// The cached statement for `sql`, reset and ready to bind. `sql` must be a string with
    /// static storage (the cache keys on its address). Use it through `Query`, which resets it
    /// after use so no read snapshot stays open.
    [[nodiscard]] SQLite::Statement& statement(const char* sql);

    /// `PRAGMA user_version`.
    [[nodiscard]] int userVersion();

    /// Free text (error texts, dead-letter and playbook messages) as it is to be stored:
    /// passed through the store's `StateOptions::scrub` when one is set.
    [[nodiscard]] std::string storedText(const std::string& text) const {
        return scrub_ ? scrub_(text) : text;
    }
    void setScrub(std::function<std::string(const std::string&)> scrub) {
        scrub_ = std::move(scrub);
    }

private:
    Connection(std::string path, int flags, std::chrono::milliseconds busy_timeout);

    std::string path_;
    SQLite::Database db_;
    std::unordered_map<const char*, std::unique_ptr<SQLite::Statement>> statements_;
    std::function<std::string(const std::string&)> scrub_;
};

/// A cached statement in use; resets it when the scope ends, ending its read snapshot.
class Query {
public:
    Query(Connection& conn, const char* sql) : stmt_(conn.statement(sql)) {}
    ~Query() { (void)stmt_.tryReset(); }
    Query(const Query&) = delete;
    Query& operator=(const Query&) = delete;

    SQLite::Statement* operator->() { return &stmt_; }
    SQLite::Statement& operator*() { return stmt_; }

private:
    SQLite::Statement& stmt_;
};

}  // namespace soar::state
