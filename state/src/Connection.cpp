#include "Connection.h"

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

Connection::Connection(std::string path, int flags, std::chrono::milliseconds busy_timeout)
    : path_(std::move(path)), db_(path_, flags, static_cast<int>(busy_timeout.count())) {}

Connection::~Connection() {
    // Statements must go before the database handle closes.
    statements_.clear();
}

std::unique_ptr<Connection> Connection::open(const std::string& path,
                                             std::chrono::milliseconds busy_timeout, Mode mode,
                                             bool quick_check) {
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
    const int flags = mode == Mode::ReadOnly ? SQLite::OPEN_READONLY
                                             : (SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    // Two processes opening a new file at once: SQLite may answer one of them "busy" at once
    // (switching the file to WAL) instead of waiting out the busy timeout. Try again until
    // the timeout would have passed.
    const auto deadline = std::chrono::steady_clock::now() + busy_timeout;
    while (true) {
        std::unique_ptr<Connection> conn;
        try {
            conn.reset(new Connection(path, flags, busy_timeout));
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

SQLite::Statement& Connection::statement(const char* sql) {
    auto& slot = statements_[sql];
    if (!slot) {
        slot = std::make_unique<SQLite::Statement>(db_, sql);
    } else {
        slot->reset();
    }
    return *slot;
}

int Connection::userVersion() { return db_.execAndGet("PRAGMA user_version").getInt(); }

}  // namespace soar::state
