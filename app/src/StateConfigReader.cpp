// Reading `[state]` and `[cluster]` of soar-sync's config (design.md §4), checking a PostgreSQL
// state URL, and reading the state database's password where the config says it lives.

#include "ConfigSection.h"

#include <Poco/String.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <vector>

namespace soar::app {

namespace {

const std::vector<std::string> kStateKeys = {"backend",      "path",          "url",
                                             "password_env", "password_file", "busy_timeout"};
const std::vector<std::string> kClusterKeys = {"node", "lease_ttl", "routes"};

constexpr std::size_t kMaxNodeName = 64;
constexpr std::chrono::milliseconds kMinLeaseTtl{2'000};
constexpr std::chrono::milliseconds kMaxLeaseTtl{3'600'000};
/// As for the instances' tokens: a shorter secret could not be masked in logs safely.
constexpr std::size_t kMinPasswordSize = 8;

bool nodeChar(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '.' || c == '_' || c == '-';
}

}  // namespace

std::string stateUrlProblem(const std::string& url) {
    const auto lower = Poco::toLower(url);
    // The password checks come first and never repeat the url: it may hold the password.
    // `password=` covers libpq's query parameters (`?password=`, `sslpassword=`) and the
    // `key=value` form.
    const auto scheme_end = lower.find("://");
    if (scheme_end != std::string::npos) {
        const auto authority_end = lower.find_first_of("/?", scheme_end + 3);
        const auto authority = lower.substr(scheme_end + 3, authority_end == std::string::npos
                                                                ? std::string::npos
                                                                : authority_end - scheme_end - 3);
        const auto at = authority.rfind('@');
        if (at != std::string::npos && authority.substr(0, at).find(':') != std::string::npos) {
            return "holds a password (USER:PASSWORD@); remove it from the url and give it with "
                   "password_env = VARIABLE or password_file = PATH";
        }
    }
    if (lower.find("password=") != std::string::npos) {
        return "holds a password parameter; remove it from the url and give the password with "
               "password_env = VARIABLE or password_file = PATH";
    }
    if (lower.rfind("postgresql://", 0) != 0 && lower.rfind("postgres://", 0) != 0) {
        return "expected a postgresql:// URL such as "
               "postgresql://soar_sync@db.example.com:5432/soar_sync?sslmode=verify-full, got '" +
               url + "'";
    }
    return {};
}

std::string nodeNameOf(const std::string& host) {
    std::string out;
    for (const char c : host) {
        if (out.size() == kMaxNodeName) break;
        out += nodeChar(c) ? c : '-';
    }
    return out.empty() ? "soar-sync" : out;
}

std::string statePassword(const AppConfig& config) {
    std::string password;
    if (!config.state_password_env.empty()) {
        const auto& name = config.state_password_env;
        const char* value = std::getenv(name.c_str());
        if (value == nullptr || *value == '\0') {
            throw ConfigError("[state] password_env: the variable " + name +
                              " is not set or empty; it should hold the database password");
        }
        password = value;
    } else if (!config.state_password_file.empty()) {
        const auto& file = config.state_password_file;
        std::error_code ignored;
        if (std::filesystem::is_directory(file, ignored)) {
            throw ConfigError("[state] password_file: cannot read " + file + ": it is a directory");
        }
        std::ifstream in(file, std::ios::binary);
        if (!in) {
            throw ConfigError("[state] password_file: cannot read " + file + " (" +
                              std::string(std::strerror(errno)) + ")");
        }
        std::getline(in, password);
        while (!password.empty() && (password.back() == '\r' || password.back() == '\n')) {
            password.pop_back();
        }
        if (password.empty()) {
            throw ConfigError("[state] password_file: " + file +
                              " is empty; expected the database password on its first line");
        }
    } else {
        // Neither: libpq may still find one in ~/.pgpass or PGPASSFILE.
        return password;
    }
    if (password.size() < kMinPasswordSize) {
        throw ConfigError(std::string("[state] ") +
                          (config.state_password_env.empty() ? "password_file" : "password_env") +
                          ": the database password is shorter than " +
                          std::to_string(kMinPasswordSize) +
                          " characters; it could not be masked in logs safely");
    }
    return password;
}

state::StateOptions stateOptionsOf(const AppConfig& config) {
    auto options = config.state;
    // A SQLite file needs no password: one meant for migrate-state that cannot be read now must
    // not stop a daemon or `status`.
    if (options.backend == state::StateOptions::Backend::Postgresql) {
        options.password = statePassword(config);
    }
    return options;
}

namespace ini {

void parseState(const AbstractConfiguration& ini, const std::string& base_dir, AppConfig& config) {
    using Backend = state::StateOptions::Backend;
    const Section s(ini, "state", "[state]", kStateKeys);
    const auto backend = Poco::toLower(s.str("backend", "sqlite"));
    if (backend == "sqlite") {
        config.state.backend = Backend::Sqlite;
    } else if (backend == "postgresql") {
        config.state.backend = Backend::Postgresql;
    } else {
        s.fail("backend", "expected sqlite or postgresql, got '" + s.str("backend") + "'");
    }
    if (config.state.backend == Backend::Sqlite) {
        if (s.has("url")) {
            s.fail("url",
                   "has no effect with backend = sqlite (set backend = postgresql to use the "
                   "database, or remove url)");
        }
        config.state.path = absolute(s.str("path", "/var/lib/soar-sync/state.db"), base_dir);
    } else {
        // Refused rather than ignored: an operator who sees `path` would take the file for the
        // live state (back it up, inspect it) while the daemons write the database.
        if (s.has("path")) {
            s.fail("path",
                   "has no effect with backend = postgresql: the state is in the database at "
                   "url (remove path, or comment it out)");
        }
        config.state.url = s.required(
            "url",
            "postgresql://USER@HOST[:PORT]/DATABASE[?sslmode=verify-full] with backend = "
            "postgresql");
        if (const auto problem = stateUrlProblem(config.state.url); !problem.empty()) {
            s.fail("url", problem);
        }
    }
    // Allowed with sqlite too: `migrate-state --to URL` reads the password from them.
    config.state_password_env = s.str("password_env");
    config.state_password_file = absolute(s.str("password_file"), base_dir);
    if (!config.state_password_env.empty() && !config.state_password_file.empty()) {
        s.fail("password_file",
               "conflicts with password_env; set at most one of password_env and password_file");
    }
    if (s.has("password_env") && config.state_password_env.empty()) {
        s.fail("password_env", "expected the name of an environment variable");
    }
    if (s.has("password_file") && config.state_password_file.empty()) {
        s.fail("password_file", "expected the path of a file holding the password");
    }
    config.state.busy_timeout = s.duration("busy_timeout", config.state.busy_timeout);
}

std::string clusterRoutesProblem(const AppConfig& config, const std::vector<std::string>& names) {
    std::vector<std::string> configured;
    for (const auto& r : config.routes) configured.push_back(r.config.name);
    std::set<std::string> seen;
    for (const auto& name : names) {
        if (!seen.insert(name).second) return "names '" + name + "' twice";
        if (config.route(name) != nullptr) continue;
        std::string out = "no route '" + name + "'";
        const auto guess = nearest(name, configured);
        if (!guess.empty()) out += " (did you mean '" + guess + "'?)";
        return out + "; the configured routes: " + joined(configured);
    }
    return {};
}

void parseCluster(const AbstractConfiguration& ini, const std::string& host, AppConfig& config) {
    const Section s(ini, "cluster", "[cluster]", kClusterKeys);
    auto& c = config.cluster;
    if (s.has("node")) {
        c.node = s.str("node");
        const bool ok = !c.node.empty() && c.node.size() <= kMaxNodeName &&
                        std::all_of(c.node.begin(), c.node.end(), nodeChar);
        if (!ok) {
            s.fail("node",
                   "expected 1 to 64 letters, digits, '.', '_' or '-', got '" + c.node + "'");
        }
    } else {
        c.node = nodeNameOf(host);
    }
    c.lease_ttl = s.duration("lease_ttl", c.lease_ttl);
    if (c.lease_ttl < kMinLeaseTtl || c.lease_ttl > kMaxLeaseTtl) {
        s.fail("lease_ttl", "expected a duration from 2s to 1h, got '" + s.str("lease_ttl") + "'");
    }
    if (s.has("routes")) {
        c.routes = splitList(s.str("routes"));
        if (c.routes.empty()) {
            s.fail("routes",
                   "expected a comma list of route names (or no routes key: every route)");
        }
        if (const auto problem = clusterRoutesProblem(config, c.routes); !problem.empty()) {
            s.fail("routes", problem);
        }
    }
}

}  // namespace ini

}  // namespace soar::app
