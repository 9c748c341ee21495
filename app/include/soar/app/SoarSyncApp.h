#pragma once

/// SoarSyncApp: the `soar-sync` executable as a Poco ServerApplication (design.md §3).
/// Options come through defineOptions() (the same OptionSet the CommandLine check uses);
/// initialize() reads the config file named by --config, SOAR_SYNC_CONFIG or the default
/// (explicitly: never Poco's implicit lookup) and sets up logging; main() runs the
/// subcommand and maps every failure to an exit code: 64 usage, 78 config, 69 a SOAR
/// instance or the state database unavailable, 70 internal error, 1 records in error.
///
/// No thread starts before initialize(): `--daemon` forks in ServerApplication::run().
///
/// Thread safety: one object per process, driven by run().

#include "soar/app/CommandLine.h"
#include "soar/app/Config.h"
#include "soar/state/SqliteStore.h"

#include <Poco/Util/ServerApplication.h>

#include <optional>
#include <string>
#include <vector>

namespace soar::app {

class SoarSyncApp : public Poco::Util::ServerApplication {
public:
    explicit SoarSyncApp(CommandLine command_line);

protected:
    void defineOptions(Poco::Util::OptionSet& options) override;
    void initialize(Poco::Util::Application& self) override;
    int main(const std::vector<std::string>& args) override;

private:
    int runDaemon();
    int runSyncOnce();
    int runResync();
    int runRetryDead();
    int runStatus();
    int runDeadLetters();
    int runCheck();
    /// The state store opened read-only, or null when there is no state file yet.
    [[nodiscard]] std::unique_ptr<state::SqliteStore> openStoreReadOnly() const;

    CommandLine cli_;
    std::optional<AppConfig> config_;
    std::string config_error_;
};

/// The whole program: checks the command line (64 on a usage error), then runs SoarSyncApp.
int runMain(int argc, char** argv);

}  // namespace soar::app
