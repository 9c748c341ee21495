#pragma once

/// A token bucket shared by the threads of one client: `rate` tokens per second, holding at
/// most one second's worth (at least one). acquire() takes a token, sleeping on the Clock
/// when the bucket is in debt; concurrent callers queue up in debt so the rate holds.
/// Thread-safe. A rate of 0 or less disables it.

#include "soar/client/Clock.h"

#include <chrono>
#include <mutex>

namespace soar::sync {

class RateLimiter {
public:
    RateLimiter(double rate, Clock& clock);

    /// Takes one token; returns how long the caller slept for it.
    Clock::Duration acquire();

private:
    double rate_;
    double burst_;
    Clock& clock_;
    std::mutex mutex_;
    double tokens_;
    std::chrono::steady_clock::time_point last_;
};

}  // namespace soar::sync
