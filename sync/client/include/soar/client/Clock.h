#pragma once

/// Clock: the time seam of the client (after RocksDB SystemClock / Envoy TimeSource). Retry
/// backoff, Retry-After waits and the rate limiter read time and sleep only through it, so
/// unit tests run them on a ManualClock without sleeping.
///
/// Thread safety: every implementation here may be used from many threads at once.
/// Ownership: clients hold a std::shared_ptr<Clock>; SystemClock::instance() is a process-wide
/// shared instance.

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

namespace soar::sync {

class Clock {
public:
    using Duration = std::chrono::microseconds;

    virtual ~Clock() = default;

    /// Monotonic time, for budgets and rates.
    [[nodiscard]] virtual std::chrono::steady_clock::time_point now() const = 0;
    /// Wall time, for HTTP-date Retry-After values.
    [[nodiscard]] virtual std::chrono::system_clock::time_point wallNow() const = 0;
    /// Blocks the calling thread for `duration` (no-op when not positive).
    virtual void sleepFor(Duration duration) = 0;
};

class SystemClock final : public Clock {
public:
    [[nodiscard]] static std::shared_ptr<Clock> instance();

    [[nodiscard]] std::chrono::steady_clock::time_point now() const override;
    [[nodiscard]] std::chrono::system_clock::time_point wallNow() const override;
    void sleepFor(Duration duration) override;
};

/// A clock that moves only when told to: sleepFor() advances it at once and records the
/// duration, so tests can assert on the waits a component asked for.
class ManualClock final : public Clock {
public:
    ManualClock();

    [[nodiscard]] std::chrono::steady_clock::time_point now() const override;
    [[nodiscard]] std::chrono::system_clock::time_point wallNow() const override;
    void sleepFor(Duration duration) override;

    void advance(Duration duration);
    /// Every positive sleepFor() duration so far, in order.
    [[nodiscard]] std::vector<Duration> sleeps() const;
    [[nodiscard]] Duration totalSlept() const;

private:
    mutable std::mutex mutex_;
    Duration offset_{0};
    std::vector<Duration> sleeps_;
    std::chrono::steady_clock::time_point steady_base_;
    std::chrono::system_clock::time_point wall_base_;
};

}  // namespace soar::sync
