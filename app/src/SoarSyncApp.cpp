#include "soar/app/SoarSyncApp.h"

#include "EmptyDatabase.h"
#include "MigrateState.h"
#include "soar/app/Check.h"
#include "soar/app/Daemon.h"
#include "soar/app/Logging.h"
#include "soar/app/StatusRender.h"
#include "soar/app/StatusServer.h"
#include "soar/app/StoredStatus.h"
#include "soar/client/Errors.h"
#include "soar/client/Secret.h"
#include "soar/state/StateError.h"
#include "soar/sync/WorkerPool.h"

#include <Poco/Logger.h>
#include <Poco/Path.h>

#include <algorithm>
#include <csignal>
#include <iostream>
#include <limits>
#include <pthread.h>
#include <sys/stat.h>

namespace soar::app {

namespace {

constexpr int kExitOk = Poco::Util::Application::EXIT_OK;
constexpr int kExitUsage = Poco::Util::Application::EXIT_USAGE;
constexpr int kExitUnavailable = Poco::Util::Application::EXIT_UNAVAILABLE;
constexpr int kExitSoftware = Poco::Util::Application::EXIT_SOFTWARE;
constexpr int kExitConfig = Poco::Util::Application::EXIT_CONFIG;
constexpr int kExitTempFail = Poco::Util::Application::EXIT_TEMPFAIL;
/// `status`: no pass has finished yet (like `systemctl is-active`'s 3, "not running").
constexpr int kExitNoPassYet = 3;

/// Upper bound of sync-once's wait for playbook runs it triggered.
constexpr std::chrono::minutes kMaxPlaybookWait{10};

/// Every secret the config points at that this process can read: the instances' tokens and
/// passwords and the status token. What cannot be read is left to the command that needs it
/// (which then fails with its own message).
std::vector<std::string> readableSecrets(const AppConfig& config) {
    std::vector<std::string> secrets;
    for (const auto& instance : config.instances) {
        try {
            secrets.push_back(sync::loadCredentials(instance).secret.reveal());
        } catch (const std::exception&) {  // NOLINT(bugprone-empty-catch)
        }
    }
    if (!config.http.token_file.empty()) {
        try {
            secrets.push_back(readStatusToken(config.http.token_file));
        } catch (const std::exception&) {  // NOLINT(bugprone-empty-catch)
        }
    }
    try {
        secrets.push_back(statePassword(config));
    } catch (const std::exception&) {  // NOLINT(bugprone-empty-catch)
    }
    return secrets;
}

void printSummary(const RunSummary& summary) {
    for (const auto& problem : summary.problems) {
        std::cerr << "soar-sync: " << Logging::redactor().clean(problem) << "\n";
    }
}

/// Runs a command, mapping what it throws to an exit code and a message on stderr (the
/// message also goes to the log, through the redacting channel).
template <class Fn>
int guarded(const AppConfig& config, Fn&& fn) {
    auto& logger = Poco::Logger::get("app");
    const auto fail = [&](int code, const std::string& message) {
        const auto clean = Logging::redactor().clean(message);
        std::cerr << "soar-sync: " << clean << "\n";
        // On the console the line above is the message; a log file gets it too.
        if (!config.log.file.empty()) {
            poco_error(logger, clean);
        }
        return code;
    };
    try {
        return fn();
    } catch (const UsageError& e) {
        return fail(kExitUsage, e.what());
    } catch (const RouteBusy& e) {
        return fail(kExitTempFail, e.what());
    } catch (const ConfigError& e) {
        return fail(kExitConfig, e.what());
    } catch (const sync::SoarError& e) {
        return fail(kExitUnavailable, e.what());
    } catch (const state::StateError& e) {
        // The database server cannot be reached: a peer unavailable, like a SOAR instance.
        const bool unavailable = e.kind() == state::StateError::Kind::Unavailable;
        return fail(unavailable ? kExitUnavailable : kExitSoftware, e.what());
    } catch (const std::exception& e) {
        return fail(kExitSoftware, std::string("internal error: ") + e.what());
    }
}

}  // namespace

SoarSyncApp::SoarSyncApp(CommandLine command_line) : cli_(std::move(command_line)) {
    // Poco's own option errors are caught by runMain() first; keep it from re-reading them.
    setUnixOptions(true);
}

void SoarSyncApp::defineOptions(Poco::Util::OptionSet& options) {
    ServerApplication::defineOptions(options);
    defineCliOptions(options, false);
}

void SoarSyncApp::initialize(Poco::Util::Application& self) {
    // What soar-sync creates (log files and their rotations, folders) is never readable by
    // others, whatever umask it was started with: logs at most 0640 (the state file is 0600:
    // the store sees to it).
    const mode_t inherited = ::umask(0);
    ::umask(inherited | 027);
    ServerApplication::initialize(self);
    Logging::installBootstrap();
    try {
        config_ = loadConfig(configPath(cli_.config));
        Logging::install(config_->log);
    } catch (const ConfigError& e) {
        config_error_ = e.what();
    }
}

int SoarSyncApp::main(const std::vector<std::string>&) {
    if (!config_) {
        std::cerr << "soar-sync: " << config_error_ << "\n";
        return kExitConfig;
    }
    // A route the config lacks is a usage error, found before any secret is read.
    if (!cli_.route.empty() && !config_->route(cli_.route)) {
        std::cerr << "soar-sync: " << unknownRouteMessage(*config_, cli_.route) << "\n";
        return kExitUsage;
    }
    for (const auto& route : cli_.routes) {
        if (!config_->route(route)) {
            std::cerr << "soar-sync: --routes: " << unknownRouteMessage(*config_, route) << "\n";
            return kExitUsage;
        }
    }
    if (!cli_.routes.empty()) config_->cluster.routes = cli_.routes;
    // Every command masks every secret it can read, whether or not it uses it: `status` and
    // `dead-letters` print texts that came from peers.
    for (const auto& secret : readableSecrets(*config_)) Logging::redactor().addSecret(secret);
    switch (cli_.command) {
        case Command::Run:
            return guarded(*config_, [&] { return runDaemon(); });
        case Command::SyncOnce:
            return guarded(*config_, [&] { return runSyncOnce(); });
        case Command::Resync:
            return guarded(*config_, [&] { return runResync(); });
        case Command::RetryDead:
            return guarded(*config_, [&] { return runRetryDead(); });
        case Command::DeadLetters:
            return guarded(*config_, [&] { return runDeadLetters(); });
        case Command::Status:
            return guarded(*config_, [&] { return runStatus(); });
        case Command::MigrateState:
            return guarded(*config_, [&] {
                return migrateState(*config_, cli_.to, cli_.into_non_empty, std::cout);
            });
        case Command::Check:
            return guarded(*config_, [&] { return runCheck(); });
        case Command::None:
            break;
    }
    std::cerr << usageText();
    return kExitUsage;
}

int SoarSyncApp::runDaemon() {
    auto& logger = Poco::Logger::get("app");
    // Every thread started from here on inherits the mask: the signals are taken by
    // sigwait() below only, never delivered asynchronously to a worker.
    sigset_t signals;
    sigemptyset(&signals);
    for (const int s : {SIGINT, SIGTERM, SIGQUIT, SIGHUP}) sigaddset(&signals, s);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);

    auto daemon = Daemon::create(*config_);
    std::unique_ptr<StatusServer> server;
    if (config_->http.enabled) {
        server = std::make_unique<StatusServer>(config_->http, *daemon);
        if (!server->token().empty()) Logging::redactor().addSecret(server->token());
        server->start();
        poco_information(logger, "status server listening on http://" + config_->http.host + ":" +
                                     std::to_string(server->port()) + "/");
    }
    daemon->start();
    poco_information(
        logger, std::string("soar-sync ") + versionString() + " running with " + config_->path);
    for (;;) {
        int received = 0;
        if (sigwait(&signals, &received) != 0) continue;
        if (received == SIGHUP) {
            Logging::reopen();
            daemon->reloadSecrets();
            poco_information(logger, "SIGHUP: log file reopened, token files read again");
            continue;
        }
        poco_information(logger, std::string("stopping on ") +
                                     (received == SIGTERM  ? "SIGTERM"
                                      : received == SIGINT ? "SIGINT"
                                                           : "SIGQUIT") +
                                     "; letting writes in flight finish");
        break;
    }
    if (server) server->stop();
    daemon->stop();
    daemon.reset();
    poco_information(logger, "stopped");
    return kExitOk;
}

int SoarSyncApp::runSyncOnce() {
    auto daemon = Daemon::create(*config_);
    std::chrono::milliseconds wait{0};
    for (const auto& r : config_->routes) {
        if (r.playbook) wait = std::max(wait, r.playbook->timeout);
    }
    const auto summary =
        daemon->syncOnce(cli_.route, std::min<std::chrono::milliseconds>(wait, kMaxPlaybookWait));
    printSummary(summary);
    return summary.exitCode();
}

int SoarSyncApp::runResync() {
    auto daemon = Daemon::create(*config_);
    RunSummary summary;
    if (!cli_.containers.empty()) {
        summary = daemon->resyncContainers(cli_.route, cli_.target, cli_.containers);
    } else if (!cli_.since.empty()) {
        const auto since = sync::Timestamp::parse(cli_.since);
        if (!since) {
            throw UsageError("--since: expected an ISO 8601 timestamp, got '" + cli_.since + "'");
        }
        summary = daemon->resyncSince(cli_.route, cli_.target, *since);
    } else {
        summary = daemon->resyncAll(cli_.route, cli_.target);
    }
    printSummary(summary);
    return summary.exitCode();
}

int SoarSyncApp::runRetryDead() {
    auto daemon = Daemon::create(*config_);
    const auto summary = daemon->retryDead(cli_.route, cli_.ids);
    printSummary(summary);
    return summary.exitCode();
}

std::unique_ptr<state::SqliteStore> SoarSyncApp::openStoreReadOnly() const {
    state::StateOptions options = stateOptionsOf(*config_);
    options.read_only = true;
    options.quick_check = false;
    try {
        return state::SqliteStore::open(options);
    } catch (const state::StateError& e) {
        if (e.kind() == state::StateError::Kind::Missing) return nullptr;
        if (isEmptyDatabase(options, e)) return nullptr;
        throw;
    }
}

int SoarSyncApp::runStatus() {
    const auto store = openStoreReadOnly();
    if (!store) {
        std::cout << "no state yet in " << config_->state.describe() << ": no pass has run\n";
        return kExitNoPassYet;
    }
    const auto snapshot = readStoredStatus(*config_, *store);
    std::cout << Logging::redactor().apply(cli_.json ? renderJson(snapshot)
                                                     : renderTable(snapshot));
    return statusExitCode(snapshot);
}

int SoarSyncApp::runDeadLetters() {
    const auto store = openStoreReadOnly();
    if (!store) {
        std::cout << (cli_.json ? "{\n  \"total\": 0,\n  \"dead_letters\": []\n}\n"
                                : "no dead letters (no state yet in " + config_->state.describe() +
                                      ")\n");
        return kExitOk;
    }
    auto snapshot = readStoredStatus(*config_, *store, std::numeric_limits<std::size_t>::max());
    if (!cli_.route.empty()) {
        snapshot.routes.erase(
            std::remove_if(snapshot.routes.begin(), snapshot.routes.end(),
                           [&](const RouteView& r) { return r.name != cli_.route; }),
            snapshot.routes.end());
    }
    std::cout << Logging::redactor().apply(cli_.json ? renderDeadLettersJson(snapshot)
                                                     : renderDeadLettersTable(snapshot));
    return kExitOk;
}

int SoarSyncApp::runCheck() {
    const auto rows = runChecks(*config_);
    std::cout << Logging::redactor().apply(renderChecks(rows));
    return checkExitCode(rows);
}

int runMain(int argc, char** argv) {
    sync::releaseLargeBlocksOnFree();
    std::vector<std::string> args(argv + 1, argv + argc);
    CommandLine cli;
    try {
        cli = parseCommandLine(args);
    } catch (const UsageError& e) {
        std::cerr << "soar-sync: " << e.what() << "\nsee 'soar-sync --help'\n";
        return kExitUsage;
    }
    if (cli.help) {
        std::cout << usageText();
        return kExitOk;
    }
    if (cli.version) {
        std::cout << "soar-sync " << versionString() << " (" << allocatorName() << ")\n";
        return kExitOk;
    }
    // `--daemon` changes to / before initialize() reads the config: resolve it now.
    cli.config = Poco::Path(configPath(cli.config)).absolute().toString();
    try {
        SoarSyncApp app(cli);
        return app.run(argc, argv);
    } catch (const std::exception& e) {
        std::cerr << "soar-sync: internal error: " << e.what() << "\n";
        return kExitSoftware;
    }
}

}  // namespace soar::app
