// soar-sync-bench: runs the named benchmarks (design §8). Figures are printed, not judged.

#include "Benchmarks.h"

#include <cstring>
#include <exception>
#include <iostream>
#include <string>

namespace {

struct Benchmark {
    const char* name;
    const char* summary;
    int (*run)(const soar::bench::Args& args);
};

constexpr Benchmark kBenchmarks[] = {
    {"state",
     "state store lookups and commits at 10,000 and 1,000,000 mappings "
     "[--rows N,N,...] [--dir FOLDER]",
     soar::bench::runStateBench},
    {"sync",
     "full sync throughput against the target's raw ingest rate; idle pass requests and CPU; "
     "peak RSS, also of large records; vault file MB/s against a bare upload loop, and peak "
     "RSS with files in flight [--containers N] [--artifacts N] [--connections N] "
     "[--page-size N] [--sizes N,N,...] [--size-artifacts N] [--repeat N (full syncs per size, "
     "default 3; the median is shown)] [--all-features (the sizes' "
     "runs with notes, files, workbooks, mirror_back and lists on)] [--large MiBxN,...] "
     "[--no-large] [--files MiBxN (default 5x20)] [--file-rss MiBxN,... (default 12x8,1x8)] "
     "[--no-files] [--no-throughput]; or the latency figures instead: --latency-ms N "
     "[--connections N] "
     "[--containers N (default 2000)] [--serial-sample N (default 100)]",
     soar::bench::runSyncBench},
};

int usage(std::ostream& out, int code) {
    out << "usage: soar-sync-bench NAME [options] | all\n\nbenchmarks:\n";
    for (const auto& b : kBenchmarks) out << "  " << b.name << "  " << b.summary << "\n";
    return code;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) return usage(std::cout, 0);
    const std::string name = argv[1];
    if (name == "-h" || name == "--help") return usage(std::cout, 0);
    const soar::bench::Args args(argv + 2, argv + argc);
    try {
        if (name == "all") {
            int worst = 0;
            for (const auto& b : kBenchmarks) {
                std::cout << "== " << b.name << "\n";
                const int code = b.run({});
                if (code > worst) worst = code;
            }
            return worst;
        }
        for (const auto& b : kBenchmarks) {
            if (name == b.name) return b.run(args);
        }
    } catch (const std::exception& e) {
        std::cerr << "soar-sync-bench " << name << ": " << e.what() << "\n";
        return 70;
    }
    std::cerr << "soar-sync-bench: unknown benchmark '" << name << "'\n";
    return usage(std::cerr, 64);
}
