#include "PgTestServer.h"

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <libpq-fe.h>
#include <map>
#include <mutex>
#include <stdexcept>
#include <unistd.h>

namespace soar::state::test {
namespace {

std::string env(const char* name) {
    const char* value = std::getenv(name);
    return value == nullptr ? std::string() : std::string(value);
}

std::string run(const std::string& command) {
    std::string out;
    FILE* pipe = ::popen(command.c_str(), "r");
    if (pipe == nullptr) throw std::runtime_error("cannot run " + command);
    std::array<char, 512> buffer{};
    while (std::fgets(buffer.data(), static_cast<int>(buffer.size()), pipe) != nullptr) {
        out += buffer.data();
    }
    if (::pclose(pipe) != 0) throw std::runtime_error(command + " failed:\n" + out);
    return out;
}

std::string script() { return std::string(SOAR_SYNC_SOURCE_DIR) + "/packaging/pg-test-server.sh"; }

PgTestServer* started = nullptr;
void stopStarted() {
    if (started == nullptr) return;
    try {
        (void)run(script() + " stop " + env("SOAR_SYNC_TEST_PG_DIR") + " 2>&1");
        std::filesystem::remove_all(env("SOAR_SYNC_TEST_PG_DIR"));
    } catch (const std::exception&) {
        // At exit: nothing left to report to.
    }
}

/// The `export NAME=VALUE` lines the script's start prints.
std::map<std::string, std::string> exportsOf(const std::string& out) {
    std::map<std::string, std::string> values;
    std::size_t pos = 0;
    while (pos < out.size()) {
        auto end = out.find('\n', pos);
        if (end == std::string::npos) end = out.size();
        auto line = out.substr(pos, end - pos);
        pos = end + 1;
        if (line.rfind("export ", 0) != 0) continue;
        line = line.substr(7);
        const auto eq = line.find('=');
        values[line.substr(0, eq)] = line.substr(eq + 1);
    }
    return values;
}

std::string newFolder() {
    char dir[] = "/tmp/soar-sync-pg-XXXXXX";
    if (::mkdtemp(dir) == nullptr) throw std::runtime_error("mkdtemp failed");
    return dir;
}

}  // namespace

std::unique_ptr<PgTestServer> PgTestServer::startPrivate() {
    const auto dir = newFolder();
    auto values = exportsOf(run(script() + " start " + dir + " 2>&1"));
    std::unique_ptr<PgTestServer> server(new PgTestServer());
    server->url_ = values["SOAR_SYNC_TEST_PG_URL"];
    server->password_ = values["SOAR_SYNC_TEST_PG_PASSWORD"];
    server->ca_ = values["SOAR_SYNC_TEST_PG_CA"];
    server->dir_ = dir;
    server->owned_ = true;
    return server;
}

PgTestServer::~PgTestServer() {
    if (!owned_) return;
    try {
        (void)run(script() + " stop " + dir_ + " 2>&1");
        std::filesystem::remove_all(dir_);
    } catch (const std::exception&) {  // NOLINT(bugprone-empty-catch)
        // A destructor: the folder is in /tmp.
    }
}

void PgTestServer::halt() { (void)run(script() + " halt " + dir_ + " 2>&1"); }

void PgTestServer::resume() { (void)run(script() + " resume " + dir_ + " 2>&1"); }

PgTestServer& PgTestServer::get() {
    static PgTestServer server;
    static std::once_flag once;
    std::call_once(once, [] {
        if (env("SOAR_SYNC_TEST_PG_URL").empty()) {
            const auto dir = newFolder();
            for (const auto& [name, value] : exportsOf(run(script() + " start " + dir))) {
                ::setenv(name.c_str(), value.c_str(), 1);
            }
            server.started_here_ = true;
            started = &server;
            std::atexit(stopStarted);
        }
        server.url_ = env("SOAR_SYNC_TEST_PG_URL");
        server.password_ = env("SOAR_SYNC_TEST_PG_PASSWORD");
        server.ca_ = env("SOAR_SYNC_TEST_PG_CA");
        server.dir_ = env("SOAR_SYNC_TEST_PG_DIR");
    });
    if (server.url_.empty()) throw std::runtime_error("no PostgreSQL test server");
    return server;
}

std::string PgTestServer::urlFor(const std::string& schema) const {
    return url_ + "?sslmode=require&options=-csearch_path%3D" + schema;
}

std::string PgTestServer::execute(const std::string& sql, const std::string& schema) {
    const std::string url = schema.empty() ? url_ + "?sslmode=require" : urlFor(schema);
    const char* keys[] = {"dbname", "password", nullptr};
    const char* values[] = {url.c_str(), password_.c_str(), nullptr};
    PGconn* conn = PQconnectdbParams(keys, values, 1);
    std::string error;
    if (PQstatus(conn) != CONNECTION_OK) {
        error = PQerrorMessage(conn);
    } else {
        PQsetNoticeProcessor(
            conn, [](void*, const char*) {}, nullptr);
        PGresult* result = PQexec(conn, sql.c_str());
        const auto status = PQresultStatus(result);
        if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
            error = PQresultErrorMessage(result);
        }
        PQclear(result);
    }
    PQfinish(conn);
    return error;
}

std::string PgTestServer::createSchema() {
    static std::mutex mutex;
    std::string schema;
    {
        std::lock_guard<std::mutex> lock(mutex);
        schema = "t" + std::to_string(::getpid()) + "_" + std::to_string(++next_schema_);
    }
    const auto error =
        execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE; CREATE SCHEMA " + schema);
    if (!error.empty()) throw std::runtime_error("creating schema " + schema + ": " + error);
    return schema;
}

void PgTestServer::dropSchema(const std::string& schema) {
    (void)execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
}

void PgTestServer::restart() { (void)run(script() + " restart " + dir_ + " 2>&1"); }

}  // namespace soar::state::test
