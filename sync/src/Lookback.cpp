#include "Lookback.h"

#include "soar/client/Timestamp.h"

#include <utility>

namespace soar::sync {

Lookback::Lookback(std::chrono::milliseconds lookback, std::shared_ptr<Clock> clock)
    : lookback_(lookback), clock_(std::move(clock)) {}

Lookback::Window& Lookback::windowOf(state::Stream stream, const KeysetCursor& stored) {
    const auto found = windows_.find(stream);
    if (found != windows_.end() && found->second.at == stored) return found->second;
    return windows_[stream] = Window{stored, clock_->now(), std::nullopt, false};
}

KeysetCursor Lookback::start(state::Stream stream, const KeysetCursor& stored) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto& window = windowOf(stream, stored);
    window.walk_began = clock_->now();
    const auto at = Timestamp::parse(stored.timestamp);
    if (window.settled || !at || lookback_.count() <= 0) return stored;
    return KeysetCursor::after(
        at->plusMicros(-std::chrono::duration_cast<std::chrono::microseconds>(lookback_).count())
            .toString());
}

void Lookback::walked(state::Stream stream, const KeysetCursor& stored) {
    std::lock_guard<std::mutex> lock(mutex_);
    const auto found = windows_.find(stream);
    const bool unmoved = found != windows_.end() && found->second.at == stored;
    auto& window = windowOf(stream, stored);  // a cursor that moved starts a new window
    if (unmoved && window.walk_began && *window.walk_began - window.reached >= lookback_) {
        window.settled = true;
    }
}

}  // namespace soar::sync
