// The sync benchmark (design §8), between in-process soar-emulator instances on loopback:
//
// 1. Throughput: a full sync of C containers × A artifacts (20,000 × 5), in containers/s,
//    artifacts/s and requests/s, against the raw ingest rate of the same target measured in
//    the same run: N threads (N = the connection count) each posting a container and then its
//    artifacts in one batch, with the very bodies the sync would send (RecordMapper), through
//    PocoSoarApi. The raw loop runs first, so the sync then writes into a target that already
//    holds C containers: the ratio errs against the sync.
// 2. Idle pass and peak RSS: for each size S (10,000 and 100,000), a child process (this
//    executable, `sync --child ...`) makes the full sync of S containers and reports its peak
//    RSS (VmHWM). A second child then runs one idle pass over the unchanged source; it reports
//    the CPU time of the pass alone (getrusage around runPass), and the emulators count the
//    requests. Children keep the emulators' CPU and memory out of the figures. With
//    `--all-features` the route of both children has every feature on (notes and comments,
//    vault files, workbooks, every mirror_back item, two custom lists the source holds).
// 3. Large records (`--large`): the peak RSS of a child syncing containers of many MiB.
// 4. Vault files (`--files`, `--file-rss`; route `attachments = true`):
//    - throughput: a full sync of COUNT containers × 1 file of MiB (20 × 5 MiB), in MB/s of
//      file bytes, against a bare upload loop into the same target in the same run: N threads
//      (N = the connection count) each sending POST /rest/container_attachment through
//      PocoSoarApi::attachFile (base64 streamed from a file, as the sync sends it) into
//      containers made before the clock starts. The loop runs first; its files are then
//      deleted from the target so that the sync stores every file anew. Both are timed from
//      their first request to their last answer; the sync's time also holds its container
//      creates, its source listings and its downloads, so the ratio errs against the sync.
//    - peak RSS: a child syncs containers of one file each (12 MiB × 8: with 4 connections,
//      about 50 MB of files in flight at once), then the same with small files; VmHWM as in 2.
//      Meanwhile this process samples the child's scratch folder, to show the file bytes that
//      were in flight at once, not just those that could have been.
//    Both run by default (about 30 s on 2 cores); `--no-files` skips them.
// 5. Latency (`--latency-ms N`, LatencyBench.cpp): both emulators add N ms to every request;
//    a full sync against the bound that latency sets, and against a seed-style serial loop.
//    It runs instead of parts 1-4, over 2,000 containers unless `--containers` says otherwise.

#include "Benchmarks.h"
#include "SyncBenchSupport.h"
#include "soar/client/PocoSoarApi.h"
#include "soar/emulator/Emulator.h"
#include "soar/state/SqliteStore.h"
#include "soar/sync/RecordMapper.h"
#include "soar/sync/SoarAdapter.h"
#include "soar/sync/TargetSync.h"
#include "soar/sync/WorkerPool.h"
#include "support/TempDir.h"

#include <Poco/DigestEngine.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Pipe.h>
#include <Poco/PipeStream.h>
#include <Poco/Process.h>
#include <Poco/SHA1Engine.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <string>
#include <sys/resource.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace soar::bench {
namespace {

using Poco::JSON::Object;

std::vector<std::string> parseWords(const std::string& text) {
    std::vector<std::string> out;
    std::stringstream in(text);
    std::string item;
    while (std::getline(in, item, ',')) {
        if (!item.empty()) out.push_back(item);
    }
    return out;
}

/// "MiBxCOUNT" -> (MiB, count).
std::pair<int, int> parseSizeCount(const std::string& option, const std::string& item) {
    const auto x = item.find('x');
    if (x == std::string::npos) throw std::invalid_argument(option + " wants MiBxCOUNT");
    const std::pair<int, int> out{std::stoi(item.substr(0, x)), std::stoi(item.substr(x + 1))};
    if (out.first < 0 || out.second < 0) throw std::invalid_argument(option + ": negative");
    return out;
}

std::vector<std::pair<int, int>> parseSizeCounts(const std::string& option,
                                                 const std::string& text) {
    std::vector<std::pair<int, int>> out;
    for (const auto& item : parseWords(text)) out.push_back(parseSizeCount(option, item));
    return out;
}

std::vector<int> parseList(const std::string& text) {
    std::vector<int> out;
    for (const auto& item : parseWords(text)) out.push_back(std::stoi(item));
    return out;
}

Options parseOptions(const Args& args) {
    Options o;
    bool containers_given = false;
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string& a = args[i];
        auto value = [&]() -> const std::string& {
            if (i + 1 >= args.size()) throw std::invalid_argument(a + " needs a value");
            return args[++i];
        };
        if (a == "--containers") {
            o.containers = std::stoi(value());
            containers_given = true;
        } else if (a == "--artifacts") {
            o.artifacts = std::stoi(value());
        } else if (a == "--connections") {
            o.connections = static_cast<unsigned>(std::stoul(value()));
        } else if (a == "--page-size") {
            o.page_size = std::stoul(value());
        } else if (a == "--sizes") {
            o.sizes = parseList(value());
        } else if (a == "--size-artifacts") {
            o.size_artifacts = std::stoi(value());
        } else if (a == "--repeat") {
            o.repeat = std::stoi(value());
        } else if (a == "--large") {
            o.large = parseSizeCounts(a, value());
        } else if (a == "--files") {
            o.files = parseSizeCount(a, value());
        } else if (a == "--file-rss") {
            o.file_rss = parseSizeCounts(a, value());
        } else if (a == "--no-files") {
            o.files = {0, 0};
            o.file_rss.clear();
        } else if (a == "--no-throughput") {
            o.throughput = false;
        } else if (a == "--no-large") {
            o.large.clear();
        } else if (a == "--all-features") {
            o.all_features = true;
        } else if (a == "--latency-ms") {
            o.latency_ms = std::stoi(value());
        } else if (a == "--serial-sample") {
            o.serial_sample = std::stoi(value());
        } else {
            throw std::invalid_argument("unknown option " + a);
        }
    }
    if (o.connections == 0) throw std::invalid_argument("--connections must be at least 1");
    if (o.repeat < 1) throw std::invalid_argument("--repeat must be at least 1");
    if (o.latency_ms < 0) throw std::invalid_argument("--latency-ms must not be negative");
    if (o.serial_sample < 1) throw std::invalid_argument("--serial-sample must be at least 1");
    if (o.latency_ms > 0 && !containers_given) o.containers = 2'000;
    return o;
}

// --- the child: one sync process ---------------------------------------------------------

/// This process's peak RSS since exec (VmHWM). Not wait4()'s ru_maxrss: the kernel folds into
/// that the high-water mark of the memory the child had before exec, a copy of the parent
/// holding both emulators, so it would report the bench's size rather than the sync's.
long peakRssKb() {
    std::ifstream status("/proc/self/status");
    std::string line;
    while (std::getline(status, line)) {
        if (line.rfind("VmHWM:", 0) == 0) return std::stol(line.substr(6));
    }
    return -1;
}

/// The lookback of the every-feature route: short, so that the idle child can wait it out.
constexpr std::chrono::milliseconds kFeatureLookback{2'000};

/// The bench route with every feature an operator can turn on: notes and comments, vault
/// files, workbooks, every mirror_back item and two custom lists.
void allFeatures(sync::RouteConfig& route) {
    route.notes = true;
    route.attachments = true;
    route.workbooks = true;
    route.mirror_back.status = true;
    route.mirror_back.severity = true;
    route.mirror_back.sensitivity = true;
    route.mirror_back.owner = true;
    route.mirror_back.tags = true;
    route.mirror_back.notes = true;
    route.mirror_back.comments = true;
    route.mirror_back.tasks = true;
    route.lists = {"bench-blocklist", "bench-allowlist"};
    route.lookback = kFeatureLookback;
}

/// `sync --child SOURCE TARGET STATE CONNECTIONS PAGE_SIZE MAX_PASSES [FILE_MAX_SIZE
/// [FEATURES]]`: passes until one ends ok (at most MAX_PASSES); prints `passes= outcome=
/// pass_cpu_ms= pass_wall_ms=` of the last. FILE_MAX_SIZE (bytes), when given and not 0, turns
/// the route's `attachments` on with that `attachment_max_size`; files wait in the state
/// file's folder. FEATURES `all` turns every route feature on (allFeatures()).
int runChild(const Args& args) {
    if (args.size() < 7) throw std::invalid_argument("--child needs 6 arguments");
    sync::releaseLargeBlocksOnFree();  // as soar-sync does
    const unsigned connections = static_cast<unsigned>(std::stoul(args[4]));
    auto source = client("src", args[1], connections);
    auto target = client("dst", args[2], connections);
    auto store = state::SqliteStore::open({args[3]});
    auto route = benchRoute(std::stoul(args[5]));
    const std::uint64_t file_max_size = args.size() > 7 ? std::stoull(args[7]) : 0;
    sync::TargetSyncOptions options;
    if (file_max_size > 0) {
        route.attachments = true;
        route.attachment_max_size = file_max_size;
        options.scratch_dir = std::filesystem::path(args[3]).parent_path().string();
    }
    std::unique_ptr<sync::SoarMirrorSide> source_mirror;
    std::unique_ptr<sync::SoarMirrorSide> target_mirror;
    if (args.size() > 8 && args[8] == "all") {
        allFeatures(route);
        options.scratch_dir = std::filesystem::path(args[3]).parent_path().string();
        source_mirror = std::make_unique<sync::SoarMirrorSide>(*source, route.page_size);
        target_mirror = std::make_unique<sync::SoarMirrorSide>(*target, route.page_size);
        options.source_side = source_mirror.get();
        options.target_side = target_mirror.get();
    }
    sync::SoarSource source_side(*source, route);
    sync::SoarTarget target_side(*target, route.page_size);
    options.target = "dst";
    options.in_flight = connections;
    sync::TargetSync engine(route, options, source_side, target_side, *store);
    const int max_passes = std::stoi(args[6]);
    if (args.size() > 8 && args[8] == "all" && max_passes == 1) {
        // The idle pass of a daemon that runs for a while: each stream's walk reads the
        // lookback overlap behind its cursor until a walk a whole lookback after the full
        // sync found nothing new in it (Lookback.h). Two passes a lookback apart get there.
        (void)engine.runPass();
        std::this_thread::sleep_for(kFeatureLookback + std::chrono::milliseconds(200));
        (void)engine.runPass();
    }
    int passes = 0;
    sync::PassResult result;
    std::int64_t files = 0;
    std::int64_t file_bytes = 0;
    double cpu_ms = 0;
    double wall_ms = 0;
    std::uint64_t requests = 0;
    do {
        const auto attempts_before = source->stats().attempts + target->stats().attempts;
        rusage before{};
        getrusage(RUSAGE_SELF, &before);
        const auto start = Clock::now();
        result = engine.runPass();
        wall_ms = secondsSince(start) * 1e3;
        rusage after{};
        getrusage(RUSAGE_SELF, &after);
        cpu_ms = cpuMillis(after) - cpuMillis(before);
        requests = source->stats().attempts + target->stats().attempts - attempts_before;
        files += result.counts.files_copied;
        file_bytes += result.counts.file_bytes;
        ++passes;
    } while (result.outcome != sync::PassOutcome::Ok && passes < max_passes);
    std::cout << "vm_hwm_kb=" << peakRssKb() << " passes=" << passes
              << " outcome=" << sync::toString(result.outcome) << " pass_cpu_ms=" << cpu_ms
              << " pass_wall_ms=" << wall_ms << " pass_requests=" << requests
              << " created=" << result.counts.containers_created << " files=" << files
              << " file_bytes=" << file_bytes << std::endl;
    if (!result.error.empty()) std::cerr << "last error: " << result.error << "\n";
    return result.outcome == sync::PassOutcome::Ok ? 0 : 1;
}

struct ChildRun {
    std::map<std::string, std::string> fields;
    /// VmHWM as the child reported it.
    long max_rss_kb = 0;
    double total_cpu_ms = 0;
    /// Of total_cpu_ms, the kernel's (system time): sockets, the WAL's writes, thread hand-offs.
    double system_cpu_ms = 0;
    /// Context switches: the process waited (on a socket or a lock), or was preempted.
    long voluntary_switches = 0;
    long involuntary_switches = 0;
    double wall_s = 0;
};

ChildRun spawnChild(const emulator::Emulator& source, const emulator::Emulator& target,
                    const std::string& state, const Options& o, int max_passes,
                    std::uint64_t file_max_size = 0, bool all_features = false) {
    const std::vector<std::string> args{"sync",
                                        "--child",
                                        source.baseUrl(),
                                        target.baseUrl(),
                                        state,
                                        std::to_string(o.connections),
                                        std::to_string(o.page_size),
                                        std::to_string(max_passes),
                                        std::to_string(file_max_size),
                                        all_features ? "all" : "plain"};
    Poco::Pipe out;
    const auto start = Clock::now();
    auto handle = Poco::Process::launch("/proc/self/exe", args, nullptr, &out, nullptr);
    Poco::PipeInputStream in(out);
    ChildRun run;
    std::string word;
    while (in >> word) {
        const auto eq = word.find('=');
        if (eq != std::string::npos) run.fields[word.substr(0, eq)] = word.substr(eq + 1);
    }
    int status = 0;
    rusage usage{};
    if (wait4(handle.id(), &status, 0, &usage) < 0) throw std::runtime_error("wait4 failed");
    run.wall_s = secondsSince(start);
    run.max_rss_kb = run.fields.count("vm_hwm_kb") ? std::stol(run.fields["vm_hwm_kb"]) : -1;
    run.total_cpu_ms = cpuMillis(usage);
    run.system_cpu_ms = millis(usage.ru_stime);
    run.voluntary_switches = usage.ru_nvcsw;
    run.involuntary_switches = usage.ru_nivcsw;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        throw std::runtime_error("sync child failed (status " + std::to_string(status) + ")");
    }
    return run;
}

// --- throughput ----------------------------------------------------------------------------

/// N threads, each posting a container and then its artifacts in batches of 100 (the sync's
/// artifact_batch): the ingest rate of the target with nothing of soar-sync's work around it.
Rate rawIngest(emulator::Emulator& target, const std::vector<SourceRecord>& records,
               unsigned connections) {
    sync::RecordMapper mapper({"raw", {}, {}});
    // Bodies built before the clock starts: the loop measures the target, not the mapper.
    std::vector<Object::Ptr> bodies;
    bodies.reserve(records.size());
    for (const auto& r : records) {
        auto body = mapper.container(*r.container);
        body->set("source_data_identifier",
                  "raw:" + std::to_string(r.container->getValue<std::int64_t>("id")));
        bodies.push_back(body);
    }
    auto api = client("dst", target.baseUrl(), connections);
    std::atomic<std::size_t> next{0};
    std::atomic<std::int64_t> artifacts{0};
    std::exception_ptr failure;
    std::mutex failure_mutex;
    const auto requests_before = target.requestCount();
    const double cpu_before = processCpuMillis();
    const auto start = Clock::now();
    std::vector<std::thread> threads;
    for (unsigned t = 0; t < connections; ++t) {
        threads.emplace_back([&] {
            try {
                for (std::size_t i = next++; i < records.size(); i = next++) {
                    const auto created = api->createContainer(*bodies[i]);
                    const auto& source_artifacts = records[i].artifacts;
                    for (std::size_t j = 0; j < source_artifacts.size(); j += 100) {
                        Poco::JSON::Array batch;
                        for (std::size_t k = j; k < source_artifacts.size() && k < j + 100; ++k) {
                            auto a = mapper.artifact(*source_artifacts[k], created.id);
                            a->set(
                                "source_data_identifier",
                                "raw:a:" + std::to_string(
                                               source_artifacts[k]->getValue<std::int64_t>("id")));
                            batch.add(a);
                        }
                        artifacts += static_cast<std::int64_t>(api->createArtifacts(batch).size());
                    }
                }
            } catch (...) {
                const std::lock_guard<std::mutex> lock(failure_mutex);
                failure = std::current_exception();
            }
        });
    }
    for (auto& t : threads) t.join();
    if (failure) std::rethrow_exception(failure);
    Rate rate;
    rate.seconds = secondsSince(start);
    rate.cpu_seconds = (processCpuMillis() - cpu_before) / 1e3;
    rate.requests = target.requestCount() - requests_before;
    rate.containers = static_cast<std::int64_t>(records.size());
    rate.artifacts = artifacts;
    return rate;
}

// --- vault files ---------------------------------------------------------------------------

/// `size` bytes that do not compress, different for each seed.
std::string fileBytes(std::size_t size, unsigned seed) {
    std::string out(size, '\0');
    std::uint32_t x = seed * 2654435761U + 1U;
    for (auto& c : out) {
        x = x * 1103515245U + 12345U;
        c = static_cast<char>(x >> 24U);
    }
    return out;
}

struct BenchFile {
    std::string name;
    std::string sha1;
    std::uint64_t size = 0;
    /// A copy of its bytes on disk, for the bare upload loop; empty when not written.
    std::string path;
};

/// `count` new containers on `source`, each holding one file of `mib` MiB (all different);
/// with a `dir`, each file's bytes are also written there.
std::vector<BenchFile> seedFiles(emulator::Emulator& source, int mib, int count,
                                 const std::string& dir = "") {
    std::vector<BenchFile> out;
    for (int i = 0; i < count; ++i) {
        const std::string bytes =
            fileBytes(static_cast<std::size_t>(mib) << 20U, static_cast<unsigned>(i) + 1U);
        BenchFile file;
        file.name = "file-" + std::to_string(i) + ".bin";
        Poco::SHA1Engine sha1;
        sha1.update(bytes);
        file.sha1 = Poco::DigestEngine::digestToHex(sha1.digest());
        file.size = bytes.size();
        const auto container =
            source.createContainer(R"({"name": "files )" + std::to_string(i) + R"("})");
        (void)source.addAttachment(container, file.name, bytes);
        if (!dir.empty()) {
            file.path = (std::filesystem::path(dir) / file.name).string();
            std::ofstream disk(file.path, std::ios::binary);
            disk.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
            if (!disk.flush()) throw std::runtime_error("cannot write " + file.path);
        }
        out.push_back(std::move(file));
    }
    return out;
}

/// The bare upload loop: N threads (N = the connection count) each sending POST
/// /rest/container_attachment through PocoSoarApi::attachFile, the call and body the sync
/// uses, into containers made before the clock starts. Afterwards the target forgets these
/// files (attachments and vault documents deleted), so that a sync stores each anew.
Rate bareUploads(emulator::Emulator& target, const std::vector<BenchFile>& files,
                 unsigned connections) {
    std::vector<std::int64_t> containers;
    for (std::size_t i = 0; i < files.size(); ++i) {
        containers.push_back(
            target.createContainer(R"({"name": "bare upload )" + std::to_string(i) + R"("})"));
    }
    auto api = client("dst", target.baseUrl(), connections);
    std::vector<std::int64_t> ids(files.size());
    std::atomic<std::size_t> next{0};
    std::exception_ptr failure;
    std::mutex failure_mutex;
    const auto requests_before = target.requestCount();
    const double cpu_before = processCpuMillis();
    const auto start = Clock::now();
    std::vector<std::thread> threads;
    for (unsigned t = 0; t < connections; ++t) {
        threads.emplace_back([&] {
            try {
                for (std::size_t i = next++; i < files.size(); i = next++) {
                    ids[i] =
                        api->attachFile(containers[i], files[i].name, files[i].path, files[i].sha1);
                }
            } catch (...) {
                const std::lock_guard<std::mutex> lock(failure_mutex);
                failure = std::current_exception();
            }
        });
    }
    for (auto& t : threads) t.join();
    if (failure) std::rethrow_exception(failure);
    Rate rate;
    rate.seconds = secondsSince(start);
    rate.cpu_seconds = (processCpuMillis() - cpu_before) / 1e3;
    rate.requests = target.requestCount() - requests_before;
    rate.files = static_cast<std::int64_t>(files.size());
    for (const auto& f : files) rate.file_bytes += static_cast<std::int64_t>(f.size);
    for (const auto id : ids) {
        const auto deleted =
            target.direct("DELETE", "/rest/container_attachment/" + std::to_string(id));
        if (deleted.status != 200) {
            throw std::runtime_error("cannot delete attachment " + std::to_string(id));
        }
    }
    for (const auto id : containers) (void)target.deleteContainer(id);
    if (target.vaultDocumentCount() != 0) {
        throw std::runtime_error("the bare upload loop's files stayed in the target's vault");
    }
    return rate;
}

/// Watches a scratch folder from another thread (every 2 ms) while it lives: the most files
/// waiting between download and upload at once, and the most bytes they held. Sampled, so it
/// can miss a short peak; it only ever under-states what was in flight.
class ScratchWatch {
public:
    explicit ScratchWatch(std::string folder)
        : folder_(std::move(folder)), thread_([this] { watch(); }) {}
    ~ScratchWatch() { stop(); }
    ScratchWatch(const ScratchWatch&) = delete;
    ScratchWatch& operator=(const ScratchWatch&) = delete;

    void stop() {
        done_ = true;
        if (thread_.joinable()) thread_.join();
    }
    [[nodiscard]] std::size_t maxFiles() const { return max_files_; }
    [[nodiscard]] std::uint64_t maxBytes() const { return max_bytes_; }

private:
    void watch() {
        while (!done_) {
            std::size_t files = 0;
            std::uint64_t bytes = 0;
            std::error_code error;
            for (const auto& entry : std::filesystem::directory_iterator(folder_, error)) {
                if (entry.path().filename().string().rfind(".soar-sync-file-", 0) != 0) continue;
                std::error_code gone;  // uploaded and removed since the listing
                const auto size = entry.file_size(gone);
                if (gone) continue;
                ++files;
                bytes += size;
            }
            max_files_ = std::max(max_files_, files);
            max_bytes_ = std::max(max_bytes_, bytes);
            std::this_thread::sleep_for(std::chrono::milliseconds(2));
        }
    }

    std::string folder_;
    std::atomic<bool> done_{false};
    std::size_t max_files_ = 0;
    std::uint64_t max_bytes_ = 0;
    std::thread thread_;
};

/// The route's attachment_max_size for files of `size` bytes: the default, or `size` if larger.
std::uint64_t fileLimit(std::uint64_t size) {
    return std::max(sync::RouteConfig{}.attachment_max_size, size);
}

}  // namespace

int runSyncBench(const Args& args) {
    if (!args.empty() && args[0] == "--child") return runChild(args);
    const Options o = parseOptions(args);
    std::cout << "sync benchmark: two in-process soar-emulators on loopback, "
              << (o.latency_ms > 0 ? std::to_string(o.latency_ms) + " ms added to every request, "
                                   : std::string())
              << o.connections << " connections, page_size " << o.page_size
              << "\nmachine: " << machine() << "\n\n";
    if (o.latency_ms > 0) {
        runLatency(o);
        return 0;
    }

    if (o.throughput) {
        const auto seed_start = Clock::now();
        emulator::Emulator source(seeded(o.containers, o.artifacts));
        emulator::Emulator target(emulator::EmulatorOptions{});
        const auto records = readSource(source);
        std::cerr << "seeded " << o.containers << " x " << o.artifacts << " in "
                  << fixed(secondsSince(seed_start), 1) << " s\n";
        const Rate raw = rawIngest(target, records, o.connections);
        const Rate sync = fullSync(source, target, o);
        const double c_raw = static_cast<double>(raw.containers) / raw.seconds;
        const double a_raw = static_cast<double>(raw.artifacts) / raw.seconds;
        const double c_sync = static_cast<double>(sync.containers) / sync.seconds;
        const double a_sync = static_cast<double>(sync.artifacts) / sync.seconds;
        std::cout << "full sync of " << o.containers << " containers x " << o.artifacts
                  << " artifacts\n";
        row("raw ingest: time", fixed(raw.seconds, 2) + " s");
        row("raw ingest: containers/s", fixed(c_raw));
        row("raw ingest: artifacts/s", fixed(a_raw));
        row("raw ingest: requests/s (target)",
            fixed(static_cast<double>(raw.requests) / raw.seconds));
        row("raw ingest: CPUs busy (client + target)", fixed(raw.cpu_seconds / raw.seconds, 2));
        row("sync: time", fixed(sync.seconds, 2) + " s");
        row("sync: containers/s", fixed(c_sync), std::to_string(sync.containers) + " created");
        row("sync: artifacts/s", fixed(a_sync), std::to_string(sync.artifacts) + " created");
        row("sync: requests/s (source + target)",
            fixed(static_cast<double>(sync.requests) / sync.seconds),
            std::to_string(sync.requests) + " requests");
        row("sync: CPUs busy (sync + source + target)", fixed(sync.cpu_seconds / sync.seconds, 2));
        row("sync / raw ingest (containers/s)", fixed(c_sync / c_raw, 2), "target >= 0.85");
        std::cout << std::endl;  // a section at a time: the long runs show progress
    }

    for (const int size : o.sizes) {
        test::TempDir dir;
        const auto state = (dir.path() / "state.db").string();
        auto source_options = seeded(size, o.size_artifacts);
        if (o.all_features) {
            source_options.lists = {{"bench-blocklist", R"([["10.0.0.1", "scanner"]])"},
                                    {"bench-allowlist", R"([["example.com"]])"}};
        }
        emulator::Emulator source(source_options);
        emulator::Emulator target(emulator::EmulatorOptions{});
        // Runs into fresh targets first; the last one's target and state get the idle pass.
        std::vector<ChildRun> runs;
        for (int r = 1; r < (o.all_features ? 1 : o.repeat); ++r) {
            test::TempDir run_dir;
            emulator::Emulator fresh(emulator::EmulatorOptions{});
            runs.push_back(spawnChild(source, fresh, (run_dir.path() / "state.db").string(), o, 10,
                                      0, o.all_features));
        }
        runs.push_back(spawnChild(source, target, state, o, 10, 0, o.all_features));
        std::string cpu_runs;  // each run's, in the order run
        for (const auto& run : runs) {
            cpu_runs += (cpu_runs.empty() ? "" : ", ") + fixed(run.total_cpu_ms * 1e3 / size, 0);
        }
        std::sort(runs.begin(), runs.end(), [](const ChildRun& a, const ChildRun& b) {
            return a.total_cpu_ms < b.total_cpu_ms;
        });
        ChildRun full = runs[runs.size() / 2];
        const auto before = source.requestCount() + target.requestCount();
        ChildRun idle = spawnChild(source, target, state, o, 1, 0, o.all_features);
        // Counted by the emulators; with every feature on, by the child's clients for its
        // last pass alone (the passes before it let the lookback overlap settle).
        const auto requests = o.all_features
                                  ? std::stoull(idle.fields["pass_requests"])
                                  : source.requestCount() + target.requestCount() - before;
        std::cout << size << " source containers x " << o.size_artifacts
                  << " artifacts (sync in a child process"
                  << (o.all_features ? "; every feature on: notes and comments, files, "
                                       "workbooks, mirror_back of everything, 2 lists"
                                     : "")
                  << ")\n";
        row("full sync: time", fixed(full.wall_s, 1) + " s",
            "passes " + full.fields["passes"] + ", " + full.fields["outcome"]);
        row("full sync: CPU of the syncing process", fixed(full.total_cpu_ms / 1e3, 1) + " s",
            fixed(full.total_cpu_ms * 1e3 / size, 0) + " us per container" +
                (runs.size() > 1 ? " (median; runs " + cpu_runs + " us)" : "") +
                (o.size_artifacts == 5 ? "; target <= 200 us" : ""));
        const auto per_container = [size](long n) {
            return fixed(static_cast<double>(n) / static_cast<double>(size), 2);
        };
        row("full sync: of it in the kernel",
            fixed(100 * full.system_cpu_ms / std::max(full.total_cpu_ms, 1e-9), 0) + " %",
            "context switches per container: " + per_container(full.voluntary_switches) +
                " waits, " + per_container(full.involuntary_switches) + " preemptions");
        row("full sync: peak RSS", fixed(static_cast<double>(full.max_rss_kb) / 1024, 1) + " MiB");
        row("idle pass: requests", std::to_string(requests),
            o.all_features ? "target: one per stream and per list" : "target 3 (one per stream)");
        row("idle pass: CPU", fixed(std::stod(idle.fields["pass_cpu_ms"]), 1) + " ms",
            std::string(o.all_features ? "target < 20 ms" : "target < 50 ms") + "; wall " +
                fixed(std::stod(idle.fields["pass_wall_ms"]), 1) + " ms");
        row("idle process: CPU incl. startup", fixed(idle.total_cpu_ms, 1) + " ms",
            "peak RSS " + fixed(static_cast<double>(idle.max_rss_kb) / 1024, 1) + " MiB");
        std::cout << std::endl;  // a section at a time: the long runs show progress
    }

    for (const auto& [mib, count] : o.large) {
        test::TempDir dir;
        emulator::Emulator source(emulator::EmulatorOptions{});
        emulator::Emulator target(emulator::EmulatorOptions{});
        const std::string blob(static_cast<std::size_t>(mib) << 20U, 'x');
        for (int i = 0; i < count; ++i) {
            (void)source.createContainer(R"({"name": "large", "data": {"blob": ")" + blob + "\"}}");
        }
        ChildRun run = spawnChild(source, target, (dir.path() / "state.db").string(), o, 3);
        std::cout << count << " source containers of " << mib << " MiB (sync in a child process)\n";
        row("full sync: peak RSS", fixed(static_cast<double>(run.max_rss_kb) / 1024, 1) + " MiB",
            "created " + run.fields["created"] + ", " + run.fields["outcome"] +
                "; max_record_size 16 MiB");
        std::cout << std::endl;
    }

    if (o.files.first > 0 && o.files.second > 0) {
        const auto [mib, count] = o.files;
        test::TempDir dir;
        emulator::Emulator source(emulator::EmulatorOptions{});
        emulator::Emulator target(emulator::EmulatorOptions{});
        const auto files = seedFiles(source, mib, count, dir.path().string());
        const Rate bare = bareUploads(target, files, o.connections);
        const Rate sync = fullSync(source, target, o, fileLimit(files.front().size));
        const double mb = static_cast<double>(bare.file_bytes) / 1e6;
        const double mbs_bare = static_cast<double>(bare.file_bytes) / 1e6 / bare.seconds;
        const double mbs_sync = static_cast<double>(sync.file_bytes) / 1e6 / sync.seconds;
        std::cout << "vault files: full sync of " << count << " containers x 1 file of " << mib
                  << " MiB (" << fixed(mb, 1) << " MB; MB = 10^6 bytes)\n";
        row("bare upload loop: time", fixed(bare.seconds, 2) + " s",
            std::to_string(bare.requests) + " POST /rest/container_attachment, attachFile");
        row("bare upload loop: MB/s", fixed(mbs_bare, 1));
        row("bare upload loop: CPUs busy (client + target)",
            fixed(bare.cpu_seconds / bare.seconds, 2));
        row("sync: time", fixed(sync.seconds, 2) + " s",
            std::to_string(sync.requests) + " requests (source + target)");
        row("sync: MB/s", fixed(mbs_sync, 1),
            std::to_string(sync.files) + " files, " +
                fixed(static_cast<double>(sync.file_bytes) / 1e6, 1) + " MB copied");
        row("sync: CPUs busy (sync + source + target)", fixed(sync.cpu_seconds / sync.seconds, 2));
        row("sync / bare upload loop (MB/s)", fixed(mbs_sync / mbs_bare, 2),
            "sync also downloads and creates containers");
        if (sync.files != count) std::cout << "  WARNING: " << sync.files << " files copied\n";
        std::cout << std::endl;
    }

    for (const auto& [mib, count] : o.file_rss) {
        test::TempDir dir;
        emulator::Emulator source(emulator::EmulatorOptions{});
        emulator::Emulator target(emulator::EmulatorOptions{});
        const auto files = seedFiles(source, mib, count);
        const std::uint64_t size = static_cast<std::uint64_t>(mib) << 20U;
        const std::uint64_t in_flight =
            std::min<std::uint64_t>(o.connections, static_cast<std::uint64_t>(count)) * size;
        ScratchWatch scratch(dir.path().string());
        ChildRun run =
            spawnChild(source, target, (dir.path() / "state.db").string(), o, 3, fileLimit(size));
        scratch.stop();
        std::cout << count << " source containers x 1 file of " << mib
                  << " MiB (sync in a child process)\n";
        row("full sync: peak RSS", fixed(static_cast<double>(run.max_rss_kb) / 1024, 1) + " MiB",
            run.fields["files"] + " files, " + fixed(std::stod(run.fields["file_bytes"]) / 1e6, 1) +
                " MB copied, " + run.fields["outcome"]);
        row("full sync: file bytes in flight, at most",
            fixed(static_cast<double>(in_flight) / 1e6, 1) + " MB",
            std::to_string(
                std::min<std::uint64_t>(o.connections, static_cast<std::uint64_t>(count))) +
                " containers at once x " + std::to_string(mib) + " MiB");
        row("full sync: file bytes in flight, seen",
            fixed(static_cast<double>(scratch.maxBytes()) / 1e6, 1) + " MB",
            std::to_string(scratch.maxFiles()) + " scratch files at once (sampled every 2 ms)");
        row("full sync: time", fixed(run.wall_s, 1) + " s",
            fixed(static_cast<double>(size * static_cast<std::uint64_t>(count)) / 1e6 / run.wall_s,
                  1) +
                " MB/s");
        std::cout << std::endl;
    }
    return 0;
}

}  // namespace soar::bench
