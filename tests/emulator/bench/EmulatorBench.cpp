// soar-emulator-bench: throughput of soar-emulator, measured over loopback HTTP with
// keep-alive Poco clients, and the cost of the list pages a keyset walk asks for at 100,000
// containers, measured in process (Emulator::direct: the model and the page's JSON, no HTTP).
// Prints figures; not a test (run it by hand on a Release build).
//
//   soar-emulator-bench                 everything
//   soar-emulator-bench --keyset [N]    only the keyset pages, at N containers (100,000)

#include "EmulatorTestClient.h"
#include "soar/emulator/Emulator.h"

#include <Poco/JSON/Parser.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <iomanip>
#include <iostream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

using soar::emulator::Emulator;
using soar::emulator::EmulatorOptions;
using soar::emulator::test::Client;
using soar::emulator::test::enc;

namespace {

using BenchClock = std::chrono::steady_clock;

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

/// Microseconds per call of `request`, over `rounds` calls.
double microsPer(int rounds, const std::function<void()>& request) {
    const auto start = BenchClock::now();
    for (int i = 0; i < rounds; ++i) {
        request();
    }
    return std::chrono::duration<double, std::micro>(BenchClock::now() - start).count() / rounds;
}

/// `field` of the last record of a list page's body ("" when the page is empty).
std::string lastOf(const std::string& body, const std::string& field) {
    const auto data =
        Poco::JSON::Parser().parse(body).extract<Poco::JSON::Object::Ptr>()->getArray("data");
    if (data->size() == 0) {
        return {};
    }
    return data->getObject(static_cast<unsigned>(data->size() - 1))->getValue<std::string>(field);
}

std::string get(const Emulator& emu, const std::string& target) {
    const auto r = emu.direct("GET", target);
    if (r.status != 200) {
        throw std::runtime_error("GET " + target + " answered " + std::to_string(r.status));
    }
    return r.body;
}

void printCost(const std::string& what, double value, const char* unit = "us") {
    std::cout << "  " << std::left << std::setw(62) << what << std::right << std::setw(10)
              << std::fixed << std::setprecision(0) << value << " " << unit << "\n";
}

/// The list pages the sync's keyset walk asks for (sync/client/src/Paging.cpp), in process:
/// the first page (`__isnull=False`), pages after a cursor at the start, middle and end, the
/// drain of one timestamp group (`=<time>` and `id__gt`, sorted by id), and a whole walk.
void keysetCosts(int containers) {
    EmulatorOptions o;
    o.seed = 1;
    o.containers = containers;
    const auto t0 = BenchClock::now();
    const Emulator emu(o);
    std::cout << "keyset pages at " << containers << " containers (seeded in " << std::fixed
              << std::setprecision(1)
              << std::chrono::duration<double>(BenchClock::now() - t0).count()
              << " s), page_size 200, in process (model and JSON, no HTTP):\n";
    const std::string field = "container_update_time";
    const auto pageOf = [&](int size) {
        return "/rest/container?page_size=" + std::to_string(size) + "&sort=" + field +
               "&order=asc";
    };
    const std::string page = pageOf(200);
    const auto after = [&](const std::string& time, int size = 200) {
        return pageOf(size) + "&_filter_" + field + "__gt=" + enc("\"" + time + "\"");
    };
    const auto timeOf = [&](int id) {
        return lastOf(get(emu, "/rest/container?_filter_id=" + std::to_string(id)), field);
    };
    const int rounds = 20;
    printCost("first page (" + field + "__isnull=False)", microsPer(rounds, [&] {
                  (void)get(emu, page + "&_filter_" + field + "__isnull=False");
              }));
    for (const int id : {1, containers / 2, containers - 100}) {
        const std::string query = after(timeOf(id));
        printCost("page after container " + std::to_string(id) + " (" + field + "__gt)",
                  microsPer(rounds, [&] { (void)get(emu, query); }));
    }
    const std::string one = after(timeOf(containers / 2), 1);
    printCost("one record after container " + std::to_string(containers / 2) + " (page_size 1)",
              microsPer(rounds, [&] { (void)get(emu, one); }));
    const std::string drain = "/rest/container?page_size=200&sort=id&order=asc&_filter_id__gt=0&" +
                              std::string("_filter_") + field + "=" +
                              enc("\"" + timeOf(containers / 2) + "\"");
    printCost("drain of one time (" + field + "=T, id__gt, sort=id)",
              microsPer(rounds, [&] { (void)get(emu, drain); }));

    // A whole walk: page after page, each after the last time of the one before (the time
    // spent reading that time out of the page is not counted).
    double micros = 0;
    int requests = 0;
    std::string cursor;
    while (true) {
        const std::string query =
            cursor.empty() ? page + "&_filter_" + field + "__isnull=False" : after(cursor);
        std::string body;
        micros += microsPer(1, [&] { body = get(emu, query); });
        ++requests;
        cursor = lastOf(body, field);
        if (cursor.empty()) {
            break;
        }
    }
    printCost("whole walk: " + std::to_string(requests) + " pages, per page", micros / requests);
    printCost("whole walk: total", micros / 1000, "ms");
}

}  // namespace

int main(int argc, char** argv) {
    const std::vector<std::string> args(argv + 1, argv + argc);
    if (!args.empty() && args[0] == "--keyset") {
        keysetCosts(args.size() > 1 ? std::stoi(args[1]) : 100000);
        return 0;
    }
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
    std::cout << "GET a time-filtered, sorted page of 200 among " << emu.containerCount()
              << " containers, 1 client: " << static_cast<long>(scan) << " req/s\n\n";
    keysetCosts(100000);
    return 0;
}
