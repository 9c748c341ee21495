// `soar-sync check`: the rows about the state store and this daemon's place among others
// (Check.h).

#include "EmptyDatabase.h"
#include "soar/app/Check.h"
#include "soar/state/SqliteStore.h"
#include "soar/state/StateError.h"

#include <Poco/Util/Application.h>

#include <filesystem>
#include <string>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

namespace soar::app {

namespace {

constexpr const char* kSubject = "state store";
constexpr int kExitConfig = Poco::Util::Application::EXIT_CONFIG;
constexpr int kExitUnavailable = Poco::Util::Application::EXIT_UNAVAILABLE;

bool writable(const std::filesystem::path& path) { return ::access(path.c_str(), W_OK) == 0; }

/// A warning when the password file may be read by others than its owner; else nothing.
std::vector<CheckRow> passwordFileRows(const std::string& file) {
    struct stat info {};
    if (::stat(file.c_str(), &info) != 0 || (info.st_mode & 077U) == 0) return {};
    return {{kSubject, "password file", CheckResult::Warn,
             file + " is readable by " + ((info.st_mode & 007U) != 0 ? "others" : "its group") +
                 "; chmod 600 " + file}};
}

/// A state file that does not exist yet: fine when the daemon can create it.
CheckRow missingFile(const state::StateOptions& options) {
    auto folder = std::filesystem::path(options.path).parent_path();
    std::error_code ignored;
    while (!folder.empty() && !std::filesystem::exists(folder, ignored)) {
        folder = folder.parent_path();
    }
    if (folder.empty()) folder = ".";
    if (writable(folder)) {
        return {kSubject, "opens", CheckResult::Ok,
                "sqlite, " + options.describe() + ": not created yet; the daemon creates it (" +
                    folder.string() + " is writable)"};
    }
    return {kSubject, "opens", CheckResult::Fail,
            "sqlite, " + options.describe() + ": does not exist, and " + folder.string() +
                " is not writable by this user: the daemon could not create it (run check as "
                "the daemon's user, e.g. sudo -u soar-sync)"};
}

CheckRow storeRow(state::StateOptions options) {
    using R = CheckResult;
    using Kind = state::StateError::Kind;
    const bool sqlite = options.backend == state::StateOptions::Backend::Sqlite;
    const std::string what = std::string(sqlite ? "sqlite, " : "postgresql, ") + options.describe();
    std::error_code ignored;
    if (sqlite && !std::filesystem::exists(options.path, ignored)) return missingFile(options);
    // Read-only: check neither creates, migrates nor writes anything.
    options.read_only = true;
    options.quick_check = false;
    try {
        const auto store = state::SqlStore::open(options);
        const std::string detail =
            what + ", schema version " + std::to_string(store->schemaVersion());
        if (sqlite && !writable(options.path)) {
            return {kSubject, "opens", R::Warn,
                    detail +
                        ": not writable by this user, and the daemon writes it (run check as the "
                        "daemon's user, e.g. sudo -u soar-sync)"};
        }
        return {kSubject, "opens", R::Ok, detail};
    } catch (const state::StateError& e) {
        switch (e.kind()) {
            case Kind::Unavailable:
                return {kSubject, "reachable", R::Fail, e.what(), kExitUnavailable};
            case Kind::TooOld:
                if (isEmptyDatabase(options, e)) {
                    return {kSubject, "opens", R::Ok,
                            what +
                                ": empty; the first daemon creates the schema (migrate-state "
                                "copies a state file into it)"};
                }
                // An older schema, or (version 0) an empty database: the daemon's first open
                // migrates or creates it.
                return {kSubject, "opens", R::Ok,
                        what + ": " + e.what() +
                            " (the daemon does that when it starts; migrate-state fills an empty "
                            "database)"};
            default:
                return {kSubject, "opens", R::Fail, e.what()};
        }
    }
}

std::string clusterDetail(const AppConfig& config) {
    const auto& c = config.cluster;
    std::string routes;
    for (const auto& r : c.routes) routes += (routes.empty() ? "" : ", ") + r;
    const auto ms = c.lease_ttl.count();
    const auto ttl = ms % 1000 == 0 ? std::to_string(ms / 1000) + "s" : std::to_string(ms) + "ms";
    std::string detail = "node " + c.node + ", lease_ttl " + ttl +
                         ", routes: " + (routes.empty() ? "every route" : routes);
    if (config.state.backend == state::StateOptions::Backend::Sqlite) {
        return detail + "; another daemon on the same state file waits as a standby";
    }
    return detail + "; daemons on the same database share the routes";
}

}  // namespace

std::vector<CheckRow> stateChecks(const AppConfig& config) {
    std::vector<CheckRow> rows;
    const bool postgresql = config.state.backend == state::StateOptions::Backend::Postgresql;
    if (!config.state_password_env.empty() || !config.state_password_file.empty()) {
        try {
            (void)statePassword(config);
        } catch (const std::exception& e) {
            if (!postgresql) {
                rows.push_back({kSubject, "password", CheckResult::Warn,
                                std::string(e.what()) +
                                    " (with backend = sqlite, only migrate-state needs it)"});
            } else {
                rows.push_back({kSubject, "password", CheckResult::Fail, e.what(), kExitConfig});
                rows.push_back({kSubject, "opens", CheckResult::Skip, "no password (see above)"});
                return rows;
            }
        }
    }
    if (!config.state_password_file.empty()) {
        for (auto& row : passwordFileRows(config.state_password_file)) rows.push_back(row);
    }
    state::StateOptions options;
    try {
        options = stateOptionsOf(config);
    } catch (const std::exception& e) {  // read above already; a file may change meanwhile
        rows.push_back({kSubject, "password", CheckResult::Fail, e.what(), kExitConfig});
        return rows;
    }
    rows.push_back(storeRow(std::move(options)));
    rows.push_back({"cluster", "this daemon", CheckResult::Ok, clusterDetail(config)});
    return rows;
}

}  // namespace soar::app
