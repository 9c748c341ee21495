#include "SqliteConnection.h"

#include "Schema.h"

#include <fcntl.h>
#include <filesystem>
#include <sqlite3.h>
#include <sys/stat.h>
#include <system_error>
#include <thread>
#include <unistd.h>

namespace soar::state {
namespace {

/// SQLite's allocator keeps process-wide statistics under a global mutex, taken for every
/// allocation and free of every connection (two thirds of the mutex operations of a sync's
/// commits); soar-sync never reads them. Effective only before SQLite's first use in the
/// process, which is a connection opened here.
void withoutMemoryStatistics() {
    static const int once = sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    static_cast<void>(once);
}

StateError::Kind kindOf(const SQLite::Exception& e) {
    switch (e.getErrorCode() & 0xff) {
        case SQLITE_NOTADB:
        case SQLITE_CORRUPT:
            return StateError::Kind::Corrupt;
        case SQLITE_CANTOPEN:
        case SQLITE_READONLY:
        case SQLITE_PERM:
        case SQLITE_FULL:
        case SQLITE_IOERR:
        case SQLITE_AUTH:
            return StateError::Kind::Unwritable;
        case SQLITE_BUSY:
        case SQLITE_LOCKED:
            return StateError::Kind::Busy;
        case SQLITE_CONSTRAINT:
            return StateError::Kind::Constraint;
        default:
            return StateError::Kind::Other;
    }
}

std::string hint(StateError::Kind kind) {
    switch (kind) {
        case StateError::Kind::Corrupt:
            return "; the file is not a soar-sync state database or is damaged, and was left "
                   "untouched (restore it from a backup, or move it away to start over)";
        case StateError::Kind::Unwritable:
            return "; check [state] path, its folder, permissions and free space";
        case StateError::Kind::Busy:
            return "; another process held the write lock longer than the busy timeout";
        case StateError::Kind::Unavailable:
            return "; the database server could not be reached (the next call connects again)";
        default:
            return "";
    }
}

[[noreturn]] void refuse(StateError::Kind kind, const std::string& path, const std::string& why) {
    throw StateError(kind, "state file " + path + ": " + why);
}

}  // namespace

StateError translateError(const SQLite::Exception& e, const std::string& path,
                          const std::string& what) {
    const auto kind = kindOf(e);
    return StateError(kind,
                      "state file " + path + ": " + what + " failed: " + e.what() + hint(kind));
}

SqlError sqlErrorOf(const SQLite::Exception& e) { return SqlError(kindOf(e), e.what()); }

StateError stateErrorOf(const SqlError& e, const std::string& location, const std::string& what) {
    return StateError(e.kind(), location + ": " + what + " failed: " + e.what() + hint(e.kind()));
}

/// `Statement` on a SQLiteCpp statement; SQLite's exceptions leave it as `SqlError`.
class SqliteConnection::SqliteStatement final : public Statement {
public:
    SqliteStatement(SQLite::Database& db, const char* sql) : stmt_(db, sql) {}

    template <class Fn>
    static auto guard(Fn&& fn) {
        try {
            return fn();
        } catch (const SQLite::Exception& e) {
            throw sqlErrorOf(e);
        }
    }

    void bind(int index, std::int64_t value) override {
        guard([&] { stmt_.bind(index, value); });
    }
    void bind(int index, const std::string& value) override {
        guard([&] { stmt_.bind(index, value); });
    }
    void bind(int index) override {
        guard([&] { stmt_.bind(index); });
    }
    bool executeStep() override {
        return guard([&] { return stmt_.executeStep(); });
    }
    int exec() override {
        return guard([&] { return stmt_.exec(); });
    }
    void reset() noexcept override { (void)stmt_.tryReset(); }
    bool isNull(int index) const override {
        return guard([&] { return stmt_.getColumn(index).isNull(); });
    }
    std::int64_t getInt64(int index) const override {
        return guard([&] { return static_cast<std::int64_t>(stmt_.getColumn(index).getInt64()); });
    }
    std::string getString(int index) const override {
        return guard([&] { return stmt_.getColumn(index).getString(); });
    }

private:
    mutable SQLite::Statement stmt_;
};

SqliteConnection::SqliteConnection(std::string path, int flags,
                                   std::chrono::milliseconds busy_timeout)
    : path_(std::move(path)),
      location_("state file " + path_),
      db_(path_, flags, static_cast<int>(busy_timeout.count())) {}

SqliteConnection::~SqliteConnection() {
    // Statements must go before the database handle closes.
    statements_.clear();
}

std::unique_ptr<SqliteConnection> SqliteConnection::open(const std::string& path,
                                                         std::chrono::milliseconds busy_timeout,
                                                         Mode mode, bool quick_check) {
    if (path.empty()) refuse(StateError::Kind::Unwritable, "([state] path)", "the path is empty");
    const bool in_memory = path == ":memory:";
    if (!in_memory && mode == Mode::ReadOnly) {
        std::error_code ec;
        if (!std::filesystem::exists(path, ec) && !ec) {
            refuse(StateError::Kind::Missing, path, "does not exist (has soar-sync run yet?)");
        }
    }
    if (!in_memory && mode == Mode::ReadWrite) {
        // The file holds error texts and dead-letter messages: a folder soar-sync creates is
        // 0700 and a new state file 0600 whatever the umask; SQLite gives the WAL and SHM
        // files the mode of the database file.
        const auto parent = std::filesystem::path(path).parent_path();
        std::error_code ec;
        if (!parent.empty() && !std::filesystem::exists(parent, ec)) {
            std::filesystem::create_directories(parent, ec);
            if (!ec) ::chmod(parent.c_str(), 0700);
        }
        if (ec) {
            refuse(StateError::Kind::Unwritable, path,
                   "cannot create folder " + parent.string() + ": " + ec.message());
        }
        const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd >= 0) {
            ::fchmod(fd, 0600);
            ::close(fd);
        }
    }
    withoutMemoryStatistics();
    // No mutex of its own: a connection is used by one thread at a time (SqlStore's writer
    // under its write lock, a reader by the lease that holds it), which is what SQLite's
    // multi-thread mode asks; the serialized mode locked and unlocked a mutex around every
    // call of its API.
    const int flags = SQLite::OPEN_NOMUTEX |
                      (mode == Mode::ReadOnly ? SQLite::OPEN_READONLY
                                              : (SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE));
    // Two processes opening a new file at once: SQLite may answer one of them "busy" at once
    // (switching the file to WAL) instead of waiting out the busy timeout. Try again until
    // the timeout would have passed.
    const auto deadline = std::chrono::steady_clock::now() + busy_timeout;
    while (true) {
        std::unique_ptr<SqliteConnection> conn;
        try {
            conn.reset(new SqliteConnection(path, flags, busy_timeout));
            auto& db = conn->db();
            // Reading the schema makes SQLite look at the file header, so a file that is not a
            // database fails here, before anything could write to it.
            const int objects = db.execAndGet("SELECT count(*) FROM sqlite_master").getInt();
            const int app_id = db.execAndGet("PRAGMA application_id").getInt();
            const int version = conn->userVersion();
            if (app_id != 0 && app_id != kApplicationId) {
                refuse(StateError::Kind::Corrupt, path,
                       "belongs to another application (application_id " + std::to_string(app_id) +
                           "), not soar-sync; it was left untouched");
            }
            if (version == 0 && objects > 0) {
                refuse(
                    StateError::Kind::Corrupt, path,
                    "is a SQLite database but not a soar-sync state file; it was left untouched");
            }
            if (version > kLatestSchemaVersion) {
                refuse(
                    StateError::Kind::TooNew, path,
                    "was written by a newer soar-sync (schema version " + std::to_string(version) +
                        "; this binary knows up to " + std::to_string(kLatestSchemaVersion) +
                        "); upgrade soar-sync or point [state] path elsewhere. The file was left "
                        "untouched");
            }
            if (quick_check) {
                const std::string result = db.execAndGet("PRAGMA quick_check").getString();
                if (result != "ok") {
                    refuse(
                        StateError::Kind::Corrupt, path,
                        "is damaged (quick_check: " + result +
                            "); it was left untouched (restore it from a backup, or move it away "
                            "to start over)");
                }
            }
            if (!in_memory && mode == Mode::ReadWrite) {
                // WAL: readers (`status`) never block the writer and a crash never tears a
                // transaction. NORMAL: no fsync per commit; WAL still survives a process kill.
                db.exec("PRAGMA journal_mode = WAL");
                db.exec("PRAGMA synchronous = NORMAL");
            }
            if (mode == Mode::ReadOnly) db.exec("PRAGMA query_only = ON");
            db.exec("PRAGMA foreign_keys = ON");
            return conn;
        } catch (const SQLite::Exception& e) {
            if ((e.getErrorCode() & 0xff) == SQLITE_BUSY &&
                std::chrono::steady_clock::now() < deadline) {
                std::this_thread::sleep_for(std::chrono::milliseconds(20));
                continue;
            }
            throw translateError(e, path, "opening");
        }
    }
}

Statement& SqliteConnection::statement(const char* sql) {
    auto& slot = statements_[sql];
    try {
        if (!slot) slot = std::make_unique<SqliteStatement>(db_, sql);
    } catch (const SQLite::Exception& e) {
        throw sqlErrorOf(e);
    }
    slot->reset();
    return *slot;
}

void SqliteConnection::execute(const std::string& sql) {
    try {
        db_.exec(sql);
    } catch (const SQLite::Exception& e) {
        throw sqlErrorOf(e);
    }
}

void SqliteConnection::begin(TxnKind kind) {
    execute(kind == TxnKind::Write ? "BEGIN IMMEDIATE" : "BEGIN");
}

void SqliteConnection::commit() { execute("COMMIT"); }

void SqliteConnection::rollback() noexcept {
    try {
        db_.exec("ROLLBACK");
    } catch (const SQLite::Exception&) {
        // No transaction left to roll back (SQLite ended it on the error).
    }
}

int SqliteConnection::userVersion() {
    try {
        return db_.execAndGet("PRAGMA user_version").getInt();
    } catch (const SQLite::Exception& e) {
        throw sqlErrorOf(e);
    }
}

std::string SqliteConnection::integrityCheck() {
    try {
        SQLite::Statement q(db_, "PRAGMA integrity_check");
        std::string out;
        while (q.executeStep()) {
            if (!out.empty()) out += '\n';
            out += q.getColumn(0).getString();
        }
        return out;
    } catch (const SQLite::Exception& e) {
        throw sqlErrorOf(e);
    }
}

}  // namespace soar::state
