#include "CallStats.h"

namespace soar::sync {

void CallStats::countCall() {
    std::lock_guard lock(mutex_);
    ++stats_.calls;
}

void CallStats::countAttempt(int status, bool retry) {
    std::lock_guard lock(mutex_);
    ++stats_.attempts;
    if (retry) ++stats_.retries;
    ++stats_.by_status[status];
}

void CallStats::countError(const SoarError& e) {
    std::lock_guard lock(mutex_);
    ++stats_.errors[dynamic_cast<const UnreachableError*>(&e) != nullptr ? "unreachable"
                                                                         : toString(e.kind())];
}

void CallStats::addRateLimitWait(std::chrono::microseconds waited) {
    std::lock_guard lock(mutex_);
    stats_.rate_limit_wait += waited;
}

void CallStats::addBackoffWait(std::chrono::microseconds waited) {
    std::lock_guard lock(mutex_);
    stats_.backoff_wait += waited;
}

ClientStats CallStats::snapshot() const {
    std::lock_guard lock(mutex_);
    return stats_;
}

}  // namespace soar::sync
