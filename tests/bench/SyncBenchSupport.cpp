#include "SyncBenchSupport.h"

#include "soar/app/StatusSource.h"
#include "soar/state/SqliteStore.h"
#include "soar/sync/SoarAdapter.h"
#include "soar/sync/TargetSync.h"
#include "support/TempDir.h"

#include <Poco/JSON/Parser.h>

#include <fstream>
#include <iomanip>
#include <iostream>
#include <map>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace soar::bench {

using Poco::JSON::Object;

double secondsSince(Clock::time_point start) {
    return std::chrono::duration<double>(Clock::now() - start).count();
}

double millis(const timeval& t) {
    return static_cast<double>(t.tv_sec) * 1e3 + static_cast<double>(t.tv_usec) / 1e3;
}

double cpuMillis(const rusage& usage) { return millis(usage.ru_utime) + millis(usage.ru_stime); }

double processCpuMillis() {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return cpuMillis(usage);
}

RateStart startRate(const emulator::Emulator& source, const emulator::Emulator& target) {
    RateStart start;
    start.source_requests = source.requestCount();
    start.target_requests = target.requestCount();
    start.cpu_millis = processCpuMillis();
    start.time = Clock::now();
    return start;
}

void finishRate(Rate& rate, const RateStart& start, const emulator::Emulator& source,
                const emulator::Emulator& target) {
    rate.seconds = secondsSince(start.time);
    rate.cpu_seconds = (processCpuMillis() - start.cpu_millis) / 1e3;
    rate.source_requests = source.requestCount() - start.source_requests;
    rate.target_requests = target.requestCount() - start.target_requests;
    rate.requests = rate.source_requests + rate.target_requests;
}

std::unique_ptr<sync::PocoSoarApi> client(const std::string& name, const std::string& url,
                                          unsigned connections) {
    sync::InstanceConfig config;
    config.name = name;
    config.url = url;
    config.allow_insecure_http = true;
    config.connections = connections;
    return sync::PocoSoarApi::create(config, {"", sync::Secret("test-token"), "token_env"});
}

sync::RouteConfig benchRoute(std::size_t page_size) {
    sync::RouteConfig route;
    route.name = "bench";
    route.source = "src";
    route.targets = {"dst"};
    route.page_size = page_size;
    return route;
}

std::string machine() {
    std::ifstream cpuinfo("/proc/cpuinfo");
    std::string line, model = "unknown CPU";
    while (std::getline(cpuinfo, line)) {
        if (line.rfind("model name", 0) == 0) {
            const auto colon = line.find(':');
            if (colon != std::string::npos) model = line.substr(colon + 2);
            break;
        }
    }
    std::ostringstream out;
    out << std::thread::hardware_concurrency() << " CPUs (nproc), " << model << "; "
        << soar::app::allocatorName();
    return out.str();
}

std::vector<SourceRecord> readSource(const emulator::Emulator& source) {
    auto list = [&](const std::string& type) {
        const auto response = source.direct("GET", "/rest/" + type + "?page_size=0&sort=id");
        if (response.status != 200) throw std::runtime_error("reading " + type + " failed");
        return Poco::JSON::Parser().parse(response.body).extract<Object::Ptr>()->getArray("data");
    };
    std::map<std::int64_t, SourceRecord> by_id;
    const auto containers = list("container");
    for (std::size_t i = 0; i < containers->size(); ++i) {
        auto c = containers->getObject(static_cast<unsigned>(i));
        by_id[c->getValue<std::int64_t>("id")].container = c;
    }
    const auto artifacts = list("artifact");
    for (std::size_t i = 0; i < artifacts->size(); ++i) {
        auto a = artifacts->getObject(static_cast<unsigned>(i));
        by_id[a->getValue<std::int64_t>("container")].artifacts.push_back(a);
    }
    std::vector<SourceRecord> out;
    out.reserve(by_id.size());
    for (auto& [id, record] : by_id) out.push_back(std::move(record));
    return out;
}

Rate fullSync(emulator::Emulator& source, emulator::Emulator& target, const Options& o,
              std::uint64_t file_max_size) {
    test::TempDir dir;
    auto source_api = client("src", source.baseUrl(), o.connections);
    auto target_api = client("dst", target.baseUrl(), o.connections);
    auto store = state::SqliteStore::open({(dir.path() / "state.db").string()});
    auto route = benchRoute(o.page_size);
    sync::TargetSyncOptions options;
    if (file_max_size > 0) {
        route.attachments = true;
        route.attachment_max_size = file_max_size;
        options.scratch_dir = dir.path().string();
    }
    sync::SoarSource source_side(*source_api, route);
    sync::SoarTarget target_side(*target_api, route.page_size);
    options.target = "dst";
    options.in_flight = o.connections;
    sync::TargetSync engine(route, options, source_side, target_side, *store);
    const RateStart start = startRate(source, target);
    Rate rate;
    for (int pass = 0; pass < 10; ++pass) {
        const auto result = engine.runPass();
        rate.containers += result.counts.containers_created;
        rate.artifacts += result.counts.artifacts_created;
        rate.files += result.counts.files_copied;
        rate.file_bytes += result.counts.file_bytes;
        if (result.outcome == sync::PassOutcome::Ok) break;
        std::cerr << "sync pass " << sync::toString(result.outcome) << ": " << result.error << "\n";
    }
    finishRate(rate, start, source, target);
    return rate;
}

emulator::EmulatorOptions seeded(int containers, int artifacts) {
    emulator::EmulatorOptions options;
    options.seed = 42;
    options.containers = containers;
    options.artifacts = artifacts;
    return options;
}

void row(const std::string& what, const std::string& value, const std::string& note) {
    std::cout << "  " << std::left << std::setw(44) << what << std::right << std::setw(14) << value
              << "  " << note << "\n";
}

std::string fixed(double value, int digits) {
    std::ostringstream out;
    out << std::fixed << std::setprecision(digits) << value;
    return out.str();
}

}  // namespace soar::bench
