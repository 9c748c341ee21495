#pragma once

/// The PostgreSQL server the state tests use: the one `packaging/test.sh` started (the
/// SOAR_SYNC_TEST_PG_* variables), else a private one started once per test process with
/// `packaging/pg-test-server.sh` and stopped at exit. Each test gets a schema of its own.

#include <memory>
#include <string>

namespace soar::state::test {

class PgTestServer {
public:
    /// The server, started on first use. Throws std::runtime_error when none can be started.
    static PgTestServer& get();
    /// A server of this caller's own (for tests that stop it), stopped and removed when the
    /// result is destroyed.
    static std::unique_ptr<PgTestServer> startPrivate();
    ~PgTestServer();
    PgTestServer(const PgTestServer&) = delete;
    PgTestServer& operator=(const PgTestServer&) = delete;

    /// postgresql://ROLE@127.0.0.1:PORT/DB (no password, no query).
    const std::string& url() const { return url_; }
    const std::string& password() const { return password_; }
    /// The CA file the server's certificate chains to.
    const std::string& ca() const { return ca_; }
    /// A new empty schema, and the URL whose connections use it.
    std::string createSchema();
    std::string urlFor(const std::string& schema) const;
    void dropSchema(const std::string& schema);
    /// Restarts the server (pg-test-server.sh restart): connections are cut.
    void restart();
    /// Stops the server keeping its data (an outage), and starts it again.
    void halt();
    void resume();
    /// Runs `sql` as the test role; empty on success, else the error text.
    std::string execute(const std::string& sql, const std::string& schema = "");

private:
    PgTestServer() = default;
    std::string url_, password_, ca_, dir_;
    bool started_here_ = false;
    /// startPrivate(): the destructor stops it.
    bool owned_ = false;
    int next_schema_ = 0;
};

}  // namespace soar::state::test
