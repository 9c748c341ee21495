#pragma once

/// CallStats: the counters behind PocoSoarApi::stats(), fed by the Transport (attempts by
/// status, rate-limit waits) and the Caller (calls, backoff waits, failed calls by kind).
///
/// Thread safety: every member may be called concurrently (one mutex, held only to add).
/// Ownership: the Caller owns it; its Transport keeps a reference.

#include "soar/client/Errors.h"
#include "soar/client/PocoSoarApi.h"

#include <chrono>
#include <mutex>

namespace soar::sync {

class CallStats {
public:
    CallStats() = default;
    CallStats(const CallStats&) = delete;
    CallStats& operator=(const CallStats&) = delete;

    /// One call of a SoarApi member began.
    void countCall();
    /// One HTTP attempt ended with `status` (0: no answer); `retry` when it repeated an
    /// earlier attempt of the same call.
    void countAttempt(int status, bool retry);
    /// A call failed with `e`: counted by kind, an unreachable instance apart.
    void countError(const SoarError& e);
    void addRateLimitWait(std::chrono::microseconds waited);
    void addBackoffWait(std::chrono::microseconds waited);

    /// A copy of the counters as they are now.
    [[nodiscard]] ClientStats snapshot() const;

private:
    mutable std::mutex mutex_;
    ClientStats stats_;
};

}  // namespace soar::sync
