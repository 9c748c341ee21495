#pragma once

/// The parts the Daemon builds per route and per (route, target); private to Daemon*.cpp.

#include "soar/app/Daemon.h"
#include "soar/sync/FencedApi.h"

#include <atomic>
#include <memory>
#include <mutex>
#include <vector>

namespace soar::app {

struct Daemon::Unit {
    state::RouteTarget key;
    /// The target instance's client, writing only under the route's lease.
    std::unique_ptr<sync::FencedApi> api;
    /// The target instance's client as the engine and the tracker see it.
    std::unique_ptr<sync::SoarTarget> target;
    /// Two-way routes: the target as mirroring reads and writes it.
    std::unique_ptr<sync::SoarMirrorSide> target_side;
    std::unique_ptr<sync::PlaybookTracker> playbooks;
    std::unique_ptr<sync::TargetSync> sync;
    /// The route's halt flag, which its passes watch.
    const std::atomic<bool>* halt = nullptr;
    /// Guarded by Daemon::runtime_mutex_.
    TargetRuntime runtime;
};

struct Daemon::RouteUnit {
    const RouteSpec* spec = nullptr;
    /// The source instance's client for this route, writing (mirror back, report back) only
    /// under the route's lease.
    std::unique_ptr<sync::FencedApi> source_api;
    /// The source instance's client as the route's engines see it (its filters, its pages).
    std::unique_ptr<sync::SoarSource> source;
    /// Two-way routes: the source as mirroring reads and writes it.
    std::unique_ptr<sync::SoarMirrorSide> source_side;
    std::vector<std::unique_ptr<Unit>> targets;
    /// Passes of one route never overlap, whoever runs them.
    std::mutex pass_mutex;
    /// Set to stop the route's passes: the daemon stops, or the lease was lost.
    std::atomic<bool> halt{false};
    /// This daemon holds the route's lease (as the last round found): its schedule replays.
    std::atomic<bool> owned{false};
    /// The lease is to be handed over after the pass in progress.
    std::atomic<bool> yielding{false};
    /// Wakes the schedule before its interval ends (a lease was just taken). Guarded by
    /// Daemon::schedule_mutex_.
    bool kick = false;
};

}  // namespace soar::app
