// The state store benchmark: how lookups and unit-of-work commits scale with the number of
// mappings. Each size gets a fresh file, bulk-loaded with N container mappings and N artifact
// mappings in large transactions, then measures:
//   - container and artifact lookups by random source id (cached prepared statements);
//   - commits of a unit of work: 1 container + 5 artifacts + a cursor advance;
//   - the file's size, and the time to reopen it (including the quick_check on open).

#include "Benchmarks.h"
#include "soar/state/SqliteStore.h"
#include "support/TempDir.h"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <memory>
#include <optional>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace soar::bench {
namespace {

using Clock = std::chrono::steady_clock;
using state::ArtifactMapping;
using state::ContainerMapping;
using state::Cursor;
using state::RouteTarget;
using state::SqliteStore;
using state::StateOptions;
using state::Stream;
using state::UnitOfWork;

constexpr int kArtifactsPerUnit = 5;
constexpr std::int64_t kLoadBatch = 50'000;
constexpr int kLookups = 200'000;
constexpr int kCommits = 2'000;
/// Ids per batched lookup: one source page (design §4 `page_size`).
constexpr std::size_t kBatch = 200;

const RouteTarget kKey{"hq-to-dr", "dr"};

double secondsSince(Clock::time_point start) {
    return std::chrono::duration<double>(Clock::now() - start).count();
}

/// CPU time of this process: on a shared machine, steadier than wall time.
double cpuSeconds() {
    timespec ts{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

std::string timestampOf(std::int64_t n) {
    std::ostringstream out;
    out << "2024-05-01T" << std::setw(2) << std::setfill('0') << (n / 3'600'000) % 24 << ":"
        << std::setw(2) << (n / 60'000) % 60 << ":" << std::setw(2) << (n / 1'000) % 60 << "."
        << std::setw(6) << n % 1'000'000 << "Z";
    return out.str();
}

// A realistic row: a sha256-sized hex hash and SOAR-style timestamps.
ContainerMapping containerOf(std::int64_t n) {
    ContainerMapping c;
    c.source_id = n;
    c.target_id = n + 7'000'000;
    c.content_hash = std::string(64, 'a');
    c.content_hash.replace(0, std::to_string(n).size(), std::to_string(n));
    c.create_time = timestampOf(n);
    c.container_update_time = timestampOf(n + 1);
    c.artifact_update_time = timestampOf(n + 2);
    return c;
}

ArtifactMapping artifactOf(std::int64_t id, std::int64_t container) {
    ArtifactMapping a;
    a.source_id = id;
    a.target_id = id + 9'000'000;
    a.source_container_id = container;
    a.content_hash = std::string(64, 'b');
    a.content_hash.replace(0, std::to_string(id).size(), std::to_string(id));
    a.update_time = timestampOf(id);
    return a;
}

std::uintmax_t sizeOnDisk(const std::string& path) {
    std::uintmax_t total = 0;
    for (const char* suffix : {"", "-wal", "-shm"}) {
        std::error_code ec;
        const auto size = std::filesystem::file_size(path + suffix, ec);
        if (!ec) total += size;
    }
    return total;
}

struct Row {
    std::int64_t rows = 0;
    double load_s = 0;
    double container_lookup_us = 0;
    double artifact_lookup_us = 0;
    double batch_lookup_us = 0;
    double commit_us = 0;
    double lookup_cpu_us = 0;
    double commit_cpu_us = 0;
    double file_mb = 0;
    double reopen_ms = 0;
};

Row measure(std::int64_t rows, const std::filesystem::path& folder) {
    Row row;
    row.rows = rows;
    StateOptions options;
    options.path = (folder / ("bench-" + std::to_string(rows) + ".db")).string();
    std::filesystem::remove(options.path);
    auto store = SqliteStore::open(options);

    // Bulk load: container n and artifact n (of container n), in large units.
    auto start = Clock::now();
    for (std::int64_t first = 1; first <= rows; first += kLoadBatch) {
        UnitOfWork unit;
        unit.key = kKey;
        const std::int64_t last = std::min(rows, first + kLoadBatch - 1);
        unit.containers.reserve(static_cast<std::size_t>(last - first + 1));
        unit.artifacts.reserve(static_cast<std::size_t>(last - first + 1));
        for (std::int64_t n = first; n <= last; ++n) {
            unit.containers.push_back(containerOf(n));
            unit.artifacts.push_back(artifactOf(n, n));
        }
        unit.cursors.push_back(Cursor{Stream::ContainersCreated, timestampOf(last), last});
        store->commit(unit);
    }
    row.load_s = secondsSince(start);

    std::mt19937_64 random(42);
    std::uniform_int_distribution<std::int64_t> any(1, rows);
    std::int64_t found = 0;
    start = Clock::now();
    double cpu = cpuSeconds();
    for (int i = 0; i < kLookups; ++i) {
        if (store->containerMapping(kKey, any(random))) ++found;
    }
    row.container_lookup_us = secondsSince(start) * 1e6 / kLookups;
    row.lookup_cpu_us = (cpuSeconds() - cpu) * 1e6 / kLookups;
    start = Clock::now();
    for (int i = 0; i < kLookups; ++i) {
        if (store->artifactMapping(kKey, any(random))) ++found;
    }
    row.artifact_lookup_us = secondsSince(start) * 1e6 / kLookups;
    start = Clock::now();
    std::vector<std::int64_t> page(kBatch);
    for (int i = 0; i < kLookups / static_cast<int>(kBatch); ++i) {
        for (auto& id : page) id = any(random);
        found += static_cast<std::int64_t>(store->findContainerMappings(kKey, page).size());
    }
    row.batch_lookup_us = secondsSince(start) * 1e6 / kLookups;
    if (found != 3 * static_cast<std::int64_t>(kLookups)) {
        throw std::runtime_error("lookups missed rows that were loaded");
    }

    // New containers above the loaded ids, as a pass replaying fresh records would.
    start = Clock::now();
    cpu = cpuSeconds();
    for (int i = 1; i <= kCommits; ++i) {
        const std::int64_t n = rows + i;
        UnitOfWork unit;
        unit.key = kKey;
        unit.containers.push_back(containerOf(n));
        for (int a = 1; a <= kArtifactsPerUnit; ++a) {
            unit.artifacts.push_back(artifactOf(rows * 10 + n * kArtifactsPerUnit + a, n));
        }
        unit.cursors.push_back(Cursor{Stream::ContainersCreated, timestampOf(n), n});
        store->commit(unit);
    }
    row.commit_us = secondsSince(start) * 1e6 / kCommits;
    row.commit_cpu_us = (cpuSeconds() - cpu) * 1e6 / kCommits;

    store.reset();  // checkpoints the WAL into the file
    row.file_mb = static_cast<double>(sizeOnDisk(options.path)) / (1024.0 * 1024.0);
    start = Clock::now();
    store = SqliteStore::open(options);
    row.reopen_ms = secondsSince(start) * 1e3;
    store.reset();
    std::filesystem::remove(options.path);
    return row;
}

std::vector<std::int64_t> parseRows(const std::string& list) {
    std::vector<std::int64_t> out;
    std::stringstream in(list);
    std::string item;
    while (std::getline(in, item, ',')) out.push_back(std::stoll(item));
    return out;
}

}  // namespace

int runStateBench(const Args& args) {
    std::vector<std::int64_t> sizes{10'000, 1'000'000};
    std::optional<std::filesystem::path> folder;
    for (std::size_t i = 0; i < args.size(); ++i) {
        if (args[i] == "--rows" && i + 1 < args.size()) {
            sizes = parseRows(args[++i]);
        } else if (args[i] == "--dir" && i + 1 < args.size()) {
            folder = args[++i];
        } else {
            std::cerr << "soar-sync-bench state: unknown argument '" << args[i]
                      << "' (expected --rows N,N,... or --dir FOLDER)\n";
            return 64;
        }
    }
    std::optional<test::TempDir> temp;
    if (!folder) {
        temp.emplace();
        folder = temp->path();
    }

    std::printf(
        "state store: N container + N artifact mappings; %d random lookups each; %d "
        "commits\n\n",
        kLookups, kCommits);
    // Times in microseconds per call; "cpu" columns count this process's CPU time only, which
    // stays meaningful on a busy machine.
    std::printf("%10s %8s %12s %12s %12s %12s %10s %10s %9s %10s\n", "rows", "load s", "lookup us",
                "lookup cpu", "artifact us", "batch us/id", "commit us", "commit cpu", "file MB",
                "reopen ms");
    for (const auto rows : sizes) {
        const Row r = measure(rows, *folder);
        std::printf("%10lld %8.2f %12.2f %12.2f %12.2f %12.2f %10.1f %10.1f %9.1f %10.1f\n",
                    static_cast<long long>(r.rows), r.load_s, r.container_lookup_us,
                    r.lookup_cpu_us, r.artifact_lookup_us, r.batch_lookup_us, r.commit_us,
                    r.commit_cpu_us, r.file_mb, r.reopen_ms);
        std::fflush(stdout);
    }
    std::printf(
        "\nlookup = containerMapping by random source id; batch = findContainerMappings of %zu "
        "ids;\ncommit = 1 container + %d artifacts + cursor; reopen includes quick_check\n",
        kBatch, kArtifactsPerUnit);
    return 0;
}

}  // namespace soar::bench
