#pragma once

/// Short texts about one route or (route, target) that several status renderings share (the
/// `status` table, the `/` page): plain functions of a RouteView or TargetView, safe from any
/// thread.

#include "soar/app/StatusSource.h"

#include <string>

namespace soar::app {

/// Whether the target is marked failing (credentials, TLS, or errors that outlived retries).
[[nodiscard]] bool failing(const TargetView& t);
/// The lag in whole seconds, `12s`, or `-` before a pass finished its walk.
[[nodiscard]] std::string lagText(const TargetView& t);
/// Playbook runs by state, `running=1 success=4`, or `-` when there are none.
[[nodiscard]] std::string runsText(const TargetView& t);
/// `one-way`, or `two-way` when anything flows back from the copies.
[[nodiscard]] std::string directionWord(const RouteView& r);
/// `one-way`, or what flows back and who wins a conflict:
/// `two-way: status, severity, tags, notes; conflict = newest`.
[[nodiscard]] std::string directionText(const RouteView& r);
/// What the last pass of a two-way route brought back and how its conflicts went:
/// `the last pass mirrored back 3 fields and 2 notes or comments; conflicts: 1 won by the
/// source, 0 by the target`, or empty when it brought nothing back and settled no conflict.
[[nodiscard]] std::string mirroredText(const state::PassCounts& c);
/// The route's custom lists on a target: "custom lists on dr: blocklist (3 rows, 120 bytes,
/// sha256 1a2b3c4d, written 2026-...), vip_users (not written yet); the last pass wrote 1,
/// 1 failed"; empty for a route without lists.
[[nodiscard]] std::string listsText(const RouteView& r, const TargetView& t);
/// Deletions on a target: "deleted on the source: close, checked every 3600s; the last
/// reconcile (2026-...) checked 120 copies with 3 requests and found 2 deleted; a reconcile is
/// under way (after source id 50); so far 1 kept, 2 closed".
[[nodiscard]] std::string deletionsText(const RouteView& r, const TargetView& t);

/// The route's owner: "owner sync-a (epoch 3), lease renewed, expires in 24s", "... (this
/// daemon)", "lease of sync-a (epoch 3) lapsed 5s ago: free to take", with "; handover asked
/// by sync-b" while a request stands; "no owner yet" before any daemon took it.
[[nodiscard]] std::string leaseText(const RouteView& r);
/// This daemon among the others: "node sync-a: 2 routes held of a share of 3; 3 daemons alive;
/// lease_ttl 30s", "standby" when it holds none, and the state store's problem when it cannot
/// renew.
[[nodiscard]] std::string clusterText(const ClusterView& c);

}  // namespace soar::app
