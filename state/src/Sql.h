#pragma once

/// The store's SQL seam: one connection to a database, whichever it is (SQLite through
/// SQLiteCpp, PostgreSQL through libpq), with its prepared statements cached, so that every
/// query of the store is written once and runs on both. Private to `soar_state`.
///
/// Statements are written in the shared dialect: `?N` placeholders (a PostgreSQL connection
/// rewrites them to `$N`), `INSERT ... ON CONFLICT`, `RETURNING`, and casts where PostgreSQL
/// cannot infer a parameter's type. Values are bound and read as 64-bit integers, text or NULL.
///
/// Failures throw `SqlError`, which the store turns into `StateError` naming what it was doing
/// and where (`StateOptions` location, never a password).
///
/// Thread safety: none; one thread at a time per connection (the store guarantees it).

#include "soar/state/StateError.h"

#include <cstdint>
#include <functional>
#include <stdexcept>
#include <string>
#include <utility>

namespace soar::state {

/// A database failure, sorted by kind; `what()` is the database's own text.
class SqlError : public std::runtime_error {
public:
    SqlError(StateError::Kind kind, const std::string& message)
        : std::runtime_error(message), kind_(kind) {}
    [[nodiscard]] StateError::Kind kind() const noexcept { return kind_; }

private:
    StateError::Kind kind_;
};

class Statement;

/// One value of the current row of a `Statement`.
class Column {
public:
    Column(const Statement& stmt, int index) : stmt_(stmt), index_(index) {}
    [[nodiscard]] bool isNull() const;
    [[nodiscard]] std::int64_t getInt64() const;
    [[nodiscard]] int getInt() const { return static_cast<int>(getInt64()); }
    [[nodiscard]] std::string getString() const;

private:
    const Statement& stmt_;
    int index_;
};

/// A prepared statement. Parameters are numbered from 1, columns from 0.
class Statement {
public:
    virtual ~Statement() = default;

    virtual void bind(int index, std::int64_t value) = 0;
    virtual void bind(int index, const std::string& value) = 0;
    /// Binds NULL.
    virtual void bind(int index) = 0;
    void bind(int index, int value) { bind(index, static_cast<std::int64_t>(value)); }

    /// Runs the statement (first call) or moves to the next row; false when there is none.
    virtual bool executeStep() = 0;
    /// Runs a statement that returns no rows; the number of rows it changed.
    virtual int exec() = 0;
    /// Ends the current execution (and its read snapshot); bindings are kept.
    virtual void reset() noexcept = 0;

    [[nodiscard]] Column getColumn(int index) const { return Column(*this, index); }
    [[nodiscard]] virtual bool isNull(int index) const = 0;
    [[nodiscard]] virtual std::int64_t getInt64(int index) const = 0;
    [[nodiscard]] virtual std::string getString(int index) const = 0;
};

inline bool Column::isNull() const { return stmt_.isNull(index_); }
inline std::int64_t Column::getInt64() const { return stmt_.getInt64(index_); }
inline std::string Column::getString() const { return stmt_.getString(index_); }

class Connection {
public:
    enum class Dialect { Sqlite, Postgresql };
    enum class TxnKind {
        /// A transaction that will write: SQLite takes the write lock at BEGIN (IMMEDIATE),
        /// so two writers never deadlock upgrading read locks.
        Write,
        /// Reads from one snapshot.
        Snapshot,
    };

    virtual ~Connection() = default;
    Connection() = default;
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;

    [[nodiscard]] virtual Dialect dialect() const = 0;

    /// The cached statement for `sql`, reset and ready to bind. `sql` must be a string with
    /// static storage (the cache keys on its address). Use it through `Query`, which resets it
    /// after use so no read snapshot stays open.
    [[nodiscard]] virtual Statement& statement(const char* sql) = 0;
    /// Runs `sql` (one or more statements, no parameters).
    virtual void execute(const std::string& sql) = 0;

    virtual void begin(TxnKind kind) = 0;
    virtual void commit() = 0;
    /// Rolls back the open transaction; never throws (a lost connection has none left).
    virtual void rollback() noexcept = 0;

    /// The schema version the database carries (0: none yet).
    [[nodiscard]] virtual int schemaVersion() = 0;
    /// "ok", or the database's list of problems.
    [[nodiscard]] virtual std::string integrityCheck() = 0;

    /// Whether the connection can still be used (false after a PostgreSQL connection was lost).
    [[nodiscard]] virtual bool healthy() const { return true; }

    /// Free text (error texts, dead-letter and playbook messages) as it is to be stored:
    /// passed through the store's `StateOptions::scrub` when one is set.
    [[nodiscard]] std::string storedText(const std::string& text) const {
        return scrub_ ? scrub_(text) : text;
    }
    void setScrub(std::function<std::string(const std::string&)> scrub) {
        scrub_ = std::move(scrub);
    }

    /// Where the database is, for messages (a path, or a URL without password).
    [[nodiscard]] virtual const std::string& location() const = 0;

private:
    std::function<std::string(const std::string&)> scrub_;
};

/// The `StateError` for `e`, raised while doing `what` on the store at `location`.
[[nodiscard]] StateError stateErrorOf(const SqlError& e, const std::string& location,
                                      const std::string& what);

/// A cached statement in use; resets it when the scope ends, ending its read snapshot.
class Query {
public:
    Query(Connection& conn, const char* sql) : stmt_(conn.statement(sql)) {}
    ~Query() { stmt_.reset(); }
    Query(const Query&) = delete;
    Query& operator=(const Query&) = delete;

    Statement* operator->() { return &stmt_; }
    Statement& operator*() { return stmt_; }

private:
    Statement& stmt_;
};

/// A transaction that rolls back unless committed.
class Transaction {
public:
    Transaction(Connection& conn, Connection::TxnKind kind) : conn_(conn) { conn_.begin(kind); }
    ~Transaction() {
        if (!done_) conn_.rollback();
    }
    Transaction(const Transaction&) = delete;
    Transaction& operator=(const Transaction&) = delete;
    void commit() {
        conn_.commit();
        done_ = true;
    }

private:
    Connection& conn_;
    bool done_ = false;
};

}  // namespace soar::state
