#pragma once

/// The records of one collection, ordered by id, in one contiguous sorted vector. Ids are
/// handed out in increasing order, so inserting is an append and finding is a binary
/// search. A walk over a range of ids reads contiguous memory and touches a record only
/// when a filter needs it: with 100,000 records a std::map walk cost tens of milliseconds
/// of cache misses per list request. Not thread-safe: the owner holds the data lock.

#include <Poco/JSON/Object.h>

#include <algorithm>
#include <cstdint>
#include <stdexcept>
#include <utility>
#include <vector>

namespace soar::emulator {

class RowTable {
public:
    using Ptr = Poco::JSON::Object::Ptr;
    using Entry = std::pair<std::int64_t, Ptr>;
    using iterator = std::vector<Entry>::iterator;
    using const_iterator = std::vector<Entry>::const_iterator;

    iterator begin() { return rows_.begin(); }
    iterator end() { return rows_.end(); }
    [[nodiscard]] const_iterator begin() const { return rows_.begin(); }
    [[nodiscard]] const_iterator end() const { return rows_.end(); }
    [[nodiscard]] std::size_t size() const { return rows_.size(); }

    [[nodiscard]] const_iterator lower_bound(std::int64_t id) const {
        return std::lower_bound(rows_.begin(), rows_.end(), id,
                                [](const Entry& e, std::int64_t v) { return e.first < v; });
    }
    [[nodiscard]] const_iterator find(std::int64_t id) const {
        const auto it = lower_bound(id);
        return it != rows_.end() && it->first == id ? it : rows_.end();
    }
    iterator find(std::int64_t id) {
        const auto offset = std::distance(rows_.cbegin(), std::as_const(*this).find(id));
        return rows_.begin() + offset;
    }

    /// Appends a record; its id must be greater than every id stored.
    void emplace(std::int64_t id, Ptr row) {
        if (!rows_.empty() && id <= rows_.back().first) {
            throw std::logic_error("RowTable: ids must increase");
        }
        rows_.emplace_back(id, std::move(row));
    }
    /// The stored record of an existing id (replace it to change the record).
    Ptr& operator[](std::int64_t id) {
        const auto it = find(id);
        if (it == rows_.end()) {
            throw std::logic_error("RowTable: no record " + std::to_string(id));
        }
        return it->second;
    }
    std::size_t erase(std::int64_t id) {
        const auto it = find(id);
        if (it == rows_.end()) {
            return 0;
        }
        rows_.erase(it);
        return 1;
    }
    iterator erase(iterator it) { return rows_.erase(it); }

private:
    std::vector<Entry> rows_;
};

}  // namespace soar::emulator
