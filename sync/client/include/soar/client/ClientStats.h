#pragma once

/// ClientStats: what one SOAR client counted since it was made (calls, attempts, retries,
/// answers by status, errors by kind, waits), as plain values for /metrics.

#include <chrono>
#include <cstdint>
#include <map>
#include <string>

namespace soar::sync {

/// Counters of one client since it was made, for the daemon's /metrics.
struct ClientStats {
    /// Calls of the SoarApi members (one call may make several attempts).
    std::uint64_t calls = 0;
    /// HTTP attempts sent (or tried: a refused connection counts).
    std::uint64_t attempts = 0;
    /// Attempts that were retries of a transient failure.
    std::uint64_t retries = 0;
    /// Answers by HTTP status; status 0 counts attempts without an answer (connect failure,
    /// timeout, reset, TLS failure).
    std::map<int, std::uint64_t> by_status;
    /// Calls that failed, by ErrorKind name ("transient", "record", ...).
    std::map<std::string, std::uint64_t> errors;
    /// Time spent waiting for the rate limiter and for backoff.
    std::chrono::microseconds rate_limit_wait{0};
    std::chrono::microseconds backoff_wait{0};
};

}  // namespace soar::sync
