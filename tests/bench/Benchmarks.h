#pragma once

/// The benchmarks `soar-sync-bench` can run. Each takes its own command-line arguments (after
/// its name), prints a table to stdout, and returns a process exit code.

#include <string>
#include <vector>

namespace soar::bench {

using Args = std::vector<std::string>;

/// The state store: lookup and unit-of-work commit times at growing mapping counts.
int runStateBench(const Args& args);

/// Full sync throughput against the target's raw ingest rate, the idle pass's requests and CPU
/// time, and the peak RSS of the syncing process (design §8); with `--latency-ms`, the full
/// sync against the bound that latency sets and against a seed-style serial loop instead.
int runSyncBench(const Args& args);

}  // namespace soar::bench
