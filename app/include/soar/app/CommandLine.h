#pragma once

/// CommandLine: the `soar-sync` command line (design.md §3), parsed and checked before the
/// application starts, so that a usage error exits 64 with a message and the usage text
/// rather than being taken for a config error. The same OptionSet drives Poco's own option
/// processing in SoarSyncApp::defineOptions(), so the two can never disagree.
///
/// Plain value type; no locking.

#include <Poco/Util/OptionSet.h>

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace soar::app {

/// A command line that cannot be run: exit code 64.
class UsageError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

enum class Command {
    None,
    Run,
    SyncOnce,
    Resync,
    RetryDead,
    DeadLetters,
    Status,
    MigrateState,
    Check
};

struct CommandLine {
    Command command = Command::None;
    bool help = false;
    bool version = false;
    /// `--config`; empty = SOAR_SYNC_CONFIG or the default.
    std::string config;
    std::string route;
    std::string target;
    std::vector<std::int64_t> containers;
    /// `retry-dead --id`: source ids of dead-lettered records.
    std::vector<std::int64_t> ids;
    std::string since;
    bool all = false;
    bool json = false;
    bool daemon = false;
    std::string pidfile;
    /// `run --routes A,B`: the only routes this daemon may replay (replaces `[cluster]
    /// routes`); empty: as the config says.
    std::vector<std::string> routes;
    /// `migrate-state --to URL`: the PostgreSQL database to copy the state into.
    std::string to;
    /// `migrate-state --into-non-empty`: replace the state that database already holds.
    bool into_non_empty = false;
};

/// The options of every subcommand (Poco's ServerApplication adds `--daemon`, `--umask` and
/// `--pidfile` itself; `with_server_options` adds them here for the standalone check).
void defineCliOptions(Poco::Util::OptionSet& options, bool with_server_options);

/// Parses `args` (without the program name). Throws UsageError naming the problem.
[[nodiscard]] CommandLine parseCommandLine(const std::vector<std::string>& args);

/// The usage text: subcommands, then options (Poco's HelpFormatter).
[[nodiscard]] std::string usageText();

}  // namespace soar::app
