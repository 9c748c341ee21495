#include "soar/client/Clock.h"

#include <thread>

namespace soar::sync {

std::shared_ptr<Clock> SystemClock::instance() {
    static const std::shared_ptr<Clock> kClock = std::make_shared<SystemClock>();
    return kClock;
}

std::chrono::steady_clock::time_point SystemClock::now() const {
    return std::chrono::steady_clock::now();
}

std::chrono::system_clock::time_point SystemClock::wallNow() const {
    return std::chrono::system_clock::now();
}

void SystemClock::sleepFor(Duration duration) {
    if (duration.count() > 0) std::this_thread::sleep_for(duration);
}

ManualClock::ManualClock()
    : steady_base_(std::chrono::steady_clock::now()),
      wall_base_(std::chrono::system_clock::now()) {}

std::chrono::steady_clock::time_point ManualClock::now() const {
    std::lock_guard lock(mutex_);
    return steady_base_ + offset_;
}

std::chrono::system_clock::time_point ManualClock::wallNow() const {
    std::lock_guard lock(mutex_);
    return wall_base_ + offset_;
}

void ManualClock::sleepFor(Duration duration) {
    if (duration.count() <= 0) return;
    std::lock_guard lock(mutex_);
    offset_ += duration;
    sleeps_.push_back(duration);
}

void ManualClock::advance(Duration duration) {
    std::lock_guard lock(mutex_);
    offset_ += duration;
}

std::vector<Clock::Duration> ManualClock::sleeps() const {
    std::lock_guard lock(mutex_);
    return sleeps_;
}

Clock::Duration ManualClock::totalSlept() const {
    std::lock_guard lock(mutex_);
    Duration total{0};
    for (const auto& d : sleeps_) total += d;
    return total;
}

}  // namespace soar::sync
