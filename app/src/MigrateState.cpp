#include "MigrateState.h"

#include "TextTable.h"
#include "soar/app/CommandLine.h"
#include "soar/app/Logging.h"
#include "soar/state/CopyState.h"
#include "soar/state/StateError.h"

#include <chrono>
#include <filesystem>
#include <iomanip>
#include <ostream>
#include <sstream>

namespace soar::app {

namespace {

/// copyState's words for a database that holds a state already (nothing copied).
constexpr const char* kHoldsState = "already holds a state";

std::string seconds(std::chrono::steady_clock::duration elapsed) {
    std::ostringstream text;
    text << std::fixed << std::setprecision(1) << std::chrono::duration<double>(elapsed).count()
         << " s";
    return text.str();
}

}  // namespace

int migrateState(const AppConfig& config, const std::string& url, bool into_non_empty,
                 std::ostream& out) {
    using Backend = state::StateOptions::Backend;
    if (config.state.backend != Backend::Sqlite) {
        throw UsageError("migrate-state copies a SQLite state file into PostgreSQL, but " +
                         config.path + " says [state] backend = postgresql (" +
                         config.state.describe() +
                         "): run it with the config that names the state file (backend = sqlite "
                         "and path)");
    }
    if (const auto problem = stateUrlProblem(url); !problem.empty()) {
        throw UsageError("--to: " + problem);
    }
    const state::StateOptions& from = config.state;
    if (!std::filesystem::exists(from.path)) {
        throw UsageError("nothing to migrate: there is no " + from.describe() +
                         " ([state] path in " + config.path + ")");
    }
    state::StateOptions to;
    to.backend = Backend::Postgresql;
    to.url = url;
    to.busy_timeout = config.state.busy_timeout;
    to.password = statePassword(config);
    Logging::redactor().addSecret(to.password);

    const auto started = std::chrono::steady_clock::now();
    state::CopyReport report;
    try {
        report = state::copyState(from, to, into_non_empty);
    } catch (const state::StateError& e) {
        // Not an internal error: the operator chooses another database or --into-non-empty.
        if (e.kind() == state::StateError::Kind::Unwritable &&
            std::string(e.what()).find(kHoldsState) != std::string::npos) {
            throw UsageError(e.what());
        }
        throw;
    }
    const auto elapsed = std::chrono::steady_clock::now() - started;

    TextTable table({"TABLE", "ROWS"});
    for (const auto& [name, rows] : report.tables) table.add({name, std::to_string(rows)});
    table.add({"total", std::to_string(report.total)});
    out << "copied " << from.describe() << " into " << to.describe() << " in " << seconds(elapsed)
        << (into_non_empty ? " (replacing what it held)" : "") << ":\n"
        << Logging::redactor().apply(table.render()) << "\n"
        << "Next: in [state] of " << config.path << " on every host, set\n"
        << "  backend = postgresql\n"
        << "  url = " << Logging::redactor().apply(url) << "\n"
        << "keep password_env or password_file, remove path, give each host its own [cluster] "
           "node, then start the daemons (systemctl start soar-sync). The state file is left as "
           "it was; writes a daemon made to it after this copy are not in the database.\n";
    return 0;
}

}  // namespace soar::app
