// Part 5 of the sync benchmark (`--latency-ms N`): what a full sync reaches when each request
// takes N ms more, as between soar-sync and two SOAR instances on a real network.
//
// - The bound. With `connections` requests in flight at once and each taking at least the
//   latency, a sync that needs R requests per container copies at most
//   connections / (latency × R) containers/s. R is counted, not assumed: the requests both
//   emulators served during the sync, per container created.
// - The full sync of C containers × A artifacts (2,000 × 5), timed as part 1 times it, and its
//   share of the bound.
// - A seed-style serial loop, in the same run, over the first S containers of the same source
//   (100), into a fresh target with the same latency: offset paging (page=N, page_size) one
//   request at a time, and one POST per object: the container, then each of its artifacts,
//   read by offset paging of /rest/container/<id>/artifacts. The bodies are the ones the sync
//   sends (RecordMapper), so only the way of sending differs. Its rate against the sync's.
//
// Both emulators get enough server threads for every connection (a keep-alive connection holds
// one), so that they queue nothing: the latency is the only wait they add.

#include "SyncBenchSupport.h"
#include "soar/client/Query.h"
#include "soar/sync/RecordMapper.h"

#include <algorithm>
#include <iostream>
#include <string>

namespace soar::bench {
namespace {

/// An emulator adding `o.latency_ms` to every request, with a thread for every connection.
emulator::EmulatorOptions withLatency(emulator::EmulatorOptions options, const Options& o) {
    options.latency_ms = o.latency_ms;
    options.threads = std::max(options.threads, static_cast<int>(o.connections) * 2 + 4);
    return options;
}

/// The seed-style loop: the first `o.serial_sample` containers of `source`, read by offset
/// paging, each written to `target` as a container POST and then one POST per artifact; one
/// request at a time over one connection to each instance.
Rate serialLoop(emulator::Emulator& source, emulator::Emulator& target, const Options& o) {
    auto from = client("src", source.baseUrl(), 1);
    auto to = client("dst", target.baseUrl(), 1);
    sync::RecordMapper mapper({"src", {}, {}});
    const auto sample = static_cast<std::size_t>(o.serial_sample);
    const RateStart start = startRate(source, target);
    Rate rate;
    sync::Query containers;
    containers.pageSize(o.page_size).sort("id", sync::SortOrder::Asc);
    for (std::size_t page = 0; static_cast<std::size_t>(rate.containers) < sample; ++page) {
        const sync::Page listed = from->listPage(sync::collection::kContainer, containers, page);
        if (listed.records.empty()) break;
        for (const auto& container : listed.records) {
            if (static_cast<std::size_t>(rate.containers) == sample) break;
            const auto id = container->getValue<std::int64_t>("id");
            const auto created = to->createContainer(*mapper.container(*container));
            ++rate.containers;
            sync::Query artifacts;
            artifacts.pageSize(o.page_size).sort("id", sync::SortOrder::Asc);
            const std::string path = "container/" + std::to_string(id) + "/artifacts";
            for (std::size_t artifact_page = 0;; ++artifact_page) {
                const sync::Page read = from->listPage(path, artifacts, artifact_page);
                for (const auto& artifact : read.records) {
                    (void)to->createArtifact(*mapper.artifact(*artifact, created.id));
                    ++rate.artifacts;
                }
                if (read.records.size() < o.page_size) break;
            }
        }
    }
    finishRate(rate, start, source, target);
    return rate;
}

double perContainer(std::uint64_t requests, std::int64_t containers) {
    return static_cast<double>(requests) /
           static_cast<double>(std::max<std::int64_t>(1, containers));
}

}  // namespace

void runLatency(const Options& o) {
    const double latency_s = o.latency_ms / 1e3;
    const auto seed_start = Clock::now();
    emulator::Emulator source(withLatency(seeded(o.containers, o.artifacts), o));
    emulator::Emulator target(withLatency(emulator::EmulatorOptions{}, o));
    std::cerr << "seeded " << o.containers << " x " << o.artifacts << " in "
              << fixed(secondsSince(seed_start), 1) << " s\n";

    const Rate sync = fullSync(source, target, o);
    const double rate = static_cast<double>(sync.containers) / sync.seconds;
    const double per_container = perContainer(sync.requests, sync.containers);
    const double bound = o.connections / (latency_s * per_container);
    std::cout << "latency: " << o.latency_ms << " ms added to every request by both emulators; "
              << "full sync of " << o.containers << " containers x " << o.artifacts
              << " artifacts\n";
    row("sync: time", fixed(sync.seconds, 2) + " s");
    row("sync: containers/s", fixed(rate, 1), std::to_string(sync.containers) + " created");
    row("sync: artifacts/s", fixed(static_cast<double>(sync.artifacts) / sync.seconds, 1),
        std::to_string(sync.artifacts) + " created");
    row("sync: requests per container", fixed(per_container, 3),
        "source " + fixed(perContainer(sync.source_requests, sync.containers), 3) + " + target " +
            fixed(perContainer(sync.target_requests, sync.containers), 3) + " (counted)");
    // Little's law over the latency alone: how many connections were waiting on average.
    row("sync: requests in flight, mean",
        fixed(static_cast<double>(sync.requests) * latency_s / sync.seconds, 1),
        "source " + fixed(static_cast<double>(sync.source_requests) * latency_s / sync.seconds, 1) +
            ", target " +
            fixed(static_cast<double>(sync.target_requests) * latency_s / sync.seconds, 1) + "; " +
            std::to_string(o.connections) + " connections per instance");
    row("sync: CPUs busy (sync + source + target)", fixed(sync.cpu_seconds / sync.seconds, 2));
    row("bound: connections / (latency x requests)", fixed(bound, 1) + " /s",
        std::to_string(o.connections) + " / (" + fixed(latency_s, 3) + " s x " +
            fixed(per_container, 3) + ")");
    row("sync / bound", fixed(rate / bound, 2), "target >= 0.85");
    std::cout << std::endl;  // the serial loop takes a while: show the sync's figures first

    emulator::Emulator serial_target(withLatency(emulator::EmulatorOptions{}, o));
    const Rate serial = serialLoop(source, serial_target, o);
    const double serial_rate = static_cast<double>(serial.containers) / serial.seconds;
    std::cout << "seed-style serial loop over the first " << serial.containers
              << " of the same containers, into a fresh target with the same latency: offset "
                 "paging, one request at a time, one POST per object\n";
    row("serial: time", fixed(serial.seconds, 2) + " s");
    row("serial: containers/s", fixed(serial_rate, 2),
        std::to_string(serial.containers) + " containers, " + std::to_string(serial.artifacts) +
            " artifacts");
    row("serial: requests per container",
        fixed(perContainer(serial.requests, serial.containers), 3),
        "source " + fixed(perContainer(serial.source_requests, serial.containers), 3) +
            " + target " + fixed(perContainer(serial.target_requests, serial.containers), 3));
    row("sync / serial (containers/s)", fixed(rate / serial_rate, 1), "target >= 55");
    std::cout << std::endl;
}

}  // namespace soar::bench
