/// soar-sync-route-runner: runs passes of one route between two SOAR instances and exits,
/// for the crash tests that SIGKILL it mid-pass (the daemon's `sync-once` does the same
/// with a config file).
///
///   soar-sync-route-runner SOURCE_URL TARGET_URL STATE_FILE [PASSES]
///
/// The token is read from SOAR_SYNC_TEST_TOKEN (default "test-token"). With
/// SOAR_SYNC_TEST_NOTES set the route copies notes and comments; with
/// SOAR_SYNC_TEST_PLAYBOOK=repo/name the route triggers that playbook on create;
/// SOAR_SYNC_TEST_CRASH_AT=after-intent|after-request kills the process with SIGKILL at that
/// point of the first trigger (after-report-intent|after-report-write: of the first report);
/// SOAR_SYNC_TEST_WAIT_RUNS=MS follows the runs that long after the passes, then, with
/// SOAR_SYNC_TEST_REPORT=note|comment (report_back), runs one more pass to report them. Prints one
/// line per pass: `pass <outcome> created=<n> artifacts=<n>`. Exits 0 when the last pass was ok.

#include "soar/client/PocoSoarApi.h"
#include "soar/state/SqliteStore.h"
#include "soar/sync/SoarAdapter.h"
#include "soar/sync/TargetSync.h"

#include <csignal>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>

namespace {

std::unique_ptr<soar::sync::PocoSoarApi> client(const std::string& name, const std::string& url) {
    soar::sync::InstanceConfig config;
    config.name = name;
    config.url = url;
    config.allow_insecure_http = true;
    config.retry.initial_backoff = std::chrono::milliseconds(5);
    config.retry.max_backoff = std::chrono::milliseconds(100);
    const char* token = std::getenv("SOAR_SYNC_TEST_TOKEN");
    return soar::sync::PocoSoarApi::create(
        config, {"", soar::sync::Secret(token ? token : "test-token"), "token_env"});
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 4) {
        std::cerr << "usage: soar-sync-route-runner SOURCE_URL TARGET_URL STATE_FILE [PASSES]\n";
        return 64;
    }
    try {
        const int passes = argc > 4 ? std::atoi(argv[4]) : 1;
        auto source = client("src", argv[1]);
        auto target = client("dst", argv[2]);
        auto store = soar::state::SqliteStore::open({argv[3]});
        soar::sync::RouteConfig route;
        route.name = "src-to-dst";
        route.source = "src";
        route.targets = {"dst"};
        route.page_size = 50;
        route.notes = std::getenv("SOAR_SYNC_TEST_NOTES") != nullptr;
        soar::sync::SoarSource source_side(*source, route);
        soar::sync::SoarTarget target_side(*target, route.page_size);
        soar::sync::SoarMirrorSide source_mirror(*source, route.page_size);
        soar::sync::TargetSyncOptions options;
        options.target = "dst";
        options.in_flight = 4;
        if (const char* report = std::getenv("SOAR_SYNC_TEST_REPORT")) {
            route.report_back = std::strcmp(report, "comment") == 0
                                    ? soar::sync::ReportBack::Comment
                                    : soar::sync::ReportBack::Note;
            options.source_side = &source_mirror;
        }
        std::unique_ptr<soar::sync::PlaybookTracker> playbooks;
        if (const char* playbook = std::getenv("SOAR_SYNC_TEST_PLAYBOOK")) {
            soar::sync::PlaybookConfig config;
            config.playbook = playbook;
            config.poll_min = std::chrono::milliseconds(50);
            config.poll_max = std::chrono::milliseconds(200);
            playbooks = std::make_unique<soar::sync::PlaybookTracker>(
                config, soar::state::RouteTarget{route.name, "dst"}, target_side, *store);
            if (const char* crash = std::getenv("SOAR_SYNC_TEST_CRASH_AT")) {
                const auto point = std::strcmp(crash, "after-intent") == 0
                                       ? soar::sync::CrashPoint::AfterIntent
                                   : std::strcmp(crash, "after-report-intent") == 0
                                       ? soar::sync::CrashPoint::AfterReportIntent
                                   : std::strcmp(crash, "after-report-write") == 0
                                       ? soar::sync::CrashPoint::AfterReportWritten
                                       : soar::sync::CrashPoint::AfterRequest;
                playbooks->setCrashHook([point](soar::sync::CrashPoint at) {
                    if (at == point) std::raise(SIGKILL);
                });
            }
            options.playbooks = playbooks.get();
        }
        soar::sync::TargetSync sync(route, options, source_side, target_side, *store);
        soar::sync::PassOutcome last = soar::sync::PassOutcome::Ok;
        for (int i = 0; i < passes; ++i) {
            const auto result = sync.runPass();
            last = result.outcome;
            std::cout << "pass " << soar::sync::toString(result.outcome)
                      << " created=" << result.counts.containers_created
                      << " artifacts=" << result.counts.artifacts_created << std::endl;
        }
        if (const char* wait = std::getenv("SOAR_SYNC_TEST_WAIT_RUNS"); wait && playbooks) {
            const auto pending = playbooks->waitAll(std::chrono::milliseconds(std::atoi(wait)));
            std::cout << "runs pending " << pending << std::endl;
            if (route.report_back != soar::sync::ReportBack::Off) {
                const auto reported = sync.runPass();
                last = reported.outcome;
                std::cout << "pass " << soar::sync::toString(reported.outcome)
                          << " reported=" << reported.counts.results_reported << std::endl;
            }
        }
        return last == soar::sync::PassOutcome::Ok ? 0 : 1;
    } catch (const std::exception& e) {
        std::cerr << "soar-sync-route-runner: " << e.what() << "\n";
        return 70;
    }
}
