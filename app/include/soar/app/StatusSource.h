#pragma once

/// StatusSource: what the status pages and the `status` command show, as one snapshot of
/// plain values (style §2.1, the seam the HTTP handlers use). The daemon implements it with
/// the store plus its in-process counters and live passes; `status` builds the same snapshot
/// from the store alone (readStoredStatus in StoredStatus.h), so both print the same thing.
/// The seam carries values only: no client, engine, store or config type.
///
/// Thread safety: implementations' snapshot() and storeOpens() may be called from any thread.

#include "soar/client/ClientStats.h"
#include "soar/state/Records.h"
#include "soar/sync/LiveStatus.h"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace soar::app {

/// How many dead letters per (route, target) a snapshot carries (the page and /dead-letters
/// show these; `soar-sync dead-letters` reads the store for all of them).
inline constexpr std::size_t kDeadLetterListLimit = 200;

/// Upper bounds (seconds) of the pass duration histogram.
inline const std::vector<double> kPassDurationBuckets = {0.1, 0.5, 1, 5, 15, 60, 300, 1800};

/// What this process saw of one (route, target) since it started.
struct TargetRuntime {
    std::int64_t passes = 0;
    state::PassCounts totals;
    /// Pass outcomes other than ok, by kind: record, transient, failing, cancelled.
    std::map<std::string, std::int64_t> errors;
    /// Cumulative counts per kPassDurationBuckets entry.
    std::vector<std::uint64_t> duration_buckets = std::vector<std::uint64_t>(8, 0);
    double duration_sum = 0;
    std::uint64_t duration_count = 0;
    /// Outcome word of the last pass in this process; empty before the first.
    std::string last_outcome;
    std::string last_error;
    /// The pass running now, when one is.
    std::optional<sync::LiveStatus> live;
};

struct TargetView {
    std::string target;
    /// The target instance's base URL (no secrets: tokens never sit in URLs).
    std::string url;
    state::TargetStatus stored;
    /// The newest dead letters (up to kDeadLetterListLimit), oldest first; the full count is
    /// `stored.dead_letters`.
    std::vector<state::DeadLetter> dead_letters;
    TargetRuntime runtime;
    /// Seconds since the start of the last pass that finished its walk (ok or record
    /// errors): everything the source held before then is on the target. Unset before one.
    std::optional<double> lag_seconds;
    /// Start of that pass.
    std::string last_good_pass;
};

/// Who replays a route (design §5 "One owner per route"), as the state store keeps it.
struct LeaseView {
    /// The owner's node name (`[cluster] node`) and its full identity (node/host/pid/random).
    std::string owner;
    std::string holder;
    /// The fencing token: one more per new tenure.
    std::int64_t epoch = 0;
    /// When the lease lapses unless renewed (UTC, ISO 8601) and how far that is from now
    /// (negative: lapsed, the route is free to take).
    std::string expires_at;
    double expires_in_seconds = 0;
    /// Held by the daemon answering (daemon snapshots only).
    bool mine = false;
    /// The node that asked the owner to hand the route over, while the request stands.
    std::string wanted_by;
};

/// This daemon among the others sharing the state store (daemon snapshots only).
struct ClusterView {
    std::string node;
    std::string holder;
    double lease_ttl_seconds = 0;
    /// The most routes this daemon takes (every route on one state file), and how many it
    /// holds now; a daemon holding none while others do is a standby.
    std::size_t share = 0;
    std::size_t held = 0;
    bool standby = false;
    /// Daemons whose heartbeat has not lapsed, this one included.
    std::size_t live_nodes = 0;
    /// Why the leases cannot be renewed (the store is unreachable), and since when; empty
    /// while they can.
    std::string store_problem;
    std::string store_problem_since;
};

struct RouteView {
    std::string name;
    std::string source;
    /// The source instance's base URL.
    std::string source_url;
    /// Whether the route copies vault files, and the largest it copies (`attachments`,
    /// `attachment_max_size`).
    bool files = false;
    std::uint64_t file_max_size = 0;
    /// `workbooks`, `owner_map = by_name`, `custom_fields`.
    bool workbooks = false;
    bool owners_by_name = false;
    bool custom_fields = true;
    /// Two-way routes: what flows back from the copies to the source (`mirror_back`: status,
    /// severity, sensitivity, owner, tags, notes, comments, tasks, in that order); empty for
    /// a one-way route.
    std::vector<std::string> mirror_back;
    /// Who wins a field both sides changed (`conflict`): newest, source or target.
    std::string conflict = "newest";
    /// Where ended playbook runs are reported on the source (`report_back`): note, comment or
    /// off.
    std::string report_back = "off";
    /// Custom lists copied whole to every target (`lists`), by name as configured.
    std::vector<std::string> lists;
    /// Deletions reconciled: what happens to the copy of a container deleted on the source
    /// (`on_source_delete`: keep, close or delete) and how often the mapped ids are checked.
    std::string on_source_delete = "keep";
    std::int64_t reconcile_interval_seconds = 3600;
    /// The route's lease; unset while no daemon ever took it.
    std::optional<LeaseView> lease;
    std::vector<TargetView> targets;
};

struct StatusSnapshot {
    std::string version;
    std::string started_at;
    std::string now;
    /// True when it comes from the running daemon (runtime counters are meaningful).
    bool live = false;
    std::vector<RouteView> routes;
    /// Set in a daemon's snapshot.
    std::optional<ClusterView> cluster;
    /// Client statistics by instance name (daemon only).
    std::map<std::string, sync::ClientStats> clients;
};

class StatusSource {
public:
    virtual ~StatusSource() = default;
    [[nodiscard]] virtual StatusSnapshot snapshot() const = 0;
    /// The store still answers a read.
    [[nodiscard]] virtual bool storeOpens() const = 0;
};

/// The version string of this build.
[[nodiscard]] const char* versionString();
/// The malloc this process runs on, with its version: "jemalloc 5.3.0-..." (the build's
/// default, SOAR_SYNC_ALLOCATOR) or "glibc malloc 2.36" (sanitizer builds, system builds).
[[nodiscard]] std::string allocatorName();

/// Now, UTC, ISO 8601 with microseconds.
[[nodiscard]] std::string nowText();

}  // namespace soar::app
