#include "OrderIndex.h"

#include <algorithm>
#include <iterator>
#include <stdexcept>
#include <string>
#include <utility>

namespace soar::emulator {
namespace {

bool before(const OrderIndex::Entry& a, const OrderIndex::Entry& b) {
    const int c = compareKeys(a.key, b.key);
    return c < 0 || (c == 0 && a.id < b.id);
}

constexpr int kStringRank = 1;
constexpr int kNullRank = 3;

}  // namespace

std::size_t OrderIndex::blockFor(const Entry& entry) const {
    const auto it = std::partition_point(blocks_.begin(), blocks_.end(), [&](const auto& block) {
        return before(block.back(), entry);
    });
    return it == blocks_.end() ? blocks_.size() - 1
                               : static_cast<std::size_t>(std::distance(blocks_.begin(), it));
}

void OrderIndex::insert(SortKey key, std::int64_t id) {
    if (key.rank == 2) {
        ++others_;
    }
    Entry entry{std::move(key), id};
    ++size_;
    if (blocks_.empty()) {
        blocks_.emplace_back().push_back(std::move(entry));
        return;
    }
    const std::size_t b = blockFor(entry);
    auto& block = blocks_[b];
    const auto at = std::lower_bound(block.begin(), block.end(), entry, before);
    // New times come last: a full last block is left full, and the new entry starts the next.
    if (at == block.end() && b + 1 == blocks_.size() && block.size() == kBlockSize) {
        blocks_.emplace_back().push_back(std::move(entry));
        return;
    }
    block.insert(at, std::move(entry));
    if (block.size() > kBlockSize) {
        const auto half = static_cast<std::ptrdiff_t>(block.size() / 2);
        std::vector<Entry> upper(std::make_move_iterator(block.begin() + half),
                                 std::make_move_iterator(block.end()));
        block.erase(block.begin() + half, block.end());
        blocks_.insert(blocks_.begin() + static_cast<std::ptrdiff_t>(b) + 1, std::move(upper));
    }
}

void OrderIndex::erase(const SortKey& key, std::int64_t id) {
    const Entry probe{key, id};
    const std::size_t b = blocks_.empty() ? 0 : blockFor(probe);
    auto* block = blocks_.empty() ? nullptr : &blocks_[b];
    const auto it = block == nullptr
                        ? std::vector<Entry>::iterator()
                        : std::lower_bound(block->begin(), block->end(), probe, before);
    if (block == nullptr || it == block->end() || it->id != id || compareKeys(it->key, key) != 0) {
        throw std::logic_error("OrderIndex: no entry for record " + std::to_string(id));
    }
    if (it->key.rank == 2) {
        --others_;
    }
    block->erase(it);
    --size_;
    // Blocks left nearly empty (records updated away from them) join a neighbour, so that the
    // block count stays near size / kBlockSize.
    if (block->empty()) {
        blocks_.erase(blocks_.begin() + static_cast<std::ptrdiff_t>(b));
    } else if (block->size() < kBlockSize / 4 && b + 1 < blocks_.size() &&
               block->size() + blocks_[b + 1].size() <= kBlockSize) {
        auto& next = blocks_[b + 1];
        block->insert(block->end(), std::make_move_iterator(next.begin()),
                      std::make_move_iterator(next.end()));
        blocks_.erase(blocks_.begin() + static_cast<std::ptrdiff_t>(b) + 1);
    } else if (block->size() < kBlockSize / 4 && b > 0 &&
               block->size() + blocks_[b - 1].size() <= kBlockSize) {
        auto& previous = blocks_[b - 1];
        previous.insert(previous.end(), std::make_move_iterator(block->begin()),
                        std::make_move_iterator(block->end()));
        blocks_.erase(blocks_.begin() + static_cast<std::ptrdiff_t>(b));
    }
}

template <class Before>
std::size_t OrderIndex::countBefore(Before is_before) const {
    const auto block = std::partition_point(blocks_.begin(), blocks_.end(),
                                            [&](const auto& b) { return is_before(b.back()); });
    std::size_t rank = 0;
    for (auto it = blocks_.begin(); it != block; ++it) {
        rank += it->size();
    }
    if (block != blocks_.end()) {
        rank += static_cast<std::size_t>(std::distance(
            block->begin(), std::partition_point(block->begin(), block->end(), is_before)));
    }
    return rank;
}

std::pair<std::size_t, std::size_t> OrderIndex::locate(std::size_t rank) const {
    std::size_t b = 0;
    while (rank >= blocks_[b].size()) {
        rank -= blocks_[b].size();
        ++b;
    }
    return {b, rank};
}

std::optional<OrderIndex::Range> OrderIndex::rangeOf(const Filter& filter) const {
    if (filter.exclude || filter.path.size() != 1) {
        return std::nullopt;
    }
    const auto below = [&](int rank) {
        return countBefore([rank](const Entry& e) { return e.key.rank < rank; });
    };
    const std::string& lookup = filter.lookup;
    if (lookup == "isnull") {
        // Validated by the parser: True or False.
        const std::size_t nulls = below(kNullRank);
        return filter.value.extract<bool>() ? Range{nulls, size_} : Range{0, nulls};
    }
    const bool ordered =
        lookup == "gt" || lookup == "gte" || lookup == "lt" || lookup == "lte" || lookup == "exact";
    // A numeric string also matches numbers; a value of another kind compares as its text.
    if (!ordered || !filter.value.isString() || filter.number || others_ != 0) {
        return std::nullopt;
    }
    const std::string& text = filter.text;
    const auto strings_below = [&](bool or_equal) {
        return countBefore([&](const Entry& e) {
            if (e.key.rank != kStringRank) {
                return e.key.rank < kStringRank;
            }
            const int c = e.key.text.compare(text);
            return or_equal ? c <= 0 : c < 0;
        });
    };
    const std::size_t first_string = below(kStringRank);
    const std::size_t end_string = below(kStringRank + 1);
    if (lookup == "gt") {
        return Range{strings_below(true), end_string};
    }
    if (lookup == "gte") {
        return Range{strings_below(false), end_string};
    }
    if (lookup == "lt") {
        return Range{first_string, strings_below(false)};
    }
    if (lookup == "lte") {
        return Range{first_string, strings_below(true)};
    }
    return Range{strings_below(false), strings_below(true)};
}

}  // namespace soar::emulator
