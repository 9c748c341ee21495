#pragma once

/// One PostgreSQL connection to the state database (`Connection` on libpq), with its prepared
/// statements cached. Private to `soar_state`.
///
/// Statements are prepared once per connection (`?N` rewritten to `$N`); parameters are sent as
/// text and results read as text. Opening checks the database before writing anything: a
/// database holding other tables but no soar-sync marker is refused (`Corrupt`), and so is one
/// whose marker names a newer schema (`TooNew`). A failed call on a connection that the server
/// closed or the network cut throws `SqlError` of kind `Unavailable` and leaves the connection
/// unhealthy, for the store to drop. Messages name the URL without password or query.
///
/// Thread safety: none; one thread at a time (`SqlStore` guarantees it).

#include "Sql.h"
#include "soar/state/SqliteStore.h"

#include <memory>
#include <string>
#include <unordered_map>

struct pg_conn;

namespace soar::state {

/// `url` for messages: scheme, user, host, port and database; no password, no query.
[[nodiscard]] std::string redactedUrl(const std::string& url);

class PgConnection final : public Connection {
public:
    /// Connects and checks the database. Throws StateError naming `options.describe()`.
    [[nodiscard]] static std::unique_ptr<PgConnection> open(const StateOptions& options);
    ~PgConnection() override;

    [[nodiscard]] Dialect dialect() const override { return Dialect::Postgresql; }
    [[nodiscard]] Statement& statement(const char* sql) override;
    void execute(const std::string& sql) override;
    void begin(TxnKind kind) override;
    void commit() override;
    void rollback() noexcept override;
    [[nodiscard]] bool healthy() const override;
    [[nodiscard]] const std::string& location() const override { return location_; }
    [[nodiscard]] int schemaVersion() override;
    [[nodiscard]] std::string integrityCheck() override;

    /// The `SqlError` for the connection's last failure (`detail`: libpq's text).
    [[nodiscard]] SqlError failure(const std::string& sqlstate, const std::string& detail) const;
    [[nodiscard]] pg_conn* handle() const { return conn_; }

private:
    class PgStatement;

    PgConnection(pg_conn* conn, std::string location);

    pg_conn* conn_;
    std::string location_;
    int next_statement_ = 0;
    std::unordered_map<const char*, std::unique_ptr<PgStatement>> statements_;
};

/// Creates the schema at `target_version` (0: nothing; else the current schema in one step)
/// under an advisory lock, so daemons starting together create it once. Throws SqlError.
void migratePg(PgConnection& conn, int target_version);

}  // namespace soar::state
