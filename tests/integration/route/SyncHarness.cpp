#include "SyncHarness.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>

#include <algorithm>
#include <filesystem>
#include <sstream>
#include <stdexcept>

namespace soar::test {
namespace {

using Poco::JSON::Object;

std::map<std::int64_t, Object::Ptr> readAll(const emulator::Emulator& emulator,
                                            const std::string& type) {
    const auto response = emulator.direct("GET", "/rest/" + type + "?page_size=0&sort=id");
    if (response.status != 200) {
        throw std::runtime_error("reading " + type + " failed: " + response.body);
    }
    const auto envelope = Poco::JSON::Parser().parse(response.body).extract<Object::Ptr>();
    std::map<std::int64_t, Object::Ptr> out;
    const auto data = envelope->getArray("data");
    for (std::size_t i = 0; i < data->size(); ++i) {
        const auto record = data->getObject(static_cast<unsigned>(i));
        out.emplace(record->getValue<std::int64_t>("id"), record);
    }
    return out;
}

std::string text(const Object& o, const std::string& key) {
    return o.has(key) && !o.isNull(key) ? o.get(key).toString() : std::string();
}

/// The source id in a soar-sync sdi with `prefix`, or -1.
std::int64_t sourceIdOf(const std::string& sdi, const std::string& prefix) {
    if (sdi.compare(0, prefix.size(), prefix) != 0) return -1;
    try {
        return std::stoll(sdi.substr(prefix.size()));
    } catch (const std::exception&) {
        return -1;
    }
}

std::vector<std::string> tagsOf(const Object& o) {
    std::vector<std::string> out;
    if (!o.has("tags") || !o.isArray("tags")) return out;
    const auto array = o.getArray("tags");
    for (std::size_t i = 0; i < array->size(); ++i) {
        out.push_back(array->get(static_cast<unsigned>(i)).toString());
    }
    return out;
}

std::string condensed(const Object& o, const std::string& key) {
    if (!o.has(key) || o.isNull(key)) return "{}";
    std::ostringstream out;
    o.get(key).extract<Object::Ptr>()->stringify(out);
    return out.str();
}

}  // namespace

Snapshot snapshot(const emulator::Emulator& emulator) {
    return {readAll(emulator, "container"), readAll(emulator, "artifact")};
}

namespace {

sync::InstanceConfig testInstance(const emulator::Emulator& emulator, const std::string& name,
                                  unsigned connections) {
    sync::InstanceConfig config;
    config.name = name;
    config.url = emulator.baseUrl();
    config.allow_insecure_http = true;
    config.connections = connections;
    config.retry.max_attempts = 12;
    config.retry.initial_backoff = std::chrono::milliseconds(5);
    config.retry.max_backoff = std::chrono::milliseconds(100);
    config.retry.max_total = std::chrono::milliseconds(30'000);
    return config;
}

}  // namespace

std::unique_ptr<sync::PocoSoarApi> clientFor(const emulator::Emulator& emulator,
                                             const std::string& name, unsigned connections) {
    sync::Credentials credentials{"", sync::Secret("test-token"), "token_env"};
    return sync::PocoSoarApi::create(testInstance(emulator, name, connections), credentials);
}

std::unique_ptr<sync::PocoSoarApi> userClientFor(const emulator::Emulator& emulator,
                                                 const emulator::EmulatorOptions& options,
                                                 const std::string& name) {
    auto config = testInstance(emulator, name, 4);
    config.auth = sync::AuthScheme::Basic;
    config.user = options.user;
    config.password_env = "SOAR_SYNC_TEST_PASSWORD";
    sync::Credentials credentials{options.user, sync::Secret(options.password), "password_env"};
    return sync::PocoSoarApi::create(config, credentials);
}

emulator::EmulatorOptions seeded(std::uint64_t seed, int containers, int artifacts) {
    emulator::EmulatorOptions options;
    options.seed = seed;
    options.containers = containers;
    options.artifacts = artifacts;
    return options;
}

sync::RouteConfig testRoute() {
    sync::RouteConfig route;
    route.name = "src-to-dst";
    route.source = "src";
    route.targets = {"dst"};
    route.page_size = 100;
    route.lookback = std::chrono::milliseconds(5'000);
    return route;
}

SyncHarness::SyncHarness(emulator::EmulatorOptions source_options,
                         emulator::EmulatorOptions target_options, sync::RouteConfig route_config,
                         unsigned in_flight)
    : source(std::move(source_options)),
      target(std::move(target_options)),
      state_path((dir.path() / "state" / "soar-sync.db").string()),
      route(std::move(route_config)),
      source_api(clientFor(source, route.source)),
      target_api(clientFor(target, route.targets.front())),
      in_flight_(in_flight) {
    store = state::SqliteStore::open({state_path});
    makeSync();
}

void SyncHarness::usePlaybook(sync::PlaybookConfig config, std::shared_ptr<sync::Clock> clock) {
    playbook_config_ = std::move(config);
    playbook_clock_ = std::move(clock);
    makeSync();
}

void SyncHarness::useEngineClock(std::shared_ptr<sync::Clock> clock) {
    engine_clock_ = std::move(clock);
    makeSync();
}

void SyncHarness::useTargetApi(std::unique_ptr<sync::PocoSoarApi> api) {
    // The engine borrows the client: it goes before the client it holds.
    sync_.reset();
    playbooks.reset();
    target_mirror.reset();
    target_side.reset();
    target_api = std::move(api);
    makeSync();
}

void SyncHarness::makeSync() {
    sync_.reset();
    playbooks.reset();
    source_side = std::make_unique<sync::SoarSource>(*source_api, route);
    target_side = std::make_unique<sync::SoarTarget>(*target_api, route.page_size);
    sync::TargetSyncOptions options;
    options.clock = engine_clock_;
    options.target = route.targets.front();
    options.in_flight = in_flight_;
    options.scratch_dir = (dir.path() / "state").string();
    if (route.mirror_back.any() || route.report_back != sync::ReportBack::Off) {
        source_mirror = std::make_unique<sync::SoarMirrorSide>(*source_api, route.page_size);
        target_mirror = std::make_unique<sync::SoarMirrorSide>(*target_api, route.page_size);
        options.source_side = source_mirror.get();
        options.target_side = target_mirror.get();
    }
    if (playbook_config_) {
        playbooks = std::make_unique<sync::PlaybookTracker>(
            *playbook_config_, state::RouteTarget{route.name, options.target}, *target_side, *store,
            playbook_clock_ ? playbook_clock_ : sync::SystemClock::instance());
        options.playbooks = playbooks.get();
    }
    sync_ = std::make_unique<sync::TargetSync>(route, options, *source_side, *target_side, *store);
}

void SyncHarness::reopenStore(bool delete_file) {
    sync_.reset();
    playbooks.reset();
    store.reset();
    if (delete_file) {
        for (const char* suffix : {"", "-wal", "-shm"}) {
            std::filesystem::remove(state_path + suffix);
        }
    }
    store = state::SqliteStore::open({state_path});
    makeSync();
}

std::vector<std::string> mirrorProblems(const Snapshot& source, const Snapshot& target,
                                        const sync::RouteConfig& route,
                                        const std::function<bool(const Object&)>& matches) {
    std::vector<std::string> problems;
    const std::string container_prefix = "soar-sync:" + route.source + ":";
    const std::string artifact_prefix = "soar-sync:" + route.source + ":artifact:";

    std::map<std::int64_t, std::vector<std::int64_t>> copies;  // source id -> target ids
    for (const auto& [id, copy] : target.containers) {
        const auto source_id = sourceIdOf(text(*copy, "source_data_identifier"), container_prefix);
        if (source_id < 0) {
            problems.push_back("target container " + std::to_string(id) + " has no soar-sync sdi");
            continue;
        }
        copies[source_id].push_back(id);
    }
    std::map<std::int64_t, std::int64_t> target_of;  // source container -> target container
    for (const auto& [id, original] : source.containers) {
        const bool wanted = !matches || matches(*original);
        const auto found = copies.find(id);
        const std::size_t n = found == copies.end() ? 0 : found->second.size();
        if (!wanted) {
            if (n != 0)
                problems.push_back("container " + std::to_string(id) + " copied but filtered out");
            continue;
        }
        if (n != 1) {
            problems.push_back("container " + std::to_string(id) + " has " + std::to_string(n) +
                               " copies");
            continue;
        }
        target_of[id] = found->second.front();
        const auto& copy = *target.containers.at(found->second.front());
        auto label = text(*original, "label");
        if (const auto mapped = route.label_map.find(label); mapped != route.label_map.end()) {
            label = mapped->second;
        }
        for (const auto& [field, expected] : std::vector<std::pair<std::string, std::string>>{
                 {"name", text(*original, "name")},
                 {"label", label},
                 {"severity", text(*original, "severity")},
                 {"status", text(*original, "status")},
                 {"sensitivity", text(*original, "sensitivity")}}) {
            if (text(copy, field) != expected) {
                problems.push_back("container " + std::to_string(id) + " " + field + ": '" +
                                   text(copy, field) + "' != '" + expected + "'");
            }
        }
        auto expected_tags = tagsOf(*original);
        for (const auto& tag : route.add_tags) {
            if (std::find(expected_tags.begin(), expected_tags.end(), tag) == expected_tags.end()) {
                expected_tags.push_back(tag);
            }
        }
        auto actual_tags = tagsOf(copy);
        std::sort(expected_tags.begin(), expected_tags.end());
        std::sort(actual_tags.begin(), actual_tags.end());
        if (expected_tags != actual_tags) {
            problems.push_back("container " + std::to_string(id) + " tags differ");
        }
    }
    for (const auto& [source_id, targets] : copies) {
        if (!source.containers.count(source_id)) {
            problems.push_back("target holds a copy of unknown source container " +
                               std::to_string(source_id));
        }
    }
    if (!route.artifacts) return problems;

    std::map<std::int64_t, std::vector<std::int64_t>> artifact_copies;
    for (const auto& [id, copy] : target.artifacts) {
        const auto source_id = sourceIdOf(text(*copy, "source_data_identifier"), artifact_prefix);
        if (source_id >= 0) artifact_copies[source_id].push_back(id);
    }
    for (const auto& [id, original] : source.artifacts) {
        const auto container = original->getValue<std::int64_t>("container");
        const auto target_container = target_of.find(container);
        if (target_container == target_of.end()) continue;  // container not wanted or missing
        const auto found = artifact_copies.find(id);
        const std::size_t n = found == artifact_copies.end() ? 0 : found->second.size();
        if (n != 1) {
            problems.push_back("artifact " + std::to_string(id) + " has " + std::to_string(n) +
                               " copies");
            continue;
        }
        const auto& copy = *target.artifacts.at(found->second.front());
        if (copy.getValue<std::int64_t>("container") != target_container->second) {
            problems.push_back("artifact " + std::to_string(id) +
                               " copied into the wrong container");
        }
        if (condensed(copy, "cef") != condensed(*original, "cef")) {
            problems.push_back("artifact " + std::to_string(id) + " cef differs");
        }
        if (text(copy, "name") != text(*original, "name")) {
            problems.push_back("artifact " + std::to_string(id) + " name differs");
        }
    }
    return problems;
}

Poco::JSON::Array::Ptr listOf(const emulator::Emulator& e, const std::string& path) {
    const auto response = e.direct("GET", path);
    if (response.status != 200) {
        throw std::runtime_error("GET " + path + ": HTTP " + std::to_string(response.status) + " " +
                                 response.body);
    }
    return Poco::JSON::Parser()
        .parse(response.body)
        .extract<Poco::JSON::Object::Ptr>()
        ->getArray("data");
}

std::map<std::string, std::string> workbookOf(const emulator::Emulator& e, std::int64_t container) {
    std::map<std::string, std::string> out;
    const auto phases =
        listOf(e, "/rest/container/" + std::to_string(container) + "/phases?page_size=0");
    for (std::size_t i = 0; i < phases->size(); ++i) {
        const auto phase = phases->getObject(static_cast<unsigned>(i));
        const auto tasks = phase->getArray("tasks");
        for (std::size_t j = 0; j < tasks->size(); ++j) {
            const auto task = tasks->getObject(static_cast<unsigned>(j));
            std::string owner = "-";
            if (!task->isNull("owner")) {
                const auto user = e.direct("GET", "/rest/ph_user/" + task->get("owner").toString());
                if (user.status != 200) throw std::runtime_error("no user " + user.body);
                owner = Poco::JSON::Parser()
                            .parse(user.body)
                            .extract<Poco::JSON::Object::Ptr>()
                            ->getValue<std::string>("username");
            }
            const auto notes =
                listOf(e, "/rest/note?page_size=0&_filter_task_id=" + task->get("id").toString());
            out[phase->getValue<std::string>("name") + "/" + task->getValue<std::string>("name")] =
                task->get("status").toString() + " " + owner + " " + std::to_string(notes->size());
        }
    }
    return out;
}

}  // namespace soar::test
