#pragma once

/// What the parts of the sync benchmark share: the options, the rates a run measures, clients
/// and a full sync between two in-process emulators, and the table a part prints. Used from the
/// benchmark's main thread.

#include "Benchmarks.h"
#include "soar/client/PocoSoarApi.h"
#include "soar/emulator/Emulator.h"
#include "soar/sync/RouteConfig.h"

#include <Poco/JSON/Object.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <sys/resource.h>
#include <utility>
#include <vector>

namespace soar::bench {

using Clock = std::chrono::steady_clock;

struct Options {
    int containers = 20'000;
    int artifacts = 5;
    unsigned connections = 4;
    std::size_t page_size = 200;
    std::vector<int> sizes = {10'000, 100'000};
    /// Artifacts per container in the RSS/idle runs: the figure is about streaming pages of
    /// containers; 1 keeps the 100,000 run to a few minutes.
    int size_artifacts = 1;
    /// Full syncs per size (`--repeat`), each into a fresh target and state: the CPU of one
    /// run moves by a fifth or more with the machine's load, so the median is the figure.
    /// With --all-features one run, since mirror_back writes back into the source.
    int repeat = 3;
    bool throughput = true;
    /// Large-record runs, "MiB x count" each (`--large 15x1,10x12`): the peak RSS of a sync of
    /// containers whose `data` holds one string that large.
    std::vector<std::pair<int, int>> large = {{15, 1}, {10, 12}};
    /// File throughput run, "MiB x count" (`--files 5x20`): count containers of one file of
    /// MiB each, synced in process and against a bare upload loop; a count of 0 skips it.
    std::pair<int, int> files = {5, 20};
    /// File RSS runs, "MiB x count" each (`--file-rss 12x8,1x8`): the peak RSS of a child
    /// syncing count containers of one file of MiB each.
    std::vector<std::pair<int, int>> file_rss = {{12, 8}, {1, 8}};
    /// Added by both emulators to every request (`--latency-ms`); above 0 the benchmark
    /// measures the latency figures (LatencyBench.cpp) instead of the loopback ones.
    int latency_ms = 0;
    /// Containers of the source that the seed-style serial loop copies (`--serial-sample`).
    int serial_sample = 100;
    /// The RSS/idle runs with every route feature on (`--all-features`): notes and comments,
    /// vault files, workbooks, every mirror_back item, and two custom lists.
    bool all_features = false;
};

struct SourceRecord {
    Poco::JSON::Object::Ptr container;
    std::vector<Poco::JSON::Object::Ptr> artifacts;
};

struct Rate {
    double seconds = 0;
    /// CPU of this whole process (client, emulators, sync) over the phase.
    double cpu_seconds = 0;
    std::uint64_t requests = 0;
    /// Of `requests`, those the source and the target served (fullSync() counts both).
    std::uint64_t source_requests = 0;
    std::uint64_t target_requests = 0;
    std::int64_t containers = 0;
    std::int64_t artifacts = 0;
    std::int64_t files = 0;
    std::int64_t file_bytes = 0;
};

/// Where a timed phase began: what finishRate() measures the phase from.
struct RateStart {
    std::uint64_t source_requests = 0;
    std::uint64_t target_requests = 0;
    double cpu_millis = 0;
    Clock::time_point time;
};

[[nodiscard]] double secondsSince(Clock::time_point start);
/// A time of getrusage(), in ms.
[[nodiscard]] double millis(const timeval& t);
/// User plus system time of `usage`, in ms.
[[nodiscard]] double cpuMillis(const rusage& usage);
/// This process's CPU time so far, in ms.
[[nodiscard]] double processCpuMillis();
/// Starts timing a phase between `source` and `target`: their request counts, this process's
/// CPU time, then the clock.
[[nodiscard]] RateStart startRate(const emulator::Emulator& source,
                                  const emulator::Emulator& target);
/// Closes `rate` at the end of the phase begun at `start`: its seconds, its CPU seconds and the
/// requests `source` and `target` served since (and their sum).
void finishRate(Rate& rate, const RateStart& start, const emulator::Emulator& source,
                const emulator::Emulator& target);
/// A PocoSoarApi for an emulator (plain HTTP, its test token) with `connections` connections.
[[nodiscard]] std::unique_ptr<sync::PocoSoarApi> client(const std::string& name,
                                                        const std::string& url,
                                                        unsigned connections);
/// Route "bench" from "src" to "dst".
[[nodiscard]] sync::RouteConfig benchRoute(std::size_t page_size);
/// The CPU count and model, for the table's header.
[[nodiscard]] std::string machine();
/// The source read back, bypassing HTTP, so that a bare loop posts what the sync posts.
[[nodiscard]] std::vector<SourceRecord> readSource(const emulator::Emulator& source);
/// A full sync in this process; `file_max_size` > 0 turns the route's `attachments` on with
/// that limit (files wait in a temporary folder).
[[nodiscard]] Rate fullSync(emulator::Emulator& source, emulator::Emulator& target,
                            const Options& o, std::uint64_t file_max_size = 0);
/// A source of `containers` seeded containers of `artifacts` artifacts each (seed 42).
[[nodiscard]] emulator::EmulatorOptions seeded(int containers, int artifacts);
/// A row of a part's table: what, value, note.
void row(const std::string& what, const std::string& value, const std::string& note = "");
[[nodiscard]] std::string fixed(double value, int digits = 0);

/// Part 5: the latency figures (`--latency-ms`), LatencyBench.cpp.
void runLatency(const Options& o);

}  // namespace soar::bench
