#include "soar/state/Database.h"

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Exception.h>

#include <filesystem>
#include <sqlite3.h>
#include <system_error>

namespace soar::state {
namespace {

StateError::Kind kindOf(const SQLite::Exception& e) {
    switch (e.getErrorCode()) {
        case SQLITE_NOTADB:
        case SQLITE_CORRUPT:
            return StateError::Kind::Corrupt;
        case SQLITE_CANTOPEN:
        case SQLITE_READONLY:
        case SQLITE_PERM:
        case SQLITE_FULL:
        case SQLITE_IOERR:
            return StateError::Kind::Unwritable;
        case SQLITE_BUSY:
        case SQLITE_LOCKED:
            return StateError::Kind::Busy;
        default:
            return StateError::Kind::Other;
    }
}

std::string describe(StateError::Kind kind) {
    switch (kind) {
        case StateError::Kind::Corrupt:
            return "is not a soar-sync state database or is damaged; it was left untouched";
        case StateError::Kind::Unwritable:
            return "cannot be opened for writing (check [state] path, its folder and permissions)";
        case StateError::Kind::Busy:
            return "is locked by another process for longer than the busy timeout";
        default:
            return "could not be opened";
    }
}

}  // namespace

Database::Database(std::string path, std::unique_ptr<SQLite::Database> db)
    : path_(std::move(path)), db_(std::move(db)) {}

Database::~Database() = default;

std::unique_ptr<Database> Database::open(const DatabaseOptions& options) {
    const bool in_memory = options.path == ":memory:";
    if (options.path.empty()) {
        throw StateError(StateError::Kind::Unwritable, "state file: [state] path is empty");
    }
    if (!in_memory && !options.read_only) {
        const auto parent = std::filesystem::path(options.path).parent_path();
        std::error_code ec;
        if (!parent.empty()) std::filesystem::create_directories(parent, ec);
        if (ec) {
            throw StateError(StateError::Kind::Unwritable,
                             "state file " + options.path + ": cannot create folder " +
                                 parent.string() + ": " + ec.message());
        }
    }
    const int flags =
        options.read_only ? SQLite::OPEN_READONLY : (SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    try {
        auto db = std::make_unique<SQLite::Database>(
            options.path, flags, static_cast<int>(options.busy_timeout.count()));
        // Reading the schema forces SQLite to look at the file header, so a file that is
        // not a database fails here, before any pragma could write to it.
        db->exec("SELECT count(*) FROM sqlite_master");
        if (!in_memory && !options.read_only) {
            db->exec("PRAGMA journal_mode = WAL");
            db->exec("PRAGMA synchronous = NORMAL");
        }
        db->exec("PRAGMA foreign_keys = ON");
        return std::unique_ptr<Database>(new Database(options.path, std::move(db)));
    } catch (const SQLite::Exception& e) {
        const auto kind = kindOf(e);
        throw StateError(kind, "state file " + options.path + " " + describe(kind) + " (" +
                                   e.getErrorStr() + ")");
    }
}

}  // namespace soar::state
