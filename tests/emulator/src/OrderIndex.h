#pragma once

/// An ordered index of one column of a RowTable: a (sort key, id) pair per record, in the
/// order a list sorted by that column returns its records (compareKeys, then id). A keyset
/// walk's page (`_filter_X__gt=<time>&sort=X&order=asc`) is then read off the index, O(log n
/// + page), instead of filtering and sorting every record; so is the drain of one time
/// (`_filter_X=<time>&sort=id`).
///
/// The entries are kept in blocks of at most kBlockSize, each sorted, the blocks in order (a
/// two-level B-tree): inserting or erasing moves at most one block's entries, and the rank
/// of an entry (how many come before it) adds up the sizes of the blocks before its own, a
/// sequential read of n / kBlockSize words (about 400 at 100,000 records). Not thread-safe:
/// the owner holds the data lock.

#include "Query.h"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

namespace soar::emulator {

class OrderIndex {
public:
    struct Entry {
        SortKey key;
        std::int64_t id = 0;
    };
    /// Entries by rank: [first, last).
    struct Range {
        std::size_t first = 0;
        std::size_t last = 0;
        [[nodiscard]] std::size_t size() const { return last > first ? last - first : 0; }
    };

    void insert(SortKey key, std::int64_t id);
    /// Removes the entry of `id` stored under `key` (as compareKeys sees it); a missing entry
    /// is a logic_error (the index and its table disagree).
    void erase(const SortKey& key, std::int64_t id);

    [[nodiscard]] std::size_t size() const { return size_; }
    [[nodiscard]] Range all() const { return {0, size_}; }

    /// The entries a filter on this column lets through, when they are exactly a range of the
    /// index: `isnull`, and `gt`, `gte`, `lt`, `lte`, `exact` with a string that is not a
    /// number (matchOne's rules: only string values compare with it, bytewise; numbers,
    /// nulls, lists and objects never match). nullopt when the filter is anything else, or
    /// when the column holds values of other kinds, whose text a filter would compare.
    [[nodiscard]] std::optional<Range> rangeOf(const Filter& filter) const;

    /// Calls `visit(id)` for the entries in `range`, in index order or reversed, until it
    /// returns false.
    template <class Visit>
    void forEach(Range range, bool reverse, Visit&& visit) const {
        if (range.first >= range.last) {
            return;
        }
        auto [block, offset] = locate(reverse ? range.last - 1 : range.first);
        for (std::size_t n = range.size(); n > 0; --n) {
            if (!visit(blocks_[block][offset].id)) {
                return;
            }
            if (reverse) {
                if (offset == 0) {
                    if (block == 0) {
                        return;
                    }
                    --block;
                    offset = blocks_[block].size();
                }
                --offset;
            } else if (++offset == blocks_[block].size()) {
                ++block;
                offset = 0;
            }
        }
    }

private:
    static constexpr std::size_t kBlockSize = 256;

    /// Number of entries for which `before` holds; it must hold for a prefix of the entries.
    template <class Before>
    [[nodiscard]] std::size_t countBefore(Before before) const;
    /// The block and the offset in it of the entry at `rank` (< size()).
    [[nodiscard]] std::pair<std::size_t, std::size_t> locate(std::size_t rank) const;
    /// The first block whose last entry is not before `entry` (the last block if none).
    [[nodiscard]] std::size_t blockFor(const Entry& entry) const;

    std::vector<std::vector<Entry>> blocks_;
    std::size_t size_ = 0;
    /// Entries whose value is neither a number, a string nor null (rank 2).
    std::size_t others_ = 0;
};

}  // namespace soar::emulator
