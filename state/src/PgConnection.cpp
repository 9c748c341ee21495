#include "PgConnection.h"

#include "Schema.h"

#include <algorithm>
#include <libpq-fe.h>
#include <optional>
#include <utility>
#include <vector>

namespace soar::state {
namespace {

bool startsWith(const std::string& s, const char* prefix) { return s.rfind(prefix, 0) == 0; }

/// The user part of the URL's authority, when it carries a password (`user:secret@`).
bool urlHoldsPassword(const std::string& url) {
    const auto scheme = url.find("://");
    if (scheme == std::string::npos) return false;
    const auto rest = url.substr(scheme + 3);
    const auto authority = rest.substr(0, rest.find_first_of("/?"));
    const auto at = authority.rfind('@');
    return at != std::string::npos && authority.substr(0, at).find(':') != std::string::npos;
}

/// Rewrites `?N` placeholders to PostgreSQL's `$N`; `params` gets the highest N.
std::string toDollarParams(const char* sql, int& params) {
    std::string out;
    params = 0;
    for (const char* p = sql; *p != '\0'; ++p) {
        if (*p == '?' && p[1] >= '0' && p[1] <= '9') {
            out += '$';
            int n = 0;
            while (p[1] >= '0' && p[1] <= '9') {
                n = n * 10 + (p[1] - '0');
                out += *++p;
            }
            if (n > params) params = n;
        } else {
            out += *p;
        }
    }
    return out;
}

StateError::Kind kindOfSqlstate(const std::string& state) {
    if (startsWith(state, "23")) return StateError::Kind::Constraint;
    if (state == "40001" || state == "40P01" || state == "55P03" || state == "57014" ||
        startsWith(state, "53")) {
        return StateError::Kind::Busy;
    }
    if (startsWith(state, "08") || startsWith(state, "57P")) return StateError::Kind::Unavailable;
    if (startsWith(state, "28") || state == "42501" || state == "25006" || state == "3D000") {
        return StateError::Kind::Unwritable;
    }
    return StateError::Kind::Other;
}

std::string trimmed(std::string text) {
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
    return text;
}

// The marker soar-sync keeps in its schema: which application and which schema version.
constexpr const char* kMarkerExists = "SELECT to_regclass('soar_sync_schema') IS NOT NULL";
constexpr const char* kSelectMarker = "SELECT application, version FROM soar_sync_schema";
constexpr const char* kCountTables =
    "SELECT count(*) FROM pg_catalog.pg_tables WHERE schemaname = current_schema()";
constexpr const char* kApplication = "soar-sync";

}  // namespace

std::string redactedUrl(const std::string& url) {
    const auto scheme = url.find("://");
    if (scheme == std::string::npos) return "(a url that is not postgresql://...)";
    auto rest = url.substr(scheme + 3);
    rest = rest.substr(0, rest.find('?'));
    const auto slash = rest.find('/');
    auto authority = rest.substr(0, slash);
    const auto path = slash == std::string::npos ? std::string() : rest.substr(slash);
    std::string user;
    const auto at = authority.rfind('@');
    if (at != std::string::npos) {
        user = authority.substr(0, at);
        user = user.substr(0, user.find(':')) + "@";
        authority = authority.substr(at + 1);
    }
    return url.substr(0, scheme) + "://" + user + authority + path;
}

/// `Statement` on a statement prepared on the server the first time it runs.
class PgConnection::PgStatement final : public Statement {
public:
    PgStatement(PgConnection& conn, std::string name, const char* sql)
        : conn_(conn), name_(std::move(name)) {
        int params = 0;
        sql_ = toDollarParams(sql, params);
        params_.resize(static_cast<std::size_t>(params));
    }
    ~PgStatement() override { reset(); }
    PgStatement(const PgStatement&) = delete;
    PgStatement& operator=(const PgStatement&) = delete;

    void bind(int index, std::int64_t value) override { slot(index) = std::to_string(value); }
    void bind(int index, const std::string& value) override { slot(index) = value; }
    void bind(int index) override { slot(index) = std::nullopt; }

    bool executeStep() override {
        if (result_ == nullptr) run();
        ++row_;
        return row_ < PQntuples(result_);
    }
    int exec() override {
        run();
        const char* tuples = PQcmdTuples(result_);
        return tuples[0] == '\0' ? 0 : std::stoi(tuples);
    }
    void reset() noexcept override {
        if (result_ != nullptr) PQclear(result_);
        result_ = nullptr;
        row_ = -1;
    }
    bool isNull(int index) const override { return PQgetisnull(current(), row_, index) != 0; }
    std::int64_t getInt64(int index) const override {
        const char* text = PQgetvalue(current(), row_, index);
        if (text[0] == 't' && text[1] == '\0') return 1;  // boolean true
        if (text[0] == 'f' && text[1] == '\0') return 0;
        return std::stoll(text);
    }
    std::string getString(int index) const override {
        return std::string(PQgetvalue(current(), row_, index),
                           static_cast<std::size_t>(PQgetlength(current(), row_, index)));
    }

private:
    std::optional<std::string>& slot(int index) {
        if (index < 1 || static_cast<std::size_t>(index) > params_.size()) {
            throw SqlError(StateError::Kind::Other,
                           "parameter " + std::to_string(index) + " out of range in: " + sql_);
        }
        return params_[static_cast<std::size_t>(index - 1)];
    }
    const PGresult* current() const {
        if (result_ == nullptr || row_ < 0 || row_ >= PQntuples(result_)) {
            throw SqlError(StateError::Kind::Other, "no current row in: " + sql_);
        }
        return result_;
    }
    void run() {
        reset();
        PGconn* pg = conn_.handle();
        if (!prepared_) {
            PGresult* prepared = PQprepare(pg, name_.c_str(), sql_.c_str(),
                                           static_cast<int>(params_.size()), nullptr);
            check(prepared, PGRES_COMMAND_OK);
            PQclear(prepared);
            prepared_ = true;
        }
        std::vector<const char*> values;
        values.reserve(params_.size());
        for (const auto& p : params_) values.push_back(p ? p->c_str() : nullptr);
        PGresult* result = PQexecPrepared(pg, name_.c_str(), static_cast<int>(values.size()),
                                          values.data(), nullptr, nullptr, 0);
        const auto status = PQresultStatus(result);
        check(result, status == PGRES_TUPLES_OK ? PGRES_TUPLES_OK : PGRES_COMMAND_OK);
        result_ = result;
    }
    void check(PGresult* result, ExecStatusType expected) {
        if (result != nullptr && PQresultStatus(result) == expected) return;
        std::string state;
        std::string detail = PQerrorMessage(conn_.handle());
        if (result != nullptr) {
            if (const char* s = PQresultErrorField(result, PG_DIAG_SQLSTATE)) state = s;
            detail = PQresultErrorMessage(result);
            PQclear(result);
        }
        throw conn_.failure(state, detail);
    }

    PgConnection& conn_;
    std::string name_;
    std::string sql_;
    std::vector<std::optional<std::string>> params_;
    bool prepared_ = false;
    PGresult* result_ = nullptr;
    int row_ = -1;
};

PgConnection::PgConnection(PGconn* conn, std::string location)
    : conn_(conn), location_(std::move(location)) {}

PgConnection::~PgConnection() {
    statements_.clear();
    PQfinish(conn_);
}

std::unique_ptr<PgConnection> PgConnection::open(const StateOptions& options) {
    const std::string where = options.describe();
    if (options.url.empty()) {
        throw StateError(StateError::Kind::Unwritable, where + ": [state] url is empty");
    }
    if (urlHoldsPassword(options.url)) {
        throw StateError(StateError::Kind::Unwritable,
                         where +
                             ": the url holds a password; give it with password_env or "
                             "password_file instead");
    }
    const auto timeout = std::to_string(
        std::max<long long>(2, static_cast<long long>(options.busy_timeout.count() / 1000)));
    const char* keys[] = {"dbname", "password", "connect_timeout", "application_name", nullptr};
    const char* values[] = {options.url.c_str(),
                            options.password.empty() ? nullptr : options.password.c_str(),
                            timeout.c_str(), "soar-sync", nullptr};
    PGconn* raw = PQconnectdbParams(keys, values, /*expand_dbname=*/1);
    if (raw == nullptr || PQstatus(raw) != CONNECTION_OK) {
        const std::string detail = raw == nullptr ? "out of memory" : trimmed(PQerrorMessage(raw));
        PQfinish(raw);
        const bool auth = detail.find("authentication failed") != std::string::npos ||
                          detail.find("password") != std::string::npos;
        if (auth) {
            throw StateError(StateError::Kind::Unwritable,
                             where + ": connecting failed: " + detail +
                                 "; check [state] url, the user and its password");
        }
        throw StateError(StateError::Kind::Unavailable,
                         where + ": connecting failed: " + detail +
                             "; the database server could not be reached (the next call "
                             "connects again)");
    }
    // Server notices (e.g. "relation exists, skipping") are not the daemon's to print.
    PQsetNoticeProcessor(
        raw, [](void*, const char*) {}, nullptr);
    std::unique_ptr<PgConnection> conn(new PgConnection(raw, where));
    try {
        // A write that waits for another's row lock longer than the busy timeout is Busy.
        conn->execute("SET lock_timeout = " + std::to_string(options.busy_timeout.count()));
        int version = conn->schemaVersion();
        if (version == 0) {
            Query count(*conn, kCountTables);
            count->executeStep();
            // Another soar-sync may have committed the schema (its tables and its marker in one
            // transaction) between the two reads: tables seen now mean the marker is too.
            if (count->getColumn(0).getInt64() > 0) version = conn->schemaVersion();
            if (version == 0 && count->getColumn(0).getInt64() > 0) {
                throw StateError(StateError::Kind::Corrupt,
                                 where +
                                     ": holds tables but is not a soar-sync state database; "
                                     "it was left untouched (point [state] url elsewhere)");
            }
        }
        if (version > kLatestSchemaVersion) {
            throw StateError(
                StateError::Kind::TooNew,
                where + ": was written by a newer soar-sync (schema version " +
                    std::to_string(version) + "; this binary knows up to " +
                    std::to_string(kLatestSchemaVersion) +
                    "); upgrade soar-sync or point [state] url elsewhere. It was left untouched");
        }
    } catch (const SqlError& e) {
        throw stateErrorOf(e, where, "checking the database");
    }
    return conn;
}

SqlError PgConnection::failure(const std::string& sqlstate, const std::string& detail) const {
    const auto kind = healthy() ? kindOfSqlstate(sqlstate) : StateError::Kind::Unavailable;
    return SqlError(kind,
                    trimmed(detail) + (sqlstate.empty() ? "" : " (SQLSTATE " + sqlstate + ")"));
}

Statement& PgConnection::statement(const char* sql) {
    auto& slot = statements_[sql];
    if (!slot) {
        slot = std::make_unique<PgStatement>(*this, "s" + std::to_string(++next_statement_), sql);
    }
    slot->reset();
    return *slot;
}

void PgConnection::execute(const std::string& sql) {
    PGresult* result = PQexec(conn_, sql.c_str());
    const auto status = result == nullptr ? PGRES_FATAL_ERROR : PQresultStatus(result);
    if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) {
        PQclear(result);
        return;
    }
    std::string state;
    std::string detail = PQerrorMessage(conn_);
    if (result != nullptr) {
        if (const char* s = PQresultErrorField(result, PG_DIAG_SQLSTATE)) state = s;
        detail = PQresultErrorMessage(result);
        PQclear(result);
    }
    throw failure(state, detail);
}

void PgConnection::begin(TxnKind kind) {
    execute(kind == TxnKind::Write ? "BEGIN" : "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
}

void PgConnection::commit() { execute("COMMIT"); }

void PgConnection::rollback() noexcept {
    if (!healthy()) return;
    PQclear(PQexec(conn_, "ROLLBACK"));
}

bool PgConnection::healthy() const { return PQstatus(conn_) == CONNECTION_OK; }

int PgConnection::schemaVersion() {
    {
        Query exists(*this, kMarkerExists);
        exists->executeStep();
        if (exists->getColumn(0).getInt64() == 0) return 0;
    }
    Query marker(*this, kSelectMarker);
    if (!marker->executeStep()) return 0;
    if (marker->getColumn(0).getString() != kApplication) {
        throw StateError(StateError::Kind::Corrupt, location_ +
                                                        ": belongs to another application (" +
                                                        marker->getColumn(0).getString() +
                                                        "), not soar-sync; it was left untouched");
    }
    return marker->getColumn(1).getInt();
}

std::string PgConnection::integrityCheck() {
    Query q(*this, kMarkerExists);
    q->executeStep();
    return "ok";
}

}  // namespace soar::state
