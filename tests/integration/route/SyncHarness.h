#pragma once

/// A route between two in-process soar-emulator instances over real HTTP, with a SQLite
/// state file in a temp folder: what the route engine's integration tests drive. Also reads
/// both sides back (bypassing HTTP) to check that the target mirrors the source.

#include "soar/client/PocoSoarApi.h"
#include "soar/emulator/Emulator.h"
#include "soar/state/SqliteStore.h"
#include "soar/sync/PlaybookTracker.h"
#include "soar/sync/RouteConfig.h"
#include "soar/sync/SoarAdapter.h"
#include "soar/sync/TargetSync.h"
#include "support/TempDir.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace soar::test {

/// Every container and artifact an emulator holds.
struct Snapshot {
    std::map<std::int64_t, Poco::JSON::Object::Ptr> containers;
    std::map<std::int64_t, Poco::JSON::Object::Ptr> artifacts;
};

[[nodiscard]] Snapshot snapshot(const emulator::Emulator& emulator);

/// A client of an emulator as soar-sync would configure it (quick retries for tests).
[[nodiscard]] std::unique_ptr<sync::PocoSoarApi> clientFor(const emulator::Emulator& emulator,
                                                           const std::string& name,
                                                           unsigned connections = 4);

/// A client of an emulator signed in as its user (basic auth with the emulator's `user` and
/// `password`): the one identity the emulator lets DELETE containers, as SOAR does.
[[nodiscard]] std::unique_ptr<sync::PocoSoarApi> userClientFor(
    const emulator::Emulator& emulator, const emulator::EmulatorOptions& options,
    const std::string& name);

/// An emulator seeded with `containers` containers of `artifacts` artifacts each.
[[nodiscard]] emulator::EmulatorOptions seeded(std::uint64_t seed, int containers,
                                               int artifacts = 1);

/// The route the tests use unless they say otherwise: source "src", target "dst".
[[nodiscard]] sync::RouteConfig testRoute();

class SyncHarness {
public:
    SyncHarness(emulator::EmulatorOptions source_options, emulator::EmulatorOptions target_options,
                sync::RouteConfig route = testRoute(), unsigned in_flight = 4);

    sync::PassResult pass() { return sync_->runPass(); }
    /// Gives the route a playbook on the target (rebuilds the engine).
    /// Follows runs with a PlaybookTracker reading time from `clock`.
    void usePlaybook(sync::PlaybookConfig config,
                     std::shared_ptr<sync::Clock> clock = sync::SystemClock::instance());
    /// Gives the engine its own clock (rebuilds the engine).
    void useEngineClock(std::shared_ptr<sync::Clock> clock);
    /// Replaces the client of the target, e.g. with userClientFor() (rebuilds the engine).
    void useTargetApi(std::unique_ptr<sync::PocoSoarApi> api);
    /// Closes the state file, optionally deletes it, and opens it again.
    void reopenStore(bool delete_file);

    emulator::Emulator source;
    emulator::Emulator target;
    TempDir dir;
    std::string state_path;
    sync::RouteConfig route;
    std::unique_ptr<sync::PocoSoarApi> source_api;
    std::unique_ptr<sync::PocoSoarApi> target_api;
    /// The clients as the engine and the tracker see them (rebuilt with the engine).
    std::unique_ptr<sync::SoarSource> source_side;
    std::unique_ptr<sync::SoarTarget> target_side;
    /// Both instances as a two-way route reads and writes them (used when the route has
    /// `mirror_back`).
    std::unique_ptr<sync::SoarMirrorSide> source_mirror;
    std::unique_ptr<sync::SoarMirrorSide> target_mirror;
    std::unique_ptr<state::SqliteStore> store;
    std::unique_ptr<sync::PlaybookTracker> playbooks;
    std::unique_ptr<sync::TargetSync> sync_;

private:
    std::optional<sync::PlaybookConfig> playbook_config_;
    std::shared_ptr<sync::Clock> playbook_clock_;
    std::shared_ptr<sync::Clock> engine_clock_ = sync::SystemClock::instance();
    unsigned in_flight_;
    void makeSync();
};

/// Checks that `target` holds exactly one copy of every source container that `matches`
/// (and nothing else), with the mapped fields, and exactly one copy of each of their
/// artifacts in the right container. Returns the problems found (empty = a mirror).
[[nodiscard]] std::vector<std::string> mirrorProblems(
    const Snapshot& source, const Snapshot& target, const sync::RouteConfig& route,
    const std::function<bool(const Poco::JSON::Object&)>& matches = nullptr);

/// The `data` of a list view of an emulator, read in-process (a failed request fails the test).
[[nodiscard]] Poco::JSON::Array::Ptr listOf(const emulator::Emulator& e, const std::string& path);

/// A container's workbook as "phase/task" -> "<status> <owner's username or -> <note count>".
[[nodiscard]] std::map<std::string, std::string> workbookOf(const emulator::Emulator& e,
                                                            std::int64_t container);

}  // namespace soar::test
