#include "soar/sync/Frontier.h"

#include <stdexcept>

namespace soar::sync {

std::uint64_t Frontier::add(const KeysetCursor& position_after) {
    entries_.push_back({position_after, false});
    ++unfinished_;
    return base_ + entries_.size() - 1;
}

std::optional<KeysetCursor> Frontier::finish(std::uint64_t sequence) {
    if (sequence < base_ || sequence - base_ >= entries_.size() ||
        entries_[sequence - base_].finished) {
        throw std::logic_error("Frontier::finish: unknown or already finished sequence");
    }
    entries_[sequence - base_].finished = true;
    --unfinished_;
    std::optional<KeysetCursor> moved;
    while (!entries_.empty() && entries_.front().finished) {
        moved = entries_.front().position;
        entries_.pop_front();
        ++base_;
    }
    return moved;
}

std::size_t Frontier::pending() const { return unfinished_; }

}  // namespace soar::sync
