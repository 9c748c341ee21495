#pragma once

/// What each pass over a (route, target) did, and whether the target is failing: what `status`,
/// the status endpoint and the metrics report.
///
/// Contract (shared by every store interface, see `Store.h`): a write is atomic and durable once
/// the call returns, and a call that throws changed nothing; reads see every write that returned
/// before them; failures throw `StateError`.
///
/// Thread safety: implementations are safe to call from any number of threads at once.
/// Ownership: results are plain values.

#include "soar/state/Records.h"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace soar::state {

class PassLog {
public:
    /// Passes kept per (route, target); recording one more drops the oldest.
    static constexpr std::size_t kKeptPasses = 100;

    virtual ~PassLog() = default;

    /// Records a finished pass, keeping the newest `kKeptPasses` of the (route, target).
    virtual void recordPass(const RouteTarget& key, const PassRecord& pass) = 0;
    /// The latest recorded pass.
    [[nodiscard]] virtual std::optional<PassRecord> lastPass(const RouteTarget& key) const = 0;
    /// Up to `limit` recent passes, newest first (in the order they were recorded).
    [[nodiscard]] virtual std::vector<PassRecord> recentPasses(const RouteTarget& key,
                                                               std::size_t limit) const = 0;
    /// Records an error that makes the target failing (e.g. credentials refused): sets the last
    /// error and its time, and `failing_since` unless it is already failing.
    virtual void markFailing(const RouteTarget& key, const std::string& message,
                             const std::string& at) = 0;
    /// Records an error that does not make the target failing (a pass interrupted by a
    /// timeout, a 5xx or an unreachable instance: the next pass resumes): sets the last error
    /// and its time, leaves `failing_since` as it is.
    virtual void recordError(const RouteTarget& key, const std::string& message,
                             const std::string& at) = 0;
    /// The target works again: clears `failing_since`, keeps the last error for the record.
    virtual void markHealthy(const RouteTarget& key) = 0;
    /// The last error and failing-since of the (route, target); empty for one never marked.
    [[nodiscard]] virtual TargetHealth health(const RouteTarget& key) const = 0;
};

}  // namespace soar::state
