#include "RateLimiter.h"

#include <algorithm>

namespace soar::sync {

RateLimiter::RateLimiter(double rate, Clock& clock)
    : rate_(rate),
      burst_(std::max(1.0, rate)),
      clock_(clock),
      tokens_(burst_),
      last_(clock.now()) {}

Clock::Duration RateLimiter::acquire() {
    if (rate_ <= 0) return Clock::Duration(0);
    Clock::Duration wait(0);
    {
        std::lock_guard lock(mutex_);
        const auto now = clock_.now();
        if (now > last_) {
            const std::chrono::duration<double> elapsed = now - last_;
            tokens_ = std::min(burst_, tokens_ + elapsed.count() * rate_);
            last_ = now;
        }
        tokens_ -= 1.0;
        if (tokens_ < 0) {
            wait = std::chrono::duration_cast<Clock::Duration>(
                std::chrono::duration<double>(-tokens_ / rate_));
        }
    }
    clock_.sleepFor(wait);
    return wait;
}

}  // namespace soar::sync
