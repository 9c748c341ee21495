// soar-emulator-bench: throughput of soar-emulator, measured over loopback HTTP with
// keep-alive Poco clients. Prints figures; not a test (run it by hand on a Release build).

#include "EmulatorTestClient.h"
#include "soar/emulator/Emulator.h"

#include <atomic>
#include <chrono>
#include <functional>
#include <iostream>
#include <thread>
#include <vector>

using soar::emulator::Emulator;
using soar::emulator::EmulatorOptions;
using soar::emulator::test::Client;
using soar::emulator::test::enc;

namespace {

/// Runs `body(client, thread, i)` in `threads` threads for `seconds`; returns requests/s.
double measure(const Emulator& emu, int threads, double seconds,
               const std::function<int(Client&, int, long)>& body) {
    std::atomic<long> done{0};
    std::atomic<long> errors{0};
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
    std::vector<std::thread> pool;
    const auto start = std::chrono::steady_clock::now();
    for (int t = 0; t < threads; ++t) {
        pool.emplace_back([&, t] {
            Client c(emu);
            long i = 0;
            while (std::chrono::steady_clock::now() < deadline) {
                if (body(c, t, i++) != 200) {
                    ++errors;
                }
                ++done;
            }
        });
    }
    for (auto& th : pool) {
        th.join();
    }
    const double elapsed =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (errors != 0) {
        std::cerr << errors << " requests failed\n";
    }
    return static_cast<double>(done) / elapsed;
}

}  // namespace

int main() {
    EmulatorOptions o;
    o.seed = 1;
    o.containers = 20000;
    o.artifacts = 2;
    const auto t0 = std::chrono::steady_clock::now();
    Emulator emu(o);
    std::cout << "seeded 20000 containers x 2 artifacts in "
              << std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count()
              << " s\n";

    const double get = measure(emu, 4, 5, [](Client& c, int t, long i) {
        return c.get("/rest/container/" + std::to_string(1 + (i * 7 + t * 1000) % 20000)).status;
    });
    std::cout << "GET /rest/container/<id>, 4 clients: " << static_cast<long>(get) << " req/s\n";

    const double post = measure(emu, 4, 5, [](Client& c, int t, long i) {
        return c
            .post("/rest/container",
                  R"({"name": "bench", "label": "events", "source_data_identifier": "b-)" +
                      std::to_string(t) + "-" + std::to_string(i) +
                      R"(", "artifacts": [{"name": "a", "cef": {"sourceAddress": "10.0.0.1"}}]})")
            .status;
    });
    std::cout << "POST /rest/container with one artifact, 4 clients: " << static_cast<long>(post)
              << " req/s\n";

    const double art = measure(emu, 4, 5, [](Client& c, int t, long i) {
        return c
            .post("/rest/artifact", R"({"container_id": )" + std::to_string(1 + i % 20000) +
                                        R"(, "name": "x", "cef": {"n": ")" + std::to_string(t) +
                                        "-" + std::to_string(i) + R"("}})")
            .status;
    });
    std::cout << "POST /rest/artifact, 4 clients: " << static_cast<long>(art) << " req/s\n";

    const double page = measure(emu, 4, 5, [](Client& c, int, long i) {
        return c
            .get("/rest/container?page_size=200&sort=id&order=asc&_filter_id__gt=" +
                 std::to_string((i * 200) % 19000))
            .status;
    });
    std::cout << "GET 200-container pages (id watermark), 4 clients: " << static_cast<long>(page)
              << " req/s\n";

    const double scan = measure(emu, 1, 5, [](Client& c, int, long) {
        return c
            .get("/rest/container?page_size=200&_filter_container_update_time__gt=" +
                 enc("\"2024-01-01T05:00:00Z\"") + "&sort=container_update_time&order=asc")
            .status;
    });
    std::cout << "GET a time-filtered, sorted page scanning " << emu.containerCount()
              << " containers, 1 client: " << static_cast<long>(scan) << " req/s\n";
    return 0;
}
