#pragma once

/// How `SqlStore` reaches its connections, shared by the files that implement it (one per
/// concern): the pooled read connection, the write transaction, and the binding helpers.
/// Private to `soar_state`.
///
/// Thread safety: as `SqliteStore`'s (`read` and `write` take the locks they need).

#include "Sql.h"
#include "soar/state/SqliteStore.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <new>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

namespace soar::state {

/// A read connection borrowed from the pool for one call, given back when the call ends.
class SqlStore::ReaderLease {
public:
    explicit ReaderLease(const SqlStore& store) : store_(store) {
        {
            std::lock_guard<std::mutex> lock(store_.readers_mutex_);
            if (!store_.idle_readers_.empty()) {
                conn_ = std::move(store_.idle_readers_.back());
                store_.idle_readers_.pop_back();
            }
        }
        if (!conn_) conn_ = store_.openReader();
    }
    ~ReaderLease() {
        // A lost connection is dropped; so are connections beyond the pool's size.
        if (!conn_->healthy()) return;
        std::lock_guard<std::mutex> lock(store_.readers_mutex_);
        if (store_.idle_readers_.size() >= std::max<std::size_t>(store_.options_.idle_readers, 1)) {
            return;
        }
        try {
            store_.idle_readers_.push_back(std::move(conn_));
        } catch (const std::bad_alloc&) {
            // Not pooled: the connection closes with the lease; the next reader opens another.
        }
    }
    ReaderLease(const ReaderLease&) = delete;
    ReaderLease& operator=(const ReaderLease&) = delete;

    Connection& connection() { return *conn_; }

private:
    const SqlStore& store_;
    std::unique_ptr<Connection> conn_;
};

template <class Fn>
auto SqlStore::read(const char* what, Fn&& fn) const {
    try {
        if (in_memory_) {
            // One private database per ":memory:" connection: reads share the writer.
            std::lock_guard<std::mutex> lock(write_mutex_);
            return fn(*writer_);
        }
        ReaderLease lease(*this);
        return fn(lease.connection());
    } catch (const SqlError& e) {
        throw stateErrorOf(e, location_, what);
    }
}

template <class Fn>
auto SqlStore::writeTxn(const char* what, Fn&& fn) {
    if (read_only_) {
        throw StateError(StateError::Kind::Unwritable,
                         location_ + ": " + what + " failed: the store was opened read-only");
    }
    std::lock_guard<std::mutex> lock(write_mutex_);
    try {
        if (!writer_) writer_ = openWriter();
        // SQLite: IMMEDIATE takes the write lock now (waiting up to the busy timeout), so this
        // transaction never has to upgrade a read lock another writer also holds.
        Transaction txn(*writer_, Connection::TxnKind::Write);
        if constexpr (std::is_void_v<decltype(fn(*writer_))>) {
            fn(*writer_);
            txn.commit();
        } else {
            auto result = fn(*writer_);
            txn.commit();
            return result;
        }
    } catch (const SqlError& e) {
        if (writer_ && !writer_->healthy()) writer_.reset();
        throw stateErrorOf(e, location_, what);
    }
}

template <class Fn>
auto SqlStore::write(const char* what, const RouteTarget& key, Fn&& fn) {
    try {
        const std::int64_t ref = ensureTargetRef(key);
        return writeTxn(what, [&](Connection& conn) {
            checkFence(conn, key.route);
            return fn(conn, ref);
        });
    } catch (const StateError& e) {
        throw StateError(e.kind(), std::string(e.what()) + " (route '" + key.route + "', target '" +
                                       key.target + "')");
    }
}

namespace sqlite {

inline std::optional<std::string> optionalText(const Column& column) {
    if (column.isNull()) return std::nullopt;
    return column.getString();
}

inline void bindOptional(Statement& stmt, int index, const std::optional<std::string>& value) {
    if (value) {
        stmt.bind(index, *value);
    } else {
        stmt.bind(index);
    }
}

inline void bindText(Statement& stmt, int index, std::string_view value) {
    stmt.bind(index, std::string(value));
}

inline std::int64_t limitOf(std::size_t limit) {
    return static_cast<std::int64_t>(std::min<std::size_t>(limit, INT64_MAX));
}

/// `SELECT count(*) ... WHERE target_ref = ?1`.
inline std::int64_t count(Connection& conn, const char* sql, std::int64_t ref) {
    Query q(conn, sql);
    q->bind(1, ref);
    q->executeStep();
    return q->getColumn(0).getInt64();
}

/// A stored name this binary does not know: the file was written by a newer soar-sync.
[[noreturn]] inline void unknownValue(const Connection& conn, const char* what,
                                      const std::string& v) {
    throw StateError(StateError::Kind::Corrupt, conn.location() + ": unknown " + what + " '" + v +
                                                    "' (written by a newer soar-sync?)");
}

}  // namespace sqlite
}  // namespace soar::state
